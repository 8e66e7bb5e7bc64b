"""泄密/丢失事件 (SPEC §10; REG24 art. 61; regulations_cn.md §8.9).

The demo cast (root conftest `unit`): baomi is 保密办; lisi, zhangsan, wangwu readers; mishu the
registrar; zhuren and lingdao approvers; sysadmin, secadmin, auditor the three administrators.
"""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.models import AuditEvent
from notifications.jobs import run_job
from notifications.models import Notification
from oversight import selectors
from oversight.jobs import incident_deadline
from oversight.models import SHANGHAI, Incident, IncidentKind, IncidentState
from oversight.services import incidents
from secrecy.errors import InvalidState, PolicyDenied, ValidationFailed
from secrecy.levels import Level

from .helpers import ADMINS, NOT_OFFICE, earlier_today, report, world


def test_incident_report_sets_the_24_hour_deadline_and_tells_the_office(unit):
    incident = report(unit, hours_ago=2, serials=["2026-000123", "2026-000123", " "])
    assert incident.report_deadline == incident.discovered_at + dt.timedelta(hours=24)
    assert incident.state == IncidentState.OPEN and incident.reported_by == unit.zhangsan
    assert list(incident.carriers.values_list("serial", "carrier_id")) == [("2026-000123", None)]
    notice = Notification.objects.get(recipient=unit.baomi, kind="incident")
    assert notice.title == f"丢失事件报告：{incident.reference}"
    assert "文件夹" not in notice.title + notice.body and notice.level == Level.SECRET
    assert AuditEvent.objects.filter(action="incident.report", target_id=incident.pk).count() == 1


def test_incident_page_shows_its_24_hour_deadline(client, unit):
    incident = report(unit, hours_ago=2)
    deadline = timezone.localtime(incident.report_deadline, SHANGHAI).strftime("%Y-%m-%d %H:%M")
    client.force_login(unit.baomi)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "24小时上报期限" in page and deadline in page
    assert "剩余 22.0 小时" in page or "剩余 21.9 小时" in page
    assert "已超期" not in page
    # The reporter sees their own incident, with the same deadline.
    client.force_login(unit.zhangsan)
    assert deadline in client.get(incident.get_absolute_url()).content.decode()


def test_incident_page_is_red_once_the_deadline_has_passed(client, unit):
    incident = report(unit, hours_ago=30)
    client.force_login(unit.baomi)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'class="overdue" id="deadline-overdue">已超期 6.0 小时，尚未上报' in page
    assert "overdue-date" in page


def test_upward_report_then_close(unit):
    incident = report(unit, hours_ago=30)
    with pytest.raises(InvalidState) as refused:
        incidents.incident_close(actor=unit.baomi, incident=incident, closing_note="结案")
    assert refused.value.message == "须先登记向保密行政管理部门和上级主管部门的报告情况，才能结案"
    with pytest.raises(ValidationFailed) as refused:
        incidents.incident_record_upward_report(actor=unit.baomi, incident=incident, reported_at=timezone.now(),
                                                note="")
    assert set(refused.value.field_errors) == {"note"}
    incidents.incident_record_upward_report(actor=unit.baomi, incident=incident, reported_at=timezone.now(),
                                            note="市国家保密局，电话报告后补书面报告")
    incident.refresh_from_db()
    assert incident.state == IncidentState.REPORTED and incident.upward_reported_late
    with pytest.raises(ValidationFailed):
        incidents.incident_close(actor=unit.baomi, incident=incident, closing_note=" ")
    incidents.incident_close(actor=unit.baomi, incident=incident, closing_note="已追回，未造成泄密")
    incident.refresh_from_db()
    assert incident.state == IncidentState.CLOSED and incident.closed_by == unit.baomi


def test_deadline_job_warns_the_office_once_per_stage(unit):
    incident = report(unit, hours_ago=20)  # 4 hours left
    now = timezone.now()
    first = incident_deadline(today=timezone.localdate(), batch_size=10, now=now)
    assert first == {"soon": 1, "overdue": 0, "notices": 1}
    notice = Notification.objects.get(recipient=unit.baomi, kind="incident_deadline")
    assert notice.title == f"丢失事件上报期限临近：{incident.reference}"
    assert notice.dedupe_key == f"incident_deadline:{incident.pk}:soon"
    assert incident_deadline(today=timezone.localdate(), batch_size=10, now=now + dt.timedelta(hours=1))[
        "notices"] == 0
    # Past the deadline: one more notice, once.
    late = now + dt.timedelta(hours=5)
    assert incident_deadline(today=timezone.localdate(), batch_size=10, now=late)["notices"] == 1
    assert incident_deadline(today=timezone.localdate(), batch_size=10, now=late)["notices"] == 0
    keys = Notification.objects.filter(kind="incident_deadline").order_by("id").values_list("dedupe_key", flat=True)
    assert list(keys) == [f"incident_deadline:{incident.pk}:soon", f"incident_deadline:{incident.pk}:overdue"]
    # Reported upward: no more notices; incidents far from their deadline get none.
    incidents.incident_record_upward_report(actor=unit.baomi, incident=incident, reported_at=timezone.now(),
                                            note="书面报告")
    report(unit, hours_ago=1)
    assert incident_deadline(today=timezone.localdate(), batch_size=10, now=late)["notices"] == 0
    # Registered with the job registry (the hourly beat entry calls it by name).
    assert run_job("incident_deadline")["notices"] == 0


def test_incident_for_lost_carrier_opens_then_links(unit):
    events = AuditEvent.objects.count()
    first = incidents.incident_for_lost_carrier(actor=unit.mishu, carrier_id=101, serial="2026-000101",
                                                level=Level.CONFIDENTIAL, note="清查时未找到")
    assert first.kind == IncidentKind.LOSS and first.from_carrier_loss and first.state == IncidentState.OPEN
    assert first.level == Level.CONFIDENTIAL
    assert first.report_deadline == first.discovered_at + dt.timedelta(hours=24)
    assert AuditEvent.objects.count() == events + 1
    [told] = Notification.objects.filter(recipient=unit.baomi, kind="incident")
    # 保密办 may be outside the carrier's 知悉范围: the notice names the incident, never the carrier.
    assert first.reference in told.title and "2026-000101" not in told.title + told.body

    second = incidents.incident_for_lost_carrier(actor=unit.mishu, carrier_id=102, serial="2026-000102",
                                                 level=Level.TOP_SECRET, note="同柜另一份")
    assert second.pk == first.pk
    second.refresh_from_db()
    assert second.level == Level.TOP_SECRET  # the highest level involved
    assert list(second.carriers.values_list("carrier_id", "serial")) == [(101, "2026-000101"), (102, "2026-000102")]
    assert AuditEvent.objects.count() == events + 2

    # Reported twice: the same incident, nothing new.
    before = world()
    assert incidents.incident_for_lost_carrier(actor=unit.mishu, carrier_id=102, serial="2026-000102",
                                               level=Level.TOP_SECRET, note="").pk == first.pk
    assert world() == before

    # Once reported upward, a new loss is a new incident.
    incidents.incident_record_upward_report(actor=unit.baomi, incident=first, reported_at=timezone.now(),
                                            note="书面报告")
    third = incidents.incident_for_lost_carrier(actor=unit.mishu, carrier_id=103, serial="2026-000103",
                                                level=Level.SECRET, note="")
    assert third.pk != first.pk and third.carriers.count() == 1


def test_a_lost_carrier_joins_the_incident_its_own_reporter_named_it_in(unit):
    typed = report(unit, actor=unit.mishu, discovered_at=earlier_today(), serials=["2026-000555"], level=Level.CONFIDENTIAL)
    linked = incidents.incident_for_lost_carrier(actor=unit.mishu, carrier_id=555, serial="2026-000555",
                                                 level=Level.SECRET, note="机要室登记丢失")
    assert linked.pk == typed.pk
    assert list(linked.carriers.values_list("carrier_id", "serial", "level")) == [(555, "2026-000555", 3)]
    linked.refresh_from_db()
    assert linked.level == Level.SECRET


def test_a_lost_carrier_never_joins_someone_elses_report_by_a_typed_serial(unit):
    """Issue 11 §2: a guessed serial typed into a hand-made report must not pull the real carrier
    (its level, the registrar's note) into that reporter's incident."""
    guessed = report(unit, actor=unit.wangwu, discovered_at=earlier_today(), serials=["2026-000555"], level=Level.CONFIDENTIAL)
    before = list(guessed.carriers.values_list("carrier_id", "serial", "level", "note"))
    lost = incidents.incident_for_lost_carrier(actor=unit.mishu, carrier_id=555, serial="2026-000555",
                                               level=Level.TOP_SECRET, note="机要室保密柜清点时未找到")
    assert lost.pk != guessed.pk and lost.from_carrier_loss
    guessed.refresh_from_db()
    assert guessed.level == Level.CONFIDENTIAL
    assert list(guessed.carriers.values_list("carrier_id", "serial", "level", "note")) == before
    assert "清点时未找到" not in lost.description


def test_a_caller_that_alerts_the_office_itself_can_skip_the_notice(unit):
    incident = incidents.incident_for_lost_carrier(actor=unit.mishu, carrier_id=9, serial="2026-000009",
                                                   level=Level.SECRET, note="", notify_office=False)
    incidents.incident_for_lost_carrier(actor=unit.mishu, carrier_id=10, serial="2026-000010",
                                        level=Level.SECRET, note="", notify_office=False)
    assert incident.carriers.count() == 2
    assert not Notification.objects.filter(kind="incident").exists()


def test_yesterdays_loss_incident_does_not_take_todays_carrier(unit):
    old = report(unit, hours_ago=48)
    new = incidents.incident_for_lost_carrier(actor=unit.mishu, carrier_id=7, serial="2026-000007",
                                              level=Level.SECRET, note="")
    assert new.pk != old.pk


@pytest.mark.parametrize("who", NOT_OFFICE)
def test_only_the_secrecy_office_reports_upward_and_closes(unit, who):
    incident = report(unit, actor=unit.baomi)
    reported = report(unit, actor=unit.baomi)
    incidents.incident_record_upward_report(actor=unit.baomi, incident=reported, reported_at=timezone.now(),
                                            note="书面报告")
    before = world()
    with pytest.raises(PolicyDenied):
        incidents.incident_record_upward_report(actor=unit[who], incident=incident, reported_at=timezone.now(),
                                                note="书面报告")
    with pytest.raises(PolicyDenied):
        incidents.incident_close(actor=unit[who], incident=reported, closing_note="结案")
    assert world() == before


@pytest.mark.parametrize("who", ADMINS)
def test_administrators_report_nothing(unit, who):
    before = world()
    with pytest.raises(PolicyDenied):
        report(unit, actor=unit[who])
    with pytest.raises(PolicyDenied):
        incidents.incident_for_lost_carrier(actor=unit[who], carrier_id=1, serial="2026-000001", level=3, note="")
    assert world() == before
    assert not selectors.inspections_visible_to(user=unit[who]).exists()
    assert not selectors.incidents_visible_to(user=unit[who]).exists()


def test_every_business_role_may_report(unit):
    for who in ("wangwu", "mishu", "zhuren", "baomi"):
        report(unit, actor=unit[who])
    assert Incident.objects.count() == 4


def test_an_incident_is_seen_by_its_reporter_and_the_office_only(client, unit):
    incident = report(unit, actor=unit.zhangsan)
    for who, status in (("zhangsan", 200), ("baomi", 200), ("lisi", 404), ("mishu", 404), ("zhuren", 404)):
        client.force_login(unit[who])
        assert client.get(incident.get_absolute_url()).status_code == status, who
        listing = client.get(reverse("incidents:list")).content.decode()
        assert (incident.reference in listing) == (status == 200), who
    client.force_login(unit.zhangsan)
    before = world()
    assert client.post(reverse("incidents:upward_report", args=[incident.pk]),
                       {"note": "x", "reported_at": "2026-01-01T10:00"}).status_code == 404
    assert world() == before


def test_reporting_an_incident_through_the_form(client, unit):
    client.force_login(unit.wangwu)
    listing = client.get(reverse("incidents:list")).content.decode()
    assert reverse("incidents:report") in listing and "nav-incidents" in listing
    response = client.post(reverse("incidents:report"), {"kind": "loss", "level": "", "place": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="errors-place"' in page and 'id="errors-discovered_at"' in page
    discovered = timezone.localtime() - dt.timedelta(hours=1)
    response = client.post(reverse("incidents:report"), {
        "kind": "loss", "level": "2", "place": "306 室", "discovered_at": discovered.strftime("%Y-%m-%dT%H:%M"),
        "serials": "2026-000001\n2026-000002", "description": "文件不见了", "measures": "已封存"})
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.reported_by == unit.wangwu and incident.carriers.count() == 2


def test_office_records_the_upward_report_and_closes_through_the_screens(client, unit):
    incident = report(unit, hours_ago=3)
    client.force_login(unit.baomi)
    url = reverse("incidents:upward_report", args=[incident.pk])
    response = client.post(url, {"reported_at": "", "note": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="errors-reported_at"' in page and 'id="errors-note"' in page
    response = client.post(reverse("incidents:close", args=[incident.pk]), {"closing_note": "结案"})
    assert response.status_code == 400
    assert "须先登记向保密行政管理部门和上级主管部门的报告情况，才能结案" in response.content.decode()
    reported_at = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"reported_at": reported_at, "note": "市国家保密局，书面报告"}).status_code == 302
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "向上级报告（按期）" in page and "close-form" in page
    assert client.post(reverse("incidents:close", args=[incident.pk]), {"closing_note": "已追回"}).status_code == 302
    assert Incident.objects.get().state == IncidentState.CLOSED
