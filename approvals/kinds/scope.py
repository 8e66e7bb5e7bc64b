"""知悉范围扩大 as an approval request (SPEC §5; issue 11 §8).

Widening the 知悉范围 of a 秘密/机密/绝密 carrier beyond what the 定密 decision set is decided by
the 主要负责人 or the delegate they named (DM14 art. 28: the scope is set at classification and
changed only with the classifying authority's approval; SPEC §5 table). A reader in scope or the
registrar managing the carrier asks; the decision is the widening, applied in the decision's
transaction (SCOPE_TRANSITIONS below), so nothing waits in between. Narrowing needs no
approval (documents.services.carrier_scope_revoke), and a 内部 carrier's scope stays the registrar's.
"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from documents import policy as carrier_policy
from documents.models import CarrierGroupScope, CarrierUserScope, CustodyAction
from documents.services import custody_record, grant_scope
from notifications.services import notify
from personnel.names import person_name
from personnel.policy import clearance_of
from secrecy.errors import InvalidState, PolicyDenied, ValidationFailed

from .. import events, policy
from .reclassify import RECLASSIFY_TRANSITIONS
from ..models import RequestKind
from ..registry import KindHandler
from ..services import audit, create_request, lock_visible_carrier

# 知悉范围扩大: a reader in scope or the registrar asks; the 主要负责人 (or their delegate) decides,
# and the decision is the widening (SPEC §5): approving adds the person or department at once.
SCOPE_TRANSITIONS = dict(RECLASSIFY_TRANSITIONS)

NOTICE_KIND_SCOPE = "scope_widened"


def _target(carrier, user_id, group_id):
    """The person or department to add, with every reason it cannot be, as field errors."""
    if bool(user_id) == bool(group_id):
        raise ValidationFailed({"user": "请选择一名人员或一个部门（二选一）"})
    if user_id:
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise ValidationFailed({"user": "人员不存在或已停用"})
        if clearance_of(user) < carrier.level:
            raise ValidationFailed({"user": "该人员的涉密等级低于载体密级，不能列入知悉范围"})
        if CarrierUserScope.objects.filter(content_object=carrier, user=user,
                                           permission__codename=carrier_policy.VIEW_CODENAME).exists():
            raise ValidationFailed({"user": f"{person_name(user)}已在知悉范围内"})
        return user, None
    group = Group.objects.filter(pk=group_id).first()
    if group is None:
        raise ValidationFailed({"group": "部门不存在"})
    if CarrierGroupScope.objects.filter(content_object=carrier, group=group,
                                        permission__codename=carrier_policy.VIEW_CODENAME).exists():
        raise ValidationFailed({"group": f"{group.name}已在知悉范围内"})
    return None, group


def _who(user, group):
    return person_name(user) if user is not None else group.name


@transaction.atomic
def scope_request_create(*, actor, carrier, reason, user_id=None, group_id=None, submit=True):
    """申请扩大知悉范围 of one carrier to one person or department; with submit (the usual click)
    it goes to the 主要负责人 (or their delegate) at once."""
    carrier = lock_visible_carrier(actor, carrier)
    refusal = policy.scope_request_refusal(actor, carrier)
    if refusal:
        raise PolicyDenied(refusal)
    reason = (reason or "").strip()
    errors = {} if reason else {"reason": "请填写扩大知悉范围的理由（工作需要）"}
    try:
        user, group = _target(carrier, user_id, group_id)
    except ValidationFailed as refused:
        errors.update(refused.field_errors)
    if errors:
        raise ValidationFailed(errors)
    request = create_request(actor=actor, carrier=carrier, kind=RequestKind.SCOPE, submit=submit, reason=reason,
                             scope_user=user, scope_group=group)
    audit(actor=actor, event=events.CREATE, request=request, carriers=[carrier], submitted=bool(submit),
          scope_user=user.pk if user else None, scope_group=group.pk if group else None)
    return request


def scope_apply(*, actor, request, carrier):
    """Carry out an approved widening (called by request_decide inside its transaction, carrier
    locked). The person must still be cleared for the carrier when it is decided."""
    user, group = request.scope_user, request.scope_group
    if user is not None and (not user.is_active or clearance_of(user) < carrier.level):
        raise InvalidState(f"{person_name(user)}的涉密等级已低于载体密级或账号已停用，不能列入知悉范围；请驳回该申请")
    if not carrier_policy.scope_widening_needs_approval(carrier):
        raise InvalidState("该载体已解密或不再是国家秘密载体，无需审批；请撤销该申请")
    grant_scope(carrier, user=user, group=group)
    who = _who(user, group)
    custody_record(carrier=carrier, action=CustodyAction.SCOPE_GRANTED, actor=actor,
                   approval_ref=request.reference,
                    note=f"列入知悉范围：{who}（{request.reference}，经{person_name(actor)}批准）；理由：{request.reason}")
    recipients = {request.requester_id} | ({user.pk} if user is not None else set())
    notify(sorted(recipients), kind=NOTICE_KIND_SCOPE, title=f"知悉范围扩大已批准：{carrier.serial}",
           body=f"{request.reference}已批准，{who}已列入统一编号 {carrier.serial} 的载体的知悉范围。",
           link=carrier.get_absolute_url(), level=carrier.level, dedupe_key=f"{NOTICE_KIND_SCOPE}:{request.pk}",
           target=carrier)
    return {"scope_user": user.pk if user else None, "scope_group": group.pk if group else None}


HANDLER = KindHandler(kind=RequestKind.SCOPE, transitions=SCOPE_TRANSITIONS, complete=scope_apply)
