"""Printed registers (SPEC §11, issue 2 acceptance point 6): 收文登记簿, 发文登记簿 and 涉密载体台账 as
PDF and XLSX, from the web page and from the command, holding exactly what the reader may see."""
import datetime as dt
import io
import itertools
import re
from urllib.parse import unquote

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from pypdf import PdfReader

from audits.models import AuditEvent
from documents import services
from documents.registers import carriers as carrier_registers
from registers import services as register_services, services_render as runner
from registers.models import RegisterJob, RegisterJobStatus
from secrecy.printing import MAX_CELL_CHARS

HEADERS = {
    "incoming": ["序号", "统一编号", "收文日期", "来文单位", "文号", "文件标题", "密级", "保密期限", "份号", "份数",
                 "页数", "紧急程度", "签收人", "管理部门", "当前保管人", "状态", "备注"],
    "outgoing": ["序号", "统一编号", "发文日期", "类型", "文号", "文件标题", "密级/标志", "份号", "份数", "发往单位",
                 "定密责任人", "承办人", "定密依据", "传递方式", "状态"],
    "ledger": ["序号", "统一编号", "登记日期", "文件资料名称", "制发单位", "载体类别", "文号或编号", "密级", "保密期限",
               "页数或容量", "份数", "知悉范围", "管理部门", "保管人", "状态", "备注"],
}
TITLES = {"incoming": "收文登记簿", "outgoing": "发文登记簿", "ledger": "涉密载体台账"}
SERIAL = re.compile(r"\d{4}-\d{6}")
XLSX_HEADER_ROW = 5

# About 23 s on one worker: handed out before the short files (conftest.py, heavy).
pytestmark = pytest.mark.heavy(seconds=23)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The `unit` fixture creates ten accounts; PBKDF2 at Django's default cost makes that take
    # seconds per test, and passwords play no part in registers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# ------------------------------------------------------------------------------------ helpers


def pdf_pages(content):
    return PdfReader(io.BytesIO(content)).pages


def pdf_text(content):
    return "\n".join(page.extract_text() for page in pdf_pages(content))


def top_of_page_texts(page):
    """Text drawn in the top margin of a page (above the body area)."""
    height = float(page.mediabox.height)
    found = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip() and tm[5] * cm[3] + cm[5] > height - 45:
            found.append(text.strip())

    page.extract_text(visitor_text=visit)
    return found


def embedded_fonts(content):
    """(BaseFont, has an embedded font file) for every font used on any page."""
    fonts = set()
    for page in pdf_pages(content):
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for candidate in [font] + [d.get_object() for d in font.get("/DescendantFonts", [])]:
                descriptor = candidate.get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
                fonts.add((str(candidate["/BaseFont"]), embedded))
    return fonts


def xlsx_table(content):
    """(top rows, header, data rows) of the workbook's only sheet, empty cells as ""."""
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return sheet, rows[:XLSX_HEADER_ROW - 1], rows[XLSX_HEADER_ROW - 1], table_body(rows[XLSX_HEADER_ROW:])


def table_body(rows):
    """The data rows: up to the empty row that sets off the sign-off lines."""
    return list(itertools.takewhile(any, rows))


def pdf_serials(content):
    """统一编号 in table order (the serial column; other cells never hold that pattern here)."""
    return SERIAL.findall(pdf_text(content))


def download(client, user, name, fmt, **filters):
    client.force_login(user)
    return client.post(reverse("registers:download"), {"register": name, "format": fmt, **filters})


def print_events():
    return AuditEvent.objects.filter(action__in=["register.print", "register.export"]).order_by("seq")


@pytest.fixture
def carriers(unit, register_carrier):
    """A small registry: what lisi (重要 → 机密, 业务一处) may and may not see."""
    incoming = register_carrier(level=3, title="关于开展年度保密检查的通知", doc_number="省保发〔2026〕7号",
                                copy_number=12, urgency="urgent", scope_users=[unit.lisi])
    outgoing = register_carrier(outgoing=True, level=2, title="关于报送涉密人员名单的函", copy_number=3,
                                doc_number="示保函〔2026〕2号", transmission="jiyao_jiaotong", scope_users=[unit.lisi])
    internal = services.carrier_register_outgoing(
        actor=unit.mishu, internal=True, scope_users=[unit.lisi], data=dict(
            title="业务一处工作底稿", kind="paper", level=2, copy_number=1, copies=1, pages="3",
            doc_date=dt.date(2026, 10, 9), department=unit.business, basis="《某事项保密范围》第5条",
            drafter=unit.lisi, classifier=unit.zhuren, period_kind="term", period_value=5, period_unit="year",
        ))
    hidden = register_carrier(level=3, title="不在李四知悉范围内的文件", doc_number="某发〔2026〕99号", copy_number=5)
    # lisi is in scope through 业务一处 but is not cleared for 绝密.
    top = register_carrier(level=4, title="绝密级战略规划", doc_number="某绝〔2026〕1号", copy_number=1,
                           scope_groups=[unit.business.group])
    return dict(incoming=incoming, outgoing=outgoing, internal=internal, hidden=hidden, top=top)


# ------------------------------------------------------------------------ web: PDF and XLSX

KNOWN_ROW = {"incoming": "incoming", "outgoing": "outgoing", "ledger": "incoming"}


@pytest.mark.parametrize("name", ["incoming", "outgoing", "ledger"])
def test_each_register_downloads_as_pdf_with_headers_known_row_page_numbers_printer_and_level(
        client, unit, carriers, name):
    response = download(client, unit.mishu, name, "pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith(TITLES[name])
    text = pdf_text(response.content)
    compact = re.sub(r"\s+", "", text)  # a narrow column wraps its header (紧急/程度)
    for header in HEADERS[name]:
        assert header in compact
    known = carriers[KNOWN_ROW[name]]
    assert known.serial in text and known.title in text
    pages = pdf_pages(response.content)
    assert f"第 1 页 共 {len(pages)} 页" in pages[0].extract_text()
    assert "mishu" in pages[0].extract_text() and "北京时间" in pages[0].extract_text()
    # mishu (registrar for the whole unit, 核心) sees the 绝密 carrier: in the ledger and the
    # incoming book it is on this one page, so the page is marked 绝密.
    expected = "绝密" if name in ("incoming", "ledger") else "秘密"
    assert expected in top_of_page_texts(pages[0])


@pytest.mark.parametrize("name", ["incoming", "outgoing", "ledger"])
def test_each_register_downloads_as_xlsx_with_the_rows_of_the_pdf(client, unit, carriers, name):
    pdf = download(client, unit.mishu, name, "pdf").content
    response = download(client, unit.mishu, name, "xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet, top, header, rows = xlsx_table(response.content)
    assert header == HEADERS[name]
    assert top[0][0] == ("绝密" if name in ("incoming", "ledger") else "秘密")
    assert TITLES[name] in top[1][0]
    assert "mishu" in top[3][0]
    assert sheet.freeze_panes == f"A{XLSX_HEADER_ROW + 1}"
    serial_column = header.index("统一编号")
    assert [row[serial_column] for row in rows] == pdf_serials(pdf)
    known = carriers[KNOWN_ROW[name]]
    row = next(r for r in rows if r[serial_column] == known.serial)
    assert known.title in row and known.mark in row
    assert known.mark in pdf_text(pdf)


def test_incoming_register_prints_the_registration_columns(client, unit, carriers):
    _, _, header, rows = xlsx_table(download(client, unit.mishu, "incoming", "xlsx").content)
    row = dict(zip(header, next(r for r in rows if r[1] == carriers["incoming"].serial)))

    assert row["保密期限"] == "机密★10年"
    assert row["份号"] == "000012"
    assert row["紧急程度"] == "加急"
    assert row["来文单位"] == "市保密局"
    assert row["文号"] == "省保发〔2026〕7号"
    assert row["签收人"] == "王机要"
    assert row["管理部门"] == "业务一处"
    assert row["状态"] == "在库"


def test_outgoing_register_holds_outgoing_and_internal_carriers_with_their_classification_record(
        client, unit, carriers):
    _, _, header, rows = xlsx_table(download(client, unit.mishu, "outgoing", "xlsx").content)
    by_serial = {r[1]: dict(zip(header, r)) for r in rows}

    assert set(by_serial) == {carriers["outgoing"].serial, carriers["internal"].serial}
    out = by_serial[carriers["outgoing"].serial]
    assert (out["类型"], out["密级/标志"], out["份号"]) == ("发文", "秘密★10年", "000003")
    assert (out["定密责任人"], out["承办人"], out["传递方式"]) == ("zhuren", "lisi", "机要交通")
    assert out["定密依据"] == "《某事项保密范围》第3条"
    assert by_serial[carriers["internal"].serial]["类型"] == "自产"


def test_filters_narrow_the_register_and_are_printed(client, unit, carriers):
    response = download(client, unit.mishu, "ledger", "xlsx", level="3")
    _, top, _, rows = xlsx_table(response.content)

    assert {r[1] for r in rows} == {carriers["incoming"].serial, carriers["hidden"].serial}
    assert "密级：机密" in top[2][0]
    event = print_events().get()
    assert event.detail["filters"] == {"level": "3"}


def test_an_invalid_filter_is_refused_instead_of_printing_everything(client, unit, carriers):
    response = download(client, unit.mishu, "ledger", "pdf", date_from="not-a-date")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert not print_events().exists()


def test_an_empty_register_still_prints_one_page_with_its_headers(client, unit, carriers):
    # wangwu holds no clearance and no carrier is in his scope.
    response = download(client, unit.wangwu, "incoming", "pdf")

    pages = pdf_pages(response.content)
    assert len(pages) == 1
    text = pages[0].extract_text()
    for header in HEADERS["incoming"]:
        assert header in re.sub(r"\s+", "", text)
    assert "第 1 页 共 1 页" in text
    assert "非密" in top_of_page_texts(pages[0])
    assert not SERIAL.findall(text)


# ------------------------------------------------------------------------------ font and pages


def test_the_pdf_embeds_a_cjk_font(client, unit, carriers):
    fonts = embedded_fonts(download(client, unit.mishu, "ledger", "pdf").content)

    cjk = [(name, embedded) for name, embedded in fonts if "Noto" in name and "CJK" in name]
    assert cjk and all(embedded for _, embedded in cjk)
    assert all(embedded for _, embedded in fonts)


def test_each_page_shows_the_highest_level_of_its_own_rows(client, unit, register_carrier):
    # Long titles make tall rows, so a few carriers fill more than one page.
    confidential = [
        register_carrier(level=2, title=f"秘密级通知第{i}号" + "关于进一步加强和改进涉密载体管理工作的若干意见" * 5,
                         doc_number=f"某发〔2026〕{i}号", copy_number=i + 1)
        for i in range(14)
    ]
    top = register_carrier(level=4, title="绝密级战略规划", doc_number="某绝〔2026〕1号", copy_number=1)

    pages = pdf_pages(download(client, unit.mishu, "incoming", "pdf").content)

    assert len(pages) >= 2
    first = pages[0].extract_text()
    assert confidential[0].serial in first and top.serial not in first
    assert "秘密" in top_of_page_texts(pages[0]) and "绝密" not in top_of_page_texts(pages[0])
    page_of_top = next(i for i, page in enumerate(pages) if top.serial in page.extract_text())
    assert page_of_top > 0
    assert "绝密" in top_of_page_texts(pages[page_of_top])
    for number, page in enumerate(pages, start=1):
        assert f"第 {number} 页 共 {len(pages)} 页" in page.extract_text()
    # The header row repeats on every page.
    assert all("统一编号" in page.extract_text() and "签收人" in page.extract_text() for page in pages)
    # Every row is printed exactly once, in serial order, across the pages.
    serials = [s for page in pages for s in SERIAL.findall(page.extract_text())]
    assert serials == sorted(c.serial for c in confidential + [top])


# ------------------------------------------------------------------------------------ visibility


@pytest.mark.parametrize("fmt", ["pdf", "xlsx"])
def test_a_reader_gets_only_the_carriers_they_may_see(client, unit, carriers, fmt):
    content = download(client, unit.lisi, "ledger", fmt).content
    if fmt == "pdf":
        text = pdf_text(content)
        serials = set(pdf_serials(content))
    else:
        _, _, _, rows = xlsx_table(content)
        text = "\n".join("\t".join(r) for r in rows)
        serials = {r[1] for r in rows}

    # lisi: 重要 (机密) clearance, in scope of incoming, outgoing, internal and top; top is 绝密.
    assert serials == {carriers[k].serial for k in ("incoming", "outgoing", "internal")}
    assert carriers["hidden"].title not in text and carriers["top"].title not in text


def test_a_reader_with_general_clearance_sees_no_higher_carriers(client, unit, carriers, register_carrier):
    mine = register_carrier(level=2, title="一般涉密人员可见的秘密文件", copy_number=9, scope_users=[unit.zhangsan])
    content = download(client, unit.zhangsan, "ledger", "pdf").content

    assert set(pdf_serials(content)) == {mine.serial}


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_admin_roles_get_404_on_every_register_page(client, unit, carriers, role):
    client.force_login(unit[role])
    job = register_services.register_job_create(user=unit.mishu, name="ledger", fmt="pdf", filters={})

    assert client.get(reverse("registers:index")).status_code == 404
    assert client.post(reverse("registers:download"), {"register": "ledger", "format": "pdf"}).status_code == 404
    assert client.get(reverse("registers:download")).status_code == 404
    assert client.get(reverse("registers:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("registers:job_file", args=[job.pk])).status_code == 404
    assert not print_events().exists()


def test_admin_roles_cannot_print_from_the_command_either(unit, carriers, tmp_path):
    with pytest.raises(CommandError):
        call_command("register", "ledger", "--as", "auditor", "-o", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


def test_anonymous_users_are_sent_to_login(client, unit):
    response = client.get(reverse("registers:index"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# ----------------------------------------------------------------------------------------- audit


def test_printing_writes_exactly_one_audit_event(client, unit, carriers):
    client.force_login(unit.lisi)
    before = AuditEvent.objects.count()
    response = client.post(reverse("registers:download"), {"register": "ledger", "format": "pdf"})

    assert response.status_code == 200

    assert AuditEvent.objects.count() == before + 1
    event = print_events().get()
    assert (event.action, event.actor, event.level) == ("register.print", unit.lisi, 3)
    assert event.detail == {"register": "ledger", "format": "pdf", "filters": {}, "rows": 3}


def test_exporting_writes_exactly_one_export_event(client, unit, carriers):
    download(client, unit.mishu, "outgoing", "xlsx")

    event = print_events().get()
    assert (event.action, event.actor, event.level) == ("register.export", unit.mishu, 2)
    assert event.detail["rows"] == 2 and event.detail["format"] == "xlsx"


# --------------------------------------------------------------------------------------- command


@pytest.mark.parametrize("name", ["incoming", "outgoing", "ledger"])
def test_the_command_produces_the_same_rows_as_the_web_and_is_audited(client, unit, carriers, tmp_path, name):
    pdf_path, xlsx_path = tmp_path / f"{name}.pdf", tmp_path / f"{name}.xlsx"
    call_command("register", name, "--format", "pdf", "--as", "lisi", "-o", str(pdf_path))
    call_command("register", name, "--format", "xlsx", "--as", "lisi", "-o", str(xlsx_path))

    web = download(client, unit.lisi, name, "pdf").content
    assert pdf_serials(pdf_path.read_bytes()) == pdf_serials(web)
    _, _, header, rows = xlsx_table(xlsx_path.read_bytes())
    assert header == HEADERS[name]
    assert [r[1] for r in rows] == pdf_serials(pdf_path.read_bytes())
    text = pdf_text(pdf_path.read_bytes())
    assert "第 1 页 共" in text and "lisi" in text
    assert carriers["hidden"].serial not in text and carriers["top"].serial not in text
    assert [e.action for e in print_events()] == ["register.print", "register.export", "register.print"]


def test_the_command_filters_by_level_department_dates_and_direction(unit, carriers, tmp_path, register_carrier):
    other = register_carrier(level=3, title="办公室的文件", copy_number=2, department=unit.office,
                             doc_date=dt.date(2026, 1, 5))
    path = tmp_path / "x.xlsx"
    call_command("register", "ledger", "--format", "xlsx", "--as", "mishu", "-o", str(path), "--level", "3",
                 "--department", "office", "--from", "2026-01-01", "--to", "2026-01-31", "--direction", "in")

    _, top, _, rows = xlsx_table(path.read_bytes())
    assert [r[1] for r in rows] == [other.serial]
    assert "管理部门：办公室" in top[2][0]


@pytest.mark.parametrize("args, message", [
    (["nope", "--as", "mishu"], "未知的登记簿"),
    (["ledger", "--as", "nobody"], "用户不存在"),
    (["ledger", "--as", "mishu", "--format", "doc"], "未知的格式"),
    (["ledger", "--as", "mishu", "--department", "nowhere"], "部门代码不存在"),
    (["ledger", "--as", "mishu", "--from", "2026-13-01"], "日期格式"),
])
def test_the_command_refuses_bad_input_clearly(unit, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("register", *args, "-o", str(tmp_path / "x.pdf"))
    assert not print_events().exists()


# ------------------------------------------------------------------------------------------ jobs


@pytest.fixture
def small_inline_limit(settings):
    settings.SECRECY = {**settings.SECRECY, "REGISTER_INLINE_MAX_ROWS": 2}


def test_a_large_register_renders_in_the_worker_and_only_its_requester_can_fetch_it(
        client, unit, carriers, small_inline_limit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = download(client, unit.mishu, "ledger", "pdf")

    job = RegisterJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("registers:job", args=[job.pk])
    assert (job.status, job.progress, job.rows, job.level) == (RegisterJobStatus.DONE, 100, 5, 4)
    page = client.get(reverse("registers:job", args=[job.pk]))
    assert page.status_code == 200
    assert reverse("registers:job_file", args=[job.pk]) in page.content.decode()
    assert 'http-equiv="refresh"' not in page.content.decode()
    file_response = client.get(reverse("registers:job_file", args=[job.pk]))
    assert file_response.status_code == 200
    assert "filename*=UTF-8''" in file_response["Content-Disposition"]
    content = b"".join(file_response.streaming_content)
    assert set(pdf_serials(content)) == {c.serial for c in carriers.values()}
    event = print_events().get()
    assert (event.actor, event.level, event.detail["job"], event.detail["rows"]) == (unit.mishu, 4, job.pk, 5)

    client.force_login(unit.lisi)
    assert client.get(reverse("registers:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("registers:job_file", args=[job.pk])).status_code == 404


def test_a_queued_job_page_refreshes_itself_without_scripts(client, unit, carriers, small_inline_limit):
    response = download(client, unit.mishu, "ledger", "xlsx")  # on_commit never fires: stays queued
    job = RegisterJob.objects.get()
    page = client.get(response["Location"])

    html = page.content.decode()
    assert job.status == RegisterJobStatus.QUEUED
    refresh = f"{reverse('registers:job', args=[job.pk])}?autorefresh=1"
    assert f'<meta http-equiv="refresh" content="2; url={refresh}">' in html
    assert page["Refresh"] == f"2; url={refresh}"
    assert "<progress" in html and "<script>" not in html
    assert client.get(reverse("registers:job_file", args=[job.pk])).status_code == 404
    assert not print_events().exists()


def test_running_a_job_twice_produces_one_file_and_one_event(unit, carriers, settings):
    job = register_services.register_job_create(user=unit.lisi, name="incoming", fmt="xlsx", filters={"level": "3"})
    runner.register_job_run(job_id=job.pk)
    runner.register_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == RegisterJobStatus.DONE and job.rows == 1
    assert print_events().count() == 1
    files = list((settings.MEDIA_ROOT / "registers").iterdir())
    assert len(files) == 1
    _, _, _, rows = xlsx_table(files[0].read_bytes())
    assert [r[1] for r in rows] == [carriers["incoming"].serial]


def test_a_job_whose_requester_lost_access_fails_visibly(unit, carriers):
    from personnel import services as personnel_services
    from personnel.models import Role

    job = register_services.register_job_create(user=unit.lisi, name="ledger", fmt="pdf", filters={})
    unit.lisi.groups.clear()
    personnel_services.role_grant(actor=None, user=unit.lisi, role=Role.AUDITOR)
    runner.register_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == RegisterJobStatus.FAILED and job.error
    assert not job.file_path
    assert not AuditEvent.objects.filter(action="register.print", result="ok").exists()


# ------------------------------------------------------------------------------------- the page


def test_the_register_page_offers_the_three_registers_and_the_filters(client, unit):
    client.force_login(unit.baomi)
    response = client.get(reverse("registers:index"), {"level": "3"})

    html = response.content.decode()
    assert response.status_code == 200
    for name, title in TITLES.items():
        assert f'value="{name}"' in html and title in html
    assert 'name="format" value="pdf"' in html and 'name="format" value="xlsx"' in html
    assert 'name="department"' in html and 'name="date_from"' in html
    assert '<option value="3" selected>' in html


def test_a_link_to_the_download_url_opens_the_form_instead_of_printing(client, unit, carriers):
    client.force_login(unit.mishu)
    response = client.get(reverse("registers:download"), {"register": "ledger", "format": "pdf", "level": "3"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("registers:index") + "?")
    assert not print_events().exists()


# ----------------------------------------------------------------------------------- robustness


def test_spreadsheet_cells_are_text_never_formulas(client, unit, register_carrier):
    register_carrier(level=2, title='=HYPERLINK("http://x","y")', copy_number=1)
    sheet, _, _, rows = xlsx_table(download(client, unit.mishu, "incoming", "xlsx").content)

    cell = sheet.cell(row=XLSX_HEADER_ROW + 1, column=6)
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"


def test_very_long_notes_are_cut_so_a_row_never_outgrows_a_page(client, unit, register_carrier):
    register_carrier(level=2, title="长备注", copy_number=1, notes="很长的备注" * 400)
    _, _, header, rows = xlsx_table(download(client, unit.mishu, "incoming", "xlsx").content)

    notes = rows[0][header.index("备注")]
    assert len(notes) == MAX_CELL_CHARS and notes.endswith("…")
    assert download(client, unit.mishu, "incoming", "pdf").status_code == 200


def test_building_a_register_runs_a_fixed_number_of_queries(unit, register_carrier):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_ledger():
        with CaptureQueriesContext(connection) as captured:
            register = carrier_registers.ledger(user=unit.mishu, filters={})
        return len(captured), len(register.rows)

    register_carrier(level=2, title="第一份", copy_number=1)
    few, rows_few = queries_for_ledger()
    for i in range(6):
        register_carrier(level=3, title=f"第{i + 2}份", copy_number=i + 2, scope_users=[unit.lisi])
    many, rows_many = queries_for_ledger()

    assert (rows_few, rows_many) == (1, 7)
    assert many == few


def test_a_one_object_register_of_something_the_user_may_not_see_is_404(client, unit, register_carrier):
    """A batch, circulation or meeting one may not see does not exist (404), not a bad request
    (400) that would tell it apart from a missing one — and a huge id is no 500 either."""
    from documents import services_circulation

    carrier = register_carrier(level=2, scope_users=[unit.lisi])
    circulation = services_circulation.circulation_start(actor=unit.mishu, carrier=carrier, readers=[unit.lisi])
    assert download(client, unit.mishu, "circulation", "pdf", circulation=circulation.pk).status_code == 200
    assert download(client, unit.zhangsan, "circulation", "pdf", circulation=circulation.pk).status_code == 404
    for name, param in (("destruction", "batch"), ("meeting", "meeting"), ("circulation", "circulation")):
        for value in ("999999", "99999999999999999999", "²"):
            assert download(client, unit.mishu, name, "pdf", **{param: value}).status_code == 404, (name, value)
        # A missing or non-numeric parameter is still a bad request, said at the form.
        for value in ("", "-1", "x"):
            assert download(client, unit.mishu, name, "pdf", **{param: value}).status_code == 400, (name, value)


def test_a_job_stuck_past_the_time_out_fails_with_its_reason_on_its_page(client, unit, carriers, small_inline_limit,
                                                                          settings):
    from django.utils import timezone

    settings.SECRECY = {**settings.SECRECY, "REGISTER_JOB_TIMEOUT_MINUTES": 15}
    response = download(client, unit.mishu, "ledger", "pdf")  # on_commit never fires: stays queued
    job = RegisterJob.objects.get()
    RegisterJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=14))
    assert 'http-equiv="refresh"' in client.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert job.status == RegisterJobStatus.QUEUED

    RegisterJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=16))
    html = client.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert job.status == RegisterJobStatus.FAILED and job.finished_at
    assert "生成失败：生成超时：超过 15 分钟仍未完成" in html and 'http-equiv="refresh"' not in html
    [event] = print_events().filter(result="failed")
    assert event.actor == unit.mishu and event.detail["error"] == "timeout"
    # A worker finishing late finds the job finished: no file, no second event.
    runner.register_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == RegisterJobStatus.FAILED and not job.file_path
    assert print_events().count() == 1


def test_a_running_job_s_auto_refresh_does_not_keep_an_idle_session_alive(client, unit, carriers,
                                                                        small_inline_limit, monkeypatch):
    from django.utils import timezone

    from conftest import PASSWORD

    real_now, offset = timezone.now, {"minutes": 0}
    monkeypatch.setattr(timezone, "now", lambda: real_now() + dt.timedelta(minutes=offset["minutes"]))
    assert client.login(username="mishu", password=PASSWORD)
    response = client.post(reverse("registers:download"), {"register": "ledger", "format": "pdf"})
    refresh = client.get(response["Location"])["Refresh"].split("url=", 1)[1]
    offset["minutes"] = 6
    assert client.get(refresh).status_code == 200  # still signed in: 6 minutes idle
    offset["minutes"] = 11
    # 11 minutes since the last click (5 since the last auto-refresh): signed out.
    response = client.get(refresh)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert AuditEvent.objects.filter(action="auth.session_idle_timeout", actor=unit.mishu).exists()
