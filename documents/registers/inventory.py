"""清查 (账物核对) registers: the secrecy office checks every carrier on record against the shelves, so
these print every carrier of the unit, not only those its printer may see (SPEC §4 "清查 prints").

Each row shows what a check needs — 统一编号, 密级, 类别, 份号, 状态, 保管人, 存放位置 and the dates —
for every carrier. What the carrier *says* (标题, 文号, 来/发文单位, and free text that may repeat it:
定密依据, 备注) is printed only where the printer may see that carrier, through the one visibility
selector; elsewhere the cell reads MASKED. Nothing else changes for them: the carrier's page stays 404.

Only the secrecy office may print them (policy.may_take_inventory); registers/ prints them under
their own audit events (清查打印 / 清查导出), because they are the one printout that lists carriers
beyond the printer's need-to-know.
"""
from django.db.models import Exists, OuterRef

from personnel.names import person_name
from secrecy.errors import ValidationFailed
from secrecy.levels import level_label

from .. import policy
from ..filters import CarrierFilter
from ..models import Carrier, CarrierKind
from ..selectors import carrier_list_visible_to
from .cells import issuer_text, local_date_text, number_or_serial, period_mark, status_text

MASKED = "（不在知悉范围）"
NOTE = "清查（账物核对）：本单位全部载体；标题、文号、来/发文单位仅对打印人知悉范围内的载体显示，其余为“（不在知悉范围）”。"
REFUSAL = "清查打印仅限保密办"
# Who signs a 清查 sheet: those who checked it against the shelves, and the office that files it.
SIGNOFF = ("清查人", "核对人", "保密办负责人")


def may_print(user):
    return policy.may_take_inventory(user)


def unit_carriers(filters):
    """Every carrier on record, filtered like any register except by the search box: a search on
    titles and 文号 would tell which carriers out of the printer's scope hold the searched words."""
    if (filters or {}).get("q"):
        raise ValidationFailed({"q": "清查打印不按搜索词筛选（搜索标题、文号会涉及不在您知悉范围内的载体），请清空搜索框"})
    queryset = Carrier.objects.select_related("department", "custodian")
    return CarrierFilter(filters, queryset=queryset).qs if filters else queryset


def in_scope(user, outer="pk"):
    """Exists(): the carrier at `outer` is one the user may see — one correlated subquery on the
    visibility selector, so the rows are never checked one by one in Python."""
    visible = carrier_list_visible_to(user=user).order_by().values("pk")
    return Exists(visible.filter(pk=OuterRef(outer)))


def masked(cell, carrier_of=lambda row: row):
    """The cell where the printer may see the row's carrier (annotated `in_scope`), else MASKED."""
    def cell_or_mask(row, *args):
        return cell(row, *args) if carrier_of(row).in_scope else MASKED

    return cell_or_mask


def number_cell(carrier):
    """文号 only in scope; a device's own 序列号 always, since that is what the check reads off it."""
    if carrier.in_scope:
        return number_or_serial(carrier)
    lines = [MASKED]
    if carrier.device_serial:
        lines.append(f"序列号 {carrier.device_serial}")
    return "\n".join(lines)


def condition_masked(cell):
    """A mark cell (机密★XX工程竣工后): a 解密条件 is free text that can name the content, so out of
    scope the level is printed and the condition masked; a term or date stays as it is."""
    def cell_or_masked(carrier, *args):
        if carrier.in_scope or not carrier.declassify_condition:
            return cell(carrier, *args)
        return f"{level_label(carrier.level)}★{MASKED}"
    return cell_or_masked


# The columns that print the whole mark, 解密条件 included.
MARK_HEADERS = {"保密期限", "密级/标志"}


def mask_columns(columns, headers):
    missing = headers - {header for header, _, _ in columns}
    assert not missing, f"masked headers not in the register: {missing}"
    return [(header, width, masked(cell) if header in headers
             else condition_masked(cell) if header in MARK_HEADERS else cell)
            for header, width, cell in columns]


# The 台账 as a 清查 sheet: the ledger's columns (regulations_cn.md §8.6) with 份号 and 存放位置 added,
# 知悉范围 and 备注 left out (they describe content), and a blank 核对 column for the check itself.
LEDGER_COLUMNS = [
    ("序号", 8, lambda c, n: str(n)),
    ("统一编号", 21, lambda c, n: c.serial),
    ("登记日期", 16, lambda c, n: local_date_text(c.registered_at)),
    ("文件资料名称", 36, masked(lambda c, n: c.title)),
    ("制发单位", 22, masked(lambda c, n: issuer_text(c))),
    ("载体类别", 16, lambda c, n: CarrierKind(c.kind).label),
    ("文号或编号", 24, lambda c, n: number_cell(c)),
    ("密级", 9, lambda c, n: level_label(c.level)),
    ("保密期限", 21, condition_masked(lambda c, n: period_mark(c))),
    ("份号", 13, lambda c, n: c.copy_number_display),
    ("份数", 8, lambda c, n: str(c.copies)),
    ("页数或容量", 11, lambda c, n: c.pages),
    ("管理部门", 14, lambda c, n: c.department.name),
    ("保管人", 13, lambda c, n: person_name(c.custodian)),
    ("存放位置", 18, lambda c, n: c.location),
    ("状态", 12, lambda c, n: status_text(c)),
    ("核对", 10, lambda c, n: ""),
]

INCOMING_MASKED = {"来文单位", "文号", "文件标题", "备注"}
OUTGOING_MASKED = {"文号", "文件标题", "发往单位", "定密依据"}

