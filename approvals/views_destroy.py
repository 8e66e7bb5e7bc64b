"""销毁 screens: the registrar builds a batch from the carriers they may destroy, designates the
监销人 and records the execution; a witness confirms with their own login; the 销毁清单 is printed
from the batch. Submit, cancel, approve and reject use the generic approval views. Thin: parse
input, call one selector or service (refusals become messages in documents.views_common.perform).
"""
import unicodedata

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from documents.filters import CarrierFilter
from documents.search import SERIAL_FORM
from personnel.models import Department
from personnel.policy import served_department_ids
from secrecy import printing
from secrecy.errors import DomainError, NotVisible, ValidationFailed
from secrecy.forms import INVALID_CHOICE, domain_error_text, perform, put_domain_error, row_ids
from secrecy.keyset import keyset_page, parse_cursor, queryset_fetch
from secrecy.levels import Level, highest_level

from . import policy, selectors, views
from .forms import DestructionBatchForm, DestructionExecuteForm, WitnessesForm
from .kinds import destroy as destroying
from .models import DestructionMethod
from .views import _mark_visible_items, _request_or_404

# One page of candidates; the filters and the search narrow them down (keyset pages, so the last
# page of a large unit costs what the first does).
CANDIDATE_PAGE_SIZE = 50
# Counted up to here, then "1000 件以上": an exact count of a big candidate set costs a full scan.
CANDIDATE_COUNT_CAP = 1000
# A batch is a 清点 on paper: more than this in one go is a mistake, not a batch.
MAX_BATCH = destroying.MAX_BATCH
CANDIDATE_FILTERS = ("q", "level", "kind", "department", "date_from", "date_to")


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
    return {key: data.get(key, "").strip() for key in CANDIDATE_FILTERS if data.get(key, "").strip()}



def _selection(user, data):
    """The carriers the browser says are selected, re-resolved through the candidates selector
    (visible, managed by this registrar, 在库, not in an open request): (carriers, problem)."""
    try:
        ids = set(row_ids(data.getlist("carriers")))
    except ValidationError:
        return [], INVALID_CHOICE
    selected = list(selectors.destruction_candidates(user=user).filter(pk__in=ids)[:MAX_BATCH + 1]) if ids else []
    problem = ""
    if len(selected) > MAX_BATCH:
        selected, problem = selected[:MAX_BATCH], f"一个销毁批次最多 {MAX_BATCH} 件载体"
    elif len(selected) < len(ids):
        problem = f"已选的 {len(ids) - len(selected)} 件载体已不能列入销毁（状态已变化或不在您的管理范围），已移出已选载体"
    return selected, problem


def _scanned(user, filters, selected):
    """A 统一编号 typed or scanned into the search box that names one candidate: it joins the
    selection and the search box empties, so the next code can be scanned at once."""
    term = unicodedata.normalize("NFKC", filters.get("q", "")).strip()
    # Only a term shaped like a 统一编号 is looked up: anything else (a title, a NUL byte that
    # PostgreSQL refuses in a literal) is left to the candidate search and its form's checks.
    if not SERIAL_FORM.fullmatch(term) or len(selected) >= MAX_BATCH:
        return None
    carrier = selectors.destruction_candidates(user=user).filter(serial=term).first()
    if carrier is not None:
        filters.pop("q")
    return carrier


class _Discarded(Exception):
    """Rolls back a batch the service accepted from a form that had refused part of the input."""


def _batch_call(user, selected, data):
    return destroying.destruction_batch_create(
        actor=user, carriers=[c.pk for c in selected], reason=data.get("reason", ""),
        method=data.get("method", ""), place=data.get("place", ""),
        destruction_body=data.get("destruction_body", ""), planned_date=data.get("planned_date"),
        witnesses=list(data.get("witnesses") or []), submit=True)


@login_required
def batch_new(request):
    """组织销毁: search and filter the carriers the registrar may destroy (keyset pages), keep the
    chosen ones at the top with the batch's particulars, and create and submit the batch in one go.
    Every round trip (查询, 翻页, 选择) posts the whole form, so the selection and the particulars
    survive searches and pages; the selected ids are re-resolved for this user each time."""
    if not policy.may_build_destruction(request.user):
        raise Http404()
    posted = request.method == "POST"
    source = request.POST if posted else request.GET
    filters = _candidate_filters(source)
    selected, selection_problem = _selection(request.user, request.POST) if posted else ([], "")
    scanned = _scanned(request.user, filters, selected)
    if scanned is not None and scanned.pk not in {c.pk for c in selected}:
        selected.insert(0, scanned)
    level = highest_level(c.level for c in selected) or 0
    form = DestructionBatchForm(request.POST if posted else None, level=level, requester=request.user,
                                initial={"method": DestructionMethod.SEND})
    selection_errors = [selection_problem] if selection_problem else []
    # Only the 建立并提交 button submits: 查询, 更新已选 and the pager (which names no action) are
    # round trips that keep the selection and the particulars.
    if posted and request.POST.get("action") == "submit":
        valid = form.is_valid()
        try:
            if selection_problem:
                raise ValidationFailed({"carriers": selection_problem})
            with transaction.atomic():
                batch = _batch_call(request.user, selected, form.cleaned_data)
                if not valid:
                    # The service still ran, so its rules are reported together with the form's;
                    # but input the form refused (an unreadable date, an unknown person) keeps nothing.
                    raise _Discarded()
        except _Discarded:
            pass
        except NotVisible:
            selection_errors = ["已选载体中有您无权查看的载体"]
        except DomainError as error:
            for field, problems in error.field_errors.items():
                for problem in [problems] if isinstance(problems, str) else problems:
                    if field == "carriers":
                        selection_errors.append(str(problem))
                    elif field in form.fields and not form.has_error(field):
                        form.add_error(field, str(problem))
            if not error.field_errors:
                selection_errors.append(domain_error_text(error))
        else:
            messages.success(request, f"已建立并提交{batch.reference}，所列载体已标记为待销毁，等待领导审批")
            return redirect(batch.get_absolute_url())
    elif posted:
        form.errors.clear()  # 查询 and 翻页 are not a submission: no errors yet
    filterset = CarrierFilter(filters)
    filterset.form.fields["department"].queryset = Department.objects.filter(
        pk__in=served_department_ids(request.user)).order_by("id")
    # No autofocus here: it would scroll the selection and the form out of sight on every round trip.
    filterset.form.fields["q"].widget.attrs.pop("autofocus", None)
    filters_valid = filterset.form.is_valid()
    candidates = selectors.destruction_candidates(user=request.user, filters=filters if filters_valid else {})
    others = candidates.exclude(pk__in=[c.pk for c in selected])
    page = keyset_page(queryset_fetch(others), after=parse_cursor(source.get("after")),
                       before=parse_cursor(source.get("before")),
                       size=CANDIDATE_PAGE_SIZE)
    found = len(candidates.order_by().values("id")[:CANDIDATE_COUNT_CAP + 1])
    if scanned is not None:
        messages.success(request, f"已加入 {scanned.serial}")
    return render(request, "approvals/destroy_new.html", {
        "form": form, "filter_form": filterset.form, "page": page, "candidates": page["rows"],
        "found": found, "found_capped": found > CANDIDATE_COUNT_CAP, "selected": selected,
        "selection_errors": list(dict.fromkeys(selection_errors)), "filters": filters,
        "level_label": Level(level).label if level else "", "max_batch": MAX_BATCH,
        "page_level": highest_level([c.level for c in selected] + [c.level for c in page["rows"]]),
    }, status=200)


def _detail_again(request, batch, **forms_):
    return views.detail_page(request, batch, **forms_)


@login_required
@require_POST
def designate(request, pk):
    batch = _request_or_404(request, pk)
    form = WitnessesForm(request.POST, level=batch.level, requester=batch.requester)
    if form.is_valid():
        try:
            destroying.destruction_witnesses_set(
                actor=request.user, request=batch, witnesses=list(form.cleaned_data.get("witnesses") or []))
        except NotVisible:
            raise Http404() from None
        except DomainError as error:
            put_domain_error(form, error)
        else:
            messages.success(request, "监销人已指定")
            return redirect(batch.get_absolute_url())
    return _detail_again(request, batch, witnesses_form=form)


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
    """执行销毁: the date and the 销毁人; a refusal shows the page again with each error at its field."""
    batch = _request_or_404(request, pk)
    detail = getattr(batch, "destruction", None)
    if detail is None:
        raise Http404()
    form = DestructionExecuteForm(request.POST, level=batch.level, method=detail.method)
    valid = form.is_valid()
    data = form.cleaned_data
    try:
        with transaction.atomic():
            destroying.destruction_execute(
                actor=request.user, request=batch, executed_on=data.get("executed_on"),
                destroyed_by=data.get("destroyed_by"), destroyed_by_name=data.get("destroyed_by_name", ""))
            if not valid:
                raise _Discarded()
    except _Discarded:
        return _detail_again(request, batch, execute_form=form)
    except NotVisible:
        raise Http404() from None
    except DomainError as error:
        for field, problems in error.field_errors.items():
            for problem in [problems] if isinstance(problems, str) else problems:
                if field in form.fields and not form.has_error(field):
                    form.add_error(field, str(problem))
        if not error.field_errors:
            messages.error(request, domain_error_text(error))
            return redirect(batch.get_absolute_url())
        return _detail_again(request, batch, execute_form=form)
    messages.success(request, f"已执行销毁（{batch.reference}），载体已记为已销毁")
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
