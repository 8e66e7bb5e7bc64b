"""The 涉密人员 screens (SPEC §8): 保密办's list, record and its forms; the 离岗离职 page a leader
approves on; 出境 requests and their opinions; and everyone's own 我的涉密档案.

Thin, like the carrier screens: parse a form, call one service, and on a refusal put the field
errors next to their fields and the message at the top, changing nothing. Who may see a page is
decided here only to answer 404 (never 403: a personnel record one may not see does not exist for
them); who may *do* something is decided again by the service.

Every page shows 工作秘密 about people, never a state secret: the banner says 内部.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from secrecy.errors import DomainError
from secrecy.levels import Level

from . import forms, registers, services, services_leave, services_records, services_travel
from .jobs import hours_this_year
from .models import (
    Department, Leave, LeaveState, Person, PersonStatus, Role, Travel, TravelDocument, TravelState,
)
from .policy import (
    has_role, is_admin_role, may_approve_leave, may_edit_clearance, may_give_hr_opinion, may_give_secrecy_opinion,
    may_manage_personnel, may_request_travel, may_view_personnel, person_of,
)

PAGE_LEVEL = int(Level.WORK)
PAGE_SIZE = 50


# ------------------------------------------------------------------------ who sees which page


def hr_opinion_candidate(user):
    """Someone who may give the 组织人事部门 opinion on travel (REG24 art. 52): a leader or the
    人事 officer of the personnel office — the same people policy.may_give_hr_opinion accepts
    for any traveller but themself."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or is_admin_role(user):
        return False
    if not (has_role(user, Role.APPROVER) or has_role(user, Role.REGISTRAR)):
        return False
    cached = getattr(user, "_secrecy_hr_candidate", None)
    if cached is None:
        # Asked by the navigation on every page: one query, once per request.
        me = person_of(user)
        cached = bool(me) and me.department.is_personnel_office
        user._secrecy_hr_candidate = cached
    return cached


def sees_travel_queue(user):
    return hr_opinion_candidate(user) or may_manage_personnel(user)


def travels_waiting_for(user):
    """Submitted trips that wait for an opinion this user may give (not their own; 保密办 not on
    a trip whose 组织人事 opinion they gave)."""
    hr, office = hr_opinion_candidate(user), may_manage_personnel(user)
    if not (hr or office):
        return Travel.objects.none()
    waiting = Q()
    if hr:
        waiting |= Q(hr_opinion="")
    if office:
        waiting |= Q(secrecy_opinion="") & ~Q(hr_by=user)
    return (Travel.objects.filter(waiting, state=TravelState.SUBMITTED).exclude(person__user=user)
            .select_related("person", "person__department"))


def _may_see_leave(user):
    # The leader approves on the leave page (REG24 art. 53), without seeing the whole register.
    return may_view_personnel(user) or (has_role(user, Role.APPROVER) and not is_admin_role(user))


def _may_see_travel(user, travel):
    return (travel.person.user_id == user.pk or travel.requested_by_id == user.pk or may_view_personnel(user)
            or hr_opinion_candidate(user))


def _require_viewer(request):
    if not may_view_personnel(request.user):
        raise Http404()


def _person_or_404(request, pk):
    _require_viewer(request)
    return get_object_or_404(Person.objects.select_related("user", "department"), pk=pk)


def _leave_or_404(request, pk):
    if not _may_see_leave(request.user):
        raise Http404()
    return get_object_or_404(Leave.objects.select_related("person", "person__user", "person__department"), pk=pk)


def _travel_or_404(request, pk):
    travel = get_object_or_404(
        Travel.objects.select_related("person", "person__user", "person__department", "travel_document"), pk=pk)
    if not _may_see_travel(request.user, travel):
        raise Http404()
    return travel


# ------------------------------------------------------------------------------- one form page


def _form_page(request, *, form, heading, call, success, done_url, back_url, subject="", notes=(),
               submit_label="提交", buttons=None):
    """GET shows the form; POST calls the one service. A refusal re-renders the form with the
    errors in place and nothing changed; success goes back where the form was opened from."""
    if request.method == "POST" and form.is_valid():
        try:
            result = call(form.cleaned_data)
        except DomainError as error:
            forms.apply_domain_error(form, error)
        else:
            messages.success(request, success)
            return redirect(done_url(result) if callable(done_url) else done_url)
    elif request.method == "POST":
        form.add_error(None, "输入有误，请检查标红的字段")
    return render(request, "personnel/form.html", {
        "form": form, "heading": heading, "subject": subject, "notes": list(notes), "back_url": back_url,
        # (name, value, label, primary) of each submit button; one plain button by default.
        "buttons": buttons or [("", "", submit_label, True)], "page_level": PAGE_LEVEL,
    })


def _post_only_action(request, call, *, success, back_url):
    """A button without fields (交回证件): the refusal becomes a message on the page it came from."""
    try:
        call()
    except DomainError as error:
        messages.error(request, "；".join([error.message, *(
            str(m) for problems in error.field_errors.values()
            for m in ([problems] if isinstance(problems, str) else problems))]))
    else:
        messages.success(request, success)
    return redirect(back_url)


# -------------------------------------------------------------------------------------- the list


@login_required
@require_GET
def person_list(request):
    _require_viewer(request)
    filter_form = forms.PersonFilterForm(request.GET or None)
    year = timezone.localdate().year
    people = Person.objects.select_related("department", "user").annotate(hours=hours_this_year(year))
    if filter_form.is_valid():
        data = filter_form.cleaned_data
        if data["department"]:
            people = people.filter(department=data["department"])
        if data["person_class"] == forms.PersonFilterForm.NO_CLASS:
            people = people.filter(person_class="")
        elif data["person_class"]:
            people = people.filter(person_class=data["person_class"])
        if data["status"]:
            people = people.filter(status=data["status"])
        if data["q"].strip():
            people = people.filter(full_name__icontains=data["q"].strip())
    page = Paginator(people.order_by("department_id", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    required = registers.required_training_hours()
    today = timezone.localdate()
    for person in page.object_list:
        person.review_due = registers.next_review_due(person)
        person.review_overdue = bool(person.review_due and person.review_due < today)
        person.hours_short = person.status == PersonStatus.ON_POST and bool(person.person_class) \
            and person.hours < required
    department = filter_form.cleaned_data.get("department") if filter_form.is_valid() else None
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "personnel/list.html", {
        "filter_form": filter_form, "page": page, "people": page.object_list, "required_hours": required,
        "year": year, "query": query.urlencode(), "register_department": department,
        # Whoever sees this list may print it (the download view asks the register's own rule).
        "may_print": True,
        "may_edit": may_edit_clearance(request.user), "page_level": PAGE_LEVEL,
        "may_onboard": may_manage_personnel(request.user),
        "leaves_open": Leave.objects.filter(state=LeaveState.OPEN).count(),
    })


# ------------------------------------------------------------------------------------- a record


def _record_context(person, *, today):
    due = registers.next_review_due(person)
    hours = services_records.training_hours_in_year(person, today.year)
    required = registers.required_training_hours()
    return {
        "person": person, "clearance_gaps": registers.clearance_gaps(person),
        "clearance_label": Level(person.clearance).label,
        "review_due": due, "review_overdue": bool(due and due < today),
        "hours": registers.hours_label(hours), "required_hours": registers.hours_label(required),
        "hours_short": bool(person.person_class) and person.status == PersonStatus.ON_POST and hours < required,
        "year": today.year, "class_short": registers.class_short(person.person_class),
        "reviews": person.reviews.select_related("recorded_by__person"),
        "trainings": person.trainings.all(),
        "documents": person.travel_documents.all(),
        "travels": person.travels.select_related("travel_document"),
        "served": list(person.served_departments.all()),
        "today": today,
    }


@login_required
@require_GET
def person_detail(request, pk):
    person = _person_or_404(request, pk)
    user = request.user
    own = person.user_id == user.pk
    context = _record_context(person, today=timezone.localdate())
    manages = may_manage_personnel(user) and not own
    context.update({
        "own": own, "manages": manages, "may_edit": may_edit_clearance(user) and not own,
        "leaves": person.leaves.select_related("approved_by__person"),
        "open_leave": person.leaves.filter(state=LeaveState.OPEN).first(),
        "review_form": forms.ReviewForm(), "training_form": forms.TrainingForm(),
        "document_form": forms.TravelDocumentForm(), "leave_form": forms.LeaveOpenForm(),
        "travel_form": forms.TravelRequestForm(person=person),
        "may_request_travel": may_request_travel(user, person) and bool(person.person_class),
        "page_level": PAGE_LEVEL,
    })
    return render(request, "personnel/detail.html", context)


@login_required
def person_edit(request, pk):
    person = _person_or_404(request, pk)
    if not may_edit_clearance(request.user):
        raise Http404()
    form = forms.PersonForm(request.POST if request.method == "POST" else None, initial=forms.PersonForm.initial_for(person))
    return _form_page(
        request, form=form, heading="修改涉密人员档案", subject=person.full_name,
        call=lambda data: services.person_save(actor=request.user, user=person.user, **form.service_data()),
        success="涉密人员档案已保存", done_url=reverse("personnel:detail", args=[person.pk]),
        back_url=reverse("personnel:detail", args=[person.pk]), submit_label="保存",
        notes=["涉密等级、审查结论和保密承诺书决定本人可知悉的最高密级，修改立即生效。",
               "不能修改本人的档案。"])


def _record_form(request, pk, *, form_class, heading, service, success, notes=()):
    person = _person_or_404(request, pk)
    back = reverse("personnel:detail", args=[person.pk])
    form = form_class(request.POST if request.method == "POST" else None)
    return _form_page(
        request, form=form, heading=heading, subject=person.full_name,
        call=lambda data: service(actor=request.user, person=person, **data),
        success=success, done_url=back, back_url=back, notes=notes)


@login_required
def review_add(request, pk):
    return _record_form(request, pk, form_class=forms.ReviewForm, heading="登记保密审查",
                        service=services_records.person_review_record, success="保密审查已登记",
                        notes=["最新一次审查结论决定审查是否有效；未通过时本人立即不能再知悉国家秘密。"])


@login_required
def training_add(request, pk):
    return _record_form(request, pk, form_class=forms.TrainingForm, heading="登记保密教育培训",
                        service=services_records.training_record, success="保密教育培训已登记")


@login_required
def document_add(request, pk):
    return _record_form(request, pk, form_class=forms.TravelDocumentForm, heading="登记出入境证件",
                        service=services_records.travel_document_register, success="出入境证件已登记，由单位保管",
                        notes=["因私出入境证件由单位集中登记保管。"])


def _document_or_404(request, pk):
    _require_viewer(request)
    return get_object_or_404(TravelDocument.objects.select_related("person"), pk=pk)


@login_required
@require_POST
def document_hand_back(request, pk):
    document = _document_or_404(request, pk)
    return _post_only_action(
        request, lambda: services_records.travel_document_hand_back(
            actor=request.user, document=document, note=request.POST.get("note", "")),
        success="证件已交回单位保管", back_url=reverse("personnel:detail", args=[document.person_id]))


@login_required
def document_cancel(request, pk):
    document = _document_or_404(request, pk)
    back = reverse("personnel:detail", args=[document.person_id])
    return _form_page(
        request, form=forms.DocumentNoteForm(request.POST if request.method == "POST" else None), heading="注销出入境证件",
        subject=f"{document.person.full_name}：{document}",
        call=lambda data: services_records.travel_document_cancel(actor=request.user, document=document,
                                                                  note=data["note"]),
        success="证件已注销", done_url=back, back_url=back, submit_label="注销",
        notes=["注销后证件不再由单位保管，登记记录保留。"])


# ------------------------------------------------------------------------------------ 离岗离职


@login_required
def leave_open(request, pk):
    person = _person_or_404(request, pk)
    form = forms.LeaveOpenForm(request.POST if request.method == "POST" else None)
    return _form_page(
        request, form=form, heading="办理离岗离职", subject=person.full_name,
        call=lambda data: services_leave.leave_open(actor=request.user, person=person, **data),
        success="已登记离岗离职，请进行保密提醒谈话并签订离岗离职保密承诺书",
        done_url=lambda leave: reverse("personnel:leave_detail", args=[leave.pk]),
        back_url=reverse("personnel:detail", args=[person.pk]),
        notes=["顺序：保密提醒谈话 → 签订离岗离职保密承诺书 → 清退全部涉密载体和证件 → 领导批准。",
               "批准后账号即停用，脱密期自批准之日起计算。"])


@login_required
@require_GET
def leave_list(request):
    if not _may_see_leave(request.user):
        raise Http404()
    leaves = Leave.objects.select_related("person", "person__department").order_by("-id")
    return render(request, "personnel/leave_list.html", {
        "open_leaves": leaves.filter(state=LeaveState.OPEN),
        "recent": leaves.exclude(state=LeaveState.OPEN)[:50],
        "page_level": PAGE_LEVEL,
    })


@login_required
@require_GET
def leave_detail(request, pk):
    leave = _leave_or_404(request, pk)
    user = request.user
    person = leave.person
    is_open = leave.state == LeaveState.OPEN
    manages = may_manage_personnel(user) and person.user_id != user.pk
    blockers = services_leave.leave_blockers(leave) if is_open else []
    missing = [step for step, done in (("保密提醒谈话", leave.talk_on), ("离岗离职保密承诺书", leave.commitment_signed_on))
               if not done]
    years = services_leave.declassify_years(person.person_class) if person.person_class else None
    return render(request, "personnel/leave_detail.html", {
        "leave": leave, "person": person, "is_open": is_open, "manages": manages,
        "sees_record": may_view_personnel(user),
        "blockers": blockers, "missing": missing, "declassify_years": years,
        "may_approve": is_open and may_approve_leave(user, person),
        "talk_form": forms.LeaveTalkForm(), "commitment_form": forms.LeaveCommitmentForm(),
        "approve_form": forms.LeaveApproveForm(), "cancel_form": forms.ReasonForm(),
        "page_level": PAGE_LEVEL,
    })


def _leave_form(request, pk, *, form_class, heading, call, success, submit_label="提交", notes=()):
    leave = _leave_or_404(request, pk)
    back = reverse("personnel:leave_detail", args=[leave.pk])
    form = form_class(request.POST if request.method == "POST" else None)
    return _form_page(request, form=form, heading=heading, subject=f"{leave.reference} {leave.person.full_name}",
                      call=lambda data: call(leave, data), success=success, done_url=back, back_url=back,
                      submit_label=submit_label, notes=notes)


@login_required
def leave_talk(request, pk):
    return _leave_form(request, pk, form_class=forms.LeaveTalkForm, heading="记录保密提醒谈话",
                       call=lambda leave, data: services_leave.leave_record_talk(
                           actor=request.user, leave=leave, **data),
                       success="保密提醒谈话已记录")


@login_required
def leave_commitment(request, pk):
    return _leave_form(request, pk, form_class=forms.LeaveCommitmentForm, heading="登记离岗离职保密承诺书",
                       call=lambda leave, data: services_leave.leave_sign_commitment(
                           actor=request.user, leave=leave, **data),
                       success="离岗离职保密承诺书已登记")


@login_required
def leave_approve(request, pk):
    return _leave_form(request, pk, form_class=forms.LeaveApproveForm, heading="批准离岗离职",
                       call=lambda leave, data: services_leave.leave_approve(actor=request.user, leave=leave, **data),
                       success="已批准离岗离职：账号已停用，脱密期开始", submit_label="批准",
                       notes=["批准前须已完成保密提醒谈话、签订离岗离职保密承诺书，并清退全部载体和证件。"])


@login_required
def leave_cancel(request, pk):
    return _leave_form(request, pk, form_class=forms.ReasonForm, heading="撤销离岗离职",
                       call=lambda leave, data: services_leave.leave_cancel(actor=request.user, leave=leave, **data),
                       success="离岗离职已撤销", submit_label="撤销")


# -------------------------------------------------------------------------------------- 出境


@login_required
def travel_request(request, pk):
    person = get_object_or_404(Person.objects.select_related("user", "department"), pk=pk)
    if not may_request_travel(request.user, person):
        raise Http404()
    own = person.user_id == request.user.pk
    form = forms.TravelRequestForm(request.POST if request.method == "POST" else None, person=person)
    return _form_page(
        request, form=form, heading="申请出境", subject=person.full_name,
        call=lambda data: services_travel.travel_request(actor=request.user, person=person, **data),
        success="出境申请已提交，待组织人事部门和保密办审批",
        done_url=lambda travel: reverse("personnel:travel_detail", args=[travel.pk]),
        back_url=reverse("personnel:me") if own else reverse("personnel:detail", args=[person.pk]),
        notes=["涉密人员出境须经组织人事部门和保密办审批，出发前接受行前保密教育，回国（境）后报告。",
               "脱密期内申请出境的，审批人会看到标记。"])


@login_required
@require_GET
def travel_list(request):
    user = request.user
    if not (sees_travel_queue(user) or may_view_personnel(user)):
        raise Http404()
    waiting = list(travels_waiting_for(user).order_by("departs_on", "id"))
    for travel in waiting:
        travel.my_step = "hr" if (hr_opinion_candidate(user) and not travel.hr_opinion) else "secrecy"
    recent = Travel.objects.select_related("person", "person__department").order_by("-id")[:50]
    return render(request, "personnel/travel_list.html", {
        "waiting": waiting, "recent": recent, "page_level": PAGE_LEVEL,
    })


@login_required
@require_GET
def travel_detail(request, pk):
    travel = _travel_or_404(request, pk)
    user = request.user
    submitted = travel.state == TravelState.SUBMITTED
    approved = travel.state == TravelState.APPROVED
    decider = hr_opinion_candidate(user) or may_manage_personnel(user)
    return render(request, "personnel/travel_detail.html", {
        "travel": travel, "person": travel.person, "own": travel.person.user_id == user.pk,
        "sees_record": may_view_personnel(user), "decider": decider,
        "may_hr": submitted and not travel.hr_opinion and may_give_hr_opinion(user, travel),
        "may_secrecy": submitted and not travel.secrecy_opinion and may_give_secrecy_opinion(user, travel),
        "may_educate": approved and travel.education_on is None and may_manage_personnel(user),
        "may_report": approved and travel.education_on is not None
        and (travel.person.user_id == user.pk or may_manage_personnel(user)),
        "may_cancel": travel.state in (TravelState.SUBMITTED, TravelState.APPROVED)
        and (user.pk in (travel.person.user_id, travel.requested_by_id) or may_manage_personnel(user)),
        "decide_form": forms.TravelDecideForm(), "education_form": forms.TravelEducationForm(),
        "return_form": forms.TravelReturnForm(), "cancel_form": forms.ReasonForm(),
        "page_level": PAGE_LEVEL,
    })


def _travel_form(request, pk, *, form_class, heading, call, success, submit_label="提交", notes=(), buttons=None):
    travel = _travel_or_404(request, pk)
    back = reverse("personnel:travel_detail", args=[travel.pk])
    form = form_class(request.POST if request.method == "POST" else None)
    flag = "（脱密期内）" if travel.in_declassify_period else ""
    return _form_page(request, form=form, heading=heading,
                      subject=f"{travel.reference} {travel.person.full_name}{flag}",
                      call=lambda data: call(travel, data), success=success, done_url=back, back_url=back,
                      submit_label=submit_label, notes=notes, buttons=buttons)


@login_required
def travel_decide(request, pk, step):
    if step not in ("hr", "secrecy"):
        raise Http404()
    approve = request.POST.get("decision") == "approve"
    heading = "组织人事部门意见" if step == "hr" else "保密办意见"
    return _travel_form(
        request, pk, form_class=forms.TravelDecideForm, heading=heading,
        call=lambda travel, data: services_travel.travel_decide(
            actor=request.user, travel=travel, step=step, approve=approve, comment=data["comment"]),
        success="意见已提交",
        buttons=[("decision", "approve", "同意", True), ("decision", "reject", "不同意", False)])


@login_required
def travel_education(request, pk):
    return _travel_form(request, pk, form_class=forms.TravelEducationForm, heading="记录行前保密教育",
                        call=lambda travel, data: services_travel.travel_record_education(
                            actor=request.user, travel=travel, education_on=data["education_on"], note=data["note"]),
                        success="行前保密教育已记录；单位保管的证件已交本人领用",
                        notes=["行前保密教育须在出发前进行；记录后，申请使用的证件由本人领用，回国（境）后交回。"])


@login_required
def travel_return(request, pk):
    return _travel_form(request, pk, form_class=forms.TravelReturnForm, heading="回国（境）报告",
                        call=lambda travel, data: services_travel.travel_report_return(
                            actor=request.user, travel=travel, **data),
                        success="回国（境）报告已提交；请将领用的证件交回保密办")


@login_required
def travel_cancel(request, pk):
    return _travel_form(request, pk, form_class=forms.ReasonForm, heading="撤销出境申请",
                        call=lambda travel, data: services_travel.travel_cancel(
                            actor=request.user, travel=travel, **data),
                        success="出境申请已撤销", submit_label="撤销")


# ------------------------------------------------------------------------------- 我的涉密档案


@login_required
@require_GET
def me(request):
    """The signed-in user's own record — never anyone else's, whatever the query string says."""
    person = person_of(request.user)
    context = {"page_level": PAGE_LEVEL, "person": None}
    if person is not None:
        today = timezone.localdate()
        context.update(_record_context(person, today=today))
        context.update({
            "travel_form": forms.TravelRequestForm(person=person),
            "may_request_travel": may_request_travel(request.user, person) and bool(person.person_class),
        })
    return render(request, "personnel/me.html", context)


__all__ = ["hr_opinion_candidate", "travels_waiting_for", "sees_travel_queue"]


# ------------------------------------------------------------ 主要负责人's designations (issue 11 §8)


def _designation_rows(field, role):
    """Everyone who could hold this designation, and whoever holds it now."""
    people = (Person.objects.filter(Q(user__groups__name=role) | Q(**{field: True}))
              .select_related("user", "department").order_by("department_id", "full_name", "id").distinct())
    return [{"person": p, "designated": getattr(p, field)} for p in people]


@login_required
def designations(request):
    """绝密载体专人 (LAW24 art. 26; REG24 art. 29(1)) and the 知悉范围扩大 delegate (SPEC §5): named
    by the 主要负责人 alone; to anyone else the page does not exist."""
    from .policy import is_principal

    if not is_principal(request.user):
        raise Http404()
    errors = {}
    if request.method == "POST":
        field = request.POST.get("field", "")
        try:
            target = Person.objects.select_related("user").get(pk=int(request.POST.get("person", "")))
        except (Person.DoesNotExist, TypeError, ValueError, OverflowError):
            errors[field or "top_secret_registrar"] = "请选择人员"
        else:
            designated = request.POST.get("designated") == "1"
            try:
                services.person_designate(actor=request.user, user=target.user, field=field, designated=designated)
            except DomainError as error:
                errors.update(getattr(error, "field_errors", {}) or {field: error.message})
            else:
                label = services.DESIGNATIONS[field]
                messages.success(request, f"已{'指定' if designated else '撤销'}{target.full_name}为{label}")
                return redirect("personnel:designations")
    return render(request, "personnel/designations.html", {
        "top_secret_rows": _designation_rows("top_secret_registrar", Role.REGISTRAR),
        "delegate_rows": _designation_rows("scope_delegate", Role.APPROVER),
        "errors": errors, "page_level": PAGE_LEVEL,
    }, status=400 if errors else 200)
