"""Big registers (issue 12 point 4, SPEC §11): a register over LARGE_REGISTER_ROWS rows is laid out
by the Pango/Cairo table engine in the worker. What the 保密办 gets must be the same register: every
row once and in order, the header row on every page, each page marked with the highest level of the
rows on *that* page, "第 x 页 共 y 页" right on every page, the CJK font embedded — and the job page
shows progress, then the file or why it failed.

The threshold is lowered in these tests so that a few dozen rows take the big-register path."""
import io
import os
import re

import openpyxl
import pytest
from django.urls import reverse
from pypdf import PdfReader

from audits.models import AuditEvent
from documents.registers import carriers as carrier_registers
from documents.tests.factories import CarrierFactory
from registers import pdf as pdf_engine, producing, services as register_services, services_render as runner, xlsx as xlsx_engine
from registers.models import RegisterJob, RegisterJobStatus
from secrecy import printing
from secrecy.levels import Level

from .test_registers import embedded_fonts, top_of_page_texts

FACTORY_SERIAL = re.compile(r"F\d{4}-\d{7}")


def serials_in(text):
    """Factory serials (F2026-0000001) are wider than the 统一编号 column and wrap inside it."""
    return FACTORY_SERIAL.findall(text.replace("\n", ""))
LABELS = {Level.CONFIDENTIAL: "秘密", Level.SECRET: "机密", Level.TOP_SECRET: "绝密"}
LONG_TITLE = "关于进一步加强和改进涉密载体管理工作的若干意见"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def big(monkeypatch):
    """Registers over 10 rows take the big-register engine."""
    monkeypatch.setattr(pdf_engine, "LARGE_REGISTER_ROWS", 10)


@pytest.fixture
def ledger_carriers(unit):
    """60 carriers mishu sees: 秘密 with long titles (a few rows a page), one 绝密 in the middle,
    a run of 机密 at the end — so neighbouring pages carry different marks."""
    levels = [Level.CONFIDENTIAL] * 30 + [Level.TOP_SECRET] + [Level.CONFIDENTIAL] * 9 + [Level.SECRET] * 20
    return [
        CarrierFactory(department=unit.business, registered_by=unit.mishu, level=level,
                       title=f"第{n}号" + LONG_TITLE * (1 + n % 4), notes="附件另存" * (n % 3))
        for n, level in enumerate(levels)
    ]


def pages_of(content):
    return PdfReader(io.BytesIO(content)).pages


def run_job(user, fmt, **filters):
    job = register_services.register_job_create(user=user, name="ledger", fmt=fmt, filters=filters)
    runner.register_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_a_big_ledger_prints_in_the_worker_every_row_once_with_each_page_marked_by_its_own_rows(
        unit, ledger_carriers, big, monkeypatch, settings):
    recorded = []
    real_set_progress = runner.set_progress
    monkeypatch.setattr(runner, "set_progress",
                        lambda job_id, fraction: (recorded.append(fraction), real_set_progress(job_id, fraction)))

    job = run_job(unit.mishu, "pdf")

    assert (job.status, job.progress, job.rows, job.level) == (RegisterJobStatus.DONE, 100, 60, Level.TOP_SECRET)
    # Progress moved through the build and the layout before the end.
    assert len(recorded) >= 5 and recorded == sorted(recorded)
    content = (settings.MEDIA_ROOT / job.file_path).read_bytes()
    pages = pages_of(content)
    assert len(pages) >= 4
    level_of = {c.serial: c.level for c in ledger_carriers}
    printed = []
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        serials = serials_in(text)
        assert serials, f"page {number} holds no row"
        printed += serials
        expected = LABELS[max(level_of[s] for s in serials)]
        marks = [t for t in top_of_page_texts(page) if t in LABELS.values() or t == "非密"]
        assert marks == [expected], (number, marks)
        assert f"第 {number} 页 共 {len(pages)} 页" in text
        assert "统一编号" in text and "文件资料名称" in text  # the header row repeats
        assert "mishu" in text and "北京时间" in text
    assert printed == sorted(c.serial for c in ledger_carriers)
    # The 绝密 row's page says 绝密; its neighbours, holding only 秘密 rows, do not.
    top_page = next(i for i, page in enumerate(pages) if ledger_carriers[30].serial in serials_in(page.extract_text()))
    assert "绝密" not in top_of_page_texts(pages[0])
    assert "机密" in top_of_page_texts(pages[-1])
    assert top_page not in (0, len(pages) - 1)
    assert "本登记簿共 60 条记录，以下空白。" in pages[-1].extract_text()
    cjk = [(name, embedded) for name, embedded in embedded_fonts(content) if "CJK" in name]
    assert cjk and all(embedded for _, embedded in embedded_fonts(content))
    event = AuditEvent.objects.get(action="register.print")
    assert (event.actor, event.level, event.detail["rows"]) == (unit.mishu, Level.TOP_SECRET, 60)


def test_a_big_ledger_holds_only_what_the_reader_may_see(unit, ledger_carriers, big, settings):
    from documents.tests.factories import bulk_user_grants

    # lisi (重要: up to 机密) gets scope on every carrier; the 绝密 one stays out of his sight.
    bulk_user_grants([(unit.lisi, c) for c in ledger_carriers])
    job = run_job(unit.lisi, "pdf")

    text = "\n".join(p.extract_text() for p in pages_of((settings.MEDIA_ROOT / job.file_path).read_bytes()))
    assert job.rows == 59 and job.level == Level.SECRET
    assert serials_in(text) == sorted(c.serial for c in ledger_carriers if c.level < Level.TOP_SECRET)
    assert "绝密" not in text


def test_a_big_xlsx_export_holds_every_row_in_order_as_bordered_wrapped_text(unit, ledger_carriers, big, settings):
    CarrierFactory(department=unit.business, registered_by=unit.mishu, level=Level.CONFIDENTIAL,
                   title='=HYPERLINK("http://x","y")')
    job = run_job(unit.mishu, "xlsx")

    assert (job.status, job.progress, job.rows) == (RegisterJobStatus.DONE, 100, 61)
    sheet = openpyxl.load_workbook(settings.MEDIA_ROOT / job.file_path).active
    values = [[("" if v is None else v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "绝密"
    assert "共 61 条" in values[2][0]
    header = values[4]
    body = values[5:values.index([""] * len(header), 5)] if [""] * len(header) in values[5:] else values[5:]
    serials = [row[header.index("统一编号")] for row in body]
    assert len(serials) == 61 and serials == sorted(serials)
    formula_like = next(r for r in sheet.iter_rows(min_row=6) if str(r[3].value).startswith("=HYPERLINK"))
    assert formula_like[3].data_type == "s"
    cell = sheet.cell(row=6, column=header.index("文件资料名称") + 1)
    assert cell.border.left.style == "thin" and cell.alignment.wrap_text


@pytest.mark.parametrize("engine", ["weasyprint", "table"])
def test_page_marks_and_numbers_hold_across_every_page_boundary(monkeypatch, engine):
    """The same register through either engine (the WeasyPrint one laid out in chunks merged into
    one file): every row once and in order, pages full, marks per page, numbering continuous."""
    import datetime as dt

    monkeypatch.setattr(pdf_engine, "CHUNK_ROWS", 40)
    monkeypatch.setattr(pdf_engine, "PART_ROWS", 60)
    monkeypatch.setattr(pdf_engine, "LARGE_REGISTER_ROWS", 10 ** 9 if engine == "weasyprint" else 0)
    levels = [2] * 70 + [4] + [3] * 49
    register = printing.Register(
        name="t", title="测试登记簿", columns=[printing.Column("序号", 10), printing.Column("统一编号", 20),
                                          printing.Column("密级", 10)],
        rows=[[str(i + 1), f"2026-{i + 1:06d}", str(level)] for i, level in enumerate(levels)], levels=levels,
    )
    seen = []
    result = pdf_engine.render_pdf_with_pages(register, "测试（tester）",
                                            dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC), progress=seen.append)

    pages = pages_of(result.content)
    assert len(pages) == len(result.page_levels) >= 3
    serial = re.compile(r"2026-\d{6}")
    serials = [s for page in pages for s in serial.findall(page.extract_text())]
    assert serials == [f"2026-{i + 1:06d}" for i in range(len(levels))]
    rows_per_page = [len(serial.findall(page.extract_text())) for page in pages]
    assert all(count == rows_per_page[1] for count in rows_per_page[1:-1])  # no half-empty page
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        on_page = [levels[int(s[5:]) - 1] for s in serial.findall(text)]
        label = {2: "秘密", 3: "机密", 4: "绝密"}[max(on_page)]
        assert [t for t in top_of_page_texts(page) if t in ("秘密", "机密", "绝密", "非密")] == [label]
        assert result.page_levels[number - 1] == max(on_page)
        assert f"第 {number} 页 共 {len(pages)} 页" in text
        assert "2026-03-01 10:30（北京时间）" in text
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_a_big_list_ends_with_its_totals_and_signatures_and_no_page_goes_unmarked(monkeypatch):
    """A destruction list of thousands of items ends as the short one does (regulations_cn.md §8.5):
    totals, then 申请人 … 监销人 lines; a page holding only those keeps the level of the list."""
    import datetime as dt

    monkeypatch.setattr(pdf_engine, "LARGE_REGISTER_ROWS", 0)
    levels = [3] * 39 + [2]
    register = printing.Register(
        name="destruction", title="涉密载体销毁清单",
        columns=[printing.Column("序号", 8), printing.Column("统一编号", 19), printing.Column("文件资料名称", 52)],
        rows=[[str(i + 1), f"2026-{i + 1:06d}", LONG_TITLE] for i in range(len(levels))], levels=levels,
        header_lines=["批次：XH-2026-001（已完成）　销毁方式：送销", "销毁事由：到期"],
        summary_lines=["合计：纸质文件资料 40 份；共 40 项"],
        signatures=[("申请人", "王机要", "2026-03-01 09:00"), ("批准人", "张主任", ""), ("监销人", "", ""),
                    ("监销人", "", "")],
    )
    result = pdf_engine.render_pdf_with_pages(register, "测试（tester）", dt.datetime(2026, 3, 1, tzinfo=dt.UTC))

    pages = pages_of(result.content)
    first, last = pages[0].extract_text(), pages[-1].extract_text()
    assert "批次：XH-2026-001" in first and "销毁事由：到期" in first and "共 40 条" in first
    assert "合计：纸质文件资料 40 份；共 40 项" in last
    assert all(role in last for role in ("申请人（签字）", "批准人（签字）", "监销人（签字）"))
    assert "王机要" in last
    assert None not in result.page_levels
    for page in pages:
        assert len([t for t in top_of_page_texts(page) if t in ("秘密", "机密", "非密")]) == 1
        assert "非密" not in top_of_page_texts(page)


def test_a_row_taller_than_a_page_is_cut_to_fit_never_split_over_two_pages(monkeypatch):
    import datetime as dt

    monkeypatch.setattr(pdf_engine, "LARGE_REGISTER_ROWS", 0)
    huge = "很长的备注" * 200  # cut to MAX_CELL_CHARS, still taller than a page in a narrow column
    register = printing.Register(
        name="t", title="测试登记簿",
        columns=[printing.Column("统一编号", 20), printing.Column("备注", 6), printing.Column("密级", 10)],
        rows=[[f"2026-{i + 1:06d}", huge, "机密"] for i in range(3)], levels=[3, 3, 3],
    )
    result = pdf_engine.render_pdf_with_pages(register, "测试", dt.datetime(2026, 3, 1, tzinfo=dt.UTC))

    pages = pages_of(result.content)
    per_page = [re.findall(r"2026-\d{6}", page.extract_text()) for page in pages]
    assert per_page == [["2026-000001"], ["2026-000002"], ["2026-000003"]]
    assert all("…" in page.extract_text() for page in pages)


def test_an_empty_register_through_the_big_engine_prints_one_unmarked_page_with_headers(monkeypatch):
    import datetime as dt

    monkeypatch.setattr(pdf_engine, "LARGE_REGISTER_ROWS", -1)
    register = printing.Register(name="t", title="测试登记簿",
                                 columns=[printing.Column("序号", 10), printing.Column("统一编号", 20)])
    result = pdf_engine.render_pdf_with_pages(register, "测试", dt.datetime(2026, 3, 1, tzinfo=dt.UTC))

    [page] = pages_of(result.content)
    text = page.extract_text()
    assert "序号" in text and "统一编号" in text and "（无记录）" in text and "第 1 页 共 1 页" in text
    assert "非密" in top_of_page_texts(page)


def test_a_render_that_breaks_leaves_the_job_failed_with_a_message_and_no_file(
        client, unit, ledger_carriers, big, monkeypatch, settings):
    from registers import pdftable

    def broken(*args, **kwargs):
        raise RuntimeError("cairo went away")

    monkeypatch.setattr(pdftable, "render", broken)
    job = run_job(unit.mishu, "pdf")

    assert job.status == RegisterJobStatus.FAILED and not job.file_path and job.finished_at
    assert "生成时发生内部错误" in job.error and "cairo went away" not in job.error
    client.force_login(unit.mishu)
    html = client.get(reverse("registers:job", args=[job.pk])).content.decode()
    assert "生成失败：生成时发生内部错误" in html and 'http-equiv="refresh"' not in html
    assert client.get(reverse("registers:job_file", args=[job.pk])).status_code == 404
    folder = settings.MEDIA_ROOT / "registers"
    assert not folder.exists() or not any(folder.iterdir())
    [event] = AuditEvent.objects.filter(action="register.print")
    assert event.result == "failed"


def test_a_running_big_job_shows_its_progress_on_its_page(client, unit, ledger_carriers, big):
    job = register_services.register_job_create(user=unit.mishu, name="ledger", fmt="pdf", filters={})
    RegisterJob.objects.filter(pk=job.pk).update(status=RegisterJobStatus.RUNNING, progress=42)
    client.force_login(unit.mishu)

    html = client.get(reverse("registers:job", args=[job.pk])).content.decode()
    assert '<progress max="100" value="42">' in html and "42%" in html


# ------------------------------------------------------------------------- rows read as a stream


def test_a_register_is_not_held_whole_its_rows_are_read_when_written(unit, ledger_carriers, big):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as building:
        register = carrier_registers.ledger(user=unit.mishu, filters={})
    assert isinstance(register.rows, printing.StreamedRows) and len(register.rows) == 60
    assert register.highest_level == Level.TOP_SECRET
    # Only the narrow snapshot (ids and levels) was read; the cells come when the file is written.
    assert not any("title" in q["sql"] for q in building.captured_queries)
    with CaptureQueriesContext(connection) as writing:
        first = next(iter(register.rows))
    assert first[1] == ledger_carriers[0].serial and writing.captured_queries


def test_a_carrier_registered_while_a_big_register_prints_fails_the_job_instead_of_mismarking_it(
        unit, ledger_carriers, big, monkeypatch, settings):
    real = producing.render_xlsx

    def render_after_a_registration(register, *args, **kwargs):
        CarrierFactory(department=unit.business, registered_by=unit.mishu, level=Level.TOP_SECRET,
                       serial=ledger_carriers[10].serial + "a")
        return real(register, *args, **kwargs)

    monkeypatch.setattr(producing, "render_xlsx", render_after_a_registration)
    job = run_job(unit.mishu, "xlsx")

    assert job.status == RegisterJobStatus.FAILED and not job.file_path
    assert "生成期间登记簿的内容发生了变化" in job.error and "请重新生成" in job.error


def test_a_level_changed_between_snapshot_and_rows_is_refused(unit, ledger_carriers):
    import datetime as dt

    from documents.models import Carrier

    register = carrier_registers.ledger(user=unit.mishu, filters={})
    Carrier.objects.filter(pk=ledger_carriers[3].pk).update(level=Level.SECRET)

    with pytest.raises(printing.RegisterChanged):
        xlsx_engine.render_xlsx(register, "测试", dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    # The rows written before the refusal are not left behind in openpyxl's temporary sheet file.
    from openpyxl.worksheet._writer import ALL_TEMP_FILES

    assert not [path for path in ALL_TEMP_FILES if os.path.exists(path)]


def test_the_table_engine_refuses_rows_that_changed_between_measuring_and_drawing(monkeypatch):
    import datetime as dt

    monkeypatch.setattr(pdf_engine, "LARGE_REGISTER_ROWS", 0)
    reads = {"n": 0}

    def produce():
        reads["n"] += 1
        # The second read returns a longer title than the one measured: drawing it would overflow.
        title = "短标题" if reads["n"] == 1 else LONG_TITLE * 5
        return ([str(i), f"2026-{i:06d}", title] for i in range(1, 21))

    register = printing.Register(
        name="t", title="测试登记簿",
        columns=[printing.Column("序号", 8), printing.Column("统一编号", 19), printing.Column("名称", 30)],
        rows=printing.StreamedRows(20, produce), levels=[2] * 20,
    )
    with pytest.raises(printing.RegisterChanged):
        pdf_engine.render_pdf_with_pages(register, "测试", dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    assert reads["n"] == 2


def test_a_huge_search_term_in_the_filters_cannot_push_the_rows_off_the_first_page(monkeypatch):
    import datetime as dt

    monkeypatch.setattr(pdf_engine, "LARGE_REGISTER_ROWS", 0)
    register = printing.Register(
        name="t", title="测试登记簿" * 40, filters_description="搜索：" + "很长的搜索词" * 2000,
        columns=[printing.Column("序号", 8), printing.Column("统一编号", 19), printing.Column("名称", 30)],
        rows=[[str(i), f"2026-{i:06d}", "标题"] for i in range(1, 41)], levels=[2] * 40,
    )
    result = pdf_engine.render_pdf_with_pages(register, "测试", dt.datetime(2026, 3, 1, tzinfo=dt.UTC))

    pages = pages_of(result.content)
    first = re.findall(r"2026-\d{6}", pages[0].extract_text())
    assert len(first) >= 10
    assert [s for page in pages for s in re.findall(r"2026-\d{6}", page.extract_text())] == \
        [f"2026-{i:06d}" for i in range(1, 41)]
