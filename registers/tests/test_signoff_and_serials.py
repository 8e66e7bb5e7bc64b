"""Printouts a 保密办 signs and files (issue 14 §5): every register ends with the sign-off lines its
declaration names (登记人 / 审核人 / 保密办负责人 by default), in the PDF and the XLSX; a list (清单)
ends "本清单共 N 项"; a 统一编号 (and a 份号) is never broken over two lines, in either PDF engine."""
import dataclasses
import datetime as dt
import re
import subprocess

import pytest

from approvals import registers as approval_registers
from documents.registers import carriers as carrier_registers, inventory
from meetings import registers as meeting_registers
from registers import pdf as pdf_engine, producing
from registers.registry import REGISTERS
from secrecy.printing import DEFAULT_SIGNOFF, SERIAL_COLUMN_MM, Column, Register

from .test_registers import download, xlsx_table

SERIAL = re.compile(r"\d{4}-\d{6}")
PRINTED_AT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pdftotext(content, tmp_path):
    """Reading order: a cell's lines come out one after the other, so a wrapped serial is cut."""
    path = tmp_path / "register.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def after_table(content):
    """The XLSX rows after the table: totals and sign-off lines."""
    sheet, _, _, body = xlsx_table(content)
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return [row for row in rows[5 + len(body):] if any(row)]


@pytest.fixture
def carriers(unit, register_carrier):
    return [register_carrier(level=2, copy_number=n, scope_users=[unit.lisi]) for n in range(1, 4)]


def test_a_register_ends_with_its_default_sign_off_lines_in_pdf_and_xlsx(client, unit, carriers, tmp_path):
    assert REGISTERS["ledger"].signoff == DEFAULT_SIGNOFF == ("登记人", "审核人", "保密办负责人")
    text = pdftotext(download(client, unit.mishu, "ledger", "pdf").content, tmp_path)
    tail = after_table(download(client, unit.mishu, "ledger", "xlsx").content)

    end = text.index("本登记簿共 3 条记录")
    assert [role for role in DEFAULT_SIGNOFF if f"{role}（签字）：" in text[end:]] == list(DEFAULT_SIGNOFF)
    assert text[end:].count("日期：") == 3
    assert [row[0] for row in tail] == [f"{role}（签字）：" for role in DEFAULT_SIGNOFF]
    assert all(row[2] == "日期：" for row in tail)


def test_a_register_declares_its_own_sign_off_roles_or_none(client, unit, carriers, tmp_path, monkeypatch):
    spec = REGISTERS["ledger"]
    monkeypatch.setitem(REGISTERS, "ledger", dataclasses.replace(spec, signoff=("经办人", "复核人")))
    text = pdftotext(download(client, unit.mishu, "ledger", "pdf").content, tmp_path)
    tail = after_table(download(client, unit.mishu, "ledger", "xlsx").content)
    assert "经办人（签字）：" in text and "复核人（签字）：" in text and "保密办负责人" not in text
    assert [row[0] for row in tail] == ["经办人（签字）：", "复核人（签字）："]

    monkeypatch.setitem(REGISTERS, "ledger", dataclasses.replace(spec, signoff=()))
    text = pdftotext(download(client, unit.mishu, "ledger", "pdf").content, tmp_path)
    assert "签字" not in text
    # The 清查 sheets are signed by who checked them.
    assert REGISTERS["ledger_inventory"].signoff == inventory.SIGNOFF == ("清查人", "核对人", "保密办负责人")
    assert REGISTERS["loans_inventory"].signoff == inventory.SIGNOFF


def test_a_register_that_records_its_own_signatures_keeps_them():
    own = Register(name="x", title="t", columns=[Column("序号")], rows=[["1"]], levels=[1],
                   signatures=[("监销人", "赵六", "2026-12-01 10:00")])
    assert producing.with_signoff(own, REGISTERS["ledger"]).signatures == own.signatures


@pytest.mark.parametrize("engine", ["html", "cairo"])
def test_a_list_says_how_many_items_it_holds(engine, monkeypatch, db, tmp_path):
    if engine == "cairo":
        monkeypatch.setattr(pdf_engine, "LARGE_REGISTER_ROWS", 1)
    listing = Register(name="x", title="某清单", columns=[Column("序号", 10), Column("名称", 60)],
                       rows=[["1", "甲"], ["2", "乙"]], levels=[1, 1], is_list=True)
    text = pdftotext(producing.render(listing, fmt="pdf", printed_by="孙丽华", printed_at=PRINTED_AT), tmp_path)
    assert "本清单共 2 项，以下空白。" in text and "本登记簿" not in text
    assert not Register(name="x", title="t", columns=[], rows=[["1"]]).is_list


@pytest.mark.parametrize("engine", ["html", "cairo"])
@pytest.mark.parametrize("name", ["ledger", "incoming", "loans"])
def test_a_serial_is_never_broken_over_two_lines(client, unit, carriers, tmp_path, monkeypatch, engine, name):
    if engine == "cairo":
        monkeypatch.setattr(pdf_engine, "LARGE_REGISTER_ROWS", 1)
    if name == "loans":
        from approvals import services as approval_services
        from approvals.kinds import lend as lending
        from documents.services import local_today

        for carrier in carriers:
            loan = lending.loan_request_create(actor=unit.lisi, carrier=carrier, due_date=local_today(), reason="学习")
            approval_services.request_decide(actor=unit.zhuren, request=loan, approve=True)
            lending.loan_check_out(actor=unit.mishu, request=loan)
    text = pdftotext(download(client, unit.mishu, name, "pdf").content, tmp_path)

    assert sorted(set(SERIAL.findall(text))) == sorted(c.serial for c in carriers)
    if name != "ledger":  # the 台账 has no 份号 column; elsewhere 份号 (000001 …) stay whole as well
        assert all(c.copy_number_display in text.split() for c in carriers)


@pytest.mark.parametrize("engine", ["html", "cairo"])
def test_a_tight_serial_column_still_keeps_the_serial_whole(engine, monkeypatch, db, tmp_path):
    if engine == "cairo":
        monkeypatch.setattr(pdf_engine, "LARGE_REGISTER_ROWS", 1)
    # 16 mm: both engines would break "2026-000307" inside it if they wrapped serials.
    register = Register(name="x", title="t", columns=[Column("序号", 8), Column("统一编号", 16), Column("名称", 253)],
                        rows=[["1", "2026-000307", "甲"], ["2", "2026-000308", "乙"]], levels=[1, 1])
    text = pdftotext(producing.render(register, fmt="pdf", printed_by="孙丽华", printed_at=PRINTED_AT), tmp_path)
    assert SERIAL.findall(text) == ["2026-000307", "2026-000308"]


def test_every_serial_column_is_wide_enough_for_a_six_digit_serial():
    """"2026-000123" needs SERIAL_COLUMN_MM on the 277 mm table (15.2 mm of text in the body font)."""
    tables = {
        "收文登记簿": carrier_registers.INCOMING_COLUMNS, "发文登记簿": carrier_registers.OUTGOING_COLUMNS,
        "台账": carrier_registers.LEDGER_COLUMNS, "台账（清查）": inventory.LEDGER_COLUMNS,
        "借阅登记簿": approval_registers.LOAN_COLUMNS, "复制登记簿": approval_registers.COPY_COLUMNS,
        "销毁清单": approval_registers.DESTRUCTION_COLUMNS, "会议记录": meeting_registers.COLUMNS,
    }
    for title, columns in tables.items():
        total = sum(width for _, width, _ in columns)
        serials = [(header, width * 277 / total) for header, width, _ in columns if "统一编号" in header]
        assert serials, title
        for header, millimetres in serials:
            assert millimetres >= SERIAL_COLUMN_MM, (title, header, round(millimetres, 1))
            assert Column(header).keeps_lines
