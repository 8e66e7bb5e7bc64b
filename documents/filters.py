import django_filters
from django import forms
from django.db.models import Q

from personnel.models import Department
from secrecy.errors import ValidationFailed
from secrecy.forms import SafeForm
from secrecy.levels import Level

from . import services_declassify
from .models import Carrier, CarrierKind, CustodyStatus, Direction, SecrecyStatus
from .search import apply_search


class CarrierFilter(django_filters.FilterSet):
    """Filters shared by the carrier list, the registers and their exports."""

    q = django_filters.CharFilter(label="搜索", method="search", widget=forms.TextInput(
        attrs={"placeholder": "统一编号 / 标题 / 文号 / 来文、发往单位", "autofocus": True}))
    level = django_filters.ChoiceFilter(label="密级", choices=Level.choices, empty_label="全部")
    kind = django_filters.ChoiceFilter(label="载体类别", choices=CarrierKind.choices, empty_label="全部")
    custody_status = django_filters.ChoiceFilter(label="状态", choices=CustodyStatus.choices, empty_label="全部")
    secrecy_status = django_filters.ChoiceFilter(label="涉密状态", choices=SecrecyStatus.choices, empty_label="全部")
    direction = django_filters.ChoiceFilter(label="方向", choices=Direction.choices, empty_label="全部")
    department = django_filters.ModelChoiceFilter(label="管理部门", queryset=Department.objects.all(), empty_label="全部")
    date_from = django_filters.DateFilter(label="日期从", field_name="doc_date", lookup_expr="gte",
                                          widget=forms.DateInput(attrs={"type": "date"}))
    date_to = django_filters.DateFilter(label="日期至", field_name="doc_date", lookup_expr="lte",
                                        widget=forms.DateInput(attrs={"type": "date"}))
    # The carriers the 自行解密 job declassified in its run of that day: the link of its digest
    # notice (documents.services_declassify). Visibility applies as to every other filter.
    declassified_on = django_filters.DateFilter(
        label="自行解密日期", widget=forms.DateInput(attrs={"type": "date"}),
        method=lambda queryset, name, value: queryset.filter(pk__in=services_declassify.declassified_in_run(value)))
    # The last secret day (自行解密日): the link of the expiry reminder (documents.jobs_declassify).
    expires_on = django_filters.DateFilter(label="保密期限届满日", field_name="declassify_on",
                                           widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = Carrier
        fields = []
        form = SafeForm

    def search(self, queryset, name, value):
        return apply_search(queryset, value)


# ------------------------------------------------------------------- filters of printed registers

FILTER_KEYS = tuple(CarrierFilter.base_filters)


def normalize_filters(filters, params=()):
    """The filters as a plain {name: str} dict of the known, non-empty ones (stored on jobs and in
    audit events), after checking them. Invalid input is refused instead of silently printing an
    unfiltered register. `params` are the register's own id parameters (e.g. "batch")."""
    filters = filters or {}
    data = {}
    for key in params:
        value = filters.get(key) if hasattr(filters, "get") else None
        value = "" if value is None else str(value).strip()
        if value:
            if not value.isdigit():
                raise ValidationFailed({key: f"参数 {key} 应为编号（数字）"})
            data[key] = value
    for key in FILTER_KEYS:
        value = filters.get(key) if hasattr(filters, "get") else None
        if value is None:
            continue
        value = str(value).strip()
        if value:
            data[key] = value
    form = CarrierFilter(data, queryset=Carrier.objects.none()).form
    if not form.is_valid():
        raise ValidationFailed({field: [str(e) for e in errors] for field, errors in form.errors.items()})
    return data


def describe_filters(filters, date_label="收发文日期"):
    """筛选条件 as printed on the register, e.g. "密级：机密；管理部门：业务一处"."""
    form = CarrierFilter(filters or {}, queryset=Carrier.objects.none()).form
    if not form.is_valid():
        return ""
    cleaned = form.cleaned_data
    parts = []
    for key in ("level", "kind", "custody_status", "secrecy_status", "direction", "department"):
        value = cleaned.get(key)
        if value in (None, ""):
            continue
        field = form.fields[key]
        if key == "department":
            shown = str(value)
        else:
            shown = dict(field.choices).get(value, dict((str(k), v) for k, v in field.choices).get(str(value), value))
        parts.append(f"{field.label}：{shown}")
    date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
    if date_from or date_to:
        parts.append(f"{date_label}：{date_from or '不限'} 至 {date_to or '不限'}")
    if (cleaned.get("q") or "").strip():
        parts.append(f"搜索：{cleaned['q'].strip()}")
    return "；".join(parts)
