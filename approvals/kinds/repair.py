"""维修 (repair), SPEC §5, on the shared approval mechanism (approvals.services).

The registrar asks for a device or medium; after approval it goes to repair and comes back with an
inspection, like a loan. Its own rules: outside technicians only under on-site supervision;
off-site only after the storage part is removed, and the removal is recorded (REG24 art. 27(7);
QA 57). Same rules as every workflow write: one transaction, one audit event, carriers locked by id
before the request row.
"""
from django.db import transaction
from django.utils import timezone

from documents.models import CustodyStatus
from secrecy.errors import InvalidState, PolicyDenied, ValidationFailed

from .. import events, policy
from ..models import RepairMode, RequestKind
from ..registry import KindHandler
from ..services import (
    approvers_of, audit, begin_step, create_request, hand_out, lock_visible_carrier, name_of, take_back, users_by_id,
)
from ..workflows import ASK_AND_DECIDE, HAND_OUT_AND_TAKE_BACK, Action

# 维修: the registrar asks; after approval the registrar sends it to repair (on site under a named
# supervisor, or off site once the storage part is removed) and takes it back.
REPAIR_TRANSITIONS = {**ASK_AND_DECIDE, **HAND_OUT_AND_TAKE_BACK}

@transaction.atomic
def repair_request_create(*, actor, carrier, mode, repairer, reason, supervisor=None, submit=True):
    """维修申请 by the registrar for a device or medium: on site with a named supervisor, or off site."""
    carrier = lock_visible_carrier(actor, carrier)
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
            found = users_by_id([supervisor])
            supervisor = found[0] if found else None
            refusal = policy.supervisor_refusal(supervisor, carrier.level) if supervisor else "现场监督人无效"
            if refusal:
                errors["supervisor"] = refusal
    else:
        supervisor = None
    if errors:
        raise ValidationFailed(errors)
    request = create_request(actor=actor, carrier=carrier, kind=RequestKind.REPAIR, submit=submit,
                             reason=reason, repair_mode=mode, repairer=repairer, supervisor=supervisor)
    audit(actor=actor, event=events.CREATE, request=request, carriers=[carrier], mode=mode, repairer=repairer,
          supervisor=supervisor.pk if supervisor else None, submitted=bool(submit))
    return request


@transaction.atomic
def repair_start(*, actor, request, storage_removed_note=""):
    """送修: on site the carrier goes into the supervisor's custody; off site only once the
    storage part has been removed, which is recorded here (QA 57: 拆除信息存储部件)."""
    request, carriers, move = begin_step(actor=actor, request=request, kind=RequestKind.REPAIR, action=Action.CHECK_OUT)
    storage_removed_note = (storage_removed_note or "").strip()
    fields = ["state", "executed_at", "checked_out_by"]
    if request.repair_mode == RepairMode.OFF_SITE:
        if not storage_removed_note:
            raise ValidationFailed({"storage_removed_note": "送外维修前须拆除信息存储部件，请登记拆除情况（部件、序列号、存放位置）"})
        request.storage_removed_note = storage_removed_note
        request.storage_removed_at = timezone.now()
        fields += ["storage_removed_note", "storage_removed_at"]
        to_user = None
        note = (f"送外维修（{request.repairer}），经{approvers_of(request)}批准；存储部件已拆除：{storage_removed_note}")
    else:
        supervisor = request.supervisor
        refusal = policy.supervisor_refusal(supervisor, request.level) if supervisor else "未指定现场监督人"
        if refusal:
            raise InvalidState(f"{refusal}，不能开始现场维修")
        to_user = supervisor
        note = f"现场维修（{request.repairer}），经{approvers_of(request)}批准，现场监督人：{name_of(supervisor)}"
    hand_out(actor=actor, request=request, carriers=carriers, to_user=to_user, to_status=CustodyStatus.IN_REPAIR,
             word="送修", note=note)
    request.state = move.to
    request.executed_at = timezone.now()
    request.checked_out_by = actor
    request.save(update_fields=fields)
    audit(actor=actor, event=events.CHECK_OUT, request=request, carriers=carriers, mode=request.repair_mode,
          storage_removed_note=storage_removed_note)
    return request


@transaction.atomic
def repair_finish(*, actor, request, condition, note=""):
    """修复入库: the registrar takes the repaired carrier back and records its condition."""
    request, carriers, move = begin_step(actor=actor, request=request, kind=RequestKind.REPAIR, action=Action.RETURN,
                                         level_check=False)
    note = take_back(actor=actor, request=request, carriers=carriers, move=move,
                     from_status=CustodyStatus.IN_REPAIR, word="修复入库", condition=condition, note=note)
    audit(actor=actor, event=events.RETURN, request=request, carriers=carriers, condition=condition, note=note)
    return request


HANDLER = KindHandler(kind=RequestKind.REPAIR, transitions=REPAIR_TRANSITIONS)
