"""The daily audit summary (SPEC §10; issue 6), a periodic job in the notifications registry
(NotificationsConfig.ready autodiscovers <app>/jobs.py; only this plug-in module of audits looks
up to notifications, the log itself never does).

Once a day (beat entry "audit-daily-summary", 01:00 Beijing time) the job writes one
`audit.daily_summary` event for the previous day: its counts and the chain head when it ended
(seq and hash of the last event before midnight). That hash is the one `verify_audit
--expect-head` takes: the auditor copies it out of the system (the summary page, the notice), and
a log later cut off or rebuilt from scratch no longer contains it.

Catching up: only the previous day, by design. A summary is worth something because it witnesses
the head soon after the day ended; one back-filled days later would be computed from a log that
could have been rewritten in between, and would lend that rewrite a summary it never had. A day
the job missed therefore stays visibly without a recorded summary (the page still computes it on
demand, marked as not recorded). Idempotent: nothing happens when the day's event exists, and the
notice carries the dedupe key "audit_summary:<date>".

Issue 11 §4: the head also goes outside the database, one line a day appended to the heads file
(audits.chain.append_head; `verify_audit --heads` checks them all), and the auditor prints the
summary with the head on it to sign (audits.views.summary_pdf).
"""
import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from notifications.jobs import job
from notifications.services import notify
from personnel.models import Role

from .chain import append_head
from .models import AuditHead
from .selectors import DAILY_SUMMARY_ACTION, day_summary, recorded_summary
from .services import record_event

NOTICE_KIND = "audit_summary"


def _date_label(day):
    return f"{day.year}年{day.month}月{day.day}日"


@job("audit_daily_summary", description="审计日报：前一日的事件统计和日终链头哈希，写入审计日志并通知安全审计员")
def audit_daily_summary(*, today, batch_size):
    # The counts are grouped queries over the day's indexed `at` range (a fixed number whatever
    # the volume), so there is nothing to batch and batch_size is unused.
    day = today - dt.timedelta(days=1)
    with transaction.atomic():
        # Two runs racing (beat catching up while someone runs the command) queue on the chain
        # head's lock, so the second sees the first one's event and writes nothing.
        AuditHead.objects.select_for_update().filter(pk=1).first()
        if recorded_summary(day) is not None:
            return {"written": 0, "notified": 0}
        summary = day_summary(day)
        record_event(actor=None, action=DAILY_SUMMARY_ACTION, target_repr=f"审计日报 {day.isoformat()}",
                     detail=summary.as_detail())
        # The day's head is an event committed before midnight, so the line is true whether or
        # not this transaction commits; a rolled-back run that is retried appends the same line
        # again, which verification accepts. An empty log has no head to anchor.
        if summary.head_seq:
            append_head(day, summary.head_seq, summary.head_hash, summary.head_alg)
        auditors = get_user_model().objects.filter(is_active=True, groups__name=Role.AUDITOR).values_list(
            "pk", flat=True)
        # Counts and the head only, nothing classified, so the inbox may show them (the e-mail
        # says only that something is waiting, like every notice's).
        notices = notify(
            list(auditors), kind=NOTICE_KIND, title=f"审计日报（{_date_label(day)}）",
            body=(f"共 {summary.total} 条事件；拒绝访问 {summary.denied} 次；登录失败 {summary.failed_logins} 次；"
                  f"管理员操作 {summary.admin_actions} 次。日终链头：第 {summary.head_seq} 号，"
                  f"哈希 {summary.head_hash}。请抄录链头哈希，用于日后校验审计日志。"),
            link=f"{reverse('audits:summary')}?date={day.isoformat()}",
            dedupe_key=f"audit_summary:{day.isoformat()}",
        )
    return {"written": 1, "notified": len(notices), "events": summary.total, "head_seq": summary.head_seq}
