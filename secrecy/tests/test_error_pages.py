"""Error pages for real users (issue 11 §9): with DEBUG off (as in tests and `make run`) an unknown
URL is the Chinese 404 page in the site's layout with a way back, never Django's English debug page
listing the URL patterns; the 500 page renders without request, context or database."""
import os
import subprocess
import sys
from pathlib import Path

from django.test import RequestFactory
from django.views import defaults

from conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def test_an_unknown_url_is_the_chinese_404_page_in_the_layout(unit, client, settings):
    assert settings.DEBUG is False
    client.login(username="lisi", password=PASSWORD)
    response = client.get("/no/such/page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "未找到" in body and "您要访问的页面不存在" in body and '<a class="btn" href="/">返回首页</a>' in body
    assert 'class="topbar"' in body and "修改密码" in body  # the site's own layout, signed in
    assert "Page not found" not in body and "URLconf" not in body and "documents/" not in body


def test_the_404_page_for_an_anonymous_visitor(db, client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404 and "返回首页" in response.content.decode()


def test_the_500_page_renders_without_request_context_or_database(django_assert_num_queries, db):
    request = RequestFactory().get("/broken/")
    with django_assert_num_queries(0):
        response = defaults.server_error(request)
    body = response.content.decode()
    assert response.status_code == 500
    assert "系统错误" in body and '<a class="btn" href="/">返回首页</a>' in body and "Server Error" not in body


def _settings_with(env):
    """Load the settings module in a fresh interpreter with this environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SECRECY_") and k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-c", "import secrecy.settings as s; print(s.DEBUG, s.SECRET_KEY, "
                               "s.SESSION_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True)


def test_debug_off_reads_the_secret_key_from_the_key_file_make_run_generates(tmp_path):
    key_file = tmp_path / "secret.key"
    key_file.write_text("k" * 60 + "\n")
    env = {"SECRECY_VAR_DIR": str(tmp_path), "SECRECY_DEBUG": "0", "SECRECY_SECRET_KEY_FILE": str(key_file),
           "SECRECY_SSL_REDIRECT": "0", "SECRECY_SECURE_COOKIES": "0", "SECRECY_HSTS_SECONDS": "0"}
    result = _settings_with(env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "k" * 60, "False", "False", "0"]
    # An explicit key wins over the file; without either, DEBUG off refuses to start.
    result = _settings_with({**env, "SECRECY_SECRET_KEY": "x" * 60})
    assert result.stdout.split()[1] == "x" * 60
    result = _settings_with({"SECRECY_VAR_DIR": str(tmp_path), "SECRECY_DEBUG": "0"})
    assert result.returncode != 0 and "SECRECY_SECRET_KEY" in result.stderr
