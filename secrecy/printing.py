"""The vocabulary of printed registers (SPEC §11), shared by every app that declares one.

An app builds a `Register` (title, columns, rows of strings, the level of each row) in its own
`registers.py` and declares it with a `RegisterSpec`; the registers app finds the declarations,
lays the registers out (PDF and XLSX), audits and queues them. This module knows nothing about
carriers, people or meetings, and imports no app (ARCHITECTURE "The house").

Apps below the registers app (audits, documents, meetings …) must not import it, yet some print:
the auditor's export, a batch's 销毁清单 from its own page. They print through `render` and
`produce` below, two slots the registers app fills in its AppConfig.ready() — the registry pattern
ARCHITECTURE prescribes for a lower app asking a higher one.
"""
import dataclasses
import datetime as dt
import re
import zoneinfo
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .errors import DomainError
from .levels import level_label

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

# Free text longer than this is cut in printed registers, so a single row can never outgrow a page
# (a row taller than a page would be split, and its level would then straddle two pages).
MAX_CELL_CHARS = 400

# A page without any row (an empty register) carries no secret.
NO_LEVEL_LABEL = "非密"

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclasses.dataclass(frozen=True)
class Column:
    header: str
    # Relative width; the numbers are chosen as millimetres on A4 landscape (277 mm of table).
    width: float = 15
    # Column width in the spreadsheet, in characters; derived from `width` when not given.
    xlsx_width: float | None = None

    @property
    def sheet_width(self):
        if self.xlsx_width:
            return self.xlsx_width
        return max(len(self.header) * 2 + 2, round(self.width * 0.8, 1))


@dataclasses.dataclass
class Register:
    """What a register holds, the same for PDF and XLSX."""

    name: str
    title: str
    columns: list
    rows: list = dataclasses.field(default_factory=list)
    # The level (int, secrecy.levels.Level) of each row, None for a row without one.
    levels: list = dataclasses.field(default_factory=list)
    filters_description: str = ""
    unit_name: str = ""
    # Optional lines printed under the title instead of the filters (e.g. a batch's particulars).
    header_lines: list = dataclasses.field(default_factory=list)
    # Optional lines printed after the table (e.g. totals).
    summary_lines: list = dataclasses.field(default_factory=list)
    # Optional signature lines after the table: (role, name, time) each; empty name/time leave a
    # blank to be signed by hand.
    signatures: list = dataclasses.field(default_factory=list)
    # The PDF's word before the second blank of each signature line (a time, or a 日期 to write).
    signature_time_label: str = "时间"
    # The closing line after the last row, "{total}" filled in; a list (e.g. the 销毁清单) says its own.
    end_line: str = "本登记簿共 {total} 条记录，以下空白。"

    def end_text(self, total):
        return self.end_line.format(total=total)

    @property
    def headers(self):
        return [c.header for c in self.columns]

    @property
    def highest_level(self):
        known = [int(x) for x in self.levels if x is not None]
        return max(known) if known else None


class RegisterChanged(DomainError):
    """The rows changed while the register was being printed (a carrier registered, its level
    changed): the file is not handed out, because its marks might not match what it prints."""

    def __init__(self):
        super().__init__("生成期间登记簿的内容发生了变化（有载体登记或密级变更），为保证所印内容与密级标志一致，"
                         "本次未生成文件。请重新生成。")


class StreamedRows:
    """Rows read again from their source each time they are iterated, so that a register of any
    size is never held whole: the XLSX is written as the rows come, the table engine measures in
    one pass and draws in a second. len() is known before the first row; the source raises
    RegisterChanged if what it reads no longer matches that count or the levels given with it."""

    def __init__(self, count, produce):
        self._count = count
        self._produce = produce

    def __len__(self):
        return self._count

    def __iter__(self):
        return iter(self._produce())


def page_level_label(level):
    return level_label(level) if level is not None else NO_LEVEL_LABEL


def clean_cell(value):
    """A printable cell: text, no control characters, bounded length."""
    if value is None:
        return ""
    text = _CONTROL_CHARS.sub("", str(value))
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


def local_time_label(moment):
    """北京时间 of an aware datetime, as printed in footers."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    local = moment.astimezone(SHANGHAI)
    return f"{local:%Y-%m-%d %H:%M}（北京时间）"


def unit_name_of(register):
    """The unit printed on the register: its own, else the configured one."""
    return register.unit_name or settings.SECRECY.get("UNIT_NAME", "")


def content_disposition(filename):
    """attachment with an ASCII fallback and the Chinese name per RFC 5987/6266."""
    fallback = "register." + filename.rsplit(".", 1)[-1] if "." in filename else "register"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


# ------------------------------------------------------------------------------ declarations


@dataclasses.dataclass(frozen=True)
class RegisterSpec:
    """One register as an app declares it in the `REGISTERS` sequence of its `registers` module."""

    name: str
    title: str
    build: object  # build(*, user, filters=None, progress=None) -> Register
    # count(*, user, filters, cap=None) -> rows the register would hold, counting at most cap + 1
    # (a big register goes to the worker instead of rendering in the request).
    count: object
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


# -------------------------------------------------------------------- filled by the registers app

_PROVIDED = {}


def provide(*, render, produce):
    """Called once by the registers app's ready()."""
    _PROVIDED.update(render=render, produce=produce)


def _provided(name):
    try:
        return _PROVIDED[name]
    except KeyError:
        raise ImproperlyConfigured("printing needs the registers app in INSTALLED_APPS") from None


def render(register, *, fmt, printed_by, printed_at):
    """The register as a file's bytes, "pdf" or "xlsx", with nothing recorded: the caller audits."""
    return _provided("render")(register, fmt=fmt, printed_by=printed_by, printed_at=printed_at)


def produce(*, user, name, fmt, filters=None):
    """Print or export a declared register, audited: (filename, bytes, content type)."""
    return _provided("produce")(user=user, name=name, fmt=fmt, filters=filters)
