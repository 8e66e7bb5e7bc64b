"""Issue 11 §9 in real Chromium: a signed-in user opening an unknown URL sees the Chinese 404 page
in the site's layout (DEBUG is off in the live server, as in `make run`) and finds the way back."""
import pytest
from django.conf import settings

from conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_an_unknown_url_shows_the_chinese_404_page_with_a_way_home(live_server, unit, new_page, screenshot):
    assert settings.DEBUG is False
    base = live_server.url
    page = new_page()
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "lisi")
    page.fill("input[name=password]", PASSWORD)
    page.click(".login-box button[type=submit]")
    page.wait_for_url(f"{base}/")

    response = page.goto(f"{base}/carriers/no-such-page/")
    assert response.status == 404
    assert page.locator("h1.page-title").inner_text() == "未找到"
    assert page.locator("text=您要访问的页面不存在").is_visible()
    assert page.locator("header.topbar .username").inner_text() == "lisi"  # signed in, own layout
    body = page.content()
    assert "Page not found" not in body and "URLconf" not in body
    screenshot(page, "error_404")

    page.click("main >> text=返回首页")
    page.wait_for_url(f"{base}/")
    assert page.locator("h1").first.is_visible()
