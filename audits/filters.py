"""The auditor's filters over the audit log, shared by the event search and its exports."""
import datetime as dt
import re
import zoneinfo

import django_filters
from django_filters.fields import ChoiceField
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address

from secrecy.forms import SafeForm
from secrecy.levels import Level

from .labels import action_group, action_label, group_label
from .models import AuditEvent, AuditResult

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

# "carrier.*" in the action select means every action of the group.
PREFIX_SUFFIX = ".*"
_IP_PREFIX = re.compile(r"^[0-9A-Fa-f:.]{1,39}$")
_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?$")


def day_start(day):
    """Midnight in Beijing of a date, as an aware datetime: the log stores UTC (SPEC §10) and the
    auditor thinks in local days. A range on `at` (indexed) rather than `at__date`, which would
    wrap the column in a function and lose the index."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


def action_choices(codes):
    """Grouped choices for the select: per group "全部" (prefix) and then each action present."""
    groups = {}
    for code in codes:
        groups.setdefault(action_group(code), []).append(code)
    choices = [("", "全部")]
    for group in sorted(groups, key=lambda g: (g == "", g)):
        options = []
        if group:
            options.append((group + PREFIX_SUFFIX, f"{group_label(group)}：全部"))
        for code in sorted(groups[group]):
            label = action_label(code)
            options.append((code, f"{label}（{code}）" if label != code else code))
        choices.append((group_label(group), options))
    return choices


class IpOrPrefixField(forms.CharField):
    """A full address (matched exactly) or its beginning, e.g. "10.1.2." (matched as a prefix).

    Checked here so nothing but address characters reaches the database: PostgreSQL's inet column
    refuses a malformed address in an equality test with an error instead of "no rows"."""

    def clean(self, value):
        value = (super().clean(value) or "").strip()
        if value and not _IP_PREFIX.match(value):
            raise ValidationError("请输入 IP 地址或其开头部分，例如 10.1.2.3 或 10.1.2.")
        return value


class IpOrPrefixFilter(django_filters.CharFilter):
    field_class = IpOrPrefixField


class ActionChoiceField(ChoiceField):
    """The select offers the actions present in the log, but any well-formed code is accepted, so
    a link such as ?action=auth.login_failed means "none" on a day without one instead of being
    dropped as invalid (which would show every event), and filtering needs no list of codes."""

    def valid_value(self, value):
        return bool(_ACTION.match(str(value)))


class ActionFilter(django_filters.ChoiceFilter):
    field_class = ActionChoiceField


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(label="操作人账号", field_name="actor_username", lookup_expr="icontains",
                                      widget=forms.TextInput(attrs={"placeholder": "账号包含…"}))
    action = ActionFilter(label="动作", method="filter_action", empty_label=None, choices=[("", "全部")])
    target = django_filters.CharFilter(label="对象", field_name="target_repr", lookup_expr="icontains",
                                       widget=forms.TextInput(attrs={"placeholder": "对象包含…"}))
    level = django_filters.ChoiceFilter(label="密级", choices=Level.choices, empty_label="全部")
    result = django_filters.ChoiceFilter(label="结果", choices=AuditResult.choices, empty_label="全部")
    date_from = django_filters.DateFilter(label="日期从", method="filter_date_from",
                                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = django_filters.DateFilter(label="日期至", method="filter_date_to",
                                        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    source_ip = IpOrPrefixFilter(label="来源IP", method="filter_source_ip",
                                 widget=forms.TextInput(attrs={"placeholder": "10.1.2.3 或 10.1.2."}))

    class Meta:
        model = AuditEvent
        fields = []
        form = SafeForm

    def __init__(self, data=None, *args, action_codes=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        if action_codes is not None:
            # The actions present in the log, known only at request time: set before the lazily
            # built form exists. Filtering alone passes none (any well-formed code is valid).
            self.filters["action"].extra["choices"] = action_choices(action_codes)

    def filter_action(self, queryset, name, value):
        if not value:
            return queryset
        if value.endswith(PREFIX_SUFFIX):
            return queryset.filter(action__startswith=value[: -len(PREFIX_SUFFIX)] + ".")
        return queryset.filter(action=value)

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(at__gte=day_start(value)) if value else queryset

    def filter_date_to(self, queryset, name, value):
        # The whole of the "to" day is included.
        return queryset.filter(at__lt=day_start(value + dt.timedelta(days=1))) if value else queryset

    def filter_source_ip(self, queryset, name, value):
        if not value:
            return queryset
        try:
            validate_ipv46_address(value)
        except ValidationError:
            return queryset.filter(source_ip__startswith=value)
        return queryset.filter(source_ip=value)


FILTER_KEYS = tuple(AuditEventFilter.base_filters)


def describe_filters(cleaned):
    """筛选条件 as printed on an export, e.g. "动作：登录失败；日期：2026-05-01 至 2026-05-01"."""
    parts = []
    if cleaned.get("actor"):
        parts.append(f"操作人账号包含：{cleaned['actor']}")
    action = cleaned.get("action")
    if action:
        if action.endswith(PREFIX_SUFFIX):
            parts.append(f"动作：{group_label(action[: -len(PREFIX_SUFFIX)])}（全部）")
        else:
            parts.append(f"动作：{action_label(action)}")
    if cleaned.get("target"):
        parts.append(f"对象包含：{cleaned['target']}")
    if cleaned.get("level"):
        parts.append(f"密级：{Level(int(cleaned['level'])).label}")
    if cleaned.get("result"):
        parts.append(f"结果：{AuditResult(cleaned['result']).label}")
    date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
    if date_from or date_to:
        parts.append(f"日期：{date_from or '不限'} 至 {date_to or '不限'}")
    if cleaned.get("source_ip"):
        parts.append(f"来源IP：{cleaned['source_ip']}")
    return "；".join(parts)
