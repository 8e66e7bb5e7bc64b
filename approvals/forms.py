"""The request forms (申请借阅, 复制, 汇编, 外出携带, 维修, 密级变更, 知悉范围扩大, 销毁) and the decision
and registrar forms. Syntax only: every rule is decided by the request services (approvals.kinds)
and comes back next to its field.
"""
from django import forms
from django.contrib.auth import get_user_model

from documents.forms import (
    DATE_WIDGET, PeopleChoiceField, PersonChoiceField, SectionedForm, people_queryset,
)
from personnel.models import Department
from personnel.widgets import PeoplePicker, PersonPicker
from personnel.policy import cleared_for_level_q
from secrecy.forms import SafeForm
from secrecy.levels import Level, PeriodKind, PeriodUnit
from secrecy.validators import not_before_1949_10_01

from . import policy
from .kinds.copy import MAX_COPIES
from .models import CopyMode, DestructionMethod, ReclassifyType, RepairMode, ReturnCondition


class LoanRequestForm(SafeForm):
    """申请借阅: due date and reason. The service decides the rules (绝密 → 阅文室, same day)."""

    due_date = forms.DateField(label="应还日期", required=False, widget=forms.DateInput(**DATE_WIDGET))
    reason = forms.CharField(label="借阅事由", max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(SafeForm):
    decision = forms.ChoiceField(label="审批", choices=[("approve", "同意"), ("reject", "驳回")])
    comment = forms.CharField(label="意见", max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}), help_text="驳回时必填")
    # REG24 art. 27(8): 出境 is approved explicitly, never implied by approving the trip.
    approve_abroad = forms.BooleanField(label="同意携带出境", required=False)


class CancelForm(SafeForm):
    reason = forms.CharField(label="撤销原因", max_length=300, required=False)


class LoanReturnForm(SafeForm):
    condition = forms.ChoiceField(label="归还检查", choices=[("", "请选择")] + ReturnCondition.choices, required=False)
    note = forms.CharField(label="检查说明", max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}), help_text="缺页或损坏时必填")


# ---------------------------------------------------------------------------------- destruction


class WitnessChoiceField(PeopleChoiceField):
    """监销人: the options are the people policy.eligible_witnesses_q accepts for the batch."""


WITNESS_HELP = "至少两名，须有一名保密办人员；只列出涉密等级不低于本批次最高密级、在岗且未在办理离岗离职的人员，申请人不能担任"


def witness_queryset(*, level, requester):
    """The people who may witness a batch of this level asked by requester (policy in one place:
    approvals.policy.eligible_witnesses_q; the service re-checks each with witness_refusal)."""
    return people_queryset().filter(policy.eligible_witnesses_q(level=level, requester_id=requester.pk))


class WitnessesForm(SafeForm):
    """指定监销人: at least two, one from 保密办 (the service decides)."""

    witnesses = WitnessChoiceField(label="监销人", queryset=get_user_model().objects.none(), required=False,
                                   widget=PeoplePicker, help_text=WITNESS_HELP)

    def __init__(self, *args, level, requester, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["witnesses"].queryset = witness_queryset(level=level, requester=requester)


class DestructionBatchForm(WitnessesForm):
    """组织销毁: the batch's particulars; the carriers come as checked `carriers` ids, which the
    view re-resolves and the service checks (visible, managed by the registrar, 在库)."""

    reason = forms.CharField(label="销毁事由", max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    method = forms.ChoiceField(label="销毁方式", required=False,
                               choices=[("", "请选择")] + DestructionMethod.choices)
    place = forms.CharField(label="销毁地点", max_length=200, required=False)
    destruction_body = forms.CharField(label="承销单位", max_length=200, required=False,
                                       help_text="送销时必填：保密行政管理部门设立的销毁工作机构或指定的承销单位")
    planned_date = forms.DateField(label="计划销毁日期", required=False, widget=forms.DateInput(**DATE_WIDGET),
                                   error_messages={"invalid": "请输入有效的日期，如 2026-11-25"})

    field_order = ["reason", "method", "place", "destruction_body", "planned_date", "witnesses"]


class DestructionExecuteForm(SafeForm):
    """执行销毁: the date and the 销毁人 — a person picked from the unit's staff, or for 送销 the
    承销单位's operator by name (the service decides which is acceptable)."""

    executed_on = forms.DateField(label="销毁日期", required=False, widget=forms.DateInput(**DATE_WIDGET),
                                  error_messages={"invalid": "请输入有效的日期，如 2026-11-25"})
    destroyed_by = PersonChoiceField(label="销毁人（本单位人员）", queryset=get_user_model().objects.none(),
                                     required=False, empty_label="请选择", widget=PersonPicker,
                                     error_messages={"invalid_choice": "请从本单位人员中选择销毁人"})
    destroyed_by_name = forms.CharField(label="承销单位操作人员姓名", max_length=100, required=False,
                                        help_text="送销的，由承销单位人员操作时填写其姓名，不选本单位人员")

    def __init__(self, *args, level, method, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["destroyed_by"].queryset = people_queryset().filter(policy.eligible_destroyers_q(level=level))
        if method != DestructionMethod.SEND:
            # Only a batch sent to a 承销单位 is destroyed by someone without an account here.
            del self.fields["destroyed_by_name"]

    def clean(self):
        cleaned = super().clean()
        if "destroyed_by" in self.errors:
            # Whatever was posted in the person slot (typed text such as "按规定粉碎销毁", an id of
            # someone not offered), the answer is the same: pick a person of the unit.
            self.errors["destroyed_by"] = self.error_class(["请从本单位人员中选择销毁人"])
        return cleaned


# ------------------------------------------------------------------ copy, carry out and repair
# Syntax only, like the forms above: every rule (份数 range, 绝密 consent, companions, supervisor,
# dates) is decided by the request services (approvals.kinds) and comes back next to its field. Fields are
# therefore optional here, so a missing value is answered by the service's own Chinese sentence.

INTEGER_INVALID = {"invalid": "请输入整数"}
DATE_INVALID = {"invalid": "请输入有效的日期，如 2026-11-25"}


def cleared_people_queryset(level, exclude=None):
    """People who could be named for a carrier of this level (同行人员, 现场监督人): the people of
    people_queryset whose clearance reaches the level, the requester excluded.

    One query (personnel.policy.cleared_for_level_q); it only narrows the choice — the services re-check every
    chosen person with policy.companion_refusal / supervisor_refusal.
    """
    queryset = people_queryset().filter(cleared_for_level_q(level))
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset


class ConsentFields(SafeForm):
    # REG24 art. 29(4); LAW24 art. 26: a 绝密 copy needs the original classifying authority's consent.
    consent_authority = forms.CharField(label="原定密机关", max_length=200, required=False,
                                        help_text="原定密机关、单位或其上级机关")
    consent_letter = forms.CharField(label="同意文件文号", max_length=100, required=False)
    consent_date = forms.DateField(label="同意日期", required=False, widget=forms.DateInput(**DATE_WIDGET),
                                   error_messages=DATE_INVALID, validators=[not_before_1949_10_01])


class CopyCommonFields(SafeForm):
    copy_count = forms.IntegerField(label="份数", required=False, initial=1, error_messages=INTEGER_INVALID,
                                    widget=forms.NumberInput(attrs={"min": 1, "max": MAX_COPIES}),
                                    help_text=f"1 至 {MAX_COPIES} 份")
    copy_maker = forms.CharField(label="承制单位", max_length=200, required=False,
                                 help_text="在本单位复制的可不填；送定点复制单位的填写其名称")
    reason = forms.CharField(label="用途", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}))


CONSENT_SECTION = "原定密机关同意（绝密级载体必填）"


class CopyRequestForm(CopyCommonFields, ConsentFields, SectionedForm):
    """申请复制（摘抄） of one carrier. A 汇编 of several carriers has its own page."""

    copy_mode = forms.ChoiceField(label="复制方式", required=False, initial=CopyMode.COPY, widget=forms.RadioSelect,
                                  choices=[(CopyMode.COPY, "复制（全文）"), (CopyMode.EXCERPT, "摘抄（部分内容）")])

    sections = (
        ("复制要求", ("copy_mode", "copy_count", "copy_maker", "reason")),
        (CONSENT_SECTION, ("consent_authority", "consent_letter", "consent_date")),
    )
    wide_fields = ("reason",)

    def request_data(self):
        data = self.cleaned_data
        return {
            "mode": data.get("copy_mode") or "", "count": data.get("copy_count"), "reason": data.get("reason", ""),
            "copy_maker": data.get("copy_maker", ""), "consent_authority": data.get("consent_authority", ""),
            "consent_letter": data.get("consent_letter", ""), "consent_date": data.get("consent_date"),
        }


# How many parts one 汇编 may name; more is a typing accident, not a compilation.
MAX_COMPILE_PARTS = 100


class CompileRequestForm(CopyCommonFields, ConsentFields, SectionedForm):
    """申请汇编: the parts by their 统一编号 (typed or scanned), the 汇编本名称, 份数 and 用途."""

    serials = forms.CharField(label="汇编的载体（统一编号）", required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="每行一个，或用空格、逗号分隔；可用扫码枪逐个录入")
    copy_title = forms.CharField(label="汇编本名称", max_length=300, required=False)

    sections = (
        ("汇编内容", ("serials", "copy_title", "copy_count", "copy_maker", "reason")),
        ("原定密机关同意（汇编的载体中有绝密级时必填）", ("consent_authority", "consent_letter", "consent_date")),
    )
    wide_fields = ("serials", "copy_title", "reason")
    error_aliases = {"carriers": "serials", "copy_mode": "serials"}

    SEPARATORS = str.maketrans({ch: " " for ch in ",，;；、\u3000"})

    def serial_list(self):
        """The typed 统一编号, in order, each once."""
        text = (self.cleaned_data.get("serials") or "").translate(self.SEPARATORS)
        return list(dict.fromkeys(text.split()))

    def request_data(self):
        data = self.cleaned_data
        return {
            "mode": CopyMode.COMPILE, "count": data.get("copy_count"), "reason": data.get("reason", ""),
            "copy_title": data.get("copy_title", ""), "copy_maker": data.get("copy_maker", ""),
            "consent_authority": data.get("consent_authority", ""), "consent_letter": data.get("consent_letter", ""),
            "consent_date": data.get("consent_date"),
        }


class CarryRequestForm(SectionedForm):
    """申请外出携带. 同行人员 are offered among active people cleared for the carrier's level."""

    destination = forms.CharField(label="前往地点", max_length=200, required=False)
    depart_date = forms.DateField(label="外出日期", required=False, widget=forms.DateInput(**DATE_WIDGET),
                                  error_messages=DATE_INVALID)
    due_date = forms.DateField(label="应返回日期", required=False, widget=forms.DateInput(**DATE_WIDGET),
                               error_messages=DATE_INVALID)
    reason = forms.CharField(label="外出事由", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    abroad = forms.BooleanField(label="携带出境", required=False,
                                help_text="出境须经审批人同时批准；绝密级载体禁止携带出境")
    companions = PeopleChoiceField(label="同行人员", queryset=get_user_model().objects.none(), required=False,
                                   widget=PeoplePicker,
                                   help_text="输入姓名、拼音首字母或部门查找；只列出涉密等级不低于该载体密级的人员")

    sections = (("外出携带", ("destination", "depart_date", "due_date", "abroad", "reason", "companions")),)
    wide_fields = ("reason", "companions")

    def __init__(self, *args, carrier, requester, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["companions"].queryset = cleared_people_queryset(carrier.level, exclude=requester)
        if carrier.level >= Level.TOP_SECRET:
            self.fields["companions"].help_text = "绝密级载体须两人以上同行：至少选择两名具有绝密级涉密资格的人员"
            self.fields["abroad"].help_text = "绝密级载体禁止携带出境"

    def request_data(self):
        data = self.cleaned_data
        return {
            "destination": data.get("destination", ""), "depart_date": data.get("depart_date"),
            "due_date": data.get("due_date"), "reason": data.get("reason", ""), "abroad": bool(data.get("abroad")),
            "companions": list(data.get("companions") or []),
        }


class RepairRequestForm(SectionedForm):
    """申请维修 (the registrar, devices and media)."""

    repair_mode = forms.ChoiceField(label="维修方式", required=False, widget=forms.RadioSelect,
                                    choices=RepairMode.choices)
    repairer = forms.CharField(label="维修单位/人员", max_length=200, required=False)
    supervisor = PersonChoiceField(label="现场监督人", queryset=get_user_model().objects.none(), required=False,
                                   empty_label="请选择", widget=PersonPicker,
                                   help_text="现场维修必填，须具有相应涉密资格")
    reason = forms.CharField(label="故障情况和维修事由", max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))

    sections = (("维修", ("repair_mode", "repairer", "supervisor", "reason")),)
    wide_fields = ("reason",)

    def __init__(self, *args, carrier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = cleared_people_queryset(carrier.level)

    def request_data(self):
        data = self.cleaned_data
        return {
            "mode": data.get("repair_mode") or "", "repairer": data.get("repairer", ""),
            "supervisor": data.get("supervisor"), "reason": data.get("reason", ""),
        }


class MakeCopiesForm(SafeForm):
    # REG24 art. 27(5): every copy bears the copying unit's stamp (复制戳记).
    copy_stamp = forms.CharField(label="复制戳记", max_length=200, required=False,
                                 help_text="加盖在每份复制件上的复制机关、单位戳记")


class RepairStartForm(SafeForm):
    # QA 57: off-site repair only after the storage part is removed; the removal is recorded.
    storage_removed_note = forms.CharField(label="存储部件拆除情况", max_length=1000, required=False,
                                           widget=forms.Textarea(attrs={"rows": 2}),
                                           help_text="送外维修必填：拆除的部件、序列号和存放位置")


class ReclassifyRequestForm(SectionedForm):
    """申请密级变更 / 延长或缩短保密期限 / 提前解密 of one carrier. The new period counts from the
    carrier's 制发日; the service checks it against the new level's cap and the old period."""

    change_type = forms.ChoiceField(label="变更事项", required=False, widget=forms.RadioSelect,
                                    choices=ReclassifyType.choices, initial=ReclassifyType.EXTEND)
    new_level = forms.TypedChoiceField(label="新密级", required=False, coerce=int, empty_value=None,
                                       choices=[("", "请选择")] + [(lv.value, lv.label) for lv in (
                                           Level.TOP_SECRET, Level.SECRET, Level.CONFIDENTIAL)],
                                       help_text="只在“变更密级”时填写")
    new_period_kind = forms.ChoiceField(label="新保密期限", required=False,
                                        choices=[("", "请选择"), (PeriodKind.TERM, "期限（日、月、年）"),
                                                 (PeriodKind.DATE, "解密时间"), (PeriodKind.CONDITION, "解密条件"),
                                                 (PeriodKind.LONG_TERM, "长期")],
                                        help_text="提前解密时不填；期限自载体的制发日起算")
    new_period_value = forms.IntegerField(label="期限数值", required=False, min_value=1, max_value=36500,
                                          error_messages=INTEGER_INVALID)
    new_period_unit = forms.ChoiceField(label="期限单位", required=False, initial=PeriodUnit.YEAR,
                                        choices=PeriodUnit.choices)
    new_declassify_date = forms.DateField(label="解密时间", required=False, widget=forms.DateInput(**DATE_WIDGET),
                                          error_messages=DATE_INVALID, validators=[not_before_1949_10_01])
    new_declassify_condition = forms.CharField(label="解密条件", max_length=200, required=False)
    new_long_term_basis = forms.CharField(label="长期依据（保密事项范围条目）", max_length=300, required=False)
    new_period_special = forms.BooleanField(label="另有规定（超过法定最长期限）", required=False)
    new_period_special_reason = forms.CharField(label="另有规定依据", max_length=300, required=False)
    change_basis = forms.CharField(label="变更依据", max_length=300, required=False,
                                   help_text="保密事项范围的条目、上级机关通知等")
    reason = forms.CharField(label="变更理由", max_length=1000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))

    sections = (
        ("变更事项", ("change_type", "new_level")),
        ("新保密期限（变更密级、延长或缩短期限时填写）", (
            "new_period_kind", "new_period_value", "new_period_unit", "new_declassify_date",
            "new_declassify_condition", "new_long_term_basis", "new_period_special", "new_period_special_reason")),
        ("依据和理由", ("change_basis", "reason")),
    )
    wide_fields = ("reason", "change_basis")

    def request_data(self):
        data = self.cleaned_data
        return {
            "change_type": data.get("change_type") or "", "new_level": data.get("new_level"),
            "period_kind": data.get("new_period_kind") or "", "period_value": data.get("new_period_value"),
            "period_unit": data.get("new_period_unit") or "", "declassify_date": data.get("new_declassify_date"),
            "declassify_condition": data.get("new_declassify_condition", ""),
            "long_term_basis": data.get("new_long_term_basis", ""),
            "period_special": data.get("new_period_special", False),
            "period_special_reason": data.get("new_period_special_reason", ""),
            "change_basis": data.get("change_basis", ""), "reason": data.get("reason", ""),
        }


class ScopeRequestForm(SectionedForm):
    """申请扩大知悉范围 of one carrier (SPEC §5): one person cleared for it, or one department."""

    user = PersonChoiceField(label="拟列入人员", queryset=get_user_model().objects.none(), required=False,
                             empty_label="（不选）", widget=PersonPicker, help_text="只列出涉密等级不低于该载体密级的人员")
    group = forms.ModelChoiceField(label="拟列入部门", queryset=Department.objects.none(), required=False,
                                   empty_label="（不选）", help_text="人员和部门二选一；部门内人员仍须涉密等级不低于载体密级才能看到")
    reason = forms.CharField(label="理由（工作需要）", max_length=300,
                             error_messages={"required": "请填写扩大知悉范围的理由（工作需要）"},
                             widget=forms.Textarea(attrs={"rows": 3}))

    sections = (("知悉范围扩大", ("user", "group", "reason")),)
    wide_fields = ("reason",)
    error_aliases = {}

    def __init__(self, *args, carrier, requester=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = cleared_people_queryset(carrier.level, exclude=requester)
        self.fields["group"].queryset = Department.objects.select_related("group").order_by("id")

    def request_data(self):
        user, department = self.cleaned_data.get("user"), self.cleaned_data.get("group")
        return {"user_id": user.pk if user else None, "group_id": department.group_id if department else None,
                "reason": self.cleaned_data.get("reason", "")}
