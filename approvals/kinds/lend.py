"""借阅 (lend), SPEC §5: the requester asks, a leader approves, the registrar hands the carrier out
and takes it back with an inspection. Submit, cancel, approve and reject are the generic request
services (approvals.services); this module adds what only a loan has.
"""
from django.db import IntegrityError, transaction
from django.utils import timezone

from documents import policy as carrier_policy
from documents.models import Carrier, CustodyStatus
from documents.services import local_today
from personnel.policy import clearance_of
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed
from secrecy.levels import Level

from .. import events, policy
from ..models import ApprovalRequest, RequestItem, RequestKind
from ..registry import KindHandler
from ..services import add_steps, approvers_of, audit, begin_step, hand_out, submit_if_asked, take_back
from ..workflows import ASK_AND_DECIDE, HAND_OUT_AND_TAKE_BACK, Action

# 借阅: the requester asks, a leader approves, the registrar hands it out and takes it back.
LEND_TRANSITIONS = {**ASK_AND_DECIDE, **HAND_OUT_AND_TAKE_BACK}

@transaction.atomic
def loan_request_create(*, actor, carrier, due_date, reason, on_site=False, submit=True, today=None):
    """借阅申请. With submit (the usual click) it is created and submitted in one step."""
    today = today or local_today()
    carrier = Carrier.objects.select_for_update().filter(pk=carrier.pk).first()
    if carrier is None or not carrier_policy.visible_carriers(actor).filter(pk=carrier.pk).exists():
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
    add_steps(request, level=carrier.level)
    submit_if_asked(request, submit)
    audit(actor=actor, event=events.CREATE, request=request, carriers=[carrier],
          due_date=due_date.isoformat(), on_site=request.on_site, submitted=bool(submit))
    return request


@transaction.atomic
def loan_check_out(*, actor, request):
    """借出: the registrar hands the carrier to the borrower under the approved request."""
    request, carriers, move = begin_step(actor=actor, request=request, kind=RequestKind.LEND, action=Action.CHECK_OUT)
    borrower = request.requester
    if not borrower.is_active or clearance_of(borrower) < request.level:
        raise InvalidState("借阅人的账号已停用或涉密资格已不足，不能借出")
    if request.on_site:
        # REG24 art. 29(3): read in the 阅文室 and returned the day it is handed out.
        request.due_date = local_today()
    note = (f"借出，经{approvers_of(request)}批准，应还日期 {request.due_date:%Y-%m-%d}"
            + ("，在阅文室阅读" if request.on_site else ""))
    hand_out(actor=actor, request=request, carriers=carriers, to_user=borrower, to_status=CustodyStatus.LENT,
             word="借出", note=note)
    request.state = move.to
    request.executed_at = timezone.now()
    request.checked_out_by = actor
    request.save(update_fields=["state", "executed_at", "checked_out_by", "due_date"])
    audit(actor=actor, event=events.CHECK_OUT, request=request, carriers=carriers, borrower=borrower.pk,
          due_date=request.due_date.isoformat())
    return request


@transaction.atomic
def loan_return(*, actor, request, condition, note=""):
    """归还: the registrar takes the carrier back and records the inspection (完好/缺页/损坏)."""
    request, carriers, move = begin_step(actor=actor, request=request, kind=RequestKind.LEND, action=Action.RETURN,
                                         level_check=False)
    note = take_back(actor=actor, request=request, carriers=carriers, move=move, from_status=CustodyStatus.LENT,
                     word="归还", condition=condition, note=note)
    audit(actor=actor, event=events.RETURN, request=request, carriers=carriers, condition=condition, note=note)
    return request


HANDLER = KindHandler(kind=RequestKind.LEND, transitions=LEND_TRANSITIONS)
