"""Acceptance point 7 (issue 2): the 机要秘书 registers a 机密 carrier in real Chromium and finds it;
a reader cleared only for 秘密 gets 404 on its URL."""
import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.browser.menu import nav_click
from tests.browser.people_picker import pick_person
from tests.browser.session import login

pytestmark = pytest.mark.browser

TITLE = "关于做好年度保密自查自评工作的通知"


def _seed(unit, register_carrier):
    """Something on every screen: carriers of each level, kind and direction."""
    register_carrier(level=4, title="关于重大项目实施方案的请示", copy_number=1, period_value=30,
                     issuer="省委办公厅", doc_number="省委办〔2026〕3号", urgency="extra_urgent")
    register_carrier(level=3, title="年度保密工作要点", copy_number=12, scope_users=[unit.lisi])
    register_carrier(level=2, title="业务一处工作会议纪要", copy_number=5, period_value=5,
                     scope_groups=[unit.business.group], issuer="业务一处")
    register_carrier(level=2, kind="removable", device_serial="USB-KX-20260031", title="涉密移动存储介质（U盘）",
                     period_value=10, copy_number=None, pages="32GB", scope_groups=[unit.business.group])
    register_carrier(level=1, title="内部通讯录（2026年版）", copy_number=None, issuer="办公室")
    register_carrier(level=3, outgoing=True, title="关于报送保密检查整改情况的报告", copy_number=2,
                     doc_number="某单位〔2026〕45号", issuer="本单位", transmission="jiyao_jiaotong")
    register_carrier(level=2, kind="disc", device_serial="CD-0042", title="项目资料光盘", period_value=6,
                     period_unit="month", copy_number=3)


def test_mishu_registers_finds_and_opens_a_carrier_and_zhangsan_gets_404(
        live_server, unit, register_carrier, new_page, screenshot):
    _seed(unit, register_carrier)
    base = live_server.url
    today = timezone.localdate()

    page = new_page()
    # CSP violations (an inline script or style, an outside URL) and JS errors show up here.
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    page.goto(f"{base}/")
    assert "/login/" in page.url
    assert page.locator("h1").inner_text() == "涉密载体管理系统"
    screenshot(page, "login")
    login(page, base, "mishu")
    assert page.locator(".level-banner").count() == 1
    screenshot(page, "home_mishu")

    # Registration with bad input first: no 份号 on a 机密 carrier, a start date in the future.
    nav_click(page, "nav.mainnav >> text=收文登记")
    page.wait_for_url(f"{base}/carriers/new/incoming/")
    page.fill("[name=title]", TITLE)
    page.fill("[name=doc_number]", "市保〔2026〕88号")
    page.fill("[name=issuer]", "市保密局")
    page.select_option("[name=kind]", "paper")
    page.fill("[name=attachments]", "自查表1份")
    page.fill("[name=pages]", "6")
    page.select_option("[name=level]", "3")
    page.select_option("[name=period_kind]", "term")
    page.fill("[name=period_value]", "10")
    page.select_option("[name=period_unit]", "year")
    page.fill("[name=start_date]", (today + dt.timedelta(days=3)).isoformat())
    page.fill("[name=doc_date]", today.isoformat())
    page.fill("[name=signed_by]", "王机要")
    page.select_option("[name=transmission]", "jiyao_tongxin")
    page.select_option("[name=urgency]", "urgent")
    page.select_option("[name=department]", label="业务一处")
    page.fill("[name=location]", "机要室A柜3层")
    page.fill("[name=scope_note]", "业务一处处级以上干部")
    pick_person(page, "scope_users", "lisi", expect="lisi（业务一处）")
    page.click("#carrier-form button[type=submit]")
    page.wait_for_load_state()
    screenshot(page, "form_errors", full_page=True)
    assert "绝密、机密载体必须标注份号" in page.locator("#errors-copy_number").inner_text()
    assert "不能晚于今天" in page.locator("#errors-start_date").inner_text()
    screenshot(page, "form_errors", full_page=True)
    screenshot(page, "form_errors_viewport")

    page.fill("[name=copy_number]", "8")
    page.fill("[name=start_date]", "")
    page.click("#carrier-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/carriers/\d+/$"))
    assert "登记成功" in page.locator(".messages").inner_text()
    serial = page.locator(".detail-sub .serial strong").inner_text()
    detail_url = page.url
    assert page.locator(".print-header .ph-mark").inner_text() == "机密★10年"

    # Find it in the list through the search box, then open it.
    nav_click(page, "nav.mainnav >> text=载体台账")
    page.wait_for_url(f"{base}/carriers/")
    page.fill("input[name=q]", "自查自评")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r".*/carriers/\?.*q=.*"))
    rows = page.locator("table.carrier-table tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").first.inner_text() == serial
    page.fill("input[name=q]", "")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()
    assert page.locator(".level-banner").inner_text() == "本页最高密级：绝密"
    screenshot(page, "list")
    page.click(f"text={serial}")
    page.wait_for_url(detail_url)
    screenshot(page, "detail")
    screenshot(page, "detail_full", full_page=True)

    # A scanner types the serial and Enter: straight to the carrier.
    page.goto(f"{base}/carriers/")
    page.fill("input[name=q]", serial)
    page.press("input[name=q]", "Enter")
    page.wait_for_url(detail_url)
    assert console_errors == []

    # zhangsan (一般 → 秘密 only) is not cleared for 机密: the carrier does not exist for him.
    other = new_page()
    login(other, base, "zhangsan")
    screenshot(other, "home_zhangsan")
    response = other.goto(detail_url)
    assert response.status == 404
    assert serial not in other.content()
    assert TITLE not in other.content()
    screenshot(other, "not_found_zhangsan")
