"""Personnel reminders (issue 5 acceptance 3; SPEC §7, §8): once per person and period, catching up
after downtime, a fixed number of queries per batch."""
import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import AuditEvent
from conftest import make_user
from notifications.jobs import run_job
from notifications.models import Notification
from personnel.models import LeaveKind, Person, PersonStatus, Role
from personnel.services_leave import leave_approve, leave_open, leave_record_talk, leave_sign_commitment
from personnel.services_records import person_review_record, training_record


def notices(user, kind):
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("pk"))


@pytest.fixture
def trained(unit):
    """Everyone on post but zhangsan (2 h) has their 4 hours for 2026."""
    day = dt.date(2026, 6, 1)
    for name in ("mishu", "zhuren", "lingdao", "lisi"):
        training_record(actor=unit.baomi, person=unit[name].person, trained_on=day, hours=4, topic="保密形势教育",
                        organiser="保密办", today=day)
    training_record(actor=unit.baomi, person=unit.zhangsan.person, trained_on=day, hours=2, topic="保密法",
                    organiser="保密办", today=day)
    # baomi's own hours are recorded by the security admin (nobody records their own).
    other = make_user("baomi2", department=unit.secrecy_office, roles=[Role.SECRECY_OFFICE], person_class="general")
    for person in (unit.baomi.person, other.person):
        training_record(actor=unit.baomi if person.user_id != unit.baomi.pk else other, person=person, trained_on=day,
                        hours=4, topic="保密形势教育", organiser="保密办", today=day)
    return unit


def test_a_person_short_of_hours_on_1_november_gets_one_reminder_not_two(trained):
    unit = trained
    result = run_job("training_reminders", today=dt.date(2026, 10, 31))
    assert result["before_check_day"] and not notices(unit.zhangsan, "personnel.training_short")
    first = run_job("training_reminders", today=dt.date(2026, 11, 1))
    assert first["notices"] == 1
    [notice] = notices(unit.zhangsan, "personnel.training_short")
    assert "2026年度" in notice.title and "已完成 2 学时" in notice.body and "不少于 4 学时" in notice.body
    # 保密办 gets a digest naming them.
    [digest] = notices(unit.baomi, "personnel.training_short")
    assert "张" in digest.body or "zhangsan" in digest.body
    before = (Notification.objects.count(), AuditEvent.objects.count())
    second = run_job("training_reminders", today=dt.date(2026, 11, 1))
    assert second["notices"] == 0 and second["digests"] == 0
    third = run_job("training_reminders", today=dt.date(2026, 11, 2))
    assert third["notices"] == 0 and third["digests"] == 0
    assert (Notification.objects.count(), AuditEvent.objects.count()) == before
    # Nobody with their hours was reminded (wangwu holds no secret post).
    assert not Notification.objects.filter(kind="personnel.training_short").exclude(
        recipient__in=[unit.zhangsan, unit.baomi, get_user_model().objects.get(username="baomi2")]).exists()


def test_training_reminder_catches_up_after_ten_dead_days_once(trained):
    unit = trained
    run_job("training_reminders", today=dt.date(2026, 11, 10))
    assert len(notices(unit.zhangsan, "personnel.training_short")) == 1
    run_job("training_reminders", today=dt.date(2026, 11, 11))
    assert len(notices(unit.zhangsan, "personnel.training_short")) == 1
    # Next year it counts again.
    run_job("training_reminders", today=dt.date(2027, 11, 1))
    assert len(notices(unit.zhangsan, "personnel.training_short")) == 2


def test_the_check_date_and_hours_are_configurable(trained, settings):
    settings.SECRECY = {**settings.SECRECY, "TRAINING_CHECK_DATE": "09-15", "TRAINING_HOURS_PER_YEAR": 5}
    run_job("training_reminders", today=dt.date(2026, 9, 15))
    short = set(Notification.objects.filter(kind="personnel.training_short", dedupe_key="training_short:2026")
                .values_list("recipient__username", flat=True))
    assert short == {"mishu", "zhuren", "lingdao", "lisi", "zhangsan", "baomi", "baomi2"}


def test_review_reminder_once_per_due_date_and_catches_up(unit):
    # Demo reviews were on 2025-03-01; 核心 every year → due 2026-03-01 (overdue by now),
    # 重要 every 3 years → 2028-03-01, 一般 every 5 years → 2030-03-01.
    today = dt.date(2026, 11, 30)
    result = run_job("review_reminders", today=today)
    reminded = set(Notification.objects.filter(kind="personnel.review_due", dedupe_key__startswith="review_due:")
                   .values_list("recipient__username", flat=True))
    assert reminded == {"mishu", "zhuren"}
    [notice] = notices(unit.mishu, "personnel.review_due")
    assert "已逾期" in notice.title and "2026年3月1日" in notice.title
    digest = Notification.objects.get(recipient=unit.baomi, kind="personnel.review_due")
    assert "2 人" in digest.title
    assert result["notices"] == 2
    before = Notification.objects.count()
    assert run_job("review_reminders", today=today)["notices"] == 0
    assert run_job("review_reminders", today=today + dt.timedelta(days=10))["notices"] == 0
    assert Notification.objects.count() == before
    # A new review moves the due date; the next one is reminded again when it comes near.
    person_review_record(actor=unit.baomi, person=unit.mishu.person, reviewed_on=today, passed=True, today=today)
    assert run_job("review_reminders", today=today)["notices"] == 0
    run_job("review_reminders", today=dt.date(2027, 11, 1))
    assert len(notices(unit.mishu, "personnel.review_due")) == 2


def test_review_due_within_the_reminder_window_is_reminded_once(unit):
    # lisi (重要, 3 years) is due 2028-03-01: 30 days before that is 2028-01-31.
    run_job("review_reminders", today=dt.date(2028, 1, 30))
    assert not notices(unit.lisi, "personnel.review_due")
    run_job("review_reminders", today=dt.date(2028, 1, 31))
    [notice] = notices(unit.lisi, "personnel.review_due")
    assert "即将到期" in notice.title


def _leave(unit, person, kind, day):
    leave = leave_open(actor=unit.baomi, person=person, kind=kind, reason="调离", planned_on=day, today=day)
    leave = leave_record_talk(actor=unit.baomi, leave=leave, talk_on=day, talk_note="要点", today=day)
    leave = leave_sign_commitment(actor=unit.baomi, leave=leave, signed_on=day, today=day)
    return leave_approve(actor=unit.zhuren, leave=leave, today=day)


def test_declassify_period_end_is_reminded_then_the_status_changes_once(unit):
    start = dt.date(2026, 1, 10)
    _leave(unit, unit.zhangsan.person, LeaveKind.LEAVE_UNIT, start)   # 一般: ends 2027-01-10
    _leave(unit, unit.lisi.person, LeaveKind.LEAVE_POST, start)       # 重要: ends 2028-01-10
    run_job("declassify_period", today=dt.date(2026, 12, 10))
    assert not notices(unit.baomi, "personnel.declassify_period")
    run_job("declassify_period", today=dt.date(2026, 12, 11))
    [soon] = notices(unit.baomi, "personnel.declassify_period")
    assert "将于2027年1月10日届满" in soon.title
    run_job("declassify_period", today=dt.date(2026, 12, 12))
    assert len(notices(unit.baomi, "personnel.declassify_period")) == 1
    # Ten days of downtime across the end date: one run catches up.
    result = run_job("declassify_period", today=dt.date(2027, 1, 20))
    assert result["ended"] == 1
    assert Person.objects.get(pk=unit.zhangsan.person.pk).status == PersonStatus.LEFT
    assert Person.objects.get(pk=unit.lisi.person.pk).status == PersonStatus.DECLASSIFYING
    before = (Notification.objects.count(), AuditEvent.objects.count())
    assert run_job("declassify_period", today=dt.date(2027, 1, 20)) == {"reminded": 0, "ended": 0}
    assert (Notification.objects.count(), AuditEvent.objects.count()) == before
    run_job("declassify_period", today=dt.date(2028, 1, 10))
    assert Person.objects.get(pk=unit.lisi.person.pk).status == PersonStatus.CLEARED_OUT


@pytest.mark.parametrize("job", ["training_reminders", "review_reminders", "declassify_period"])
def test_jobs_scan_with_a_bounded_number_of_queries(unit, job, settings):
    def queries_for(extra):
        for i in range(extra):
            make_user(f"p{job[:3]}{extra}_{i}", department=unit.business, roles=[Role.READER], person_class="core")
        Notification.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            run_job(job, today=dt.date(2026, 11, 30), batch_size=500)
        return len(captured)

    small = queries_for(3)
    large = queries_for(60)
    assert large == small
