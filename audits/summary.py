"""The daily audit summary (SPEC §10; issue 6), written by the periodic job audit_daily_summary.
The job lives in notifications (notifications.jobs_audit), which also tells the auditors: audits
imports no app above it, so it only writes.

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
from django.db import transaction

from .chain import append_head
from .models import AuditHead
from .events import DAILY_SUMMARY
from .selectors import day_summary, recorded_summary
from .services import record_event


@transaction.atomic
def daily_summary_record(*, day):
    """Write the day's audit.daily_summary event and append its head to the heads file; returns
    the DaySummary, or None when the day's summary is already recorded (nothing is written)."""
    # Two runs racing (beat catching up while someone runs the command) queue on the chain
    # head's lock, so the second sees the first one's event and writes nothing.
    AuditHead.objects.select_for_update().filter(pk=1).first()
    if recorded_summary(day) is not None:
        return None
    summary = day_summary(day)
    record_event(actor=None, event=DAILY_SUMMARY, target_repr=f"审计日报 {day.isoformat()}",
                 detail=summary.as_detail())
    # The day's head is an event committed before midnight, so the line is true whether or
    # not this transaction commits; a rolled-back run that is retried appends the same line
    # again, which verification accepts. An empty log has no head to anchor.
    if summary.head_seq:
        append_head(day, summary.head_seq, summary.head_hash, summary.head_alg)
    return summary
