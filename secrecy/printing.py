"""Printed registers: one PDF and one XLSX renderer for every register of every app (SPEC §11).

An app builds a `Register` (title, columns, rows of strings, the level of each row) and hands it
here; this module knows nothing about carriers, people or meetings (secrecy/ imports no app).

The PDF is laid out by WeasyPrint from templates/print/. Three rules shape how:

* Every page shows the highest level of the rows *on that page* at the top (SPEC §11). Only the
  laid-out document knows which rows landed on which page, so the body is laid out first and the
  running marks (level, "第 x 页 共 y 页", printed-by) are drawn afterwards on a second, tiny
  document of the same page size whose pages are overlaid one-to-one on the body pages. The level
  on a page is therefore computed from the very layout that is printed, never predicted.
* Big registers are laid out in chunks of rows, so memory stays bounded and a worker can report
  progress. A chunk's last page is not kept: its rows start the next chunk, so pages stay full and
  the table reads as one (header row repeated on every page).
* Nothing is fetched from anywhere: the fonts come from fontconfig (fonts-noto-cjk, embedded as
  subsets) and any URL in a template is refused (the system runs on an isolated intranet, SPEC §12).

A register over LARGE_REGISTER_ROWS rows is a job for the worker and is laid out by
secrecy/pdftable.py instead (issue 12): the same page, marks and rules, at a small fraction of
WeasyPrint's cost per row, reading the rows as a stream (StreamedRows) so that none is held whole.
The XLSX is always written in openpyxl's write-only mode, row by row, in constant memory.
"""
import contextlib
import dataclasses
import datetime as dt
import io
import re
import zoneinfo

from django.conf import settings
from django.template.loader import render_to_string

from .errors import DomainError
from .levels import level_label

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

# Rows laid out per WeasyPrint pass. Its table layout costs ~6 ms a row; chunks keep one pass
# short enough to report progress and small enough in memory.
CHUNK_ROWS = 300
# Rows whose pages are written out together (one embedded font subset per part).
PART_ROWS = 3000
# Overlay pages rendered per pass.
STAMP_CHUNK_PAGES = 400
# Registers with more rows than this are laid out by secrecy/pdftable.py (Pango and Cairo) instead of
# WeasyPrint: at ~10-25 ms a row WeasyPrint needs minutes for a big 台账, the table engine under 1 ms
# (issue 12). Smaller registers keep the WeasyPrint layout of templates/print/. The same number as
# the default REGISTER_INLINE_MAX_ROWS: what is printed in the request is laid out by WeasyPrint,
# what goes to the worker (SPEC §11) by the table engine.
LARGE_REGISTER_ROWS = 500
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


def _unit_name(register):
    return register.unit_name or settings.SECRECY.get("UNIT_NAME", "")


# --------------------------------------------------------------------------------------- PDF


def _refusing_fetcher():
    from weasyprint.urls import URLFetcher

    class RefuseAll(URLFetcher):
        """A register never loads anything: fonts are local and templates reference no URL."""

        def fetch(self, url, headers=None):
            raise ValueError(f"printing does not fetch URLs: {url[:80]}")

    return RefuseAll()


def _row_indexes_on(page):
    """Indexes (data-i) of the register rows laid out on one page."""
    found = set()
    for box in page._page_box.descendants():
        if box.element_tag == "tr" and box.element is not None:
            index = box.element.get("data-i")
            if index is not None:
                found.add(int(index))
    return found


def _column_percentages(columns):
    total = sum(c.width for c in columns) or 1
    return [f"{c.width * 100 / total:.3f}%" for c in columns]


def _layout_body(register, html_class, font_config, fetcher, progress):
    """Lay the table out chunk by chunk. Returns (parts as PDF bytes, rows on each page)."""
    rows = register.rows
    total = len(rows)
    widths = _column_percentages(register.columns)
    unit = _unit_name(register)
    parts, page_rows = [], []
    pending_pages, pending_first_doc, pending_rows = [], None, 0
    start, first = 0, True
    while True:
        end = min(start + CHUNK_ROWS, total)
        final = end >= total
        html = render_to_string("print/register.html", {
            "register": register, "unit_name": unit, "widths": widths, "first": first, "final": final,
            "rows": [(i, register.levels[i] if i < len(register.levels) else None, [clean_cell(v) for v in rows[i]])
                     for i in range(start, end)],
            "total_rows": total,
        })
        doc = html_class(string=html, url_fetcher=fetcher).render(font_config=font_config)
        on_pages = [_row_indexes_on(p) for p in doc.pages]
        keep, next_start = len(doc.pages), end
        if not final and len(doc.pages) > 1:
            earlier = set().union(*on_pages[:-1])
            fresh = on_pages[-1] - earlier
            carry = min(fresh) if fresh else end
            if carry > start:
                keep, next_start = len(doc.pages) - 1, carry
        pending_pages.extend(doc.pages[:keep])
        page_rows.extend(on_pages[:keep])
        pending_first_doc = pending_first_doc or doc
        pending_rows += next_start - start
        if final or pending_rows >= PART_ROWS:
            parts.append(pending_first_doc.copy(pending_pages).write_pdf())
            pending_pages, pending_first_doc, pending_rows = [], None, 0
        if progress:
            progress(0.9 * (next_start / total if total else 1))
        if final:
            return parts, page_rows
        start, first = next_start, False


def _page_levels(register, page_rows):
    """The highest level of the rows on each page.

    A page without rows (only possible for an empty register, or a trailing line) takes the
    level of the page before it: it belongs to the same document.
    """
    levels, previous = [], None
    for indexes in page_rows:
        known = [register.levels[i] for i in indexes if i < len(register.levels) and register.levels[i] is not None]
        level = max(known) if known else previous
        levels.append(level)
        previous = level
    return levels


def _render_stamps(register, page_levels, printed_by, printed_at, html_class, font_config, fetcher):
    """The running marks of every page, as PDF parts of STAMP_CHUNK_PAGES pages each."""
    total = len(page_levels)
    context = {
        "title": register.title, "unit_name": _unit_name(register),
        "printed_by": printed_by, "printed_at": local_time_label(printed_at),
    }
    parts = []
    for offset in range(0, total, STAMP_CHUNK_PAGES):
        pages = [
            {"level": page_level_label(level), "level_value": level or 0, "number": f"第 {n + 1} 页 共 {total} 页"}
            for n, level in enumerate(page_levels[offset:offset + STAMP_CHUNK_PAGES], start=offset)
        ]
        html = render_to_string("print/stamp.html", {**context, "pages": pages})
        parts.append(html_class(string=html, url_fetcher=fetcher).render(font_config=font_config).write_pdf())
    return parts


def _overlay(body_parts, stamp_parts, *, title, author):
    from pypdf import PdfReader, PdfWriter

    stamp_pages = [page for part in stamp_parts for page in PdfReader(io.BytesIO(part)).pages]
    writer = PdfWriter()
    index = 0
    for part in body_parts:
        for body_page in PdfReader(io.BytesIO(part)).pages:
            page = writer.add_page(body_page)
            page.merge_page(stamp_pages[index])
            page.compress_content_streams()
            index += 1
    if index != len(stamp_pages):
        raise RuntimeError(f"page count mismatch: body {index}, marks {len(stamp_pages)}")
    writer.add_metadata({"/Title": title, "/Author": author, "/Creator": "secrecy"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclasses.dataclass
class PdfResult:
    content: bytes
    page_levels: list


def render_pdf_with_pages(register, printed_by, printed_at, *, progress=None):
    """Render the register; also return the level printed at the top of each page."""
    if len(register.rows) > LARGE_REGISTER_ROWS:
        return _render_large_pdf(register, printed_by, printed_at, progress=progress)
    if not isinstance(register.rows, list):
        # At most LARGE_REGISTER_ROWS rows: the chunked HTML layout reads them by index.
        register = dataclasses.replace(register, rows=list(register.rows))
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    fetcher = _refusing_fetcher()
    body_parts, page_rows = _layout_body(register, HTML, font_config, fetcher, progress)
    levels = _page_levels(register, page_rows)
    stamps = _render_stamps(register, levels, printed_by, printed_at, HTML, font_config, fetcher)
    if progress:
        progress(0.95)
    content = _overlay(body_parts, stamps, title=register.title, author=printed_by)
    if progress:
        progress(1.0)
    return PdfResult(content=content, page_levels=levels)


def _render_large_pdf(register, printed_by, printed_at, *, progress=None):
    from . import pdftable

    total = sum(c.width for c in register.columns) or 1
    levels = [register.levels[i] if i < len(register.levels) else None for i in range(len(register.rows))]
    content, page_levels = pdftable.render(
        register,
        marks=pdftable.Marks(title=register.title, unit_name=_unit_name(register),
                             printed_line=f"打印人：{printed_by}　打印时间：{local_time_label(printed_at)}"),
        column_widths=[c.width / total for c in register.columns],
        rows=lambda: ([clean_cell(v) for v in row] for row in register.rows),
        levels=levels, level_label=page_level_label, progress=progress,
    )
    return PdfResult(content=content, page_levels=page_levels)


def render_pdf(register, printed_by, printed_at, *, progress=None):
    """The register as an A4 landscape PDF (bytes). `printed_by` is the printer's display name,
    `printed_at` an aware datetime; `progress(fraction)` is called as the work advances."""
    return render_pdf_with_pages(register, printed_by, printed_at, progress=progress).content


# -------------------------------------------------------------------------------------- XLSX


def _sheet_title(title):
    return re.sub(r"[\[\]:*?/\\]", "", title)[:31] or "登记簿"


def render_xlsx(register, printed_by, printed_at, *, progress=None):
    """The same rows and headers as the PDF, as an XLSX workbook (bytes).

    Written in write-only mode so a large register streams instead of holding every cell
    object. Every value is stored as text, so a title starting with "=" is never a formula.
    """
    from openpyxl import Workbook
    from openpyxl.cell import Cell, WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
    from openpyxl.utils import get_column_letter

    level = register.highest_level
    level_text = page_level_label(level)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(register.title))
    for number, column in enumerate(register.columns, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.sheet_width
    header_row = 5
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = 9  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    # When the sheet itself is printed, every page carries the highest level of the whole sheet
    # (a spreadsheet cannot know per-page rows; the overall level is never lower).
    sheet.oddHeader.center.text = level_text
    sheet.oddHeader.center.size = 14
    sheet.oddHeader.center.font = "Noto Sans CJK SC,Bold"
    sheet.oddFooter.left.text = f"打印人：{printed_by}  打印时间：{local_time_label(printed_at)}"
    sheet.oddFooter.right.text = "第 &P 页 共 &N 页"

    def text_cell(value, *, font=None, fill=None, border=None, alignment=None):
        cell = WriteOnlyCell(sheet, value=clean_cell(value))
        cell.data_type = "s"
        if font:
            cell.font = font
        if fill:
            cell.fill = fill
        if border:
            cell.border = border
        if alignment:
            cell.alignment = alignment
        return cell

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    # One named style shared by every body cell: setting border and alignment cell by cell made
    # openpyxl hash both objects for each of a big register's ~900,000 cells (two thirds of the
    # export time).
    body = NamedStyle(name="register_body", border=border, alignment=Alignment(wrap_text=True, vertical="top"))
    workbook.add_named_style(body)
    body_style = body.as_tuple()

    def body_cell(value):
        cell = Cell(sheet, row=1, column=1, value=clean_cell(value), style_array=body_style)
        cell.data_type = "s"
        return cell
    sheet.append([text_cell(level_text, font=Font(bold=True, size=16, color="B00000"))])
    sheet.append([text_cell(f"{_unit_name(register)} {register.title}".strip(), font=Font(bold=True, size=14))])
    if register.header_lines:
        sheet.append([text_cell(f"{'；'.join(register.header_lines)}；共 {len(register.rows)} 条")])
    else:
        sheet.append([text_cell(f"筛选条件：{register.filters_description or '全部'}；共 {len(register.rows)} 条")])
    sheet.append([text_cell(f"打印人：{printed_by}；打印时间：{local_time_label(printed_at)}")])
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="E8E8E8")
    sheet.append([text_cell(h, font=header_font, fill=header_fill, border=border,
                            alignment=Alignment(wrap_text=True, horizontal="center", vertical="center"))
                  for h in register.headers])
    total = len(register.rows)
    try:
        for number, row in enumerate(register.rows, start=1):
            sheet.append([body_cell(v) for v in row])
            if progress and number % 1000 == 0:
                progress(0.9 * number / total)
    except BaseException:
        # openpyxl streams the sheet through a temporary file that only save() removes: a render
        # stopped half-way must not leave part of a classified register in /tmp for as long as the
        # worker runs. Saving to a throwaway buffer is its one public way to close and clean up.
        with contextlib.suppress(Exception):
            workbook.save(io.BytesIO())
        raise
    if register.summary_lines or register.signatures:
        sheet.append([])
    for line in register.summary_lines:
        sheet.append([text_cell(line, font=Font(bold=True))])
    for role, name, at in register.signatures:
        sheet.append([text_cell(f"{role}（签字）：", font=Font(bold=True)), text_cell(name), text_cell(at)])
    out = io.BytesIO()
    workbook.save(out)
    if progress:
        progress(1.0)
    return out.getvalue()
