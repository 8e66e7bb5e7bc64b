"""The XLSX of a register (SPEC §11): the same rows and headers as the PDF, always written in
openpyxl's write-only mode, row by row, in constant memory."""
import contextlib
import io
import re

from secrecy.printing import clean_cell, local_time_label, page_level_label, unit_name_of


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
    sheet.append([text_cell(f"{unit_name_of(register)} {register.title}".strip(), font=Font(bold=True, size=14))])
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
    # What follows the table is set off by an empty row, as on paper: the totals and the sign-off
    # lines (issue 14 §5), each signature with its time or a blank date to write in.
    if register.summary_lines or register.signatures:
        sheet.append([])
    for line in register.summary_lines:
        sheet.append([text_cell(line, font=Font(bold=True))])
    for role, name, at in register.signatures:
        sheet.append([text_cell(f"{role}（签字）：", font=Font(bold=True)), text_cell(name),
                      text_cell(f"{register.signature_time_label}："), text_cell(at)])
    out = io.BytesIO()
    workbook.save(out)
    if progress:
        progress(1.0)
    return out.getvalue()
