"""Issue 14 §1 and §2 in real Chromium: mishu fills a 收文登记 of a 机密 notice, the red * of 份号
appears as soon as 机密 is chosen, one submit shows every missing field at once (the form's and the
service's rules together), the second submit registers it; then the carrier list's search finds it
by every way of writing its 文号, by its 来文单位 and by the tail of its 统一编号."""
import datetime as dt
import re

import pytest
from django.conf import settings

from documents.models import SerialCounter
from documents.services import local_today
from tests.browser.session import login, watch_errors

pytestmark = pytest.mark.browser

DOC_NUMBER = "国保发〔2026〕135802号"
VARIANTS = ["国保发〔2026〕135802号", "国保发[2026]135802号", "国保发（2026）135802号", "国保发(2026)135802号",
            "国保发［2026］135802号", "国保发〔２０２６〕１３５８０２号"]


def _search(page, base, term):
    page.goto(f"{base}/carriers/")
    page.fill("input[name=q]", term)
    with page.expect_navigation():
        page.press("input[name=q]", "Enter")
    return page.locator(".carrier-table tbody").inner_text() if page.locator(".carrier-table").count() else ""


def test_mishu_registers_with_one_round_of_errors_and_finds_it_by_any_writing(
        live_server, unit, register_carrier, new_page, screenshot):
    # Another notice of the same sender's series, and one from elsewhere: the search must tell them apart.
    register_carrier(level=2, title="上一年度的通知", doc_number="国保发〔2025〕135802号", issuer="市保密局",
                     copy_number=None)
    # The unit has registered 312 carriers this year: the notice will be number 313.
    SerialCounter.objects.update_or_create(registry=settings.SECRECY["REGISTRY_CODE"], year=local_today().year,
                                           defaults={"last_value": 312})
    base = live_server.url
    errors = []
    page = new_page()
    watch_errors(page, errors)
    login(page, base, "mishu")
    page.goto(f"{base}/carriers/new/incoming/")

    copy_number = page.locator("#field-copy_number")
    assert "required" not in copy_number.get_attribute("class")
    page.fill("[name=title]", "关于开展年度保密检查的通知")
    page.fill("[name=doc_number]", DOC_NUMBER)
    page.select_option("[name=level]", "3")
    # 机密 chosen: 份号 is required from now on, and says so before any submit.
    assert "required" in copy_number.get_attribute("class")
    page.fill("[name=doc_date]", (local_today() - dt.timedelta(days=1)).isoformat())
    with page.expect_navigation():
        page.click("#carrier-form button[type=submit]")

    # One round: what the form requires (载体类别, 管理部门) and what the service's rules require
    # (来文单位, 签收人, 份号), each at its own field.
    wanted = {"kind": "请选择载体类别", "department": "请选择管理部门", "issuer": "请填写来文单位",
              "signed_by": "请填写签收人", "copy_number": "绝密、机密载体必须标注份号"}
    for name, message in wanted.items():
        assert message in page.locator(f"#errors-{name}").inner_text(), name
    red = page.locator(".field.has-error").evaluate_all("boxes => boxes.map(b => b.id)")
    assert sorted(red) == sorted(f"field-{name}" for name in wanted)
    assert "required" in copy_number.get_attribute("class")
    page.locator("#field-issuer").scroll_into_view_if_needed()
    screenshot(page, "registration_one_round_of_errors")
    screenshot(page, "registration_one_round_of_errors_full", full_page=True)

    page.select_option("[name=kind]", "paper")
    page.fill("[name=issuer]", "国家保密局")
    page.fill("[name=copy_number]", "7")
    page.fill("[name=signed_by]", "王机要")
    page.select_option("[name=department]", str(unit.business.pk))
    page.click("#carrier-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/carriers/\d+/$"))
    assert "登记成功" in page.locator(".messages").inner_text()
    serial = f"{local_today().year}-000313"
    assert serial in page.locator(".messages").inner_text()

    for term in VARIANTS + ["国家保密局", "313", "000313"]:
        rows = _search(page, base, term)
        assert serial in rows, term
        assert "上一年度的通知" not in rows, term
        if term == "国保发[2026]135802号":
            screenshot(page, "search_by_doc_number_variant")
    assert "上一年度的通知" in _search(page, base, "国保发(2025)135802")
    _search(page, base, "国家保密局")
    screenshot(page, "search_by_issuer")
    assert not errors, errors
