"""传阅 (SPEC §6): every write of a circulation, one function per business action, each in one
transaction with exactly one audit event and the carrier's custody rows.

The rules the functions enforce:
- only a registrar who manages the carrier (policy.may_manage) starts, hands on, takes back or
  cancels a circulation; a circulation starts only for a carrier that is 在库 and in no open request;
- every reader must be allowed to see the carrier (SPEC §4): the policy decides, not the form; the
  standing scope counts (知悉范围, custody, the registrar's department), not an approver's or a
  witness's temporary sight, which must not become a way to have the carrier handed over;
- 不得横传 (REG24 art. 27; SPEC §6): the carrier comes back to the registry between two readers.
  There is no "pass to the next reader" action for a reader at all, and the registrar can hand the
  carrier to the next reader only once the previous one has returned it;
- the reader who holds the carrier signs (阅签) it once, with an optional comment;
- the deadline of a reader is set when the carrier is handed to them: 绝密 3 days, others 7
  (settings.SECRECY["CIRCULATION_DAYS"]).

Lock order, always: the carrier (by id), then the circulation row — the same as the approval
workflows, so a circulation and a loan of the same carrier queue on the same row.
"""
import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audits.services import record_event
from notifications.services import notify
from personnel.names import person_name
from personnel.policy import clearance_of, is_admin_role
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed

from . import events, policy
from .hooks import open_work_holding
from .models import Carrier, Circulation, CirculationState, CirculationStep, CustodyAction, CustodyStatus
from .services import carrier_move, local_today

MAX_READERS = 50


def reader_name(user):
    """A reader as the messages name them: by name, never by login (issue 14 §5)."""
    return person_name(user)


def circulation_days(level):
    """Days a reader has to read, sign and return it (SPEC §6, cfg)."""
    days = settings.SECRECY.get("CIRCULATION_DAYS", {})
    return int(days.get(str(int(level)), days.get("default", 7)))


def _check_registrar(actor, carrier):
    if not policy.may_manage(actor, carrier):
        raise PolicyDenied("只有负责该载体管理部门的机要秘书可以办理传阅")


def _lock(circulation):
    """Lock the carrier and then the circulation; return both, fresh."""
    carrier = Carrier.objects.select_for_update().get(pk=circulation.carrier_id)
    locked = Circulation.objects.select_for_update().get(pk=circulation.pk)
    return locked, carrier


def _steps(circulation):
    return list(CirculationStep.objects.filter(circulation=circulation).select_related("reader__person")
                .order_by("order"))


def _current(steps):
    """The step whose reader holds the carrier now, or None."""
    return next((s for s in steps if s.is_out), None)


def _next(steps):
    return next((s for s in steps if s.handed_at is None), None)


def _audit(*, actor, event, circulation, carrier, **extra):
    record_event(actor=actor, event=event, target=circulation, level=carrier.level,
                 detail={"circulation": circulation.pk, "carrier": carrier.pk, "state": circulation.state, **extra})


def _reader_refusal(user, carrier):
    """Why this person may not be a reader of the carrier, or None."""
    if not user.is_active or is_admin_role(user):
        return "账号已停用或不是业务人员"
    if clearance_of(user) < carrier.level:
        return "涉密等级低于载体密级"
    if not policy.in_standing_scope(user, carrier):
        return "不在该载体的知悉范围内"
    return None


@transaction.atomic
def circulation_start(*, actor, carrier, readers, note="", today=None):
    """发起传阅: the ordered readers, each checked against the access policy. Nothing is handed out
    yet; the registrar hands the carrier to the first reader with circulation_hand_to_next."""
    carrier = Carrier.objects.select_for_update().filter(pk=carrier.pk).first()
    if carrier is None or not policy.visible_carriers(actor).filter(pk=carrier.pk).exists():
        raise NotVisible()
    _check_registrar(actor, carrier)
    if carrier.custody_status != CustodyStatus.IN_REGISTRY:
        raise InvalidState(f"载体当前为“{CustodyStatus(carrier.custody_status).label}”，不在库，不能传阅")
    held_by = open_work_holding(carrier)
    if held_by is not None:
        raise InvalidState(f"该载体有{held_by.what}，不能同时传阅")
    if Circulation.objects.filter(carrier=carrier, state=CirculationState.OPEN).exists():
        raise InvalidState("该载体已在传阅中，不能重复发起")

    readers = list(readers)
    if not readers:
        raise ValidationFailed({"readers": "请至少指定一名阅读人"})
    if len(readers) > MAX_READERS:
        raise ValidationFailed({"readers": f"一次传阅最多 {MAX_READERS} 名阅读人"})
    seen, repeated = set(), []
    for user in readers:
        if user.pk in seen:
            repeated.append(reader_name(user))
        seen.add(user.pk)
    if repeated:
        raise ValidationFailed({"readers": f"阅读人重复：{'、'.join(repeated)}"})
    refused = [f"{reader_name(u)}（{why}）" for u in readers if (why := _reader_refusal(u, carrier))]
    if refused:
        raise ValidationFailed({"readers": f"以下人员无权知悉该载体，不能列为阅读人：{'、'.join(refused)}"})

    circulation = Circulation.objects.create(carrier=carrier, started_by=actor, note=(note or "").strip())
    try:
        with transaction.atomic():
            CirculationStep.objects.bulk_create([
                CirculationStep(circulation=circulation, order=n, reader=user) for n, user in enumerate(readers, 1)
            ])
    except IntegrityError:  # pragma: no cover — the checks above come first
        raise InvalidState("阅读人名单有误，请重新填写") from None
    _audit(actor=actor, event=events.CIRCULATION_START, circulation=circulation, carrier=carrier,
           readers=[u.pk for u in readers], days=circulation_days(carrier.level))
    return circulation


@transaction.atomic
def circulation_hand_to_next(*, actor, circulation, today=None):
    """送达下一位阅读人: only from the registry (不得横传)."""
    today = today or local_today()
    circulation, carrier = _lock(circulation)
    _check_registrar(actor, carrier)
    if not circulation.is_open:
        raise InvalidState("该传阅已结束")
    steps = _steps(circulation)
    current = _current(steps)
    if current is not None:
        # SPEC §6 不得横传: the previous reader returns it to the registry first.
        raise InvalidState(f"载体仍在阅读人 {reader_name(current.reader)} 处，须先交回机要室，"
                           "才能送达下一位阅读人（不得横传）")
    if carrier.custody_status != CustodyStatus.IN_REGISTRY:
        raise InvalidState(f"载体当前为“{CustodyStatus(carrier.custody_status).label}”，不在库，不能送达")
    step = _next(steps)
    if step is None:
        raise InvalidState("所有阅读人均已阅毕")
    reader = get_user_model().objects.select_related("person").get(pk=step.reader_id)
    why = _reader_refusal(reader, carrier)
    if why:
        # Scope or clearance may have changed since the circulation started.
        raise InvalidState(f"{reader_name(reader)}现已无权知悉该载体（{why}），不能送达；请撤销本次传阅")
    now = timezone.now()
    step.handed_at, step.handed_by = now, actor
    step.deadline = today + dt.timedelta(days=circulation_days(carrier.level))
    step.save(update_fields=["handed_at", "handed_by", "deadline"])
    carrier_move(actor=actor, carrier=carrier, request=circulation, to_user=reader, to_status=CustodyStatus.CIRCULATING,
                 action=CustodyAction.HANDED_OUT, word="传阅送达",
          note=f"传阅送达第{step.order}位阅读人，阅签期限 {step.deadline:%Y-%m-%d}")
    notify([reader], kind="circulation_handed", title=f"待阅签：{circulation.reference}",
           body=f"机要室已将传阅载体送达您处，请于{step.deadline:%Y-%m-%d}前阅签并交回机要室，不得转交他人。",
           link=reverse("circulation:mine"), level=carrier.level)
    _audit(actor=actor, event=events.CIRCULATION_HAND, circulation=circulation, carrier=carrier, step=step.order,
           reader=reader.pk, deadline=step.deadline.isoformat())
    return circulation


@transaction.atomic
def circulation_sign(*, actor, circulation, comment=""):
    """阅签: the reader holding the carrier signs it, once."""
    circulation, carrier = _lock(circulation)
    steps = _steps(circulation)
    mine = next((s for s in steps if s.reader_id == actor.pk), None)
    if mine is None:
        raise NotVisible()
    if not circulation.is_open:
        raise InvalidState("该传阅已结束")
    if mine.signed_at is not None:
        raise InvalidState("您已阅签，不能重复阅签")
    if not mine.is_out or carrier.custodian_id != actor.pk or carrier.custody_status != CustodyStatus.CIRCULATING:
        raise InvalidState("载体尚未送达您处，不能阅签；传阅载体须由机要室逐一送达（不得横传）")
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise ValidationFailed({"comment": "阅签意见不超过 1000 字"})
    mine.signed_at, mine.comment = timezone.now(), comment
    mine.save(update_fields=["signed_at", "comment"])
    _audit(actor=actor, event=events.CIRCULATION_SIGN, circulation=circulation, carrier=carrier, step=mine.order,
           comment=bool(comment))
    return mine


@transaction.atomic
def circulation_take_back(*, actor, circulation, unsigned_reason=""):
    """交回: the registrar takes the carrier back from the reader who signed it; after the last
    reader the circulation is complete. A reader who does not sign (away, refuses, overdue) must
    not leave the carrier stuck with them: the registrar may take it back unsigned, with the reason
    recorded; the slip then shows that reader as 未阅签."""
    circulation, carrier = _lock(circulation)
    _check_registrar(actor, carrier)
    if not circulation.is_open:
        raise InvalidState("该传阅已结束")
    steps = _steps(circulation)
    step = _current(steps)
    if step is None:
        raise InvalidState("载体不在阅读人处，无需交回")
    unsigned_reason = (unsigned_reason or "").strip()
    if step.signed_at is None and not unsigned_reason:
        raise ValidationFailed({"unsigned_reason": f"{reader_name(step.reader)}尚未阅签；未阅签收回须写明原因"})
    now = timezone.now()
    step.returned_at, step.returned_to = now, actor
    step.save(update_fields=["returned_at", "returned_to"])
    carrier_move(actor=actor, carrier=carrier, request=circulation, to_user=actor, to_status=CustodyStatus.IN_REGISTRY,
                 action=CustodyAction.RETURNED, word="传阅交回",
          note=(f"第{step.order}位阅读人阅毕交回" if step.signed_at else
                f"第{step.order}位阅读人未阅签，收回：{unsigned_reason}"))
    finished = _next(steps) is None
    if finished:
        circulation.state = CirculationState.COMPLETED
        circulation.completed_at = now
        circulation.save(update_fields=["state", "completed_at"])
    _audit(actor=actor, event=events.CIRCULATION_RETURN, circulation=circulation, carrier=carrier, step=step.order,
           reader=step.reader_id, completed=finished, signed=step.signed_at is not None,
           unsigned_reason=unsigned_reason if step.signed_at is None else "")
    return circulation


@transaction.atomic
def circulation_cancel(*, actor, circulation, reason):
    """撤销传阅: only while the carrier is in the registry; the readers not yet reached are not."""
    circulation, carrier = _lock(circulation)
    _check_registrar(actor, carrier)
    if not circulation.is_open:
        raise InvalidState("该传阅已结束")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": "请填写撤销原因"})
    current = _current(_steps(circulation))
    if current is not None:
        raise InvalidState(f"载体仍在阅读人 {reader_name(current.reader)} 处，须先交回机要室再撤销")
    circulation.state = CirculationState.CANCELLED
    circulation.cancelled_at, circulation.cancelled_by, circulation.cancel_reason = timezone.now(), actor, reason
    circulation.save(update_fields=["state", "cancelled_at", "cancelled_by", "cancel_reason"])
    _audit(actor=actor, event=events.CIRCULATION_CANCEL, circulation=circulation, carrier=carrier, reason=reason)
    return circulation


__all__ = [
    "circulation_start", "circulation_hand_to_next", "circulation_sign", "circulation_take_back",
    "circulation_cancel", "circulation_days", "reader_name",
]
