"""销毁 screens: the registrar builds a batch from the carriers they may destroy, designates the
监销人 and records the execution; a witness confirms with their own login; the 销毁清单 is printed
from the batch. Submit, cancel, approve and reject use the generic approval views. Thin: parse
input, call one selector or service (refusals become messages in documents.views_common.perform).
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from documents.filters import CarrierFilter
from secrecy.errors import DomainError, NotVisible, ValidationFailed
from secrecy.forms import INVALID_CHOICE, domain_error_text, perform, row_ids
from secrecy import printing
from secrecy.levels import highest_level

from . import policy, selectors
from .forms import DestructionBatchForm, DestructionExecuteForm, WitnessesForm
from .kinds import destroy as destroying
from .models import DestructionMethod
from .views import _mark_visible_items, _request_or_404

# The batch page lists at most this many candidates; the filters narrow it down.
CANDIDATE_LIMIT = 300
CANDIDATE_FILTERS = ("q", "level", "kind", "department", "secrecy_status")


@login_required
def batches(request):
    """销毁批次: the batches this user may open, and those waiting for their 监销 confirmation."""
    if not policy.may_open_destruction_batches(request.user):
        raise Http404()
    rows = _mark_visible_items(request.user, list(selectors.destruction_batches(user=request.user)[:200]))
    to_witness = _mark_visible_items(request.user, list(selectors.requests_to_witness(user=request.user)))
    return render(request, "approvals/destroy_list.html", {
        "rows": rows, "to_witness": to_witness, "can_build": policy.may_build_destruction(request.user),
        "page_level": highest_level([r.level for r in rows] + [r.level for r in to_witness]),
    })


def _candidate_filters(data):
    return {key: data.get(key, "") for key in CANDIDATE_FILTERS if data.get(key)}


@login_required
def batch_new(request):
    """组织销毁: pick 在库 carriers the registrar manages (filter by level, kind, search) and fill in
    method, place, body and date; the batch is created and submitted in one go."""
    if not policy.may_build_destruction(request.user):
        raise Http404()
    source = request.POST if request.method == "POST" else request.GET
    filters = _candidate_filters(source)
    form = DestructionBatchForm(request.POST if request.method == "POST" else None, exclude_user=request.user,
                                initial={"method": DestructionMethod.SEND})
    selected = set()
    if request.method == "POST":
        try:
            selected = set(row_ids(request.POST.getlist("carriers")))
            bad_ids = False
        except ValidationError:
            bad_ids = True
        form.is_valid()  # Syntax only; the service decides the rules.
        data = form.cleaned_data
        try:
            if bad_ids:
                raise ValidationFailed({"carriers": f"待选载体：{INVALID_CHOICE}"})
            batch = destroying.destruction_batch_create(
                actor=request.user, carriers=sorted(selected), reason=data.get("reason", ""),
                method=data.get("method", ""), place=data.get("place", ""),
                destruction_body=data.get("destruction_body", ""), planned_date=data.get("planned_date"),
                witnesses=list(data.get("witnesses") or []), submit=True)
        except NotVisible:
            messages.error(request, "所选载体中有您无权查看的载体")
        except DomainError as error:
            messages.error(request, domain_error_text(error))
        else:
            messages.success(request, f"已建立并提交{batch.reference}，所列载体已标记为待销毁，等待领导审批")
            return redirect(batch.get_absolute_url())
    filterset = CarrierFilter(filters)
    candidates = list(selectors.destruction_candidates(user=request.user, filters=filters)[:CANDIDATE_LIMIT + 1])
    return render(request, "approvals/destroy_new.html", {
        "form": form, "filter_form": filterset.form, "candidates": candidates[:CANDIDATE_LIMIT],
        "truncated": len(candidates) > CANDIDATE_LIMIT, "selected": selected, "filters": filters,
        "page_level": highest_level(c.level for c in candidates[:CANDIDATE_LIMIT]),
    })


@login_required
@require_POST
def designate(request, pk):
    batch = _request_or_404(request, pk)
    form = WitnessesForm(request.POST)
    form.is_valid()
    perform(request, lambda: destroying.destruction_witnesses_set(
        actor=request.user, request=batch, witnesses=list(form.cleaned_data.get("witnesses") or [])),
        success="监销人已指定")
    return redirect(batch.get_absolute_url())


@login_required
@require_POST
def witness_confirm(request, pk):
    batch = _request_or_404(request, pk)
    perform(request, lambda: destroying.destruction_witness_confirm(actor=request.user, request=batch),
             success=f"已确认监销（{batch.reference}）")
    if request.POST.get("next") == "destroy_list":
        return redirect(reverse("approvals:destroy_list"))
    return redirect(batch.get_absolute_url())


@login_required
@require_POST
def execute(request, pk):
    batch = _request_or_404(request, pk)
    form = DestructionExecuteForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    name = data.get("destroyed_by_name", "").strip()
    perform(request, lambda: destroying.destruction_execute(
        actor=request.user, request=batch, executed_on=data.get("executed_on"),
        destroyed_by=None if name else request.user, destroyed_by_name=name),
        success=f"已执行销毁（{batch.reference}），载体已记为已销毁")
    return redirect(batch.get_absolute_url())


@login_required
@require_POST
def destruction_list(request, pk, fmt):
    """涉密载体销毁清单 of one batch (PDF or XLSX): its rows the user may see; 404 for anyone who
    may not print it. A POST behind the CSRF check, as every audited print (register.print)."""
    try:
        filename, content, content_type = printing.produce(
            user=request.user, name="destruction", fmt=fmt, filters={"batch": str(pk)})
    except (NotVisible, DomainError):
        raise Http404("未找到该销毁批次") from None
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = printing.content_disposition(filename)
    return response
