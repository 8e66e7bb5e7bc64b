"""保密检查 and 泄密/丢失事件 (SPEC §10; REG24 art. 61; regulations_cn.md §8.9).

The demo cast (root conftest `unit`): baomi is 保密办; lisi, zhangsan, wangwu readers; mishu the
registrar; zhuren and lingdao approvers; sysadmin, secadmin, auditor the three administrators.
"""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audits import services_incidents as incidents
from audits import services_inspections as inspections
from audits.jobs_inspections import incident_deadline, rectification_reminders
from audits.models import (
    SHANGHAI, AuditEvent, ChecklistItem, ChecklistTemplate, Finding, FindingResult, Incident, IncidentCarrier,
    IncidentKind, IncidentState, Inspection, InspectionState, Rectification, RectificationState,
)
from notifications.jobs import run_job
from notifications.models import Notification
from secrecy.errors import InvalidState, PolicyDenied, ValidationFailed
from secrecy.levels import Level

ADMINS = ["sysadmin", "secadmin", "auditor"]
NOT_OFFICE = ["lisi", "zhangsan", "mishu", "zhuren"] + ADMINS


def world():
    """Everything these services may write, to prove a refusal changed nothing."""
    return (
        ChecklistTemplate.objects.count(), ChecklistItem.objects.count(),
        list(Inspection.objects.values_list("pk", "state", "closing_note").order_by("pk")),
        list(Finding.objects.values_list("pk", "result", "note").order_by("pk")),
        list(Rectification.objects.values_list("pk", "state", "evidence", "verified_at").order_by("pk")),
        list(Incident.objects.values_list("pk", "state", "level", "upward_reported_at").order_by("pk")),
        IncidentCarrier.objects.count(), Notification.objects.count(), AuditEvent.objects.count(),
    )


@pytest.fixture
def template(unit):
    return inspections.checklist_template_create(
        actor=unit.baomi, name="季度保密检查表",
        items=["涉密载体台账是否齐全", "复制是否审批", "", "是否存在涉密载体私自留存"])


@pytest.fixture
def inspection(unit, template):
    return inspections.inspection_create(actor=unit.baomi, department=unit.business,
                                         inspected_on=timezone.localdate(), template=template)


def record_all(unit, inspection, result=FindingResult.CONFORM):
    for finding in inspection.findings.order_by("order"):
        inspections.finding_record(actor=unit.baomi, finding=finding, result=result, note="见检查记录")


@pytest.fixture
def two_items(unit, inspection):
    """The inspection in 整改中 with two items: lisi's (third finding) and zhangsan's."""
    record_all(unit, inspection)
    third = inspection.findings.get(order=3)
    inspections.finding_record(actor=unit.baomi, finding=third, result=FindingResult.NONCONFORM,
                               note="一份秘密级文件私自留存在办公桌内")
    today = timezone.localdate()
    first = inspections.rectification_add(actor=unit.baomi, inspection=inspection, finding=third,
                                          description="交回机要室并登记", owner=unit.lisi,
                                          deadline=today + dt.timedelta(days=10))
    second = inspections.rectification_add(actor=unit.baomi, inspection=inspection, description="开展保密提醒教育",
                                           owner=unit.zhangsan, deadline=today + dt.timedelta(days=20))
    return first, second


# ------------------------------------------------------------------------------- the workflow


def test_template_keeps_items_in_order_and_inspection_copies_them(unit, template, inspection):
    assert list(template.items.values_list("order", "text")) == [
        (1, "涉密载体台账是否齐全"), (2, "复制是否审批"), (3, "是否存在涉密载体私自留存")]
    assert list(inspection.findings.values_list("order", "item_text", "result")) == [
        (1, "涉密载体台账是否齐全", ""), (2, "复制是否审批", ""), (3, "是否存在涉密载体私自留存", "")]
    assert inspection.state == InspectionState.OPEN
    assert inspection.lead_inspector == unit.baomi


def test_inspection_with_two_rectifications_runs_from_creation_to_closing(unit, inspection, two_items):
    first, second = two_items
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.RECTIFYING
    assert [first.number, second.number] == [1, 2]
    # The owners are told, with the reference and the deadline only.
    notice = Notification.objects.get(recipient=unit.lisi, kind="rectification")
    assert notice.title == f"整改事项：{inspection.reference} 整改第1项"
    assert "交回机要室" not in notice.title + notice.body

    with pytest.raises(InvalidState) as refused:
        inspections.inspection_close(actor=unit.baomi, inspection=inspection, closing_note="检查结束")
    assert refused.value.message.startswith("尚有 2 项整改事项未完成或未经保密办确认，不能结束检查：")
    assert "第1项（lisi" in refused.value.message and "第2项（zhangsan" in refused.value.message

    events = AuditEvent.objects.count()
    inspections.rectification_complete(actor=unit.lisi, rectification=first, evidence="已交回机要室，登记号 2026-15")
    assert AuditEvent.objects.count() == events + 1
    first.refresh_from_db()
    assert first.state == RectificationState.DONE and first.done_by == unit.lisi and first.verified_at is None
    # 保密办 completes zhangsan's for him (allowed), then confirms both.
    inspections.rectification_complete(actor=unit.baomi, rectification=second, evidence="已于周五组织教育")
    inspections.rectification_verify(actor=unit.baomi, rectification=first)
    with pytest.raises(InvalidState) as refused:
        inspections.inspection_close(actor=unit.baomi, inspection=inspection, closing_note="检查结束")
    assert "尚有 1 项整改事项" in refused.value.message and "第2项（zhangsan" in refused.value.message
    assert "已整改待保密办确认" in refused.value.message
    inspections.rectification_verify(actor=unit.baomi, rectification=second)

    with pytest.raises(ValidationFailed) as refused:
        inspections.inspection_close(actor=unit.baomi, inspection=inspection, closing_note="  ")
    assert refused.value.field_errors == {"closing_note": "请填写检查结论"}
    closed = inspections.inspection_close(actor=unit.baomi, inspection=inspection, closing_note="整改到位")
    assert closed.state == InspectionState.CLOSED and closed.closed_by == unit.baomi
    assert AuditEvent.objects.filter(action="inspection.close", target_id=inspection.pk).count() == 1
    # A closed inspection changes no more.
    with pytest.raises(InvalidState):
        inspections.rectification_add(actor=unit.baomi, inspection=inspection, description="x", owner=unit.lisi,
                                      deadline=timezone.localdate())
    with pytest.raises(InvalidState):
        inspections.finding_record(actor=unit.baomi, finding=inspection.findings.first(),
                                   result=FindingResult.CONFORM)


def test_closing_needs_every_finding_recorded(unit, inspection):
    inspections.finding_record(actor=unit.baomi, finding=inspection.findings.get(order=1),
                               result=FindingResult.CONFORM)
    with pytest.raises(InvalidState) as refused:
        inspections.inspection_close(actor=unit.baomi, inspection=inspection, closing_note="结束")
    assert refused.value.message == "尚有 2 项检查内容未登记结果（第2、3项），不能结束检查"


def test_a_result_sent_back_is_open_again_and_its_owner_told(unit, two_items):
    first, _ = two_items
    inspections.rectification_complete(actor=unit.lisi, rectification=first, evidence="已交回")
    with pytest.raises(ValidationFailed) as refused:
        inspections.rectification_verify(actor=unit.baomi, rectification=first, accepted=False)
    assert refused.value.field_errors == {"note": "退回整改时请写明理由"}
    inspections.rectification_verify(actor=unit.baomi, rectification=first, accepted=False, note="缺少登记号")
    first.refresh_from_db()
    assert first.state == RectificationState.OPEN and first.returned_note == "缺少登记号"
    assert Notification.objects.filter(recipient=unit.lisi, title__startswith="整改被退回").count() == 1


def test_rectification_input_rules(unit, inspection, template):
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as refused:
        inspections.rectification_add(actor=unit.baomi, inspection=inspection, description="",
                                      owner=unit.sysadmin, deadline=today - dt.timedelta(days=1))
    assert refused.value.field_errors == {
        "description": "请写明整改要求",
        "owner": "sysadmin的账号已停用或不是业务人员，不能担任整改责任人",
        "deadline": "整改期限不能早于今天",
    }
    unit.lisi.is_active = False
    unit.lisi.save()
    with pytest.raises(ValidationFailed) as refused:
        inspections.rectification_add(actor=unit.baomi, inspection=inspection, description="x", owner=unit.lisi,
                                      deadline=today)
    assert "owner" in refused.value.field_errors
    with pytest.raises(ValidationFailed) as refused:
        inspections.finding_record(actor=unit.baomi, finding=inspection.findings.first(),
                                   result=FindingResult.NONCONFORM, note="")
    assert refused.value.field_errors == {"note": "检查结果为“不符合”时，请写明发现的问题"}


# ----------------------------------------------------------------------------------- reminders


def overdue_item(unit, inspection, *, owner, days_late):
    """An item whose deadline passed `days_late` days ago (set when the deadline was still ahead)."""
    today = timezone.localdate()
    set_on = today - dt.timedelta(days=days_late + 7)
    return inspections.rectification_add(actor=unit.baomi, inspection=inspection, description="整改", owner=owner,
                                         deadline=today - dt.timedelta(days=days_late), today=set_on)


def test_overdue_rectification_reminds_owner_and_office_once_per_day(unit, inspection):
    item = overdue_item(unit, inspection, owner=unit.lisi, days_late=2)
    today = timezone.localdate()
    first = run_job("rectification_reminders", today=today)
    assert first == {"due_soon": 0, "overdue": 1, "notices": 1, "digests": 1}
    owner_notes = Notification.objects.filter(recipient=unit.lisi, kind="rectification_overdue")
    assert [n.dedupe_key for n in owner_notes] == [f"rectification_overdue:{item.pk}:{today.isoformat()}"]
    assert owner_notes[0].title == f"整改逾期：{item.reference}"
    assert "已逾期 2 天" in owner_notes[0].body
    digest = Notification.objects.get(recipient=unit.baomi, kind="rectification_overdue")
    assert digest.title == "整改逾期汇总：1 项整改事项已逾期" and item.reference in digest.body

    # A second run the same day sends nothing.
    again = run_job("rectification_reminders", today=today)
    assert again["notices"] == 0 and again["digests"] == 0
    assert Notification.objects.filter(kind="rectification_overdue").count() == 2

    # Ten days without a run: the next one reminds once (that day), not ten times.
    later = today + dt.timedelta(days=10)
    caught_up = run_job("rectification_reminders", today=later)
    assert caught_up["notices"] == 1 and caught_up["digests"] == 1
    latest = Notification.objects.filter(recipient=unit.lisi, kind="rectification_overdue").order_by("-id").first()
    assert latest.dedupe_key == f"rectification_overdue:{item.pk}:{later.isoformat()}"
    assert "已逾期 12 天" in latest.body
    assert Notification.objects.filter(recipient=unit.lisi, kind="rectification_overdue").count() == 2

    # Done items are not reminded any more.
    inspections.rectification_complete(actor=unit.lisi, rectification=item, evidence="已整改")
    assert run_job("rectification_reminders", today=later + dt.timedelta(days=1))["overdue"] == 0


def test_item_due_soon_reminds_its_owner_once(unit, inspection):
    today = timezone.localdate()
    item = inspections.rectification_add(actor=unit.baomi, inspection=inspection, description="整改",
                                         owner=unit.zhangsan, deadline=today + dt.timedelta(days=2))
    far = inspections.rectification_add(actor=unit.baomi, inspection=inspection, description="整改",
                                        owner=unit.lisi, deadline=today + dt.timedelta(days=30))
    assert rectification_reminders(today=today, batch_size=1)["due_soon"] == 1
    assert rectification_reminders(today=today + dt.timedelta(days=1), batch_size=1)["notices"] == 0
    due = Notification.objects.filter(kind="rectification_due")
    assert [(n.recipient_id, n.dedupe_key) for n in due] == [(unit.zhangsan.pk, f"rectification_due:{item.pk}")]
    assert not Notification.objects.filter(kind="rectification_due", dedupe_key__endswith=f":{far.pk}").exists()


def test_reminders_read_in_batches_over_many_items(unit, inspection, django_assert_max_num_queries):
    for n in range(5):
        overdue_item(unit, inspection, owner=unit.lisi if n % 2 else unit.zhangsan, days_late=n + 1)
    with django_assert_max_num_queries(40):
        totals = rectification_reminders(today=timezone.localdate(), batch_size=2)
    assert totals["overdue"] == 5 and totals["notices"] == 5 and totals["digests"] == 1


# ----------------------------------------------------------------------------------- incidents


def report(unit, actor=None, hours_ago=2, **overrides):
    data = dict(kind=IncidentKind.LOSS, level=Level.SECRET, place="业务一处 306 室",
                discovered_at=timezone.now() - dt.timedelta(hours=hours_ago),
                description="整理文件时发现一份机密级文件不在文件夹内", measures="封存文件柜")
    data.update(overrides)
    return incidents.incident_report(actor=actor or unit.zhangsan, **data)


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
    typed = report(unit, actor=unit.mishu, hours_ago=1, serials=["2026-000555"], level=Level.CONFIDENTIAL)
    linked = incidents.incident_for_lost_carrier(actor=unit.mishu, carrier_id=555, serial="2026-000555",
                                                 level=Level.SECRET, note="机要室登记丢失")
    assert linked.pk == typed.pk
    assert list(linked.carriers.values_list("carrier_id", "serial", "level")) == [(555, "2026-000555", 3)]
    linked.refresh_from_db()
    assert linked.level == Level.SECRET


def test_a_lost_carrier_never_joins_someone_elses_report_by_a_typed_serial(unit):
    """Issue 11 §2: a guessed serial typed into a hand-made report must not pull the real carrier
    (its level, the registrar's note) into that reporter's incident."""
    guessed = report(unit, actor=unit.wangwu, hours_ago=1, serials=["2026-000555"], level=Level.CONFIDENTIAL)
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


# ------------------------------------------------------------------------------- who may not


@pytest.mark.parametrize("who", NOT_OFFICE)
def test_only_the_secrecy_office_runs_inspections_and_nothing_changes(unit, template, two_items, who):
    first, second = two_items
    inspections.rectification_complete(actor=unit.lisi, rectification=first, evidence="已交回")
    actor = unit[who]
    inspection = first.inspection
    before = world()
    calls = [
        lambda: inspections.checklist_template_create(actor=actor, name="另一模板", items=["一项"]),
        lambda: inspections.checklist_template_set_active(actor=actor, template=template, active=False),
        lambda: inspections.inspection_create(actor=actor, department=unit.business,
                                              inspected_on=timezone.localdate(), template=template),
        lambda: inspections.finding_record(actor=actor, finding=inspection.findings.first(),
                                           result=FindingResult.NOT_APPLICABLE),
        lambda: inspections.rectification_add(actor=actor, inspection=inspection, description="x", owner=unit.lisi,
                                              deadline=timezone.localdate()),
        lambda: inspections.rectification_verify(actor=actor, rectification=first),
        lambda: inspections.inspection_close(actor=actor, inspection=inspection, closing_note="结束"),
    ]
    if who != "zhangsan":  # zhangsan owns the second item
        calls.append(lambda: inspections.rectification_complete(actor=actor, rectification=second, evidence="x"))
    for call in calls:
        with pytest.raises(PolicyDenied):
            call()
    assert world() == before


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
    assert not inspections.inspections_visible_to(user=unit[who]).exists()
    assert not incidents.incidents_visible_to(user=unit[who]).exists()


def test_every_business_role_may_report(unit):
    for who in ("wangwu", "mishu", "zhuren", "baomi"):
        report(unit, actor=unit[who])
    assert Incident.objects.count() == 4


def inspection_urls(inspection, item_pk=1, finding_pk=1):
    return [
        reverse("inspections:finding_record", args=[inspection.pk, finding_pk]),
        reverse("inspections:rectification_add", args=[inspection.pk]),
        reverse("inspections:rectification_complete", args=[inspection.pk, item_pk]),
        reverse("inspections:rectification_verify", args=[inspection.pk, item_pk]),
        reverse("inspections:close", args=[inspection.pk]),
    ]


@pytest.mark.parametrize("who", ["wangwu", "mishu", "zhuren", "lingdao"] + ADMINS)
def test_people_without_a_part_get_404_on_an_inspection(client, unit, two_items, who):
    first, _ = two_items
    inspection = first.inspection
    client.force_login(unit[who])
    assert client.get(inspection.get_absolute_url()).status_code == 404
    before = world()
    for url in inspection_urls(inspection, first.pk, inspection.findings.first().pk):
        assert client.post(url, {"closing_note": "x", "r1-evidence": "x", "f1-result": "na"}).status_code == 404, url
    assert world() == before
    for name in ("inspections:list", "inspections:create", "inspections:templates"):
        assert client.get(reverse(name)).status_code == 404


@pytest.mark.parametrize("who", ADMINS)
def test_administrators_are_refused_every_page(client, unit, two_items, who):
    incident = report(unit)
    client.force_login(unit[who])
    for url in (reverse("inspections:mine"), reverse("incidents:list"), reverse("incidents:report"),
                incident.get_absolute_url()):
        assert client.get(url).status_code == 404, url
    before = world()
    assert client.post(reverse("incidents:report"), {"kind": "loss"}).status_code == 404
    assert client.post(reverse("incidents:upward_report", args=[incident.pk]),
                       {"note": "x", "reported_at": "2026-01-01T10:00"}).status_code == 404
    assert world() == before
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert "nav-inspections" not in page and "nav-incidents" not in page


def test_an_owner_sees_the_inspection_read_only_but_for_their_item(client, unit, two_items):
    first, second = two_items
    inspection = first.inspection
    client.force_login(unit.lisi)
    page = client.get(inspection.get_absolute_url()).content.decode()
    assert "交回机要室并登记" in page and "rectification-form" not in page and "close-form" not in page
    assert reverse("inspections:rectification_complete", args=[inspection.pk, first.pk]) in page
    assert reverse("inspections:rectification_complete", args=[inspection.pk, second.pk]) not in page
    before = world()
    for url in (reverse("inspections:close", args=[inspection.pk]),
                reverse("inspections:rectification_add", args=[inspection.pk]),
                reverse("inspections:rectification_verify", args=[inspection.pk, first.pk]),
                reverse("inspections:rectification_complete", args=[inspection.pk, second.pk])):
        assert client.post(url, {"closing_note": "x", f"r{second.pk}-evidence": "x"}).status_code == 404, url
    assert world() == before
    response = client.post(reverse("inspections:rectification_complete", args=[inspection.pk, first.pk]),
                           {f"r{first.pk}-evidence": "已交回机要室"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == RectificationState.DONE
    mine = client.get(reverse("inspections:mine")).content.decode()
    assert first.reference in mine and "已整改" in mine


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


# ---------------------------------------------------------------------------------- the screens


def test_office_runs_an_inspection_through_the_screens(client, unit, template):
    client.force_login(unit.baomi)
    assert "nav-inspections" in client.get(reverse("inspections:list")).content.decode()
    response = client.post(reverse("inspections:create"), {
        "department": unit.business.pk, "inspected_on": timezone.localdate().isoformat(), "template": template.pk,
        "lead_inspector": unit.baomi.pk, "other_inspectors": "李思远", "summary": "季度检查"})
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    finding = inspection.findings.get(order=1)
    # 不符合 without a note: the error is shown next to the note field.
    response = client.post(reverse("inspections:finding_record", args=[inspection.pk, finding.pk]),
                           {f"f{finding.pk}-result": "nonconform", f"f{finding.pk}-note": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="errors-f{finding.pk}-note"' in page and "请写明发现的问题" in page
    client.post(reverse("inspections:finding_record", args=[inspection.pk, finding.pk]),
                {f"f{finding.pk}-result": "nonconform", f"f{finding.pk}-note": "台账缺两页"})
    response = client.post(reverse("inspections:rectification_add", args=[inspection.pk]), {
        "finding": finding.pk, "description": "补齐台账", "owner": unit.lisi.pk,
        "deadline": (timezone.localdate() - dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 400 and "整改期限不能早于今天" in response.content.decode()
    client.post(reverse("inspections:rectification_add", args=[inspection.pk]), {
        "finding": finding.pk, "description": "补齐台账", "owner": unit.lisi.pk,
        "deadline": timezone.localdate().isoformat()})
    response = client.post(reverse("inspections:close", args=[inspection.pk]), {"closing_note": "结束"})
    assert response.status_code == 400
    assert "尚有 2 项检查内容未登记结果" in response.content.decode()
    assert Inspection.objects.get().state == InspectionState.RECTIFYING


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
