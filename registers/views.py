"""Register printing screens (SPEC §11). Thin: parse input, call services.services, answer.

The three admin roles have no carrier content, so for them these pages do not exist (404).
Producing a register is an audited action, so it is a POST behind the CSRF check: a link on
another site must not be able to make someone "print" a register in their name. A GET on the
download URL (e.g. a link carrying the list's filters) opens the form pre-filled instead.
"""
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from documents.filters import CarrierFilter
from documents.policy import may_print_registers
from personnel.middleware import AUTO_REFRESH_PARAM
from secrecy.errors import DomainError, NotVisible
from secrecy.forms import SafeForm
from secrecy.printing import content_disposition

from . import services, services_files
from .models import RegisterFormat, RegisterJobStatus
from .registry import REGISTERS, inventory_choices, register_choices, title_of


class RegisterChoiceForm(SafeForm):
    register = forms.ChoiceField(label="登记簿", choices=(), widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["register"].choices = register_choices()


def _require_printer(user, name=None):
    """404 for who may not print. A register with its own audience (e.g. the 涉密人员台账, which
    the 安全保密管理员 may print though he sees no carrier) answers for itself."""
    spec = REGISTERS.get(name) if name else None
    allowed = spec.may_print(user) if spec is not None and spec.may_print is not None else may_print_registers(user)
    if not allowed:
        raise Http404()


def _with_titles(jobs):
    jobs = list(jobs)
    for job in jobs:
        job.register_title = title_of(job.register)
    return jobs


def _index(request, params, *, errors=None, status=200):
    choice = RegisterChoiceForm(initial={"register": params.get("register") or "ledger"})
    filter_form = CarrierFilter(params or None).form
    return render(request, "registers/index.html", {
        "choice_form": choice,
        "inventory_choices": inventory_choices(request.user),
        "selected_register": params.get("register") or "ledger",
        "filter_form": filter_form,
        "filter_fields": [f for f in filter_form if f.name != "q"],
        "errors": errors or [],
        "jobs": _with_titles(services.register_jobs_of(user=request.user)),
        "inline_max": settings.SECRECY["REGISTER_INLINE_MAX_ROWS"],
        "page_level": None,  # the form and the job list show no carrier content
    }, status=status)


@login_required
@require_GET
def index(request):
    _require_printer(request.user)
    return _index(request, request.GET)


def _error_messages(error):
    if error.field_errors:
        messages = []
        for field, errors in error.field_errors.items():
            for message in errors if isinstance(errors, (list, tuple)) else [errors]:
                messages.append(str(message))
        return messages
    return [error.message]


@login_required
def download(request):
    _require_printer(request.user, request.POST.get("register") if request.method == "POST" else None)
    if request.method == "GET":
        query = request.GET.urlencode()
        return redirect(f"{reverse('registers:index')}{'?' + query if query else ''}")
    if request.method != "POST":
        return HttpResponse(status=405)
    params = request.POST
    name, file_format = params.get("register", ""), params.get("format", "")
    try:
        if file_format not in RegisterFormat.values:
            raise DomainError("请选择 PDF 或 XLSX 格式")
        limit = settings.SECRECY["REGISTER_INLINE_MAX_ROWS"]
        count = services.register_row_count(user=request.user, name=name, filters=params, cap=limit)
        if count > limit:
            job = services.register_job_create(user=request.user, name=name, fmt=file_format, filters=params)
            return redirect("registers:job", pk=job.pk)
        filename, content, content_type = services.register_produce(
            user=request.user, name=name, fmt=file_format, filters=params)
    except NotVisible:
        # A batch, circulation or meeting the user may not see does not exist for them.
        raise Http404() from None
    except DomainError as error:
        return _index(request, params, errors=_error_messages(error), status=400)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def job(request, pk):
    try:
        job = services.register_job_get_for_user(user=request.user, pk=pk)
    except NotVisible:
        raise Http404() from None
    job = services.register_job_fail_if_stale(job=job)
    running = job.status in (RegisterJobStatus.QUEUED, RegisterJobStatus.RUNNING)
    refresh_url = f"{reverse('registers:job', args=[job.pk])}?{AUTO_REFRESH_PARAM}=1"
    response = render(request, "registers/job.html", {
        "job": job,
        "register_title": title_of(job.register),
        "filters_description": services.describe_register_filters(job.register, job.filters),
        "running": running,
        "done": job.status == RegisterJobStatus.DONE,
        "ttl_hours": settings.SECRECY["RENDER_TTL_HOURS"],
        # A file restored from no backup (they leave renders out) is missing though the row keeps it.
        "file_available": job.file_kept and services.job_file_path(job).is_file(),
        "failed": job.status == RegisterJobStatus.FAILED,
        "page_level": None,  # the page shows the job, not carrier content
        "refresh_url": refresh_url,
    })
    if running:
        # The page refreshes itself without any script (the CSP forbids inline scripts). The
        # refresh is marked so that it does not count as activity for the idle time-out: a
        # user who walked away from a long job is still signed out after 10 minutes.
        response["Refresh"] = f"2; url={refresh_url}"
    return response


@login_required
@require_GET
def job_file(request, pk):
    try:
        handle, filename, content_type = services_files.register_job_download(user=request.user, pk=pk)
    except NotVisible:
        raise Http404() from None
    # The file is already gone from the disk (fetched once, issue 14 §7): the open handle streams it.
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["Cache-Control"] = "no-store"
    return response
