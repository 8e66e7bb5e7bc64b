"""Every write of the approval workflows (SPEC §5): one function per business action, each in
one transaction with exactly one audit event.

Lock order, always: the request's carriers by id, then the request row. Creating a request locks
the carrier first too, so two clicks, two approvers or two registrars queue up on the same rows
instead of racing; the partial unique constraint on open request items is the last guard.
"""
from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.services import record_event
from personnel.policy import clearance_of
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed
from secrecy.levels import Level, highest_level

from . import policy
from .models import Carrier, CustodyAction, CustodyStatus
from approvals.models import (
    ApprovalRequest, ApprovalStep, RequestItem, RequestKind, RequestState, ReturnCondition, StepDecision,
)
from .services import carrier_move, local_today
from .workflows import Action, Party, move_for


def _lock(request):
    """Lock the request's carriers (by id) and then the request; return (request, carriers)."""
    carrier_ids = sorted(RequestItem.objects.filter(request_id=request.pk).values_list("carrier_id", flat=True))
    carriers = list(Carrier.objects.select_for_update().filter(pk__in=carrier_ids).order_by("id"))
    locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
    return locked, carriers


def _check_party(move, *, actor, request, carriers, step=None):
    if move.by == Party.REQUESTER:
        if actor.pk != request.requester_id:
            raise PolicyDenied("只有申请人本人可以办理此操作")
    elif move.by == Party.APPROVER:
        refusal = policy.decide_refusal(actor, request, step)
        if refusal:
            raise PolicyDenied(refusal)
    elif move.by == Party.REGISTRAR:
        refusal = policy.execute_refusal(actor, request, carriers)
        if refusal:
            raise PolicyDenied(refusal)
    elif move.by == Party.WITNESS:
        witness = request.witnesses.filter(user=actor).first()
        refusal = policy.witness_confirm_refusal(actor, request, witness)
        if refusal:
            raise PolicyDenied(refusal)


def _check_level_unchanged(request, carriers):
    if request.kind == RequestKind.RECLASSIFY:
        # Its level is the higher of the old and new level; what must not have moved is the
        # carrier's mark since it was asked (and its period must still run).
        from .services_reclassify import approval_refusal

        for carrier in carriers:
            refusal = approval_refusal(request, carrier)
            if refusal:
                raise InvalidState(refusal)
        return
    # A carrier corrected to a higher level after the request was made must be asked for again:
    # the approval was given for the lower level.
    if highest_level(c.level for c in carriers) != request.level:
        raise InvalidState("载体密级已变更，该申请须撤销后重新提出")


def _close_items(request):
    RequestItem.objects.filter(request=request, is_open=True).update(is_open=False)


# What a kind set aside when its request was made, and is given back when the request is rejected
# or cancelled: (status the carriers were moved to, status they return to).
HELD_STATUS = {RequestKind.DESTROY: (CustodyStatus.PENDING_DESTRUCTION, CustodyStatus.IN_REGISTRY)}


def _release(*, actor, request, carriers, why):
    """A rejected or cancelled request changes no carrier: a carrier its request set aside (a
    destruction batch marks them 待销毁) goes back to exactly what it was, with its custodian."""
    held = HELD_STATUS.get(request.kind)
    if held is None:
        return
    held_status, back_to = held
    for carrier in carriers:
        if carrier.custody_status != held_status:
            continue
        carrier_move(actor=actor, carrier=carrier, to_status=back_to, to_user=carrier.custodian, request=request,
                     word=why, note=f"{why}，载体恢复{back_to.label}")


def _detail(request, carriers, **extra):
    return {"request": request.pk, "kind": request.kind, "state": request.state,
            "carriers": [c.pk for c in carriers], **extra}


def _audit(*, actor, action, request, carriers, **extra):
    record_event(actor=actor, action=f"request.{action}", target=request, level=request.level,
                 detail=_detail(request, carriers, **extra))


def _name(user):
    person = getattr(user, "person", None)
    return person.full_name if person is not None and person.full_name else user.get_username()


def _current_step(request):
    return ApprovalStep.objects.filter(request=request, decision=StepDecision.PENDING).order_by("order").first()


# ------------------------------------------------------------------------------------ lending


@transaction.atomic
def loan_request_create(*, actor, carrier, due_date, reason, on_site=False, submit=True, today=None):
    """借阅申请. With submit (the usual click) it is created and submitted in one step."""
    today = today or local_today()
    carrier = Carrier.objects.select_for_update().filter(pk=carrier.pk).first()
    if carrier is None or not policy.visible_carriers(actor).filter(pk=carrier.pk).exists():
        raise NotVisible()
    refusal = policy.loan_request_refusal(actor, carrier)
    if refusal:
        raise PolicyDenied(refusal)
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "请填写借阅事由"
    if carrier.level >= Level.TOP_SECRET:
        # REG24 art. 29(3): 绝密 is read only in a designated place — the 阅文室, returned the same day.
        on_site, due_date = True, today
    if not due_date:
        errors["due_date"] = "请填写应还日期"
    elif due_date < today:
        errors["due_date"] = "应还日期不能早于今天"
    if errors:
        raise ValidationFailed(errors)

    request = ApprovalRequest.objects.create(
        kind=RequestKind.LEND, requester=actor, reason=reason, level=carrier.level,
        due_date=due_date, on_site=bool(on_site),
    )
    try:
        with transaction.atomic():
            RequestItem.objects.create(request=request, carrier=carrier, kind=RequestKind.LEND)
    except IntegrityError:
        raise InvalidState("该载体已有未办结的借阅申请，不能重复申请") from None
    ApprovalStep.objects.bulk_create([
        ApprovalStep(request=request, **step) for step in policy.required_steps(RequestKind.LEND, carrier.level)
    ])
    if submit:
        request.state = move_for(request.kind, request.state, Action.SUBMIT).to
        request.submitted_at = timezone.now()
        request.save(update_fields=["state", "submitted_at"])
    _audit(actor=actor, action="create", request=request, carriers=[carrier],
           due_date=due_date.isoformat(), on_site=request.on_site, submitted=bool(submit))
    return request


@transaction.atomic
def request_submit(*, actor, request):
    request, carriers = _lock(request)
    move = move_for(request.kind, request.state, Action.SUBMIT)
    _check_party(move, actor=actor, request=request, carriers=carriers)
    request.state = move.to
    request.submitted_at = timezone.now()
    request.save(update_fields=["state", "submitted_at"])
    _audit(actor=actor, action="submit", request=request, carriers=carriers)
    return request


@transaction.atomic
def request_cancel(*, actor, request, reason=""):
    """撤销: the carriers are released and nothing about them changes (SPEC §5)."""
    request, carriers = _lock(request)
    move = move_for(request.kind, request.state, Action.CANCEL)
    _check_party(move, actor=actor, request=request, carriers=carriers)
    request.state = move.to
    request.cancelled_at = timezone.now()
    request.save(update_fields=["state", "cancelled_at"])
    _close_items(request)
    _release(actor=actor, request=request, carriers=carriers, why="申请撤销")
    _audit(actor=actor, action="cancel", request=request, carriers=carriers, reason=(reason or "").strip())
    return request


def _check_kind_rules_for_approval(request, *, approve_abroad):
    """Rules of a kind that an approval must not skip."""
    if request.kind == RequestKind.COPY and request.level >= Level.TOP_SECRET and not (
            request.consent_letter and request.consent_date and request.consent_authority):
        # REG24 art. 29(4); LAW24 art. 26: no 绝密 copy without the original authority's consent.
        raise InvalidState("绝密级载体的复制须先登记原定密机关的同意文件（文号和日期），不能批准")
    if request.kind == RequestKind.CARRY_OUT and request.abroad:
        if request.level >= Level.TOP_SECRET:
            # REG24 art. 29(5): 绝密 carriers may not be carried abroad at all.
            raise InvalidState("绝密级载体禁止携带出境，不能批准")
        if not approve_abroad:
            # REG24 art. 27(8): carrying abroad needs its own approval.
            raise ValidationFailed({"approve_abroad": "该申请需携带出境，批准时须同时勾选“同意携带出境”"})


@transaction.atomic
def request_decide(*, actor, request, approve, comment="", approve_abroad=False):
    """One approval step: approve or reject with a comment. A rejection releases the carriers
    and changes none of them (SPEC §5). A carry-out abroad (出境) is approved only when the decider
    also approves the 出境 itself (approve_abroad)."""
    request, carriers = _lock(request)
    action = Action.APPROVE if approve else Action.REJECT
    move = move_for(request.kind, request.state, action)
    step = _current_step(request)
    if step is None:
        raise InvalidState("该申请没有待审批的步骤")
    _check_party(move, actor=actor, request=request, carriers=carriers, step=step)
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationFailed({"comment": "驳回申请时请填写意见"})
    _check_level_unchanged(request, carriers)
    if approve:
        _check_kind_rules_for_approval(request, approve_abroad=approve_abroad)
    now = timezone.now()
    step.decided_by, step.decided_at, step.comment = actor, now, comment
    step.decision = StepDecision.APPROVE if approve else StepDecision.REJECT
    step.save(update_fields=["decided_by", "decided_at", "comment", "decision"])
    if approve and request.abroad:
        request.abroad_approved = True
        request.save(update_fields=["abroad_approved"])
    if not approve or _current_step(request) is None:
        request.state = move.to
        request.decided_at = now
        request.save(update_fields=["state", "decided_at"])
    if not approve:
        _close_items(request)
        _release(actor=actor, request=request, carriers=carriers, why="申请被驳回")
    applied = {}
    if approve and request.state == RequestState.COMPLETED:
        applied = _complete_on_approval(actor=actor, request=request, carriers=carriers, now=now)
    _audit(actor=actor, action=action.value, request=request, carriers=carriers, step=step.order, comment=comment,
           **({"abroad_approved": True} if approve and request.abroad else {}), **applied)
    return request


def _complete_on_approval(*, actor, request, carriers, now):
    """A kind whose table completes it on approval (密级变更: the decision is the change) is
    carried out here, in the decision's transaction; returns extra detail for its audit event."""
    from .services_reclassify import reclassify_apply
    from .services_scope import scope_apply

    detail = {}
    apply = {RequestKind.RECLASSIFY: reclassify_apply, RequestKind.SCOPE: scope_apply}[request.kind]
    for carrier in carriers:
        detail = apply(actor=actor, request=request, carrier=carrier)
    request.executed_at = request.completed_at = now
    request.save(update_fields=["executed_at", "completed_at"])
    _close_items(request)
    return detail


def _approvers(request):
    return "、".join(_name(step.decided_by) for step in request.steps.select_related("decided_by__person")
                    .filter(decision=StepDecision.APPROVE).order_by("order"))


def _hand_out(*, actor, request, carriers, to_user, to_status, word, note):
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


def _take_back(*, actor, request, carriers, move, from_status, word, condition, note):
    """Take carriers back into the registry (归还, 携带返回, 修复入库) with the inspection, and
    complete the request."""
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
    _close_items(request)
    label = ReturnCondition(condition).label
    for carrier in carriers:
        carrier_move(actor=actor, carrier=carrier, to_status=CustodyStatus.IN_REGISTRY, to_user=actor,
                     request=request, action=CustodyAction.RETURNED, word=word,
                     note=f"{word}检查：{label}" + (f"；{note}" if note else ""))
    return note


def _locked_of_kind(request, kind):
    request, carriers = _lock(request)
    if request.kind != kind:
        raise InvalidState(f"该申请不是{RequestKind(kind).label}申请")
    return request, carriers


def _begin(*, actor, request, kind, action, level_check=True):
    """The common start of a registrar's step on an approved request: lock, right kind, a move the
    table allows, the actor is its party, and (handing out) the carriers' level is the approved one."""
    request, carriers = _locked_of_kind(request, kind)
    move = move_for(request.kind, request.state, action)
    _check_party(move, actor=actor, request=request, carriers=carriers)
    if level_check:
        _check_level_unchanged(request, carriers)
    return request, carriers, move


@transaction.atomic
def loan_check_out(*, actor, request):
    """借出: the registrar hands the carrier to the borrower under the approved request."""
    request, carriers, move = _begin(actor=actor, request=request, kind=RequestKind.LEND, action=Action.CHECK_OUT)
    borrower = request.requester
    if not borrower.is_active or clearance_of(borrower) < request.level:
        raise InvalidState("借阅人的账号已停用或涉密资格已不足，不能借出")
    if request.on_site:
        # REG24 art. 29(3): read in the 阅文室 and returned the day it is handed out.
        request.due_date = local_today()
    note = (f"借出，经{_approvers(request)}批准，应还日期 {request.due_date:%Y-%m-%d}"
            + ("，在阅文室阅读" if request.on_site else ""))
    _hand_out(actor=actor, request=request, carriers=carriers, to_user=borrower, to_status=CustodyStatus.LENT,
              word="借出", note=note)
    request.state = move.to
    request.executed_at = timezone.now()
    request.checked_out_by = actor
    request.save(update_fields=["state", "executed_at", "checked_out_by", "due_date"])
    _audit(actor=actor, action="check_out", request=request, carriers=carriers, borrower=borrower.pk,
           due_date=request.due_date.isoformat())
    return request


@transaction.atomic
def loan_return(*, actor, request, condition, note=""):
    """归还: the registrar takes the carrier back and records the inspection (完好/缺页/损坏)."""
    request, carriers, move = _begin(actor=actor, request=request, kind=RequestKind.LEND, action=Action.RETURN,
                                     level_check=False)
    note = _take_back(actor=actor, request=request, carriers=carriers, move=move, from_status=CustodyStatus.LENT,
                      word="归还", condition=condition, note=note)
    _audit(actor=actor, action="return", request=request, carriers=carriers, condition=condition, note=note)
    return request
