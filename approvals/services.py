"""The approval core (SPEC §5): the generic request services — submit, cancel, decide — and the
shared machinery every kind in approvals/kinds/ builds on. One function per business action, each
in one transaction with exactly one audit event.

The generic services never test a request's kind: what differs per kind (its table, what asking
sets aside, what an approval must check, what approving does) is the kind's handler
(approvals.registry), registered in ApprovalsConfig.ready().

Lock order, always: the request's carriers by id, then the request row. Creating a request locks
the carrier first too, so two clicks, two approvers or two registrars queue up on the same rows
instead of racing; the partial unique constraint on open request items is the last guard.
"""
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.services import record_event
from documents import policy as carrier_policy
from documents.models import Carrier, CustodyAction, CustodyStatus
from documents.services import carrier_move
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed
from secrecy.levels import highest_level

from . import events, policy
from .models import ApprovalRequest, ApprovalStep, RequestItem, RequestKind, RequestState, ReturnCondition, StepDecision
from .notices import notify_decided
from .registry import handler_for
from .workflows import Action, Party, move_for

# ------------------------------------------------------------------------- shared machinery


def lock_request(request):
    """Lock the request's carriers (by id) and then the request; return (request, carriers)."""
    carrier_ids = sorted(RequestItem.objects.filter(request_id=request.pk).values_list("carrier_id", flat=True))
    carriers = list(Carrier.objects.select_for_update().filter(pk__in=carrier_ids).order_by("id"))
    locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
    return locked, carriers


def lock_visible_carrier(actor, carrier):
    """Lock one carrier the actor asks about; NotVisible when it does not exist for them."""
    carrier = Carrier.objects.select_for_update().filter(pk=carrier.pk).first()
    if carrier is None or not carrier_policy.visible_carriers(actor).filter(pk=carrier.pk).exists():
        raise NotVisible()
    return carrier


def check_party(move, *, actor, request, carriers, step=None):
    """PolicyDenied unless the actor is the party the table names for this move."""
    if Party.REQUESTER in move.by:
        if actor.pk != request.requester_id:
            raise PolicyDenied("只有申请人本人可以办理此操作")
    elif Party.APPROVER in move.by:
        refusal = policy.decide_refusal(actor, request, step)
        if refusal:
            raise PolicyDenied(refusal)
    elif Party.REGISTRAR in move.by:
        refusal = policy.execute_refusal(actor, request, carriers)
        if refusal:
            raise PolicyDenied(refusal)
    elif Party.WITNESS in move.by:
        witness = request.witnesses.filter(user=actor).first()
        refusal = policy.witness_confirm_refusal(actor, request, witness)
        if refusal:
            raise PolicyDenied(refusal)


def check_carriers_unchanged(request, carriers):
    """InvalidState when the carriers are no longer what was approved (the kind may say what that
    means; by default their highest level must still be the request's)."""
    handler = handler_for(request.kind)
    if handler is not None and handler.check_carriers is not None:
        handler.check_carriers(request, carriers)
        return
    # A carrier corrected to a higher level after the request was made must be asked for again:
    # the approval was given for the lower level.
    if highest_level(c.level for c in carriers) != request.level:
        raise InvalidState("载体密级已变更，该申请须撤销后重新提出")


def close_items(request):
    """The request no longer holds its carriers (the partial unique constraint frees them)."""
    RequestItem.objects.filter(request=request, is_open=True).update(is_open=False)


def _release(*, actor, request, carriers, why):
    """A rejected or cancelled request changes no carrier: a carrier its request set aside (a
    destruction batch marks them 待销毁) goes back to exactly what it was, with its custodian."""
    handler = handler_for(request.kind)
    held = handler.held_status if handler is not None else None
    if held is None:
        return
    held_status, back_to = held
    for carrier in carriers:
        if carrier.custody_status != held_status:
            continue
        carrier_move(actor=actor, carrier=carrier, to_status=back_to, to_user=carrier.custodian, request=request,
                     word=why, note=f"{why}，载体恢复{CustodyStatus(back_to).label}")


def _detail(request, carriers, **extra):
    return {"request": request.pk, "kind": request.kind, "state": request.state,
            "carriers": [c.pk for c in carriers], **extra}


def audit(*, actor, event, request, carriers, **extra):
    """The one audit event of a request action (approvals.events), at the request's level."""
    record_event(actor=actor, event=event, target=request, level=request.level,
                 detail=_detail(request, carriers, **extra))


def name_of(user):
    """How custody notes name a person: the 涉密人员's full name, else the account name."""
    person = getattr(user, "person", None)
    return person.full_name if person is not None and person.full_name else user.get_username()


def current_step(request):
    return ApprovalStep.objects.filter(request=request, decision=StepDecision.PENDING).order_by("order").first()


def approvers_of(request):
    """The names of who approved, in step order (quoted in custody notes)."""
    return "、".join(name_of(step.decided_by) for step in request.steps.select_related("decided_by__person")
                    .filter(decision=StepDecision.APPROVE).order_by("order"))


def users_by_id(ids_or_users):
    ids = {u.pk if hasattr(u, "pk") else int(u) for u in ids_or_users or ()}
    return list(get_user_model().objects.filter(pk__in=ids).select_related("person").order_by("id"))


def add_steps(request, *, level, **policy_args):
    """The approval steps the policy requires for this kind and level."""
    ApprovalStep.objects.bulk_create([
        ApprovalStep(request=request, **step)
        for step in policy.required_steps(request.kind, level, **policy_args)
    ])


def submit_if_asked(request, submit):
    """With submit (the usual click) a new request goes to its deciders at once."""
    if submit:
        request.state = move_for(request.kind, request.state, Action.SUBMIT).to
        request.submitted_at = timezone.now()
        request.save(update_fields=["state", "submitted_at"])


def create_request(*, actor, carrier, kind, submit, **fields):
    """A request of one locked carrier: the request, its item (one open request of a kind per
    carrier), the steps the policy requires, submitted when asked. The caller writes the audit."""
    request = ApprovalRequest.objects.create(kind=kind, requester=actor, level=carrier.level, **fields)
    try:
        with transaction.atomic():
            RequestItem.objects.create(request=request, carrier=carrier, kind=kind)
    except IntegrityError:
        raise InvalidState(f"该载体已有未办结的{RequestKind(kind).label}申请，不能重复申请") from None
    add_steps(request, level=carrier.level)
    submit_if_asked(request, submit)
    return request


def hand_out(*, actor, request, carriers, to_user, to_status, word, note):
    """Move 在库 carriers out under an approved request (借出, 携带外出, 送修): one custody row each.
    to_user None keeps the custodian (the carrier leaves, the accountable person stays)."""
    for carrier in carriers:
        if carrier.custody_status != CustodyStatus.IN_REGISTRY:
            raise InvalidState(
                f"载体 {carrier.serial} 当前为“{CustodyStatus(carrier.custody_status).label}”，不在库，不能{word}")
    for carrier in carriers:
        carrier_move(actor=actor, carrier=carrier, to_status=to_status, to_user=to_user, request=request,
                     action=CustodyAction.HANDED_OUT, word=word, note=note)


def _clean_inspection(condition, note):
    note = (note or "").strip()
    if condition not in ReturnCondition.values:
        raise ValidationFailed({"condition": "请选择归还检查结果（完好、缺页或损坏）"})
    if condition != ReturnCondition.INTACT and not note:
        raise ValidationFailed({"note": f"检查结果为“{ReturnCondition(condition).label}”时须写明情况"})
    return note


def take_back(*, actor, request, carriers, move, from_status, word, condition, note):
    """Take carriers back into the registry (归还, 携带返回, 修复入库) with the inspection, and
    complete the request. Returns the cleaned inspection note."""
    note = _clean_inspection(condition, note)
    for carrier in carriers:
        if carrier.custody_status != from_status:
            raise InvalidState(f"载体 {carrier.serial} 当前为“{CustodyStatus(carrier.custody_status).label}”，"
                               f"不是{from_status.label}状态")
    request.state = move.to
    request.completed_at = timezone.now()
    request.return_condition = condition
    request.return_note = note
    request.returned_to = actor
    request.save(update_fields=["state", "completed_at", "return_condition", "return_note", "returned_to"])
    close_items(request)
    label = ReturnCondition(condition).label
    for carrier in carriers:
        carrier_move(actor=actor, carrier=carrier, to_status=CustodyStatus.IN_REGISTRY, to_user=actor,
                     request=request, action=CustodyAction.RETURNED, word=word,
                     note=f"{word}检查：{label}" + (f"；{note}" if note else ""))
    return note


def lock_of_kind(request, kind):
    """lock_request, refusing a request of another kind (a URL of one kind given another's id)."""
    request, carriers = lock_request(request)
    if request.kind != kind:
        raise InvalidState(f"该申请不是{RequestKind(kind).label}申请")
    return request, carriers


def begin_step(*, actor, request, kind, action, level_check=True):
    """The common start of a registrar's step on an approved request: lock, right kind, a move the
    table allows, the actor is its party, and (handing out) the carriers' level is the approved one."""
    request, carriers = lock_of_kind(request, kind)
    move = move_for(request.kind, request.state, action)
    check_party(move, actor=actor, request=request, carriers=carriers)
    if level_check:
        check_carriers_unchanged(request, carriers)
    return request, carriers, move


# ------------------------------------------------------------------------ generic services


@transaction.atomic
def request_submit(*, actor, request):
    request, carriers = lock_request(request)
    move = move_for(request.kind, request.state, Action.SUBMIT)
    check_party(move, actor=actor, request=request, carriers=carriers)
    request.state = move.to
    request.submitted_at = timezone.now()
    request.save(update_fields=["state", "submitted_at"])
    audit(actor=actor, event=events.SUBMIT, request=request, carriers=carriers)
    return request


@transaction.atomic
def request_cancel(*, actor, request, reason=""):
    """撤销: the carriers are released and nothing about them changes (SPEC §5)."""
    request, carriers = lock_request(request)
    move = move_for(request.kind, request.state, Action.CANCEL)
    check_party(move, actor=actor, request=request, carriers=carriers)
    request.state = move.to
    request.cancelled_at = timezone.now()
    request.save(update_fields=["state", "cancelled_at"])
    close_items(request)
    _release(actor=actor, request=request, carriers=carriers, why="申请撤销")
    audit(actor=actor, event=events.CANCEL, request=request, carriers=carriers, reason=(reason or "").strip())
    return request


@transaction.atomic
def request_decide(*, actor, request, approve, comment="", approve_abroad=False):
    """One approval step: approve or reject with a comment. A rejection releases the carriers
    and changes none of them (SPEC §5). What approving must also check (a carry-out abroad is
    approved only with approve_abroad) and what it does at once (a 密级变更 is the change) is
    the kind's handler's."""
    request, carriers = lock_request(request)
    action = Action.APPROVE if approve else Action.REJECT
    move = move_for(request.kind, request.state, action)
    step = current_step(request)
    if step is None:
        raise InvalidState("该申请没有待审批的步骤")
    check_party(move, actor=actor, request=request, carriers=carriers, step=step)
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationFailed({"comment": "驳回申请时请填写意见"})
    check_carriers_unchanged(request, carriers)
    handler = handler_for(request.kind)
    approved = {}
    if approve and handler.check_approval is not None:
        approved = handler.check_approval(request, approve_abroad=approve_abroad) or {}
    now = timezone.now()
    step.decided_by, step.decided_at, step.comment = actor, now, comment
    step.decision = StepDecision.APPROVE if approve else StepDecision.REJECT
    step.save(update_fields=["decided_by", "decided_at", "comment", "decision"])
    if not approve or current_step(request) is None:
        request.state = move.to
        request.decided_at = now
        request.save(update_fields=["state", "decided_at"])
    if not approve:
        close_items(request)
        _release(actor=actor, request=request, carriers=carriers, why="申请被驳回")
    if not approve or request.state == RequestState.APPROVED:
        # A kind completed by its approval (密级变更, 知悉范围扩大) sends its own notices.
        notify_decided(request, approved=approve)
    applied = {}
    if approve and request.state == RequestState.COMPLETED:
        applied = _complete_on_approval(handler, actor=actor, request=request, carriers=carriers, now=now)
    audit(actor=actor, event=events.APPROVE if approve else events.REJECT, request=request, carriers=carriers,
          step=step.order, comment=comment, **approved, **applied)
    return request


def _complete_on_approval(handler, *, actor, request, carriers, now):
    """A kind whose table completes it on approval (密级变更: the decision is the change) is
    carried out here, in the decision's transaction; returns extra detail for its audit event."""
    detail = {}
    for carrier in carriers:
        detail = handler.complete(actor=actor, request=request, carrier=carrier)
    request.executed_at = request.completed_at = now
    request.save(update_fields=["executed_at", "completed_at"])
    close_items(request)
    return detail
