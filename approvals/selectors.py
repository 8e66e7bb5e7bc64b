"""Every read of requests (and of destruction batches) that depends on who is asking.

Moved out of documents.selectors so documents imports nothing from approvals; the carrier reads
these build on stay there."""
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q

from documents.selectors import carrier_list_visible_to
from personnel.models import ADMIN_ROLES, Role
from personnel.policy import cleared_for_level_q
from secrecy.errors import NotVisible

from .models import ApprovalRequest, ApprovalStep, DestructionWitness, RequestItem, RequestKind, RequestState
from .policy import (
    decide_refusal, decidable_requests_q, destruction_candidates_q, destruction_list_printable_q, executable_requests_q,
    request_visible_q,
)


def _with_items(queryset):
    return queryset.select_related("requester__person__department", "supervisor__person").prefetch_related(
        Prefetch("items", queryset=RequestItem.objects.select_related("carrier__department")),
        "companions__person",
    )


def requests_inbox(*, user):
    """待办: submitted requests whose current step this user may decide, oldest first."""
    return _with_items(ApprovalRequest.objects.filter(decidable_requests_q(user))).order_by("submitted_at", "id")


def requests_inbox_count(*, user):
    return ApprovalRequest.objects.filter(decidable_requests_q(user)).count()


def requests_mine(*, user):
    return _with_items(ApprovalRequest.objects.filter(requester=user)).order_by("-id")


# Completed copy requests whose copies the requester has not collected yet (领取签收, issue 14 §3).
COPIES_TO_COLLECT = Q(kind=RequestKind.COPY, state=RequestState.COMPLETED, copies_collected_at__isnull=True)
QUEUE_KINDS = [RequestKind.LEND, RequestKind.COPY, RequestKind.CARRY_OUT, RequestKind.REPAIR]


def requests_queue(*, user):
    """The registrar's queue: approved loans, trips and repairs to hand out, copies to make and to
    hand over, and what is out to take back. (Destruction batches have their own page.)"""
    return _with_items(ApprovalRequest.objects.filter(
        executable_requests_q(user),
        Q(kind__in=QUEUE_KINDS, state__in=[RequestState.APPROVED, RequestState.IN_PROGRESS]) | COPIES_TO_COLLECT,
    )).order_by("state", "due_date", "id")


def requests_to_carry_out_queryset(*, user):
    """审批办理 badge: what waits for this registrar's hand now — approved requests to carry out and
    copies to hand over (what is out and not yet back waits for its holder, not for them)."""
    return ApprovalRequest.objects.filter(
        executable_requests_q(user), Q(kind__in=QUEUE_KINDS, state=RequestState.APPROVED) | COPIES_TO_COLLECT)


def request_get_for_user(*, user, pk):
    """The request if the user may open it (requester, decider, serving registrar); else NotVisible."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotVisible() from None
    request = _with_items(ApprovalRequest.objects.filter(request_visible_q(user))).filter(pk=pk).first()
    if request is None:
        raise NotVisible()
    return request


def request_steps(*, request):
    return ApprovalStep.objects.filter(request=request).select_related("decided_by__person").order_by("order")


def step_deciders(*, request, step, limit=8):
    """Who may decide this pending step, by name (issue 14 §3: the requester sees who their request
    waits for). Candidates are narrowed in SQL (active, cleared for the level, an approver or holding
    定密 / 知悉范围 authority); policy.decide_refusal — the rule the decision itself applies — has
    the last word on each, so the page never names someone who would then be refused."""
    candidates = (get_user_model().objects.filter(cleared_for_level_q(request.level), is_active=True)
                  .filter(Q(groups__name=Role.APPROVER) | Q(person__classification_authority__gt=0)
                          | Q(person__is_principal=True) | Q(person__scope_delegate=True))
                  .exclude(pk=request.requester_id).exclude(groups__name__in=ADMIN_ROLES)
                  .select_related("person").distinct().order_by("person__full_name", "id"))
    deciders = []
    for user in candidates[:200]:
        if not decide_refusal(user, request, step):
            deciders.append(user)
            if len(deciders) >= limit:
                break
    return deciders


def carrier_open_requests(*, carrier):
    """Open requests of a carrier (at most one per kind)."""
    return ApprovalRequest.objects.filter(items__carrier=carrier, items__is_open=True).select_related(
        "requester__person").order_by("id")


def loans_overdue(*, today):
    """Loans out (已借出) whose due date has passed — for the reminders of the notifications issue."""
    return _with_items(ApprovalRequest.objects.filter(
        kind=RequestKind.LEND, state=RequestState.IN_PROGRESS, due_date__lt=today,
    )).order_by("due_date", "id")


# ---------------------------------------------------------------------------------- destruction


def destruction_candidates(*, user, filters=None):
    """Carriers this registrar may put in a destruction batch: visible, managed by them, 在库
    (已解密 ones included), not in any open request; filtered like the list."""
    open_items = RequestItem.objects.filter(is_open=True).values("carrier_id")
    return (carrier_list_visible_to(user=user, filters=filters)
            .filter(destruction_candidates_q(user)).exclude(pk__in=open_items))


def destruction_batches(*, user):
    """Destruction batches this user may open (requester, decider, serving registrar, witness, 保密办)."""
    return _with_items(ApprovalRequest.objects.filter(request_visible_q(user), kind=RequestKind.DESTROY)
                       .select_related("destruction")).order_by("-id")


def requests_to_witness(*, user):
    """Approved batches waiting for this user's own 监销 confirmation."""
    mine = DestructionWitness.objects.filter(user=user, confirmed_at__isnull=True).values("request_id")
    return _with_items(ApprovalRequest.objects.filter(
        kind=RequestKind.DESTROY, state=RequestState.APPROVED, pk__in=mine,
    ).select_related("destruction")).order_by("submitted_at", "id")


def requests_to_witness_queryset(*, user):
    return DestructionWitness.objects.filter(
        user=user, confirmed_at__isnull=True, request__state=RequestState.APPROVED,
        request__kind=RequestKind.DESTROY)


def requests_to_witness_count(*, user):
    return requests_to_witness_queryset(user=user).count()


def request_witnesses(*, request):
    return DestructionWitness.objects.filter(request=request).select_related("user__person__department")


def destruction_batch_for_print(*, user, pk):
    """The batch if this user may print its 销毁清单; else NotVisible (404)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotVisible() from None
    batch = (ApprovalRequest.objects.filter(destruction_list_printable_q(user), pk=pk)
             .select_related("destruction", "requester__person").first())
    if batch is None:
        raise NotVisible()
    return batch
