"""The request pages of 复制（摘抄）, 汇编, 外出携带, 维修 and 密级变更, and the registrar's 制作复制件.

Thin, like approvals.views: parse the form, call one service, and put its refusal next to the
field it concerns (documents.forms.apply_domain_error). Syntax errors (a date that is no date) stop before
the service, so a half-understood form never creates anything. A carrier the user may not see is
a 404 here as on the carrier page (SPEC §4), recorded as a denial (SPEC §10).
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from documents import policy as carrier_policy
from documents import selectors as carrier_selectors
from documents.forms import apply_domain_error
from documents.views_common import carrier_or_404
from secrecy.forms import perform
from personnel.policy import is_admin_role
from secrecy.errors import DomainError, NotVisible
from secrecy.levels import Level, highest_level

from . import policy, selectors
from .forms import (
    MAX_COMPILE_PARTS, CarryRequestForm, CompileRequestForm, CopyRequestForm, MakeCopiesForm, ReclassifyRequestForm,
    RepairRequestForm, ScopeRequestForm,
)
from .kinds import carry as carrying
from .kinds import copy as copying
from .kinds import copy_pickup
from .kinds import reclassify as reclassifying
from .kinds import repair as repairs
from .kinds import scope as scoping
from .models import RequestKind
from .views import _request_or_404

ASK_REFUSALS = {
    RequestKind.COPY: policy.copy_request_refusal,
    RequestKind.CARRY_OUT: policy.carry_request_refusal,
    RequestKind.REPAIR: policy.repair_request_refusal,
    RequestKind.RECLASSIFY: policy.reclassify_request_refusal,
    RequestKind.SCOPE: policy.scope_request_refusal,
}


def ask_refusal(user, carrier, kind, open_kinds=None):
    """Why this user is not offered a new request of this kind for this carrier, or None.

    Decides whether the carrier page shows the button and whether the form page shows a form;
    the service re-checks everything when the form is sent. open_kinds: the kinds of the
    carrier's open requests, when the caller already has them (one query for all buttons).
    """
    refusal = ASK_REFUSALS[kind](user, carrier)
    if refusal:
        return refusal
    if open_kinds is None:
        open_kinds = {r.kind for r in selectors.carrier_open_requests(carrier=carrier)}
    if kind in open_kinds:
        # SPEC §5: at most one open request of each kind per carrier.
        return f"该载体已有未办结的{RequestKind(kind).label}申请，办结或撤销后才能再次申请"
    return None


def _carrier_request_page(request, carrier_pk, *, kind, build_form, create, heading, submit_label, success,
                          notes=lambda carrier: ()):
    """GET shows the form (or why there is none); POST asks the service and either goes to the
    new request's page or shows the form again with the refusal next to its field."""
    carrier = carrier_or_404(request, carrier_pk)
    form = build_form(carrier, request.POST if request.method == "POST" else None)
    refusal = None
    if request.method == "POST":
        if form.is_valid():
            try:
                created = create(carrier, form.request_data())
            except NotVisible:
                raise Http404("未找到该载体") from None
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, success)
                return redirect(created.get_absolute_url())
    else:
        refusal = ask_refusal(request.user, carrier, kind)
    return render(request, "approvals/request_form.html", {
        "heading": heading, "kind": kind, "carrier": carrier, "carriers": [carrier], "form": form,
        "refusal": refusal, "submit_label": submit_label, "notes": list(notes(carrier)), "page_level": carrier.level,
        "top_secret": carrier.level >= Level.TOP_SECRET,
    })


@login_required
def copy_request(request, carrier_pk):
    def create(carrier, data):
        return copying.copy_request_create(actor=request.user, carriers=[carrier], submit=True, **data)

    def notes(carrier):
        yield "复制件视同原件管理：密级、保密期限和知悉范围与原件相同，另编份号并加盖复制戳记。"
        if carrier.level >= Level.TOP_SECRET:
            yield "绝密级载体复制须经主要负责人批准，并须登记原定密机关（或其上级机关）同意复制的文件文号和日期。"
        else:
            yield "本载体不是绝密级，无需填写原定密机关同意。"

    return _carrier_request_page(
        request, carrier_pk, kind=RequestKind.COPY, heading="申请复制（摘抄）", submit_label="提交复制申请",
        build_form=lambda carrier, data: CopyRequestForm(data, initial={"copy_count": 1}),
        create=create, success="复制申请已提交，等待领导审批", notes=notes)


@login_required
def carry_request(request, carrier_pk):
    def create(carrier, data):
        return carrying.carry_request_create(actor=request.user, carrier=carrier, submit=True, **data)

    def notes(carrier):
        yield "携带涉密载体外出须由携带人随身保管，返回后及时交回登记。"
        if carrier.level >= Level.TOP_SECRET:
            yield "绝密级载体外出须两人以上同行，同行人员须具有绝密级涉密资格；绝密级载体禁止携带出境。"

    return _carrier_request_page(
        request, carrier_pk, kind=RequestKind.CARRY_OUT, heading="申请外出携带", submit_label="提交外出携带申请",
        build_form=lambda carrier, data: CarryRequestForm(data, carrier=carrier, requester=request.user),
        create=create, success="外出携带申请已提交，等待领导审批", notes=notes)


@login_required
def repair_request(request, carrier_pk):
    # Only a registrar asks for repairs (SPEC §5); to anyone else the page does not exist.
    if not carrier_policy.may_register(request.user, None):
        raise Http404()

    def create(carrier, data):
        return repairs.repair_request_create(
            actor=request.user, carrier=carrier, mode=data["mode"], repairer=data["repairer"],
            supervisor=data["supervisor"], reason=data["reason"], submit=True)

    return _carrier_request_page(
        request, carrier_pk, kind=RequestKind.REPAIR, heading="申请维修", submit_label="提交维修申请",
        build_form=lambda carrier, data: RepairRequestForm(data, carrier=carrier),
        create=create, success="维修申请已提交，等待领导审批",
        notes=lambda carrier: ["现场维修须指定现场监督人全程监督；送外维修须先拆除信息存储部件，送修时登记拆除情况。"])


@login_required
def reclassify_request(request, carrier_pk):
    """申请密级变更 / 延长或缩短保密期限 / 提前解密 (SPEC §5: the registrar or the 承办人 asks)."""
    def create(carrier, data):
        return reclassifying.reclassify_request_create(actor=request.user, carrier=carrier, submit=True, **data)

    def notes(carrier):
        yield f"当前标志：{carrier.mark}；保密期限自制发日 {carrier.start_date:%Y-%m-%d} 起算。"
        if carrier.declassify_on:
            yield (f"原保密期限至 {carrier.declassify_on:%Y-%m-%d}（含当日）。延长保密期限须在届满前由定密责任人决定，"
                   "届满后依法自行解密，不能再延长。")
        yield "由该载体的定密责任人或定密权限不低于相应密级的领导审批；批准即生效，并通知知悉范围内的全部人员。"

    return _carrier_request_page(
        request, carrier_pk, kind=RequestKind.RECLASSIFY, heading="申请密级变更/解密", submit_label="提交变更申请",
        build_form=lambda carrier, data: ReclassifyRequestForm(data, initial={"new_period_unit": "year"}),
        create=create, success="密级变更申请已提交，等待定密责任人审批", notes=notes)


@login_required
def scope_request(request, carrier_pk):
    """申请扩大知悉范围 (SPEC §5: a reader in scope or the registrar asks; the 主要负责人 or their
    delegate decides, and the approval adds the person or department at once)."""
    def create(carrier, data):
        return scoping.scope_request_create(actor=request.user, carrier=carrier, submit=True, **data)

    def notes(carrier):
        yield "秘密级以上载体的知悉范围由定密时确定；扩大知悉范围须经主要负责人或其委托的审批人批准，批准即列入。"
        yield "列入的人员须具有不低于该载体密级的涉密资格；缩小知悉范围由机要秘书直接办理。"

    return _carrier_request_page(
        request, carrier_pk, kind=RequestKind.SCOPE, heading="申请扩大知悉范围", submit_label="提交申请",
        build_form=lambda carrier, data: ScopeRequestForm(data, carrier=carrier, requester=request.user),
        create=create, success="知悉范围扩大申请已提交，等待主要负责人审批", notes=notes)


@login_required
def compile_request(request):
    """申请汇编: the parts are looked up by 统一编号 among the carriers this user may see; any
    other serial reads as unknown, whether or not it exists (SPEC §4: never reveal existence)."""
    if is_admin_role(request.user):  # the 三员 have no carrier content (SPEC §1)
        raise Http404()
    if request.method == "POST":
        form = CompileRequestForm(request.POST)
    else:
        form = CompileRequestForm(initial={"copy_count": 1, "serials": request.GET.get("serials", "")[:2000]})
    parts = []
    if request.method == "POST" and form.is_valid():
        serials = form.serial_list()
        if len(serials) > MAX_COMPILE_PARTS:
            form.add_error("serials", f"一次最多汇编 {MAX_COMPILE_PARTS} 件载体")
        else:
            found = {c.serial: c for c in carrier_selectors.carrier_list_visible_to(user=request.user)
                     .filter(serial__in=serials)}
            parts = [found[s] for s in serials if s in found]
            for serial in serials:
                if serial not in found:
                    form.add_error("serials", f"未找到统一编号为 {serial} 的载体")
            if not serials:
                form.add_error("serials", "请填写要汇编的载体的统一编号")
        if form.is_valid():
            try:
                created = copying.copy_request_create(actor=request.user, carriers=parts, submit=True,
                                                            **form.request_data())
            except NotVisible:
                # A part went out of sight between the lookup and the lock: same words as unknown.
                form.add_error("serials", "所填载体中有未找到的载体")
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, "汇编申请已提交，等待领导审批")
                return redirect(created.get_absolute_url())
    return render(request, "approvals/request_form.html", {
        "heading": "申请汇编", "kind": RequestKind.COPY, "form": form, "carriers": parts, "compile": True,
        "submit_label": "提交汇编申请", "page_level": highest_level(c.level for c in parts),
        "notes": ["汇编本按所汇编载体中的最高密级和最长保密期限标注，另行编号登记。",
                  "所汇编的载体中有绝密级的，须经主要负责人批准，并登记原定密机关同意复制的文件文号和日期。"],
    })


@login_required
@require_POST
def make_copies(request, pk):
    """制作复制件: the registrar makes the approved copies, stamped."""
    approval = _request_or_404(request, pk)
    form = MakeCopiesForm(request.POST)
    form.is_valid()
    done = perform(request, lambda: copying.copy_make(
        actor=request.user, request=approval, copy_stamp=form.cleaned_data.get("copy_stamp", "")),
        success=f"已制作复制件（{approval.reference}），新载体已登记")
    if done is None and request.POST.get("next") == "queue":
        return redirect("approvals:queue")
    return redirect(approval.get_absolute_url())


@login_required
@require_POST
def copies_hand_over(request, pk):
    """领取签收: the registrar hands the copies to their requester."""
    approval = _request_or_404(request, pk)
    perform(request, lambda: copy_pickup.copy_hand_over(actor=request.user, request=approval),
            success=f"复制件已交申请人领取签收（{approval.reference}）")
    if request.POST.get("next") == "queue":
        return redirect("approvals:queue")
    return redirect(approval.get_absolute_url())
