"""The PDF engine for big registers: Pango lays out every cell, Cairo writes the PDF.

WeasyPrint lays a register table out at ~10 ms a row here (a 4,931-row 台账 took minutes), because it
runs the whole CSS box model for every cell. A register is one fixed-width table, so this engine asks
Pango — the text engine WeasyPrint itself uses, with the same CJK line-breaking rules and fontconfig
fonts — only for what a table needs: how tall each cell's text is at its column's width. Cairo
writes the pages and embeds the Noto CJK font as a CFF subset (FontFile3); nothing is fetched.

Two passes, so that the running marks are exact before anything is drawn:
1. measure every row and cut the rows into pages (a row is never split: MAX_CELL_CHARS bounds a
   cell, and a cell still too tall for one page is cut with an ellipsis);
2. draw page by page, each with the highest level of the rows *on that page* at the top (SPEC §11),
   "第 x 页 共 y 页" (y known from pass 1), the header row repeated and the printed-by footer.

registers/pdf.py decides when this engine is used; the page geometry mirrors
templates/print/_page.css so both engines print the same A4 landscape page.
"""
import dataclasses
import io

from secrecy.printing import RegisterChanged

MM = 72 / 25.4
PAGE_WIDTH, PAGE_HEIGHT = 297 * MM, 210 * MM
MARGIN_TOP, MARGIN_RIGHT, MARGIN_BOTTOM, MARGIN_LEFT = 17 * MM, 10 * MM, 13 * MM, 10 * MM
BODY_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
BODY_BOTTOM = PAGE_HEIGHT - MARGIN_BOTTOM
PAD_X, PAD_Y = 1 * MM, 0.8 * MM
FONT_FAMILY = "Noto Sans CJK SC"
BODY_SIZE = 7.5
HEADER_FILL = (0.91, 0.91, 0.91)
RULE_WIDTH = 0.5


@dataclasses.dataclass
class Marks:
    """What every page prints around the table."""

    title: str
    unit_name: str
    printed_line: str  # 打印人：…　打印时间：…


def _pango():
    # Imported here: the web process never lays out a big register, and the libraries are
    # only needed where one is printed.
    import cairocffi
    import pangocairocffi
    import pangocffi

    return cairocffi, pangocairocffi, pangocffi


class _Typesetter:
    """Pango layouts on one Cairo context, at 72 dpi so that Pango sizes are PDF points."""

    def __init__(self, context):
        cairo, pangocairo, pango = _pango()
        self.cairo, self.pangocairo, self.pango = cairo, pangocairo, pango
        self.context = context
        self.pango_context = pangocairo.create_context(context)
        pangocairo.set_resolution(self.pango_context, 72)

    def layout(self, *, size=BODY_SIZE, bold=False, width=None, align="left", max_height=None):
        pango = self.pango
        description = pango.FontDescription()
        description.family = FONT_FAMILY
        description.size = pango.units_from_double(size)
        if bold:
            description.weight = pango.Weight.BOLD
        layout = pango.Layout(self.pango_context)
        layout.font_description = description
        if width is not None:
            layout.width = pango.units_from_double(width)
            # overflow-wrap: anywhere — a long serial or Latin word still breaks inside the column.
            layout.wrap = pango.WrapMode.WORD_CHAR
        if max_height is not None:
            layout.height = pango.units_from_double(max_height)
            layout.ellipsize = pango.EllipsizeMode.END
        layout.alignment = {"left": pango.Alignment.LEFT, "center": pango.Alignment.CENTER,
                            "right": pango.Alignment.RIGHT}[align]
        return layout

    def height(self, layout, text):
        layout.text = text
        return self.pango.units_to_double(layout.get_size()[1])

    def show(self, layout, x, y, text=None):
        if text is not None:
            layout.text = text
        self.context.move_to(x, y)
        self.pangocairo.show_layout(self.context, layout)


@dataclasses.dataclass
class _Page:
    start: int  # first row index on the page
    end: int  # one past the last row index
    first: bool
    trailer: bool  # the end line (and totals, signatures) is printed on this page


def render(register, *, marks, column_widths, rows, levels, level_label, progress=None):
    """The register as PDF bytes, and the level (or None) printed at the top of each page.

    `column_widths` are fractions of the table width; `rows()` iterates the printable texts of
    every row (called once per pass, so the rows need not be held); `levels[i]` is row i's level;
    `level_label(level)` the mark printed for a page's highest level.
    """
    cairo, _, _ = _pango()
    out = io.BytesIO()
    surface = cairo.PDFSurface(out, PAGE_WIDTH, PAGE_HEIGHT)
    surface.set_metadata(cairo.PDF_METADATA_TITLE, register.title)
    surface.set_metadata(cairo.PDF_METADATA_AUTHOR, marks.printed_line)
    surface.set_metadata(cairo.PDF_METADATA_CREATOR, "secrecy")
    context = cairo.Context(surface)
    type_ = _Typesetter(context)
    total = len(register.rows)
    widths = [BODY_WIDTH * share for share in column_widths]
    text_widths = [max(w - 2 * PAD_X, 1) for w in widths]

    # ---------------------------------------------------------------- what is not the table
    # The lines above the table carry user input (a search term in 筛选条件): each is cut to a few
    # lines, so that the first page always has room for its rows.
    title_layout = type_.layout(size=15, bold=True, width=BODY_WIDTH, align="center", max_height=14 * MM)
    title_height = type_.height(title_layout, register.title) + 1.5 * MM
    if register.header_lines:
        intro_lines = [f"单位：{marks.unit_name}　共 {total} 条", *register.header_lines[:6]]
        intro_layout = type_.layout(size=8.5, width=BODY_WIDTH, max_height=10 * MM)
        intro_height = sum(type_.height(intro_layout, line) + 0.6 * MM for line in intro_lines) + 2 * MM
    else:
        intro_lines = None
        summary = [type_.layout(size=8, width=BODY_WIDTH, align=a, max_height=10 * MM)
                   for a in ("left", "center", "right")]
        summary_texts = [f"单位：{marks.unit_name}", f"筛选条件：{register.filters_description or '全部'}",
                         f"共 {total} 条"]
        intro_height = max(type_.height(lay, t) for lay, t in zip(summary, summary_texts)) + 2 * MM
    first_top = MARGIN_TOP + title_height + intro_height

    header_layouts = [type_.layout(bold=True, width=w, align="center") for w in text_widths]
    header_height = max(type_.height(lay, h) for lay, h in zip(header_layouts, register.headers)) + 2 * PAD_Y

    # No row may be taller than what the first page holds under its title and header row.
    max_cell = BODY_BOTTOM - first_top - header_height - 2 * PAD_Y - 12 * MM
    cell_layouts = [type_.layout(width=w, align="center" if n == 0 else "left", max_height=max_cell)
                    for n, w in enumerate(text_widths)]

    end_text = register.end_text(total)
    end_layout = type_.layout(size=8, width=BODY_WIDTH)
    end_height = 2 * MM + type_.height(end_layout, end_text)
    totals_layout = type_.layout(size=9, bold=True, width=BODY_WIDTH)
    totals_height = (2 * MM + sum(type_.height(totals_layout, line) + 0.8 * MM for line in register.summary_lines)
                     if register.summary_lines else 0)
    signature_layout = type_.layout(size=9)
    signature_row = type_.height(signature_layout, "签字") + 3 * MM
    signatures_height = (4 * MM + signature_row * len(register.signatures)) if register.signatures else 0

    # ------------------------------------------------------------- pass 1: measure, paginate
    # The second pass draws what the first measured: each row's fingerprint is kept to prove it.
    heights, fingerprints = [], []
    # ~50 reports a pass whatever the size: the job page moves, the database is not hammered.
    step = max(1, total // 50)
    for index, row in enumerate(rows()):
        tallest = 0
        for layout, text in zip(cell_layouts, row):
            if text:  # an empty cell is never the tallest: 序号 always has a line
                layout.text = text
                tallest = max(tallest, layout.get_size()[1])
        heights.append(type_.pango.units_to_double(tallest) + 2 * PAD_Y)
        fingerprints.append(hash(tuple(row)))
        if progress and index % step == 0:
            progress(0.5 * index / total)
    if len(heights) != total:
        raise RegisterChanged()
    empty_height = (type_.height(cell_layouts[0], "（无记录）") + 2 * PAD_Y) if not total else 0

    pages, start, top, first = [], 0, first_top + header_height, True
    if not total:
        pages.append(_Page(0, 0, True, True))
        top += empty_height
    index = 0
    while index < total:
        height = heights[index]
        last = index == total - 1
        # The end line stays with the last row (break-before: avoid), like the HTML layout.
        needed = height + (end_height if last else 0)
        if top + needed > BODY_BOTTOM and index > start:
            pages.append(_Page(start, index, first, False))
            start, top, first = index, MARGIN_TOP + header_height, False
            continue
        top += height
        index += 1
    if total:
        pages.append(_Page(start, total, first, True))
    trailer_top = top + end_height
    # Totals and signatures go on a page of their own when they do not fit under the table.
    trailer_page = None
    if totals_height + signatures_height and trailer_top + totals_height + signatures_height > BODY_BOTTOM:
        trailer_page = _Page(total, total, False, False)
        pages.append(trailer_page)

    page_levels, previous = [], None
    for page in pages:
        known = [levels[i] for i in range(page.start, page.end) if levels[i] is not None]
        # A page without rows belongs to the document: it takes the level of the page before it.
        level = max(known) if known else previous
        page_levels.append(level)
        previous = level

    # ---------------------------------------------------------------------- pass 2: draw
    mark_layouts = {
        "unit": type_.layout(size=8, width=BODY_WIDTH / 3, align="left"),
        "level": type_.layout(size=16, bold=True, width=BODY_WIDTH, align="center"),
        "title": type_.layout(size=8, width=BODY_WIDTH / 3, align="right"),
        "printed": type_.layout(size=7.5, width=BODY_WIDTH * 2 / 3, align="left"),
        "number": type_.layout(size=8, width=BODY_WIDTH / 3, align="right"),
    }
    context.set_line_width(RULE_WIDTH)

    def draw_marks(number, level):
        for key, text, x, bottom_gap in (
                ("unit", marks.unit_name, MARGIN_LEFT, 2 * MM),
                ("level", level_label(level), MARGIN_LEFT, 1.5 * MM),
                ("title", marks.title, PAGE_WIDTH - MARGIN_RIGHT - BODY_WIDTH / 3, 2 * MM)):
            layout = mark_layouts[key]
            height = type_.height(layout, text)
            type_.show(layout, x, MARGIN_TOP - bottom_gap - height)
        type_.show(mark_layouts["printed"], MARGIN_LEFT, BODY_BOTTOM + 2 * MM, marks.printed_line)
        type_.show(mark_layouts["number"], PAGE_WIDTH - MARGIN_RIGHT - BODY_WIDTH / 3, BODY_BOTTOM + 2 * MM,
                   f"第 {number} 页 共 {len(pages)} 页")

    def draw_header(top):
        context.set_source_rgb(*HEADER_FILL)
        context.rectangle(MARGIN_LEFT, top, BODY_WIDTH, header_height)
        context.fill()
        context.set_source_rgb(0, 0, 0)
        x = MARGIN_LEFT
        for layout, width, header in zip(header_layouts, widths, register.headers):
            height = type_.height(layout, header)
            type_.show(layout, x + PAD_X, top + (header_height - height) / 2)
            context.rectangle(x, top, width, header_height)
            x += width
        context.stroke()
        return top + header_height

    def draw_row(index, row, top):
        if hash(tuple(row)) != fingerprints[index]:
            raise RegisterChanged()
        height = heights[index]
        x = MARGIN_LEFT
        for layout, width, text in zip(cell_layouts, widths, row):
            if text:
                type_.show(layout, x + PAD_X, top + PAD_Y, text)
            context.rectangle(x, top, width, height)
            x += width
        context.stroke()
        return top + height

    second_pass = iter(rows())
    for number, (page, level) in enumerate(zip(pages, page_levels), start=1):
        draw_marks(number, level)
        top = MARGIN_TOP
        if page.first:
            type_.show(title_layout, MARGIN_LEFT, top, register.title)
            top += title_height
            if intro_lines is not None:
                for line in intro_lines:
                    type_.show(intro_layout, MARGIN_LEFT, top, line)
                    top += type_.height(intro_layout, line) + 0.6 * MM
                top += 2 * MM
            else:
                for layout, text in zip(summary, summary_texts):
                    type_.show(layout, MARGIN_LEFT, top, text)
                top += intro_height
        if page is not trailer_page:
            top = draw_header(top)
        if not total and page.first:
            context.rectangle(MARGIN_LEFT, top, BODY_WIDTH, empty_height)
            context.stroke()
            type_.show(cell_layouts[0], MARGIN_LEFT + PAD_X, top + PAD_Y, "（无记录）")
            top += empty_height
        for index in range(page.start, page.end):
            row = next(second_pass, None)
            if row is None:
                raise RegisterChanged()
            top = draw_row(index, row, top)
        if progress:
            progress(0.5 + 0.5 * number / len(pages))
        if page.trailer:
            type_.show(end_layout, MARGIN_LEFT, top + 2 * MM, end_text)
            top += end_height
        if page.trailer and trailer_page is None or page is trailer_page:
            top = _draw_totals_and_signatures(type_, register, top, totals_layout, signature_layout,
                                              signature_row)
        context.show_page()
    if next(second_pass, None) is not None:
        raise RegisterChanged()
    surface.finish()
    if progress:
        progress(1.0)
    return out.getvalue(), page_levels


def _draw_totals_and_signatures(type_, register, top, totals_layout, signature_layout, signature_row):
    context = type_.context
    if register.summary_lines:
        top += 2 * MM
        for line in register.summary_lines:
            type_.show(totals_layout, MARGIN_LEFT, top, line)
            top += type_.height(totals_layout, line) + 0.8 * MM
    if register.signatures:
        top += 4 * MM
        for role, name, at in register.signatures:
            x = MARGIN_LEFT
            for text, blank in ((f"{role}（签字）：", None), (name, 40 * MM),
                                (f"{register.signature_time_label}：", None), (at, 40 * MM)):
                type_.show(signature_layout, x, top + 1.5 * MM, text)
                width = type_.pango.units_to_double(signature_layout.get_size()[0])
                if blank is not None:
                    width = max(width, blank)
                    context.move_to(x, top + signature_row)
                    context.line_to(x + width, top + signature_row)
                    context.stroke()
                x += width + 3 * MM
            top += signature_row
    return top
