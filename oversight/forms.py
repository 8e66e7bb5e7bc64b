"""Forms of the 保密检查 and 泄密/丢失事件 screens. They parse input only; every rule is the services'
(a refusal comes back as a DomainError whose field errors the view puts next to the fields)."""
from django import forms
from django.utils import timezone

from personnel.models import Department
from secrecy.forms import SafeForm
from secrecy.levels import Level

from .models import (
    ChecklistTemplate, Finding, FindingResult, Incident, IncidentKind, Inspection, Rectification,
)
from .policy import secrecy_office_users, user_name
from .selectors import rectification_candidates
from .services.incidents import parse_serials

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_INPUTS = [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


def _label(model, field):
    return str(model._meta.get_field(field).verbose_name)


def _datetime_field(label, required=True, help_text=""):
    return forms.DateTimeField(label=label, required=required, widget=DateTimeLocalInput(),
                               input_formats=DATETIME_INPUTS, help_text=help_text)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        person = getattr(user, "person", None)
        department = getattr(getattr(person, "department", None), "name", "")
        return f"{user_name(user)}（{department or user.get_username()}）"


# ---------------------------------------------------------------------------------- inspections


class TemplateForm(SafeForm):
    name = forms.CharField(label=_label(ChecklistTemplate, "name"), max_length=100)
    items = forms.CharField(
        label="检查内容", widget=forms.Textarea(attrs={"rows": 10}),
        help_text="每行一项，按检查顺序排列。")

    def clean_items(self):
        return [line.strip() for line in self.cleaned_data["items"].splitlines() if line.strip()]


class InspectionForm(SafeForm):
    department = forms.ModelChoiceField(label=_label(Inspection, "department"),
                                        queryset=Department.objects.order_by("id"), empty_label="请选择")
    inspected_on = forms.DateField(label=_label(Inspection, "inspected_on"), widget=DateInput())
    template = forms.ModelChoiceField(label=_label(Inspection, "template"),
                                      queryset=ChecklistTemplate.objects.filter(active=True).order_by("name"),
                                      empty_label="请选择")
    lead_inspector = PersonChoiceField(label=_label(Inspection, "lead_inspector"), queryset=None, empty_label="请选择")
    other_inspectors = forms.CharField(label=_label(Inspection, "other_inspectors"), required=False, max_length=200,
                                       help_text="姓名，多人用顿号分隔。")
    summary = forms.CharField(label=_label(Inspection, "summary"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="检查范围和方式。请勿填写涉密内容。")

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("initial", {}).update({"inspected_on": timezone.localdate(), "lead_inspector": user.pk})
        super().__init__(*args, **kwargs)
        office = [u.pk for u in secrecy_office_users()]
        self.fields["lead_inspector"].queryset = rectification_candidates().filter(pk__in=office)


class FindingForm(SafeForm):
    result = forms.ChoiceField(label=_label(Finding, "result"),
                               choices=[("", "请选择")] + [c for c in FindingResult.choices if c[0]])
    note = forms.CharField(label=_label(Finding, "note"), required=False, max_length=2000,
                           widget=forms.TextInput(attrs={"placeholder": "不符合时写明问题"}))


class RectificationForm(SafeForm):
    finding = forms.ModelChoiceField(label=_label(Rectification, "finding"), queryset=Finding.objects.none(),
                                     required=False, empty_label="（不对应具体检查项）")
    description = forms.CharField(label=_label(Rectification, "description"),
                                  widget=forms.Textarea(attrs={"rows": 2}))
    owner = PersonChoiceField(label=_label(Rectification, "owner"), queryset=None, empty_label="请选择")
    deadline = forms.DateField(label=_label(Rectification, "deadline"), widget=DateInput())

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["finding"].queryset = inspection.findings.order_by("order")
        self.fields["finding"].label_from_instance = lambda f: f"第{f.order}项 {f.item_text[:40]}"
        self.fields["owner"].queryset = rectification_candidates()


class CompleteForm(SafeForm):
    evidence = forms.CharField(label="整改情况", widget=forms.Textarea(attrs={"rows": 3}),
                               help_text="采取的措施、完成时间、佐证材料（如台账补登、培训记录）。请勿填写涉密内容。")


class VerifyForm(SafeForm):
    note = forms.CharField(label="退回意见（退回时必填）", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class InspectionCloseForm(SafeForm):
    closing_note = forms.CharField(label=_label(Inspection, "closing_note"), widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text="检查结论和总体评价。")


# ------------------------------------------------------------------------------------ incidents


class IncidentForm(SafeForm):
    kind = forms.ChoiceField(label=_label(Incident, "kind"), choices=[("", "请选择")] + IncidentKind.choices)
    level = forms.TypedChoiceField(label=_label(Incident, "level"), coerce=int,
                                   choices=[("", "请选择")] + [(int(v), l) for v, l in reversed(Level.choices)],
                                   help_text="涉及载体或信息中的最高密级。")
    discovered_at = _datetime_field(_label(Incident, "discovered_at"),
                                    help_text="须在发现后24小时内向保密行政管理部门和上级主管部门报告。")
    occurred_at = _datetime_field(_label(Incident, "occurred_at"), required=False, help_text="不清楚可不填。")
    place = forms.CharField(label=_label(Incident, "place"), max_length=200)
    involved_persons = forms.CharField(label=_label(Incident, "involved_persons"), required=False, max_length=200)
    serials = forms.CharField(label="涉及载体统一编号", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text="每行一个；不清楚可不填。只填编号，不填文件标题。")
    description = forms.CharField(label=_label(Incident, "description"), widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text="发现经过、涉及的载体或信息、已知的传播范围。只写事实，不转述涉密内容。")
    harm = forms.CharField(label=_label(Incident, "harm"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    measures = forms.CharField(label=_label(Incident, "measures"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}),
                               help_text="已采取的补救措施，如封存现场、追回载体、通知相关人员。")

    def clean_serials(self):
        return parse_serials(self.cleaned_data["serials"])


class UpwardReportForm(SafeForm):
    reported_at = _datetime_field("报告时间")
    note = forms.CharField(label="报告对象、方式和文号", widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="如：市国家保密局、上级主管部门办公厅，书面报告，某保〔2026〕3号。")


class IncidentCloseForm(SafeForm):
    closing_note = forms.CharField(label=_label(Incident, "closing_note"), widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text="查处结果、责任追究和整改措施。")
