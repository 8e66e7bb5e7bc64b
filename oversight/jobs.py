"""Periodic jobs of inspections and incidents (SPEC §7 "due inspections and rectifications", §10),
registered in the notifications job registry (NotificationsConfig.ready() autodiscovers this module).

Both are keyset scans over a partial index of the open rows, a fixed number of queries per batch,
idempotent through dedupe keys (unique per recipient) and asking "what is due now", never "since the
last run", so a job that did not run for days catches up in one run:

- ``rectification_reminders`` (daily):
  * an open item due within DUE_SOON_DAYS days → its owner, once per item
    ("rectification_due:<id>");
  * an overdue open item → its owner, once per item per day ("rectification_overdue:<id>:<today>"),
    and 保密办 one digest per day naming the overdue items ("rectification_overdue_digest:<today>"),
    not one notice per item — a department with many late items must not bury the office.
  Ten days without a run send each owner one reminder on the eleventh, not ten.
  Items done and waiting for 保密办's confirmation are not reminded: the owner has done their part.
- ``incident_deadline`` (hourly): an incident not yet reported upward with fewer than
  WARN_HOURS hours left before its 24-hour deadline (REG24 art. 61) → 保密办, once
  ("incident_deadline:<id>:soon"); past the deadline → 保密办, once more ("…:overdue").
"""
import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications.jobs import job, keyset_batches as _keyset
from notifications.services import Message, kick_delivery, notify_many

from .models import SHANGHAI, Incident, IncidentKind, IncidentState, Rectification, RectificationState
from .policy import secrecy_office_users

NOTICE_KIND_DUE = "rectification_due"
NOTICE_KIND_OVERDUE = "rectification_overdue"
NOTICE_KIND_INCIDENT_DEADLINE = "incident_deadline"
DUE_SOON_DAYS = 3
WARN_HOURS = 6
DIGEST_LINES = 20


def _date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def _when(value):
    return f"{timezone.localtime(value, SHANGHAI):%Y-%m-%d %H:%M}"




@job("rectification_reminders", description="整改事项临近期限提醒责任人；逾期的每天提醒责任人并向保密办发送汇总")
def rectification_reminders(*, today, batch_size):
    totals = {"due_soon": 0, "overdue": 0, "notices": 0, "digests": 0}
    # The partial index rectification_open_due_idx (deadline, id) WHERE state = 'open'.
    due = Rectification.objects.filter(state=RectificationState.OPEN,
                                       deadline__lte=today + dt.timedelta(days=DUE_SOON_DAYS))
    digest_lines, digest_count = [], 0
    for batch in _keyset(due, "deadline", batch_size, (
            "number", "owner_id", "owner__username", "owner__person__full_name", "inspection_id",
            "inspection__inspected_on")):
        messages = []
        for r in batch:
            year = r["inspection__inspected_on"].year
            reference = f"保密检查 {year}-{r['inspection_id']:04d} 整改第{r['number']}项"
            link = reverse("inspections:detail", kwargs={"pk": r["inspection_id"]})
            if r["deadline"] >= today:
                days = (r["deadline"] - today).days
                totals["due_soon"] += 1
                messages.append(Message(
                    recipient_id=r["owner_id"], kind=NOTICE_KIND_DUE, link=link,
                    title=f"整改期限临近：{reference}",
                    body=f"您负责的{reference}应于{_date(r['deadline'])}前完成"
                         f"（{'今天到期' if days == 0 else f'还有 {days} 天'}）。请按期整改并在系统中登记整改情况。",
                    dedupe_key=f"rectification_due:{r['id']}",
                ))
                continue
            days = (today - r["deadline"]).days
            totals["overdue"] += 1
            messages.append(Message(
                recipient_id=r["owner_id"], kind=NOTICE_KIND_OVERDUE, link=link,
                title=f"整改逾期：{reference}",
                body=f"您负责的{reference}应于{_date(r['deadline'])}前完成，已逾期 {days} 天。"
                     "请尽快整改并在系统中登记整改情况。",
                dedupe_key=f"rectification_overdue:{r['id']}:{today.isoformat()}",
            ))
            digest_count += 1
            if len(digest_lines) < DIGEST_LINES:
                owner = r["owner__person__full_name"] or r["owner__username"]
                digest_lines.append(f"{reference}：{owner}，应于{_date(r['deadline'])}前完成，已逾期 {days} 天")
        with transaction.atomic():
            totals["notices"] += len(notify_many(messages, kick=False))
    if digest_count:
        more = digest_count - len(digest_lines)
        body = "\n".join(digest_lines) + (f"\n……另有 {more} 项，见保密检查页。" if more > 0 else "")
        link = reverse("inspections:list")
        with transaction.atomic():
            totals["digests"] = len(notify_many([Message(
                recipient_id=user.pk, kind=NOTICE_KIND_OVERDUE, link=link,
                title=f"整改逾期汇总：{digest_count} 项整改事项已逾期", body=body,
                dedupe_key=f"rectification_overdue_digest:{today.isoformat()}",
            ) for user in secrecy_office_users()], kick=False))
    if totals["notices"] or totals["digests"]:
        # One kick for the whole run (after commit); the every-minute delivery run is the safety net.
        transaction.on_commit(kick_delivery)
    return totals


def _now_for(today, now):
    """The moment the job judges by: now — or, for a run simulating a later day (run_job --today),
    the start of that day, so a catch-up run sees the deadlines that day would have seen."""
    now = now or timezone.now()
    if today > timezone.localtime(now, SHANGHAI).date():
        now = dt.datetime.combine(today, dt.time.min, tzinfo=SHANGHAI)
    return now


@job("incident_deadline", description="泄密/丢失事件24小时上报期限：剩余不足6小时或已超期时提醒保密办")
def incident_deadline(*, today, batch_size, now=None):
    now = _now_for(today, now)
    totals = {"soon": 0, "overdue": 0, "notices": 0}
    office = secrecy_office_users()
    # The partial index incident_open_deadline_idx (report_deadline, id) WHERE state = 'open':
    # not yet reported upward (REG24 art. 61).
    due = Incident.objects.filter(state=IncidentState.OPEN, report_deadline__lt=now + dt.timedelta(hours=WARN_HOURS))
    for batch in _keyset(due, "report_deadline", batch_size, ("kind", "level", "discovered_at")):
        messages = []
        for i in batch:
            reference = f"事件 {timezone.localtime(i['discovered_at'], SHANGHAI).year}-{i['id']:04d}"
            word = IncidentKind(i["kind"]).label
            link = reverse("incidents:detail", kwargs={"pk": i["id"]})
            if i["report_deadline"] > now:
                left = (i["report_deadline"] - now).total_seconds() / 3600
                stage, title = "soon", f"{word}事件上报期限临近：{reference}"
                body = (f"{reference}须在{_when(i['report_deadline'])}前向保密行政管理部门和上级主管部门报告，"
                        f"剩余约 {left:.1f} 小时。报告后请在系统中登记上报情况。")
            else:
                late = (now - i["report_deadline"]).total_seconds() / 3600
                stage, title = "overdue", f"{word}事件已超过上报期限：{reference}"
                body = (f"{reference}应于{_when(i['report_deadline'])}前向保密行政管理部门和上级主管部门报告，"
                        f"已超过 {late:.1f} 小时尚未登记上报（《保守国家秘密法实施条例》第六十一条）。请立即报告并登记。")
            totals[stage] += 1
            messages += [Message(recipient_id=user.pk, kind=NOTICE_KIND_INCIDENT_DEADLINE, link=link, title=title,
                                 body=body, level=i["level"], dedupe_key=f"incident_deadline:{i['id']}:{stage}")
                         for user in office]
        with transaction.atomic():
            totals["notices"] += len(notify_many(messages, kick=False))
    if totals["notices"]:
        transaction.on_commit(kick_delivery)
    return totals
