"""保密检查 screens (SPEC §10). Thin: parse input, call one selector or service, render. A refusal
(DomainError) becomes errors next to the form's fields (the page is shown again with them) or a
message; an inspection the user may not see is 404. Every change is a POST behind the CSRF check.

Who sees what: 保密办 everything; the owner of a rectification item the inspection page, read-only
but for their own item, and 我的整改事项; everyone else (the administrators included) 404.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from secrecy.forms import domain_error_text, put_domain_error as _put_errors, submit_form
from secrecy.errors import DomainError, NotVisible
from secrecy.levels import Level

from .. import selectors
from ..forms import (
    CompleteForm, FindingForm, InspectionCloseForm, InspectionForm, RectificationForm, TemplateForm, VerifyForm,
)
from ..models import (
    INSPECTION_TRANSITIONS, ChecklistTemplate, Finding, FindingResult, InspectionAction, InspectionState,
    Rectification, RectificationState,
)
from ..services import inspections as services

# Inspection records are the unit's internal working papers (内部): not state secrets, not public.
PAGE_LEVEL = int(Level.WORK)

STATE_CSS = {
    InspectionState.OPEN: "req-state-submitted", InspectionState.RECTIFYING: "req-state-in_progress",
    InspectionState.CLOSED: "req-state-completed",
}
RESULT_CSS = {
    FindingResult.PENDING: "status-declassified", FindingResult.CONFORM: "status-in_registry",
    FindingResult.NONCONFORM: "status-lost", FindingResult.NOT_APPLICABLE: "status-declassified",
}






def _office_only(request):
    if not services.is_secrecy_office(request.user):
        raise Http404()


def _inspection_or_404(request, pk):
    try:
        return selectors.inspection_get_for_user(user=request.user, pk=pk)
    except NotVisible:
        raise Http404("未找到该检查") from None


def _allowed(inspection, action):
    return (inspection.state, action) in INSPECTION_TRANSITIONS


# ----------------------------------------------------------------------------------------- list


@login_required
@require_GET
def inspection_list(request):
    _office_only(request)
    state = request.GET.get("state") or ""
    if state not in InspectionState.values:
        state = ""
    rows = list(selectors.inspections_visible_to(user=request.user, state=state or None)[:500])
    for row in rows:
        row.state_css = STATE_CSS[row.state]
    return render(request, "inspections/list.html", {
        "rows": rows, "state": state, "states": InspectionState.choices, "page_level": PAGE_LEVEL,
    })


@login_required
def inspection_create(request):
    _office_only(request)
    form = InspectionForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            inspection = services.inspection_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _put_errors(form, error)
        else:
            messages.success(request, f"已登记{inspection.reference}，请逐项登记检查结果")
            return redirect(inspection.get_absolute_url())
    return render(request, "inspections/form.html", {
        "form": form, "page_level": PAGE_LEVEL,
        "has_templates": ChecklistTemplate.objects.filter(active=True).exists(),
    }, status=400 if form.errors else 200)


@login_required
def template_list(request):
    """检查表模板: the list, a form for a new one, 停用/启用."""
    _office_only(request)
    form = TemplateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.checklist_template_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _put_errors(form, error)
        else:
            messages.success(request, f"已创建检查表模板“{template.name}”")
            return redirect("inspections:templates")
    templates = ChecklistTemplate.objects.prefetch_related("items").order_by("-active", "name")
    return render(request, "inspections/templates.html", {
        "form": form, "templates": templates, "page_level": PAGE_LEVEL,
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def template_toggle(request, pk):
    _office_only(request)
    template = ChecklistTemplate.objects.filter(pk=pk).first()
    if template is None:
        raise Http404()
    active = request.POST.get("active") == "1"
    try:
        services.checklist_template_set_active(actor=request.user, template=template, active=active)
    except DomainError as error:
        messages.error(request, domain_error_text(error))
    else:
        messages.success(request, f"已{'启用' if active else '停用'}检查表模板“{template.name}”")
    return redirect("inspections:templates")


# --------------------------------------------------------------------------------------- detail


def _render_detail(request, inspection, *, status=200, finding_forms=None, rectification_form=None,
                   complete_forms=None, verify_forms=None, close_form=None):
    user = request.user
    office = services.is_secrecy_office(user)
    complete_forms = complete_forms or {}
    verify_forms = verify_forms or {}
    findings = list(inspection.findings.select_related("recorded_by__person").order_by("order"))
    may_record = office and _allowed(inspection, InspectionAction.RECORD_FINDING)
    finding_forms = finding_forms or {}
    for finding in findings:
        finding.result_css = RESULT_CSS[finding.result]
        # A refused form is shown again with its error even when the action is no longer offered.
        if may_record or finding.pk in finding_forms:
            finding.form = finding_forms.get(finding.pk) or FindingForm(
                prefix=f"f{finding.pk}", initial={"result": finding.result, "note": finding.note})
    items = list(inspection.rectifications.select_related(
        "owner__person__department", "finding", "done_by__person", "verified_by__person", "created_by__person",
    ).order_by("number"))
    today = timezone.localdate()
    for item in items:
        item.overdue = item.state == RectificationState.OPEN and item.deadline < today
        item.may_complete = (_allowed(inspection, InspectionAction.COMPLETE_RECTIFICATION)
                             and item.state == RectificationState.OPEN and (office or item.owner_id == user.pk))
        item.may_verify = (office and _allowed(inspection, InspectionAction.VERIFY_RECTIFICATION)
                           and item.state == RectificationState.DONE and item.verified_at is None)
        item.mine = item.owner_id == user.pk
        item.may_complete = item.may_complete or item.pk in complete_forms
        item.may_verify = item.may_verify or item.pk in verify_forms
        if item.may_complete:
            item.complete_form = complete_forms.get(item.pk) or CompleteForm(prefix=f"r{item.pk}")
        if item.may_verify:
            item.verify_form = verify_forms.get(item.pk) or VerifyForm(prefix=f"v{item.pk}")
    may_add = office and _allowed(inspection, InspectionAction.ADD_RECTIFICATION)
    may_close = office and _allowed(inspection, InspectionAction.CLOSE)
    counts = {result: sum(1 for f in findings if f.result == result) for result in FindingResult.values}
    return render(request, "inspections/detail.html", {
        "inspection": inspection, "state_css": STATE_CSS[inspection.state], "findings": findings,
        "rectifications": items, "office": office, "may_record": may_record or bool(finding_forms),
        "rectification_form": rectification_form or (RectificationForm(inspection=inspection) if may_add else None),
        "close_form": close_form or (InspectionCloseForm() if may_close else None),
        "unsettled": [item for item in items if not item.is_settled] if may_close else [],
        "pending_findings": counts[FindingResult.PENDING],
        "counts": {"conform": counts[FindingResult.CONFORM], "nonconform": counts[FindingResult.NONCONFORM],
                   "na": counts[FindingResult.NOT_APPLICABLE], "pending": counts[FindingResult.PENDING]},
        "page_level": PAGE_LEVEL,
    }, status=status)


@login_required
@require_GET
def inspection_detail(request, pk):
    return _render_detail(request, _inspection_or_404(request, pk))


def _post(request, inspection, form, call, *, success, form_key):
    return submit_form(request, form, call, success=success, done_url=inspection.get_absolute_url(),
                       rerender=lambda form: _render_detail(request, _inspection_or_404(request, inspection.pk),
                                                            status=400, **form_key(form)))


@login_required
@require_POST
def finding_record(request, pk, finding_pk):
    inspection = _inspection_or_404(request, pk)
    _office_only(request)
    finding = Finding.objects.filter(pk=finding_pk, inspection=inspection).first()
    if finding is None:
        raise Http404()
    form = FindingForm(request.POST, prefix=f"f{finding.pk}")
    return _post(request, inspection, form, lambda data: services.finding_record(
        actor=request.user, finding=finding, result=data["result"], note=data["note"]),
        success=f"已登记第{finding.order}项检查结果", form_key=lambda f: {"finding_forms": {finding.pk: f}})


@login_required
@require_POST
def rectification_add(request, pk):
    inspection = _inspection_or_404(request, pk)
    _office_only(request)
    form = RectificationForm(request.POST, inspection=inspection)
    return _post(request, inspection, form, lambda data: services.rectification_add(
        actor=request.user, inspection=inspection, **data),
        success="已下达整改事项，责任人会收到通知", form_key=lambda f: {"rectification_form": f})


def _item_or_404(inspection, item_pk):
    item = Rectification.objects.filter(pk=item_pk, inspection=inspection).first()
    if item is None:
        raise Http404()
    return item


@login_required
@require_POST
def rectification_complete(request, pk, item_pk):
    inspection = _inspection_or_404(request, pk)
    item = _item_or_404(inspection, item_pk)
    if item.owner_id != request.user.pk and not services.is_secrecy_office(request.user):
        raise Http404()
    form = CompleteForm(request.POST, prefix=f"r{item.pk}")
    if request.POST.get("next") == "mine" and form.is_valid():
        try:
            services.rectification_complete(actor=request.user, rectification=item,
                                            evidence=form.cleaned_data["evidence"])
        except DomainError as error:
            messages.error(request, domain_error_text(error))
        else:
            messages.success(request, f"已登记{item.reference}的整改情况，等待保密办确认")
        return redirect("inspections:mine")
    return _post(request, inspection, form, lambda data: services.rectification_complete(
        actor=request.user, rectification=item, evidence=data["evidence"]),
        success="已登记整改情况，等待保密办确认", form_key=lambda f: {"complete_forms": {item.pk: f}})


@login_required
@require_POST
def rectification_verify(request, pk, item_pk):
    inspection = _inspection_or_404(request, pk)
    _office_only(request)
    item = _item_or_404(inspection, item_pk)
    form = VerifyForm(request.POST, prefix=f"v{item.pk}")
    accepted = request.POST.get("decision") != "return"
    return _post(request, inspection, form, lambda data: services.rectification_verify(
        actor=request.user, rectification=item, accepted=accepted, note=data["note"]),
        success="已确认整改结果" if accepted else "已退回整改，责任人会收到通知",
        form_key=lambda f: {"verify_forms": {item.pk: f}})


@login_required
@require_POST
def inspection_close(request, pk):
    inspection = _inspection_or_404(request, pk)
    _office_only(request)
    form = InspectionCloseForm(request.POST)
    return _post(request, inspection, form, lambda data: services.inspection_close(
        actor=request.user, inspection=inspection, closing_note=data["closing_note"]),
        success="检查已结束", form_key=lambda f: {"close_form": f})


# ------------------------------------------------------------------------------------------ mine


@login_required
@require_GET
def mine(request):
    """我的整改事项: every item the user owns, open ones first."""
    if not services.is_business_user(request.user):
        raise Http404()
    items = list(selectors.rectifications_owned_by(user=request.user))
    today = timezone.localdate()
    for item in items:
        item.overdue = item.state == RectificationState.OPEN and item.deadline < today
        item.may_complete = (item.state == RectificationState.OPEN
                             and item.inspection.state == InspectionState.RECTIFYING)
        if item.may_complete:
            item.complete_form = CompleteForm(prefix=f"r{item.pk}")
    return render(request, "inspections/mine.html", {
        "open_items": [i for i in items if i.state == RectificationState.OPEN],
        "done_items": [i for i in items if i.state != RectificationState.OPEN],
        "page_level": PAGE_LEVEL,
    })
