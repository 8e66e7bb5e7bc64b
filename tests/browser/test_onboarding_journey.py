"""Issue 14 §7 in real Chromium: the 系统管理员 creates an account; the 保密办 sees the 待建档 count
in the menu, finds the account in 待建档, is told every missing piece at once at its field, and
creates the 涉密人员 record — after which the account leaves the list."""
import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from documents.services import local_today
from personnel.models import Person
from tests.browser.session import login, watch_errors

from tests.browser.menu import nav_click

pytestmark = pytest.mark.browser


def test_sysadmin_creates_an_account_and_baomi_creates_its_record(live_server, unit, new_page, screenshot):
    base = live_server.url
    errors = []

    admin = new_page()
    watch_errors(admin, errors)
    login(admin, base, "sysadmin")
    nav_click(admin, "#nav-accounts")
    admin.click("#new-account")
    form = admin.locator("#account-form")
    form.locator("[name=username]").fill("qianxin")
    form.locator("[name=full_name]").fill("钱新华")
    form.locator("[name=password]").fill("Chushi2026abc")
    form.locator("[name=password_confirm]").fill("Chushi2026abc")
    form.locator("button[type=submit]").click()
    admin.wait_for_url(f"{base}/accounts/")
    assert "账号已创建" in admin.locator(".messages").inner_text()
    account = get_user_model().objects.get(username="qianxin")

    office = new_page()
    watch_errors(office, errors)
    login(office, base, "baomi")
    assert office.locator("#nav-personnel .nav-count").inner_text() == "1"
    nav_click(office, "#nav-personnel")
    office.click("#onboarding-link")
    office.wait_for_url(f"{base}/personnel/onboarding/")
    row = office.locator(f"#account-{account.pk}")
    assert "钱新华" in row.inner_text() and "尚未授予" in row.inner_text()
    screenshot(office, "onboarding_list")

    row.locator("a", has_text="建立档案").click()
    office.wait_for_url(f"{base}/personnel/onboarding/{account.pk}/")
    assert office.locator("[name=full_name]").input_value() == "钱新华"
    office.select_option("[name=person_class]", "important")
    office.locator("#personnel-form button[type=submit]").click()  # department, review, 承诺书 missing
    assert office.locator("#errors-department").inner_text() == "请选择部门"
    assert "上岗前保密审查" in office.locator("#errors-review_passed").inner_text()
    assert office.locator("#errors-review_date").inner_text() == "请填写审查日期"
    assert "请填写保密承诺书签订日期" in office.locator("#errors-commitment_signed_on").inner_text()
    screenshot(office, "onboarding_errors", full_page=True)
    assert not Person.objects.filter(user=account).exists()

    office.select_option("[name=department]", label="业务一处")
    office.fill("[name=post]", "业务一处副主任科员")
    office.check("[name=review_passed]")
    office.fill("[name=review_date]", (local_today() - dt.timedelta(days=5)).isoformat())
    office.fill("[name=commitment_signed_on]", (local_today() - dt.timedelta(days=1)).isoformat())
    office.locator("#personnel-form button[type=submit]").click()
    office.wait_for_url(f"{base}/personnel/{Person.objects.get(user=account).pk}/")
    assert "涉密人员档案已建立" in office.locator(".messages").inner_text()
    assert "钱新华" in office.locator("main").inner_text()
    screenshot(office, "onboarding_record")
    assert office.locator("#nav-personnel .nav-count").count() == 0

    office.goto(f"{base}/personnel/onboarding/")
    assert office.locator(f"#account-{account.pk}").count() == 0
    assert "没有待建档的账号" in office.locator("main").inner_text()
    assert errors == []
