"""因公/因私出境 of a 涉密人员 (SPEC §8; LAW24 art. 45; REG24 art. 52).

组织人事部门 and 保密办 each give an opinion; the trip is approved when both agree and refused
when either does not. 保密办 then records the 行前保密教育 (before departure) and hands out the
证件 the unit keeps; after the trip the person reports back and hands the 证件 in again.
A request while the person is in the 脱密期 is flagged to both approvers (LAW24 art. 46).
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audits.services import record_event
from notifications.services import notify
from secrecy.errors import InvalidState, PolicyDenied, ValidationFailed

from . import events
from .models import (
    ADMIN_ROLES, TRAVEL_TRANSITIONS, Opinion, PersonStatus, Role, Travel, TravelDocument, TravelDocumentStatus,
    TravelKind, TravelState,
)
from .policy import may_give_hr_opinion, may_give_secrecy_opinion, may_manage_personnel, may_request_travel
from .services_leave import _secrecy_office_users
from .services_records import _text, lock_person

NOTICE_KIND_TRAVEL = "personnel.travel"


def _link(travel):
    return reverse("personnel:travel_detail", args=[travel.pk])


def hr_deciders():
    return list(get_user_model().objects.filter(
        person__department__is_personnel_office=True, is_active=True,
        groups__name__in=[Role.APPROVER, Role.REGISTRAR],
    ).exclude(groups__name__in=ADMIN_ROLES).distinct().order_by("pk"))


def in_declassify_period(person, day):
    return person.status == PersonStatus.DECLASSIFYING or bool(
        person.declassify_ends_on and person.declassify_ends_on > day)


def _lock(travel):
    return Travel.objects.select_for_update().select_related("person", "person__user").get(pk=travel.pk)


def _check_move(travel, action):
    TRAVEL_TRANSITIONS.move_for(travel.state, action,
                                refusal=f"{travel.reference} 当前为“{travel.get_state_display()}”，不能办理此项")


@transaction.atomic
def travel_request(*, actor, person, kind, destination, purpose, departs_on, returns_on, travel_document=None,
                   today=None):
    today = today or timezone.localdate()
    if not may_request_travel(actor, person):
        raise PolicyDenied("只能为本人申请出境；保密办可代为登记")
    person = lock_person(person)
    if not person.person_class:
        raise InvalidState(f"{person.full_name}不是涉密人员，出境无需保密审批")
    errors = {}
    if kind not in TravelKind.values:
        errors["kind"] = "请选择因公或因私"
    if not _text(destination):
        errors["destination"] = "请填写前往国家（地区）"
    if not _text(purpose):
        errors["purpose"] = "请填写出境事由"
    if departs_on is None:
        errors["departs_on"] = "请填写出发日期"
    elif departs_on < today:
        errors["departs_on"] = "出发日期不能早于今天"
    if returns_on is None:
        errors["returns_on"] = "请填写返回日期"
    elif departs_on is not None and returns_on < departs_on:
        errors["returns_on"] = "返回日期不能早于出发日期"
    if travel_document is not None:
        document = TravelDocument.objects.filter(pk=getattr(travel_document, "pk", travel_document)).first()
        if document is None or document.person_id != person.pk:
            errors["travel_document"] = "请选择本人交存的证件"
        elif document.status == TravelDocumentStatus.CANCELLED:
            errors["travel_document"] = "该证件已注销"
        elif document.valid_until and returns_on and document.valid_until < returns_on:
            errors["travel_document"] = "证件有效期早于返回日期"
        travel_document = document
    if errors:
        raise ValidationFailed(errors)
    flagged = in_declassify_period(person, today)
    travel = Travel.objects.create(
        person=person, kind=kind, destination=_text(destination), purpose=_text(purpose), departs_on=departs_on,
        returns_on=returns_on, travel_document=travel_document, in_declassify_period=flagged, requested_by=actor)
    title = f"出境审批待办：{travel.reference}（{person.full_name}）" + ("【脱密期内】" if flagged else "")
    deciders = [u for u in hr_deciders() + _secrecy_office_users() if u.pk != person.user_id]
    notify(deciders, kind=NOTICE_KIND_TRAVEL, title=title, link=_link(travel),
           dedupe_key=f"travel_submitted:{travel.pk}")
    record_event(actor=actor, event=events.TRAVEL_REQUEST, target=person,
                 detail={"travel": travel.pk, "kind": kind, "departs_on": departs_on.isoformat(),
                         "returns_on": returns_on.isoformat(), "in_declassify_period": flagged})
    return travel


@transaction.atomic
def travel_decide(*, actor, travel, step, approve, comment=""):
    """One opinion: step "hr" (组织人事部门) or "secrecy" (保密办)."""
    travel = _lock(travel)
    if step == "hr":
        if not may_give_hr_opinion(actor, travel):
            raise PolicyDenied("组织人事部门意见须由组织人事部门的领导或经办人填写，且不能审批本人的出境")
        _check_move(travel, "hr_decide")
        if travel.hr_opinion:
            raise InvalidState("组织人事部门已填写意见")
        prefix = "hr"
    elif step == "secrecy":
        if not may_give_secrecy_opinion(actor, travel):
            raise PolicyDenied("保密办意见须由保密办人员填写，不能审批本人的出境，也不能与组织人事部门意见为同一人")
        _check_move(travel, "secrecy_decide")
        if travel.secrecy_opinion:
            raise InvalidState("保密办已填写意见")
        prefix = "secrecy"
    else:
        raise ValidationFailed({"step": "未知的审批环节"})
    if not approve and not _text(comment):
        raise ValidationFailed({"comment": "不同意时请写明理由"})
    setattr(travel, f"{prefix}_opinion", Opinion.APPROVE if approve else Opinion.REJECT)
    setattr(travel, f"{prefix}_by", actor)
    setattr(travel, f"{prefix}_at", timezone.now())
    setattr(travel, f"{prefix}_comment", _text(comment))
    if not approve:
        travel.state = TravelState.REJECTED
    elif travel.hr_opinion == Opinion.APPROVE and travel.secrecy_opinion == Opinion.APPROVE:
        travel.state = TravelState.APPROVED
    travel.save()
    if travel.state != TravelState.SUBMITTED:
        recipients = {travel.requested_by_id, travel.person.user_id}
        notify(recipients, kind=NOTICE_KIND_TRAVEL,
               title=f"出境审批结果：{travel.reference} {travel.get_state_display()}", link=_link(travel),
               dedupe_key=f"travel_decided:{travel.pk}")
    record_event(actor=actor, event=events.TRAVEL_DECIDE, target=travel.person,
                 detail={"travel": travel.pk, "step": step, "approve": bool(approve), "state": travel.state,
                         "comment": _text(comment)})
    return travel


@transaction.atomic
def travel_record_education(*, actor, travel, education_on, note, today=None):
    """行前保密教育 (REG24 art. 52), before departure; the 证件 the unit keeps is handed out with it."""
    today = today or timezone.localdate()
    travel = _lock(travel)
    if not may_manage_personnel(actor):
        raise PolicyDenied("只有保密办可以记录行前保密教育")
    _check_move(travel, "record_education")
    errors = {}
    if education_on is None:
        errors["education_on"] = "请填写教育日期"
    elif education_on > today:
        errors["education_on"] = "教育日期不能晚于今天"
    elif education_on > travel.departs_on:
        errors["education_on"] = "行前保密教育须在出发前进行"
    if not _text(note):
        errors["note"] = "请填写教育内容"
    if errors:
        raise ValidationFailed(errors)
    if travel.education_on:
        raise InvalidState("行前保密教育已记录")
    travel.education_on, travel.education_by, travel.education_note = education_on, actor, _text(note)
    travel.save(update_fields=["education_on", "education_by", "education_note"])
    issued = None
    if travel.travel_document_id:
        document = TravelDocument.objects.select_for_update().get(pk=travel.travel_document_id)
        if document.status == TravelDocumentStatus.HELD:
            document.status = TravelDocumentStatus.ISSUED
            document.save(update_fields=["status"])
            issued = document.pk
    record_event(actor=actor, event=events.TRAVEL_EDUCATION, target=travel.person,
                 detail={"travel": travel.pk, "education_on": education_on.isoformat(), "document_issued": issued})
    return travel


@transaction.atomic
def travel_report_return(*, actor, travel, returned_on, report, today=None):
    """回国（境）报告 (REG24 art. 52), by the person or recorded by 保密办."""
    today = today or timezone.localdate()
    travel = _lock(travel)
    if not (actor.pk == travel.person.user_id or may_manage_personnel(actor)):
        raise PolicyDenied("回国（境）报告须由本人填写或由保密办登记")
    _check_move(travel, "report_return")
    if travel.education_on is None:
        raise InvalidState("尚未记录行前保密教育")
    errors = {}
    if returned_on is None:
        errors["returned_on"] = "请填写实际返回日期"
    elif returned_on > today:
        errors["returned_on"] = "返回日期不能晚于今天"
    elif returned_on < travel.departs_on:
        errors["returned_on"] = "返回日期不能早于出发日期"
    if not _text(report):
        errors["report"] = "请填写回国（境）报告：行程、接触人员、有无异常情况"
    if errors:
        raise ValidationFailed(errors)
    travel.state = TravelState.RETURNED
    travel.returned_on, travel.return_report, travel.reported_at = returned_on, _text(report), timezone.now()
    travel.save(update_fields=["state", "returned_on", "return_report", "reported_at"])
    record_event(actor=actor, event=events.TRAVEL_RETURN, target=travel.person,
                 detail={"travel": travel.pk, "returned_on": returned_on.isoformat(),
                         "late": returned_on > travel.returns_on})
    return travel


@transaction.atomic
def travel_cancel(*, actor, travel, reason):
    travel = _lock(travel)
    if not (actor.pk in (travel.person.user_id, travel.requested_by_id) or may_manage_personnel(actor)):
        raise PolicyDenied("只有申请人或保密办可以撤销出境申请")
    _check_move(travel, "cancel")
    if travel.state == TravelState.APPROVED and travel.education_on and travel.departs_on <= timezone.localdate():
        raise InvalidState("已出发的行程不能撤销，请在返回后填写回国（境）报告")
    if not _text(reason):
        raise ValidationFailed({"reason": "请填写撤销原因"})
    travel.state = TravelState.CANCELLED
    travel.cancelled_at, travel.cancel_reason = timezone.now(), _text(reason)
    travel.save(update_fields=["state", "cancelled_at", "cancel_reason"])
    record_event(actor=actor, event=events.TRAVEL_CANCEL, target=travel.person,
                 detail={"travel": travel.pk, "reason": travel.cancel_reason})
    return travel
