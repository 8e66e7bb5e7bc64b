"""收文登记簿, 发文登记簿 and 涉密载体台账: one row per carrier the printing user may see (SPEC §4,
§11), from the one visibility selector."""
import dataclasses

from secrecy.levels import level_label
from secrecy.printing import Column, Register, RegisterChanged, StreamedRows

from ..filters import describe_filters, normalize_filters
from ..models import Carrier, CarrierKind, Direction
from ..selectors import carrier_list_visible_to
from . import inventory
from .cells import (
    date_text, issuer_text, local_date_text, number_or_serial, period_mark, status_text, transmission_text, unit_name,
    urgency_text,
)
from personnel.names import person_name


@dataclasses.dataclass(frozen=True)
class CarrierBook:
    """A register whose rows are carriers: which directions it holds and its columns, each
    (header, width, cell(carrier, number))."""

    name: str
    title: str
    directions: tuple | None
    columns: list
    # A 清查 book (inventory.py): every carrier of the unit, content masked out of scope.
    inventory: bool = False


def _queryset(book, *, user, filters):
    if book.inventory:
        queryset = inventory.unit_carriers(filters).annotate(in_scope=inventory.in_scope(user))
    else:
        queryset = carrier_list_visible_to(user=user, filters=filters)
    if book.directions:
        queryset = queryset.filter(direction__in=book.directions)
    if book.name in ("outgoing", "outgoing_inventory"):
        # Copies are registered as 自产 but the unit did not classify them (they keep the
        # original's mark); they are recorded in the 复制登记簿, not among the unit's own documents.
        queryset = queryset.filter(source_request__isnull=True)
    # The serial is "<year>-<6 digits>", unique and gapless: its text order is register order.
    return queryset.select_related(
        "custodian__person", "drafter__person", "classifier__person",
    ).order_by("serial")


def _build(book, *, user, filters, progress=None):
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
    queryset = _queryset(book, user=user, filters=filters)
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
            yield [cell(carrier, number) for _, _, cell in book.columns]
        if number != len(ids):
            raise RegisterChanged()

    if progress:
        progress(1.0)
    return Register(
        name=book.name, title=book.title,
        columns=[Column(header, width) for header, width, _ in book.columns],
        rows=StreamedRows(len(ids), produce), levels=levels, filters_description=describe_filters(filters),
        unit_name=unit_name(),
        header_lines=[inventory.NOTE, f"筛选条件：{describe_filters(filters) or '全部'}"] if book.inventory else [],
    )


# regulations_cn.md §8.1 plus SPEC §3 fields; 保密期限 is printed as the full mark (机密★10年).
INCOMING_COLUMNS = [
    ("序号", 8, lambda c, n: str(n)),
    ("统一编号", 21, lambda c, n: c.serial),
    ("收文日期", 16, lambda c, n: date_text(c.doc_date)),
    ("来文单位", 20, lambda c, n: c.issuer),
    ("文号", 26, lambda c, n: c.doc_number),
    ("文件标题", 44, lambda c, n: c.title),
    ("密级", 9, lambda c, n: level_label(c.level)),
    ("保密期限", 21, lambda c, n: period_mark(c)),
    ("份号", 11, lambda c, n: c.copy_number_display),
    ("份数", 8, lambda c, n: str(c.copies)),
    ("页数", 11, lambda c, n: c.pages),
    ("紧急程度", 9, lambda c, n: urgency_text(c)),
    ("签收人", 11, lambda c, n: c.signed_by),
    ("管理部门", 13, lambda c, n: c.department.name),
    ("当前保管人", 12, lambda c, n: person_name(c.custodian)),
    ("状态", 11, lambda c, n: status_text(c)),
    ("备注", 14, lambda c, n: c.notes),
]

# regulations_cn.md §8.2 plus DM14 art. 21 (承办人、定密责任人、定密依据) and 传递方式 (REG24 art. 27(3)).
OUTGOING_COLUMNS = [
    ("序号", 8, lambda c, n: str(n)),
    ("统一编号", 21, lambda c, n: c.serial),
    ("发文日期", 16, lambda c, n: date_text(c.doc_date)),
    ("类型", 9, lambda c, n: Direction(c.direction).label),
    ("文号", 26, lambda c, n: c.doc_number),
    ("文件标题", 44, lambda c, n: c.title),
    ("密级/标志", 21, lambda c, n: c.mark),
    ("份号", 11, lambda c, n: c.copy_number_display),
    ("份数", 8, lambda c, n: str(c.copies)),
    ("发往单位", 26, lambda c, n: c.recipients),
    ("定密责任人", 14, lambda c, n: person_name(c.classifier)),
    ("承办人", 12, lambda c, n: person_name(c.drafter)),
    ("定密依据", 30, lambda c, n: c.basis),
    ("传递方式", 13, lambda c, n: transmission_text(c)),
    ("状态", 11, lambda c, n: status_text(c)),
]

# regulations_cn.md §8.6 (classifiedtz) plus 保密期限、知悉范围 from the 科研单位 guidance.
LEDGER_COLUMNS = [
    ("序号", 8, lambda c, n: str(n)),
    ("统一编号", 21, lambda c, n: c.serial),
    ("登记日期", 16, lambda c, n: local_date_text(c.registered_at)),
    ("文件资料名称", 42, lambda c, n: c.title),
    ("制发单位", 20, lambda c, n: issuer_text(c)),
    ("载体类别", 16, lambda c, n: CarrierKind(c.kind).label),
    ("文号或编号", 27, lambda c, n: number_or_serial(c)),
    ("密级", 9, lambda c, n: level_label(c.level)),
    ("保密期限", 21, lambda c, n: period_mark(c)),
    ("页数或容量", 11, lambda c, n: c.pages),
    ("份数", 8, lambda c, n: str(c.copies)),
    ("知悉范围", 22, lambda c, n: c.scope_note),
    ("管理部门", 14, lambda c, n: c.department.name),
    ("保管人", 13, lambda c, n: person_name(c.custodian)),
    ("状态", 11, lambda c, n: status_text(c)),
    ("备注", 16, lambda c, n: c.notes),
]

INCOMING = CarrierBook("incoming", "收文登记簿", (Direction.INCOMING,), INCOMING_COLUMNS)
OUTGOING = CarrierBook("outgoing", "发文登记簿", (Direction.OUTGOING, Direction.INTERNAL), OUTGOING_COLUMNS)
LEDGER = CarrierBook("ledger", "涉密载体台账", None, LEDGER_COLUMNS)


# 清查 (账物核对) versions of the three books, for the secrecy office (inventory.py).
INCOMING_INVENTORY = CarrierBook("incoming_inventory", "收文登记簿（清查）", INCOMING.directions,
                                 inventory.mask_columns(INCOMING_COLUMNS, inventory.INCOMING_MASKED), inventory=True)
OUTGOING_INVENTORY = CarrierBook("outgoing_inventory", "发文登记簿（清查）", OUTGOING.directions,
                                 inventory.mask_columns(OUTGOING_COLUMNS, inventory.OUTGOING_MASKED), inventory=True)
LEDGER_INVENTORY = CarrierBook("ledger_inventory", "涉密载体台账（清查）", None, inventory.LEDGER_COLUMNS,
                               inventory=True)


def incoming(*, user, filters=None, progress=None):
    return _build(INCOMING, user=user, filters=filters, progress=progress)


def outgoing(*, user, filters=None, progress=None):
    return _build(OUTGOING, user=user, filters=filters, progress=progress)


def ledger(*, user, filters=None, progress=None):
    return _build(LEDGER, user=user, filters=filters, progress=progress)


def book_counter(book):
    def count(*, user, filters, cap=None):
        queryset = _queryset(book, user=user, filters=filters).order_by()
        if cap is not None:
            return Carrier.objects.filter(id__in=queryset.values("id")[: cap + 1]).count()
        return queryset.count()

    return count


incoming_count, outgoing_count, ledger_count = book_counter(INCOMING), book_counter(OUTGOING), book_counter(LEDGER)


def inventory_builder(book):
    def build(*, user, filters=None, progress=None):
        return _build(book, user=user, filters=filters, progress=progress)

    return build
