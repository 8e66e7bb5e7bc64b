"""Periodic jobs of the documents app (SPEC §6, §7), registered in the notifications job registry
(NotificationsConfig.ready autodiscovers <app>/jobs.py): documents sits above notifications and
calls it, never the other way round. (The overdue loans and carry-outs are requests:
approvals.jobs.)
"""
from django.db import transaction
from django.urls import reverse

from notifications.jobs import job, keyset_batches
from notifications.services import Message, kick_delivery, notify_many

# A registrar's digest names at most this many overdue steps; the carrier list has them all.
DIGEST_LINES = 20


def _date(day):
    return f"{day.year}年{day.month}月{day.day}日"


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
    return keyset_batches(base, "deadline", batch_size, (
        "order", "signed_at", "reader_id", "reader__username", "reader__person__full_name",
        "handed_by_id", "circulation_id", "circulation__carrier__level",
    ))


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
