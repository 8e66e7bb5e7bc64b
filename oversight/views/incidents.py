"""泄密/丢失事件 screens (SPEC §10; regulations_cn.md §8.9). Thin: parse input, call one selector or
service, render. Every change is a POST behind the CSRF check.

Who sees what: anyone with a business role reports (the list page leads to the form) and sees the
incidents they reported; 保密办 sees all, records the upward report and closes; everyone else (the
administrators included) gets 404. The 24-hour deadline (REG24 art. 61) is shown on every
incident page with the time left, red once it has passed.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from secrecy.forms import put_domain_error as _put_errors, submit_form
from secrecy.errors import DomainError, NotVisible
from secrecy.levels import highest_level
from secrecy.visibility import carriers_visible_among

from .. import selectors
from ..forms import IncidentCloseForm, IncidentForm, UpwardReportForm
from ..models import INCIDENT_TRANSITIONS, IncidentAction, IncidentState
from ..policy import is_business_user, is_secrecy_office
from ..services import incidents as services

STATE_CSS = {
    IncidentState.OPEN: "req-state-submitted", IncidentState.REPORTED: "req-state-in_progress",
    IncidentState.CLOSED: "req-state-completed",
}


def _business_only(request):
    if not is_business_user(request.user):
        raise Http404()


def _incident_or_404(request, pk):
    try:
        return selectors.incident_get_for_user(user=request.user, pk=pk)
    except NotVisible:
        raise Http404("未找到该事件") from None


def _hours(seconds):
    return f"{abs(seconds) / 3600:.1f}"


def deadline_status(incident, now=None):
    """What the page says about the 24-hour deadline (REG24 art. 61)."""
    now = now or timezone.now()
    if incident.upward_reported_at is not None:
        return {"reported": True, "late": incident.upward_reported_late}
    seconds = (incident.report_deadline - now).total_seconds()
    return {"reported": False, "overdue": seconds <= 0, "hours": _hours(seconds)}


@login_required
@require_GET
def incident_list(request):
    _business_only(request)
    state = request.GET.get("state") or ""
    if state not in IncidentState.values:
        state = ""
    rows = list(selectors.incidents_visible_to(user=request.user, state=state or None)[:500])
    now = timezone.now()
    for row in rows:
        row.state_css = STATE_CSS[row.state]
        row.deadline = deadline_status(row, now)
    return render(request, "incidents/list.html", {
        "rows": rows, "state": state, "states": IncidentState.choices, "office": is_secrecy_office(request.user),
        "page_level": highest_level(row.level for row in rows),
    })


@login_required
def incident_report(request):
    _business_only(request)
    form = IncidentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_report(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _put_errors(form, error)
        else:
            messages.success(request, f"已报告{incident.reference}，保密办已收到通知")
            return redirect(incident.get_absolute_url())
    return render(request, "incidents/form.html", {"form": form, "page_level": None},
                  status=400 if form.errors else 200)


def _carrier_rows(user, incident):
    """The incident's carriers as this viewer may see them (SPEC §4, issue 11 §2): a carrier the
    viewer may not see is only counted, never named with its level or note. A serial the reporter
    typed and nobody has matched yet is the report's own text and is shown as such."""
    rows = list(incident.carriers.select_related("added_by__person").order_by("id"))
    visible = carriers_visible_among(user, [r.carrier_id for r in rows if r.carrier_id])
    shown = [r for r in rows if r.carrier_id is None or r.carrier_id in visible]
    return {"carriers": shown, "hidden_carriers": len(rows) - len(shown)}


def _render_detail(request, incident, *, status=200, upward_form=None, close_form=None):
    office = is_secrecy_office(request.user)
    may = {action: office and (incident.state, action) in INCIDENT_TRANSITIONS
           for action in (IncidentAction.RECORD_UPWARD_REPORT, IncidentAction.CLOSE)}
    return render(request, "incidents/detail.html", {
        "incident": incident, "state_css": STATE_CSS[incident.state], "deadline": deadline_status(incident),
        **_carrier_rows(request.user, incident),
        # A refused form is shown again with its error even when the action is no longer offered.
        "upward_form": upward_form or (UpwardReportForm(initial={"reported_at": timezone.localtime().replace(
            second=0, microsecond=0)}) if may[IncidentAction.RECORD_UPWARD_REPORT] else None),
        "close_form": close_form or (IncidentCloseForm() if may[IncidentAction.CLOSE] else None),
        "office": office,
        "page_level": incident.level,
    }, status=status)


@login_required
@require_GET
def incident_detail(request, pk):
    return _render_detail(request, _incident_or_404(request, pk))


def _post(request, incident, form, call, *, success, form_key):
    return submit_form(request, form, call, success=success, done_url=incident.get_absolute_url(),
                       rerender=lambda form: _render_detail(request, _incident_or_404(request, incident.pk),
                                                            status=400, **{form_key: form}))


@login_required
@require_POST
def incident_upward_report(request, pk):
    incident = _incident_or_404(request, pk)
    if not is_secrecy_office(request.user):
        raise Http404()
    return _post(request, incident, UpwardReportForm(request.POST), lambda data: services.incident_record_upward_report(
        actor=request.user, incident=incident, reported_at=data["reported_at"], note=data["note"]),
        success="已登记向上级报告的情况", form_key="upward_form")


@login_required
@require_POST
def incident_close(request, pk):
    incident = _incident_or_404(request, pk)
    if not is_secrecy_office(request.user):
        raise Http404()
    return _post(request, incident, IncidentCloseForm(request.POST), lambda data: services.incident_close(
        actor=request.user, incident=incident, closing_note=data["closing_note"]),
        success="事件已结案", form_key="close_form")
