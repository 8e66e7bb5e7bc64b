"""The registers of approval requests: 借阅登记簿, 复制登记簿 and 涉密载体销毁清单 (SPEC §11). Their rows are
requests and the carriers they name, only those the printing user may see (SPEC §4)."""
import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from documents.filters import CarrierFilter, describe_filters, normalize_filters
from documents.models import KIND_COUNT_UNIT, Carrier, CarrierKind
from documents.registers import inventory
from documents.registers.cells import (
    SHANGHAI, date_text, issuer_text, local_date_text, moment_text, number_or_serial, period_mark, unit_name,
)
from documents.selectors import carrier_list_visible_to
from personnel.names import person_name
from secrecy.errors import ValidationFailed
from secrecy.levels import Level, format_mark, highest_level, is_state_secret, level_label, period_rank
from secrecy.printing import Column, Register, RegisterSpec

from .models import (
    ApprovalRequest, ApprovalStep, CopyMode, DestructionMethod, Destroyer, RequestItem, RequestKind, RequestState,
    ReturnCondition, StepDecision,
)
from .selectors import destruction_batch_for_print

LOANS_TITLE = "借阅登记簿"
LOANS_INVENTORY_TITLE = "借阅登记簿（清查）"
COPIES_TITLE = "复制登记簿"
DESTRUCTION_TITLE = "涉密载体销毁清单"

# 借阅登记簿 (regulations_cn.md §8.3): one row per loan handed out (已借出 or 已归还), for the
# carriers the printing user may see; the same carrier filters as the other registers apply.
LOAN_COLUMNS = [
    ("序号", 7, lambda r, c, n: str(n)),
    ("借阅日期", 16, lambda r, c, n: local_date_text(r.executed_at)),
    ("借阅人", 12, lambda r, c, n: person_name(r.requester)),
    ("部门", 14, lambda r, c, n: _department(r.requester)),
    ("统一编号", 21, lambda r, c, n: c.serial),
    ("文件名称", 34, lambda r, c, n: c.title),
    ("文号", 22, lambda r, c, n: number_or_serial(c)),
    ("密级", 8, lambda r, c, n: level_label(c.level)),
    ("份号", 11, lambda r, c, n: c.copy_number_display),
    ("借阅事由", 24, lambda r, c, n: r.reason),
    ("批准人", 12, lambda r, c, n: "、".join(person_name(s.decided_by) for s in r.steps.all() if s.decision == "approve")),
    ("应还日期", 16, lambda r, c, n: date_text(r.due_date)),
    ("实际归还日期", 18, lambda r, c, n: local_date_text(r.completed_at)),
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
    names = [person_name(request.checked_out_by)]
    if request.returned_to_id and request.returned_to_id != request.checked_out_by_id:
        names.append(person_name(request.returned_to))
    return "、".join(n for n in names if n)


def _loan_notes(request):
    notes = [request.reference]
    if request.on_site:
        notes.append("阅文室阅读")
    if request.state == RequestState.IN_PROGRESS:
        overdue = request.due_date and request.due_date < timezone.localdate()
        notes.append("已逾期未还" if overdue else "借出中")
    return "；".join(notes)


def _loan_items(*, user, filters, unit_wide=False):
    # The rows are built from the user's visible carriers (one subquery), never the other way round;
    # a 清查 book from every carrier of the unit (documents.registers.inventory).
    if unit_wide:
        carriers = inventory.unit_carriers(filters).order_by().values("id")
    else:
        carriers = carrier_list_visible_to(user=user, filters=filters).order_by().values("id")
    return RequestItem.objects.filter(
        kind=RequestKind.LEND, carrier_id__in=carriers,
        request__state__in=[RequestState.IN_PROGRESS, RequestState.COMPLETED],
    )


def loan_count(*, user, filters, cap=None, unit_wide=False):
    items = _loan_items(user=user, filters=filters, unit_wide=unit_wide)
    if cap is not None:
        return RequestItem.objects.filter(id__in=items.values("id")[: cap + 1]).count()
    return items.count()


def _masked_loan(header, cell):
    """A 清查 cell: what names the carrier's content only where the printer may see the carrier;
    of the return check, the condition is a fact of the check, its note free text."""
    if header in ("文件名称", "文号", "借阅事由"):
        return lambda r, c, n: cell(r, c, n) if c.in_scope else inventory.MASKED
    if header == "归还检查":
        return lambda r, c, n: cell(r, c, n) if c.in_scope else (
            ReturnCondition(r.return_condition).label if r.return_condition else "")
    return cell


LOAN_INVENTORY_COLUMNS = [(header, width, _masked_loan(header, cell)) for header, width, cell in LOAN_COLUMNS]


def loans_inventory(*, user, filters=None, progress=None):
    """借阅登记簿（清查）: every loan of the unit for the secrecy office, content masked out of scope."""
    return loans(user=user, filters=filters, progress=progress, unit_wide=True)


def loan_inventory_count(*, user, filters, cap=None):
    return loan_count(user=user, filters=filters, cap=cap, unit_wide=True)


def loans(*, user, filters=None, progress=None, unit_wide=False):
    filters = normalize_filters(filters)
    columns = LOAN_INVENTORY_COLUMNS if unit_wide else LOAN_COLUMNS
    items = _loan_items(user=user, filters=filters, unit_wide=unit_wide)
    if unit_wide:
        items = items.annotate(in_scope=inventory.in_scope(user, outer="carrier_id"))
    items = items.select_related(
        "carrier", "request__requester__person__department", "request__checked_out_by__person",
        "request__returned_to__person",
    ).prefetch_related(
        Prefetch("request__steps", queryset=ApprovalStep.objects.select_related("decided_by__person")),
    ).order_by("request__executed_at", "request_id", "carrier__serial")
    items = list(items)
    rows, levels = [], []
    for number, item in enumerate(items, start=1):
        item.carrier.in_scope = getattr(item, "in_scope", True)
        rows.append([cell(item.request, item.carrier, number) for _, _, cell in columns])
        levels.append(int(item.carrier.level))
        if progress and number % 500 == 0:
            progress(number / len(items))
    return Register(
        name="loans_inventory" if unit_wide else "loans", title=LOANS_INVENTORY_TITLE if unit_wide else LOANS_TITLE,
        columns=[Column(header, width) for header, width, _ in columns],
        rows=rows, levels=levels, filters_description=describe_filters(filters),
        unit_name=unit_name(),
        header_lines=[inventory.NOTE, f"筛选条件：{describe_filters(filters) or '全部'}"] if unit_wide else [],
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
    number = number_or_serial(carrier).replace("\n", " ") or "无文号"
    return f"{number}／份号 {carrier.copy_number_display or '无'}"


def _copy_level(request):
    return highest_level(o.level for o in request.originals)


def _copy_period(request):
    """The mark the copies carry: the original's; a compilation's is its highest level with the
    longest period of its parts (REG24 art. 27(5); services_copy._compiled_values)."""
    originals = request.originals
    if request.copy_mode != CopyMode.COMPILE:
        return _lines(period_mark(o) for o in originals)
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
    return "、".join(person_name(s.decided_by) for s in request.steps.all() if s.decision == StepDecision.APPROVE)


def _consent(request):
    # REG24 art. 29(4): 绝密 only with the consent of the original classifying authority.
    if request.consent_letter:
        return _lines([request.consent_authority, request.consent_letter, date_text(request.consent_date)])
    return "未登记" if (_copy_level(request) or 0) >= Level.TOP_SECRET else "—"


COPY_COLUMNS = [
    ("序号", 6, lambda r, n: str(n)),
    ("复制日期", 17, lambda r, n: local_date_text(r.executed_at)),
    ("原件统一编号", 21, lambda r, n: _lines(o.serial for o in r.originals)),
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
    ("申请人", 12, lambda r, n: person_name(r.requester)),
    ("批准人", 12, lambda r, n: _approvers_of(r)),
    ("原定密机关同意", 20, lambda r, n: _consent(r)),
    ("经办人", 12, lambda r, n: person_name(r.checked_out_by)),
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


def copy_count(*, user, filters, cap=None):
    requests, _ = _copy_requests(user=user, filters=filters)
    if cap is not None:
        return ApprovalRequest.objects.filter(id__in=requests.values("id")[: cap + 1]).count()
    return requests.count()


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
        name="copies", title=COPIES_TITLE,
        columns=[Column(header, width) for header, width, _ in COPY_COLUMNS],
        rows=rows, levels=levels, filters_description=describe_filters(filters, date_label="复制日期"),
        unit_name=unit_name(),
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


def destruction_count(*, user, filters, cap=None):
    return _destruction_items(user=user, batch=_destruction_batch(user=user, filters=filters)).count()


def _quantity(carrier):
    return f"{carrier.copies}{KIND_COUNT_UNIT.get(carrier.kind, '件')}"


DESTRUCTION_COLUMNS = [
    ("序号", 8, lambda c, n: str(n)),
    ("统一编号", 19, lambda c, n: c.serial),
    ("文件资料名称", 52, lambda c, n: c.title),
    ("文号", 30, lambda c, n: number_or_serial(c)),
    ("制发单位", 26, lambda c, n: issuer_text(c)),
    ("载体类别", 20, lambda c, n: CarrierKind(c.kind).label),
    ("密级", 12, lambda c, n: level_label(c.level) + ("（已解密）" if c.is_declassified else "")),
    ("份号", 12, lambda c, n: c.copy_number_display),
    ("页数或容量", 16, lambda c, n: c.pages),
    ("份数或数量", 16, lambda c, n: _quantity(c)),
]


def destruction_totals(carriers):
    """"纸质文件资料 5 份，移动存储 2 个" — copies summed per kind, in the order of the kinds."""
    sums = {}
    for carrier in carriers:
        sums[carrier.kind] = sums.get(carrier.kind, 0) + carrier.copies
    return "，".join(f"{CarrierKind(kind).label} {sums[kind]} {KIND_COUNT_UNIT.get(kind, '件')}"
                    for kind in CarrierKind.values if kind in sums)


def _recorded(role, name, note):
    """A signature line that prints what the system recorded (name, time) in its label and leaves
    both blanks for the person's own hand: "监销人 孙丽华（系统确认 2026-12-07 10:00）（签字）：____"."""
    return (f"{role} {name}（{note}）" if name else role, "", "")


def _destruction_signatures(batch):
    detail = batch.destruction
    signatures = [("申请人", person_name(batch.requester), moment_text(batch.submitted_at or batch.created_at))]
    approved = [s for s in batch.steps.select_related("decided_by__person").order_by("order")
                if s.decision == StepDecision.APPROVE]
    for step in approved or [None]:
        signatures.append(("批准人", person_name(step.decided_by) if step else "", moment_text(step.decided_at) if step else ""))
    # REG24 art. 28 / regulations_cn.md §8.5: the 销毁人 and each 监销人 sign the list by hand; the
    # recorded name and time are printed beside the blank so the signature can be checked against them.
    destroyer = detail.destroyed_by_name or person_name(detail.destroyed_by)
    if destroyer and detail.destroyer == Destroyer.OPERATOR:
        destroyer = f"{destroyer}，{detail.destruction_body}"
    executed = batch.state == RequestState.COMPLETED and detail.executed_on
    signatures.append(_recorded("销毁人", destroyer if executed else "",
                                f"记录销毁于 {date_text(detail.executed_on)}" if executed else ""))
    witnesses = list(batch.witnesses.select_related("user__person").order_by("id"))
    for witness in witnesses:
        signatures.append(_recorded("监销人", person_name(witness.user),
                                    f"系统确认 {moment_text(witness.confirmed_at)}" if witness.confirmed_at else "尚未确认"))
    for _ in range(max(0, 2 - len(witnesses))):
        signatures.append(("监销人", "", ""))
    return signatures


def _destruction_header(batch):
    detail = batch.destruction
    body = detail.destruction_body or ("本单位自行销毁" if detail.method != DestructionMethod.SEND else "")
    when = (f"销毁日期：{date_text(detail.executed_on)}" if detail.executed_on
            else f"计划销毁日期：{date_text(detail.planned_date)}")
    return [
        f"批次：{batch.reference}（{batch.state_label}）　销毁方式：{detail.get_method_display()}　"
        f"销毁地点：{detail.place}　承销单位：{body}　{when}",
        f"销毁事由：{batch.reason}",
    ]


def destruction(*, user, filters=None, progress=None):
    filters = normalize_filters(filters, ("batch",))
    batch = _destruction_batch(user=user, filters=filters)
    items = list(_destruction_items(user=user, batch=batch).select_related("carrier").order_by("carrier__serial"))
    carriers = [item.carrier for item in items]
    rows = [[cell(c, n) for _, _, cell in DESTRUCTION_COLUMNS] for n, c in enumerate(carriers, start=1)]
    totals = destruction_totals(carriers)
    return Register(
        name="destruction", title=DESTRUCTION_TITLE,
        columns=[Column(header, width) for header, width, _ in DESTRUCTION_COLUMNS],
        rows=rows, levels=[int(c.level) for c in carriers], filters_description=f"批次：{batch.reference}",
        unit_name=unit_name(),
        header_lines=_destruction_header(batch),
        summary_lines=[f"合计：{totals or '无'}；共 {len(carriers)} 项"],
        signatures=_destruction_signatures(batch),
        is_list=True,
    )


# Declared here, found by the registers app (registers.registry.autodiscover), in the order the
# register page lists them after documents' own.
REGISTERS = (
    RegisterSpec(name="loans", title=LOANS_TITLE, build=loans, count=loan_count),
    RegisterSpec(name="loans_inventory", title=LOANS_INVENTORY_TITLE, build=loans_inventory,
                 count=loan_inventory_count, inventory=True, may_print=inventory.may_print,
                 refusal=inventory.REFUSAL, signoff=inventory.SIGNOFF),
    RegisterSpec(name="copies", title=COPIES_TITLE, build=copies, count=copy_count, date_label="复制日期"),
    RegisterSpec(name="destruction", title=DESTRUCTION_TITLE, build=destruction, count=destruction_count,
                 params=("batch",), listed=False),
)
