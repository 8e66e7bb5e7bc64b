"""The daily audit summary job (SPEC §10; issue 6): audits writes the summary
(audits.summary.daily_summary_record), and this job, one layer up, tells the 安全审计员 — audits
imports no app above it (ARCHITECTURE.md), so the notice is sent from here. Registered on import
by NotificationsConfig.ready(). Only yesterday is summarised, by design: see audits.summary.
"""
import datetime as dt

from django.db import transaction
from django.urls import reverse

from audits.policy import auditor_ids
from audits.summary import daily_summary_record

from .jobs import job
from .services import notify

NOTICE_KIND = "audit_summary"


def _date_label(day):
    return f"{day.year}年{day.month}月{day.day}日"


@job("audit_daily_summary", description="审计日报：前一日的事件统计和日终链头哈希，写入审计日志并通知安全审计员")
def audit_daily_summary(*, today, batch_size):
    # The counts are grouped queries over the day's indexed `at` range (a fixed number whatever
    # the volume), so there is nothing to batch and batch_size is unused.
    day = today - dt.timedelta(days=1)
    # One transaction for the event and the notices: a run that fails writes neither.
    with transaction.atomic():
        summary = daily_summary_record(day=day)
        if summary is None:
            return {"written": 0, "notified": 0}
        # Counts and the head only, nothing classified, so the inbox may show them (the e-mail
        # says only that something is waiting, like every notice's).
        notices = notify(
            auditor_ids(), kind=NOTICE_KIND, title=f"审计日报（{_date_label(day)}）",
            body=(f"共 {summary.total} 条事件；拒绝访问 {summary.denied} 次；登录失败 {summary.failed_logins} 次；"
                  f"管理员操作 {summary.admin_actions} 次。日终链头：第 {summary.head_seq} 号，"
                  f"哈希 {summary.head_hash}。请抄录链头哈希，用于日后校验审计日志。"),
            link=f"{reverse('audits:summary')}?date={day.isoformat()}",
            dedupe_key=f"audit_summary:{day.isoformat()}",
        )
    return {"written": 1, "notified": len(notices), "events": summary.total, "head_seq": summary.head_seq}
