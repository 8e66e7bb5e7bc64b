"""传阅 screens (SPEC §6): the registrar starts a circulation from the carrier page, hands the
carrier to each reader in turn and takes it back; the reader signs (阅签) on the circulation page
or from 待阅签; the 传阅单 prints from the circulation. Thin: parse input, call one selector or
service; refusals become messages in views_common.perform, invisible things are 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from personnel.policy import cleared_for_level_q
from personnel.widgets import PeoplePicker
from secrecy.errors import DomainError, NotVisible
from secrecy.forms import SafeForm, domain_error_text, perform
from secrecy import printing
from secrecy.levels import highest_level

from . import policy, selectors, selectors_circulation, services_circulation
from .decorators import carrier_content
from .forms import OrderedPeopleChoiceField, people_queryset
from .models import CustodyStatus



class CirculationStartForm(SafeForm):
    readers = OrderedPeopleChoiceField(
        label="阅读人（按传阅顺序）", queryset=get_user_model().objects.none(),
        widget=PeoplePicker(ordered=True), error_messages={"required": "请至少选择一名阅读人"},
        help_text="输入姓名、拼音首字母或部门查找，按传阅顺序逐一选择；每位阅读人须在该载体的知悉范围内。",
    )
    note = forms.CharField(label="传阅说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, carrier, **kwargs):
        super().__init__(*args, **kwargs)
        # Only people cleared for the level are offered; the service checks each one's 知悉范围.
        self.fields["readers"].queryset = people_queryset().filter(cleared_for_level_q(carrier.level))


class SignForm(SafeForm):
    comment = forms.CharField(label="阅签意见（可不填）", required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class CancelForm(SafeForm):
    reason = forms.CharField(label="撤销原因", widget=forms.Textarea(attrs={"rows": 2}))


def _carrier_or_404(request, pk):
    try:
        return selectors.carrier_get_for_user(user=request.user, pk=pk)
    except NotVisible:
        raise Http404("未找到该载体") from None


def _circulation_or_404(request, pk):
    try:
        return selectors_circulation.circulation_get_for_user(user=request.user, pk=pk)
    except NotVisible:
        raise Http404("未找到该传阅") from None


@login_required
def start(request, carrier_pk):
    """发起传阅: the ordered readers; the policy checks each of them."""
    carrier = _carrier_or_404(request, carrier_pk)
    if not policy.may_manage(request.user, carrier):
        raise Http404()
    form = CirculationStartForm(request.POST if request.method == "POST" else None, carrier=carrier)
    if request.method == "POST" and form.is_valid():
        try:
            circulation = services_circulation.circulation_start(
                actor=request.user, carrier=carrier, readers=form.cleaned_data["readers"],
                note=form.cleaned_data["note"])
        except NotVisible:
            raise Http404() from None
        except DomainError as error:
            if error.field_errors:
                for field, problems in error.field_errors.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                form.add_error(None, domain_error_text(error))
        else:
            messages.success(request, f"已发起{circulation.reference}，请将载体送达第一位阅读人")
            return redirect(circulation.get_absolute_url())
    return render(request, "circulation/start.html", {
        "carrier": carrier, "form": form, "page_level": carrier.level,
        "days": services_circulation.circulation_days(carrier.level),
    })


def _detail_context(request, circulation):
    steps = selectors_circulation.circulation_steps(circulation)
    user = request.user
    carrier = circulation.carrier
    manages = policy.may_manage(user, carrier)
    current = next((s for s in steps if s.is_out), None)
    upcoming = next((s for s in steps if s.handed_at is None), None)
    mine = next((s for s in steps if s.reader_id == user.pk), None)
    is_open = circulation.is_open
    return {
        "circ": circulation, "carrier": carrier, "steps": steps, "current": current, "page_level": carrier.level,
        "may_hand": is_open and manages and current is None and upcoming is not None
        and carrier.custody_status == CustodyStatus.IN_REGISTRY,
        "next_step": upcoming,
        "may_take_back": is_open and manages and current is not None,
        "awaiting_signature": is_open and current is not None and current.signed_at is None,
        "may_cancel": is_open and manages and current is None,
        "may_sign": is_open and mine is not None and mine is current and mine.signed_at is None,
        "manages": manages,
        "sign_form": SignForm(), "cancel_form": CancelForm(), "today": timezone.localdate(),
    }


@login_required
def detail(request, pk):
    circulation = _circulation_or_404(request, pk)
    return render(request, "circulation/detail.html", _detail_context(request, circulation))


def _act(request, pk, call, success):
    circulation = _circulation_or_404(request, pk)
    perform(request, lambda: call(circulation), success=success)
    if request.POST.get("next") == "mine":
        return redirect("circulation:mine")
    return redirect(circulation.get_absolute_url())


@login_required
@require_POST
def hand(request, pk):
    return _act(request, pk, lambda c: services_circulation.circulation_hand_to_next(actor=request.user, circulation=c),
                "已送达下一位阅读人")


@login_required
@require_POST
def sign(request, pk):
    form = SignForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else request.POST.get("comment", "")
    return _act(request, pk, lambda c: services_circulation.circulation_sign(
        actor=request.user, circulation=c, comment=comment), "已阅签，请将载体交回机要室")


@login_required
@require_POST
def take_back(request, pk):
    return _act(request, pk, lambda c: services_circulation.circulation_take_back(
        actor=request.user, circulation=c, unsigned_reason=request.POST.get("unsigned_reason", "")), "已登记交回")


@login_required
@require_POST
def cancel(request, pk):
    return _act(request, pk, lambda c: services_circulation.circulation_cancel(
        actor=request.user, circulation=c, reason=request.POST.get("reason", "")), "已撤销传阅")


@login_required
@carrier_content
def mine(request):
    """待阅签: the user's readings still to do, and those signed before."""
    waiting = selectors_circulation.steps_waiting_for(user=request.user)
    done = selectors_circulation.steps_done_by(user=request.user)
    steps = waiting + done
    visible = set(policy.visible_carriers(request.user).filter(
        pk__in={s.circulation.carrier_id for s in steps}).values_list("pk", flat=True)) if steps else set()
    for step in steps:
        step.visible = step.circulation.carrier_id in visible
    shown = [s for s in steps if s.visible]
    return render(request, "circulation/mine.html", {
        "waiting": waiting, "done": done, "page_level": highest_level(s.circulation.carrier.level for s in shown),
    })


@login_required
@require_POST
def slip(request, pk, fmt):
    """传阅单 (PDF or XLSX); 404 for anyone who may not open the circulation. Printing is an
    audited action (register.print), so a POST behind the CSRF check: a link or image on another
    site must not add print events in the user's name."""
    try:
        filename, content, content_type = printing.produce(
            user=request.user, name="circulation", fmt=fmt, filters={"circulation": str(pk)})
    except (NotVisible, DomainError):
        raise Http404("未找到该传阅") from None
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = printing.content_disposition(filename)
    return response
