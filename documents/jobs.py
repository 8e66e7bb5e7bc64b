"""Periodic jobs of the documents app (SPEC §5 "overdue → reminders", §7), registered in the
notifications job registry (NotificationsConfig.ready autodiscovers <app>/jobs.py): documents sits
above notifications and calls it, never the other way round.

Dedupe rules (documented here because the tests hold us to them):
- the holder (the requester who borrowed or carried the carrier out) gets one notice per
  overdue request per day: key "<kind>_overdue:<request id>:<today>";
- each registrar who could take the carrier back (serves every carrier's department and is
  cleared for the request's level — the same rule as documents.policy.executable_requests_q)
  gets one digest per day listing the overdue requests: key "overdue_digest:<today>". A digest,
  not one notice per request, so a registry with hundreds of loans out does not bury its
  registrar; it is still "at most once per request per day".
Because the scan asks "what is overdue today" (due_date < today, still in progress), a job that
did not run for ten days sends one reminder per overdue request on the eleventh, not ten.
"""
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from approvals.models import ApprovalRequest, RequestItem, RequestState
from notifications.jobs import job
from notifications.services import Message, kick_delivery, notify_many
from personnel.models import ADMIN_ROLES, Person, Role

# The registrar's digest names at most this many requests; the queue page has them all.
DIGEST_LINES = 20

# kind -> (notice kind, what it is called, what was due, what the holder must do now)
OVERDUE_KINDS = {
    "lend": ("loan_overdue", "借阅", "归还", "归还"),
    "carry_out": ("carry_overdue", "外出携带", "带回", "带回并办理归还登记"),
}


def _registrars():
    """Active registrars (no admin role) with the departments they serve and their clearance:
    two queries per run, whatever the number of requests."""
    people = (Person.objects.filter(user__is_active=True, user__groups__name=Role.REGISTRAR)
              .exclude(user__groups__name__in=ADMIN_ROLES).prefetch_related("served_departments").distinct())
    return [(p.user_id, frozenset(d.pk for d in p.served_departments.all()), p.clearance) for p in people]


def _date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def _overdue_batches(kind, today, batch_size):
    """Keyset batches over the (kind, state, due_date) index, oldest due date first."""

    base = ApprovalRequest.objects.filter(kind=kind, state=RequestState.IN_PROGRESS, due_date__lt=today)
    last = None
    while True:
        queryset = base
        if last is not None:
            queryset = queryset.filter(Q(due_date__gt=last[0]) | Q(due_date=last[0], id__gt=last[1]))
        batch = list(queryset.order_by("due_date", "id").values(
            "id", "level", "due_date", "requester_id", "requester__username", "requester__person__full_name",
        )[:batch_size])
        if not batch:
            return
        yield batch
        if len(batch) < batch_size:
            return
        last = (batch[-1]["due_date"], batch[-1]["id"])


@job("overdue_reminders", description="逾期未还的借阅、外出携带：提醒持有人，并向机要秘书发送每日汇总")
def overdue_reminders(*, today, batch_size):

    registrars = _registrars()
    digests = {}  # registrar user id -> {"count", "level", "lines"}
    totals = {"overdue": 0, "notices": 0, "digests": 0}
    for kind, (notice_kind, word, due_verb, todo) in OVERDUE_KINDS.items():
        for batch in _overdue_batches(kind, today, batch_size):
            departments = {}
            for request_id, department_id in RequestItem.objects.filter(
                    request_id__in=[r["id"] for r in batch]).values_list("request_id", "carrier__department_id"):
                departments.setdefault(request_id, set()).add(department_id)
            messages = []
            for r in batch:
                days = (today - r["due_date"]).days
                reference = f"{word}申请第{r['id']}号"
                link = reverse("approvals:detail", kwargs={"pk": r["id"]})
                messages.append(Message(
                    recipient_id=r["requester_id"], kind=notice_kind, level=r["level"], link=link,
                    title=f"{word}逾期提醒：{reference}",
                    body=f"您{word}的载体应于{_date(r['due_date'])}{due_verb}，已逾期 {days} 天。"
                         f"请尽快{todo}。",
                    dedupe_key=f"{notice_kind}:{r['id']}:{today.isoformat()}",
                ))
                holder = r["requester__person__full_name"] or r["requester__username"]
                needed = departments.get(r["id"], set())
                for user_id, served, clearance in registrars:
                    if needed and needed <= served and clearance >= r["level"]:
                        digest = digests.setdefault(user_id, {"count": 0, "level": 0, "lines": []})
                        digest["count"] += 1
                        digest["level"] = max(digest["level"], r["level"])
                        if len(digest["lines"]) < DIGEST_LINES:
                            digest["lines"].append(
                                f"{reference}：{holder}，应于{_date(r['due_date'])}{due_verb}，已逾期 {days} 天")
            with transaction.atomic():
                totals["notices"] += len(notify_many(messages, kick=False))
            totals["overdue"] += len(batch)
    if digests:
        queue = reverse("approvals:queue")
        messages = []
        for user_id, digest in digests.items():
            more = digest["count"] - len(digest["lines"])
            body = "\n".join(digest["lines"]) + (f"\n……另有 {more} 项，见审批办理页。" if more > 0 else "")
            messages.append(Message(
                recipient_id=user_id, kind="overdue_digest", level=digest["level"], link=queue,
                title=f"逾期未还汇总：{digest['count']} 项借阅或外出携带已逾期", body=body,
                dedupe_key=f"overdue_digest:{today.isoformat()}",
            ))
        with transaction.atomic():
            totals["digests"] = len(notify_many(messages, kick=False))
    if totals["notices"] or totals["digests"]:
        # One kick for the whole run (after commit); the every-minute run is the safety net.
        transaction.on_commit(kick_delivery)
    return totals


# ------------------------------------------------------------------------ circulation (SPEC §6)
# circulation_overdue: a reader who holds a circulating carrier past its deadline gets one notice
# per step per day (key "circulation_overdue:<step id>:<today>"); the registrar who handed it
# out gets one digest per day listing their overdue steps (key "circulation_overdue_digest:<today>",
# at most DIGEST_LINES named, the rest counted) — not one notice per step, so a 机要室 with
# hundreds of circulations out is not buried (issue 12). The scan asks "which steps are out with
# a reader today, deadline < today" over the partial (deadline, id) index, so ten days without a
# run send one reminder per step on the eleventh, not ten.


def _circulation_batches(today, batch_size):
    from .models import CirculationState, CirculationStep

    base = CirculationStep.objects.filter(
        handed_at__isnull=False, returned_at__isnull=True, deadline__lt=today,
        circulation__state=CirculationState.OPEN,
    )
    last = None
    while True:
        queryset = base
        if last is not None:
            queryset = queryset.filter(Q(deadline__gt=last[0]) | Q(deadline=last[0], id__gt=last[1]))
        batch = list(queryset.order_by("deadline", "id").values(
            "id", "order", "deadline", "signed_at", "reader_id", "reader__username", "reader__person__full_name",
            "handed_by_id", "circulation_id", "circulation__carrier__level",
        )[:batch_size])
        if not batch:
            return
        yield batch
        if len(batch) < batch_size:
            return
        last = (batch[-1]["deadline"], batch[-1]["id"])


@job("circulation_overdue", description="传阅逾期未交回：提醒阅读人（每步每天一次），并向送达的机要秘书发送每日汇总")
def circulation_overdue(*, today, batch_size):
    from .models import CustodyStatus

    totals = {"overdue": 0, "notices": 0}
    mine = reverse("circulation:mine")
    digests = {}  # registrar user id -> {"count", "level", "lines"}
    for batch in _circulation_batches(today, batch_size):
        messages = []
        for s in batch:
            days = (today - s["deadline"]).days
            reference = f"传阅第{s['circulation_id']}号"
            level = s["circulation__carrier__level"]
            todo = "交回机要室" if s["signed_at"] else "阅签并交回机要室"
            messages.append(Message(
                recipient_id=s["reader_id"], kind="circulation_overdue", level=level, link=mine,
                title=f"传阅逾期提醒：{reference}",
                body=f"您传阅的载体应于{_date(s['deadline'])}前{todo}，已逾期 {days} 天。请尽快{todo}，不得转交他人。",
                dedupe_key=f"circulation_overdue:{s['id']}:{today.isoformat()}",
            ))
            if s["handed_by_id"] and s["handed_by_id"] != s["reader_id"]:
                reader = s["reader__person__full_name"] or s["reader__username"]
                digest = digests.setdefault(s["handed_by_id"], {"count": 0, "level": 0, "lines": []})
                digest["count"] += 1
                digest["level"] = max(digest["level"], level)
                if len(digest["lines"]) < DIGEST_LINES:
                    digest["lines"].append(
                        f"{reference}第{s['order']}位阅读人 {reader} 应于{_date(s['deadline'])}前交回，"
                        f"已逾期 {days} 天{'（已阅签）' if s['signed_at'] else '（尚未阅签）'}")
        with transaction.atomic():
            totals["notices"] += len(notify_many(messages, kick=False))
        totals["overdue"] += len(batch)
    if digests:
        link = f"{reverse('documents:carrier_list')}?custody_status={CustodyStatus.CIRCULATING}"
        messages = []
        for user_id, digest in digests.items():
            more = digest["count"] - len(digest["lines"])
            messages.append(Message(
                recipient_id=user_id, kind="circulation_overdue", level=digest["level"], link=link,
                title=f"传阅逾期汇总：{digest['count']} 件载体未按期交回",
                body="\n".join(digest["lines"]) + (f"\n……另有 {more} 项，见载体列表（状态：传阅中）。" if more > 0 else ""),
                dedupe_key=f"circulation_overdue_digest:{today.isoformat()}",
            ))
        with transaction.atomic():
            totals["notices"] += len(notify_many(messages, kick=False))
    if totals["notices"]:
        transaction.on_commit(kick_delivery)
    return totals


# The expiry jobs (自行解密, pre-expiry reminders) live in their own module; importing it here
# registers them, because the job registry autodiscovers <app>/jobs.py only.
from . import jobs_declassify  # noqa: E402,F401
from . import jobs_review  # noqa: E402,F401
