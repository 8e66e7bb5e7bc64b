"""涉密会议 screens (SPEC §9). Thin: parse input, call one selector or service, render. A refusal
(DomainError) becomes errors next to the form's fields or a message; an invisible meeting is 404.
Every view that changes something is a POST behind the CSRF check.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from documents.decorators import carrier_content
from documents.policy import visible_carriers
from documents.selectors import carrier_find_by_serial
from secrecy.forms import domain_error_text, perform, put_domain_error as _put_errors, submit_form
from secrecy.errors import DomainError, NotVisible
from secrecy.levels import Level, highest_level
from secrecy import printing

from . import policy, selectors, services
from .forms import AttendeeForm, CancelForm, HandoutForm, LostForm, MeetingForm, RecoverForm
from .models import Attendee, Handout, MeetingAction, MeetingParty, MeetingState, MEETING_TRANSITIONS
from .services import CHECKLIST_FIELDS, OPENING_CHECKLIST

# The state badge reuses the request-state colours of templates/approvals.
STATE_CSS = {
    MeetingState.PLANNING: "req-state-submitted", MeetingState.IN_PROGRESS: "req-state-in_progress",
    MeetingState.CLOSED: "req-state-completed", MeetingState.CANCELLED: "req-state-cancelled",
}






def _meeting_or_404(request, pk):
    try:
        return selectors.meeting_get_for_user(user=request.user, pk=pk)
    except NotVisible:
        raise Http404("未找到该会议") from None


def _allowed(user, meeting, action, attendee=None):
    """Whether the table lets this user try the action now (for showing buttons)."""
    move = MEETING_TRANSITIONS.get((meeting.state, action))
    if move is None:
        return False
    if MeetingParty.MANAGER in move.by and policy.manages(user, meeting):
        return True
    return MeetingParty.ATTENDEE in move.by and attendee is not None and attendee.user_id == user.pk


# ----------------------------------------------------------------------------------------- list


@login_required
@require_GET
@carrier_content
def meeting_list(request):
    state = request.GET.get("state") or ""
    if state not in MeetingState.values:
        state = ""
    rows = list(selectors.meetings_visible_to(user=request.user, state=state or None)[:500])
    for row in rows:
        row.state_css = STATE_CSS[row.state]
    return render(request, "meetings/list.html", {
        "rows": rows, "state": state, "states": MeetingState.choices,
        "may_create": policy.may_create(request.user),
        # The names listed are as secret as their meetings.
        "page_level": highest_level(row.level for row in rows),
    })


# --------------------------------------------------------------------------------- create / edit


def _form_data(form):
    return {name: form.cleaned_data[name] for name in MeetingForm.PARTICULARS + MeetingForm.CHECKLIST}


@login_required
def meeting_create(request):
    if not policy.may_create(request.user):
        raise Http404()
    form = MeetingForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(actor=request.user, data=_form_data(form))
        except DomainError as error:
            _put_errors(form, error)
        else:
            messages.success(request, f"已登记{meeting.reference}，请添加参会人员并落实保密措施")
            return redirect(meeting.get_absolute_url())
    return render(request, "meetings/form.html", {
        "form": form, "heading": "登记涉密会议", "submit_label": "登记会议", "meeting": None,
        "page_level": None,
    }, status=400 if form.errors else 200)


@login_required
def meeting_edit(request, pk):
    meeting = _meeting_or_404(request, pk)
    if not _allowed(request.user, meeting, MeetingAction.UPDATE):
        raise Http404()
    initial = {field: getattr(meeting, field) for field in MeetingForm.PARTICULARS + MeetingForm.CHECKLIST}
    initial["department"] = meeting.department_id
    form = MeetingForm(request.POST if request.method == "POST" else None, user=request.user, meeting=meeting, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(actor=request.user, meeting=meeting, data=_form_data(form))
        except NotVisible:
            raise Http404() from None
        except DomainError as error:
            _put_errors(form, error)
        else:
            messages.success(request, "会议信息已修改")
            return redirect(meeting.get_absolute_url())
    return render(request, "meetings/form.html", {
        "form": form, "heading": f"修改会议信息 · {meeting.reference}", "submit_label": "保存修改",
        "meeting": meeting, "page_level": meeting.level,
    }, status=400 if form.errors else 200)


# --------------------------------------------------------------------------------------- detail


def _detail(request, meeting, *, attendee_form=None, handout_form=None, cancel_form=None, lost=None, status=200):
    user = request.user
    attendees = selectors.meeting_attendees(meeting)
    handouts = selectors.meeting_handouts(meeting)
    manages = policy.manages(user, meeting)
    mine = next((a for a in attendees if a.user_id == user.pk), None)
    shown = set(visible_carriers(user).filter(pk__in=[h.carrier_id for h in handouts]).values_list("pk", flat=True))
    may_recover = _allowed(user, meeting, MeetingAction.RECOVER)
    may_report_lost = _allowed(user, meeting, MeetingAction.REPORT_LOST)
    for attendee in attendees:
        attendee.may_sign_in = (attendee.signed_in_at is None
                                and _allowed(user, meeting, MeetingAction.SIGN_IN, attendee))
    lost_pk, lost_form = lost if lost else (None, None)
    for handout in handouts:
        handout.title_shown = handout.carrier_id in shown
        handout.lost_form = lost_form if handout.pk == lost_pk else LostForm(prefix=f"lost-{handout.pk}")
        handout.recover_form = RecoverForm(prefix=f"recover-{handout.pk}")
    required = OPENING_CHECKLIST[Level(meeting.level)]
    checklist = [(str(meeting._meta.get_field(f).verbose_name), getattr(meeting, f), f in required)
                 for f in CHECKLIST_FIELDS]
    missing = [str(meeting._meta.get_field(f).verbose_name) for f in OPENING_CHECKLIST[Level(meeting.level)]
               if not getattr(meeting, f)]
    may_hand_out = _allowed(user, meeting, MeetingAction.HAND_OUT)
    may_add = _allowed(user, meeting, MeetingAction.ADD_ATTENDEE) and (
        meeting.level < Level.TOP_SECRET or policy.may_designate_top_secret(user))
    outstanding = [h for h in handouts if h.is_open and h.disposition == "recover"]
    return render(request, "meetings/detail.html", {
        "meeting": meeting, "state_css": STATE_CSS[meeting.state], "attendees": attendees, "handouts": handouts,
        "manages": manages, "mine": mine, "checklist": checklist, "missing": missing,
        "page_level": meeting.level,
        "may_update": _allowed(user, meeting, MeetingAction.UPDATE),
        "may_add": may_add,
        "designation_needed": meeting.level == Level.TOP_SECRET,
        "may_open": _allowed(user, meeting, MeetingAction.OPEN),
        "may_close": _allowed(user, meeting, MeetingAction.CLOSE),
        "may_cancel": _allowed(user, meeting, MeetingAction.CANCEL),
        "may_hand_out": may_hand_out, "may_recover": may_recover, "may_report_lost": may_report_lost,
        "outstanding": outstanding,
        "attendee_form": attendee_form or (AttendeeForm(meeting=meeting) if may_add else None),
        "handout_form": handout_form or (HandoutForm(meeting=meeting, attendees=attendees) if may_hand_out else None),
        "cancel_form": cancel_form or CancelForm(),
        "counts": {
            "handed": len(handouts), "recovered": sum(1 for h in handouts if h.recovered_at),
            "lost": sum(1 for h in handouts if h.lost_reported_at), "out": sum(1 for h in handouts if h.is_open),
            "signed_in": sum(1 for a in attendees if a.signed_in_at),
        },
    }, status=status)


@login_required
@require_GET
def meeting_detail(request, pk):
    return _detail(request, _meeting_or_404(request, pk))


def _form_call(request, meeting, form, call, *, success, rerender):
    return submit_form(request, form, call, success=success, done_url=meeting.get_absolute_url(), rerender=rerender)


@login_required
@require_POST
def attendee_add(request, pk):
    meeting = _meeting_or_404(request, pk)
    form = AttendeeForm(request.POST, meeting=meeting)
    return _form_call(
        request, meeting, form,
        lambda data: services.attendee_add(actor=request.user, meeting=meeting, user=data["user"], role=data["role"]),
        success="已添加参会人员，并已通知本人",
        rerender=lambda f: _detail(request, meeting, attendee_form=f, status=400))


@login_required
@require_POST
def attendee_sign_in(request, pk, attendee_pk):
    meeting = _meeting_or_404(request, pk)
    perform(request, lambda: services.attendee_sign_in(
        actor=request.user, meeting=meeting, attendee=Attendee(pk=attendee_pk)), success="已签到")
    return redirect(f"{meeting.get_absolute_url()}#attendees")


@login_required
@require_POST
def meeting_open(request, pk):
    meeting = _meeting_or_404(request, pk)
    perform(request, lambda: services.meeting_open(actor=request.user, meeting=meeting),
             success="会议已开始，请核实参会人员身份并登记签到")
    return redirect(meeting.get_absolute_url())


@login_required
@require_POST
def meeting_close(request, pk):
    meeting = _meeting_or_404(request, pk)
    perform(request, lambda: services.meeting_close(actor=request.user, meeting=meeting), success="会议已结束")
    return redirect(meeting.get_absolute_url())


@login_required
@require_POST
def meeting_cancel(request, pk):
    meeting = _meeting_or_404(request, pk)
    form = CancelForm(request.POST)
    return _form_call(
        request, meeting, form,
        lambda data: services.meeting_cancel(actor=request.user, meeting=meeting, reason=data["reason"]),
        success="会议已取消", rerender=lambda f: _detail(request, meeting, cancel_form=f, status=400))


@login_required
@require_POST
def handout_give(request, pk):
    meeting = _meeting_or_404(request, pk)
    form = HandoutForm(request.POST, meeting=meeting, attendees=selectors.meeting_attendees(meeting))
    return _form_call(
        request, meeting, form,
        lambda data: services.handout_give(actor=request.user, meeting=meeting, serial=data["serial"],
                                           attendee=data["attendee"], disposition=data["disposition"]),
        success="已分发并登记", rerender=lambda f: _detail(request, meeting, handout_form=f, status=400))


def _handout_pk(meeting, handout_pk):
    if not Handout.objects.filter(pk=handout_pk, meeting=meeting).exists():
        raise Http404()
    return Handout(pk=handout_pk)


@login_required
@require_POST
def handout_recover(request, pk, handout_pk):
    meeting = _meeting_or_404(request, pk)
    handout = _handout_pk(meeting, handout_pk)
    form = RecoverForm(request.POST, prefix=f"recover-{handout_pk}")
    note = form.cleaned_data["note"] if form.is_valid() else ""
    perform(request, lambda: services.handout_recover(actor=request.user, meeting=meeting, handout=handout, note=note),
             success="已收回")
    return redirect(f"{meeting.get_absolute_url()}#handouts")


@login_required
@require_POST
def handout_lost(request, pk, handout_pk):
    meeting = _meeting_or_404(request, pk)
    handout = _handout_pk(meeting, handout_pk)
    form = LostForm(request.POST, prefix=f"lost-{handout_pk}")
    return _form_call(
        request, meeting, form,
        lambda data: services.handout_report_lost(actor=request.user, meeting=meeting, handout=handout,
                                                  note=data["note"]),
        success="已报告丢失，保密办已收到通知",
        rerender=lambda f: _detail(request, meeting, lost=(handout.pk, f), status=400))


# ------------------------------------------------------------------------------ copies and print


@login_required
@require_GET
def copy_request(request, pk):
    """REG24 art. 27(5): copies for a meeting go through the 复制 approval. This only finds the
    carrier by its 统一编号 and opens the existing copy request form for it."""
    meeting = _meeting_or_404(request, pk)
    if not policy.manages(request.user, meeting):
        raise Http404()
    serial = (request.GET.get("serial") or "").strip()
    carrier = carrier_find_by_serial(user=request.user, serial=serial) if serial else None
    if carrier is None:
        messages.error(request, f"未找到统一编号为 {serial or '（空）'} 的载体")
        return redirect(f"{meeting.get_absolute_url()}#handouts")
    return redirect(reverse("approvals:copy_request", args=[carrier.pk]))


@login_required
@require_POST
def record(request, pk):
    """打印涉密会议保密管理记录 (PDF or XLSX): an audited print, for whoever may see the meeting."""
    meeting = _meeting_or_404(request, pk)
    fmt = request.POST.get("format", "pdf")
    try:
        filename, content, content_type = printing.produce(
            user=request.user, name="meeting", fmt=fmt, filters={"meeting": str(meeting.pk)})
    except NotVisible:
        raise Http404() from None
    except DomainError as error:
        messages.error(request, domain_error_text(error))
        return redirect(meeting.get_absolute_url())
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = printing.content_disposition(filename)
    response["Cache-Control"] = "no-store"
    return response
