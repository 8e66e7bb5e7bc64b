"""外出携带 (carry out) and 维修 (repair) writes, SPEC §5, on the shared approval mechanism (submit,
cancel, approve and reject are the generic services of services_approvals).

Both hand a carrier out of the registry under an approved request and take it back with an
inspection, like a loan. Their own rules:
- carry out: 绝密 travels with two or more cleared people (REG24 art. 29(2)) and never abroad
  (art. 29(5)); abroad otherwise needs its own approval (art. 27(8)).
- repair: outside technicians only under on-site supervision; off-site only after the storage part
  is removed, and the removal is recorded (REG24 art. 27(7); QA 57).
Same rules as every workflow write: one transaction, one audit event, carriers locked by id before
the request row.
"""
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from personnel.policy import clearance_of
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed
from secrecy.levels import Level

from . import policy
from .models import Carrier, CustodyStatus
from approvals.models import ApprovalRequest, ApprovalStep, RepairMode, RequestItem, RequestKind
from .services import local_today
from .services_approvals import _approvers, _audit, _begin, _hand_out, _name, _take_back
from .workflows import Action, move_for

# REG24 art. 29(2): "两人以上同行" — the system asks for two named companions besides the bearer.
TOP_SECRET_COMPANIONS = 2


def _visible_locked(actor, carrier):
    carrier = Carrier.objects.select_for_update().filter(pk=carrier.pk).first()
    if carrier is None or not policy.visible_carriers(actor).filter(pk=carrier.pk).exists():
        raise NotVisible()
    return carrier


def _create(*, actor, carrier, kind, submit, **fields):
    request = ApprovalRequest.objects.create(kind=kind, requester=actor, level=carrier.level, **fields)
    try:
        with transaction.atomic():
            RequestItem.objects.create(request=request, carrier=carrier, kind=kind)
    except IntegrityError:
        raise InvalidState(f"该载体已有未办结的{RequestKind(kind).label}申请，不能重复申请") from None
    ApprovalStep.objects.bulk_create([
        ApprovalStep(request=request, **step) for step in policy.required_steps(kind, carrier.level)
    ])
    if submit:
        request.state = move_for(request.kind, request.state, Action.SUBMIT).to
        request.submitted_at = timezone.now()
        request.save(update_fields=["state", "submitted_at"])
    return request


def _users(ids_or_users):
    ids = {u.pk if hasattr(u, "pk") else int(u) for u in ids_or_users or ()}
    return list(get_user_model().objects.filter(pk__in=ids).select_related("person").order_by("id"))


# ---------------------------------------------------------------------------------- carry out


@transaction.atomic
def carry_request_create(*, actor, carrier, destination, depart_date, due_date, reason, abroad=False,
                         companions=(), submit=True, today=None):
    """外出携带申请: where, when, why; companions for 绝密; 出境 flagged for its own approval."""
    today = today or local_today()
    carrier = _visible_locked(actor, carrier)
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
    people = _users(companions)
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
    request = _create(actor=actor, carrier=carrier, kind=RequestKind.CARRY_OUT, submit=submit,
                      reason=reason, destination=destination, depart_date=depart_date, due_date=due_date,
                      abroad=bool(abroad))
    request.companions.set(people)
    _audit(actor=actor, action="create", request=request, carriers=[carrier], destination=destination,
           depart_date=depart_date.isoformat(), due_date=due_date.isoformat(), abroad=bool(abroad),
           companions=[p.pk for p in people], submitted=bool(submit))
    return request


@transaction.atomic
def carry_check_out(*, actor, request):
    """携带外出: the registrar hands the carrier to the requester for the approved trip."""
    request, carriers, move = _begin(actor=actor, request=request, kind=RequestKind.CARRY_OUT, action=Action.CHECK_OUT)
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
    note = (f"携带外出至{request.destination}，经{_approvers(request)}批准，应返回日期 {request.due_date:%Y-%m-%d}"
            + (f"，同行：{'、'.join(_name(p) for p in people)}" if people else "")
            + ("，出境已批准" if request.abroad else ""))
    _hand_out(actor=actor, request=request, carriers=carriers, to_user=bearer, to_status=CustodyStatus.CARRIED_OUT,
              word="携带外出", note=note)
    request.state = move.to
    request.executed_at = timezone.now()
    request.checked_out_by = actor
    request.save(update_fields=["state", "executed_at", "checked_out_by"])
    _audit(actor=actor, action="check_out", request=request, carriers=carriers, bearer=bearer.pk,
           due_date=request.due_date.isoformat())
    return request


@transaction.atomic
def carry_return(*, actor, request, condition, note=""):
    """携带返回: the registrar takes the carrier back and records its condition."""
    request, carriers, move = _begin(actor=actor, request=request, kind=RequestKind.CARRY_OUT, action=Action.RETURN,
                                     level_check=False)
    note = _take_back(actor=actor, request=request, carriers=carriers, move=move,
                      from_status=CustodyStatus.CARRIED_OUT, word="携带返回", condition=condition, note=note)
    _audit(actor=actor, action="return", request=request, carriers=carriers, condition=condition, note=note)
    return request


# ------------------------------------------------------------------------------------- repair


@transaction.atomic
def repair_request_create(*, actor, carrier, mode, repairer, reason, supervisor=None, submit=True):
    """维修申请 by the registrar for a device or medium: on site with a named supervisor, or off site."""
    carrier = _visible_locked(actor, carrier)
    refusal = policy.repair_request_refusal(actor, carrier)
    if refusal:
        raise PolicyDenied(refusal)
    errors = {}
    reason, repairer = (reason or "").strip(), (repairer or "").strip()
    if not reason:
        errors["reason"] = "请填写故障情况和维修事由"
    if not repairer:
        errors["repairer"] = "请填写维修单位或维修人员"
    if mode not in RepairMode.values:
        errors["repair_mode"] = "请选择维修方式（现场维修或送外维修）"
    elif mode == RepairMode.ON_SITE:
        if supervisor is None:
            # REG24 art. 27(7): outside technicians only under on-site supervision.
            errors["supervisor"] = "现场维修须指定现场监督人"
        else:
            found = _users([supervisor])
            supervisor = found[0] if found else None
            refusal = policy.supervisor_refusal(supervisor, carrier.level) if supervisor else "现场监督人无效"
            if refusal:
                errors["supervisor"] = refusal
    else:
        supervisor = None
    if errors:
        raise ValidationFailed(errors)
    request = _create(actor=actor, carrier=carrier, kind=RequestKind.REPAIR, submit=submit,
                      reason=reason, repair_mode=mode, repairer=repairer, supervisor=supervisor)
    _audit(actor=actor, action="create", request=request, carriers=[carrier], mode=mode, repairer=repairer,
           supervisor=supervisor.pk if supervisor else None, submitted=bool(submit))
    return request


@transaction.atomic
def repair_start(*, actor, request, storage_removed_note=""):
    """送修: on site the carrier goes into the supervisor's custody; off site only once the
    storage part has been removed, which is recorded here (QA 57: 拆除信息存储部件)."""
    request, carriers, move = _begin(actor=actor, request=request, kind=RequestKind.REPAIR, action=Action.CHECK_OUT)
    storage_removed_note = (storage_removed_note or "").strip()
    fields = ["state", "executed_at", "checked_out_by"]
    if request.repair_mode == RepairMode.OFF_SITE:
        if not storage_removed_note:
            raise ValidationFailed({"storage_removed_note": "送外维修前须拆除信息存储部件，请登记拆除情况（部件、序列号、存放位置）"})
        request.storage_removed_note = storage_removed_note
        request.storage_removed_at = timezone.now()
        fields += ["storage_removed_note", "storage_removed_at"]
        to_user = None
        note = (f"送外维修（{request.repairer}），经{_approvers(request)}批准；存储部件已拆除：{storage_removed_note}")
    else:
        supervisor = request.supervisor
        refusal = policy.supervisor_refusal(supervisor, request.level) if supervisor else "未指定现场监督人"
        if refusal:
            raise InvalidState(f"{refusal}，不能开始现场维修")
        to_user = supervisor
        note = f"现场维修（{request.repairer}），经{_approvers(request)}批准，现场监督人：{_name(supervisor)}"
    _hand_out(actor=actor, request=request, carriers=carriers, to_user=to_user, to_status=CustodyStatus.IN_REPAIR,
              word="送修", note=note)
    request.state = move.to
    request.executed_at = timezone.now()
    request.checked_out_by = actor
    request.save(update_fields=fields)
    _audit(actor=actor, action="check_out", request=request, carriers=carriers, mode=request.repair_mode,
           storage_removed_note=storage_removed_note)
    return request


@transaction.atomic
def repair_finish(*, actor, request, condition, note=""):
    """修复入库: the registrar takes the repaired carrier back and records its condition."""
    request, carriers, move = _begin(actor=actor, request=request, kind=RequestKind.REPAIR, action=Action.RETURN,
                                     level_check=False)
    note = _take_back(actor=actor, request=request, carriers=carriers, move=move,
                      from_status=CustodyStatus.IN_REPAIR, word="修复入库", condition=condition, note=note)
    _audit(actor=actor, action="return", request=request, carriers=carriers, condition=condition, note=note)
    return request
