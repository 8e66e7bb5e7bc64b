"""清查 prints (issue 14 §6, SPEC §4): the 保密办 prints the unit's registers for 账物核对 — every carrier,
with what the carrier says (标题, 文号, 来文单位 …) only where the printer may see it. The masked text must
never reach the file: checked on the PDF's text (pdftotext) and on every cell of the XLSX."""
import io
import re
import subprocess

import openpyxl
import pytest
from django.urls import reverse

from approvals import services as approval_services
from approvals.kinds import lend as lending
from audits.models import AuditEvent
from documents.models import Carrier
from documents.registers.inventory import MASKED
from documents.services import local_today
from personnel import services as personnel_services
from registers import pdf as pdf_engine, services as register_services, services_render as runner
from registers.registry import inventory_choices
from secrecy.errors import PolicyDenied

from .test_registers import download

HIDDEN = {"title": "绝密级能源储备调整方案", "doc_number": "能储绝〔2026〕8号", "issuer": "国家能源储备委员会",
          # A 解密条件 is free text on the mark (机密★…): it can name the content too.
          "declassify_condition": "储备调整方案公布后"}
HIDDEN_REASON = "准备能源储备方案评审"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def books(unit, register_carrier):
    """Three carriers, one of them in baomi's scope; lisi has the one baomi may not see on loan."""
    personnel_services.person_save(actor=unit.secadmin, user=unit.baomi, full_name="孙丽华")
    personnel_services.person_save(actor=unit.baomi, user=unit.lisi, full_name="李思远")
    shown = register_carrier(level=2, title="关于开展保密自查的通知", doc_number="市保发〔2026〕3号",
                             issuer="市保密局", scope_users=[unit.baomi], location="保密办铁皮柜")
    hidden = register_carrier(level=3, copy_number=8, scope_users=[unit.lisi], location="机要室B柜",
                              period_kind="condition", period_value=None, period_unit="", **HIDDEN)
    other = register_carrier(level=2, title="业务一处季度工作安排", doc_number="业一〔2026〕5号",
                             scope_groups=[unit.business.group], location="机要室A柜")
    loan = lending.loan_request_create(actor=unit.lisi, carrier=hidden, due_date=local_today(), reason=HIDDEN_REASON)
    approval_services.request_decide(actor=unit.zhuren, request=loan, approve=True)
    lending.loan_check_out(actor=unit.mishu, request=loan)
    return dict(shown=shown, hidden=hidden, other=other, loan=loan)


def pdftotext(content, tmp_path):
    """The PDF's text as pdftotext reads it, in reading order and then as laid out (both: a cell's
    lines come out together in the first, whole lines across the table in the second)."""
    path = tmp_path / "register.pdf"
    path.write_bytes(content)
    return "\n".join(subprocess.run(["pdftotext", *mode, str(path), "-"], check=True, capture_output=True,
                                    text=True).stdout for mode in ([], ["-layout"]))


def xlsx_cells(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]


def flat(text):
    """Text without any white space: a masked title must not appear even broken over lines."""
    return re.sub(r"\s+", "", text)


def assert_never_shows_the_hidden_carriers_words(text):
    for secret in [*HIDDEN.values(), HIDDEN_REASON]:
        assert flat(secret) not in flat(text)
        # Not even a piece of it (a title wrapped over lines, cut by a cell edge or an ellipsis):
        # no three of its Chinese characters in a row.
        for run in re.findall(r"[\u4e00-\u9fff]{3,}", secret):
            for start in range(len(run) - 2):
                assert run[start:start + 3] not in flat(text), run[start:start + 3]


@pytest.mark.parametrize("name", ["ledger_inventory", "incoming_inventory"])
def test_the_inventory_register_lists_every_carrier_and_masks_what_the_office_may_not_know(
        client, unit, books, tmp_path, name):
    pdf = pdftotext(download(client, unit.baomi, name, "pdf").content, tmp_path)
    cells = xlsx_cells(download(client, unit.baomi, name, "xlsx").content)

    serials = [c.serial for c in Carrier.objects.order_by("serial")]
    for text in (pdf, "\n".join(cells)):
        assert all(serial in text for serial in serials)
        assert_never_shows_the_hidden_carriers_words(text)
        assert MASKED in text
        # What baomi may see is printed in full; 份号 and 存放位置 of every carrier are there to check.
        assert "关于开展保密自查的通知" in flat(text) and "市保发〔2026〕3号" in flat(text)
        assert "000008" in text
    if name == "ledger_inventory":
        assert "机要室B柜" in pdf and "机要室B柜" in cells
    assert "共 3 条" in pdf and "清查（账物核对）" in pdf
    # Her own register still holds only what she may see.
    own = "\n".join(xlsx_cells(download(client, unit.baomi, "ledger", "xlsx").content))
    assert books["shown"].serial in own and books["hidden"].serial not in own


def test_the_inventory_loan_register_holds_every_loan_of_the_unit_with_its_title_masked(client, unit, books, tmp_path):
    from approvals.registers import loans, loans_inventory

    assert len(loans(user=unit.baomi).rows) == 0
    register = loans_inventory(user=unit.baomi)
    rows = [dict(zip(register.headers, row)) for row in register.rows]
    assert len(rows) == 1
    row = rows[0]
    assert (row["统一编号"], row["份号"], row["密级"]) == (books["hidden"].serial, "000008", "机密")
    assert row["文件名称"] == row["文号"] == row["借阅事由"] == MASKED
    assert row["借阅人"] == "李思远" and "借出中" in row["备注"]

    pdf = pdftotext(download(client, unit.baomi, "loans_inventory", "pdf").content, tmp_path)
    cells = xlsx_cells(download(client, unit.baomi, "loans_inventory", "xlsx").content)
    for text in (pdf, "\n".join(cells)):
        assert books["hidden"].serial in text and "李思远" in text and "lisi" not in text
        assert_never_shows_the_hidden_carriers_words(text)
    # mishu, who may see it, gets the same loan in full in her own 借阅登记簿.
    assert HIDDEN["title"] in dict(zip(loans(user=unit.mishu).headers, loans(user=unit.mishu).rows[0]))["文件名称"]


def test_an_inventory_print_is_audited_as_such_and_the_carrier_page_stays_404(client, unit, books):
    download(client, unit.baomi, "ledger_inventory", "pdf")
    download(client, unit.baomi, "loans_inventory", "xlsx")

    printed = AuditEvent.objects.get(action="register.inventory_print")
    exported = AuditEvent.objects.get(action="register.inventory_export")
    assert printed.actor_id == exported.actor_id == unit.baomi.pk
    assert (printed.detail["register"], printed.detail["rows"]) == ("ledger_inventory", 3)
    assert exported.detail["register"] == "loans_inventory"
    assert printed.level == 3  # the highest level listed, masked or not
    assert not AuditEvent.objects.filter(action__in=["register.print", "register.export"]).exists()
    from audits.events import action_label
    assert "清查" in action_label("register.inventory_print") and "清查" in action_label("register.inventory_export")

    client.force_login(unit.baomi)
    assert client.get(books["hidden"].get_absolute_url()).status_code == 404


@pytest.mark.parametrize("username", ["mishu", "lisi", "zhuren", "lingdao", "secadmin", "auditor", "sysadmin"])
def test_only_the_secrecy_office_may_print_for_inventory(client, unit, books, username):
    user = unit[username]
    assert inventory_choices(user) == []
    assert download(client, user, "ledger_inventory", "pdf").status_code == 404
    assert download(client, user, "loans_inventory", "xlsx").status_code == 404
    with pytest.raises(PolicyDenied):
        register_services.register_produce(user=user, name="ledger_inventory", fmt="pdf")
    assert not AuditEvent.objects.filter(action__startswith="register.inventory").exists()


def test_the_secrecy_office_finds_the_inventory_registers_on_the_registers_page(client, unit):
    client.force_login(unit.baomi)
    html = client.get(reverse("registers:index")).content.decode()
    assert "清查（账物核对）" in html and "涉密载体台账（清查）" in html and "借阅登记簿（清查）" in html
    client.force_login(unit.mishu)
    assert "清查" not in client.get(reverse("registers:index")).content.decode()


def test_an_inventory_print_refuses_a_search_term_at_its_field_and_prints_nothing(client, unit, books):
    response = download(client, unit.baomi, "ledger_inventory", "pdf", q="能源储备")

    assert response.status_code == 400
    assert "清查打印不按搜索词筛选" in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="register.inventory").exists()


def test_a_big_inventory_ledger_in_the_worker_masks_alike(unit, books, monkeypatch, tmp_path, settings):
    monkeypatch.setattr(pdf_engine, "LARGE_REGISTER_ROWS", 1)  # the Pango/Cairo table engine
    job = register_services.register_job_create(user=unit.baomi, name="ledger_inventory", fmt="pdf")
    runner.register_job_run(job_id=job.pk)
    job.refresh_from_db()

    assert job.rows == 3 and job.file_path
    text = pdftotext((settings.MEDIA_ROOT / job.file_path).read_bytes(), tmp_path)
    assert all(c.serial in text for c in Carrier.objects.all()) and MASKED in text
    assert_never_shows_the_hidden_carriers_words(text)
    assert AuditEvent.objects.filter(action="register.inventory_print", detail__job=job.pk).exists()
