"""Acceptance point 5 (issue 3) in real Chromium: mishu builds a destruction batch on the 组织销毁
page, zhuren approves it in the inbox, baomi and lingdao each confirm as 监销人 with their own
login, mishu executes, and baomi finds the 销毁清单 on the batch page."""
import datetime as dt
import re

import pytest

from documents.services import local_today
from tests.browser.session import login, watch_errors
from tests.browser.menu import nav_click
from tests.browser.people_picker import pick_person

pytestmark = pytest.mark.browser


def test_mishu_builds_zhuren_approves_two_witness_mishu_destroys(
        live_server, unit, register_carrier, new_page, screenshot):
    seen = [unit.baomi, unit.lingdao]
    paper = register_carrier(level=3, title="年度保密检查报告", copy_number=5, copies=2, scope_users=seen)
    usb = register_carrier(level=2, kind="removable", device_serial="USB-0099", copy_number=None, pages="32GB",
                           title="项目资料U盘", scope_users=seen)
    keep = register_carrier(level=2, title="继续保存的文件", copy_number=1)
    base = live_server.url
    errors = []

    registrar = new_page()
    watch_errors(registrar, errors)
    login(registrar, base, "mishu")
    nav_click(registrar, "#nav-destroy")
    registrar.click("text=组织销毁")
    registrar.wait_for_url(f"{base}/approvals/destroy/new/")
    for carrier in (paper, usb):
        registrar.check(f"#pick-{carrier.pk}")
    assert not registrar.is_checked(f"#pick-{keep.pk}")
    form = registrar.locator("#destroy-form")
    form.locator("[name=reason]").fill("超过保存期限，清理销毁")
    form.locator("[name=method]").select_option("send")
    form.locator("[name=place]").fill("市保密局销毁中心")
    form.locator("[name=destruction_body]").fill("市涉密载体销毁中心")
    form.locator("[name=planned_date]").fill((local_today() + dt.timedelta(days=2)).isoformat())
    for name in ("baomi", "lingdao"):
        pick_person(form, "witnesses", name)
    screenshot(registrar, "destroy_build", full_page=True)
    form.locator("#destroy-submit").click()
    registrar.wait_for_url(re.compile(r".*/approvals/\d+/$"))
    batch_url = registrar.url
    assert "已建立并提交" in registrar.locator(".messages").inner_text()
    assert "待审批" in registrar.locator(".title-row").inner_text()

    leader = new_page()
    watch_errors(leader, errors)
    login(leader, base, "zhuren")
    nav_click(leader, "#nav-inbox")
    row = leader.locator("#inbox-table tbody tr")
    assert row.count() == 1 and paper.serial in row.inner_text()
    row.locator("button[value=approve]").click()
    leader.wait_for_url(f"{base}/approvals/inbox/")
    assert "已同意" in leader.locator(".messages").inner_text()

    for name in ("baomi", "lingdao"):
        witness = new_page()
        watch_errors(witness, errors)
        login(witness, base, name)
        witness.goto(f"{base}/approvals/destroy/")
        witness.locator("#witness-table button", has_text="确认监销").click()
        witness.wait_for_url(f"{base}/approvals/destroy/")
        assert "已确认监销" in witness.locator(".messages").inner_text()

    registrar.goto(batch_url)
    assert registrar.locator("#witness-table").inner_text().count("已确认") == 2
    registrar.fill("[name=destroyed_by_name]", "张师傅")
    screenshot(registrar, "destroy_execute", full_page=True)
    registrar.locator(".execute-form button", has_text="执行销毁").click()
    registrar.wait_for_url(batch_url)
    assert "已执行销毁" in registrar.locator(".messages").inner_text()
    assert "已销毁" in registrar.locator(".title-row").inner_text()

    office = new_page()
    watch_errors(office, errors)
    login(office, base, "baomi")
    office.goto(batch_url)
    assert office.locator(".print-links button", has_text="PDF").count() == 1
    with office.expect_download() as download:
        office.locator(".print-links button", has_text="PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    screenshot(office, "destroy_done", full_page=True)
    assert errors == []
