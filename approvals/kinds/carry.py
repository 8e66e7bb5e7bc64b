"""外出携带 (carry out), SPEC §5, on the shared approval mechanism (submit, cancel, approve and
reject are the generic services of approvals.services).

The registrar hands the carrier to the requester for the approved trip and takes it back with an
inspection, like a loan. Its own rules: 绝密 travels with two or more cleared people (REG24 art.
29(2)) and never abroad (art. 29(5)); abroad otherwise needs its own approval (art. 27(8)), which
the decider gives explicitly (check_approval below). Same rules as every workflow write: one
transaction, one audit event, carriers locked by id before the request row.
"""
from django.db import transaction
from django.utils import timezone

from documents.models import CustodyStatus
from documents.services import local_today
from personnel.policy import clearance_of
from secrecy.errors import InvalidState, PolicyDenied, ValidationFailed
from secrecy.levels import Level

from .. import events, policy
from ..models import RequestKind
from ..registry import KindHandler
from ..services import (
    approvers_of, audit, begin_step, create_request, hand_out, lock_visible_carrier, name_of, take_back, users_by_id,
)
from ..workflows import ASK_AND_DECIDE, HAND_OUT_AND_TAKE_BACK, Action

# 外出携带: the registrar hands the carrier to the requester for the trip and records its return.
CARRY_OUT_TRANSITIONS = {**ASK_AND_DECIDE, **HAND_OUT_AND_TAKE_BACK}

# REG24 art. 29(2): "两人以上同行" — the system asks for two named companions besides the bearer.
TOP_SECRET_COMPANIONS = 2


@transaction.atomic
def carry_request_create(*, actor, carrier, destination, depart_date, due_date, reason, abroad=False,
                         companions=(), submit=True, today=None):
    """外出携带申请: where, when, why; companions for 绝密; 出境 flagged for its own approval."""
    today = today or local_today()
    carrier = lock_visible_carrier(actor, carrier)
    refusal = policy.carry_request_refusal(actor, carrier)
    if refusal:
        raise PolicyDenied(refusal)
    errors = {}
    reason, destination = (reason or "").strip(), (destination or "").strip()
    if not reason:
        errors["reason"] = "请填写外出事由"
    if not destination:
        errors["destination"] = "请填写前往地点"
    if not depart_date:
        errors["depart_date"] = "请填写外出日期"
    elif depart_date < today:
        errors["depart_date"] = "外出日期不能早于今天"
    if not due_date:
        errors["due_date"] = "请填写应返回日期"
    elif depart_date and due_date < depart_date:
        errors["due_date"] = "应返回日期不能早于外出日期"
    if abroad and carrier.level >= Level.TOP_SECRET:
        # REG24 art. 29(5): 绝密 carriers are never carried abroad.
        errors["abroad"] = "绝密级载体禁止携带出境"
    people = users_by_id(companions)
    if len(people) != len({getattr(c, "pk", c) for c in companions or ()}):
        # An id that is no account must not silently shrink the list of who travels with it.
        errors["companions"] = "同行人员中有无效的人员，请重新选择"
    elif any(p.pk == actor.pk for p in people):
        errors["companions"] = "同行人员不能包括申请人本人"
    else:
        for person in people:
            refusal = policy.companion_refusal(person, carrier.level)
            if refusal:
                errors["companions"] = refusal
                break
        if carrier.level >= Level.TOP_SECRET and len(people) < TOP_SECRET_COMPANIONS and "companions" not in errors:
            # REG24 art. 29(2): 绝密 is carried by two or more people together.
            errors["companions"] = "携带绝密级载体外出须指定至少两名具有绝密级涉密资格的同行人员"
    if errors:
        raise ValidationFailed(errors)
    request = create_request(actor=actor, carrier=carrier, kind=RequestKind.CARRY_OUT, submit=submit,
                             reason=reason, destination=destination, depart_date=depart_date, due_date=due_date,
                             abroad=bool(abroad))
    request.companions.set(people)
    audit(actor=actor, event=events.CREATE, request=request, carriers=[carrier], destination=destination,
          depart_date=depart_date.isoformat(), due_date=due_date.isoformat(), abroad=bool(abroad),
          companions=[p.pk for p in people], submitted=bool(submit))
    return request


@transaction.atomic
def carry_check_out(*, actor, request):
    """携带外出: the registrar hands the carrier to the requester for the approved trip."""
    request, carriers, move = begin_step(actor=actor, request=request, kind=RequestKind.CARRY_OUT, action=Action.CHECK_OUT)
    bearer = request.requester
    if not bearer.is_active or clearance_of(bearer) < request.level:
        raise InvalidState("申请人的账号已停用或涉密资格已不足，不能携带外出")
    if request.abroad and request.level >= Level.TOP_SECRET:
        raise InvalidState("绝密级载体禁止携带出境")
    if request.abroad and not request.abroad_approved:
        raise InvalidState("该申请的出境未获批准，不能携带外出")
    people = list(request.companions.select_related("person").order_by("id"))
    if request.level >= Level.TOP_SECRET:
        unfit = [p for p in people if policy.companion_refusal(p, request.level)]
        if unfit or len(people) < TOP_SECRET_COMPANIONS:
            raise InvalidState("同行人员的账号已停用或涉密资格已不足，绝密级载体不能携带外出")
    note = (f"携带外出至{request.destination}，经{approvers_of(request)}批准，应返回日期 {request.due_date:%Y-%m-%d}"
            + (f"，同行：{'、'.join(name_of(p) for p in people)}" if people else "")
            + ("，出境已批准" if request.abroad else ""))
    hand_out(actor=actor, request=request, carriers=carriers, to_user=bearer, to_status=CustodyStatus.CARRIED_OUT,
             word="携带外出", note=note)
    request.state = move.to
    request.executed_at = timezone.now()
    request.checked_out_by = actor
    request.save(update_fields=["state", "executed_at", "checked_out_by"])
    audit(actor=actor, event=events.CHECK_OUT, request=request, carriers=carriers, bearer=bearer.pk,
          due_date=request.due_date.isoformat())
    return request


@transaction.atomic
def carry_return(*, actor, request, condition, note=""):
    """携带返回: the registrar takes the carrier back and records its condition."""
    request, carriers, move = begin_step(actor=actor, request=request, kind=RequestKind.CARRY_OUT, action=Action.RETURN,
                                         level_check=False)
    note = take_back(actor=actor, request=request, carriers=carriers, move=move,
                     from_status=CustodyStatus.CARRIED_OUT, word="携带返回", condition=condition, note=note)
    audit(actor=actor, event=events.RETURN, request=request, carriers=carriers, condition=condition, note=note)
    return request


def check_approval(request, *, approve_abroad):
    """Rules an approval of a carry-out must not skip; approving one abroad approves the 出境 too."""
    if not request.abroad:
        return {}
    if request.level >= Level.TOP_SECRET:
        # REG24 art. 29(5): 绝密 carriers may not be carried abroad at all.
        raise InvalidState("绝密级载体禁止携带出境，不能批准")
    if not approve_abroad:
        # REG24 art. 27(8): carrying abroad needs its own approval.
        raise ValidationFailed({"approve_abroad": "该申请需携带出境，批准时须同时勾选“同意携带出境”"})
    request.abroad_approved = True
    request.save(update_fields=["abroad_approved"])
    return {"abroad_approved": True}


HANDLER = KindHandler(kind=RequestKind.CARRY_OUT, transitions=CARRY_OUT_TRANSITIONS, check_approval=check_approval)
