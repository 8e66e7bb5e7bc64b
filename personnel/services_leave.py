"""离岗离职 (SPEC §8; REG24 art. 53; LAW24 art. 46).

The order the law gives: 保密提醒谈话 → 签订离岗离职保密承诺书 → 清退国家秘密载体、涉密设备 →
取消涉密信息系统访问权限 → 确定脱密期. 保密办 opens the record and notes the talk and the
commitment; a leader approves. Approval is refused while the person still holds anything
(registered leave blockers), and on approval the account is disabled, its sessions end and the
脱密期 starts that day (QA item 42: 自批准离开涉密岗位之日起计算).
"""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audits.services import record_event
from notifications.services import notify
from secrecy.errors import InvalidState, PolicyDenied, ValidationFailed

from . import events
from .leave_blockers import leave_blockers_for
from .models import (
    ADMIN_ROLES, LEAVE_TRANSITIONS, Leave, LeaveKind, LeaveState, PersonClass, PersonStatus, Role, TravelDocument,
    TravelDocumentStatus,
)
from .policy import may_approve_leave
from .services_records import _text, add_years, check_manager, lock_person
from .services_sessions import sessions_end

NOTICE_KIND_LEAVE = "personnel.leave"


def declassify_years(person_class):
    """脱密期 length by class (cfg; SPEC §8: 核心 3 年, 重要 2 年, 一般 1 年)."""
    return int(settings.SECRECY["DECLASSIFY_PERIOD_YEARS"][str(person_class)])


def declassify_period(person_class, start):
    return start, add_years(start, declassify_years(person_class))


def travel_documents_blocker(user):
    """证件 the person took for a trip and has not handed back."""
    return [f"出入境证件 {d.get_kind_display()} {d.number}（本人领用，未交回）"
            for d in TravelDocument.objects.filter(person__user=user, status=TravelDocumentStatus.ISSUED)]


def _lock(leave):
    return Leave.objects.select_for_update().select_related("person", "person__user").get(pk=leave.pk)


def _check_move(leave, action):
    LEAVE_TRANSITIONS.move_for(leave.state, action,
                               refusal=f"{leave.reference} 当前为“{leave.get_state_display()}”，不能办理此项")


@transaction.atomic
def leave_open(*, actor, person, kind, reason, planned_on, today=None):
    today = today or timezone.localdate()
    check_manager(actor, person, what="办理离岗离职")
    person = lock_person(person)
    if not person.person_class:
        raise InvalidState(f"{person.full_name}不是涉密人员，无需办理离岗离职保密手续")
    if person.status != PersonStatus.ON_POST:
        raise InvalidState(f"{person.full_name}当前为“{person.get_status_display()}”，不在涉密岗位上")
    errors = {}
    if kind not in LeaveKind.values:
        errors["kind"] = "请选择离岗或离职"
    if not _text(reason):
        errors["reason"] = "请填写离岗离职原因"
    if planned_on is None:
        errors["planned_on"] = "请填写拟离岗日期"
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            leave = Leave.objects.create(person=person, kind=kind, reason=_text(reason), planned_on=planned_on,
                                         created_by=actor)
    except IntegrityError:
        raise InvalidState(f"{person.full_name}已有办理中的离岗离职") from None
    record_event(actor=actor, event=events.LEAVE_OPEN, target=person,
                 detail={"leave": leave.pk, "kind": kind, "planned_on": planned_on.isoformat()})
    return leave


@transaction.atomic
def leave_record_talk(*, actor, leave, talk_on, talk_note, today=None):
    """保密提醒谈话 (REG24 art. 53), held by 保密办; the one who records it held it."""
    today = today or timezone.localdate()
    leave = _lock(leave)
    check_manager(actor, leave.person, what="记录保密提醒谈话")
    _check_move(leave, "record_talk")
    errors = {}
    if talk_on is None:
        errors["talk_on"] = "请填写谈话日期"
    elif talk_on > today:
        errors["talk_on"] = "谈话日期不能晚于今天"
    if not _text(talk_note):
        errors["talk_note"] = "请填写谈话要点"
    if errors:
        raise ValidationFailed(errors)
    leave.talk_on, leave.talk_by, leave.talk_note = talk_on, actor, _text(talk_note)
    leave.save(update_fields=["talk_on", "talk_by", "talk_note"])
    _tell_leaders_when_ready(leave)
    record_event(actor=actor, event=events.LEAVE_TALK, target=leave.person,
                 detail={"leave": leave.pk, "talk_on": talk_on.isoformat()})
    return leave


@transaction.atomic
def leave_sign_commitment(*, actor, leave, signed_on, today=None):
    """离岗离职保密承诺书 signed (LAW24 art. 43; REG24 art. 53)."""
    today = today or timezone.localdate()
    leave = _lock(leave)
    check_manager(actor, leave.person, what="登记离岗离职保密承诺书")
    _check_move(leave, "sign_commitment")
    if signed_on is None:
        raise ValidationFailed({"signed_on": "请填写签订日期"})
    if signed_on > today:
        raise ValidationFailed({"signed_on": "签订日期不能晚于今天"})
    leave.commitment_signed_on = signed_on
    leave.save(update_fields=["commitment_signed_on"])
    _tell_leaders_when_ready(leave)
    record_event(actor=actor, event=events.LEAVE_COMMITMENT, target=leave.person,
                 detail={"leave": leave.pk, "signed_on": signed_on.isoformat()})
    return leave


def leave_blockers(leave):
    return leave_blockers_for(leave.person.user)


def _secrecy_office_users():
    """Holders of the 保密办 role: the ones the personnel pages open for (a member of the 保密办
    department without the role would get a notice whose link answers 404)."""
    return list(get_user_model().objects.filter(groups__name=Role.SECRECY_OFFICE, is_active=True)
                .exclude(groups__name__in=ADMIN_ROLES).distinct().order_by("pk"))


def _leaders():
    return list(get_user_model().objects.filter(groups__name=Role.APPROVER, is_active=True)
                .exclude(groups__name__in=ADMIN_ROLES).distinct().order_by("pk"))


def _tell_leaders_when_ready(leave):
    """Once the talk and the commitment are on record the leave waits for a leader's approval:
    tell the leaders (never the person, whose own leave it is)."""
    if leave.talk_on and leave.commitment_signed_on:
        notify([u for u in _leaders() if u.pk != leave.person.user_id], kind=NOTICE_KIND_LEAVE,
               title=f"离岗离职待批准：{leave.person.full_name}（{leave.get_kind_display()}）",
               link=reverse("personnel:leave_detail", args=[leave.pk]), dedupe_key=f"leave_ready:{leave.pk}")


@transaction.atomic
def leave_approve(*, actor, leave, comment="", today=None):
    """Approve: access revoked (account disabled, sessions ended) and the 脱密期 starts today."""
    today = today or timezone.localdate()
    leave = _lock(leave)
    person = lock_person(leave.person)
    if not may_approve_leave(actor, person):
        if person.user_id == actor.pk:
            raise PolicyDenied("不能批准本人的离岗离职")
        raise PolicyDenied("离岗离职须由单位领导批准")
    _check_move(leave, "approve")
    missing = []
    if leave.talk_on is None:
        missing.append("保密提醒谈话")
    if leave.commitment_signed_on is None:
        missing.append("离岗离职保密承诺书")
    if missing:
        raise InvalidState(f"尚未完成：{'、'.join(missing)}，不能批准")
    held = leave_blockers_for(person.user)
    if held:
        # REG24 art. 53: every carrier and device is returned before the person leaves.
        raise InvalidState(f"{person.full_name}仍持有以下载体或物品，须全部清退后才能批准离岗："
                           + "；".join(held))
    if not person.person_class:
        # The class was removed after the leave was opened: there is no 脱密期 to set (a crash before).
        raise InvalidState(f"{person.full_name}已不是涉密人员（未确定涉密等级），无需批准离岗离职，请撤销")
    person_class = PersonClass(person.person_class)
    start, end = declassify_period(person_class, today)
    leave.state = LeaveState.APPROVED
    leave.approved_by, leave.approved_at, leave.approval_comment = actor, timezone.now(), _text(comment)
    leave.declassify_starts_on, leave.declassify_ends_on = start, end
    leave.save(update_fields=["state", "approved_by", "approved_at", "approval_comment",
                              "declassify_starts_on", "declassify_ends_on"])
    person.status = PersonStatus.DECLASSIFYING
    person.leaving_commitment_signed_on = leave.commitment_signed_on
    person.declassify_starts_on, person.declassify_ends_on = start, end
    person.save(update_fields=["status", "leaving_commitment_signed_on", "declassify_starts_on",
                               "declassify_ends_on"])
    # REG24 art. 53: 取消涉密信息系统访问权限 — the account can no longer log in, and whatever
    # session it still has ends now rather than at its idle timeout.
    user = get_user_model().objects.select_for_update().get(pk=person.user_id)
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = sessions_end(user=user, reason="离岗离职批准，取消访问权限")
    notify(_secrecy_office_users(), kind=NOTICE_KIND_LEAVE,
           title=f"{person.full_name}离岗离职已批准，脱密期至 {end:%Y-%m-%d}",
           link=reverse("personnel:detail", args=[person.pk]), dedupe_key=f"leave_approved:{leave.pk}")
    record_event(actor=actor, event=events.LEAVE_APPROVE, target=person,
                 detail={"leave": leave.pk, "kind": leave.kind, "class": person.person_class,
                         "declassify_starts_on": start.isoformat(), "declassify_ends_on": end.isoformat(),
                         "sessions_ended": ended, "comment": leave.approval_comment})
    return leave


@transaction.atomic
def leave_cancel(*, actor, leave, reason):
    leave = _lock(leave)
    check_manager(actor, leave.person, what="撤销离岗离职")
    _check_move(leave, "cancel")
    if not _text(reason):
        raise ValidationFailed({"reason": "请填写撤销原因"})
    leave.state = LeaveState.CANCELLED
    leave.cancelled_by, leave.cancelled_at, leave.cancel_reason = actor, timezone.now(), _text(reason)
    leave.save(update_fields=["state", "cancelled_by", "cancelled_at", "cancel_reason"])
    record_event(actor=actor, event=events.LEAVE_CANCEL, target=leave.person,
                 detail={"leave": leave.pk, "reason": leave.cancel_reason})
    return leave
