"""Registration, correction and 知悉范围 forms.

The forms check syntax only (types, known choices); every business rule — caps, 份号, 定密依据,
who may register where — is decided by documents.services, whose ValidationFailed errors are put
back next to the field they concern (see apply_domain_error).
"""
from django import forms
from django.contrib.auth import get_user_model

from personnel.models import ADMIN_ROLES, Department
from personnel.widgets import PeoplePicker, PersonPicker
from secrecy.errors import ValidationFailed
from secrecy.forms import INT_MAX, SafeForm
from secrecy.levels import CAP_YEARS, STATE_SECRET_LEVELS, Level, PeriodKind, PeriodUnit, Urgency

from . import services
from .models import Carrier, CarrierKind, Direction, TransmissionMethod
from .services import CORRECTABLE_FIELDS, REGISTRATION_FIELDS, SERIAL_REQUIRED_KINDS

LEVEL_INVALID = "请选择有效的密级（绝密、机密、秘密或内部）"
DATE_WIDGET = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}

DEFAULT_PERIOD_HELP = (
    "不标注保密期限时，按该密级的最长期限登记（"
    + "、".join(f"{Level(level).label}{years}年" for level, years in sorted(CAP_YEARS.items(), reverse=True))
    + "）"
)


def _label(name):
    return str(Carrier._meta.get_field(name).verbose_name)


def people_queryset():
    """Accounts that can hold carriers or be named on them: active, with a 涉密人员 record,
    and not one of the three administrators (they have no access to carrier content)."""
    return (
        get_user_model().objects.filter(is_active=True, person__isnull=False)
        .exclude(groups__name__in=ADMIN_ROLES)
        .select_related("person__department")
        .order_by("person__department_id", "person__full_name", "id")
        .distinct()
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        person = obj.person
        return f"{person.full_name}（{person.department.name}）"


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        person = obj.person
        return f"{person.full_name}（{person.department.name}）"


class OrderedPeopleChoiceField(PeopleChoiceField):
    """People in the order they were picked (the people picker posts them so), each once."""

    def clean(self, value):
        chosen = {str(user.pk): user for user in super().clean(value)}
        return [chosen[key] for key in dict.fromkeys(str(v) for v in value or ()) if key in chosen]


class CarrierFieldsForm(SafeForm):
    """Every column of the 收文/发文登记簿; subclasses drop the ones a direction does not use."""

    # Basic data
    title = forms.CharField(label=_label("title"), max_length=300)
    doc_number = forms.CharField(label=_label("doc_number"), max_length=100, required=False)
    issuer = forms.CharField(label=_label("issuer"), max_length=200, required=False)
    recipients = forms.CharField(label=_label("recipients"), max_length=300, required=False)
    kind = forms.ChoiceField(label=_label("kind"), choices=[("", "请选择")] + CarrierKind.choices)
    device_serial = forms.CharField(label=_label("device_serial"), max_length=100, required=False,
                                    help_text="磁介质、移动存储、涉密计算机及设备须填写（硬盘序列号等）")
    attachments = forms.CharField(label=_label("attachments"), max_length=200, required=False)

    # 定密: level and period
    level = forms.TypedChoiceField(label=_label("level"), coerce=int,
                                   choices=[("", "请选择")] + sorted(Level.choices, reverse=True),
                                   error_messages={"invalid_choice": LEVEL_INVALID, "required": LEVEL_INVALID})
    period_kind = forms.ChoiceField(label="保密期限", required=False,
                                    choices=[("", "不标注（按最长期限）"), (PeriodKind.TERM, "期限（日、月、年）"),
                                             (PeriodKind.DATE, "解密时间"), (PeriodKind.CONDITION, "解密条件"),
                                             (PeriodKind.LONG_TERM, "长期")],
                                    help_text=DEFAULT_PERIOD_HELP)
    period_value = forms.IntegerField(label=_label("period_value"), required=False, min_value=1, max_value=36500)
    period_unit = forms.ChoiceField(label=_label("period_unit"), required=False, initial=PeriodUnit.YEAR,
                                    choices=PeriodUnit.choices)
    declassify_date = forms.DateField(label=_label("declassify_date"), required=False,
                                      widget=forms.DateInput(**DATE_WIDGET))
    declassify_condition = forms.CharField(label=_label("declassify_condition"), max_length=200, required=False,
                                           help_text="例如：会议结束后、项目验收后")
    long_term_basis = forms.CharField(label=_label("long_term_basis"), max_length=300, required=False,
                                      help_text="只有保密事项范围明确规定可以“长期”的事项才能标注长期")
    period_special = forms.BooleanField(label="另有规定（保密期限超过法定最长期限）", required=False)
    period_special_reason = forms.CharField(label=_label("period_special_reason"), max_length=300, required=False)
    start_date = forms.DateField(label=_label("start_date"), required=False, widget=forms.DateInput(**DATE_WIDGET),
                                 help_text="保密期限的起算日；不填则按收文/发文日期")
    scope_note = forms.CharField(label="知悉范围（文字说明）", max_length=300, required=False,
                                 help_text="如：本单位处级以上领导")
    basis = forms.CharField(label=_label("basis"), max_length=300, required=False,
                            help_text="保密事项范围的名称和条目，如《××工作国家秘密范围的规定》第3条")
    drafter = PersonChoiceField(label=_label("drafter"), queryset=get_user_model().objects.none(), required=False,
                                empty_label="请选择")
    classifier = PersonChoiceField(label=_label("classifier"), queryset=get_user_model().objects.none(),
                                   required=False, empty_label="请选择",
                                   help_text="须具有相应密级的定密权限")

    # Copies and handling
    copy_number = forms.IntegerField(label=_label("copy_number"), required=False, min_value=1, max_value=999999,
                                     help_text="6 位数字，如 000007；绝密、机密载体必须标注")
    copies = forms.IntegerField(label=_label("copies"), min_value=1, max_value=INT_MAX, initial=1)
    pages = forms.CharField(label=_label("pages"), max_length=50, required=False,
                            help_text="纸质文件填页数；介质填容量")
    urgency = forms.ChoiceField(label=_label("urgency"), required=False, choices=Urgency.choices)
    # The 1949-10-01 floor of the three registration dates is the service's (_clean_registration),
    # so it is reported together with every other registration error, in one round.
    doc_date = forms.DateField(label=_label("doc_date"), widget=forms.DateInput(**DATE_WIDGET))
    signed_by = forms.CharField(label=_label("signed_by"), max_length=50, required=False)
    transmission = forms.ChoiceField(label=_label("transmission"), required=False, choices=TransmissionMethod.choices)
    department = forms.ModelChoiceField(label=_label("department"), queryset=Department.objects.none(),
                                        empty_label="请选择")
    location = forms.CharField(label=_label("location"), max_length=100, required=False)
    notes = forms.CharField(label=_label("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    #: field names kept for this form; None keeps all.
    used_fields = None
    labels = {}

    def __init__(self, *args, registrar, **kwargs):
        super().__init__(*args, **kwargs)
        if self.used_fields is not None:
            for name in list(self.fields):
                if name in REGISTRATION_FIELDS and name not in self.used_fields:
                    del self.fields[name]
        for name, label in self.labels.items():
            if name in self.fields:
                self.fields[name].label = label
        people = people_queryset()
        for name in ("drafter", "classifier"):
            if name in self.fields:
                self.fields[name].queryset = people
        if "classifier" in self.fields:
            self.fields["classifier"].queryset = people.filter(person__classification_authority__gte=Level.CONFIDENTIAL)
        person = getattr(registrar, "person", None)
        if "department" in self.fields:
            self.fields["department"].queryset = (
                person.served_departments.order_by("id") if person is not None else Department.objects.none()
            )

    def registration_data(self):
        """The cleaned values under the service's field names (nothing else)."""
        return {name: self.cleaned_data.get(name) for name in REGISTRATION_FIELDS if name in self.fields}

    # Groups for the template, in the order of the paper register.
    sections = (
        ("基本信息", ("title", "doc_number", "issuer", "recipients", "kind", "device_serial", "attachments", "pages")),
        ("密级与保密期限", ("level", "period_kind", "period_value", "period_unit", "declassify_date",
                         "declassify_condition", "long_term_basis", "period_special", "period_special_reason",
                         "start_date", "basis", "drafter", "classifier")),
        ("份号与收发", ("copy_number", "copies", "urgency", "doc_date", "signed_by", "transmission")),
        ("管理与保管", ("department", "location", "notes")),
        ("知悉范围", ("scope_note", "scope_users", "scope_groups")),
    )

    # Free-text fields that get a whole row in the form grid.
    wide_fields = ("title", "scope_note", "notes", "period_special_reason", "basis", "reason",
                   "scope_users", "scope_groups", "internal")

    def grouped_fields(self):
        groups = []
        for title, names in self.sections:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                groups.append((title, fields))
        return groups


class ScopeChoicesMixin(SafeForm):
    scope_users = PeopleChoiceField(label="知悉范围（人员）", queryset=get_user_model().objects.none(), required=False,
                                    widget=PeoplePicker, help_text="输入姓名、拼音首字母（如 wwj）或部门查找，可选多人")
    scope_groups = forms.ModelMultipleChoiceField(label="知悉范围（部门）", queryset=Department.objects.none(),
                                                  required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope_users"].queryset = people_queryset()
        self.fields["scope_note"].help_text = "如：本单位处级以上领导；具体人员和部门在右侧和下方选择"
        self.fields["scope_groups"].queryset = Department.objects.select_related("group").order_by("id")

    def scope_targets(self):
        users = list(self.cleaned_data.get("scope_users") or [])
        groups = [department.group for department in (self.cleaned_data.get("scope_groups") or [])]
        return users, groups


INCOMING_FIELDS = (
    "title", "doc_number", "issuer", "kind", "device_serial", "attachments", "level", "period_kind",
    "period_value", "period_unit", "declassify_date", "declassify_condition", "long_term_basis", "period_special",
    "period_special_reason", "start_date", "scope_note", "drafter", "copy_number", "copies", "pages", "urgency",
    "doc_date", "signed_by", "transmission", "department", "location", "notes",
)
OUTGOING_FIELDS = INCOMING_FIELDS + ("recipients", "basis", "classifier")

INCOMING_LABELS = {"issuer": "来文单位", "doc_date": "收文日期", "doc_number": "来文文号"}
OUTGOING_LABELS = {"issuer": "制发单位", "doc_date": "发文日期", "doc_number": "发文文号",
                   "signed_by": "签收人（对方）"}


def _values(*values):
    return ",".join(str(value) for value in values)


class RegistrationRulesMixin(SafeForm):
    """One round of errors (issue 14 §1): when the form's own syntax check fails, the service's
    rules (services.carrier_registration_problems) are run on the fields that did parse and put
    at their fields too, so 签收人 or 份号 are not reported only after 标题 is fixed. An empty
    required field reads the service's words ("请填写文件标题/名称"), as on the path where the form is
    valid and the service refuses. The service stays the authority: it checks everything again.

    Fields that become required with another field's value (份号 for 机密/绝密 …) say so in
    `data-required-if="<field>:<values>"`; static/js/app.js shows their * as soon as they are."""

    direction = None
    #: {field: (the field it depends on, the values that make it required)}
    required_if = {
        "copy_number": ("level", _values(Level.SECRET, Level.TOP_SECRET)),
        "device_serial": ("kind", _values(*SERIAL_REQUIRED_KINDS)),
    }
    always_required = ()

    def __init__(self, *args, registrar, **kwargs):
        super().__init__(*args, registrar=registrar, **kwargs)
        self.registrar = registrar
        for name in self.always_required:
            self.fields[name].required = True
        for name, (other, values) in self.required_if.items():
            if name in self.fields:
                self.fields[name].widget.attrs["data-required-if"] = f"{self.add_prefix(other)}:{values}"

    def registration_direction(self):
        return self.direction

    def clean(self):
        cleaned = super().clean()
        if self._errors:
            self._add_service_problems(cleaned)
        return cleaned

    def _add_service_problems(self, cleaned):
        data = {name: cleaned.get(name) for name in REGISTRATION_FIELDS
                if name in self.fields and name not in self._errors}
        problems = services.carrier_registration_problems(
            actor=self.registrar, direction=self.registration_direction(), data=data,
            scope_users=list(cleaned.get("scope_users") or ()))
        for field, message in problems.items():
            if field not in self.fields:
                self.add_error(None, message)
            elif field not in self._errors:
                self.add_error(field, message)
            elif self.has_error(field, "required"):
                self._errors[field] = self.error_class([message])


class IncomingRegistrationForm(RegistrationRulesMixin, ScopeChoicesMixin, CarrierFieldsForm):
    """收文登记簿: every column of the incoming register."""

    used_fields = INCOMING_FIELDS
    labels = INCOMING_LABELS
    direction = Direction.INCOMING
    # REG24 art. 27(2): a received carrier is 登记 with where it came from and 签收.
    always_required = ("issuer", "signed_by")


class OutgoingRegistrationForm(RegistrationRulesMixin, ScopeChoicesMixin, CarrierFieldsForm):
    """发文登记簿 (or 自产): adds 发往单位, 定密依据, 定密责任人."""

    internal = forms.TypedChoiceField(
        label="登记类型", choices=[("0", "发文（发往外单位）"), ("1", "自产（本单位留存）")],
        coerce=lambda value: value == "1", initial="0", widget=forms.RadioSelect,
    )
    used_fields = OUTGOING_FIELDS
    labels = OUTGOING_LABELS
    state_secret = _values(*STATE_SECRET_LEVELS)
    # DM14 art. 21: a state-secret 发文/自产 records 承办人、定密责任人、定密依据; a 发文 its 发往单位.
    required_if = {**RegistrationRulesMixin.required_if, "recipients": ("internal", "0"),
                   "basis": ("level", state_secret), "drafter": ("level", state_secret),
                   "classifier": ("level", state_secret)}

    def registration_direction(self):
        return Direction.INTERNAL if self.cleaned_data.get("internal") else Direction.OUTGOING
    sections = ((CarrierFieldsForm.sections[0][0], ("internal",) + CarrierFieldsForm.sections[0][1]),) \
        + CarrierFieldsForm.sections[1:]


class CarrierCorrectionForm(CarrierFieldsForm):
    """更正登记: the correctable registration fields of the carrier's direction plus a required
    reason. 密级, 保密期限, 定密责任人, 定密依据 and 管理部门 are not offered: they change only through
    密级变更 or 移交 (services.CORRECTABLE_FIELDS), and the service refuses them if posted anyway."""

    reason = forms.CharField(label="更正原因", max_length=300, required=False,
                             help_text="必填；更正前的内容保留在变更历史中")

    def __init__(self, *args, carrier, registrar, **kwargs):
        self.carrier = carrier
        incoming = carrier.direction == Direction.INCOMING
        self.used_fields = tuple(f for f in (INCOMING_FIELDS if incoming else OUTGOING_FIELDS)
                                 if f in CORRECTABLE_FIELDS)
        self.labels = INCOMING_LABELS if incoming else OUTGOING_LABELS
        kwargs.setdefault("initial", {name: getattr(carrier, name) for name in REGISTRATION_FIELDS})
        super().__init__(*args, registrar=registrar, **kwargs)

    sections = CarrierFieldsForm.sections + (("更正说明", ("reason",)),)

    def changes(self):
        """Only the fields whose value differs from the carrier's, as the service expects."""
        changed = {}
        for name, value in self.registration_data().items():
            current = getattr(self.carrier, name)
            if (value in (None, "") and current in (None, "")) or value == current:
                continue
            changed[name] = value
        return changed


class ScopeChangeForm(SafeForm):
    """Add a person or department to the 知悉范围, or take one out, with a reason."""

    action = forms.ChoiceField(label="操作", choices=[("grant", "列入知悉范围"), ("revoke", "移出知悉范围")],
                               initial="grant", widget=forms.RadioSelect)
    user = PersonChoiceField(label="人员", queryset=get_user_model().objects.none(), required=False,
                             empty_label="（不选）", widget=PersonPicker)
    group = forms.ModelChoiceField(label="部门", queryset=Department.objects.none(), required=False,
                                   empty_label="（不选）", help_text="人员和部门二选一")
    reason = forms.CharField(label="理由", max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people_queryset()
        self.fields["group"].queryset = Department.objects.select_related("group").order_by("id")

    def target_ids(self):
        user = self.cleaned_data.get("user")
        department = self.cleaned_data.get("group")
        return (user.pk if user else None), (department.group_id if department else None)


def apply_domain_error(form, error):
    """Put a service's refusal next to the field it concerns; anything else above the form.

    The one place where DomainError becomes something the user reads on a form.
    """
    field_errors = error.field_errors if isinstance(error, ValidationFailed) else {}
    if not field_errors:
        form.add_error(None, error.message)
        return
    # A form may call a service field by another name (the 汇编 page's "serials" are the
    # service's "carriers").
    aliases = getattr(form, "error_aliases", {})
    for field, messages in field_errors.items():
        field = aliases.get(field, field)
        if isinstance(messages, str):
            messages = [messages]
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


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
