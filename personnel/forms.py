"""Forms of the 涉密人员 screens. They only parse input: what is required and what is allowed is
decided by the services (personnel.services*), whose refusals `apply_domain_error` puts next to
the field they concern — so a rule lives in one place and the form cannot drift from it. Fields
the service checks itself are therefore optional here."""
from django import forms

from secrecy.forms import SafeForm
from secrecy.forms import put_domain_error as apply_domain_error  # noqa: F401 — the views' name

from .models import (
    Department, LeaveKind, Person, PersonClass, PersonStatus, ReviewKind, TravelDocument, TravelDocumentKind,
    TravelDocumentStatus, TravelKind,
)


def _date(label, **kwargs):
    # type="date" sends and expects ISO dates whatever the browser's locale.
    return forms.DateField(label=label, required=kwargs.pop("required", False),
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


def _text(label, max_length, rows=None, **kwargs):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(label=label, max_length=max_length, required=kwargs.pop("required", False),
                           widget=widget, **kwargs)




class SectionedForm(SafeForm):
    """A form laid out in titled groups by includes/form_sections.html."""

    sections = ()
    wide_fields = ()

    def grouped_fields(self):
        groups = []
        for title, names in self.sections:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                groups.append((title, fields))
        return groups


# ------------------------------------------------------------------------------------ the list


class PersonFilterForm(SafeForm):
    # "" means "all", so 非涉密人员 (stored as "") needs its own value in the filter.
    NO_CLASS = "none"

    department = forms.ModelChoiceField(label="部门", queryset=Department.objects.all(), required=False,
                                        empty_label="全部")
    person_class = forms.ChoiceField(label="涉密等级", required=False, choices=[
        ("", "全部"), *[(c.value, c.label) for c in PersonClass if c.value], (NO_CLASS, "非涉密人员")])
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), *PersonStatus.choices])
    q = forms.CharField(label="姓名", required=False, max_length=50)


# ----------------------------------------------------------------------------- the record itself

EDIT_FIELDS = (
    "full_name", "department", "post", "person_class", "secret_post_since", "review_passed", "review_date",
    "commitment_signed_on", "approval_authority", "classification_authority", "is_principal",
)


class PersonForm(SectionedForm):
    """The 涉密人员 record as 保密办 / 安全保密管理员 edit it (personnel.services.person_save).
    Status and the 脱密期 are not here: they follow the 离岗离职 workflow and the daily job."""

    sections = (
        ("基本信息", ("full_name", "department", "post", "secret_post_since")),
        ("涉密等级与审查", ("person_class", "review_passed", "review_date", "commitment_signed_on")),
        ("权限", ("approval_authority", "classification_authority", "is_principal", "served_departments")),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(Person, fields=EDIT_FIELDS))
        for name, field in self.fields.items():
            if isinstance(field, forms.DateField):
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["secret_post_since"].label = "确定为涉密人员日期"
        self.fields["served_departments"] = forms.ModelMultipleChoiceField(
            label="服务部门（机要秘书）", queryset=Department.objects.all(), required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text="仅机要秘书需要：其登记和管理载体的部门")

    @classmethod
    def initial_for(cls, person):
        initial = {name: getattr(person, name) for name in EDIT_FIELDS if name != "department"}
        initial["department"] = person.department_id
        initial["served_departments"] = list(person.served_departments.values_list("pk", flat=True))
        return initial

    def service_data(self):
        data = {name: self.cleaned_data[name] for name in EDIT_FIELDS}
        data["served_departments"] = list(self.cleaned_data["served_departments"])
        return data


# --------------------------------------------------------------------------- records of 保密办


class ReviewForm(SectionedForm):
    kind = forms.ChoiceField(label="审查类型", choices=ReviewKind.choices, initial=ReviewKind.PERIODIC)
    reviewed_on = _date("审查日期")
    passed = forms.TypedChoiceField(
        label="审查结论", choices=(("1", "通过"), ("0", "未通过")), coerce=lambda v: v == "1",
        widget=forms.RadioSelect, error_messages={"required": "请选择审查结论"})
    reviewer = _text("审查部门", 100, help_text="例如：组织人事部门")
    note = _text("审查意见", 500, rows=2, help_text="审查未通过时必填")

    sections = (("保密审查", ("kind", "reviewed_on", "passed", "reviewer", "note")),)
    wide_fields = ("note",)


class TrainingForm(SectionedForm):
    trained_on = _date("培训日期")
    # Text, not a number field: the service answers "学时应为数字" in the words 保密办 uses.
    hours = _text("学时", 10, help_text="例如 2 或 1.5")
    topic = _text("培训内容", 200)
    organiser = _text("组织单位", 100)

    sections = (("保密教育培训", ("trained_on", "hours", "topic", "organiser")),)
    wide_fields = ("topic",)


class TravelDocumentForm(SectionedForm):
    kind = forms.ChoiceField(label="证件类型", choices=[("", "请选择"), *TravelDocumentKind.choices], required=False)
    number = _text("证件号码", 30)
    handed_in_on = _date("交存日期")
    valid_until = _date("有效期至")
    note = _text("备注", 200)

    sections = (("出入境证件", ("kind", "number", "handed_in_on", "valid_until", "note")),)


class DocumentNoteForm(SectionedForm):
    note = _text("说明", 200)

    sections = (("", ("note",)),)
    wide_fields = ("note",)


# ------------------------------------------------------------------------------------ 离岗离职


class LeaveOpenForm(SectionedForm):
    kind = forms.ChoiceField(label="类型", choices=[("", "请选择"), *LeaveKind.choices], required=False)
    planned_on = _date("拟离岗日期")
    reason = _text("原因", 300, rows=2)

    sections = (("离岗离职", ("kind", "planned_on", "reason")),)
    wide_fields = ("reason",)


class LeaveTalkForm(SectionedForm):
    talk_on = _date("谈话日期")
    talk_note = _text("谈话要点", 500, rows=3)

    sections = (("保密提醒谈话", ("talk_on", "talk_note")),)
    wide_fields = ("talk_note",)


class LeaveCommitmentForm(SectionedForm):
    signed_on = _date("签订日期")

    sections = (("离岗离职保密承诺书", ("signed_on",)),)


class LeaveApproveForm(SectionedForm):
    comment = _text("批准意见", 300, rows=2)

    sections = (("批准", ("comment",)),)
    wide_fields = ("comment",)


class ReasonForm(SectionedForm):
    reason = _text("撤销原因", 300, rows=2)

    sections = (("撤销", ("reason",)),)
    wide_fields = ("reason",)


# -------------------------------------------------------------------------------------- 出境


class TravelRequestForm(SectionedForm):
    kind = forms.ChoiceField(label="类型", choices=[("", "请选择"), *TravelKind.choices], required=False)
    destination = _text("前往国家（地区）", 200)
    purpose = _text("事由", 300, rows=2)
    departs_on = _date("出发日期")
    returns_on = _date("返回日期")
    travel_document = forms.ModelChoiceField(label="使用证件", queryset=TravelDocument.objects.none(),
                                             required=False, empty_label="（不使用单位保管的证件）")

    sections = (("申请出境", ("kind", "destination", "departs_on", "returns_on", "travel_document", "purpose")),)
    wide_fields = ("purpose",)

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        if person is not None:
            # Only the person's own 证件 still usable; the service checks again.
            self.fields["travel_document"].queryset = person.travel_documents.exclude(
                status=TravelDocumentStatus.CANCELLED)


class TravelDecideForm(SectionedForm):
    comment = _text("意见说明", 300, rows=2, help_text="不同意时必填")

    sections = (("意见", ("comment",)),)
    wide_fields = ("comment",)


class TravelEducationForm(SectionedForm):
    education_on = _date("教育日期")
    note = _text("教育内容", 300, rows=2)

    sections = (("行前保密教育", ("education_on", "note")),)
    wide_fields = ("note",)


class TravelReturnForm(SectionedForm):
    returned_on = _date("实际返回日期")
    report = forms.CharField(label="回国（境）报告", required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 5}),
                             help_text="行程、接触人员、有无异常情况")

    sections = (("回国（境）报告", ("returned_on", "report")),)
    wide_fields = ("report",)


# -------------------------------------------------------------------------------- 待建档


class OnboardForm(SectionedForm):
    """The first 涉密人员 record of a new account (personnel.services_onboarding.person_onboard).
    What is required, and when, is the service's to say: every field is optional here, so all of
    its answers come back at once, at their fields."""

    # "" is "not chosen"; 非涉密人员 (stored as "") needs its own value.
    NO_CLASS = "none"

    full_name = _text("姓名", 50)
    department = forms.ModelChoiceField(label="部门", queryset=Department.objects.all(), required=False,
                                        empty_label="请选择")
    post = _text("岗位", 100)
    person_class = forms.ChoiceField(label="人员类别", required=False, choices=[
        ("", "请选择"), (PersonClass.CORE.value, PersonClass.CORE.label),
        (PersonClass.IMPORTANT.value, PersonClass.IMPORTANT.label),
        (PersonClass.GENERAL.value, PersonClass.GENERAL.label), (NO_CLASS, PersonClass.NONE.label)])
    review_passed = forms.BooleanField(label="上岗前保密审查通过", required=False,
                                       help_text="核心、重要、一般涉密人员必须审查通过")
    review_date = _date("审查日期", help_text="涉密人员必填")
    commitment_signed_on = _date("保密承诺书签订日期", help_text="涉密人员必填；未签订的不能知悉国家秘密")

    sections = (
        ("基本信息", ("full_name", "department", "post")),
        ("涉密等级与审查", ("person_class", "review_passed", "review_date", "commitment_signed_on")),
    )

    def service_data(self):
        data = dict(self.cleaned_data)
        chosen = data["person_class"]
        data["person_class"] = "" if chosen == self.NO_CLASS else (chosen or None)
        return data
