"""Who may ask, decide and carry out requests (SPEC §5), and who takes part in a destruction:
the single place that decides it for the approvals app.

Moved out of documents.policy so documents imports nothing from approvals (ARCHITECTURE: import
direction). The carrier rules these build on (visibility, standing scope, who manages a carrier)
stay in documents.policy; the temporary need-to-know sources at the end are registered into it in
ApprovalsConfig.ready().
"""
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from documents.models import DEVICE_KINDS, CarrierKind, Circulation, CirculationState, CustodyStatus, SecrecyStatus
from documents.policy import (
    Source, circulation_refusal, in_standing_scope, may_be_classifier, may_manage, may_print_registers,
    scope_widening_needs_approval,
)
from personnel.models import Role
from personnel.names import person_name
from personnel.policy import (
    cleared_for_level_q, clearance_of, decides_scope_expansion, handling_clearance, has_role, is_admin_role,
    is_leaving, leaving_q, person_of, roles_of, served_department_ids,
)
from secrecy.levels import Level, is_state_secret

from .models import (
    ApprovalRequest, ApprovalStep, DestructionWitness, RequestItem, RequestKind, RequestState, StepDecision,
)

# SPEC §5. Business roles may ask; the three administrators have no carrier content at all.
REQUESTING_ROLES = (Role.READER, Role.APPROVER, Role.REGISTRAR, Role.SECRECY_OFFICE)


def _active(user):
    return bool(getattr(user, "is_authenticated", False)) and user.is_active


def loan_request_refusal(user, carrier):
    """Why this user may not ask to borrow this carrier, or None when they may.

    The caller has already established that the carrier is visible to the user (it answers 404
    otherwise); this adds the rules of the request itself.
    """
    if not _active(user) or is_admin_role(user) or not (roles_of(user) & set(REQUESTING_ROLES)):
        return "您的账号不能申请借阅涉密载体"
    if clearance_of(user) < carrier.level:
        return "您的涉密等级低于该载体的密级，不能借阅"
    if not in_standing_scope(user, carrier):
        return "您不在该载体的知悉范围内，不能申请借阅"
    if carrier.custody_status != CustodyStatus.IN_REGISTRY:
        return f"该载体当前为“{CustodyStatus(carrier.custody_status).label}”，只有在库的载体可以借阅"
    if carrier.custodian_id == user.pk:
        return "该载体就在您的保管中，无需借阅"
    return circulation_refusal(carrier, "借阅")


def may_request_loan(user, carrier):
    return loan_request_refusal(user, carrier) is None


# A copy is made from the original in hand; these statuses mean it is gone, leaving or not ours.
NOT_COPYABLE_STATUSES = (
    CustodyStatus.PENDING_DESTRUCTION, CustodyStatus.DESTROYED, CustodyStatus.RETURNED,
    CustodyStatus.TRANSFERRED, CustodyStatus.LOST,
)


# Things that cannot be copied as such: a computer or a 密品 is one physical object.
NOT_COPYABLE_KINDS = (CarrierKind.COMPUTER, CarrierKind.OBJECT)


def copy_request_refusal(user, carrier):
    """Why this user may not ask to copy (复制/摘抄/汇编) this carrier, or None. The carrier is
    already known to be visible to the user (SPEC §5: reader in scope)."""
    if not _active(user) or is_admin_role(user) or not (roles_of(user) & set(REQUESTING_ROLES)):
        return "您的账号不能申请复制涉密载体"
    if clearance_of(user) < carrier.level:
        return "您的涉密等级低于该载体的密级，不能申请复制"
    if not in_standing_scope(user, carrier):
        return "您不在该载体的知悉范围内，不能申请复制"
    if carrier.kind in NOT_COPYABLE_KINDS:
        return f"{CarrierKind(carrier.kind).label}不能复制"
    if carrier.custody_status in NOT_COPYABLE_STATUSES:
        return f"载体 {carrier.serial} 当前为“{CustodyStatus(carrier.custody_status).label}”，不能复制"
    return None


def carry_request_refusal(user, carrier):
    """Why this user may not ask to carry this carrier out of the office, or None."""
    if not _active(user) or is_admin_role(user) or not (roles_of(user) & set(REQUESTING_ROLES)):
        return "您的账号不能申请携带涉密载体外出"
    if clearance_of(user) < carrier.level:
        return "您的涉密等级低于该载体的密级，不能携带外出"
    if not in_standing_scope(user, carrier):
        return "您不在该载体的知悉范围内，不能申请携带外出"
    if carrier.custody_status != CustodyStatus.IN_REGISTRY:
        return f"该载体当前为“{CustodyStatus(carrier.custody_status).label}”，只有在库的载体可以申请携带外出"
    return circulation_refusal(carrier, "携带外出")


def repair_request_refusal(user, carrier):
    """Why this user may not ask to have this carrier repaired, or None (SPEC §5: the registrar
    asks, for devices and media)."""
    if not _active(user) or is_admin_role(user) or not has_role(user, Role.REGISTRAR):
        return "只有机要秘书可以申请维修"
    if not may_manage(user, carrier):
        return "您不负责该载体管理部门的机要工作，不能申请维修"
    if carrier.kind not in DEVICE_KINDS:
        return "只有光盘、磁介质、移动存储和涉密计算机及设备可以申请维修"
    if carrier.custody_status != CustodyStatus.IN_REGISTRY:
        return f"该载体当前为“{CustodyStatus(carrier.custody_status).label}”，只有在库的载体可以送修"
    return circulation_refusal(carrier, "送修")


# Carriers that have left us for good or are gone carry no mark we could change.
NOT_RECLASSIFIABLE_STATUSES = (CustodyStatus.DESTROYED, CustodyStatus.RETURNED, CustodyStatus.TRANSFERRED)



def scope_request_refusal(user, carrier):
    """Why this user may not ask to widen this carrier's 知悉范围, or None. SPEC §5: a reader in
    scope or the registrar managing it asks."""
    if not _active(user) or is_admin_role(user):
        return "您的账号不能申请扩大知悉范围"
    if not (may_manage(user, carrier)
            or (roles_of(user) & set(REQUESTING_ROLES) and in_standing_scope(user, carrier))):
        return "只有知悉范围内的人员或负责该载体管理部门的机要秘书可以申请扩大知悉范围"
    if clearance_of(user) < carrier.level:
        return "您的涉密等级低于该载体的密级，不能申请扩大知悉范围"
    if not scope_widening_needs_approval(carrier):
        return "该载体不是涉密（国家秘密）载体，知悉范围由机要秘书直接调整"
    if carrier.custody_status in NOT_RECLASSIFIABLE_STATUSES:
        return f"该载体当前为“{CustodyStatus(carrier.custody_status).label}”，不能扩大知悉范围"
    return None


def reclassify_request_refusal(user, carrier, today=None):
    """Why this user may not ask to change the level or period of this carrier, or declassify it
    early, or None. SPEC §5: the registrar managing it or its 承办人 asks (and its 定密责任人, for
    the annual review); only a carrier still
    涉密 whose period has not ended (LAW24 art. 24: once it has, it is declassified by law and
    nothing is left to change or extend; an extension must be decided before expiry)."""
    if not _active(user) or is_admin_role(user):
        return "您的账号不能申请密级变更"
    # The 定密责任人 may also ask: the annual review (每年审核) asks them to keep, change or
    # declassify what they answer for; another decider with 定密 authority then decides.
    if not (may_manage(user, carrier) or (carrier.drafter_id and carrier.drafter_id == user.pk)
            or (carrier.classifier_id and carrier.classifier_id == user.pk)):
        return "只有负责该载体管理部门的机要秘书、该载体的承办人或定密责任人可以申请密级变更"
    if clearance_of(user) < carrier.level:
        return "您的涉密等级低于该载体的密级，不能申请密级变更"
    if carrier.secrecy_status != SecrecyStatus.CLASSIFIED:
        return "该载体已解密，不能再变更密级或延长保密期限"
    if not is_state_secret(carrier.level):
        return "该载体不是国家秘密载体（内部事项），没有密级和保密期限可变更"
    today = today or timezone.localdate()
    if carrier.declassify_on is not None and carrier.declassify_on < today:
        # LAW24 art. 24(2)-(3); DM14 art. 30(2): an extension is decided before the period ends.
        return (f"该载体的保密期限已于{carrier.declassify_on:%Y年%m月%d日}届满，依法自行解密，"
                "不能延长保密期限或变更密级")
    if carrier.custody_status in NOT_RECLASSIFIABLE_STATUSES:
        return f"该载体当前为“{CustodyStatus(carrier.custody_status).label}”，不能申请密级变更"
    return None


def companion_refusal(user, level):
    """Why this person may not be a named companion for carrying a carrier of this level, or None.
    REG24 art. 29(2): 绝密 travels with two or more people, each cleared for it."""
    name = user.get_username()
    if not _active(user) or is_admin_role(user):
        return f"{name} 的账号不能担任同行人员"
    if clearance_of(user) < level:
        return f"同行人员 {name} 的涉密等级低于{Level(level).label}，不能同行"
    return None


def supervisor_refusal(user, level):
    """Why this person may not supervise an on-site repair of a carrier of this level, or None."""
    name = user.get_username()
    if not _active(user) or is_admin_role(user):
        return f"{name} 的账号不能担任现场监督人"
    if clearance_of(user) < level:
        return f"现场监督人 {name} 的涉密等级低于{Level(level).label}，不能监督维修"
    return None


def principal_required(kind, level):
    """SPEC §5: 绝密 loans and copies need the 主要负责人 (cfg SECRECY["APPROVAL_PRINCIPAL_FROM_LEVEL"])."""
    threshold = settings.SECRECY.get("APPROVAL_PRINCIPAL_FROM_LEVEL", {}).get(str(kind))
    return threshold is not None and int(level) >= int(threshold)


def required_steps(kind, level, *, classifier_id=None):
    """The approval steps a request of this kind and level needs, in order.

    SPEC §5: one approver whose 审批权限 is at least the level (a 内部 item needs at least 秘密
    authority, the lowest there is); 绝密 where configured: the 主要负责人.

    密级变更 (level = the higher of the carrier's current and new level): one step for the carrier's
    定密责任人 (classifier_id) or an approver whose 定密权限 reaches that level. The higher of the
    two, not only the new level: lowering a 绝密 item is still a decision about a 绝密 secret, and
    declassifying needs authority for the current level (LAW24 art. 17, 24; REG24 art. 14).
    """
    min_authority = max(int(level), int(Level.CONFIDENTIAL))
    if kind == RequestKind.SCOPE:
        # SPEC §5: 知悉范围扩大 is decided by the 主要负责人 or their delegate.
        return [{"order": 1, "min_authority": min_authority, "requires_principal": False,
                 "requires_scope_authority": True}]
    if kind == RequestKind.RECLASSIFY:
        return [{"order": 1, "min_authority": min_authority, "requires_principal": False,
                 "requires_classification_authority": True, "classifier_id": classifier_id}]
    return [{"order": 1, "min_authority": min_authority, "requires_principal": principal_required(kind, level)}]


def _classification_decide_refusal(user, request, step):
    """定密责任人 step (密级变更): the carrier's named 定密责任人, or an approver; either way with
    定密权限 ≥ the step's level — a 定密责任人 decides only within their authority (LAW24 art. 17)."""
    if not _active(user) or is_admin_role(user):
        return "您的账号不能审批密级变更"
    if user.pk == request.requester_id:
        return "不能审批本人提出的申请"
    if user.pk != step.classifier_id and not has_role(user, Role.APPROVER):
        return "密级变更须由该载体的定密责任人或具有定密权限的领导审批"
    if clearance_of(user) < request.level:
        return f"您的涉密等级不足以知悉{Level(request.level).label}级事项，不能审批该申请"
    if not may_be_classifier(user, step.min_authority):
        return f"审批该密级变更需要{Level(step.min_authority).label}级及以上定密权限，您没有该权限"
    return None


def _scope_decide_refusal(user, request):
    """知悉范围扩大: the 主要负责人 or the delegate they named, cleared for the carrier (SPEC §5)."""
    if not _active(user) or is_admin_role(user):
        return "您的账号不能审批知悉范围扩大"
    if user.pk == request.requester_id:
        return "不能审批本人提出的申请"
    if not decides_scope_expansion(user):
        return "知悉范围扩大须由主要负责人或其委托的审批人审批"
    if clearance_of(user) < request.level:
        return f"您的涉密等级不足以知悉{Level(request.level).label}级事项，不能审批该申请"
    return None


def decide_refusal(user, request, step):
    """Why this user may not decide this step of this request, or None when they may."""
    if step.requires_scope_authority:
        return _scope_decide_refusal(user, request)
    if step.requires_classification_authority:
        return _classification_decide_refusal(user, request, step)
    if not _active(user) or is_admin_role(user) or not has_role(user, Role.APPROVER):
        return "只有具有审批权限的领导可以审批"
    if user.pk == request.requester_id:
        return "不能审批本人提出的申请"
    person = person_of(user)
    if clearance_of(user) < request.level:
        return f"您的涉密等级不足以知悉{Level(request.level).label}级事项，不能审批该申请"
    if person is None or person.approval_authority < step.min_authority:
        return f"审批该申请需要{Level(step.min_authority).label}级及以上审批权限，您没有该权限"
    if step.requires_principal and not person.is_principal:
        return f"{Level(request.level).label}级载体的{RequestKind(request.kind).label}须由主要负责人审批"
    return None


def _authority(user):
    person = person_of(user)
    return (person.approval_authority, person.is_principal) if person is not None else (0, False)


def _classification_authority(user):
    person = person_of(user)
    return person.classification_authority if person is not None else 0


def _may_approve_at_all(user):
    return _active(user) and not is_admin_role(user) and has_role(user, Role.APPROVER) and _authority(user)[0] > 0


def _may_decide_at_all(user):
    """An approver with 审批权限, or anyone with 定密权限 (a 定密责任人 decides the 密级变更 of
    the carriers they answer for, approver role or not)."""
    return _may_approve_at_all(user) or decides_scope_expansion(user) or (
        _active(user) and not is_admin_role(user) and _classification_authority(user) > 0)


def may_decide_anything(user):
    """Whether this user has an inbox of requests to decide at all (navigation, inbox page)."""
    return _may_decide_at_all(user)


def decidable_requests_q(user):
    """Q over ApprovalRequest: submitted requests whose current step this user may decide.

    The current step is the first undecided one; one SQL query, no per-row checks. Ordinary steps
    go by 审批权限; 定密责任人 steps (密级变更) by 定密权限, for the named 定密责任人 or an approver.
    """
    if not _may_decide_at_all(user):
        return Q(pk__in=[])
    authority, principal = _authority(user)
    approver = has_role(user, Role.APPROVER)
    earlier_pending = ApprovalStep.objects.filter(
        request=OuterRef("request"), decision=StepDecision.PENDING, order__lt=OuterRef("order"))
    eligible = Q(pk__in=[])
    if decides_scope_expansion(user):
        eligible |= Q(requires_scope_authority=True)
    if approver and authority > 0:
        ordinary = Q(requires_classification_authority=False, requires_scope_authority=False,
                     min_authority__lte=authority)
        if not principal:
            ordinary &= Q(requires_principal=False)
        eligible |= ordinary
    classification = _classification_authority(user)
    if classification > 0:
        classifying = Q(requires_classification_authority=True, requires_scope_authority=False,
                        min_authority__lte=classification)
        if not approver:
            classifying &= Q(classifier=user)
        eligible |= classifying
    current_step = ApprovalStep.objects.filter(
        eligible, request=OuterRef("pk"), decision=StepDecision.PENDING,
    ).filter(~Exists(earlier_pending))
    return (
        Q(state=RequestState.SUBMITTED, level__lte=clearance_of(user)) & ~Q(requester=user)
        & Q(Exists(current_step))
    )


def decidable_requests(user, queryset=None):
    queryset = ApprovalRequest.objects.all() if queryset is None else queryset
    return queryset.filter(decidable_requests_q(user))


EXECUTE_WHAT = {
    RequestKind.LEND: "借出和归还", RequestKind.COPY: "复制", RequestKind.CARRY_OUT: "携带外出和返回登记",
    RequestKind.REPAIR: "送修和修复入库", RequestKind.DESTROY: "销毁", RequestKind.RECLASSIFY: "密级变更",
}


def execute_refusal(user, request, carriers):
    """Why this user may not carry out this request (hand out / take back, destroy), or None."""
    if not _active(user) or is_admin_role(user) or not has_role(user, Role.REGISTRAR):
        return f"只有机要秘书可以办理{EXECUTE_WHAT.get(request.kind, '')}"
    served = set(served_department_ids(user))
    if any(c.department_id not in served for c in carriers):
        return "您不负责该载体管理部门的机要工作，不能办理"
    if clearance_of(user) < request.level:
        return "您的涉密等级低于该载体的密级，不能办理"
    if handling_clearance(user) < request.level:
        # LAW24 art. 26; REG24 art. 29(1): 专人管理.
        return "绝密级载体只能由主要负责人指定的绝密载体专人办理"
    return None


def executable_requests_q(user):
    """Q over ApprovalRequest: requests whose every carrier is in a department this registrar
    serves, at a level within the registrar's clearance."""
    if not _active(user) or is_admin_role(user) or not has_role(user, Role.REGISTRAR):
        return Q(pk__in=[])
    outside = RequestItem.objects.filter(request=OuterRef("pk")).exclude(
        carrier__department_id__in=served_department_ids(user))
    return Q(level__lte=handling_clearance(user)) & ~Q(Exists(outside)) & Q(Exists(
        RequestItem.objects.filter(request=OuterRef("pk"))))


def request_visible_q(user):
    """Who may open a request: its requester, an eligible decider of its current step, anyone who
    decided one of its steps, or a registrar serving its carriers."""
    if not _active(user) or is_admin_role(user):
        return Q(pk__in=[])
    decided = ApprovalStep.objects.filter(request=OuterRef("pk"), decided_by=user)
    return (Q(requester=user) | decidable_requests_q(user) | Q(Exists(decided)) | executable_requests_q(user)
            | destruction_overseer_q(user))


# ---------------------------------------------------------------------------------- destruction
# SPEC §5 销毁 (batch); REG24 art. 28. The registrar builds the batch from carriers they manage.

DESTROYABLE_STATUSES = (CustodyStatus.IN_REGISTRY,)


def may_build_destruction(user):
    return _active(user) and not is_admin_role(user) and has_role(user, Role.REGISTRAR)


def destruction_candidates_q(user):
    """Q over Carrier: what this registrar may put in a batch (在库, 已解密 ones included, in a
    department they serve, within their clearance). Combine with visible_carriers."""
    if not may_build_destruction(user):
        return Q(pk__in=[])
    circulating = Circulation.objects.filter(carrier=OuterRef("pk"), state=CirculationState.OPEN)
    return Q(custody_status__in=DESTROYABLE_STATUSES, department_id__in=served_department_ids(user),
             level__lte=handling_clearance(user)) & ~Q(Exists(circulating))


def destruction_item_refusal(user, carrier):
    """Why this registrar may not put this carrier in a destruction batch, or None."""
    if not may_build_destruction(user):
        return "只有机要秘书可以组织销毁"
    if not may_manage(user, carrier):
        return f"载体 {carrier.serial} 不属于您负责的管理部门或密级超出您的涉密等级，不能列入销毁"
    if carrier.custody_status not in DESTROYABLE_STATUSES:
        return (f"载体 {carrier.serial} 当前为“{CustodyStatus(carrier.custody_status).label}”，"
                "只有在库的载体可以列入销毁")
    return circulation_refusal(carrier, "列入销毁")


def is_secrecy_office_person(user):
    person = person_of(user)
    return bool(person is not None and person.department_id and person.department.is_secrecy_office)


def witness_level(level):
    """The clearance a 监销人 needs for a batch of this highest level: at least 秘密 — a witness of
    the destruction of state secrets is a 涉密人员 (REG24 art. 28: 清点、登记 by cleared staff)."""
    return max(int(level or 0), int(Level.CONFIDENTIAL))


def witness_refusal_for(user, *, level, requester_id):
    """Why this person may not witness a batch of this level asked by requester_id, or None (SPEC §5,
    REG24 art. 28). eligible_witnesses_q is the same rule as a query: keep the two together."""
    name = person_name(user)
    if not _active(user) or is_admin_role(user) or person_of(user) is None:
        return f"{name} 的账号不能担任监销人"
    if user.pk == requester_id:
        return "申请人不能担任本批次的监销人"
    if is_leaving(user):
        return f"{name} 正在办理离岗离职（离岗办理中），不能担任监销人"
    if clearance_of(user) < witness_level(level):
        return (f"监销人 {name} 的涉密等级低于本批次的最高密级"
                f"（{Level(witness_level(level)).label}），不能担任监销人")
    return None


def eligible_witnesses_q(*, level, requester_id):
    """Q over User: the people witness_refusal_for accepts — active, a 涉密人员 on post cleared for
    the level, no open 离岗离职, not the requester. Admin roles are left to the caller's people list."""
    return (Q(is_active=True, person__isnull=False) & cleared_for_level_q(witness_level(level))
            & ~leaving_q() & ~Q(pk=requester_id))


def destroyer_refusal(user, *, level):
    """Why this person may not be recorded as the 销毁人 of a batch of this level, or None: a person
    of the unit who handles the carriers, so cleared for them (REG24 art. 28)."""
    name = person_name(user)
    if not _active(user) or is_admin_role(user) or person_of(user) is None:
        return f"{name} 不是本单位涉密人员，不能担任销毁人"
    if clearance_of(user) < witness_level(level):
        return f"销毁人 {name} 的涉密等级低于本批次的最高密级（{Level(witness_level(level)).label}），不能担任销毁人"
    return None


def eligible_destroyers_q(*, level):
    """Q over User: the people destroyer_refusal accepts (admin roles are the caller's filter)."""
    return Q(is_active=True, person__isnull=False) & cleared_for_level_q(witness_level(level))


def witness_refusal(user, request):
    """Why this person may not be a 监销人 of this batch, or None."""
    return witness_refusal_for(user, level=request.level, requester_id=request.requester_id)


def witnesses_refusal(users, request):
    """Why this set of 监销人 is not enough for the batch, or None."""
    return witnesses_refusal_for(users, level=request.level, requester_id=request.requester_id)


def witnesses_refusal_for(users, *, level, requester_id):
    """Why this set of 监销人 is not enough for a batch of this level, or None: at least two distinct
    people, none of them the requester, at least one from 保密办, each cleared for the level and not
    leaving (SPEC §5; REG24 art. 28)."""
    distinct = {u.pk: u for u in users}
    if len(distinct) < 2:
        return "销毁须有至少两名不同的监销人"
    for user in distinct.values():
        refusal = witness_refusal_for(user, level=level, requester_id=requester_id)
        if refusal:
            return refusal
    if not any(is_secrecy_office_person(u) for u in distinct.values()):
        return "监销人中须至少有一名保密办人员"
    return None


def witness_confirm_refusal(user, request, witness):
    """Why this user may not confirm as 监销人 (witness: their DestructionWitness row or None)."""
    if witness is None:
        return "您不是本批次指定的监销人"
    if witness.confirmed_at is not None:
        return "您已确认监销，无需重复确认"
    return witness_refusal(user, request)


def destruction_overseer_q(user):
    """Q over ApprovalRequest: destruction batches this user takes part in as 监销人, or oversees as
    保密办 (SPEC §1: 保密办 witnesses destruction and prints the destruction lists)."""
    if not _active(user) or is_admin_role(user):
        return Q(pk__in=[])
    witnessing = DestructionWitness.objects.filter(request=OuterRef("pk"), user=user)
    q = Q(kind=RequestKind.DESTROY) & Q(Exists(witnessing))
    if has_role(user, Role.SECRECY_OFFICE):
        q |= Q(kind=RequestKind.DESTROY, level__lte=clearance_of(user))
    return q


def may_carry_out_requests(user):
    """审批办理 (the registrar's queue) and its menu entry."""
    return _active(user) and not is_admin_role(user) and has_role(user, Role.REGISTRAR)


def may_open_destruction_batches(user):
    """The 销毁 page and its menu entry (issue 14 §4 of menus: an entry only for who may use it):
    who builds batches (机要秘书), decides them (领导), oversees them (保密办), or was named
    a 监销人 of one — not every reader."""
    if not _active(user) or is_admin_role(user):
        return False
    if roles_of(user) & {Role.REGISTRAR, Role.APPROVER, Role.SECRECY_OFFICE}:
        return True
    return DestructionWitness.objects.filter(user=user).exists()


def may_have_requests(user):
    """我的申请 and its menu entry: who may ask for something — a business role cleared for state
    secrets (a 非涉密人员 has nothing to borrow, copy or carry out) — or has asked before."""
    if not _active(user) or is_admin_role(user) or not (roles_of(user) & set(REQUESTING_ROLES)):
        return False
    return clearance_of(user) >= Level.CONFIDENTIAL or ApprovalRequest.objects.filter(requester=user).exists()


def destruction_list_printable_q(user):
    """Q over ApprovalRequest: batches whose 销毁清单 this user may print — the requester, its
    deciders, its witnesses, 保密办 and the registrars serving it. (Rows are still only the ones
    the user may see.)"""
    if not may_print_registers(user):
        return Q(pk__in=[])
    decided = ApprovalStep.objects.filter(request=OuterRef("pk"), decided_by=user)
    return Q(kind=RequestKind.DESTROY) & (
        Q(requester=user) | Q(Exists(decided)) | destruction_overseer_q(user) | executable_requests_q(user))


# ------------------------------------------------------------------------ temporary need to know
# SPEC §4: who holds or must read a carrier for the time of a request sees it meanwhile.


def _carrier_items(name, items):
    """A source of carriers named in request items (items: a RequestItem queryset)."""
    return Source(name, Q(pk__in=items.values("carrier_id")),
                  ~Exists(items.filter(carrier_id=OuterRef("pk"))))


def _open_loan_need_to_know(user):
    """SPEC §4: the borrower of a loan that is out (已借出) sees the carrier; not before, not after."""
    return _carrier_items("open_loan", RequestItem.objects.filter(
        kind=RequestKind.LEND, is_open=True, request__state=RequestState.IN_PROGRESS, request__requester=user,
    ))


def _pending_decision_need_to_know(user):
    """An approver must read what they decide: the carriers of requests waiting for their
    decision are visible to them while the decision is pending (clearance still applies)."""
    if not _may_approve_at_all(user):
        return None
    return _carrier_items("pending_decision", RequestItem.objects.filter(
        is_open=True, request__in=ApprovalRequest.objects.filter(decidable_requests_q(user)).values("pk"),
    ))


def _witness_need_to_know(user):
    """A designated 监销人 checks every carrier of the batch against the list they sign
    (REG24 art. 28 清点; SPEC §5), so they see the batch's carriers from designation on, and
    afterwards the destruction record they signed. Clearance still applies; witnesses are
    already required to be cleared for the batch's highest level."""
    # Through the default manager, so a withdrawn designation grants nothing.
    designated = DestructionWitness.objects.filter(user=user).values("request_id")
    return _carrier_items("witness", RequestItem.objects.filter(
        kind=RequestKind.DESTROY, request_id__in=designated,
        request__state__in=[RequestState.SUBMITTED, RequestState.APPROVED, RequestState.COMPLETED],
    ))


# Registered into documents.policy.EXTRA_NEED_TO_KNOW by ApprovalsConfig.ready().
NEED_TO_KNOW_SOURCES = (_open_loan_need_to_know, _pending_decision_need_to_know, _witness_need_to_know)
