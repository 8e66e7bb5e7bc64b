"""Issue 14 §4 in real Chromium: among 250+ candidates mishu finds three carriers by search and by a
scanned 统一编号, sees them kept at the top with the form across searches, picks the 监销人 by typing
pinyin initials (the leaving 钱琪 is not offered), and submits the batch."""
import copy
import datetime as dt
import re

import pytest

from approvals.models import ApprovalRequest
from conftest import make_user
from documents.models import Carrier
from documents.services import local_today
from personnel.models import Leave, LeaveKind, Role
from tests.browser.people_picker import pick_person
from tests.browser.session import login, watch_errors

pytestmark = pytest.mark.browser


def _many_candidates(template, count):
    """`count` more carriers like one registered through the service (same department, level,
    在库 with the registrar), under serials of an earlier year: one INSERT instead of as many
    registrations, which would take most of a minute."""
    copies = []
    for n in range(count):
        carrier = copy.copy(template)
        carrier.pk = None
        carrier.serial_year, carrier.serial_number, carrier.serial = 2025, n + 1, f"2025-{n + 1:06d}"
        carrier.title, carrier.copy_number = f"例行业务材料第{n}号", n + 2
        copies.append(carrier)
    Carrier.objects.bulk_create(copies)


def test_a_batch_of_three_chosen_by_search_among_hundreds(live_server, unit, register_carrier, new_page, screenshot):
    _many_candidates(register_carrier(level=2, title="例行业务材料", copy_number=1), 249)
    wanted = [register_carrier(level=3, title=f"年度总结报告（{part}）", copy_number=1) for part in ("上", "下")]
    scanned = register_carrier(level=2, title="过期会议纪要", copy_number=7)
    make_user("sunlihua", department=unit.secrecy_office, roles=[Role.SECRECY_OFFICE], person_class="important",
              full_name="孙丽华")
    make_user("zhoujianguo", department=unit.business, roles=[Role.READER], person_class="important",
              full_name="周建国")
    leaving = make_user("qianqi", department=unit.business, roles=[Role.READER], person_class="important",
                        full_name="钱琪")
    Leave.objects.create(person=leaving.person, kind=LeaveKind.LEAVE_POST, reason="调岗", planned_on=local_today(),
                         created_by=unit.baomi)
    base = live_server.url
    errors = []

    page = new_page()
    watch_errors(page, errors)
    login(page, base, "mishu")
    page.goto(f"{base}/approvals/destroy/new/")
    assert "共 253 件" in page.locator("#destroy-found").inner_text()
    assert page.locator("#destroy-candidates tbody tr").count() == 50  # one page, not a 10,000-px list

    # Search by title: the two parts of the 年度总结报告, picked and added.
    page.fill("#id_q", "年度总结")
    page.press("#id_q", "Enter")  # Enter searches; it never submits the batch
    page.wait_for_load_state()
    assert page.locator("#destroy-candidates tbody tr").count() == 2
    for carrier in wanted:
        page.check(f"#pick-{carrier.pk}")
    page.click("#destroy-add")
    page.wait_for_load_state()
    # A scanner types the 统一编号 and Enter: the carrier joins the selection at once.
    page.fill("#id_q", scanned.serial)
    page.press("#id_q", "Enter")
    page.wait_for_load_state()
    selected = page.locator("#destroy-selected tbody tr")
    assert selected.count() == 3
    assert {scanned.serial, *(c.serial for c in wanted)} <= set(re.findall(r"\d{4}-\d{6}", page.locator("#destroy-selected tbody").inner_text()))
    assert "最高密级：机密" in page.locator("#destroy-selection h2").inner_text()

    # The particulars, filled before another search, survive it.
    form = page.locator("#destroy-form")
    form.locator("[name=reason]").fill("超过保存期限，清理销毁")
    form.locator("[name=place]").fill("市保密局销毁中心")
    form.locator("[name=destruction_body]").fill("市涉密载体销毁中心")
    form.locator("[name=planned_date]").fill((local_today() + dt.timedelta(days=2)).isoformat())
    page.fill("#id_q", "例行业务材料第1")
    page.press("#id_q", "Enter")
    page.wait_for_load_state()
    assert page.locator("#destroy-selected tbody tr").count() == 3
    assert form.locator("[name=place]").input_value() == "市保密局销毁中心"
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "destroy_search_selection")

    # 监销人 by pinyin initials; 钱琪 (离岗办理中) is not offered at all.
    search = page.locator("#id_witnesses").locator("xpath=..").locator("input.pp-search")
    search.fill("qq")
    assert page.locator(".pp-results").inner_text().strip() == "没有符合条件的人员"
    assert "孙丽华" in pick_person(form, "witnesses", "slh", expect="孙丽华")
    assert "周建国" in pick_person(form, "witnesses", "zjg", expect="周建国")
    screenshot(page, "destroy_search_witnesses", full_page=True)

    form.locator("#destroy-submit").click()
    page.wait_for_url(re.compile(r".*/approvals/\d+/$"))
    assert "已建立并提交" in page.locator(".messages").inner_text()
    batch = ApprovalRequest.objects.get()
    assert {i.carrier_id for i in batch.items.all()} == {scanned.pk, *(c.pk for c in wanted)}
    assert {w.user.person.full_name for w in batch.witnesses.select_related("user__person")} == {"孙丽华", "周建国"}
    screenshot(page, "destroy_search_submitted", full_page=True)
    assert errors == []
