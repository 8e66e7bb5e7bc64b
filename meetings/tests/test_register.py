"""涉密会议保密管理记录 (SPEC §9, §11): the PDF's text shows 共印 N 份 / 回收 M 份 as the data says,
every attendee's sign-in (or 未签到), every handout's serial; the XLSX holds the same rows; the web
page, the registers page and the command all produce it, audited."""
import io
import re
from urllib.parse import unquote

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from audits.models import AuditEvent
from meetings import registers as meeting_registers
from meetings import services
from meetings.models import Disposition
from registers.registry import register_choices
from secrecy.printing import clean_cell

from .helpers import give

SERIAL = re.compile(r"\d{4}-\d{6}")
XLSX_HEADER_ROW = 5


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def xlsx_rows(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    header = rows[XLSX_HEADER_ROW - 1]
    data = []
    for row in rows[XLSX_HEADER_ROW:]:
        if not any(row):
            break
        data.append(row[:len(header)])
    return header, data, rows


@pytest.fixture
def record_meeting(unit, running_meeting, carrier_at):
    """Four copies: 1 recovered, 2 recovered, 3 reported lost, 4 可带回 (processed at close)."""
    carriers = [carrier_at(3, title="关于年度重点工作的安排"), carrier_at(2, title="会议讲话稿"),
                carrier_at(3, title="保密检查通报"), carrier_at(2, title="会议纪要（可带回）")]
    handouts = [give(unit, running_meeting, carriers[0], unit.lisi),
                give(unit, running_meeting, carriers[1], unit.lisi),
                give(unit, running_meeting, carriers[2], unit.lingdao),
                give(unit, running_meeting, carriers[3], unit.lingdao, Disposition.KEEP)]
    services.handout_recover(actor=unit.mishu, meeting=running_meeting, handout=handouts[0])
    services.handout_recover(actor=unit.mishu, meeting=running_meeting, handout=handouts[1])
    services.handout_report_lost(actor=unit.mishu, meeting=running_meeting, handout=handouts[2], note="散会后未找到")
    services.meeting_close(actor=unit.mishu, meeting=running_meeting)
    return running_meeting, carriers


def download(client, user, meeting, fmt):
    client.force_login(user)
    response = client.post(reverse("meetings:record", args=[meeting.pk]), {"format": fmt})
    assert response.status_code == 200, response.content[:500]
    return response


def test_the_pdf_counts_copies_and_shows_sign_in_and_serials(client, unit, record_meeting):
    meeting, carriers = record_meeting
    response = download(client, unit.mishu, meeting, "pdf")
    assert response["Content-Type"] == "application/pdf"
    assert "涉密会议保密管理记录" in unquote(response["Content-Disposition"])
    text = pdf_text(response.content)
    assert "共印 4 份 / 回收 2 份" in text
    assert "报告丢失 1 份" in text and "可带回 1 份" in text
    for carrier in carriers:
        assert carrier.serial in text
    assert SERIAL.findall(text)[:4] == [c.serial for c in carriers]
    # Sign-in: lisi and lingdao signed in (a time), baomi did not.
    assert re.search(r"lisi（参会人员）：\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text)
    assert re.search(r"lingdao（参会人员）：\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text)
    assert "baomi（参会人员）：未签到" in text
    for words in (meeting.name, "手机禁止带入：是", "传达范围：传达至处级以上干部", "承办部门保密负责人", "保密办审核",
                  "机密", "带回登记", "丢失"):
        assert words in text, words
    event = AuditEvent.objects.filter(action="register.print").latest("seq")
    assert event.actor_id == unit.mishu.pk and event.detail["register"] == "meeting"
    assert event.detail["rows"] == 4 and event.level == 3


def test_the_xlsx_holds_the_same_rows_as_the_pdf(client, unit, record_meeting):
    meeting, carriers = record_meeting
    register = meeting_registers.meeting_record(user=unit.mishu, filters={"meeting": str(meeting.pk)})
    header, rows, everything = xlsx_rows(download(client, unit.mishu, meeting, "xlsx").content)
    assert header == ["序号", "统一编号", "文件名称", "份号", "密级", "领取人", "处置", "分发时间", "收回/丢失",
                      "收回时间", "收回人"]
    assert rows == [[clean_cell(v) for v in row] for row in register.rows]
    pdf = pdf_text(download(client, unit.mishu, meeting, "pdf").content)
    assert [row[1] for row in rows] == SERIAL.findall(pdf)[:len(rows)]
    assert [row[0] for row in rows] == ["1", "2", "3", "4"]
    assert [row[8] for row in rows] == ["已收回", "已收回", "丢失", "带回登记"]
    flat = " ".join(" ".join(r) for r in everything)
    assert "共印 4 份 / 回收 2 份" in flat and "baomi（参会人员）：未签到" in flat


def test_titles_of_carriers_the_printer_may_not_see_are_left_out(unit, record_meeting):
    meeting, carriers = record_meeting
    # lisi attended; after the meeting none of the copies is in lisi's hands or scope.
    register = meeting_registers.meeting_record(user=unit.lisi, filters={"meeting": str(meeting.pk)})
    titles = [row[2] for row in register.rows]
    assert titles == [meeting_registers.HIDDEN_TITLE] * 4
    assert [row[1] for row in register.rows] == [c.serial for c in carriers]
    full = meeting_registers.meeting_record(user=unit.mishu, filters={"meeting": str(meeting.pk)})
    assert [row[2] for row in full.rows] == [c.title for c in carriers]


def test_the_command_prints_the_record(unit, record_meeting, tmp_path):
    meeting, carriers = record_meeting
    target = tmp_path / "meeting.pdf"
    call_command("register", "meeting", "--meeting", str(meeting.pk), "--as", "baomi", "-o", str(target))
    text = pdf_text(target.read_bytes())
    assert "共印 4 份 / 回收 2 份" in text and carriers[0].serial in text


def test_the_registers_page_prints_it_too(client, unit, record_meeting):
    meeting, _ = record_meeting
    client.force_login(unit.mishu)
    response = client.post(reverse("registers:download"), {"register": "meeting", "format": "pdf",
                                                           "meeting": str(meeting.pk)})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    # The register of one meeting is printed from its page, not offered on the generic page.
    assert "meeting" not in dict(register_choices())


def test_a_meeting_without_handouts_still_carries_its_level(unit, make_meeting):
    meeting = make_meeting()
    register = meeting_registers.meeting_record(user=unit.mishu, filters={"meeting": str(meeting.pk)})
    assert register.highest_level == 3
    assert register.summary_lines[0] == "共印 0 份 / 回收 0 份"
    assert register.summary_lines[2] == "签到：未登记参会人员"
