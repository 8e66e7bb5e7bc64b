"""The daily audit summary job (issue 6): once per day it writes one `audit.daily_summary` event
for the previous day with the day's counts and the chain head at the day's end, and tells the
auditors; a second run writes nothing; a job that missed days writes only yesterday's (see
audits/summary.py for why); and the head it records is what `verify_audit --expect-head` accepts."""
import datetime as dt
import io
import zoneinfo
from contextlib import contextmanager
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from audits import services as audit_services
from audits.models import AuditEvent, AuditResult
from audits.services import record_event
from audits.tests.event_types import declared
from notifications.jobs import run_job
from notifications.models import Notification

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
JOB = "audit_daily_summary"
SUMMARY = "audit.daily_summary"


@contextmanager
def clock(moment):
    # UTC, as timezone.now() gives it (the hash covers at.isoformat()).
    moment = moment.astimezone(dt.timezone.utc)
    with mock.patch.object(audit_services, "timezone", SimpleNamespace(now=lambda: moment)):
        yield


def local(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def at(moment, **kwargs):
    with clock(moment):
        return record_event(**kwargs)


@pytest.fixture
def days(unit):
    """Events around 10 March 2031 (Beijing time): the day itself, the evening before and the
    first minutes after it — the edges are where a UTC/local mix-up would show."""
    before = [at(local(2031, 3, 9, 23, 59, 59), actor=unit.lisi, event=declared("carrier.view"), level=3)]
    day = [
        at(local(2031, 3, 10, 0, 0, 0), actor=unit.lisi, event=declared("carrier.view"), level=3),
        at(local(2031, 3, 10, 7, 30), actor=None, event=declared("auth.login_failed"), result=AuditResult.FAILED,
           target_repr="lisi"),
        at(local(2031, 3, 10, 7, 31), actor=None, event=declared("auth.login_failed"), result=AuditResult.FAILED,
           target_repr="lisi"),
        at(local(2031, 3, 10, 9, 0), actor=unit.zhangsan, event=declared("carrier.denied"), result=AuditResult.DENIED),
        at(local(2031, 3, 10, 10, 0), actor=unit.sysadmin, event=declared("personnel.role_grant"), target_repr="wangwu"),
        at(local(2031, 3, 10, 10, 5), actor=unit.secadmin, event=declared("personnel.role_revoke"), target_repr="wangwu"),
        at(local(2031, 3, 10, 23, 59, 59), actor=unit.lisi, event=declared("carrier.view"), level=4),
    ]
    after = [at(local(2031, 3, 11, 0, 0, 0), actor=unit.mishu, event=declared("carrier.register_in"), level=2)]
    return before, day, after


def summaries():
    return list(AuditEvent.objects.filter(action=SUMMARY).order_by("seq"))


def test_the_job_writes_one_summary_of_yesterday_with_the_right_counts(unit, days):
    _, day, _ = days
    result = run_job(JOB, today=dt.date(2031, 3, 11))
    assert result["written"] == 1
    [event] = summaries()
    assert event.actor is None and event.target_repr == "审计日报 2031-03-10"
    detail = event.detail
    assert detail["date"] == "2031-03-10"
    assert detail["total"] == 7
    assert detail["by_action"] == {"carrier.view": 2, "auth.login_failed": 2, "carrier.denied": 1,
                                   "personnel.role_grant": 1, "personnel.role_revoke": 1}
    assert detail["denied"] == 1
    assert detail["failed_logins"] == 2
    assert detail["admin_actions"] == 2  # sysadmin and secadmin; the readers' acts are not admin acts


def test_the_recorded_head_is_the_last_event_of_that_day(unit, days):
    _, day, after = days
    run_job(JOB, today=dt.date(2031, 3, 11))
    detail = summaries()[0].detail
    last = AuditEvent.objects.get(seq=day[-1].seq)
    assert (detail["head_seq"], detail["head_hash"]) == (last.seq, last.hash)
    # Not the event a second later, on the next day, nor the summary itself.
    assert detail["head_seq"] != after[0].seq


def test_a_second_run_writes_and_notifies_nothing(unit, days):
    run_job(JOB, today=dt.date(2031, 3, 11))
    notices = Notification.objects.filter(kind="audit_summary").count()
    assert run_job(JOB, today=dt.date(2031, 3, 11)) == {"written": 0, "notified": 0}
    assert len(summaries()) == 1
    assert Notification.objects.filter(kind="audit_summary").count() == notices == 1


def test_a_job_that_missed_days_writes_only_yesterday(unit, days):
    # Ran on the 11th for the 10th, then not again until the 15th.
    run_job(JOB, today=dt.date(2031, 3, 11))
    run_job(JOB, today=dt.date(2031, 3, 15))
    assert [e.detail["date"] for e in summaries()] == ["2031-03-10", "2031-03-14"]


def test_the_auditors_are_told_with_a_link_to_the_summary(unit, days):
    run_job(JOB, today=dt.date(2031, 3, 11))
    [notice] = Notification.objects.filter(kind="audit_summary")
    assert notice.recipient == unit.auditor
    assert notice.dedupe_key == "audit_summary:2031-03-10"
    assert notice.link == f"{reverse('audits:summary')}?date=2031-03-10"
    head = summaries()[0].detail["head_hash"]
    assert head in notice.body and "审计日报（2031年3月10日）" == notice.title
    # Nobody else hears of it (the two other admins included).
    assert not Notification.objects.filter(kind="audit_summary").exclude(recipient=unit.auditor).exists()


def test_verify_audit_accepts_the_head_printed_in_the_summary(unit, days):
    run_job(JOB, today=dt.date(2031, 3, 11))
    head = summaries()[0].detail["head_hash"]
    # Later events do not matter: the printed head must still be in the log, wherever.
    record_event(actor=unit.lisi, event=declared("carrier.view"), level=2)
    out = io.StringIO()
    call_command("verify_audit", "--expect-head", head, stdout=out)
    assert "审计日志完整" in out.getvalue()
    with pytest.raises(CommandError, match="未找到日报中记录的链头哈希"):
        call_command("verify_audit", "--expect-head", "f" * 64, stdout=io.StringIO())


def test_the_summary_page_shows_the_recorded_head_and_that_it_still_matches(client, unit, days):
    run_job(JOB, today=dt.date(2031, 3, 11))
    client.force_login(unit.auditor)
    response = client.get(reverse("audits:summary"), {"date": "2031-03-10"})
    body = response.content.decode()
    recorded = summaries()[0]
    assert f"第 {recorded.seq} 号事件" in body and recorded.detail["head_hash"] in body
    assert "与日志中该事件的哈希一致" in body


def test_a_day_without_events_still_gets_a_summary_naming_the_head_it_ended_with(unit, days):
    _, _, after = days
    run_job(JOB, today=dt.date(2031, 3, 13))  # the 12th: nothing happened
    detail = summaries()[0].detail
    assert detail["total"] == 0 and detail["by_action"] == {}
    assert detail["head_seq"] == after[0].seq
