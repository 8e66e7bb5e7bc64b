"""Carrier screens. Thin: parse input, call one selector or service, render.

Every carrier read goes through documents.selectors (visibility decided in one SQL query);
every write through documents.services. Refusals become form errors in forms.apply_domain_error.
"""
import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from secrecy.errors import DomainError, NotVisible
from secrecy.keyset import parse_cursor
from secrecy.levels import Level, highest_level

from . import policy, selectors, services
from .decorators import carrier_content
from .filters import CarrierFilter
from .forms import (
    CarrierCorrectionForm, IncomingRegistrationForm, OutgoingRegistrationForm, ScopeChangeForm,
    apply_domain_error,
)
from .hooks import carrier_page_context, scope_widening_request
from .models import Carrier, CarrierGroupScope, CarrierUserScope, Direction
from .policy import VIEW_CODENAME
from .templatetags.carrier_tags import user_display

# ---------------------------------------------------------------------------------------------
# List



@login_required
@carrier_content
def carrier_list(request):
    params = request.GET
    after, before = parse_cursor(params.get("after")), parse_cursor(params.get("before"))
    search = (params.get("q") or "").strip()
    if search and after is None and before is None:
        # SPEC §11: a barcode scanner types the 统一编号 and Enter; jump straight to the carrier.
        found = selectors.carrier_find_by_serial(user=request.user, serial=search)
        if found is not None:
            return redirect(found)
    page = selectors.carrier_page_visible_to(user=request.user, filters=params, after=after, before=before)
    count, exact = selectors.carrier_count_visible_to(
        user=request.user, filters=params, cap=settings.SECRECY["SEARCH_COUNT_CAP"] if search else None)
    rows = page["rows"]
    # One query for the custodians' names of the whole page, never one per row.
    prefetch_related_objects(rows, "custodian__person")
    # Only for showing the filter form; the rows come from the selector above.
    filterset = CarrierFilter(params or None, queryset=Carrier.objects.none())
    active_filters = any(params.get(name) for name in filterset.form.fields)
    return render(request, "documents/carrier_list.html", {
        "filter_form": filterset.form,
        "rows": rows,
        "page": page,
        "count": count,
        "count_exact": exact,
        "active_filters": active_filters,
        "page_level": highest_level(c.level for c in rows),
    })


# ---------------------------------------------------------------------------------------------
# Registration


def _require_registrar(user):
    # Default deny, and do not reveal that the screen exists (404 rather than 403).
    if not policy.may_register(user, None):
        raise Http404()


def _posted_level(form):
    try:
        return int(Level(int(form.data.get(form.add_prefix("level")))))
    except (TypeError, ValueError):
        return None


def _register(request, *, direction):
    _require_registrar(request.user)
    form_class = IncomingRegistrationForm if direction == Direction.INCOMING else OutgoingRegistrationForm
    if request.method == "POST":
        form = form_class(request.POST, registrar=request.user)
        if form.is_valid():
            users, groups = form.scope_targets()
            try:
                if direction == Direction.INCOMING:
                    carrier = services.carrier_register_incoming(
                        actor=request.user, data=form.registration_data(), scope_users=users, scope_groups=groups)
                else:
                    carrier = services.carrier_register_outgoing(
                        actor=request.user, data=form.registration_data(), internal=form.cleaned_data["internal"],
                        scope_users=users, scope_groups=groups)
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, f"登记成功，统一编号：{carrier.serial}（{carrier.mark}）")
                return redirect(carrier)
        page_level = _posted_level(form)
    else:
        form = form_class(registrar=request.user, initial={"doc_date": timezone.localdate(), "copies": 1})
        page_level = None
    return render(request, "documents/carrier_form.html", {
        "form": form,
        "direction": direction,
        "heading": "收文登记" if direction == Direction.INCOMING else "发文登记",
        "page_level": page_level,
    })


@login_required
def carrier_register_incoming(request):
    return _register(request, direction=Direction.INCOMING)


@login_required
def carrier_register_outgoing(request):
    return _register(request, direction=Direction.OUTGOING)


# ---------------------------------------------------------------------------------------------
# Detail


def _visible_or_404(request, pk):
    try:
        return selectors.carrier_get_for_user(user=request.user, pk=pk)
    except NotVisible:
        services.carrier_record_denied(user=request.user, requested=pk)
        raise Http404("未找到该载体") from None


def _display_value(field, value):
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, get_user_model()):
        return user_display(value)
    return str(value)


def _history_entries(carrier):
    """Each historical record with the fields it changed (old → new), newest first."""
    records = list(selectors.carrier_history(carrier=carrier))
    prefetch_related_objects(records, "history_user__person")
    entries = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, foreign_keys_are_objs=True)
            for change in delta.changes:
                try:
                    field = Carrier._meta.get_field(change.field)
                except Exception:
                    field = None
                changes.append({
                    "order": Carrier._meta.fields.index(field) if field in Carrier._meta.fields else 999,
                    "label": str(field.verbose_name) if field is not None else change.field,
                    "old": _display_value(field, change.old),
                    "new": _display_value(field, change.new),
                })
            changes.sort(key=lambda c: c["order"])
        entries.append({"record": record, "changes": changes})
    return entries


def _scope_entries(carrier):
    # 知悉范围 as granted: the direct-foreign-key guardian rows for this carrier.
    users = list(
        CarrierUserScope.objects.filter(content_object=carrier, permission__codename=VIEW_CODENAME)
        .select_related("user__person__department").order_by("id")
    )
    groups = list(
        CarrierGroupScope.objects.filter(content_object=carrier, permission__codename=VIEW_CODENAME)
        .select_related("group__department").order_by("id")
    )
    return users, groups


def _detail_context(request, carrier, *, correction_form=None, scope_form=None):
    user = request.user
    events = list(selectors.carrier_custody_log(carrier=carrier))
    prefetch_related_objects(events, "from_user__person", "to_user__person", "recorded_by__person")
    selectors.custody_notes_named(events)
    def visible():
        return selectors.carrier_list_visible_to(user=user)

    original = visible().filter(pk=carrier.original_id).first() if carrier.original_id else None
    # Most carriers have no copy and are part of no compilation: a plain existence check first
    # spares the page two visibility queries (compiling one costs more than running it).
    copies = (list(visible().filter(original=carrier)[:100])
              if Carrier.objects.filter(original=carrier).exists() else [])
    # A compilation (汇编本) has no single original: its parts are the items of its copy request;
    # and a part lists the compilations made from it. Only visible ones are named.
    parts = (list(visible().filter(request_items__request_id=carrier.source_request_id).order_by("serial"))
             if carrier.source_request_id and not carrier.original_id else [])
    compiled_into = Carrier.objects.filter(original__isnull=True, source_request__items__carrier=carrier)
    compilations = (list(visible().filter(original__isnull=True, source_request__items__carrier=carrier)
                         .distinct().order_by("serial")[:100])
                    if compiled_into.exists() else [])
    manageable = policy.may_manage(user, carrier)
    scope_users, scope_groups = _scope_entries(carrier)
    levels = ([carrier.level] + [c.level for c in copies] + [c.level for c in parts + compilations]
              + ([original.level] if original else []))
    context = {
        "carrier": carrier,
        "incoming": carrier.direction == Direction.INCOMING,
        "events": events,
        "history": _history_entries(carrier),
        "original": original,
        "copies": copies,
        "parts": parts,
        "compilations": compilations,
        "scope_users": scope_users,
        "scope_groups": scope_groups,
        "manageable": manageable,
        "page_level": highest_level(levels),
        # What the apps above documents show on the page (approvals: may the request a copy came
        # from be opened), registered in documents.hooks.
        **carrier_page_context(user, carrier),
    }
    if manageable:
        context["correction_form"] = correction_form or CarrierCorrectionForm(
            carrier=carrier, registrar=user, prefix="fix")
        context["scope_form"] = scope_form or ScopeChangeForm(prefix="scope")
        context["correction_open"] = correction_form is not None
        context["scope_open"] = scope_form is not None
    return context


@login_required
def carrier_detail(request, pk):
    # The page's questions, from "may this user see it" on, are answered once (policy); recording
    # the view is its only write and changes none of them.
    with policy.answers_kept_for_one_page():
        carrier = _visible_or_404(request, pk)
        services.carrier_record_view(user=request.user, carrier=carrier)
        return render(request, "documents/carrier_detail.html", _detail_context(request, carrier))


def _manageable_or_404(request, pk):
    carrier = _visible_or_404(request, pk)
    if not policy.may_manage(request.user, carrier):
        raise Http404()
    return carrier


@login_required
@require_POST
def carrier_correct(request, pk):
    carrier = _manageable_or_404(request, pk)
    form = CarrierCorrectionForm(request.POST, carrier=carrier, registrar=request.user, prefix="fix")
    if form.is_valid():
        try:
            services.carrier_correct(actor=request.user, carrier=carrier, changes=form.changes(),
                                     reason=form.cleaned_data["reason"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "已更正登记，原内容保留在变更历史中")
            return redirect(carrier)
    # The page shows the carrier again: that is a view like any other (REG24 art. 20).
    services.carrier_record_view(user=request.user, carrier=carrier)
    return render(request, "documents/carrier_detail.html",
                  _detail_context(request, carrier, correction_form=form))


@login_required
@require_POST
def carrier_scope(request, pk):
    carrier = _manageable_or_404(request, pk)
    form = ScopeChangeForm(request.POST, prefix="scope")
    if form.is_valid():
        user_id, group_id = form.target_ids()
        action = form.cleaned_data["action"]
        # SPEC §5: widening a 秘密/机密/绝密 carrier's scope is an approval request; narrowing, and
        # a 内部 carrier's scope, stay the registrar's own act.
        widening = action == "grant" and policy.scope_widening_needs_approval(carrier)
        service = (scope_widening_request if widening else
                   services.carrier_scope_grant if action == "grant" else services.carrier_scope_revoke)
        try:
            done = service(actor=request.user, carrier=carrier, reason=form.cleaned_data["reason"],
                           user_id=user_id, group_id=group_id)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            if widening:
                messages.success(request, f"已提交{done.reference}，经主要负责人或其委托的审批人批准后列入知悉范围")
                return redirect(done)
            messages.success(request, "已列入知悉范围" if action == "grant" else "已移出知悉范围")
            return redirect(carrier)
    services.carrier_record_view(user=request.user, carrier=carrier)
    return render(request, "documents/carrier_detail.html",
                  _detail_context(request, carrier, scope_form=form))
