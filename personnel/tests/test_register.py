"""涉密人员台账 (SPEC §8, §11; regulations_cn.md §8.7): PDF and XLSX of the same rows, from the web
and from the `register` command, for 保密办 and the 安全保密管理员 only, every page marked 内部."""
import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audits.models import AuditEvent
from conftest import make_user
from personnel import registers as personnel_registers
from personnel import services_leave, services_records
from personnel.models import LeaveKind, Person, Role
from secrecy import printing
from secrecy.errors import PolicyDenied, ValidationFailed

HEADERS = ["序号", "姓名", "部门", "岗位", "涉密等级", "确定涉密日期", "审查结论及日期", "下次复审", "保密承诺书",
           "本年培训学时", "审批权限", "定密权限", "状态", "脱密期", "出入境证件（单位保管）", "离岗承诺书"]
XLSX_HEADER_ROW = 5


def today():
    return timezone.localdate()


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def xlsx_rows(content):
    """(header, data rows) of the only sheet, empty cells as ""."""
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    header = rows[XLSX_HEADER_ROW - 1]
    data = [row for row in rows[XLSX_HEADER_ROW:] if len(row) == len(header) and row[0].isdigit()]
    return header, data


def produce(user, fmt="pdf", **filters):
    return printing.produce(user=user, name="personnel", fmt=fmt, filters=filters)[1]


@pytest.fixture
def people(unit):
    """The unit's 涉密人员 with a few facts worth printing, and one 脱密期."""
    lisi = unit.lisi.person
    services_records.training_record(actor=unit.baomi, person=lisi, trained_on=today(), hours="2.5",
                                     topic="保密法", organiser="保密办")
    services_records.travel_document_register(actor=unit.baomi, person=lisi, kind="passport", number="E55555555",
                                              handed_in_on=today())
    leaver = make_user("zhouming", department=unit.business, roles=[Role.READER], person_class="core",
                       full_name="周明")
    leave = services_leave.leave_open(actor=unit.baomi, person=leaver.person, kind=LeaveKind.LEAVE_UNIT,
                                      reason="调出", planned_on=today())
    services_leave.leave_record_talk(actor=unit.baomi, leave=leave, talk_on=today(), talk_note="谈话")
    services_leave.leave_sign_commitment(actor=unit.baomi, leave=leave, signed_on=today())
    services_leave.leave_approve(actor=unit.zhuren, leave=leave)
    return list(Person.objects.exclude(person_class="").order_by("pk"))


def test_the_pdf_holds_every_secret_post_holder_and_the_headers_and_is_marked_internal(unit, people):
    text = pdf_text(produce(unit.baomi))
    for header in ("序号", "姓名", "部门", "岗位", "涉密等级", "确定涉密日期", "审查结论及日期", "下次复审",
                   "保密承诺书", "本年培训", "审批权限", "定密权限", "状态", "脱密期", "出入境证件", "离岗承诺书"):
        assert header in text, header
    for person in people:
        assert person.full_name in text, person.full_name
    # Accounts without a class are not 涉密人员: not on the 台账.
    for name in ("wangwu", "sysadmin", "auditor"):
        assert name not in text
    assert "涉密人员台账" in text and "内部" in text
    assert "E55555555" in text
    leaver = Person.objects.get(full_name="周明")
    assert f"{leaver.declassify_starts_on.isoformat()}至" in text.replace("\n", "")


def test_the_xlsx_has_the_same_rows_as_the_pdf(unit, people):
    pdf = pdf_text(produce(unit.baomi)).replace("\n", "")
    header, rows = xlsx_rows(produce(unit.baomi, "xlsx"))
    assert header == HEADERS
    assert [row[1] for row in rows] == [r[1] for r in personnel_registers.personnel(user=unit.baomi).rows]
    assert len(rows) == len(people)
    assert f"本登记簿共 {len(rows)} 条记录" in pdf
    for row in rows:
        for cell in row:
            # Every cell of every row is printed (wrapped lines joined back).
            assert cell.replace("\n", "") in pdf, cell
    lisi = next(row for row in rows if row[1] == "lisi")
    assert lisi[4] == "重要" and lisi[9].startswith("2.5") and lisi[14] == "普通护照 E55555555"
    assert lisi[7] == services_records.add_years(dt.date(2025, 3, 1), 3).isoformat()


def test_every_row_is_a_work_secret(unit, people):
    register = personnel_registers.personnel(user=unit.baomi)
    assert register.levels == [1] * len(register.rows)
    assert register.highest_level == 1


def test_the_department_filter_narrows_and_carrier_filters_are_refused(unit, people):
    _, rows = xlsx_rows(produce(unit.baomi, "xlsx", department=str(unit.secrecy_office.pk)))
    assert [row[1] for row in rows] == ["baomi"]
    with pytest.raises(ValidationFailed):
        produce(unit.baomi, level="3")


@pytest.mark.parametrize("who", ["lisi", "mishu", "zhuren"])
def test_a_reader_registrar_or_leader_is_refused(unit, people, who):
    before = AuditEvent.objects.count()
    with pytest.raises(PolicyDenied) as caught:
        produce(unit[who])
    assert caught.value.message == "只有保密办或安全保密管理员可以打印涉密人员台账"
    assert AuditEvent.objects.count() == before


def test_the_web_download_prints_for_the_secrecy_office_and_refuses_a_reader(unit, people, client):
    client.force_login(unit.baomi)
    response = client.post(reverse("registers:download"), {"register": "personnel", "format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    event = AuditEvent.objects.order_by("seq").last()
    assert (event.action, event.actor, event.detail["register"], event.level) == (
        "register.print", unit.baomi, "personnel", 1)
    # The 安全保密管理员 sees no carrier but does keep clearances: he prints it too.
    client.force_login(unit.secadmin)
    response = client.post(reverse("registers:download"), {"register": "personnel", "format": "xlsx"})
    assert response.status_code == 200 and response.content.startswith(b"PK")
    # For a reader the register does not exist.
    client.force_login(unit.lisi)
    assert client.post(reverse("registers:download"), {"register": "personnel", "format": "xlsx"}).status_code == 404
    client.force_login(unit.sysadmin)
    assert client.post(reverse("registers:download"), {"register": "personnel", "format": "pdf"}).status_code == 404


def test_the_generic_registers_page_does_not_offer_it(unit, client):
    client.force_login(unit.lisi)
    assert 'value="personnel"' not in client.get(reverse("registers:index")).content.decode()


def test_the_register_command_prints_it(unit, people, tmp_path):
    target = tmp_path / "p.pdf"
    call_command("register", "personnel", "--as", "baomi", "-o", str(target))
    text = pdf_text(target.read_bytes())
    assert all(person.full_name in text for person in people)
    target = tmp_path / "p.xlsx"
    call_command("register", "personnel", "--as", "secadmin", "--format", "xlsx", "-o", str(target))
    assert len(xlsx_rows(target.read_bytes())[1]) == len(people)
    with pytest.raises(CommandError, match="只有保密办或安全保密管理员"):
        call_command("register", "personnel", "--as", "lisi", "-o", str(tmp_path / "x.pdf"))


def test_a_large_register_renders_in_the_worker_with_the_department_filter(
        unit, people, client, settings, django_capture_on_commit_callbacks):
    from registers.models import RegisterJob, RegisterJobStatus

    settings.SECRECY = {**settings.SECRECY, "REGISTER_INLINE_MAX_ROWS": 2}
    client.force_login(unit.baomi)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("registers:download"), {
            "register": "personnel", "format": "xlsx", "department": str(unit.business.pk)})
    job = RegisterJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("registers:job", args=[job.pk])
    business = [p for p in people if p.department_id == unit.business.pk]
    assert (job.status, job.rows, job.level) == (RegisterJobStatus.DONE, len(business), 1)
    content = b"".join(client.get(reverse("registers:job_file", args=[job.pk])).streaming_content)
    assert sorted(row[1] for row in xlsx_rows(content)[1]) == sorted(p.full_name for p in business)
