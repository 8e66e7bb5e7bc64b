"""Printed registers of carriers (SPEC §11): one row builder per register, shared by PDF and XLSX,
and the services that produce, audit and queue them.

Every row comes from `carrier_list_visible_to`, so a register holds exactly what its reader may
see (SPEC §4); the three admin roles are refused outright (they see no carrier content).

Registers (columns per regulations_cn.md §8 and the SPEC §3 fields):
* ``incoming`` 收文登记簿 — carriers received (收文).
* ``outgoing`` 发文登记簿 — carriers the unit produced: both 发文 and 自产. Both carry the
  定密 record DM14 art. 21 asks for (承办人、定密责任人、定密依据), which is what this book
  exists to show; a 类型 column tells them apart and the direction filter narrows to one.
* ``ledger``   涉密载体台账 — every carrier, whatever its direction.

* ``loans``    借阅登记簿 — loans handed out, for the carriers the user may see.
* ``copies``   复制登记簿 — completed 复制/摘抄/汇编 requests, one row each with the copies made;
  a row only when the user may see every original, and only the copies the user may see are
  named in it (rule in full above `COPY_COLUMNS`).
* ``destruction`` 涉密载体销毁清单 — one destruction batch (parameter ``batch``): its carriers the
  user may see, totals per carrier kind and the signature lines (regulations_cn.md §8.5).
* ``circulation`` 传阅单 — one circulation (parameter ``circulation``): the carrier at the top, one
  row per reader with the 阅签 time and comment.

Later issues add ``personnel`` … with `@register_builder`.
"""
import dataclasses
import datetime as dt
import logging
import secrets
import zoneinfo
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from audits.models import AuditResult
from audits.services import record_event
from .policy import may_print_registers
from secrecy.errors import DomainError, NotVisible, PolicyDenied, ValidationFailed
from secrecy.levels import Level, Urgency, format_mark, highest_level, is_state_secret, level_label, period_rank
from secrecy.printing import Column, Register, RegisterChanged, StreamedRows, render_pdf, render_xlsx

from .filters import CarrierFilter
from .models import (
    KIND_COUNT_UNIT, Carrier, CarrierKind, CustodyStatus, Direction, RegisterFormat, RegisterJob, RegisterJobStatus,
    SecrecyStatus, TransmissionMethod,
)
from approvals.models import (
    ApprovalRequest, ApprovalStep, CopyMode, DestructionMethod, RequestItem, RequestKind, RequestState,
    ReturnCondition, StepDecision,
)
from approvals.selectors import destruction_batch_for_print
from .selectors import carrier_list_visible_to

logger = logging.getLogger(__name__)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
JOB_DIR = "registers"

CONTENT_TYPES = {
    RegisterFormat.PDF: "application/pdf",
    RegisterFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# SPEC §10: prints and exports are audited actions.
AUDIT_ACTIONS = {RegisterFormat.PDF: "register.print", RegisterFormat.XLSX: "register.export"}


@dataclasses.dataclass(frozen=True)
class RegisterSpec:
    name: str
    title: str
    build: object  # build(*, user, filters=None, progress=None) -> Register
    # Directions the register holds; None for all.
    directions: tuple | None
    # count(*, user, filters) -> rows, for registers whose rows are not carriers (e.g. loans);
    # None counts the visible carriers.
    count: object = None
    # Extra parameters (ids) the register takes besides the carrier filters, e.g. ("batch",).
    params: tuple = ()
    # Offered on the generic registers page; a register of one object (a batch) is printed from
    # that object's page instead.
    listed: bool = True
    # What the date range filters, as printed in 筛选条件.
    date_label: str = "收发文日期"
    # may_print(user) -> bool for registers with their own audience (e.g. the 涉密人员台账 is
    # 保密办's); None: anyone who may print carrier registers.
    may_print: object = None
    # The refusal shown when may_print says no.
    refusal: str = ""


REGISTERS = {}


def register_builder(name, title, *, directions=None, count=None, params=(), listed=True, date_label="收发文日期",
                     may_print=None, refusal=""):
    """Declare a register: `REGISTERS[name]` is then available to the web page, the command and
    the worker."""

    def decorate(build):
        REGISTERS[name] = RegisterSpec(name=name, title=title, build=build, directions=directions, count=count,
                                       params=tuple(params), listed=listed, date_label=date_label,
                                       may_print=may_print, refusal=refusal)
        return build

    return decorate


def describe_register_filters(name, filters):
    """筛选条件 of a named register (its date range may be on another date than 收发文日期)."""
    spec = REGISTERS.get(name)
    return describe_filters(filters, date_label=spec.date_label if spec else "收发文日期")


def register_choices():
    return [(spec.name, spec.title) for spec in REGISTERS.values() if spec.listed]


def get_spec(name):
    spec = REGISTERS.get(name)
    if spec is None:
        raise ValidationFailed({"register": f"未知的登记簿：{name}（可选：{', '.join(REGISTERS)}）"})
    return spec


# ----------------------------------------------------------------------------------- filters

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


# ------------------------------------------------------------------------------ row helpers


def _person(user):
    """A person's name as staff know it (the 涉密人员 record), else the account name."""
    if user is None:
        return ""
    try:
        person = user.person
    except (ObjectDoesNotExist, AttributeError):
        person = None
    if person is not None and person.full_name:
        return person.full_name
    return user.get_full_name() or user.get_username()


def printed_by_label(user):
    name = _person(user)
    username = user.get_username()
    return f"{name}（{username}）" if name and name != username else username


def _date(value):
    return value.isoformat() if value else ""


def _local_date(moment):
    return timezone.localtime(moment, SHANGHAI).date().isoformat() if moment else ""


def _status(carrier):
    status = CustodyStatus(carrier.custody_status).label
    if carrier.secrecy_status == SecrecyStatus.DECLASSIFIED:
        status += "（已解密）"
    return status


def _urgency(carrier):
    return Urgency(carrier.urgency).label if carrier.urgency else ""


def _transmission(carrier):
    return TransmissionMethod(carrier.transmission).label if carrier.transmission else ""


def _number_or_serial(carrier):
    parts = [carrier.doc_number] if carrier.doc_number else []
    if carrier.device_serial:
        parts.append(f"序列号 {carrier.device_serial}")
    return "\n".join(parts)


def _period_mark(carrier):
    """保密期限 printed as the full mark (机密★10年); a work secret has no state-secret period."""
    return carrier.mark if is_state_secret(carrier.level) else "—"


def _issuer(carrier):
    if carrier.issuer:
        return carrier.issuer
    # Outgoing and internal carriers are made by the unit itself.
    if carrier.direction in (Direction.OUTGOING, Direction.INTERNAL):
        return settings.SECRECY.get("UNIT_NAME", "")
    return ""


def _queryset(spec, *, user, filters):
    queryset = carrier_list_visible_to(user=user, filters=filters)
    if spec.directions:
        queryset = queryset.filter(direction__in=spec.directions)
    if spec.name == "outgoing":
        # Copies are registered as 自产 but the unit did not classify them (they keep the
        # original's mark); they are recorded in the 复制登记簿, not among the unit's own documents.
        queryset = queryset.filter(source_request__isnull=True)
    # The serial is "<year>-<6 digits>", unique and gapless: its text order is register order.
    return queryset.select_related(
        "custodian__person", "drafter__person", "classifier__person",
    ).order_by("serial")


def _build(spec, columns, *, user, filters, progress=None):
    """Rows of one register: (header, width, cell(carrier, number)) per column.

    The rows are streamed (secrecy.printing.StreamedRows): a 台账 of the whole unit can hold
    hundreds of thousands of carriers, which would not fit in a worker's memory as cells. What is
    read first, in one narrow query, is the register's snapshot — each row's id and level, in print
    order — because the level at the top of the sheet and of every page must be known before the
    rows are written. Every later read of the rows is checked against it, row by row: a carrier
    registered or re-levelled meanwhile fails the job (RegisterChanged) instead of printing a mark
    that does not match the rows under it.
    """
    filters = normalize_filters(filters)
    queryset = _queryset(spec, user=user, filters=filters)
    snapshot = list(queryset.values_list("pk", "level"))
    ids = [pk for pk, _ in snapshot]
    # A declassified carrier keeps its recorded level for the page mark: a page is never marked
    # lower than the highest level printed on it.
    levels = [int(level) for _, level in snapshot]
    del snapshot

    def produce():
        number = 0
        for number, carrier in enumerate(queryset.iterator(chunk_size=2000), start=1):
            if number > len(ids) or carrier.pk != ids[number - 1] or int(carrier.level) != levels[number - 1]:
                raise RegisterChanged()
            yield [cell(carrier, number) for _, _, cell in columns]
        if number != len(ids):
            raise RegisterChanged()

    if progress:
        progress(1.0)
    return Register(
        name=spec.name, title=spec.title,
        columns=[Column(header, width) for header, width, _ in columns],
        rows=StreamedRows(len(ids), produce), levels=levels, filters_description=describe_filters(filters),
        unit_name=settings.SECRECY.get("UNIT_NAME", ""),
    )


# ------------------------------------------------------------------------------- registers

# regulations_cn.md §8.1 plus SPEC §3 fields; 保密期限 is printed as the full mark (机密★10年).
INCOMING_COLUMNS = [
    ("序号", 8, lambda c, n: str(n)),
    ("统一编号", 18, lambda c, n: c.serial),
    ("收文日期", 16, lambda c, n: _date(c.doc_date)),
    ("来文单位", 20, lambda c, n: c.issuer),
    ("文号", 26, lambda c, n: c.doc_number),
    ("文件标题", 44, lambda c, n: c.title),
    ("密级", 9, lambda c, n: level_label(c.level)),
    ("保密期限", 21, lambda c, n: _period_mark(c)),
    ("份号", 11, lambda c, n: c.copy_number_display),
    ("份数", 8, lambda c, n: str(c.copies)),
    ("页数", 11, lambda c, n: c.pages),
    ("紧急程度", 9, lambda c, n: _urgency(c)),
    ("签收人", 11, lambda c, n: c.signed_by),
    ("管理部门", 13, lambda c, n: c.department.name),
    ("当前保管人", 12, lambda c, n: _person(c.custodian)),
    ("状态", 11, lambda c, n: _status(c)),
    ("备注", 14, lambda c, n: c.notes),
]

# regulations_cn.md §8.2 plus DM14 art. 21 (承办人、定密责任人、定密依据) and 传递方式 (REG24 art. 27(3)).
OUTGOING_COLUMNS = [
    ("序号", 8, lambda c, n: str(n)),
    ("统一编号", 18, lambda c, n: c.serial),
    ("发文日期", 16, lambda c, n: _date(c.doc_date)),
    ("类型", 9, lambda c, n: Direction(c.direction).label),
    ("文号", 26, lambda c, n: c.doc_number),
    ("文件标题", 44, lambda c, n: c.title),
    ("密级/标志", 21, lambda c, n: c.mark),
    ("份号", 11, lambda c, n: c.copy_number_display),
    ("份数", 8, lambda c, n: str(c.copies)),
    ("发往单位", 26, lambda c, n: c.recipients),
    ("定密责任人", 14, lambda c, n: _person(c.classifier)),
    ("承办人", 12, lambda c, n: _person(c.drafter)),
    ("定密依据", 30, lambda c, n: c.basis),
    ("传递方式", 13, lambda c, n: _transmission(c)),
    ("状态", 11, lambda c, n: _status(c)),
]

# regulations_cn.md §8.6 (classifiedtz) plus 保密期限、知悉范围 from the 科研单位 guidance.
LEDGER_COLUMNS = [
    ("序号", 8, lambda c, n: str(n)),
    ("统一编号", 18, lambda c, n: c.serial),
    ("登记日期", 16, lambda c, n: _local_date(c.registered_at)),
    ("文件资料名称", 42, lambda c, n: c.title),
    ("制发单位", 20, lambda c, n: _issuer(c)),
    ("载体类别", 16, lambda c, n: CarrierKind(c.kind).label),
    ("文号或编号", 27, lambda c, n: _number_or_serial(c)),
    ("密级", 9, lambda c, n: level_label(c.level)),
    ("保密期限", 21, lambda c, n: _period_mark(c)),
    ("页数或容量", 11, lambda c, n: c.pages),
    ("份数", 8, lambda c, n: str(c.copies)),
    ("知悉范围", 22, lambda c, n: c.scope_note),
    ("管理部门", 14, lambda c, n: c.department.name),
    ("保管人", 13, lambda c, n: _person(c.custodian)),
    ("状态", 11, lambda c, n: _status(c)),
    ("备注", 16, lambda c, n: c.notes),
]


@register_builder("incoming", "收文登记簿", directions=(Direction.INCOMING,))
def incoming(*, user, filters=None, progress=None):
    return _build(REGISTERS["incoming"], INCOMING_COLUMNS, user=user, filters=filters, progress=progress)


@register_builder("outgoing", "发文登记簿", directions=(Direction.OUTGOING, Direction.INTERNAL))
def outgoing(*, user, filters=None, progress=None):
    return _build(REGISTERS["outgoing"], OUTGOING_COLUMNS, user=user, filters=filters, progress=progress)


@register_builder("ledger", "涉密载体台账")
def ledger(*, user, filters=None, progress=None):
    return _build(REGISTERS["ledger"], LEDGER_COLUMNS, user=user, filters=filters, progress=progress)


# 借阅登记簿 (regulations_cn.md §8.3): one row per loan handed out (已借出 or 已归还), for the
# carriers the printing user may see; the same carrier filters as the other registers apply.
LOAN_COLUMNS = [
    ("序号", 7, lambda r, c, n: str(n)),
    ("借阅日期", 16, lambda r, c, n: _local_date(r.executed_at)),
    ("借阅人", 12, lambda r, c, n: _person(r.requester)),
    ("部门", 14, lambda r, c, n: _department(r.requester)),
    ("统一编号", 18, lambda r, c, n: c.serial),
    ("文件名称", 34, lambda r, c, n: c.title),
    ("文号", 22, lambda r, c, n: _number_or_serial(c)),
    ("密级", 8, lambda r, c, n: level_label(c.level)),
    ("份号", 11, lambda r, c, n: c.copy_number_display),
    ("借阅事由", 24, lambda r, c, n: r.reason),
    ("批准人", 12, lambda r, c, n: "、".join(_person(s.decided_by) for s in r.steps.all() if s.decision == "approve")),
    ("应还日期", 16, lambda r, c, n: _date(r.due_date)),
    ("实际归还日期", 18, lambda r, c, n: _local_date(r.completed_at)),
    ("归还检查", 22, lambda r, c, n: _return_check(r)),
    ("经手人", 12, lambda r, c, n: _handlers(r)),
    ("备注", 24, lambda r, c, n: _loan_notes(r)),
]


def _department(user):
    person = getattr(user, "person", None) if user is not None else None
    return person.department.name if person is not None else ""


def _return_check(request):
    if not request.return_condition:
        return ""
    label = ReturnCondition(request.return_condition).label
    return f"{label}：{request.return_note}" if request.return_note else label


def _handlers(request):
    names = [_person(request.checked_out_by)]
    if request.returned_to_id and request.returned_to_id != request.checked_out_by_id:
        names.append(_person(request.returned_to))
    return "、".join(n for n in names if n)


def _loan_notes(request):
    notes = [request.reference]
    if request.on_site:
        notes.append("阅文室阅读")
    if request.state == RequestState.IN_PROGRESS:
        overdue = request.due_date and request.due_date < timezone.localdate()
        notes.append("已逾期未还" if overdue else "借出中")
    return "；".join(notes)


def _loan_items(*, user, filters):
    # The rows are built from the user's visible carriers (one subquery), never the other way round.
    carriers = carrier_list_visible_to(user=user, filters=filters).order_by().values("id")
    return RequestItem.objects.filter(
        kind=RequestKind.LEND, carrier_id__in=carriers,
        request__state__in=[RequestState.IN_PROGRESS, RequestState.COMPLETED],
    )


def _loan_count(*, user, filters, cap=None):
    items = _loan_items(user=user, filters=filters)
    if cap is not None:
        return RequestItem.objects.filter(id__in=items.values("id")[: cap + 1]).count()
    return items.count()


@register_builder("loans", "借阅登记簿", count=_loan_count)
def loans(*, user, filters=None, progress=None):
    filters = normalize_filters(filters)
    items = _loan_items(user=user, filters=filters).select_related(
        "carrier", "request__requester__person__department", "request__checked_out_by__person",
        "request__returned_to__person",
    ).prefetch_related(
        Prefetch("request__steps", queryset=ApprovalStep.objects.select_related("decided_by__person")),
    ).order_by("request__executed_at", "request_id", "carrier__serial")
    items = list(items)
    rows, levels = [], []
    for number, item in enumerate(items, start=1):
        rows.append([cell(item.request, item.carrier, number) for _, _, cell in LOAN_COLUMNS])
        levels.append(int(item.carrier.level))
        if progress and number % 500 == 0:
            progress(number / len(items))
    return Register(
        name="loans", title=REGISTERS["loans"].title,
        columns=[Column(header, width) for header, width, _ in LOAN_COLUMNS],
        rows=rows, levels=levels, filters_description=describe_filters(filters),
        unit_name=settings.SECRECY.get("UNIT_NAME", ""),
    )


# ----------------------------------------------------------------------------------- copies
# 复制登记簿 (regulations_cn.md §8.4; REG24 art. 27(5), 29(4)): one row per completed 复制 / 摘抄 /
# 汇编 request — one approval, one entry, as the paper 复制审批登记 keeps it — with the copies it
# produced listed in the row.
#
# Visibility (SPEC §4), all through the one visibility selector, in SQL:
# * a request is a row only if the user may see *every* original of it. A copy or excerpt has one
#   original; a compilation's title, level and period derive from all of its parts, so a
#   compilation with a part the user may not see is left out entirely (not printed with a gap);
# * within a row, the 复制件 column lists only the produced copies the user may see. A copy the
#   user may not see is never named (no serial, no 份号). 份数 is the number the request approved
#   and the registrar made — a fact of the request, as shown on the request itself;
# * a compilation's name (汇编本名称) is the title of its copies, so it is printed only when the
#   user may see at least one of them; otherwise the row reads "汇编本" with its parts' titles.
# A user who may see a copy but not its original gets no row: the row would name the original.
#
# Filters: the date range is on the 复制日期 (the day the copies were made); 密级 is the level of
# the row (the highest level of its originals, which is the copies' level); every other carrier
# filter (管理部门, 载体类别, 方向, 状态, 搜索 …) keeps a request when at least one of its originals
# matches.

COPY_DATE_FILTERS = ("date_from", "date_to")
# Filters applied to the request, not to its originals.
COPY_OWN_FILTERS = COPY_DATE_FILTERS + ("level",)


def _lines(values):
    return "\n".join(v for v in values if v)


def _copy_title(request):
    originals = request.originals
    if request.copy_mode == CopyMode.COMPILE:
        head = f"《{request.copy_title}》（汇编本）" if request.copy_title and request.visible_copies else "汇编本"
        return _lines([head, "汇编自：" + "；".join(o.title for o in originals)])
    return _lines(o.title for o in originals)


def _original_number(carrier):
    number = _number_or_serial(carrier).replace("\n", " ") or "无文号"
    return f"{number}／份号 {carrier.copy_number_display or '无'}"


def _copy_level(request):
    return highest_level(o.level for o in request.originals)


def _copy_period(request):
    """The mark the copies carry: the original's; a compilation's is its highest level with the
    longest period of its parts (REG24 art. 27(5); approvals.kinds.copy._compiled_values)."""
    originals = request.originals
    if request.copy_mode != CopyMode.COMPILE:
        return _lines(_period_mark(o) for o in originals)
    level = _copy_level(request)
    if not is_state_secret(level):
        return "—"
    longest = max((o for o in originals if is_state_secret(o.level)),
                  key=lambda o: (period_rank(level=o.level, kind=o.period_kind, declassify_on=o.declassify_on), o.pk))
    return format_mark(level=level, kind=longest.period_kind, value=longest.period_value, unit=longest.period_unit,
                       date=longest.declassify_date, condition=longest.declassify_condition)


def _copies_made(request):
    return _lines(f"{c.serial} 份号 {c.copy_number_display or '无'}" for c in request.visible_copies)


def _approvers_of(request):
    return "、".join(_person(s.decided_by) for s in request.steps.all() if s.decision == StepDecision.APPROVE)


def _consent(request):
    # REG24 art. 29(4): 绝密 only with the consent of the original classifying authority.
    if request.consent_letter:
        return _lines([request.consent_authority, request.consent_letter, _date(request.consent_date)])
    return "未登记" if (_copy_level(request) or 0) >= Level.TOP_SECRET else "—"


COPY_COLUMNS = [
    ("序号", 6, lambda r, n: str(n)),
    ("复制日期", 17, lambda r, n: _local_date(r.executed_at)),
    ("原件统一编号", 19, lambda r, n: _lines(o.serial for o in r.originals)),
    ("文件资料名称", 30, lambda r, n: _copy_title(r)),
    ("原件文号/份号", 24, lambda r, n: _lines(_original_number(o) for o in r.originals)),
    ("密级", 8, lambda r, n: level_label(_copy_level(r))),
    ("保密期限", 17, lambda r, n: _copy_period(r)),
    ("复制方式", 9, lambda r, n: CopyMode(r.copy_mode).label if r.copy_mode else ""),
    ("份数", 6, lambda r, n: str(r.copy_count or "")),
    ("复制件统一编号及份号", 37, lambda r, n: _copies_made(r)),
    ("复制戳记", 17, lambda r, n: r.copy_stamp),
    ("用途", 18, lambda r, n: r.reason),
    ("承制单位", 13, lambda r, n: r.copy_maker or "本单位"),
    ("申请人", 12, lambda r, n: _person(r.requester)),
    ("批准人", 12, lambda r, n: _approvers_of(r)),
    ("原定密机关同意", 20, lambda r, n: _consent(r)),
    ("经办人", 12, lambda r, n: _person(r.checked_out_by)),
]


def _day_start(day):
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


def _copy_requests(*, user, filters):
    """Completed copy requests whose every original the user may see, filtered; no per-row checks."""
    visible = carrier_list_visible_to(user=user).order_by().values("id")
    hidden_original = RequestItem.objects.filter(request=OuterRef("pk")).exclude(carrier_id__in=visible)
    requests = ApprovalRequest.objects.filter(
        kind=RequestKind.COPY, state=RequestState.COMPLETED,
    ).filter(Exists(RequestItem.objects.filter(request=OuterRef("pk")))).exclude(Exists(hidden_original))
    form = CarrierFilter(filters, queryset=Carrier.objects.none()).form
    cleaned = form.cleaned_data if form.is_valid() else {}
    if cleaned.get("date_from"):
        requests = requests.filter(executed_at__gte=_day_start(cleaned["date_from"]))
    if cleaned.get("date_to"):
        requests = requests.filter(executed_at__lt=_day_start(cleaned["date_to"] + dt.timedelta(days=1)))
    if cleaned.get("level"):
        level = int(cleaned["level"])
        items = RequestItem.objects.filter(request=OuterRef("pk"))
        requests = requests.filter(Exists(items.filter(carrier__level=level))).exclude(
            Exists(items.filter(carrier__level__gt=level)))
    carrier_filters = {k: v for k, v in filters.items() if k not in COPY_OWN_FILTERS}
    if carrier_filters:
        matching = carrier_list_visible_to(user=user, filters=carrier_filters).order_by().values("id")
        requests = requests.filter(Exists(RequestItem.objects.filter(request=OuterRef("pk"), carrier_id__in=matching)))
    return requests, visible


def _copy_count(*, user, filters, cap=None):
    requests, _ = _copy_requests(user=user, filters=filters)
    if cap is not None:
        return ApprovalRequest.objects.filter(id__in=requests.values("id")[: cap + 1]).count()
    return requests.count()


@register_builder("copies", "复制登记簿", count=_copy_count, date_label="复制日期")
def copies(*, user, filters=None, progress=None):
    filters = normalize_filters(filters)
    requests, visible = _copy_requests(user=user, filters=filters)
    requests = list(requests.select_related(
        "requester__person", "checked_out_by__person",
    ).prefetch_related(
        Prefetch("items", queryset=RequestItem.objects.select_related("carrier").order_by("carrier__serial"),
                 to_attr="original_items"),
        Prefetch("copies_produced", queryset=Carrier.objects.filter(id__in=visible).order_by("serial"),
                 to_attr="visible_copies"),
        Prefetch("steps", queryset=ApprovalStep.objects.select_related("decided_by__person").order_by("order")),
    ).order_by("executed_at", "id"))
    rows, levels = [], []
    for number, request in enumerate(requests, start=1):
        request.originals = [item.carrier for item in request.original_items]
        rows.append([cell(request, number) for _, _, cell in COPY_COLUMNS])
        # The page mark is never lower than anything printed on it: the originals and the copies
        # listed (a copy's level may have been changed since).
        levels.append(highest_level([o.level for o in request.originals] + [c.level for c in request.visible_copies]))
        if progress and number % 500 == 0:
            progress(number / len(requests))
    return Register(
        name="copies", title=REGISTERS["copies"].title,
        columns=[Column(header, width) for header, width, _ in COPY_COLUMNS],
        rows=rows, levels=levels, filters_description=describe_filters(filters, date_label="复制日期"),
        unit_name=settings.SECRECY.get("UNIT_NAME", ""),
    )


# ------------------------------------------------------------------------------ destruction
# regulations_cn.md §8.5 涉密载体销毁清单: the columns below, totals per kind, and the signatures.


def _destruction_batch(*, user, filters):
    batch_id = (filters or {}).get("batch")
    if not batch_id:
        raise ValidationFailed({"batch": "请指定销毁批次（--batch 批次编号）"})
    return destruction_batch_for_print(user=user, pk=batch_id)


def _destruction_items(*, user, batch):
    # Only the rows the printing user may see (SPEC §4), through the one visibility selector.
    carriers = carrier_list_visible_to(user=user).order_by().values("id")
    return RequestItem.objects.filter(request=batch, carrier_id__in=carriers)


def _destruction_count(*, user, filters, cap=None):
    return _destruction_items(user=user, batch=_destruction_batch(user=user, filters=filters)).count()


def _quantity(carrier):
    return f"{carrier.copies}{KIND_COUNT_UNIT.get(carrier.kind, '件')}"


DESTRUCTION_COLUMNS = [
    ("序号", 8, lambda c, n: str(n)),
    ("统一编号", 19, lambda c, n: c.serial),
    ("文件资料名称", 52, lambda c, n: c.title),
    ("文号", 30, lambda c, n: _number_or_serial(c)),
    ("制发单位", 26, lambda c, n: _issuer(c)),
    ("载体类别", 20, lambda c, n: CarrierKind(c.kind).label),
    ("密级", 12, lambda c, n: level_label(c.level) + ("（已解密）" if c.is_declassified else "")),
    ("份号", 12, lambda c, n: c.copy_number_display),
    ("页数或容量", 16, lambda c, n: c.pages),
    ("份数或数量", 16, lambda c, n: _quantity(c)),
]


def _moment(moment):
    return timezone.localtime(moment, SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


def destruction_totals(carriers):
    """"纸质文件资料 5 份，移动存储 2 个" — copies summed per kind, in the order of the kinds."""
    sums = {}
    for carrier in carriers:
        sums[carrier.kind] = sums.get(carrier.kind, 0) + carrier.copies
    return "，".join(f"{CarrierKind(kind).label} {sums[kind]} {KIND_COUNT_UNIT.get(kind, '件')}"
                    for kind in CarrierKind.values if kind in sums)


def _destruction_signatures(batch):
    detail = batch.destruction
    signatures = [("申请人", _person(batch.requester), _moment(batch.submitted_at or batch.created_at))]
    approved = [s for s in batch.steps.select_related("decided_by__person").order_by("order")
                if s.decision == StepDecision.APPROVE]
    for step in approved or [None]:
        signatures.append(("批准人", _person(step.decided_by) if step else "", _moment(step.decided_at) if step else ""))
    signatures.append(("销毁人", detail.destroyed_by_name or _person(detail.destroyed_by),
                       _date(detail.executed_on) if batch.state == RequestState.COMPLETED else ""))
    witnesses = list(batch.witnesses.select_related("user__person").order_by("id"))
    for witness in witnesses:
        signatures.append(("监销人", _person(witness.user), _moment(witness.confirmed_at)))
    for _ in range(max(0, 2 - len(witnesses))):
        signatures.append(("监销人", "", ""))
    return signatures


def _destruction_header(batch):
    detail = batch.destruction
    body = detail.destruction_body or ("本单位自行销毁" if detail.method != DestructionMethod.SEND else "")
    when = (f"销毁日期：{_date(detail.executed_on)}" if detail.executed_on
            else f"计划销毁日期：{_date(detail.planned_date)}")
    return [
        f"批次：{batch.reference}（{batch.state_label}）　销毁方式：{detail.get_method_display()}　"
        f"销毁地点：{detail.place}　承销单位：{body}　{when}",
        f"销毁事由：{batch.reason}",
    ]


@register_builder("destruction", "涉密载体销毁清单", count=_destruction_count, params=("batch",), listed=False)
def destruction(*, user, filters=None, progress=None):
    filters = normalize_filters(filters, ("batch",))
    batch = _destruction_batch(user=user, filters=filters)
    items = list(_destruction_items(user=user, batch=batch).select_related("carrier").order_by("carrier__serial"))
    carriers = [item.carrier for item in items]
    rows = [[cell(c, n) for _, _, cell in DESTRUCTION_COLUMNS] for n, c in enumerate(carriers, start=1)]
    totals = destruction_totals(carriers)
    return Register(
        name="destruction", title=REGISTERS["destruction"].title,
        columns=[Column(header, width) for header, width, _ in DESTRUCTION_COLUMNS],
        rows=rows, levels=[int(c.level) for c in carriers], filters_description=f"批次：{batch.reference}",
        unit_name=settings.SECRECY.get("UNIT_NAME", ""),
        header_lines=_destruction_header(batch),
        summary_lines=[f"合计：{totals or '无'}；共 {len(carriers)} 项"],
        signatures=_destruction_signatures(batch),
    )


# ------------------------------------------------------------------------------ circulation
# SPEC §6, §11 传阅单: one circulation (parameter ``circulation``), the carrier at the top and one
# row per reader with the 阅签 time and comment. Printable by whoever may open the circulation
# (its managing registrar, its readers), and only while they may see the carrier.


def _circulation_for_print(*, user, filters):
    from .selectors_circulation import circulation_get_for_user

    circulation_id = (filters or {}).get("circulation")
    if not circulation_id:
        raise ValidationFailed({"circulation": "请指定传阅（--circulation 传阅编号）"})
    return circulation_get_for_user(user=user, pk=circulation_id)


def _circulation_count(*, user, filters, cap=None):
    return _circulation_for_print(user=user, filters=filters).steps.count()


CIRCULATION_COLUMNS = [
    ("序号", 8, lambda s: str(s.order)),
    ("阅读人", 22, lambda s: _person(s.reader)),
    ("部门", 22, lambda s: s.reader.person.department.name if getattr(s.reader, "person", None) else ""),
    ("送达时间", 20, lambda s: _moment(s.handed_at)),
    ("期限", 14, lambda s: _date(s.deadline)),
    ("阅签时间", 20, lambda s: _moment(s.signed_at)),
    ("阅签意见", 50, lambda s: s.comment or ("（无意见）" if s.signed_at else "")),
    ("交回时间", 20, lambda s: _moment(s.returned_at)),
]


@register_builder("circulation", "传阅单", count=_circulation_count, params=("circulation",), listed=False)
def circulation(*, user, filters=None, progress=None):
    from .selectors_circulation import circulation_steps

    filters = normalize_filters(filters, ("circulation",))
    record = _circulation_for_print(user=user, filters=filters)
    carrier = record.carrier
    steps = circulation_steps(record)
    header = [
        f"统一编号：{carrier.serial}　密级和保密期限：{carrier.mark}"
        f"　份号：{carrier.copy_number_display or '—'}",
        f"文件标题：{carrier.title}" + (f"　文号：{carrier.doc_number}" if carrier.doc_number else ""),
        f"{record.reference}（{record.get_state_display()}）　发起人：{_person(record.started_by)}"
        f"　发起时间：{_moment(record.created_at)}" + (f"　说明：{record.note}" if record.note else ""),
    ]
    if record.cancel_reason:
        header.append(f"撤销：{_moment(record.cancelled_at)}，原因：{record.cancel_reason}")
    return Register(
        name="circulation", title=REGISTERS["circulation"].title,
        columns=[Column(header_, width) for header_, width, _ in CIRCULATION_COLUMNS],
        rows=[[cell(step) for _, _, cell in CIRCULATION_COLUMNS] for step in steps],
        # Every row is about the same carrier: each page carries its level.
        levels=[int(carrier.level)] * len(steps), filters_description=record.reference,
        unit_name=settings.SECRECY.get("UNIT_NAME", ""),
        header_lines=header,
        summary_lines=["传阅载体须由机要室逐一送达、阅毕交回，不得横传。"],
        signatures=[("机要秘书", _person(record.started_by), _moment(record.created_at))],
    )


# -------------------------------------------------------------------------- who may print


def _check_may_print(user, spec=None):
    if spec is not None and spec.may_print is not None:
        if not spec.may_print(user):
            raise PolicyDenied(spec.refusal or f"该账号不能打印{spec.title}")
        return
    if not may_print_registers(user):
        raise PolicyDenied("该账号不能打印载体登记簿")


def _check_format(file_format):
    if file_format not in RegisterFormat.values:
        raise ValidationFailed({"format": "请选择 PDF 或 XLSX 格式"})
    return RegisterFormat(file_format)


def register_row_count(*, user, name, filters=None, cap=None):
    """How many rows the user's register would hold, counting at most cap + 1."""
    spec = get_spec(name)
    _check_may_print(user, spec)
    if spec.count is not None:
        return spec.count(user=user, filters=normalize_filters(filters, spec.params), cap=cap)
    queryset = _queryset(spec, user=user, filters=normalize_filters(filters)).order_by()
    if cap is not None:
        return Carrier.objects.filter(id__in=queryset.values("id")[: cap + 1]).count()
    return queryset.count()


# ------------------------------------------------------------------------------- producing


@dataclasses.dataclass
class Produced:
    filename: str
    content: bytes
    content_type: str
    rows: int
    level: int | None
    filters: dict


def _filename(spec, file_format, at):
    return f"{spec.title}_{timezone.localtime(at, SHANGHAI):%Y%m%d-%H%M}.{file_format}"


def _render(*, user, name, file_format, filters, progress=None):
    """Build and render, without side effects. Rendering happens outside any transaction: on
    SQLite an open write transaction would block every other writer for the whole render."""
    spec = get_spec(name)
    _check_may_print(user, spec)
    file_format = _check_format(file_format)
    filters = normalize_filters(filters, spec.params)
    now = timezone.now()

    def build_progress(fraction):
        if progress:
            progress(0.2 * fraction)

    def render_progress(fraction):
        if progress:
            progress(0.2 + 0.8 * fraction)

    register = spec.build(user=user, filters=filters, progress=build_progress if progress else None)
    renderer = render_pdf if file_format == RegisterFormat.PDF else render_xlsx
    content = renderer(register, printed_by_label(user), now, progress=render_progress if progress else None)
    return Produced(
        filename=_filename(spec, file_format, now), content=content, content_type=CONTENT_TYPES[file_format],
        rows=len(register.rows), level=register.highest_level, filters=filters,
    )


def _record_produced(*, user, name, file_format, produced, job=None):
    detail = {"register": name, "format": str(file_format), "filters": produced.filters, "rows": produced.rows}
    if job is not None:
        detail["job"] = job.pk
    return record_event(
        actor=user, action=AUDIT_ACTIONS[RegisterFormat(file_format)], level=produced.level,
        target=job, target_repr=REGISTERS[name].title if job is None else None, detail=detail,
    )


def register_produce(*, user, name, fmt, filters=None):
    """Print (PDF) or export (XLSX) a register in the caller's process: (filename, bytes, content type).

    The file is handed out only after its audit event is committed: if the event cannot be
    written, nothing is returned. One call, one event.
    """
    produced = _render(user=user, name=name, file_format=fmt, filters=filters)
    with transaction.atomic():
        _record_produced(user=user, name=name, file_format=fmt, produced=produced)
    return produced.filename, produced.content, produced.content_type


def content_disposition(filename):
    """attachment with an ASCII fallback and the Chinese name per RFC 5987/6266."""
    fallback = "register." + filename.rsplit(".", 1)[-1] if "." in filename else "register"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


# ------------------------------------------------------------------------------------ jobs


@transaction.atomic
def register_job_create(*, user, name, fmt, filters=None):
    """Queue a register for the worker (SPEC §11: large registers never render in the request)."""
    spec = get_spec(name)
    _check_may_print(user, spec)
    file_format = _check_format(fmt)
    job = RegisterJob.objects.create(
        requested_by=user, register=spec.name, file_format=file_format,
        filters=normalize_filters(filters, spec.params),
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id):
    """Hand the job to the worker. If the broker cannot take it, the job is marked failed so
    its page says so instead of waiting forever (the request that queued it still succeeds)."""
    from .tasks import render_register_job

    try:
        render_register_job.delay(job_id)
    except Exception:
        logger.exception("register job %s could not be queued", job_id)
        RegisterJob.objects.filter(pk=job_id, status=RegisterJobStatus.QUEUED).update(
            status=RegisterJobStatus.FAILED, error="无法提交后台任务，请稍后重试或联系系统管理员",
            finished_at=timezone.now())


def register_job_get_for_user(*, user, pk):
    """The job if this user asked for it; anyone else gets NotVisible (answered as 404)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotVisible() from None
    job = RegisterJob.objects.filter(pk=pk, requested_by=user).first()
    if job is None:
        raise NotVisible()
    try:
        _check_may_print(user, REGISTERS.get(job.register))
    except PolicyDenied:
        raise NotVisible() from None
    return job


def register_job_fail_if_stale(*, job, now=None):
    """A job still queued or running REGISTER_JOB_TIMEOUT_MINUTES after it was asked for is marked
    failed, with the reason on its page and an audit event (result failed), as a job that failed
    in the worker. Run when its page is polled: a worker that died mid-job or a task lost by the
    broker would otherwise leave the page refreshing forever. If the worker finishes after all,
    register_job_run finds the job finished and discards its file."""
    minutes = settings.SECRECY["REGISTER_JOB_TIMEOUT_MINUTES"]
    now = now or timezone.now()
    if job.is_finished or job.created_at > now - dt.timedelta(minutes=minutes):
        return job
    with transaction.atomic():
        job = RegisterJob.objects.select_for_update().select_related("requested_by").get(pk=job.pk)
        if job.is_finished:
            return job
        job.status = RegisterJobStatus.FAILED
        job.error = f"生成超时：超过 {minutes} 分钟仍未完成，已停止等待。请重新生成；如多次超时，请联系系统管理员。"
        job.finished_at = now
        job.save(update_fields=["status", "error", "finished_at"])
        record_event(actor=job.requested_by, action=AUDIT_ACTIONS[RegisterFormat(job.file_format)],
                     target=job, result=AuditResult.FAILED,
                     detail={"register": job.register, "format": job.file_format, "filters": job.filters,
                             "job": job.pk, "error": "timeout"})
    return job


def register_jobs_of(*, user, limit=10):
    if not may_print_registers(user):
        return RegisterJob.objects.none()
    return RegisterJob.objects.filter(requested_by=user).order_by("-id")[:limit]


def job_file_path(job):
    return Path(settings.MEDIA_ROOT) / job.file_path


def job_filename(job):
    spec = REGISTERS.get(job.register)
    title = spec.title if spec else job.register
    at = job.finished_at or job.created_at
    return f"{title}_{timezone.localtime(at, SHANGHAI):%Y%m%d-%H%M}.{job.file_format}"


def register_job_file(*, user, pk):
    """(path, filename, content type) of a finished job's file, for its requester only."""
    job = register_job_get_for_user(user=user, pk=pk)
    path = job_file_path(job) if job.file_path else None
    if job.status != RegisterJobStatus.DONE or path is None or not path.is_file():
        raise NotVisible()
    return path, job_filename(job), CONTENT_TYPES[RegisterFormat(job.file_format)]


def _set_progress(job_id, fraction):
    RegisterJob.objects.filter(pk=job_id, status=RegisterJobStatus.RUNNING).update(
        progress=max(0, min(99, int(fraction * 100))))


def register_job_run(*, job_id):
    """Render a queued job (called by the worker). Idempotent: a finished job is left alone, and
    if two deliveries of the same job race, only the first to finish records the file and its
    audit event; the other's file is discarded."""
    with transaction.atomic():
        job = RegisterJob.objects.select_for_update().select_related("requested_by").filter(pk=job_id).first()
        if job is None or job.is_finished:
            return job
        job.status = RegisterJobStatus.RUNNING
        job.started_at = timezone.now()
        job.progress = 0
        job.save(update_fields=["status", "started_at", "progress"])

    last = {"percent": -1}

    def progress(fraction):
        percent = int(fraction * 100)
        # A write per 5 % keeps the job page moving without hammering the database.
        if percent >= last["percent"] + 5:
            last["percent"] = percent
            _set_progress(job_id, fraction)

    path = None
    try:
        produced = _render(user=job.requested_by, name=job.register, file_format=job.file_format,
                           filters=job.filters, progress=progress)
        relative = f"{JOB_DIR}/{job.pk}-{secrets.token_hex(8)}.{job.file_format}"
        path = Path(settings.MEDIA_ROOT) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(produced.content)
        with transaction.atomic():
            job = RegisterJob.objects.select_for_update().get(pk=job_id)
            if job.is_finished:
                path.unlink(missing_ok=True)
                return job
            _record_produced(user=job.requested_by, name=job.register, file_format=job.file_format,
                             produced=produced, job=job)
            job.status = RegisterJobStatus.DONE
            job.progress = 100
            job.rows = produced.rows
            job.level = produced.level
            job.file_path = relative
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "progress", "rows", "level", "file_path", "finished_at"])
        return job
    except Exception as error:  # the job page must show the failure instead of spinning forever
        logger.exception("register job %s failed", job_id)
        if path is not None:
            path.unlink(missing_ok=True)
        if isinstance(error, DomainError):
            message = error.message
        else:
            # The page is read by whoever printed, not by an engineer: the traceback is in the log.
            message = (f"生成时发生内部错误（{type(error).__name__}），请重新生成；"
                       "如再次失败，请联系系统管理员。")
        with transaction.atomic():
            job = RegisterJob.objects.select_for_update().get(pk=job_id)
            if not job.is_finished:
                job.status = RegisterJobStatus.FAILED
                job.error = str(message)[:1000]
                job.finished_at = timezone.now()
                job.save(update_fields=["status", "error", "finished_at"])
                record_event(actor=job.requested_by, action=AUDIT_ACTIONS[RegisterFormat(job.file_format)],
                             target=job, result=AuditResult.FAILED,
                             detail={"register": job.register, "format": job.file_format,
                                     "filters": job.filters, "job": job.pk, "error": job.error[:200]})
        return job


__all__ = [
    "REGISTERS", "register_builder", "register_choices", "incoming", "outgoing", "ledger", "loans", "copies",
    "destruction", "circulation", "describe_register_filters",
    "register_produce", "register_row_count", "register_job_create", "register_job_run",
    "register_job_get_for_user", "register_job_file", "register_jobs_of", "normalize_filters",
    "describe_filters", "content_disposition", "printed_by_label",
]


# 涉密人员台账 (SPEC §8, regulations_cn.md §8.7): built by personnel, which must not import documents
# (ARCHITECTURE "The house"), and registered here. It is 保密办's, not a carrier register: off the
# generic registers page (listed=False) and printable only by those who may view personnel.
from personnel import registers as personnel_registers  # noqa: E402
from personnel.policy import may_view_personnel  # noqa: E402

register_builder("personnel", "涉密人员台账", count=personnel_registers.personnel_count, listed=False,
                 may_print=may_view_personnel,
                 refusal="只有保密办或安全保密管理员可以打印涉密人员台账")(personnel_registers.personnel)
