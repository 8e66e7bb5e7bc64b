"""Every write of a classified meeting (SPEC §9; regulations_cn.md §7): one function per business
action, each in one transaction, with the meeting row locked, the transition table asked, the
policy checked and exactly one audit event written.

How handouts move carriers (documents app, SPEC §3 custody log):
- 分发: the carrier must be 在库, 涉密, at most the meeting's level, visible to and managed by the
  person handing it out (the registrar who answers for it), and not in an open 传阅. It becomes
  会议分发 with the attendee as custodian; one custody row cites the meeting.
- 收回: back to 在库, the recovering manager as custodian.
- 丢失: 丢失, 保密办 and the carrier's registrars alerted (documents.services_disposal).
- 可带回 copies still out when the meeting closes go to the attendee's department registry
  (QA item 114: 交本单位机要人员登记, individuals may not keep them): 在库, 管理部门 = the
  attendee's department, custodian = a registrar serving it (else the person closing).

Lock order, always: the meeting, then its attendee or handout rows, then carriers by id. No other
workflow locks a meeting, so this cannot deadlock with the carrier workflows (which lock the
carrier first and never a meeting).
"""
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from audits.services import record_event
from documents import policy as carrier_policy
from documents.models import Carrier, CustodyAction, CustodyStatus, SecrecyStatus
from documents.services import carrier_move
from documents.services_disposal import mark_lost_locked
from notifications.services import notify
from personnel.models import ADMIN_ROLES, Department, Role
from personnel.names import person_name
from personnel.policy import cleared_for_level_q, person_of
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed
from secrecy.levels import Level

from . import events, policy
from .models import (
    MEETING_LEVELS, MEETING_TRANSITIONS, SHANGHAI, Attendee, AttendeeRole, Disposition, Handout, Meeting, MeetingAction,
    MeetingParty,
)

A = MeetingAction

# What a meeting form may set; the rest (state, organiser, times) is the system's.
MEETING_FIELDS = (
    "name", "level", "starts_at", "ends_at", "venue", "department", "content", "broadcast_scope",
    "phones_banned", "signal_shielding", "recording_approved", "recording_note", "venue_checked",
    "discipline_announced",
)
CHECKLIST_FIELDS = ("phones_banned", "signal_shielding", "recording_approved", "venue_checked",
                    "discipline_announced")

# What must be ticked before a meeting may start.
# QA item 113: 绝密级、机密级会议场所禁止带入手机; item 115: 会场经保密技术检查检测, 加装移动通信
# 屏蔽设备 (BJ21 art. 25: 采取无线信号干扰或者屏蔽措施). A 秘密 meeting still needs the checked venue
# (REG24 art. 45(2): 符合保密要求的场所 and 保密技术防护).
OPENING_CHECKLIST = {
    Level.CONFIDENTIAL: ("venue_checked",),
    Level.SECRET: ("phones_banned", "signal_shielding", "venue_checked"),
    Level.TOP_SECRET: ("phones_banned", "signal_shielding", "venue_checked"),
}

NOTICE_KIND_ATTENDEE = "meeting_attendee"
NOTICE_KIND_CANCELLED = "meeting_cancelled"


# ------------------------------------------------------------------------------------ helpers


def _label(field):
    return str(Meeting._meta.get_field(field).verbose_name)


def _date_label(meeting):
    return f"{meeting.starts_at.astimezone(SHANGHAI):%Y-%m-%d}"


def _lock(meeting):
    locked = Meeting.objects.select_for_update().filter(pk=getattr(meeting, "pk", meeting)).first()
    if locked is None:
        raise NotVisible()
    return locked


def _check(actor, meeting, action, *, attendee=None):
    """Visibility (404), then the transition table (state), then who may act (policy)."""
    if not policy.may_see(actor, meeting):
        raise NotVisible()
    move = MEETING_TRANSITIONS.move_for(meeting.state, action)
    if MeetingParty.MANAGER in move.by and policy.manages(actor, meeting):
        return move
    if MeetingParty.ATTENDEE in move.by and attendee is not None and attendee.user_id == actor.pk:
        return move
    who = "会议组织者、保密办或参会人员本人" if MeetingParty.ATTENDEE in move.by else "会议组织者或保密办"
    raise PolicyDenied(f"只有涉密等级不低于会议密级的{who}可以{MeetingAction(action).label}")


def _audit(*, actor, event, meeting, **detail):
    record_event(actor=actor, event=event, target=meeting, level=meeting.level,
                 detail={"meeting": meeting.pk, "state": meeting.state, **detail})


def _text(value):
    return (value or "").strip() if isinstance(value, str) or value is None else value


def _clean_meeting(values, *, organiser, actor):
    """Field errors of a meeting's particulars, as {field: message}."""
    errors = {}
    for field, message in (("name", "请填写会议名称"), ("venue", "请填写会议地点"), ("content", "请填写会议内容")):
        if not values.get(field):
            errors[field] = message
    for field in ("name", "venue", "content", "recording_note"):
        limit = Meeting._meta.get_field(field).max_length
        if values.get(field) and len(values[field]) > limit:
            errors[field] = f"{_label(field)}不超过 {limit} 字"
    level = values.get("level")
    try:
        level = Level(int(level)) if level not in (None, "") else None
    except (TypeError, ValueError):
        level = None
    if level not in MEETING_LEVELS:
        errors["level"] = "请选择会议密级（秘密、机密或绝密）"
    else:
        values["level"] = int(level)
        if not policy.manages(actor, Meeting(level=level, organiser=organiser)):
            errors["level"] = f"您的涉密等级低于{level.label}，不能组织或管理{level.label}级会议"
        elif level == Level.TOP_SECRET and not policy.may_designate_top_secret(organiser):
            # BJ21 art. 25: its attendees are designated one by one, by a leader with 绝密 authority;
            # a 绝密 meeting whose organiser cannot designate would be stuck without attendees.
            errors["level"] = "绝密级会议须由有绝密审批权限的领导组织，参会人员由其逐一指定"
    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    if not starts_at:
        errors["starts_at"] = "请填写开始时间"
    if not ends_at:
        errors["ends_at"] = "请填写结束时间"
    elif starts_at and ends_at <= starts_at:
        errors["ends_at"] = "结束时间须晚于开始时间"
    department = values.get("department")
    if not isinstance(department, Department):
        errors["department"] = "请选择承办部门"
    if values.get("recording_approved") and not values.get("recording_note"):
        # QA item 115: recording devices only with the organiser's approval — say whose.
        errors["recording_note"] = "勾选“录音录像经批准”时须写明批准人和负责人"
    return errors


def _values(data):
    unknown = set(data) - set(MEETING_FIELDS)
    if unknown:
        raise ValidationFailed({"__all__": f"未知字段：{'、'.join(sorted(unknown))}"})
    values = {field: _text(data.get(field)) for field in MEETING_FIELDS if field in data}
    for field in CHECKLIST_FIELDS:
        if field in values:
            values[field] = bool(values[field])
    for field in ("broadcast_scope", "recording_note"):
        if field in values:
            values[field] = values[field] or ""
    return values


def _registrar_serving(department, level):
    """An active registrar serving the department and cleared for the level, or None."""
    return (get_user_model().objects.filter(
        cleared_for_level_q(level), groups__name=Role.REGISTRAR, is_active=True,
        person__served_departments=department,
    ).exclude(groups__name__in=ADMIN_ROLES).distinct().order_by("pk").first())


def _locked_handout(meeting, handout):
    # of=("self",): the person join is an outer one, which PostgreSQL will not lock.
    row = (Handout.objects.select_for_update(of=("self",)).filter(pk=getattr(handout, "pk", handout), meeting=meeting)
           .select_related("attendee__user__person").first())
    if row is None:
        raise NotVisible()
    return row


def _locked_handout_carrier(handout, what):
    carrier = Carrier.objects.select_for_update().get(pk=handout.carrier_id)
    if carrier.custody_status != CustodyStatus.AT_MEETING:
        raise InvalidState(f"载体 {carrier.serial} 当前为“{CustodyStatus(carrier.custody_status).label}”，"
                           f"不在会议分发中，不能{what}")
    return carrier


def _check_open_handout(handout, what):
    if not handout.is_open:
        raise InvalidState(f"第{handout.number}号文件{handout.outcome}，不能{what}")


# ------------------------------------------------------------------------------------ meeting


@transaction.atomic
def meeting_create(*, actor, data):
    """登记涉密会议: the actor becomes its organiser (REG24 art. 45(1) 确定密级, 制定保密方案)."""
    if not policy.may_create(actor):
        raise PolicyDenied("只有保密办、领导和机要秘书可以组织涉密会议")
    values = _values(data)
    errors = _clean_meeting(values, organiser=actor, actor=actor)
    if errors:
        raise ValidationFailed(errors)
    meeting = Meeting.objects.create(organiser=actor, created_by=actor, **values)
    _audit(actor=actor, event=events.CREATE, meeting=meeting,
           checklist={f: getattr(meeting, f) for f in CHECKLIST_FIELDS}, department=meeting.department_id)
    return meeting


@transaction.atomic
def meeting_update(*, actor, meeting, data):
    """修改会议信息 and the checklist, while the meeting is being prepared."""
    meeting = _lock(meeting)
    _check(actor, meeting, A.UPDATE)
    values = _values(data)
    current = {field: getattr(meeting, field) for field in MEETING_FIELDS}
    merged = {**current, **values}
    errors = _clean_meeting(merged, organiser=meeting.organiser, actor=actor)
    new_level = merged.get("level")
    if not errors and new_level != meeting.level:
        attendees = list(Attendee.objects.filter(meeting=meeting).select_related("user__person"))
        refused = [a for a in attendees if policy.attendee_refusal(a.user, Meeting(level=new_level)) is not None]
        if refused:
            errors["level"] = (f"以下参会人员的涉密等级不足以参加{Level(new_level).label}级会议："
                               f"{'、'.join(person_name(a.user) for a in refused)}")
        elif new_level == Level.TOP_SECRET and any(a.designated_by_id is None for a in attendees):
            # BJ21 art. 25: every attendee of a 绝密 meeting is designated individually.
            errors["level"] = "已登记的参会人员未经逐一指定，不能改为绝密级会议"
    if errors:
        raise ValidationFailed(errors)
    changed = {}
    for field, value in merged.items():
        old = current[field]
        if old != value:
            changed[field] = [str(getattr(old, "pk", old)), str(getattr(value, "pk", value))]
            setattr(meeting, field, value)
    if not changed:
        raise ValidationFailed({"__all__": "没有需要修改的内容"})
    meeting.save(update_fields=list(changed))
    _audit(actor=actor, event=events.UPDATE, meeting=meeting, changed=changed)
    return meeting


@transaction.atomic
def attendee_add(*, actor, meeting, user, role=AttendeeRole.PARTICIPANT):
    """限定参加人员和工作人员范围 (REG24 art. 45(1)): one named person, cleared for the level; for a
    绝密 meeting designated by a leader with 绝密 authority (BJ21 art. 25)."""
    meeting = _lock(meeting)
    _check(actor, meeting, A.ADD_ATTENDEE)
    top_secret = meeting.level == Level.TOP_SECRET
    if top_secret and not policy.may_designate_top_secret(actor):
        raise PolicyDenied("绝密级会议的参会人员须由有绝密审批权限的领导逐一指定")
    if role not in AttendeeRole.values:
        raise ValidationFailed({"role": "请选择参会身份（参会人员或工作人员）"})
    if user is None:
        raise ValidationFailed({"user": "请选择参会人员"})
    user = get_user_model().objects.select_related("person").get(pk=user.pk)
    refusal = policy.attendee_refusal(user, meeting)
    if refusal:
        raise ValidationFailed({"user": refusal})
    if Attendee.objects.filter(meeting=meeting, user=user).exists():
        raise ValidationFailed({"user": f"{person_name(user)}已在本次会议的人员名单中"})
    now = timezone.now()
    try:
        with transaction.atomic():
            attendee = Attendee.objects.create(
                meeting=meeting, user=user, role=role, added_by=actor,
                designated_by=actor if top_secret else None, designated_at=now if top_secret else None)
    except IntegrityError:  # pragma: no cover — the meeting lock and the check above come first
        raise ValidationFailed({"user": f"{person_name(user)}已在本次会议的人员名单中"}) from None
    # The notice names the meeting by its reference and date only: its name, venue and content may
    # be classified, and notices also travel by e-mail (notifications.services.notify).
    notify([user], kind=NOTICE_KIND_ATTENDEE, title=f"参会通知：{meeting.reference}（{_date_label(meeting)}）",
           body=f"您已被列为{meeting.reference}的{AttendeeRole(role).label}，请登录系统查看会议安排，"
                "按时到会签到并遵守会议保密纪律。",
           link=meeting.get_absolute_url(), level=meeting.level, dedupe_key=f"{NOTICE_KIND_ATTENDEE}:{attendee.pk}")
    _audit(actor=actor, event=events.ATTENDEE_ADD, meeting=meeting, attendee=attendee.pk, user=user.pk, role=role,
           designated=top_secret)
    return attendee


@transaction.atomic
def meeting_open(*, actor, meeting):
    """开始会议: only with its attendees named and the checklist of its level ticked."""
    meeting = _lock(meeting)
    _check(actor, meeting, A.OPEN)
    if not Attendee.objects.filter(meeting=meeting).exists():
        raise InvalidState("会议尚未登记参会人员，不能开始（须限定参加人员范围）")
    missing = [_label(field) for field in OPENING_CHECKLIST[Level(meeting.level)] if not getattr(meeting, field)]
    if missing:
        raise InvalidState(f"{Level(meeting.level).label}级会议开始前须落实：{'、'.join(missing)}。"
                           "请在会议信息中确认并勾选后再开始")
    meeting.state = MEETING_TRANSITIONS.move_for(meeting.state, A.OPEN).to
    meeting.opened_at, meeting.opened_by = timezone.now(), actor
    meeting.save(update_fields=["state", "opened_at", "opened_by"])
    _audit(actor=actor, event=events.OPEN, meeting=meeting,
           checklist={f: getattr(meeting, f) for f in CHECKLIST_FIELDS})
    return meeting


@transaction.atomic
def attendee_sign_in(*, actor, meeting, attendee):
    """签到: by the attendee, or by a manager who checked their identity (REG24 art. 45(4)
    身份核实); once."""
    meeting = _lock(meeting)
    row = (Attendee.objects.select_for_update(of=("self",))
           .filter(pk=getattr(attendee, "pk", attendee), meeting=meeting).select_related("user__person").first())
    if row is None:
        raise NotVisible()
    _check(actor, meeting, A.SIGN_IN, attendee=row)
    name = person_name(row.user)
    if row.signed_in_at is not None:
        raise InvalidState(f"{name}已于{row.signed_in_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}签到，不能重复签到")
    refusal = policy.attendee_refusal(row.user, meeting)
    if refusal:
        # Clearance can lapse between designation and the meeting (review, status, account).
        raise InvalidState(f"{refusal}（现已不符合参会条件），不能签到")
    row.signed_in_at, row.signed_in_recorded_by = timezone.now(), actor
    row.save(update_fields=["signed_in_at", "signed_in_recorded_by"])
    _audit(actor=actor, event=events.ATTENDEE_SIGN_IN, meeting=meeting, attendee=row.pk, user=row.user_id,
           by_self=row.user_id == actor.pk)
    return row


@transaction.atomic
def meeting_cancel(*, actor, meeting, reason):
    """取消会议: only before it started (nothing has been handed out)."""
    meeting = _lock(meeting)
    _check(actor, meeting, A.CANCEL)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": "请填写取消原因"})
    meeting.state = MEETING_TRANSITIONS.move_for(meeting.state, A.CANCEL).to
    meeting.cancelled_at, meeting.cancelled_by, meeting.cancel_reason = timezone.now(), actor, reason
    meeting.save(update_fields=["state", "cancelled_at", "cancelled_by", "cancel_reason"])
    attendees = list(Attendee.objects.filter(meeting=meeting).values_list("user_id", flat=True))
    notify(attendees, kind=NOTICE_KIND_CANCELLED, title=f"会议取消通知：{meeting.reference}（{_date_label(meeting)}）",
           body=f"{meeting.reference}已取消。", link=meeting.get_absolute_url(), level=meeting.level,
           dedupe_key=f"{NOTICE_KIND_CANCELLED}:{meeting.pk}")
    _audit(actor=actor, event=events.CANCEL, meeting=meeting, reason=reason)
    return meeting


# ------------------------------------------------------------------------------------ handouts


@transaction.atomic
def handout_give(*, actor, meeting, serial, attendee, disposition=Disposition.RECOVER):
    """分发: one numbered carrier to one signed-in attendee (QA item 110: 统一编号)."""
    meeting = _lock(meeting)
    _check(actor, meeting, A.HAND_OUT)
    serial = (serial or "").strip()
    errors = {}
    if disposition not in Disposition.values:
        errors["disposition"] = "请选择会后收回或可带回"
    if attendee is None or getattr(attendee, "meeting_id", None) != meeting.pk:
        errors["attendee"] = "请选择本次会议的参会人员"
    if not serial:
        errors["serial"] = "请填写载体的统一编号"
    if errors:
        raise ValidationFailed(errors)
    attendee = Attendee.objects.select_related("user__person").get(pk=attendee.pk)
    name = person_name(attendee.user)
    if attendee.signed_in_at is None:
        raise ValidationFailed({"attendee": f"{name}尚未签到，签到（身份核实）后才能领取会议文件"})
    refusal = policy.attendee_refusal(attendee.user, meeting)
    if refusal:
        raise ValidationFailed({"attendee": f"{refusal}，不能领取会议文件"})
    # Visible first (one query through the carrier policy), so a serial the actor may not see reads
    # exactly like one that does not exist.
    carrier_id = carrier_policy.visible_carriers(actor).filter(serial=serial).values_list("pk", flat=True).first()
    if carrier_id is None:
        raise ValidationFailed({"serial": f"未找到统一编号为 {serial} 的载体"})
    carrier = Carrier.objects.select_for_update().get(pk=carrier_id)
    if not carrier_policy.may_manage(actor, carrier):
        message = "您不负责该载体管理部门的机要工作，不能分发该载体；请由负责的机要秘书分发"
        raise PolicyDenied(message, field_errors={"serial": message})
    if carrier.secrecy_status != SecrecyStatus.CLASSIFIED:
        raise ValidationFailed({"serial": f"载体 {carrier.serial} 已解密，不作为涉密会议文件分发"})
    if carrier.level > meeting.level:
        raise ValidationFailed({"serial": f"载体 {carrier.serial} 的密级（{Level(carrier.level).label}）高于会议密级"
                                          f"（{Level(meeting.level).label}），不能在本次会议分发"})
    if carrier.custody_status != CustodyStatus.IN_REGISTRY:
        raise ValidationFailed({"serial": f"载体 {carrier.serial} 当前为“{CustodyStatus(carrier.custody_status).label}”，"
                                          "只有在库的载体可以分发"})
    circulating = carrier_policy.circulation_refusal(carrier, "在会议分发")
    if circulating:
        raise ValidationFailed({"serial": circulating})
    number = (Handout.objects.filter(meeting=meeting).aggregate(last=Max("number"))["last"] or 0) + 1
    try:
        with transaction.atomic():
            handout = Handout.objects.create(meeting=meeting, number=number, carrier=carrier, attendee=attendee,
                                             disposition=disposition, handed_by=actor)
    except IntegrityError:  # pragma: no cover — the carrier lock and its status come first
        raise InvalidState(f"载体 {carrier.serial} 已分发给其他参会人员") from None
    carrier_move(actor=actor, request=meeting, carrier=carrier, to_status=CustodyStatus.AT_MEETING,
                 to_user=attendee.user, action=CustodyAction.HANDED_OUT, word="会议分发",
                 note=f"会议文件第{number}号，分发给{name}（{Disposition(disposition).label}）")
    _audit(actor=actor, event=events.HANDOUT_GIVE, meeting=meeting, handout=handout.pk, number=number,
           carrier=carrier.pk, serial=carrier.serial, attendee=attendee.pk, user=attendee.user_id,
           disposition=disposition)
    return handout


@transaction.atomic
def handout_recover(*, actor, meeting, handout, note=""):
    """收回: the copy comes back to the meeting's document officer (QA item 114)."""
    meeting = _lock(meeting)
    _check(actor, meeting, A.RECOVER)
    handout = _locked_handout(meeting, handout)
    _check_open_handout(handout, "再收回")
    carrier = _locked_handout_carrier(handout, "收回")
    note = (note or "").strip()
    handout.recovered_at, handout.recovered_by = timezone.now(), actor
    handout.save(update_fields=["recovered_at", "recovered_by"])
    carrier_move(actor=actor, request=meeting, carrier=carrier, to_status=CustodyStatus.IN_REGISTRY, to_user=actor,
                 action=CustodyAction.RETURNED, word="会议文件收回",
                 note=f"会议文件第{handout.number}号收回" + (f"：{note}" if note else ""))
    _audit(actor=actor, event=events.HANDOUT_RECOVER, meeting=meeting, handout=handout.pk, number=handout.number,
           carrier=carrier.pk, serial=carrier.serial, note=note)
    return handout


@transaction.atomic
def handout_report_lost(*, actor, meeting, handout, note):
    """报告丢失: the copy is neither recovered nor found — the carrier becomes 丢失 and 保密办 is
    alerted at once (REG24 art. 61: report within 24 hours)."""
    meeting = _lock(meeting)
    _check(actor, meeting, A.REPORT_LOST)
    handout = _locked_handout(meeting, handout)
    _check_open_handout(handout, "报告丢失")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed({"note": "请写明丢失情况：发现时间、地点、经过和已采取的措施"})
    carrier = _locked_handout_carrier(handout, "报告丢失")
    holder = person_name(handout.attendee.user)
    notices = mark_lost_locked(actor=actor, carrier=carrier, approval_ref=meeting.reference,
                               custody_note=f"会议文件第{handout.number}号（领取人 {holder}）未能收回：{note}")
    handout.lost_reported_at, handout.lost_reported_by, handout.lost_note = timezone.now(), actor, note
    handout.save(update_fields=["lost_reported_at", "lost_reported_by", "lost_note"])
    _audit(actor=actor, event=events.HANDOUT_REPORT_LOST, meeting=meeting, handout=handout.pk, number=handout.number,
           carrier=carrier.pk, serial=carrier.serial, holder=handout.attendee.user_id, note=note,
           notified=sorted({n.recipient_id for n in notices}))
    return handout


@transaction.atomic
def meeting_close(*, actor, meeting):
    """结束会议: every 会后收回 copy recovered or reported lost (SPEC §9); 可带回 copies still out go
    to the attendee's department registry (QA item 114)."""
    meeting = _lock(meeting)
    _check(actor, meeting, A.CLOSE)
    handouts = list(Handout.objects.select_for_update(of=("self",)).filter(meeting=meeting)
                    .select_related("carrier", "attendee__user__person__department").order_by("number"))
    outstanding = [h for h in handouts if h.is_open and h.disposition == Disposition.RECOVER]
    if outstanding:
        listed = "、".join(f"第{h.number}号（{h.carrier.serial}）" for h in outstanding)
        raise InvalidState(f"以下会后收回的文件尚未收回或报告丢失，不能结束会议：{listed}")
    kept = [h for h in handouts if h.is_open and h.disposition == Disposition.KEEP]
    carriers = {c.pk: c for c in Carrier.objects.select_for_update().filter(
        pk__in=[h.carrier_id for h in kept]).order_by("id")}
    now = timezone.now()
    kept_detail = []
    for handout in kept:
        carrier = carriers[handout.carrier_id]
        if carrier.custody_status != CustodyStatus.AT_MEETING:
            raise InvalidState(f"载体 {carrier.serial} 当前为“{CustodyStatus(carrier.custody_status).label}”，"
                               "不在会议分发中，请核实后再结束会议")
        person = person_of(handout.attendee.user)
        department = person.department if person is not None else meeting.department
        registrar = _registrar_serving(department, carrier.level) or actor
        carrier_move(actor=actor, request=meeting, carrier=carrier, to_status=CustodyStatus.IN_REGISTRY,
                     to_user=registrar, action=CustodyAction.RETURNED, word="会后带回登记", department=department,
                     note=f"会后带回，交机要室登记（会议文件第{handout.number}号，"
                          f"领取人 {person_name(handout.attendee.user)}，由{department.name}管理）")
        handout.kept_registered_at = now
        handout.save(update_fields=["kept_registered_at"])
        kept_detail.append({"number": handout.number, "carrier": carrier.pk, "department": department.pk,
                            "custodian": registrar.pk})
    meeting.state = MEETING_TRANSITIONS.move_for(meeting.state, A.CLOSE).to
    meeting.closed_at, meeting.closed_by = now, actor
    meeting.save(update_fields=["state", "closed_at", "closed_by"])
    _audit(actor=actor, event=events.CLOSE, meeting=meeting, handouts=len(handouts),
           recovered=sum(1 for h in handouts if h.recovered_at), lost=sum(1 for h in handouts if h.lost_reported_at),
           kept=kept_detail)
    return meeting


__all__ = [
    "meeting_create", "meeting_update", "attendee_add", "meeting_open", "attendee_sign_in", "meeting_cancel",
    "handout_give", "handout_recover", "handout_report_lost", "meeting_close",
]
