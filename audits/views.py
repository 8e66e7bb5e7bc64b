"""The 安全审计员's screens (SPEC §1, §10; issue 6): event search, one event with its place in the
hash chain, exports, and the daily summary. Thin: parse input, call audits.selectors, render.

Only the auditor reads the log. For everyone else — the two other admins, superusers and every
business role — these pages do not exist (404, never 403: SPEC §4's rule for what one may not
see). The auditor changes nothing: the pages are GET; the exports are POST behind the CSRF check
only because producing a copy of the log is itself an audited act, which a link on another site
must not be able to trigger in the auditor's name.
"""
import datetime as dt
from functools import wraps
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from secrecy.errors import DomainError, NotVisible
from secrecy.keyset import parse_cursor
from secrecy.forms import domain_error_text
from secrecy.levels import highest_level
from secrecy import printing

from . import selectors
from .events import EXPORT, SUMMARY_PRINT
from .filters import FILTER_KEYS
from .forms import SummaryDayForm
from .models import AuditResult
from .policy import may_read_audit_log
from .services import record_event

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def auditor_only(*methods):
    """Sign-in, then the role, then the method: a POST by anyone but the auditor is a 404 like a
    GET, so not even the method's answer tells them the page exists."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not may_read_audit_log(request.user):
                raise Http404()
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate



def _filters_query(params):
    """The known, non-empty filters of a request as a query string (for links and redirects)."""
    return urlencode([(key, params.get(key).strip()) for key in FILTER_KEYS if (params.get(key) or "").strip()])


def _events_url(params=None):
    query = _filters_query(params or {})
    return reverse("audits:events") + (f"?{query}" if query else "")


@auditor_only("GET", "HEAD")
def events(request):
    params = request.GET
    after, before = parse_cursor(params.get("after")), parse_cursor(params.get("before"))
    filterset = selectors.event_filterset(user=request.user, data=params)
    page = selectors.event_page(user=request.user, filters=params, after=after, before=before)
    count, exact = selectors.event_count(user=request.user, filters=params)
    rows = page["rows"]
    return render(request, "audits/events.html", {
        "filter_form": filterset.form,
        "filter_errors": bool(params) and not filterset.form.is_valid(),
        "active_filters": any((params.get(name) or "").strip() for name in FILTER_KEYS),
        "export_filters": [(key, params.get(key).strip()) for key in FILTER_KEYS if (params.get(key) or "").strip()],
        "rows": rows,
        "page": page,
        "count": count,
        "count_exact": exact,
        "export_caps": selectors.EXPORT_MAX_ROWS,
        # Events about 机密/绝密 carriers name them (target_repr): the banner shows the highest.
        "page_level": highest_level(e.level for e in rows),
    })


@auditor_only("GET", "HEAD")
def event(request, seq):
    try:
        found = selectors.event_get(user=request.user, seq=seq)
    except NotVisible:
        raise Http404("未找到该审计事件") from None
    return render(request, "audits/event.html", {
        "event": found,
        "chain": selectors.event_chain_position(user=request.user, event=found),
        "detail_json": selectors.detail_json(found),
        "page_level": found.level,
    })


def content_disposition(filename):
    """attachment with an ASCII fallback and the Chinese name per RFC 5987/6266 (the same header
    as secrecy.printing gives, with the log's own fallback name)."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else ""
    fallback = f"audit-log.{extension}" if extension else "audit-log"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


@auditor_only("GET", "HEAD", "POST")
def export(request):
    if request.method != "POST":
        # A GET (e.g. a bookmarked link) exports nothing: back to the search with its filters.
        return redirect(_events_url(request.GET))
    fmt = request.POST.get("format", "")
    try:
        register, filters, rows = selectors.event_export_register(user=request.user, filters=request.POST, fmt=fmt)
    except DomainError as error:
        messages.error(request, domain_error_text(error))
        return redirect(_events_url(request.POST))
    now = timezone.now()
    printed_by = selectors.printed_by_label(request.user)
    content = printing.render(register, fmt=fmt, printed_by=printed_by, printed_at=now)
    # SPEC §10: exports are events. The file is handed out only once its event is committed.
    with transaction.atomic():
        record_event(actor=request.user, event=EXPORT, level=register.highest_level,
                     target_repr="审计日志", result=AuditResult.OK,
                     detail={"filters": filters, "format": fmt, "rows": rows})
    local = timezone.localtime(now)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition(f"审计日志_{local:%Y%m%d_%H%M%S}.{fmt}")
    response["Cache-Control"] = "no-store"
    return response


@auditor_only("GET", "HEAD")
def summary(request):
    default = timezone.localdate() - dt.timedelta(days=1)
    form = SummaryDayForm(request.GET if "date" in request.GET else None, initial={"date": default})
    day = form.cleaned_data["date"] if form.is_bound and form.is_valid() else default
    context = selectors.day_summary_for(user=request.user, day=day)
    listed = context["denied_events"] + context["failed_logins"] + context["admin_events"]
    same_day = {"date_from": day.isoformat(), "date_to": day.isoformat()}
    context.update({
        "form": form,
        "day": day,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1) if day < timezone.localdate() else None,
        "day_over": day < timezone.localdate(),
        "day_url": _events_url(same_day),
        "denied_url": _events_url({**same_day, "result": AuditResult.DENIED}),
        "failed_url": _events_url({**same_day, "action": selectors.FAILED_LOGIN_ACTION}),
        "page_level": highest_level(e.level for e in listed),
    })
    return render(request, "audits/summary.html", context)


@auditor_only("GET", "HEAD", "POST")
def summary_pdf(request):
    """The day's summary as a PDF for the auditor to sign (issue 11 §4). A POST like the export:
    printing is an audited act (SPEC §11), which a link must not trigger; a GET prints nothing
    and goes back to the summary page."""
    form = SummaryDayForm(request.POST if request.method == "POST" else request.GET)
    day = form.cleaned_data["date"] if form.is_valid() else None
    back = reverse("audits:summary") + (f"?date={day.isoformat()}" if day else "")
    if request.method != "POST":
        return redirect(back)
    if day is None:
        messages.error(request, "日期无效，未打印日报")
        return redirect(back)
    try:
        register, detail = selectors.summary_register(user=request.user, day=day)
    except DomainError as error:
        messages.error(request, domain_error_text(error))
        return redirect(back)
    now = timezone.now()
    content = printing.render(register, fmt="pdf", printed_by=selectors.printed_by_label(request.user), printed_at=now)
    # The file is handed out only once its event is committed.
    with transaction.atomic():
        record_event(actor=request.user, event=SUMMARY_PRINT, target_repr=f"审计日报 {day.isoformat()}",
                     result=AuditResult.OK, detail=detail)
    response = HttpResponse(content, content_type=CONTENT_TYPES["pdf"])
    response["Content-Disposition"] = content_disposition(f"审计日报_{day:%Y%m%d}.pdf")
    response["Cache-Control"] = "no-store"
    return response

