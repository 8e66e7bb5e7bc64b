"""Acceptance point 4 (issue 3): in real Chromium, zhangsan asks to borrow a 秘密 carrier, lingdao
approves it in the inbox, mishu checks it out and takes it back (完好); the carrier's custody
timeline shows the approval, the hand-out and the return."""
import re

import pytest

from tests.browser.menu import nav_click
from tests.browser.session import login, watch_errors

pytestmark = pytest.mark.browser

TITLE = "业务一处季度工作会议纪要"


def test_zhangsan_borrows_lingdao_approves_mishu_lends_and_takes_back(
        live_server, unit, register_carrier, new_page, screenshot):
    carrier = register_carrier(level=2, title=TITLE, copy_number=5, period_value=5,
                               scope_groups=[unit.business.group])
    register_carrier(level=3, title="不相关的机密文件", copy_number=9)
    base = live_server.url
    detail_url = f"{base}{carrier.get_absolute_url()}"
    errors = []

    # zhangsan asks.
    reader = new_page()
    watch_errors(reader, errors)
    login(reader, base, "zhangsan")
    reader.goto(detail_url)
    reader.click("#loan-request summary")
    reader.fill("#loan-request [name=reason]", "起草季度工作总结需参阅")
    screenshot(reader, "lend_request_form")
    reader.click("#loan-request button[type=submit]")
    reader.wait_for_url(re.compile(r".*/approvals/\d+/$"))
    request_url = reader.url
    assert "借阅申请已提交" in reader.locator(".messages").inner_text()
    assert "待审批" in reader.locator(".title-row").inner_text()
    assert reader.locator(".level-banner").inner_text() == "本页最高密级：秘密"
    screenshot(reader, "lend_request_submitted")

    # lingdao decides in the inbox; the navigation bar counts it.
    leader = new_page()
    watch_errors(leader, errors)
    login(leader, base, "lingdao")
    assert leader.locator("#nav-inbox .nav-count").inner_text() == "1"
    nav_click(leader, "#nav-inbox")
    leader.wait_for_url(f"{base}/approvals/inbox/")
    row = leader.locator("#inbox-table tbody tr")
    assert row.count() == 1
    assert carrier.serial in row.inner_text() and TITLE in row.inner_text()
    assert "秘密★5年" in row.inner_text() and "起草季度工作总结需参阅" in row.inner_text()
    screenshot(leader, "lend_inbox")
    row.locator("textarea[name=comment]").fill("同意借阅，按期归还")
    row.locator("button[value=approve]").click()
    leader.wait_for_url(f"{base}/approvals/inbox/")
    assert "已同意" in leader.locator(".messages").inner_text()
    assert leader.locator("#nav-inbox .nav-count").count() == 0
    assert "没有待您审批的申请" in leader.content()

    # mishu hands it out and takes it back.
    registrar = new_page()
    watch_errors(registrar, errors)
    login(registrar, base, "mishu")
    nav_click(registrar, "#nav-queue")
    registrar.wait_for_url(f"{base}/approvals/queue/")
    assert carrier.serial in registrar.locator("#to-check-out").inner_text()
    screenshot(registrar, "lend_queue_check_out")
    registrar.locator("#to-check-out button", has_text="借出").click()
    registrar.wait_for_url(f"{base}/approvals/queue/")
    assert "已借出" in registrar.locator(".messages").inner_text()
    back = registrar.locator("#to-take-back tbody tr")
    assert back.count() == 1 and "zhangsan" in back.inner_text()
    screenshot(registrar, "lend_queue_return")
    back.locator("select[name=condition]").select_option("intact")
    back.locator("button", has_text="归还入库").click()
    registrar.wait_for_url(f"{base}/approvals/queue/")
    assert "已归还入库" in registrar.locator(".messages").inner_text()

    # The custody timeline: the hand-out under lingdao's approval, then the return inspection.
    registrar.goto(detail_url)
    timeline = registrar.locator("table.timeline tbody tr")
    assert timeline.count() == 3
    out, returned = timeline.nth(1).inner_text(), timeline.nth(2).inner_text()
    assert "交付保管" in out and "mishu → zhangsan" in out and "在库 → 借出" in out
    assert "经lingdao批准" in out and re.search(r"借阅申请第\d+号", out)
    assert "交回" in returned and "zhangsan → mishu" in returned and "借出 → 在库" in returned
    assert "归还检查：完好" in returned
    history = registrar.locator("ol.history").inner_text()
    assert "流转" in history and "借出（借阅申请第" in history and "更正" not in history
    screenshot(registrar, "lend_timeline", full_page=True)

    # zhangsan's request page now reads 已归还.
    reader.goto(request_url)
    assert "已归还" in reader.locator(".title-row").inner_text()
    assert "lingdao" in reader.locator("#steps-table").inner_text()
    screenshot(reader, "lend_request_done")
    assert errors == []
