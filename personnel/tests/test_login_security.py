"""Login and session hardening (issue 6 acceptance 4–5; SPEC §12): lockout after five failures —
also against the right password — and unlock by the 安全保密管理员 only; idle timeout and
absolute lifetime on a simulated clock; disabling an account ends its sessions; every one of
them leaves an audit event. Security headers and the CSP on a classified page."""
import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audits.models import AuditEvent
from conftest import PASSWORD
from personnel.auth import is_locked
from personnel.models import LoginSession, PasswordState
from personnel.services_accounts import account_create, account_disable, account_enable, account_unlock
from secrecy.errors import InvalidState, PolicyDenied, ValidationFailed


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))




# ------------------------------------------------------------------------------- lockout


def test_five_failures_lock_the_account_even_against_the_right_password_until_secadmin_unlocks(unit, client):
    for attempt in range(4):
        response = login(client, "lisi", "wrong-password-1")
        assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()
    assert not is_locked("lisi") and not events("auth.locked_out")
    response = login(client, "lisi", "wrong-password-1")
    assert response.status_code == 403 and "已被锁定" in response.content.decode()
    assert is_locked("lisi")
    [locked] = events("auth.locked_out")
    assert locked.target_repr == "lisi" and locked.result == "denied" and locked.target_id == unit.lisi.pk
    # The right password no longer opens it; the refused attempt is on record too.
    response = login(client, "lisi", PASSWORD)
    assert response.status_code == 403 and "已被锁定" in response.content.decode()
    assert len(events("auth.locked_out")) == 2
    assert "_auth_user_id" not in client.session
    assert not Client().login(username="lisi", password=PASSWORD)

    # Only the 安全保密管理员 unlocks.
    for who in ("sysadmin", "baomi", "auditor", "lisi"):
        with pytest.raises(PolicyDenied):
            account_unlock(actor=unit[who], user=unit.lisi)
    assert is_locked("lisi")
    account_unlock(actor=unit.secadmin, user=unit.lisi)
    [unlock] = events("auth.unlock")
    assert unlock.actor == unit.secadmin and unlock.target_id == unit.lisi.pk
    assert not is_locked("lisi")
    response = login(client, "lisi", PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(unit.lisi.pk)
    with pytest.raises(InvalidState):
        account_unlock(actor=unit.secadmin, user=unit.lisi)


def test_a_success_before_the_limit_starts_the_count_again(unit, client):
    for _ in range(4):
        login(client, "zhangsan", "nope-1234")
    assert login(client, "zhangsan", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        login(client, "zhangsan", "nope-1234")
    assert not is_locked("zhangsan")


def test_the_failure_limit_is_configurable(unit, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        login(client, "zhangsan", "nope-1234")
    assert is_locked("zhangsan")


# ------------------------------------------------------------------------------ sessions


def test_idle_for_more_than_ten_minutes_ends_the_session_with_an_event(unit, client, clock):
    assert login(client, "lisi", PASSWORD).status_code == 302
    clock.advance(minutes=9)
    assert client.get(reverse("home")).status_code == 200
    clock.advance(minutes=9)  # 9 minutes since the last request: still fine
    assert client.get(reverse("home")).status_code == 200
    clock.advance(minutes=10, seconds=1)
    response = client.get(reverse("documents:carrier_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    [event] = events("auth.session_idle_timeout")
    assert event.actor == unit.lisi and event.detail["idle_seconds"] >= 601
    assert client.get(reverse("home")).status_code == 302
    assert LoginSession.objects.get(user=unit.lisi).ended_at is not None


def test_eight_hours_after_login_the_session_ends_however_busy(unit, client, clock):
    assert login(client, "lisi", PASSWORD).status_code == 302
    for _ in range(8 * 6):
        clock.advance(minutes=9, seconds=59)
        assert client.get(reverse("home")).status_code == 200
    clock.advance(minutes=1)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    [event] = events("auth.session_expired")
    assert event.actor == unit.lisi and event.detail["session_seconds"] > 8 * 3600


def test_the_limits_are_configurable(unit, client, clock, settings):
    settings.SECRECY = {**settings.SECRECY, "SESSION_IDLE_SECONDS": 60}
    assert login(client, "lisi", PASSWORD).status_code == 302
    clock.advance(seconds=61)
    assert client.get(reverse("home")).status_code == 302
    assert events("auth.session_idle_timeout")


def test_disabling_an_account_ends_its_sessions_at_once(unit):
    browsers = [Client(), Client()]
    for browser in browsers:
        assert login(browser, "zhangsan", PASSWORD).status_code == 302
    with pytest.raises(PolicyDenied):
        account_disable(actor=unit.secadmin, user=unit.zhangsan, reason="调离")
    with pytest.raises(ValidationFailed):
        account_disable(actor=unit.sysadmin, user=unit.zhangsan, reason="")
    account_disable(actor=unit.sysadmin, user=unit.zhangsan, reason="调离本单位")
    [event] = events("account.disable")
    assert event.detail["sessions_ended"] == 2
    for browser in browsers:
        assert browser.get(reverse("home")).status_code == 302
    assert login(Client(), "zhangsan", PASSWORD).status_code == 200  # the form again: inactive
    with pytest.raises(PolicyDenied):
        account_disable(actor=unit.sysadmin, user=unit.sysadmin, reason="x")
    account_enable(actor=unit.sysadmin, user=unit.zhangsan, reason="误停用")
    assert login(Client(), "zhangsan", PASSWORD).status_code == 302


def test_an_account_revoked_by_a_leave_cannot_be_re_enabled_by_the_sysadmin(unit):
    from personnel.models import Person

    Person.objects.filter(user=unit.zhangsan).update(status="declassifying")
    get_user_model().objects.filter(pk=unit.zhangsan.pk).update(is_active=False)
    with pytest.raises(InvalidState, match="离岗离职"):
        account_enable(actor=unit.sysadmin, user=get_user_model().objects.get(pk=unit.zhangsan.pk), reason="x")


# ----------------------------------------------------------------------------- passwords


def test_account_creation_applies_the_password_rules(unit):
    with pytest.raises(ValidationFailed) as caught:
        account_create(actor=unit.sysadmin, username="newbie", password="abcdefgh")
    assert "字母和数字" in " ".join(caught.value.field_errors["password"])
    with pytest.raises(PolicyDenied):
        account_create(actor=unit.secadmin, username="newbie", password="Abc12345xy")
    user = account_create(actor=unit.sysadmin, username="newbie", password="Abc12345xy", full_name="新人")
    assert user.check_password("Abc12345xy") and PasswordState.objects.filter(user=user).exists()
    assert events("account.create")[0].target_id == user.pk
    with pytest.raises(ValidationFailed) as caught:
        account_create(actor=unit.sysadmin, username="NEWBIE", password="Abc12345xy")
    assert caught.value.field_errors["username"] == "该用户名已存在"


def test_people_cleared_for_secret_need_ten_characters(unit):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    validate_password("Kq7vLm2x", unit.zhangsan)  # 一般 → 秘密: 8 are enough
    with pytest.raises(ValidationError, match="至少 10 位"):
        validate_password("Kq7vLm2x", unit.lisi)  # 重要 → 机密
    validate_password("Kq7vLm2xZp", unit.lisi)


def test_password_rotation_reminder_once_per_password(unit):
    from notifications.jobs import run_job
    from notifications.models import Notification

    # Accounts made by create_user have no recorded change: they count from the day they joined.
    PasswordState.objects.update_or_create(user=unit.lisi,
                                           defaults={"changed_at": timezone.now() - dt.timedelta(days=31)})
    run_job("password_rotation", today=timezone.localdate())
    run_job("password_rotation", today=timezone.localdate())
    assert Notification.objects.filter(recipient=unit.lisi, kind="account.password_rotation").count() == 1
    assert not Notification.objects.filter(recipient=unit.zhangsan, kind="account.password_rotation").exists()
    unit.lisi.set_password("NewPassw0rd!")
    unit.lisi.save()
    run_job("password_rotation", today=timezone.localdate() + dt.timedelta(days=31))
    assert Notification.objects.filter(recipient=unit.lisi, kind="account.password_rotation").count() == 2


# ------------------------------------------------------------------------ headers and CSP


def test_a_classified_page_carries_the_security_headers_and_a_csp_without_inline_scripts(unit, register_carrier,
                                                                                        client):
    carrier = register_carrier(level=3, scope_users=[unit.lisi])
    client.force_login(unit.lisi)
    response = client.get(reverse("documents:carrier_detail", args=[carrier.pk]))
    assert response.status_code == 200 and "机密" in response.content.decode()
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    body = response.content.decode()
    assert "<script>" not in body and " onclick=" not in body and "javascript:" not in body
