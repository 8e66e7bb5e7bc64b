"""The PDF of a register (SPEC §11), the same for every register of every app.

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
registers/pdftable.py instead (issue 12): the same page, marks and rules, at a small fraction of
WeasyPrint's cost per row, reading the rows as a stream (StreamedRows) so that none is held whole.
"""
import dataclasses
import io

from django.template.loader import render_to_string

from secrecy.printing import clean_cell, local_time_label, page_level_label, unit_name_of

from . import pdftable

# Rows laid out per WeasyPrint pass. Its table layout costs ~6 ms a row; chunks keep one pass
# short enough to report progress and small enough in memory.
CHUNK_ROWS = 300
# Rows whose pages are written out together (one embedded font subset per part).
PART_ROWS = 3000
# Overlay pages rendered per pass.
STAMP_CHUNK_PAGES = 400
# Registers with more rows than this are laid out by registers/pdftable.py (Pango and Cairo) instead
# of WeasyPrint: at ~10-25 ms a row WeasyPrint needs minutes for a big 台账, the table engine under
# 1 ms (issue 12). Smaller registers keep the WeasyPrint layout of templates/print/. The same number
# as the default REGISTER_INLINE_MAX_ROWS: what is printed in the request is laid out by WeasyPrint,
# what goes to the worker (SPEC §11) by the table engine.
LARGE_REGISTER_ROWS = 500


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
    unit = unit_name_of(register)
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
            "end_text": register.end_text(total),
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
        "title": register.title, "unit_name": unit_name_of(register),
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
    total = sum(c.width for c in register.columns) or 1
    levels = [register.levels[i] if i < len(register.levels) else None for i in range(len(register.rows))]
    content, page_levels = pdftable.render(
        register,
        marks=pdftable.Marks(title=register.title, unit_name=unit_name_of(register),
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
