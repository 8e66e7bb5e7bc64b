"""Issue 14 §3 and §8 in Chromium at 1366×768: lisi asks for two copies of a 秘密 carrier; lingdao
finds it in the 待办 list of his home page, sees on the request that he is the one to decide and
approves; mishu's menu counts it under 审批 → 审批办理, he makes the copies and records lisi's
领取签收; lisi hears of each step in 通知 and finds the copies in her keeping. The top menu is one
line for mishu and baomi; date boxes are YYYY-MM-DD text, not the locale's mm/dd/yyyy picker."""
import re

import pytest
from playwright.sync_api import expect

from documents.models import Carrier, CustodyStatus
from tests.browser.menu import nav_click
from tests.browser.session import login, watch_errors

pytestmark = pytest.mark.browser

TITLE = "业务一处年度工作要点"


def _one_line(page):
    """The menu bar is as tall as one of its entries (it wraps to a second row otherwise)."""
    nav = page.locator("nav.mainnav").bounding_box()
    entry = page.locator("#nav-home").bounding_box()
    return nav["height"] <= entry["height"] * 1.2, nav, entry


def test_a_copy_from_request_to_pickup_with_the_requesters_notices(
        live_server, unit, register_carrier, new_page, screenshot):
    carrier = register_carrier(level=2, title=TITLE, copy_number=2, scope_groups=[unit.business.group])
    base = live_server.url
    errors = []

    # lisi asks for two copies.
    reader = new_page()
    watch_errors(reader, errors)
    login(reader, base, "lisi")
    reader.goto(f"{base}/approvals/copy/{carrier.pk}/")
    reader.fill("#request-form [name=copy_count]", "2")
    reader.fill("#request-form [name=reason]", "分送两个科室学习")
    reader.click("#request-form button[type=submit]")
    reader.wait_for_url(re.compile(r".*/approvals/\d+/$"))
    request_url = reader.url
    decider = reader.locator("td.step-decider").inner_text()
    assert "lingdao" in decider and "zhuren" in decider
    screenshot(reader, "copy_pickup_1_request_names_deciders")

    # lingdao: the request is listed on his home page, with its link.
    leader = new_page()
    watch_errors(leader, errors)
    login(leader, base, "lingdao")
    todo = leader.locator("#home-to-decide")
    assert "待我审批（1 件）" in todo.inner_text() and "lisi" in todo.inner_text()
    screenshot(leader, "copy_pickup_2_leader_home_todo")
    todo.locator("a", has_text="复制申请第").click()
    leader.wait_for_url(request_url)
    leader.fill(".decide-form textarea[name=comment]", "同意复制两份")
    leader.click(".decide-form button[value=approve]")
    leader.wait_for_url(request_url)
    assert "已同意" in leader.locator(".messages").inner_text()

    # lisi is told.
    reader.goto(f"{base}/")
    assert reader.locator("#nav-notifications .nav-count").inner_text() == "1"
    reader.click("#nav-notifications")
    expect(reader.locator("main")).to_contain_text("已批准")

    # mishu: one line of menu; 审批 counts the approved request; the drop-down leads to 审批办理.
    registrar = new_page()
    watch_errors(registrar, errors)
    login(registrar, base, "mishu")
    fits, nav, entry = _one_line(registrar)
    assert fits, f"mishu's menu wraps: {nav} vs one entry {entry}"
    assert registrar.locator("#navgroup-approvals .nav-sum").inner_text() == "1"
    assert not registrar.locator("#nav-queue").is_visible()
    registrar.locator("#navgroup-approvals .navgroup-toggle").focus()
    registrar.keyboard.press("Enter")
    assert registrar.locator("#nav-queue").is_visible()
    assert registrar.locator("#navgroup-approvals .navgroup-toggle").get_attribute("aria-expanded") == "true"
    assert registrar.locator("#nav-queue .nav-count").inner_text() == "1"
    screenshot(registrar, "copy_pickup_3_registrar_menu_open")
    registrar.keyboard.press("Escape")
    assert not registrar.locator("#nav-queue").is_visible()
    nav_click(registrar, "#nav-queue")
    registrar.wait_for_url(f"{base}/approvals/queue/")
    registrar.locator("#to-check-out button", has_text="制作复制件").click()
    # Made: the request's page, with the new carriers and the 领取签收 button.
    registrar.wait_for_url(request_url)
    assert "已制作复制件" in registrar.locator(".messages").inner_text()
    assert registrar.locator(".hand-over-form button").is_visible()
    assert registrar.locator("#nav-queue .nav-count").inner_text() == "1", "the copies still wait"
    nav_click(registrar, "#nav-queue")
    registrar.wait_for_url(f"{base}/approvals/queue/")
    pickup = registrar.locator("#queue-copy-pickup")
    assert pickup.inner_text() == "复制件待领取（1）"
    screenshot(registrar, "copy_pickup_4_queue_copies_to_collect")
    registrar.locator("#to-check-out button", has_text="领取签收").click()
    registrar.wait_for_url(f"{base}/approvals/queue/")
    assert "复制件已交申请人领取签收" in registrar.locator(".messages").inner_text()
    assert registrar.locator("#nav-queue .nav-count").count() == 0
    registrar.goto(request_url)
    assert "lisi 于" in registrar.locator("#copies-collected").inner_text()
    screenshot(registrar, "copy_pickup_5_request_collected")

    # lisi: the notices, and the copies in her keeping.
    reader.goto(f"{base}/notifications/")
    inbox = reader.locator("main").inner_text()
    assert "复制件已制作完成，请到机要室领取" in inbox and "复制件已领取签收" in inbox
    screenshot(reader, "copy_pickup_6_requester_notices")
    copies = list(Carrier.objects.filter(source_request__isnull=False).order_by("id"))
    assert [(c.custody_status, c.custodian_id) for c in copies] == [(CustodyStatus.LENT, unit.lisi.pk)] * 2
    reader.goto(f"{base}{copies[0].get_absolute_url()}")
    page_text = reader.locator("main").inner_text()
    assert "lisi" in page_text and "领取签收" in page_text
    screenshot(reader, "copy_pickup_7_copy_held_by_requester", full_page=True)
    assert not errors, errors


def test_the_menu_is_one_line_for_the_busiest_roles_and_dates_read_iso(live_server, unit, new_page, screenshot):
    base = live_server.url
    pages = {}
    for username in ("mishu", "baomi"):
        page = pages[username] = new_page()
        login(page, base, username)
        fits, nav, entry = _one_line(page)
        assert fits, f"{username}'s menu wraps: {nav} vs one entry {entry}"
        screenshot(page, f"menu_one_line_{username}")
    # The 收文登记 form: the date box is text with YYYY-MM-DD, not the browser's mm/dd/yyyy picker.
    page = pages["mishu"]
    nav_click(page, "#nav-incoming")
    box = page.locator("[name=doc_date]")
    assert box.get_attribute("type") == "text" and box.get_attribute("placeholder") == "YYYY-MM-DD"
    box.fill("2026/1/5")
    screenshot(page, "date_typed_iso")
