"""Periodic jobs of the approvals app (SPEC §5 "overdue → reminders", §7), registered in the
notifications job registry (NotificationsConfig.ready autodiscovers <app>/jobs.py): approvals sits
above notifications and calls it, never the other way round.

Dedupe rules (documented here because the tests hold us to them):
- the holder (the requester who borrowed or carried the carrier out) gets one notice per
  overdue request per day: key "<kind>_overdue:<request id>:<today>";
- each registrar who could take the carrier back (serves every carrier's department and is
  cleared for the request's level — the same rule as approvals.policy.executable_requests_q)
  gets one digest per day listing the overdue requests: key "overdue_digest:<today>". A digest,
  not one notice per request, so a registry with hundreds of loans out does not bury its
  registrar; it is still "at most once per request per day".
Because the scan asks "what is overdue today" (due_date < today, still in progress), a job that
did not run for ten days sends one reminder per overdue request on the eleventh, not ten.
"""
from django.db import transaction
from django.urls import reverse

from notifications.jobs import job, keyset_batches
from notifications.services import Message, kick_delivery, notify_many
from personnel.models import ADMIN_ROLES, Person, Role

from .models import ApprovalRequest, RequestItem, RequestState

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
    return keyset_batches(base, "due_date", batch_size,
                          ("level", "requester_id", "requester__username", "requester__person__full_name"))


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
