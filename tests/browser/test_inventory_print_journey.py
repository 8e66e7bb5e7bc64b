"""Issue 14 §6 in real Chromium: the 保密办 prints the unit-wide 清查 台账 and 借阅登记簿 from the registers
page — a row for every carrier of the unit and every loan, the titles she may not know masked as
"（不在知悉范围）" — while the carrier's own page stays 404 for her. The PDFs are rendered to PNG
(test-artifacts/) to be looked at."""
import subprocess

import pytest

from approvals import services as approval_services
from approvals.kinds import lend as lending
from audits.models import AuditEvent
from documents.models import Carrier
from documents.services import local_today
from personnel import services as personnel_services
from tests.browser.conftest import ARTIFACTS
from tests.browser.session import login, watch_errors

pytestmark = pytest.mark.browser

MASKED = "（不在知悉范围）"
HIDDEN_TITLES = ["关于调整能源储备布局的请示", "重点项目招标底价测算", "年度核心技术攻关清单"]


def _pdf_text_and_pictures(path, name):
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(ARTIFACTS / name)], check=True)
    return text


def test_the_secrecy_office_prints_the_unit_wide_ledger_and_loan_register_for_inventory(
        live_server, unit, register_carrier, new_page, screenshot):
    personnel_services.person_save(actor=unit.secadmin, user=unit.baomi, full_name="孙丽华")
    personnel_services.person_save(actor=unit.baomi, user=unit.lisi, full_name="李思远")
    mine = [register_carrier(level=2, title="关于开展保密自查的通知", copy_number=3, scope_users=[unit.baomi],
                             location="保密办铁皮柜"),
            register_carrier(level=3, title="保密工作要点", copy_number=4, scope_users=[unit.baomi, unit.lisi])]
    hidden = [register_carrier(level=3, title=title, copy_number=n, doc_number=f"某发〔2026〕{n}号",
                               scope_users=[unit.lisi], location="机要室B柜")
              for n, title in enumerate(HIDDEN_TITLES, start=11)]
    for carrier in (hidden[0], mine[1]):
        loan = lending.loan_request_create(actor=unit.lisi, carrier=carrier, due_date=local_today(), reason="起草材料")
        approval_services.request_decide(actor=unit.zhuren, request=loan, approve=True)
        lending.loan_check_out(actor=unit.mishu, request=loan)
    serials = sorted(Carrier.objects.values_list("serial", flat=True))
    base = live_server.url
    errors = []
    ARTIFACTS.mkdir(exist_ok=True)

    page = new_page()
    watch_errors(page, errors)
    login(page, base, "baomi")
    page.locator("a", has_text="登记簿打印").first.click()
    page.wait_for_url(f"{base}/registers/")
    inventory = page.locator("#inventory-registers")
    assert "清查（账物核对）" in inventory.inner_text()
    inventory.locator("label", has_text="涉密载体台账（清查）").click()
    screenshot(page, "inventory_registers_page", full_page=True)

    with page.expect_download() as download:
        page.locator("button[value=pdf]").click()
    assert download.value.suggested_filename.startswith("涉密载体台账（清查）")
    ledger = ARTIFACTS / "inventory_ledger.pdf"
    download.value.save_as(ledger)
    text = _pdf_text_and_pictures(ledger, "inventory_ledger")
    assert all(serial in text for serial in serials) and "共 5 条" in text
    assert text.count(MASKED) >= 2 * len(hidden)
    assert "关于开展保密自查的通知" in text and "保密办铁皮柜" in text and "机要室B柜" in text
    assert not any(title[:6] in text.replace(" ", "") for title in HIDDEN_TITLES)
    assert "清查人（签字）" in text and "孙丽华" in text

    with page.expect_download() as download:
        page.locator("button[value=xlsx]").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    inventory.locator("label", has_text="借阅登记簿（清查）").click()
    with page.expect_download() as download:
        page.locator("button[value=pdf]").click()
    loans = ARTIFACTS / "inventory_loans.pdf"
    download.value.save_as(loans)
    text = _pdf_text_and_pictures(loans, "inventory_loans")
    assert hidden[0].serial in text and mine[1].serial in text and "共 2 条" in text
    assert "保密工作要点" in text and MASKED in text and HIDDEN_TITLES[0][:6] not in text.replace(" ", "")
    assert "李思远" in text and "lisi" not in text

    assert AuditEvent.objects.filter(action="register.inventory_print", actor_id=unit.baomi.pk).count() == 2
    assert AuditEvent.objects.filter(action="register.inventory_export", actor_id=unit.baomi.pk).count() == 1

    # What the 清查 sheet masks stays out of reach: the carrier's page does not exist for her.
    response = page.goto(f"{base}{hidden[0].get_absolute_url()}")
    assert response.status == 404
    screenshot(page, "inventory_hidden_carrier_404")

    # A registrar has no 清查 choice at all.
    registrar = new_page()
    watch_errors(registrar, errors)
    login(registrar, base, "mishu")
    registrar.goto(f"{base}/registers/")
    assert registrar.locator("#inventory-registers").count() == 0
    assert [e for e in errors if "404" not in e] == []
