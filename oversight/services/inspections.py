"""Every write of a 保密检查 (SPEC §10 "Inspections"): checklist templates, the inspection with its
findings, rectification items (整改事项) with owner and deadline, and closing.

Who does what (SPEC §1: 保密办 "runs … inspections"):
- 保密办 (role secrecy_office) creates templates and inspections, records findings, sets
  rectification items, confirms their results and closes the inspection;
- the owner of a rectification item records what was done (or 保密办 does it for them);
- the three administrators do none of it (SPEC §1: no business content at all).

Each service is one transaction: the inspection row is locked first (then the rectification row),
the transition table (oversight.models.INSPECTION_TRANSITIONS) is asked, the policy checked, and
exactly one audit event written. Nothing is ever deleted.
"""
import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audits.services import record_event
from notifications.services import notify
from personnel.models import Department
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed

from .. import events
from ..models import (
    ChecklistItem, ChecklistTemplate, Finding, FindingResult, Inspection, InspectionAction, Rectification,
    RectificationState, INSPECTION_TRANSITIONS,
)
from ..policy import is_business_user, is_secrecy_office, secrecy_office_users, user_name

A = InspectionAction
NOTICE_KIND_RECTIFICATION = "rectification"
# Longest checklist a template may hold; a longer one is two inspections.
MAX_ITEMS = 100


def _require_office(actor, what):
    if not is_secrecy_office(actor):
        raise PolicyDenied(f"只有保密办可以{what}")


def _text(value):
    return (value or "").strip()


def _today(today):
    return today or timezone.localdate()


def _lock(inspection):
    # No select_related here: on PostgreSQL a joined FOR UPDATE would lock the joined rows too.
    row = Inspection.objects.select_for_update().filter(pk=getattr(inspection, "pk", inspection)).first()
    if row is None:
        raise NotVisible()
    return row


def _lock_rectification(rectification):
    """The inspection first, then the item (the lock order of every service here)."""
    row = Rectification.objects.filter(pk=getattr(rectification, "pk", rectification)).values(
        "inspection_id").first()
    if row is None:
        raise NotVisible()
    inspection = _lock(row["inspection_id"])
    item = Rectification.objects.select_for_update().get(pk=getattr(rectification, "pk", rectification))
    return inspection, item


def _audit(*, actor, event, inspection, target=None, **detail):
    # The reference, never the requirement's text: the auditor reads the log without the content.
    target = target or inspection
    record_event(actor=actor, event=event, target=target, target_repr=target.reference,
                 detail={"inspection": inspection.pk, "state": inspection.state, **detail})


def _date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def open_items_text(items):
    """"第1项（张三，期限2026年3月5日，待整改）" for each item that still keeps the inspection open."""
    parts = []
    for item in items:
        status = "待整改" if item.state == RectificationState.OPEN else "已整改待保密办确认"
        parts.append(f"第{item.number}项（{user_name(item.owner)}，期限{_date(item.deadline)}，{status}）")
    return "、".join(parts)


# ---------------------------------------------------------------------------------- templates


@transaction.atomic
def checklist_template_create(*, actor, name, items):
    """检查表模板: a name and the checklist items in order (blank lines ignored)."""
    _require_office(actor, "制定检查表模板")
    name = _text(name)
    texts = [_text(t) for t in (items or []) if _text(t)]
    errors = {}
    if not name:
        errors["name"] = "请填写模板名称"
    elif len(name) > 100:
        errors["name"] = "模板名称不超过 100 字"
    elif ChecklistTemplate.objects.filter(name=name).exists():
        errors["name"] = "已有同名的检查表模板"
    if not texts:
        errors["items"] = "请至少填写一项检查内容"
    elif len(texts) > MAX_ITEMS:
        errors["items"] = f"检查内容不超过 {MAX_ITEMS} 项"
    else:
        long = [str(i) for i, t in enumerate(texts, 1) if len(t) > 300]
        if long:
            errors["items"] = f"第{'、'.join(long)}项超过 300 字"
    if errors:
        raise ValidationFailed(errors)
    template = ChecklistTemplate.objects.create(name=name, created_by=actor)
    ChecklistItem.objects.bulk_create(
        [ChecklistItem(template=template, order=i, text=t) for i, t in enumerate(texts, 1)])
    record_event(actor=actor, event=events.TEMPLATE_CREATE, target=template,
                 detail={"name": name, "items": len(texts)})
    return template


@transaction.atomic
def checklist_template_set_active(*, actor, template, active):
    """停用 / 启用: a disabled template is not offered for new inspections; old ones keep it."""
    _require_office(actor, "停用或启用检查表模板")
    template = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
    if template.active != bool(active):
        template.active = bool(active)
        template.save(update_fields=["active"])
        record_event(actor=actor, event=events.TEMPLATE_ENABLE if active else events.TEMPLATE_DISABLE,
                     target=template, detail={"name": template.name})
    return template


# -------------------------------------------------------------------------------- inspections


@transaction.atomic
def inspection_create(*, actor, department, inspected_on, template, lead_inspector=None, other_inspectors="",
                      summary="", today=None):
    """Register an inspection; its findings are the template's items, text copied (so a later
    change of the template does not rewrite what was inspected), all 未检查."""
    _require_office(actor, "组织保密检查")
    today = _today(today)
    lead_inspector = lead_inspector or actor
    errors = {}
    if not isinstance(department, Department):
        errors["department"] = "请选择被检查部门"
    if not isinstance(inspected_on, dt.date):
        errors["inspected_on"] = "请填写检查日期"
    elif inspected_on > today:
        # Findings are recorded as the inspection happens; a planned one is registered on its day.
        errors["inspected_on"] = "检查日期不能晚于今天"
    if not isinstance(template, ChecklistTemplate):
        errors["template"] = "请选择检查表"
    elif not template.active:
        errors["template"] = "该检查表模板已停用"
    if not is_secrecy_office(lead_inspector):
        errors["lead_inspector"] = "检查组组长须为在岗的保密办人员"
    other_inspectors = _text(other_inspectors)
    if len(other_inspectors) > 200:
        errors["other_inspectors"] = "其他检查人员不超过 200 字"
    if errors:
        raise ValidationFailed(errors)
    items = list(template.items.order_by("order"))
    if not items:
        raise ValidationFailed({"template": "该检查表没有检查内容"})
    inspection = Inspection.objects.create(
        department=department, inspected_on=inspected_on, template=template, lead_inspector=lead_inspector,
        other_inspectors=other_inspectors, summary=_text(summary), created_by=actor,
    )
    Finding.objects.bulk_create([Finding(inspection=inspection, order=i, item_text=item.text)
                                 for i, item in enumerate(items, 1)])
    _audit(actor=actor, event=events.INSPECTION_CREATE, inspection=inspection, department=department.pk,
           inspected_on=inspected_on.isoformat(), template=template.pk, findings=len(items))
    return inspection


@transaction.atomic
def finding_record(*, actor, finding, result, note=""):
    """登记检查结果 of one checklist item (and correct it until the inspection is closed)."""
    row = Finding.objects.filter(pk=getattr(finding, "pk", finding)).values("inspection_id").first()
    if row is None:
        raise NotVisible()
    _require_office(actor, "登记检查结果")
    inspection = _lock(row["inspection_id"])
    INSPECTION_TRANSITIONS.move_for(inspection.state, A.RECORD_FINDING)
    finding = Finding.objects.select_for_update().get(pk=getattr(finding, "pk", finding))
    note = _text(note)
    if result not in (FindingResult.CONFORM, FindingResult.NONCONFORM, FindingResult.NOT_APPLICABLE):
        raise ValidationFailed({"result": "请选择检查结果：符合、不符合或不适用"})
    if result == FindingResult.NONCONFORM and not note:
        raise ValidationFailed({"note": "检查结果为“不符合”时，请写明发现的问题"})
    previous = finding.result
    finding.result, finding.note = result, note
    finding.recorded_by, finding.recorded_at = actor, timezone.now()
    finding.save(update_fields=["result", "note", "recorded_by", "recorded_at"])
    _audit(actor=actor, event=events.FINDING_RECORD, inspection=inspection, order=finding.order, result=result,
           previous=previous, note=note)
    return finding


@transaction.atomic
def rectification_add(*, actor, inspection, description, owner, deadline, finding=None, today=None):
    """下达整改事项: what, who (an active business user) and by when (not in the past). The owner is
    told; the inspection is 整改中 until every item is done and confirmed."""
    _require_office(actor, "下达整改事项")
    today = _today(today)
    inspection = _lock(inspection)
    to = INSPECTION_TRANSITIONS.move_for(inspection.state, A.ADD_RECTIFICATION).to
    description = _text(description)
    errors = {}
    if not description:
        errors["description"] = "请写明整改要求"
    if owner is None:
        errors["owner"] = "请选择整改责任人"
    elif not is_business_user(owner):
        errors["owner"] = f"{user_name(owner)}的账号已停用或不是业务人员，不能担任整改责任人"
    if not isinstance(deadline, dt.date):
        errors["deadline"] = "请填写整改期限"
    elif deadline < today:
        errors["deadline"] = "整改期限不能早于今天"
    if finding is not None and finding.inspection_id != inspection.pk:
        errors["finding"] = "所选检查发现不属于本次检查"
    if errors:
        raise ValidationFailed(errors)
    number = (inspection.rectifications.aggregate(n=Max("number"))["n"] or 0) + 1
    item = Rectification.objects.create(
        inspection=inspection, finding=finding, number=number, description=description, owner=owner,
        deadline=deadline, created_by=actor,
    )
    inspection.state = to
    inspection.save(update_fields=["state"])
    # The notice names the inspection and the date only; the requirement itself is on the page.
    notify([owner], kind=NOTICE_KIND_RECTIFICATION, link=inspection.get_absolute_url(),
           title=f"整改事项：{item.reference}",
           body=f"保密办在{inspection.reference}中向您下达了整改事项，整改期限为{_date(deadline)}。"
                "请按要求整改，并在系统中登记整改情况。",
           dedupe_key=f"rectification_assigned:{item.pk}")
    _audit(actor=actor, event=events.RECTIFICATION_ADD, inspection=inspection, target=item, number=number,
           owner=owner.pk, deadline=deadline.isoformat(), finding=getattr(finding, "order", None))
    return item


@transaction.atomic
def rectification_complete(*, actor, rectification, evidence):
    """登记整改情况: the owner (or 保密办 for them) says what was done; 保密办 then confirms."""
    inspection, item = _lock_rectification(rectification)
    is_owner = is_business_user(actor) and item.owner_id == actor.pk
    if not (is_owner or is_secrecy_office(actor)):
        raise PolicyDenied("只有整改责任人或保密办可以登记整改情况")
    INSPECTION_TRANSITIONS.move_for(inspection.state, A.COMPLETE_RECTIFICATION)
    if item.state != RectificationState.OPEN:
        raise InvalidState(f"{item.reference}已登记整改情况，等待保密办确认")
    evidence = _text(evidence)
    if not evidence:
        raise ValidationFailed({"evidence": "请写明整改情况（采取的措施、完成时间、佐证材料）"})
    item.state, item.evidence = RectificationState.DONE, evidence
    item.done_by, item.done_at = actor, timezone.now()
    item.save(update_fields=["state", "evidence", "done_by", "done_at"])
    notify(secrecy_office_users(), kind=NOTICE_KIND_RECTIFICATION, link=inspection.get_absolute_url(),
           title=f"整改已登记，待确认：{item.reference}",
           body=f"{user_name(actor)}已登记{item.reference}的整改情况，请核实后确认。",
           dedupe_key=f"rectification_done:{item.pk}:{item.done_at.isoformat()}")
    _audit(actor=actor, event=events.RECTIFICATION_COMPLETE, inspection=inspection, target=item, number=item.number,
           evidence=evidence, late=timezone.localdate() > item.deadline)
    return item


@transaction.atomic
def rectification_verify(*, actor, rectification, accepted=True, note=""):
    """保密办 确认 a completed item — or sends it back (退回, with the reason) to be done again."""
    _require_office(actor, "确认整改结果")
    inspection, item = _lock_rectification(rectification)
    INSPECTION_TRANSITIONS.move_for(inspection.state, A.VERIFY_RECTIFICATION)
    if item.state != RectificationState.DONE or item.verified_at is not None:
        raise InvalidState(f"{item.reference}{'已经确认' if item.verified_at else '尚未登记整改情况'}，不能确认或退回")
    note = _text(note)
    if accepted:
        item.verified_by, item.verified_at = actor, timezone.now()
        item.save(update_fields=["verified_by", "verified_at"])
    else:
        if not note:
            raise ValidationFailed({"note": "退回整改时请写明理由"})
        item.state, item.returned_note = RectificationState.OPEN, note
        item.save(update_fields=["state", "returned_note"])
        notify([item.owner], kind=NOTICE_KIND_RECTIFICATION, link=inspection.get_absolute_url(),
               title=f"整改被退回：{item.reference}",
               body=f"保密办退回了您登记的整改情况，请按退回意见继续整改，期限为{_date(item.deadline)}。",
               dedupe_key=f"rectification_returned:{item.pk}:{timezone.now().isoformat()}")
    _audit(actor=actor, event=events.RECTIFICATION_VERIFY if accepted else events.RECTIFICATION_RETURN,
           inspection=inspection, target=item, number=item.number, note=note)
    return item


def unsettled_rectifications(inspection):
    """Items that keep an inspection open: not done, or done but not yet confirmed by 保密办."""
    return [item for item in inspection.rectifications.select_related("owner__person").order_by("number")
            if not item.is_settled]


@transaction.atomic
def inspection_close(*, actor, inspection, closing_note):
    """结束检查: every finding recorded, every rectification item done and confirmed, a conclusion."""
    _require_office(actor, "结束保密检查")
    inspection = _lock(inspection)
    to = INSPECTION_TRANSITIONS.move_for(inspection.state, A.CLOSE).to
    pending = list(inspection.findings.filter(result=FindingResult.PENDING).values_list("order", flat=True))
    if pending:
        raise InvalidState(f"尚有 {len(pending)} 项检查内容未登记结果（第{'、'.join(str(n) for n in pending)}项），"
                           "不能结束检查")
    unsettled = [item for item in inspection.rectifications.select_related("owner__person").order_by("number")
                 if not item.is_settled]
    if unsettled:
        raise InvalidState(f"尚有 {len(unsettled)} 项整改事项未完成或未经保密办确认，不能结束检查："
                           f"{open_items_text(unsettled)}")
    closing_note = _text(closing_note)
    if not closing_note:
        raise ValidationFailed({"closing_note": "请填写检查结论"})
    inspection.state = to
    inspection.closing_note = closing_note
    inspection.closed_by, inspection.closed_at = actor, timezone.now()
    inspection.save(update_fields=["state", "closing_note", "closed_by", "closed_at"])
    _audit(actor=actor, event=events.INSPECTION_CLOSE, inspection=inspection, closing_note=closing_note,
           rectifications=inspection.rectifications.count())
    return inspection
