"""销毁 (destruction batch) writes, SPEC §5 and REG24 art. 28, on the shared approval mechanism.

The batch is an ApprovalRequest of kind DESTROY (submit, cancel, approve and reject are the generic
services of approvals.services; a rejected or cancelled batch gives its carriers back as they
were). This module adds what only a destruction has: building the batch, designating the 监销人,
each witness's own confirmation, and the execution. Same rules as every workflow write: one
transaction, one audit event, carriers locked by id before the request row.
"""
import re

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from documents import policy as carrier_policy
from documents.models import Carrier, CustodyStatus
from documents.services import carrier_move, local_today
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed
from secrecy.levels import highest_level

from .. import events, policy
from ..models import (
    ApprovalRequest, DestructionDetail, DestructionMethod, Destroyer, DestructionWitness, RequestItem, RequestKind, StepDecision,
)
from ..registry import KindHandler
from ..services import (
    add_steps, audit, check_carriers_unchanged, check_party, close_items, lock_request, name_of, submit_if_asked,
)
from ..workflows import ASK_AND_DECIDE, DestroyAction, Move, Party, RequestState, move_for

S, D, P = RequestState, DestroyAction, Party

# 销毁 (batch): the registrar builds and submits it, a leader approves, the registrar designates the
# 监销人 (at any time before execution), each witness confirms with their own login, and the
# registrar records the execution. Designating and confirming keep the state: the execution checks
# that enough witnesses have confirmed.
DESTROY_TRANSITIONS = {
    **ASK_AND_DECIDE,
    (S.DRAFT, D.DESIGNATE): Move(S.DRAFT, P.REQUESTER),
    (S.SUBMITTED, D.DESIGNATE): Move(S.SUBMITTED, P.REQUESTER),
    (S.APPROVED, D.DESIGNATE): Move(S.APPROVED, P.REQUESTER),
    (S.APPROVED, D.WITNESS_CONFIRM): Move(S.APPROVED, P.WITNESS),
    (S.APPROVED, D.EXECUTE): Move(S.COMPLETED, P.REGISTRAR),
}

def _clean_details(*, reason, method, place, destruction_body, planned_date, today):
    errors = {}
    reason = (reason or "").strip()
    place = (place or "").strip()
    destruction_body = (destruction_body or "").strip()
    if not reason:
        errors["reason"] = "请填写销毁事由"
    if method not in DestructionMethod.values:
        errors["method"] = "请选择销毁方式（送销、碎纸、粉碎、消磁或物理破坏）"
    elif method == DestructionMethod.SEND and not destruction_body:
        # REG24 art. 28: 送销 goes to the body set up by the 保密行政管理部门.
        errors["destruction_body"] = "送销须填写承销单位（保密行政管理部门设立的销毁工作机构或指定的承销单位）"
    if not place:
        errors["place"] = "请填写销毁地点"
    if not planned_date:
        errors["planned_date"] = "请填写计划销毁日期"
    elif planned_date < today:
        errors["planned_date"] = "计划销毁日期不能早于今天"
    if errors:
        raise ValidationFailed(errors)
    return reason, place, destruction_body


# The most carriers one batch may hold (the 组织销毁 screen keeps its selection to it too).
MAX_BATCH = 500


@transaction.atomic
def destruction_batch_create(*, actor, carriers, reason, method, place, destruction_body="", planned_date=None,
                             witnesses=(), submit=False, today=None):
    """Build a batch from carriers the registrar manages (在库, 已解密 ones included); they become
    待销毁 (one custody row each). With submit it goes to the leaders at once.

    Every problem is found in one pass and reported together, each at its field (carriers,
    particulars, witnesses); the exception's kind is that of the first refusal of policy or state."""
    today = today or local_today()
    if not policy.may_build_destruction(actor):
        raise PolicyDenied("只有机要秘书可以组织销毁")
    ids = sorted({c.pk if isinstance(c, Carrier) else int(c) for c in carriers})
    errors, refusals = {}, []

    def refuse(field, error_class, message):
        errors.setdefault(field, []).append(message)
        refusals.append((error_class, message))

    if not ids:
        errors["carriers"] = ["请至少选择一件载体"]
    if len(ids) > MAX_BATCH:
        # One 销毁清单 a witness can check line by line; also bounds the locks one batch takes.
        raise ValidationFailed({"carriers": f"一个销毁批次最多 {MAX_BATCH} 件载体"})
    locked = list(Carrier.objects.select_for_update().filter(pk__in=ids).order_by("id"))
    visible = set(carrier_policy.visible_carriers(actor).filter(pk__in=ids).values_list("pk", flat=True))
    if len(locked) != len(ids) or visible != set(ids):
        raise NotVisible()
    for carrier in locked:
        refusal = policy.destruction_item_refusal(actor, carrier)
        if refusal:
            refuse("carriers", PolicyDenied, refusal)
    busy = (RequestItem.objects.filter(carrier_id__in=ids, is_open=True)
            .select_related("carrier", "request").order_by("carrier_id").first())
    if busy is not None:
        refuse("carriers", InvalidState, f"载体 {busy.carrier.serial} 已有未办结的{RequestKind(busy.kind).label}申请"
                                         f"（{busy.request.reference}），不能列入销毁")
    try:
        reason, place, destruction_body = _clean_details(
            reason=reason, method=method, place=place, destruction_body=destruction_body,
            planned_date=planned_date, today=today)
    except ValidationFailed as error:
        errors.update(error.field_errors)
    level = highest_level(c.level for c in locked) if locked else None
    witness_users = []
    if witnesses:
        try:
            witness_users = _clean_witnesses(witnesses, level=level or 0, requester_id=actor.pk)
        except PolicyDenied as error:
            refuse("witnesses", PolicyDenied, error.message)
        except ValidationFailed as error:
            errors.update(error.field_errors)
    if refusals:
        error_class, message = refusals[0]
        raise error_class(message, field_errors=errors)
    if errors:
        raise ValidationFailed(errors)
    request = ApprovalRequest.objects.create(kind=RequestKind.DESTROY, requester=actor, reason=reason, level=level)
    DestructionDetail.objects.create(request=request, method=method, place=place,
                                     destruction_body=destruction_body, planned_date=planned_date)
    try:
        with transaction.atomic():
            RequestItem.objects.bulk_create([
                RequestItem(request=request, carrier=c, kind=RequestKind.DESTROY) for c in locked])
    except IntegrityError:
        raise InvalidState("所选载体已在其他未办结的销毁批次中，不能重复列入",
                           field_errors={"carriers": ["所选载体已在其他未办结的销毁批次中，不能重复列入"]}) from None
    add_steps(request, level=level)
    _designate(actor=actor, request=request, users=witness_users)
    for carrier in locked:
        carrier_move(actor=actor, carrier=carrier, to_status=CustodyStatus.PENDING_DESTRUCTION,
                     to_user=carrier.custodian, request=request, word="列入销毁",
                     note=f"列入销毁批次，销毁方式：{DestructionMethod(method).label}")
    submit_if_asked(request, submit)
    audit(actor=actor, event=events.CREATE, request=request, carriers=locked, method=method, place=place,
          destruction_body=destruction_body, planned_date=planned_date.isoformat(),
          witnesses=[u.pk for u in witness_users], submitted=bool(submit))
    return request


def _clean_witnesses(witnesses, *, level, requester_id):
    """The designated people, or PolicyDenied with the first reason one of them or the set is
    refused (policy.witnesses_refusal_for: SPEC §5, REG24 art. 28)."""
    users = list({(u.pk if hasattr(u, "pk") else int(u)) for u in witnesses})
    found = list(get_user_model().objects.filter(pk__in=users).select_related("person__department"))
    if len(found) != len(users):
        raise ValidationFailed({"witnesses": "所选监销人不存在"})
    refusal = policy.witnesses_refusal_for(found, level=level, requester_id=requester_id)
    if refusal:
        raise PolicyDenied(refusal, field_errors={"witnesses": [refusal]})
    return sorted(found, key=lambda u: u.pk)


def _designate(*, actor, request, users):
    """Make `users` the current witnesses: keep those already designated, withdraw the others
    (the rows stay, nothing is deleted), designate the new ones."""
    wanted = {u.pk for u in users}
    current = DestructionWitness.objects.select_for_update().filter(request=request)
    current.exclude(user_id__in=wanted).update(withdrawn_at=timezone.now())
    kept = set(current.filter(user_id__in=wanted).values_list("user_id", flat=True))
    DestructionWitness.objects.bulk_create([
        DestructionWitness(request=request, user=u, designated_by=actor) for u in users if u.pk not in kept])


@transaction.atomic
def destruction_witnesses_set(*, actor, request, witnesses):
    """指定监销人 (replacing any designated before), possible until someone has confirmed."""
    request, carriers = lock_request(request)
    move = move_for(request.kind, request.state, DestroyAction.DESIGNATE)
    check_party(move, actor=actor, request=request, carriers=carriers)
    if request.witnesses.filter(confirmed_at__isnull=False).exists():
        raise InvalidState("已有监销人确认监销，不能再更换监销人")
    users = _clean_witnesses(witnesses, level=request.level, requester_id=request.requester_id)
    _designate(actor=actor, request=request, users=users)
    audit(actor=actor, event=events.DESIGNATE, request=request, carriers=carriers, witnesses=[u.pk for u in users])
    return request


@transaction.atomic
def destruction_witness_confirm(*, actor, request):
    """确认监销: a designated witness, with their own login, confirms they witness the destruction."""
    request, carriers = lock_request(request)
    move = move_for(request.kind, request.state, DestroyAction.WITNESS_CONFIRM)
    check_party(move, actor=actor, request=request, carriers=carriers)
    witness = request.witnesses.select_for_update().get(user=actor)
    witness.confirmed_at = timezone.now()
    witness.save(update_fields=["confirmed_at"])
    audit(actor=actor, event=events.WITNESS_CONFIRM, request=request, carriers=carriers)
    return request


# A 承销单位's operator is named as a person is: 2–6 Chinese characters (a middle dot between
# the parts of a minority name), or a name in Latin letters — never a description of the act.
_OPERATOR_NAME = re.compile(r"[\u4e00-\u9fff]{2,6}|[\u4e00-\u9fff]{1,10}(?:[·•][\u4e00-\u9fff]{1,10}){1,3}"
                            r"|[A-Za-z][A-Za-z .'-]{1,49}")
_NOT_A_NAME = ("销毁", "粉碎", "碎纸", "消磁", "焚", "规定", "处理", "送销", "单位", "人员", "本人", "机要")


def operator_name_refusal(name):
    """Why this text is not an operator's name, or None."""
    if not _OPERATOR_NAME.fullmatch(name) or any(word in name for word in _NOT_A_NAME):
        return f"“{name}”不是人员姓名：请填写承销单位实际操作销毁的人员姓名，如“张建国”"
    return None


def _clean_destroyer(*, detail, level, destroyed_by, destroyed_by_name):
    """(destroyer, user or None, recorded name), or the field errors. REG24 art. 28: the 销毁人 is
    recorded — a person of the unit cleared for the batch, or, when sent to the 承销单位, its
    operator by name together with the unit."""
    destroyed_by_name = (destroyed_by_name or "").strip()
    if destroyed_by is not None and destroyed_by_name:
        return {"destroyed_by_name": "销毁人只填一项：本单位人员，或承销单位操作人员姓名"}
    if destroyed_by is not None:
        user = destroyed_by
        if not isinstance(user, get_user_model()):
            user = get_user_model().objects.filter(pk=user).select_related("person").first()
        refusal = "请从本单位人员中选择销毁人" if user is None else policy.destroyer_refusal(user, level=level)
        if refusal:
            return {"destroyed_by": refusal}
        return Destroyer.PERSON, user, name_of(user)
    if not destroyed_by_name:
        return {"destroyed_by": "请选择销毁人（本单位人员），送销的可填写承销单位操作人员姓名"}
    if detail.method != DestructionMethod.SEND:
        return {"destroyed_by": f"{detail.get_method_display()}由本单位人员销毁：请从本单位人员中选择销毁人",
                "destroyed_by_name": "只有送销承销单位的，才填写承销单位操作人员姓名"}
    refusal = operator_name_refusal(destroyed_by_name)
    if refusal:
        return {"destroyed_by_name": refusal}
    return Destroyer.OPERATOR, None, destroyed_by_name


@transaction.atomic
def destruction_execute(*, actor, request, executed_on=None, destroyed_by=None, destroyed_by_name=""):
    """执行销毁: recorded by the registrar once the batch is approved and at least two distinct
    监销人 (one of them from 保密办, none the requester, each cleared for the level) have confirmed.
    The 销毁人 is a person of the unit (destroyed_by) or, for 送销, the 承销单位's operator by name.
    Every carrier becomes 已销毁 and stays on record."""
    request, carriers = lock_request(request)
    if request.kind != RequestKind.DESTROY:
        raise InvalidState("该申请不是销毁申请")
    move = move_for(request.kind, request.state, DestroyAction.EXECUTE)
    check_party(move, actor=actor, request=request, carriers=carriers)
    check_carriers_unchanged(request, carriers)
    confirmed = [w.user for w in request.witnesses.filter(confirmed_at__isnull=False)
                 .select_related("user__person__department")]
    refusal = policy.witnesses_refusal(confirmed, request)
    if refusal:
        raise PolicyDenied(f"监销人确认不足，不能执行销毁：{refusal}")
    for carrier in carriers:
        if carrier.custody_status != CustodyStatus.PENDING_DESTRUCTION:
            raise InvalidState(
                f"载体 {carrier.serial} 当前为“{CustodyStatus(carrier.custody_status).label}”，不是待销毁状态")
    today = local_today()
    executed_on = executed_on or today
    detail = request.destruction
    errors = {}
    if executed_on > today:
        errors["executed_on"] = "销毁日期不能晚于今天"
    elif request.decided_at and executed_on < timezone.localdate(request.decided_at):
        errors["executed_on"] = "销毁日期不能早于批准日期"
    destroyer = _clean_destroyer(detail=detail, level=request.level, destroyed_by=destroyed_by,
                                 destroyed_by_name=destroyed_by_name)
    if isinstance(destroyer, dict):
        errors.update(destroyer)
    if errors:
        raise ValidationFailed(errors)
    detail.destroyer, destroyed_by, destroyed_by_name = destroyer
    detail = request.destruction
    detail.executed_on = executed_on
    detail.destroyed_by = destroyed_by
    detail.destroyed_by_name = destroyed_by_name
    detail.executed_by = actor
    detail.save(update_fields=["executed_on", "destroyer", "destroyed_by", "destroyed_by_name", "executed_by"])
    now = timezone.now()
    request.state = move.to
    request.executed_at = request.completed_at = now
    request.save(update_fields=["state", "executed_at", "completed_at"])
    close_items(request)
    approvers = "、".join(name_of(step.decided_by) for step in request.steps.select_related("decided_by__person")
                         .filter(decision=StepDecision.APPROVE).order_by("order"))
    witnesses = "、".join(name_of(u) for u in confirmed)
    destroyer_text = (detail.destroyed_by_name if detail.destroyer == Destroyer.PERSON
                      else f"{detail.destroyed_by_name}（{detail.destruction_body}）")
    note = (f"{detail.get_method_display()}销毁于{detail.place}，{executed_on:%Y-%m-%d}，经{approvers}批准，"
            f"销毁人：{destroyer_text}，监销人：{witnesses}")
    for carrier in carriers:
        # The custodian stays the last person accountable; the row names no receiver.
        carrier_move(actor=actor, carrier=carrier, to_status=CustodyStatus.DESTROYED, to_user=None,
                     request=request, word="销毁", note=note)
    audit(actor=actor, event=events.EXECUTE, request=request, carriers=carriers, executed_on=executed_on.isoformat(),
          destroyed_by=destroyed_by.pk if destroyed_by else None, destroyed_by_name=detail.destroyed_by_name,
          witnesses=[u.pk for u in confirmed])
    return request


# A batch sets its carriers aside as 待销毁 when it is built; a rejected or cancelled batch gives
# them back 在库, with their custodian (approvals.services releases them).
HANDLER = KindHandler(kind=RequestKind.DESTROY, transitions=DESTROY_TRANSITIONS,
                      held_status=(CustodyStatus.PENDING_DESTRUCTION, CustodyStatus.IN_REGISTRY))
