"""保密检查 (SPEC §10).

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
from oversight.jobs import rectification_reminders
from oversight.models import FindingResult, Incident, IncidentState, Inspection, InspectionState, RectificationState
from oversight.services import inspections
from secrecy.errors import InvalidState, PolicyDenied, ValidationFailed

from .helpers import ADMINS, NOT_OFFICE, report, world


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

