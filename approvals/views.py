"""Approval screens: the leader's 待办 inbox, "我的申请", the registrar's queue, one request's page
and the 申请借阅 form of the carrier page; the hand-out and take-back of loans, carry-outs and
repairs. Thin: parse input, call one selector or service. (The request forms of 复制, 汇编, 外出携带
and 维修 are in views_requests.)

A service's refusal (DomainError) becomes a message in one place: documents.views_common.perform.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from documents import policy as carrier_policy
from documents import selectors as carrier_selectors
from secrecy.forms import perform
from personnel.policy import is_admin_role
from secrecy.badges import badge_counts
from secrecy.errors import NotVisible
from secrecy.levels import highest_level

from . import policy, selectors
from . import services as approval_services
from .forms import (
    CancelForm, DecisionForm, DestructionExecuteForm, LoanRequestForm, LoanReturnForm, RepairStartForm,
    WitnessesForm,
)
from .kinds import carry as carrying
from .kinds import copy as copying
from .kinds import copy_pickup
from .kinds import lend as lending
from .kinds import repair as repairs
from .models import ApprovalRequest, DestructionMethod, RequestKind, RequestState, ReturnCondition
from .workflows import Action, CopyAction, DestroyAction, Party, action_label, actions_from, move_for

INBOX_PAGE_SIZE = 50

# Where a form goes back to after its action; a fixed list, so no open redirect.
RETURN_PAGES = {"inbox": "approvals:inbox", "mine": "approvals:mine", "queue": "approvals:queue"}


def _back(request, approval):
    page = RETURN_PAGES.get(request.POST.get("next", ""))
    return redirect(reverse(page) if page else approval.get_absolute_url())


def _request_or_404(request, pk):
    try:
        return selectors.request_get_for_user(user=request.user, pk=pk)
    except NotVisible:
        raise Http404("未找到该申请") from None


def _mark_visible_items(user, requests):
    """Which carriers of these requests the user may see (one query): titles of the others are
    not shown, only their serial and mark."""
    items = [item for r in requests for item in r.items.all()]
    visible = set(carrier_policy.visible_carriers(user).filter(pk__in=[i.carrier_id for i in items])
                  .values_list("pk", flat=True)) if items else set()
    for item in items:
        item.visible = item.carrier_id in visible
    return requests


def _page(request, template, rows, **context):
    rows = _mark_visible_items(request.user, list(rows))
    return render(request, template, {
        "rows": rows, "today": timezone.localdate(),
        "page_level": highest_level(r.level for r in rows), **context,
    })


# ------------------------------------------------------------------------------------- lists


@login_required
def inbox(request):
    """待办: requests to decide and, for a designated 监销人, batches waiting for their confirmation."""
    if is_admin_role(request.user):
        raise Http404()
    to_witness = _mark_visible_items(request.user, list(selectors.requests_to_witness(user=request.user)))
    # An approver, or a 定密责任人 (who decides 密级变更 without being an approver).
    decides = policy.may_decide_anything(request.user)
    if not decides and not to_witness:
        raise Http404()
    # Paginated (issue 12): a leader with 2,000 requests waiting gets them 50 at a time, oldest first.
    paginator = Paginator(selectors.requests_inbox(user=request.user) if decides else ApprovalRequest.objects.none(),
                          INBOX_PAGE_SIZE)
    if decides:
        # The menu's 待办 badge has counted these very requests already (secrecy.badges).
        paginator.count = badge_counts(request)["approvals_to_decide"]
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    return _page(request, "approvals/inbox.html", rows, decision_form=DecisionForm(), to_witness=to_witness,
                 inbox_page=page, page_level=highest_level([r.level for r in rows] + [r.level for r in to_witness]))


@login_required
def mine(request):
    if not policy.may_have_requests(request.user):
        raise Http404()
    return _page(request, "approvals/mine.html", selectors.requests_mine(user=request.user)[:200])


# The registrar's queue, one table per kind: (kind, heading) for approved requests to carry out,
# then for what is out and must come back.
QUEUE_TO_DO = (
    (RequestKind.LEND, "待借出"), (RequestKind.COPY, "待复制"), (RequestKind.CARRY_OUT, "待携带外出"),
    (RequestKind.REPAIR, "待送修"),
)
QUEUE_OUT = ((RequestKind.LEND, "待归还"), (RequestKind.CARRY_OUT, "待返回"), (RequestKind.REPAIR, "维修中"))


def _sections(rows, state, headings):
    sections = []
    for kind, heading in headings:
        kind_rows = [r for r in rows if r.state == state and r.kind == kind]
        if kind_rows:
            sections.append({"kind": kind, "heading": heading, "rows": kind_rows})
    return sections


def _copies_to_collect(rows):
    """Completed copy requests whose copies wait at the registry for their requester (领取签收)."""
    kind_rows = [r for r in rows if r.kind == RequestKind.COPY and r.state == RequestState.COMPLETED]
    return [{"kind": "copy-pickup", "heading": "复制件待领取", "rows": kind_rows, "pickup": True}] if kind_rows else []


@login_required
def queue(request):
    if not policy.may_carry_out_requests(request.user):
        raise Http404()
    rows = list(selectors.requests_queue(user=request.user))
    return _page(request, "approvals/queue.html", rows,
                 to_check_out=_sections(rows, RequestState.APPROVED, QUEUE_TO_DO) + _copies_to_collect(rows),
                 to_take_back=_sections(rows, RequestState.IN_PROGRESS, QUEUE_OUT),
                 default_copy_stamp=copying.default_copy_stamp(),
                 return_form=LoanReturnForm(initial={"condition": ReturnCondition.INTACT}))


# ------------------------------------------------------------------------------------ detail


def _allowed_actions(user, approval, carriers):
    """The buttons this user gets: the table's moves from the current state that they may make."""
    allowed = set()
    step = next((s for s in approval.step_list if not s.decision), None)
    for action in actions_from(approval.kind, approval.state):
        by = move_for(approval.kind, approval.state, action).by
        if Party.REQUESTER in by and user.pk == approval.requester_id:
            allowed.add(action)
        elif Party.APPROVER in by and step is not None and not policy.decide_refusal(user, approval, step):
            allowed.add(action)
        elif Party.REGISTRAR in by and not policy.execute_refusal(user, approval, carriers):
            allowed.add(action)
        elif Party.WITNESS in by and not policy.witness_confirm_refusal(
                user, approval, next((w for w in approval.witness_list if w.user_id == user.pk), None)):
            allowed.add(action)
    return allowed


def _produced_copies(user, approval):
    """The carriers a copy request produced; `visible` says which the user may open (the others
    show their serial and 份号 only, like the request's own carriers)."""
    produced = list(approval.copies_produced.order_by("id"))
    visible = set(carrier_policy.visible_carriers(user).filter(pk__in=[c.pk for c in produced])
                  .values_list("pk", flat=True)) if produced else set()
    for carrier in produced:
        carrier.visible = carrier.pk in visible
    return produced


@login_required
def detail(request, pk):
    return detail_page(request, _request_or_404(request, pk))


def detail_page(request, approval, *, execute_form=None, witnesses_form=None, status=200):
    """The request's page; a refused 执行销毁 or 指定监销人 shows it again with its form bound, the
    errors at their fields."""
    approval.step_list = list(selectors.request_steps(request=approval))
    waiting = approval.state in (RequestState.DRAFT, RequestState.SUBMITTED)
    for step in approval.step_list:
        # Issue 14 §3: an undecided step names who will decide it.
        step.deciders = selectors.step_deciders(request=approval, step=step) if waiting and not step.decision else None
    approval.witness_list = list(selectors.request_witnesses(request=approval))
    _mark_visible_items(request.user, [approval])
    carriers = [item.carrier for item in approval.items.all()]
    allowed = _allowed_actions(request.user, approval, carriers)
    destroy = approval.kind == RequestKind.DESTROY
    can_execute = DestroyAction.EXECUTE in allowed
    can_make_copies = CopyAction.MAKE_COPIES in allowed
    produced = _produced_copies(request.user, approval) if approval.kind == RequestKind.COPY else []
    can_hand_over = bool(produced) and copy_pickup.pickup_refusal(request.user, approval, produced) is None
    return render(request, "approvals/detail.html", {
        "r": approval, "steps": approval.step_list, "today": timezone.localdate(),
        "can_submit": Action.SUBMIT in allowed, "can_cancel": Action.CANCEL in allowed,
        "can_decide": Action.APPROVE in allowed, "can_check_out": Action.CHECK_OUT in allowed,
        "can_return": Action.RETURN in allowed, "can_make_copies": can_make_copies,
        "produced": produced, "can_hand_over": can_hand_over,
        "companions": list(approval.companions.all()) if approval.kind == RequestKind.CARRY_OUT else [],
        "default_copy_stamp": copying.default_copy_stamp() if can_make_copies else "",
        "can_designate": DestroyAction.DESIGNATE in allowed
        and not any(w.confirmed_at for w in approval.witness_list),
        "can_witness": DestroyAction.WITNESS_CONFIRM in allowed, "can_execute": can_execute,
        "witnesses": approval.witness_list,
        "destruction": getattr(approval, "destruction", None) if destroy else None,
        "can_print_list": destroy and ApprovalRequest.objects.filter(
            policy.destruction_list_printable_q(request.user), pk=approval.pk).exists(),
        "witnesses_form": witnesses_form or (WitnessesForm(level=approval.level, requester=approval.requester, initial={
            "witnesses": [w.user_id for w in approval.witness_list]}) if destroy else None),
        "execute_form": execute_form or (DestructionExecuteForm(
            level=approval.level, method=approval.destruction.method,
            initial={"executed_on": timezone.localdate(),
                     # 送销: usually the 承销单位's operator; otherwise the registrar themself, to change.
                     "destroyed_by": None if approval.destruction.method == DestructionMethod.SEND
                     else request.user.pk}) if can_execute else None),
        "decision_form": DecisionForm(), "cancel_form": CancelForm(),
        "return_form": LoanReturnForm(initial={"condition": ReturnCondition.INTACT}),
        "page_level": approval.level,
    }, status=status)


# ------------------------------------------------------------------------------------ actions


@login_required
@require_POST
def loan_request(request, carrier_pk):
    try:
        carrier = carrier_selectors.carrier_get_for_user(user=request.user, pk=carrier_pk)
    except NotVisible:
        raise Http404("未找到该载体") from None
    form = LoanRequestForm(request.POST)
    form.is_valid()  # Syntax only; an unparseable date arrives as None and the service says so.
    data = form.cleaned_data
    created = perform(request, lambda: lending.loan_request_create(
        actor=request.user, carrier=carrier, due_date=data.get("due_date"), reason=data.get("reason", "")),
        success="借阅申请已提交，等待领导审批")
    return redirect(created.get_absolute_url() if created else carrier.get_absolute_url())


@login_required
@require_POST
def submit(request, pk):
    approval = _request_or_404(request, pk)
    perform(request, lambda: approval_services.request_submit(actor=request.user, request=approval),
             success="申请已提交")
    return _back(request, approval)


@login_required
@require_POST
def cancel(request, pk):
    approval = _request_or_404(request, pk)
    form = CancelForm(request.POST)
    form.is_valid()
    perform(request, lambda: approval_services.request_cancel(
        actor=request.user, request=approval, reason=form.cleaned_data.get("reason", "")), success="申请已撤销")
    return _back(request, approval)


@login_required
@require_POST
def decide(request, pk):
    approval = _request_or_404(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择同意或驳回")
        return _back(request, approval)
    approve = form.cleaned_data["decision"] == "approve"
    perform(request, lambda: approval_services.request_decide(
        actor=request.user, request=approval, approve=approve, comment=form.cleaned_data["comment"],
        approve_abroad=form.cleaned_data["approve_abroad"]),
        success=f"已{'同意' if approve else '驳回'}{approval.reference}")
    return _back(request, approval)


# The hand-out and take-back service of each kind that has them (the table's check_out / return).
CHECK_OUT_SERVICES = {
    RequestKind.LEND: lambda actor, request, data: lending.loan_check_out(actor=actor, request=request),
    RequestKind.CARRY_OUT: lambda actor, request, data: carrying.carry_check_out(actor=actor, request=request),
    RequestKind.REPAIR: lambda actor, request, data: repairs.repair_start(
        actor=actor, request=request, storage_removed_note=data.get("storage_removed_note", "")),
}
RETURN_SERVICES = {
    RequestKind.LEND: lending.loan_return,
    RequestKind.CARRY_OUT: carrying.carry_return,
    RequestKind.REPAIR: repairs.repair_finish,
}
RETURN_DONE = {RequestKind.LEND: "已归还入库", RequestKind.CARRY_OUT: "已登记返回", RequestKind.REPAIR: "已修复入库"}


@login_required
@require_POST
def check_out(request, pk):
    """借出 / 携带外出 / 送修 of an approved request (whichever its kind has)."""
    approval = _request_or_404(request, pk)
    service = CHECK_OUT_SERVICES.get(approval.kind)
    if service is None:
        messages.error(request, f"{approval.get_kind_display()}申请没有此项办理")
        return _back(request, approval)
    form = RepairStartForm(request.POST)
    form.is_valid()
    perform(request, lambda: service(request.user, approval, form.cleaned_data),
             success=f"已{action_label(Action.CHECK_OUT, approval.kind)}（{approval.reference}）")
    return _back(request, approval)


@login_required
@require_POST
def take_back(request, pk):
    """归还 / 登记返回 / 修复入库, with the inspection of the carrier."""
    approval = _request_or_404(request, pk)
    service = RETURN_SERVICES.get(approval.kind)
    if service is None:
        messages.error(request, f"{approval.get_kind_display()}申请没有此项办理")
        return _back(request, approval)
    form = LoanReturnForm(request.POST)
    form.is_valid()
    perform(request, lambda: service(
        actor=request.user, request=approval, condition=form.cleaned_data.get("condition", ""),
        note=form.cleaned_data.get("note", "")), success=f"{RETURN_DONE[approval.kind]}（{approval.reference}）")
    return _back(request, approval)
