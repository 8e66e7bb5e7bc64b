"""Lockout is no denial-of-service lever and has a way back (issue 11 §3): the per-account lock ends
after its cool-off, failures from several addresses add up, one address failing on many accounts
is slowed down (never locked), the client address comes from X-Forwarded-For only behind a trusted
proxy, and the host operator can unlock with manage.py unlock_account — each step audited."""
import datetime as dt
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audits.models import AuditEvent
from conftest import PASSWORD
from personnel.auth import is_locked
from personnel.models import LoginThrottle


def login(client, username, password, ip="192.0.2.10", **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def age_lock(username, minutes):
    """Axes' counters as if the failures happened this many minutes earlier."""
    AccessAttempt.objects.filter(username=username).update(
        attempt_time=F("attempt_time") - dt.timedelta(minutes=minutes))




# ------------------------------------------------------------------------ per-account cool-off


def test_a_locked_account_opens_again_by_itself_after_the_cool_off(unit, client):
    for _ in range(5):
        login(client, "secadmin", "wrong-password-1")
    response = login(client, "secadmin", PASSWORD)
    body = response.content.decode()
    assert response.status_code == 403 and "已被锁定" in body and "30 分钟后自动解锁" in body
    [locked, _again] = events("auth.locked_out")
    assert locked.detail["cooloff_minutes"] == 30

    # Refused attempts during the lock do not start the cool-off again: 29 minutes after the
    # fifth failure the owner's right password is still refused, 31 minutes after it opens.
    age_lock("secadmin", 29)
    assert login(client, "secadmin", PASSWORD).status_code == 403
    age_lock("secadmin", 2)
    assert not is_locked("secadmin")
    response = login(client, "secadmin", PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(unit.secadmin.pk)


def test_the_cool_off_is_configurable(unit, client, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=5)
    settings.SECRECY_LOCKOUT_COOLOFF_MINUTES = 5
    for _ in range(5):
        login(client, "lisi", "wrong-password-1")
    assert "5 分钟后自动解锁" in login(client, "lisi", PASSWORD).content.decode()
    age_lock("lisi", 6)
    assert login(client, "lisi", PASSWORD).status_code == 302


def test_failures_from_several_addresses_add_up_and_the_secadmin_sees_and_unlocks_the_lock(unit, client):
    for ip in ("192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.2", "192.0.2.3"):
        login(Client(), "lisi", "wrong-password-1", ip=ip)
    assert is_locked("lisi")
    assert login(Client(), "lisi", PASSWORD, ip="192.0.2.4").status_code == 403

    client.force_login(unit.secadmin)
    page = client.get(reverse("accounts:locked")).content.decode()
    assert f'id="locked-{unit.lisi.pk}"' in page and "自动解锁" in page
    response = client.post(reverse("accounts:unlock", args=[unit.lisi.pk]), follow=True)
    assert "账号 lisi 已解锁" in response.content.decode()
    assert not is_locked("lisi")
    assert login(Client(), "lisi", PASSWORD, ip="192.0.2.4").status_code == 302


# ------------------------------------------------------------------------ per-address slow-down


def test_one_address_failing_on_many_accounts_is_slowed_down_never_locked(unit, settings, clock):
    settings.SECRECY_LOGIN_THROTTLE_FAILURES = 3
    settings.SECRECY_LOGIN_THROTTLE_MAX_DELAY_SECONDS = 4
    attacker = Client()
    # Below the per-account limit on every account: no account lock, but the address counts.
    for username in ("lisi", "zhangsan", "wangwu"):
        assert login(attacker, username, "guess-12345").status_code == 200
    assert not events("auth.address_throttled")
    assert login(attacker, "mishu", "guess-12345").status_code == 200  # the 4th: wait 1 s from now
    [slowed] = events("auth.address_throttled")
    assert slowed.source_ip == "192.0.2.10" and slowed.result == "denied"

    # A colleague behind the same address with the right password must wait too — unchecked.
    colleague = Client()
    response = login(colleague, "baomi", PASSWORD)
    body = response.content.decode()
    assert response.status_code == 429 and "登录尝试过于频繁，请 1 秒后再试" in body
    assert response["Retry-After"] == "1" and "_auth_user_id" not in colleague.session
    [refused] = events("auth.login_throttled")
    assert refused.detail == {"username": "baomi", "retry_after_seconds": 1}
    assert not AccessAttempt.objects.filter(username="baomi").exists()  # not counted against baomi
    # Another address is not affected.
    assert login(Client(), "lingdao", PASSWORD, ip="192.0.2.99").status_code == 302

    # Once the wait is over the right password gets through.
    clock.advance(seconds=2)
    assert login(colleague, "baomi", PASSWORD).status_code == 302

    # Each further failure doubles the wait, up to the cap.
    waits = []
    for _ in range(4):
        clock.advance(seconds=10)
        login(attacker, "zhuren", "guess-12345")
        waits.append(LoginThrottle.objects.get(ip_address="192.0.2.10").blocked_until - timezone.now())
    assert [round(w.total_seconds()) for w in waits] == [2, 4, 4, 4]
    assert "请 4 秒后再试" in login(Client(), "zhuren", PASSWORD).content.decode()

    # A quiet window starts the count again: the next failure costs no wait.
    clock.advance(minutes=16)
    assert login(attacker, "lisi", "guess-12345").status_code == 200
    assert LoginThrottle.objects.get(ip_address="192.0.2.10").failures == 1
    assert login(Client(), "lisi", PASSWORD).status_code == 302


# ------------------------------------------------------------------------ client address


def test_the_forwarded_address_is_believed_only_from_a_trusted_proxy(unit, settings):
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.66, 198.51.100.7"}
    # No trusted proxy configured (the default): the header is the client's own text, ignored.
    login(Client(), "lisi", "wrong-password-1", ip="10.0.0.1", **forwarded)
    [failed] = events("auth.login_failed")
    assert failed.source_ip == "10.0.0.1"
    assert AccessAttempt.objects.get(username="lisi").ip_address == "10.0.0.1"

    settings.SECRECY_TRUSTED_PROXIES = ["10.0.0.1"]
    login(Client(), "zhangsan", "wrong-password-1", ip="10.0.0.1", **forwarded)
    failed = events("auth.login_failed")[-1]
    # The address the trusted proxy saw (rightmost), not what the client put in front of it.
    assert failed.source_ip == "198.51.100.7"
    assert AccessAttempt.objects.get(username="zhangsan").ip_address == "198.51.100.7"
    assert LoginThrottle.objects.filter(ip_address="198.51.100.7").exists()
    # A request from anywhere else may not claim an address.
    login(Client(), "wangwu", "wrong-password-1", ip="192.0.2.50", **forwarded)
    assert events("auth.login_failed")[-1].source_ip == "192.0.2.50"

    client = Client()
    assert login(client, "lisi", PASSWORD, ip="10.0.0.1", **forwarded).status_code == 302
    assert events("auth.login")[-1].source_ip == "198.51.100.7"
    client.get(reverse("home"), REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="garbage, 198.51.100.8")
    assert client.post(reverse("logout"), REMOTE_ADDR="10.0.0.1",
                       HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 302
    assert events("auth.logout")[-1].source_ip == "198.51.100.8"


def test_a_malformed_forwarded_header_falls_back_to_the_proxy_address(unit, settings):
    settings.SECRECY_TRUSTED_PROXIES = ["10.0.0.0/8"]
    login(Client(), "lisi", "wrong-password-1", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert events("auth.login_failed")[-1].source_ip == "10.0.0.1"
    # Through two trusted proxies: the first untrusted hop from the right.
    login(Client(), "lisi", "wrong-password-1", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9, 10.2.0.5")
    assert events("auth.login_failed")[-1].source_ip == "198.51.100.9"


# ------------------------------------------------------------------------ host operator


def test_the_host_operator_unlocks_with_a_command_on_record(unit, client):
    for _ in range(5):
        login(client, "secadmin", "wrong-password-1")
    assert is_locked("secadmin")
    out = StringIO()
    call_command("unlock_account", "secadmin", stdout=out)
    assert "已解锁" in out.getvalue()
    assert not is_locked("secadmin")
    [event] = events("auth.unlock")
    assert event.actor is None and event.actor_username == "主机操作员"
    assert event.target_id == unit.secadmin.pk
    assert event.detail == {"username": "secadmin", "by": "主机操作员",
                            "command": "manage.py unlock_account secadmin"}
    assert login(client, "secadmin", PASSWORD).status_code == 302

    out = StringIO()
    call_command("unlock_account", "secadmin", stdout=out)
    assert "未被锁定" in out.getvalue() and len(events("auth.unlock")) == 1
    with pytest.raises(CommandError, match="没有用户名为“nobody”的账号"):
        call_command("unlock_account", "nobody")
