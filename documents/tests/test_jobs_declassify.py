"""Expiry jobs (issue 4 acceptance 2, 3, 4; SPEC §7; LAW24 art. 24): a carrier whose period ended
yesterday is declassified by `declassify_expired` — status, mark in the registers, change history,
custody log, audit log and notices all show it — and `expiry_reminders` tells the 定密责任人 once,
30 days ahead. Both jobs create nothing twice, catch up after downtime in one run, and cost a fixed
number of queries per batch whatever the number of due carriers."""
import datetime as dt
import io
from unittest import mock

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from audits.models import AuditEvent
from audits.chain import event_hash, event_payload
from audits.services import record_event
from audits.tests.event_types import declared
from conftest import make_user
from documents import jobs_declassify  # noqa: F401 — registers the jobs until documents/jobs.py imports it
from documents import services, services_declassify
from documents.models import Carrier, CustodyAction, CustodyEvent, SecrecyStatus
from documents.services import local_today
from documents.events import DECLASSIFY_EXPIRED
from documents.services_declassify import CHANGE_REASON, SYSTEM_USERNAME
from documents.tests.factories import CarrierFactory
from notifications import tasks
from notifications.jobs import registered_jobs, run_job
from notifications.models import Notification, OutboxEmail
from notifications.tests.helpers import give_addresses
from personnel.models import Role
from secrecy import printing
from secrecy.levels import PeriodKind


def days(n):
    return local_today() + dt.timedelta(days=n)


def expiring(register_carrier, *, term_days, outgoing=True, start=None, **fields):
    """A carrier registered today whose period is `term_days` days from `start` (default today):
    its last secret day is declassify_on = start + term_days."""
    start = start or local_today()
    carrier = register_carrier(outgoing=outgoing, period_kind="term", period_value=term_days, period_unit="day",
                               doc_date=start, start_date=start, **fields)
    assert carrier.declassify_on == start + dt.timedelta(days=term_days)
    return carrier


def notices(user, kind=None):
    rows = Notification.objects.filter(recipient=user).order_by("id")
    return list(rows.filter(kind=kind) if kind else rows)


def footprint():
    """Everything a run may write, counted."""
    return (
        Notification.objects.count(), OutboxEmail.objects.count(), AuditEvent.objects.count(),
        CustodyEvent.objects.count(), Carrier.history.count(),
        Carrier.objects.filter(secrecy_status=SecrecyStatus.DECLASSIFIED).count(),
    )


def flat(text):
    return "".join(text.split())


def assert_audit_chain_intact():
    previous = "0" * 64
    for seq, event in enumerate(AuditEvent.objects.order_by("seq"), start=1):
        assert event.seq == seq and event.prev_hash == previous
        assert event.hash == event_hash(previous, event_payload(event)), f"event #{seq} does not hash"
        previous = event.hash


# ------------------------------------------------------------------------- declassify_expired


def digest_of(user):
    [digest] = notices(user, "declassified_digest")
    return digest


def listed(client, user, link):
    """The serials the digest's link lists for `user` (the carrier list page, as they see it)."""
    client.force_login(user)
    response = client.get(link)
    assert response.status_code == 200
    return response.content.decode()


def test_a_carrier_whose_period_ended_yesterday_is_declassified(unit, register_carrier, client):
    carrier = expiring(register_carrier, term_days=10, level=3)
    assert carrier.mark == "机密★10日"
    expires = carrier.declassify_on

    assert run_job("declassify_expired", today=expires) == {"declassified": 0, "notices": 0}, \
        "declassify_on is the last secret day: an extension may still be decided on it"
    run_day = expires + dt.timedelta(days=1)
    result = run_job("declassify_expired", today=run_day)

    assert result == {"declassified": 1, "notices": 3}
    carrier.refresh_from_db()
    assert carrier.secrecy_status == SecrecyStatus.DECLASSIFIED
    assert carrier.mark == "机密★10日（已解密）"
    assert carrier.level == 3, "the recorded level stays (the mark says it was 机密)"

    # Change history: one row by the system, with the reason, 涉密 → 已解密.
    latest, before = carrier.history.order_by("-history_date", "-history_id")[:2]
    assert latest.history_change_reason == CHANGE_REASON
    assert latest.history_user.username == SYSTEM_USERNAME and latest.history_type == "~"
    assert [(c.field, c.old, c.new) for c in latest.diff_against(before).changes] == [
        ("secrecy_status", SecrecyStatus.CLASSIFIED, SecrecyStatus.DECLASSIFIED)]

    # Custody log and audit log.
    row = CustodyEvent.objects.filter(carrier=carrier).latest("id")
    assert row.action == CustodyAction.STATUS_CHANGED and row.recorded_by.username == SYSTEM_USERNAME
    assert row.note == f"保密期限于{expires.year}年{expires.month}月{expires.day}日届满，自行解密（《保守国家秘密法》第二十四条）"
    [event] = AuditEvent.objects.filter(action=DECLASSIFY_EXPIRED.action)
    assert (event.target_id, event.level, event.actor_username) == (carrier.pk, 3, SYSTEM_USERNAME)
    assert event.target_repr == str(carrier)
    assert event.detail == {"declassify_on": expires.isoformat(), "mark": "机密★10日（已解密）",
                            "run_date": run_day.isoformat()}
    assert_audit_chain_intact()

    # Notices: one digest each to the custodian (the registrar who holds it), the 定密责任人 and
    # 保密办 — nobody else; none names the carrier, each links to the run's list.
    to_custodian, to_classifier, to_office = digest_of(unit.mishu), digest_of(unit.zhuren), digest_of(unit.baomi)
    link = f"/carriers/?declassified_on={run_day.isoformat()}"
    assert {to_custodian.link, to_classifier.link, to_office.link} == {link}
    assert "您保管的 1 件" in to_custodian.body and to_custodian.level == 3
    assert "您作为定密责任人确定的 1 件" in to_classifier.body
    # baomi is outside its 知悉范围: the digest counts it and never names it (issue 11 §7).
    assert "1 件不在您的知悉范围" in to_office.body and to_office.level is None
    assert Notification.objects.count() == 3
    texts = " ".join(n.title + n.body for n in Notification.objects.all())
    assert carrier.serial not in texts and carrier.title not in texts, "digests name no carrier"

    # The link opens the carrier list, with the visibility rule applied when it is opened.
    assert carrier.serial in listed(client, unit.mishu, link)
    assert carrier.serial not in listed(client, unit.baomi, link)

    # The detail page shows the new mark and the history entry.
    client.force_login(unit.mishu)
    page = client.get(carrier.get_absolute_url()).content.decode()
    assert "机密★10日（已解密）" in page and CHANGE_REASON in page and "已解密" in page
    assert '<span class="history-type">解密</span>' in page


@pytest.mark.parametrize("name", ["ledger", "outgoing"])
def test_the_registers_print_the_declassified_mark(unit, register_carrier, name):
    carrier = expiring(register_carrier, term_days=3, level=2)
    kept = expiring(register_carrier, term_days=300, level=2, copy_number=8)
    run_job("declassify_expired", today=carrier.declassify_on + dt.timedelta(days=1))

    _, pdf, _ = printing.produce(user=unit.mishu, name=name, fmt="pdf")
    text = flat("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    assert "秘密★3日（已解密）" in text
    assert "秘密★300日" in text and "秘密★300日（已解密）" not in text, kept.serial

    _, xlsx, _ = printing.produce(user=unit.mishu, name=name, fmt="xlsx")
    cells = [str(v) for row in openpyxl.load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True)
             for v in row if v is not None]
    assert "秘密★3日（已解密）" in cells and "秘密★300日" in cells


def test_only_classified_carriers_with_a_passed_date_are_touched(unit, register_carrier):
    due = expiring(register_carrier, term_days=5)
    later = expiring(register_carrier, term_days=6, copy_number=8)
    condition = register_carrier(period_kind=PeriodKind.CONDITION, declassify_condition="会议结束后", copy_number=9)
    work = register_carrier(level=1, copy_number=10)

    result = run_job("declassify_expired", today=days(6))

    assert result["declassified"] == 1
    statuses = dict(Carrier.objects.values_list("pk", "secrecy_status"))
    assert statuses == {due.pk: SecrecyStatus.DECLASSIFIED, later.pk: SecrecyStatus.CLASSIFIED,
                        condition.pk: SecrecyStatus.CLASSIFIED, work.pk: SecrecyStatus.CLASSIFIED}


def test_running_declassify_twice_creates_nothing_twice(unit, register_carrier):
    expiring(register_carrier, term_days=2)
    expiring(register_carrier, term_days=3, copy_number=8)

    first = run_job("declassify_expired", today=days(5))
    after_first = footprint()
    second = run_job("declassify_expired", today=days(5))
    third = run_job("declassify_expired", today=days(6))

    assert first == {"declassified": 2, "notices": 3}, "one digest each: custodian, 定密责任人, 保密办"
    assert second == third == {"declassified": 0, "notices": 0}
    assert footprint() == after_first


def test_ten_days_of_downtime_are_declassified_once_in_one_run(unit, register_carrier):
    carriers = [expiring(register_carrier, term_days=n, copy_number=20 + n) for n in range(1, 11)]
    future = expiring(register_carrier, term_days=11, copy_number=40)
    run_job("declassify_expired", today=days(1))  # the last run before the outage: nothing due yet

    result = run_job("declassify_expired", today=days(11))  # back after ten days

    assert result == {"declassified": 10, "notices": 3}
    assert set(Carrier.objects.filter(secrecy_status=SecrecyStatus.DECLASSIFIED).values_list("pk", flat=True)) \
        == {c.pk for c in carriers}
    assert "您作为定密责任人确定的 10 件" in digest_of(unit.zhuren).body
    assert "本单位本次共 10 件" in digest_of(unit.baomi).body
    assert AuditEvent.objects.filter(action=DECLASSIFY_EXPIRED.action).count() == 10
    assert run_job("declassify_expired", today=days(12)) == {"declassified": 1, "notices": 3}
    future.refresh_from_db()
    assert future.is_declassified
    assert len(notices(unit.zhuren)) == 2, "one digest per run"
    assert_audit_chain_intact()


def test_a_custodian_of_120_carriers_gets_one_notice_that_names_none_of_them(unit, client):
    """Issue 12: 10,000 carriers of one custodian give one notice, not 10,000 (120 here, in
    batches of 7, so the run crosses seventeen batch boundaries)."""
    carriers = bulk_due(unit, 120, expired_on=days(-1))
    # 保密办 may see the first 100 (知悉范围); the last 20 do not exist for baomi. The 定密责任人
    # (zhuren) sees none of them: not in scope, not holding them.
    from documents.tests.factories import bulk_user_grants
    bulk_user_grants([(unit.baomi, c) for c in carriers[:100]])

    result = run_job("declassify_expired", today=days(0), batch_size=7)

    assert result == {"declassified": 120, "notices": 3}
    custodian, classifier, office = digest_of(unit.lisi), digest_of(unit.zhuren), digest_of(unit.baomi)
    assert "120 件" in custodian.title and "您保管的 120 件" in custodian.body
    assert "您作为定密责任人确定的 120 件" in classifier.body
    assert "本单位本次共 120 件，其中 20 件不在您的知悉范围" in office.body
    serials = {c.serial for c in carriers}
    for digest in (custodian, classifier, office):
        assert not any(serial in digest.title + digest.body for serial in serials)

    # What each of them finds behind the link: exactly the run's carriers they may see.
    filters = {"declassified_on": days(0).isoformat()}
    from documents import selectors
    assert selectors.carrier_count_visible_to(user=unit.lisi, filters=filters) == (120, True)
    assert selectors.carrier_count_visible_to(user=unit.baomi, filters=filters) == (100, True)
    assert selectors.carrier_count_visible_to(user=unit.zhuren, filters=filters) == (0, True)
    page = listed(client, unit.baomi, office.link)
    assert carriers[99].serial in page
    assert not any(c.serial in page for c in carriers[100:]), "out of scope: absent from baomi's list"
    assert not any(c.serial in listed(client, unit.zhuren, classifier.link) for c in carriers)

    # A rerun the same day sends nothing new.
    before = footprint()
    assert run_job("declassify_expired", today=days(0), batch_size=7) == {"declassified": 0, "notices": 0}
    assert footprint() == before


def test_a_batch_that_fails_changes_nothing_and_the_run_is_reported_once_after_the_rerun(unit, monkeypatch):
    carriers = bulk_due(unit, 25, expired_on=days(-1))
    real_append = services_declassify.append_events
    calls = []

    def failing_third_batch(events):
        calls.append(len(events))
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return real_append(events)

    monkeypatch.setattr(services_declassify, "append_events", failing_third_batch)
    with pytest.raises(RuntimeError):
        run_job("declassify_expired", today=days(0), batch_size=10)

    # The two batches before the failure are done and recorded; the failed batch left no trace:
    # its carriers are still 涉密, with no history, custody or audit row — and nobody was told yet.
    declassified = set(Carrier.objects.filter(secrecy_status=SecrecyStatus.DECLASSIFIED).values_list("pk", flat=True))
    assert declassified == {c.pk for c in carriers[:20]}
    rest = [c.pk for c in carriers[20:]]
    assert not CustodyEvent.objects.filter(carrier_id__in=rest).exists()
    assert not Carrier.history.filter(id__in=rest).exists()
    assert not AuditEvent.objects.filter(action=DECLASSIFY_EXPIRED.action, target_id__in=rest).exists()
    assert AuditEvent.objects.filter(action=DECLASSIFY_EXPIRED.action).count() == 20
    assert not Notification.objects.exists()

    monkeypatch.setattr(services_declassify, "append_events", real_append)
    assert run_job("declassify_expired", today=days(0), batch_size=10) == {"declassified": 5, "notices": 3}
    # One digest per recipient for the day, covering the failed run's carriers too.
    assert "您保管的 25 件" in digest_of(unit.lisi).body
    assert "本单位本次共 25 件" in digest_of(unit.baomi).body
    assert run_job("declassify_expired", today=days(0), batch_size=10) == {"declassified": 0, "notices": 0}
    assert_audit_chain_intact()


def test_a_failed_run_is_reported_by_the_next_days_run(unit, monkeypatch):
    carriers = bulk_due(unit, 15, expired_on=days(-1))
    monkeypatch.setattr(services_declassify, "declassified_digests_send",
                        mock.Mock(side_effect=RuntimeError("worker killed")))
    with pytest.raises(RuntimeError):
        run_job("declassify_expired", today=days(0))
    assert Carrier.objects.filter(secrecy_status=SecrecyStatus.DECLASSIFIED).count() == 15
    monkeypatch.undo()

    later = bulk_due(unit, 4, expired_on=days(0))
    assert run_job("declassify_expired", today=days(1)) == {"declassified": 4, "notices": 6}
    first, second = notices(unit.lisi)
    assert "您保管的 15 件" in first.body and first.link.endswith(days(0).isoformat())
    assert "您保管的 4 件" in second.body and second.link.endswith(days(1).isoformat())
    assert later and run_job("declassify_expired", today=days(1)) == {"declassified": 0, "notices": 0}


def test_after_the_upgrade_what_per_carrier_notices_told_is_not_reported_again(unit):
    """An installation whose earlier runs notified per carrier (before issue 12): its first digest
    covers only what was declassified after the last of those notices."""
    from notifications.services import Message, notify_many

    old = bulk_due(unit, 3, expired_on=days(-2))
    # The old job: declassified, then one notice per carrier in the same transaction.
    rows = services_declassify.carriers_declassify_batch(
        today=days(-1), ids=[c.pk for c in old], actor=services_declassify.system_actor())
    notify_many([Message(recipient_id=unit.lisi.pk, kind="declassified", title=f"载体已自行解密：{c.serial}",
                         target=("documents.carrier", c.pk), dedupe_key=f"declassified:{c.pk}:x") for c in old])
    assert len(rows) == 3
    bulk_due(unit, 2, expired_on=days(-1))

    assert run_job("declassify_expired", today=days(0)) == {"declassified": 2, "notices": 3}
    assert "您保管的 2 件" in digest_of(unit.lisi).body


def test_inactive_and_admin_accounts_get_nothing(unit, register_carrier):
    gone = make_user("gone", department=unit.secrecy_office, roles=[Role.SECRECY_OFFICE], person_class="general")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    carrier = expiring(register_carrier, term_days=1)
    # Even as the recorded custodian, an administrator is never told about a carrier (SPEC §1).
    Carrier.objects.filter(pk=carrier.pk).update(custodian=unit.sysadmin)
    run_job("declassify_expired", today=days(2))
    assert not notices(gone) and not notices(unit.auditor) and not notices(unit.sysadmin)
    assert not Notification.objects.filter(recipient__username=SYSTEM_USERNAME).exists()
    assert {n.recipient.username for n in Notification.objects.all()} == {"zhuren", "baomi"}


def test_the_audit_chain_stays_intact_around_a_bulk_append(unit, register_carrier):
    expiring(register_carrier, term_days=1)
    expiring(register_carrier, term_days=1, copy_number=8)
    run_job("declassify_expired", today=days(2))
    record_event(actor=unit.mishu, event=declared("test.after"), target=None)
    assert_audit_chain_intact()


def test_the_celery_task_runs_the_expiry_jobs(unit, register_carrier):
    carrier = expiring(register_carrier, term_days=1)
    tasks.run_job.delay("declassify_expired", days(2).isoformat()).get()
    tasks.run_job.delay("declassify_expired", days(2).isoformat()).get()
    carrier.refresh_from_db()
    assert carrier.is_declassified and Notification.objects.count() == 3, "one digest each, once"


def test_both_jobs_are_registered():
    names = {j.name for j in registered_jobs()}
    assert {"declassify_expired", "expiry_reminders"} <= names


# ---------------------------------------------------------------------------- expiry_reminders


def test_a_carrier_due_in_30_days_reminds_its_classifier_exactly_once(unit, register_carrier):
    carrier = expiring(register_carrier, term_days=40, level=3)  # last secret day: day 40

    for day in range(0, 45):
        for _ in range(2):  # twice a day, every day, through expiry and beyond
            run_job("expiry_reminders", today=days(day))
        if day == 9:
            assert not Notification.objects.exists(), "31 days ahead is too early"
        if day == 10:
            assert len(notices(unit.zhuren)) == 1, "due exactly 30 days ahead"

    [reminder] = notices(unit.zhuren)
    link = f"/carriers/?expires_on={carrier.declassify_on.isoformat()}&secrecy_status=classified"
    assert (reminder.kind, reminder.level, reminder.link) == ("expiry_reminder", 3, link)
    assert "1 件" in reminder.title and "30 天后" in reminder.body and "延长" in reminder.body
    assert carrier.serial not in reminder.title + reminder.body and carrier.title not in reminder.title + reminder.body
    assert Notification.objects.count() == 1, "the 定密责任人 only"
    # The link lists the carrier to whoever may see it (here its registrar), and to nobody else.
    from documents import selectors
    filters = {"expires_on": carrier.declassify_on.isoformat(), "secrecy_status": "classified"}
    assert [c.pk for c in selectors.carrier_list_visible_to(user=unit.mishu, filters=filters)] == [carrier.pk]
    assert not selectors.carrier_list_visible_to(user=unit.lisi, filters=filters).exists()


def test_the_reminder_days_are_configurable(unit, register_carrier, settings):
    settings.SECRECY = {**settings.SECRECY, "EXPIRY_REMINDER_DAYS": 7}
    expiring(register_carrier, term_days=20)
    assert run_job("expiry_reminders", today=days(12))["notices"] == 0
    assert run_job("expiry_reminders", today=days(13))["notices"] == 1


def test_a_changed_period_reminds_again_once(unit, register_carrier):
    carrier = expiring(register_carrier, term_days=20)
    run_job("expiry_reminders", today=days(0))
    # The extension is a 密级变更 decided by the 定密责任人 (a correction cannot change the period).
    from approvals import services as approval_services
    from approvals.kinds import reclassify as reclassifying
    request = reclassifying.reclassify_request_create(
        actor=unit.mishu, carrier=carrier, change_type="extend", period_kind="term", period_value=25,
        period_unit="day", reason="按来文通知延长", change_basis="上级通知")
    approval_services.request_decide(actor=unit.zhuren, request=request, approve=True)
    run_job("expiry_reminders", today=days(1))
    run_job("expiry_reminders", today=days(2))
    first, second = notices(unit.zhuren, kind="expiry_reminder")
    assert f"{days(20).month}月{days(20).day}日" in first.body
    assert f"{days(25).month}月{days(25).day}日" in second.body


def test_reminders_catch_up_after_downtime_once(unit, register_carrier):
    opened_during_outage = expiring(register_carrier, term_days=35)    # window opens on day 5
    expired_during_outage = expiring(register_carrier, term_days=8, copy_number=8)
    later = expiring(register_carrier, term_days=60, copy_number=9)
    run_job("expiry_reminders", today=days(0))  # the last run before the outage
    [early] = notices(unit.zhuren)
    assert early.link.startswith(f"/carriers/?expires_on={expired_during_outage.declassify_on.isoformat()}&")

    result = run_job("expiry_reminders", today=days(10))  # first run after ten days down

    assert result == {"expiring": 1, "notices": 1}, "past its end, a carrier is declassify_expired's business"
    early_again, reminder = notices(unit.zhuren)
    assert early_again == early
    assert reminder.link.startswith(f"/carriers/?expires_on={opened_during_outage.declassify_on.isoformat()}&")
    assert "25 天后" in reminder.body
    assert later.declassify_on.isoformat() not in reminder.link
    assert run_job("expiry_reminders", today=days(11)) == {"expiring": 1, "notices": 0}


def test_a_mass_expiry_gives_each_classifier_one_reminder_per_day_of_expiry(unit):
    """Issue 12: 120 carriers of one 定密责任人 expiring the same day give one reminder, not 120;
    three more on another day give a second one. None is named."""
    same_day = bulk_due(unit, 120, expires_on=days(20))
    other_day = bulk_due(unit, 3, expires_on=days(25))

    assert run_job("expiry_reminders", today=days(0), batch_size=1) == {"expiring": 123, "notices": 2}

    first, second = notices(unit.zhuren, "expiry_reminder")
    assert "120 件" in first.title and "您作为定密责任人确定的 120 件载体" in first.body
    assert "3 件" in second.title and "25 天后" in second.body
    assert not any(c.serial in n.title + n.body for c in same_day + other_day for n in (first, second))
    assert run_job("expiry_reminders", today=days(1)) == {"expiring": 123, "notices": 0}
    # One more carrier expiring that day: the 定密责任人 hears the new count once.
    bulk_due(unit, 1, expires_on=days(20))
    assert run_job("expiry_reminders", today=days(2)) == {"expiring": 124, "notices": 1}
    assert "121 件" in notices(unit.zhuren, "expiry_reminder")[-1].title
    assert run_job("expiry_reminders", today=days(2)) == {"expiring": 124, "notices": 0}


def test_without_a_classifier_the_serving_registrars_are_reminded(unit, register_carrier):
    other = make_user("office_reg", department=unit.office, roles=[Role.REGISTRAR], person_class="core",
                      served=[unit.office])
    low = make_user("low_reg", department=unit.business, roles=[Role.REGISTRAR], person_class="general",
                    served=[unit.business])
    carrier = expiring(register_carrier, term_days=30, outgoing=False, level=3)  # incoming: no 定密责任人 here
    assert carrier.classifier_id is None

    run_job("expiry_reminders", today=days(0))
    run_job("expiry_reminders", today=days(1))

    [reminder] = notices(unit.mishu)
    assert "变更登记" in reminder.body
    assert not notices(other) and not notices(low) and not notices(unit.zhuren)


def test_running_reminders_twice_creates_nothing_twice(unit, register_carrier):
    expiring(register_carrier, term_days=30)
    expiring(register_carrier, term_days=5, outgoing=False, copy_number=8)
    first = run_job("expiry_reminders", today=days(0))
    counts = footprint()
    second = run_job("expiry_reminders", today=days(0))
    assert first == {"expiring": 2, "notices": 2} and second == {"expiring": 2, "notices": 0}
    assert footprint() == counts


# ------------------------------------------------------------------------------- query counts


def bulk_due(unit, n, *, expired_on=None, expires_on=None):
    """n classified carriers with custodian and 定密责任人, straight into the table: only for
    tests about the jobs' cost, which need many rows fast."""
    start = dt.date(2020, 1, 1)
    end = expired_on or expires_on
    return Carrier.objects.bulk_create([
        CarrierFactory.build(
            department=unit.business, registered_by=unit.mishu, custodian=unit.lisi, classifier=unit.zhuren,
            level=2, period_kind=PeriodKind.DATE, period_value=None, period_unit="", declassify_date=end,
            start_date=start, declassify_on=end,
        ) for _ in range(n)
    ])


@pytest.fixture
def count_tasks():
    """Every Celery message the code under test sends (after commit, as in production)."""
    with mock.patch("celery.app.task.Task.apply_async") as sent:
        yield sent


def transaction_segments(captured):
    """Queries split at each transaction the job opens (a SAVEPOINT inside the test's transaction):
    [before the first, each batch…, the report]."""
    segments = [[]]
    for query in captured:
        if query["sql"].startswith("SAVEPOINT"):
            segments.append([])
        segments[-1].append(query["sql"])
    return segments


def test_declassify_costs_a_fixed_number_of_queries_per_batch(unit, count_tasks, django_capture_on_commit_callbacks):
    give_addresses(unit)
    services_declassify.system_actor()  # created once per installation (its own transaction)
    batch_size = 100
    measured = {}
    for n, day in ((10, 0), (1000, 5)):
        bulk_due(unit, n, expired_on=days(day - 1))
        with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
            result = run_job("declassify_expired", today=days(day), batch_size=batch_size)
        assert result == {"declassified": n, "notices": 3}, "one digest each: custodian, 定密责任人, 保密办"
        measured[n] = transaction_segments(ctx.captured_queries)
    (before_small, *small_batches, small_report), (before_big, *big_batches, big_report) = measured[10], measured[1000]
    assert (len(small_batches), len(big_batches)) == (1, 10), "one transaction per batch, one for the report"
    # Per batch: savepoint, read + lock, UPDATE, history INSERT … SELECT, custody INSERT … SELECT,
    # audit head, events (SQLite cuts a bulk insert at its parameter limit: two statements for
    # 100 events), head update, release — the same whatever the batch holds.
    assert max(len(b) for b in small_batches + big_batches) <= 11, [len(b) for b in big_batches]
    # Reading the due ids and reporting the run cost no more for 1,000 carriers than for 10 (the
    # first report ever also looks for what per-carrier notices told before; see _reported_through).
    assert len(before_small) == len(before_big) and len(big_report) <= len(small_report) <= 25
    assert sum(map(len, measured[1000])) < 150, "never one query per carrier"
    assert count_tasks.call_count == 2, "one delivery kick per run, never a task per carrier"
    assert Carrier.objects.filter(secrecy_status=SecrecyStatus.CLASSIFIED).count() == 0
    assert_audit_chain_intact()


def test_reminders_cost_the_same_for_10_and_1000_carriers(unit, count_tasks, django_capture_on_commit_callbacks):
    give_addresses(unit)
    measured = {}
    total = 0
    for n, day in ((10, 0), (1000, 1)):
        # Without an active 定密责任人 half of them go to the serving registrars.
        carriers = bulk_due(unit, n, expires_on=days(day + 20))
        Carrier.objects.filter(pk__in=[c.pk for c in carriers[: n // 2]]).update(classifier=None)
        total += n
        with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
            result = run_job("expiry_reminders", today=days(day), batch_size=100)
        assert result == {"expiring": total, "notices": 2}, "the 定密责任人 and the registrar, once each"
        measured[n] = len(ctx.captured_queries)
    # Grouped reads over the declassify_on range, the registrars, who may be told, one transaction
    # of notify_many's reads and inserts: the same whatever the number of carriers.
    assert measured[1000] == measured[10] <= 20, measured
    assert count_tasks.call_count == 2, "one delivery kick per run, never a task per carrier"
