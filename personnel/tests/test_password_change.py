"""Passwords users can change (issue 11 §5): 修改密码 for every signed-in user, forced after the
系统管理员 created the account or reset its password, the last five passwords refused, the
validators applied, every change audited without a secret, the rotation reminder linking to the
page, and Argon2id for new hashes with older PBKDF2 hashes upgraded at login."""
import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import secrecy.settings as project_settings
from audits.models import AuditEvent
from conftest import PASSWORD
from personnel.models import PasswordState
from personnel.services_accounts import account_create, account_password_reset, password_change
from secrecy.errors import PolicyDenied, ValidationFailed

CHANGE = "/accounts/password/"


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def signed_in(username, password=PASSWORD):
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def change(client, old, new, confirm=None):
    return client.post(CHANGE, {"old_password": old, "new_password": new,
                                "new_password_confirm": new if confirm is None else confirm})


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_every_user_changes_their_password_on_the_page_linked_from_the_menu(unit):
    assert reverse("accounts:password_change") == CHANGE
    client = signed_in("zhangsan")
    home = client.get(reverse("home")).content.decode()
    assert f'href="{CHANGE}"' in home and "修改密码" in home
    page = client.get(CHANGE).content.decode()
    assert "当前密码" in page and "不能与最近 5 次用过的密码相同" in page

    # Bad input: a clear message at its field, nothing changed.
    body = change(client, "wrong-old-1", "Newpass2026x").content.decode()
    assert "当前密码不正确" in body
    [refused] = events("account.password_change")
    assert refused.result == "failed" and refused.actor == unit.zhangsan
    assert "两次输入的密码不一致" in change(client, PASSWORD, "Newpass2026x", "Newpass2026y").content.decode()
    assert "字母和数字" in change(client, PASSWORD, "abcdefghij").content.decode()
    assert "至少" in change(client, PASSWORD, "Ab1").content.decode()
    assert "请输入当前密码" in change(client, "", "Newpass2026x").content.decode()
    # Everything wrong at once, each at its field, in one round.
    body = change(client, "", "abcdefghij", "abcdefghik").content.decode()
    assert "请输入当前密码" in body and "字母和数字" in body and "两次输入的密码不一致" in body
    assert fresh(unit.zhangsan).check_password(PASSWORD)

    response = change(client, PASSWORD, "Newpass2026x")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200  # still signed in
    assert fresh(unit.zhangsan).check_password("Newpass2026x")
    event = events("account.password_change")[-1]
    assert event.result == "ok" and event.detail == {"forced": False} and event.target_id == unit.zhangsan.pk
    stored = json.dumps([e.detail for e in AuditEvent.objects.all()], ensure_ascii=False)
    assert "Newpass2026x" not in stored and PASSWORD not in stored
    assert Client().post(reverse("login"), {"username": "zhangsan", "password": PASSWORD}).status_code == 200
    signed_in("zhangsan", "Newpass2026x")


def test_the_last_five_passwords_are_refused(unit):
    user = unit.zhangsan
    current = PASSWORD
    for new in ("Rotate2026a", "Rotate2026b", "Rotate2026c", "Rotate2026d"):
        password_change(user=fresh(user), old_password=current, new_password=new)
        current = new
    # Last five: PASSWORD and a–d.
    for old in (PASSWORD, "Rotate2026a", "Rotate2026d"):
        with pytest.raises(ValidationFailed) as caught:
            password_change(user=fresh(user), old_password=current, new_password=old)
        assert caught.value.field_errors == {"new_password": "不能使用最近 5 次用过的密码"}
    password_change(user=fresh(user), old_password=current, new_password="Rotate2026e")
    # PASSWORD is now the sixth-last: allowed again.
    password_change(user=fresh(user), old_password="Rotate2026e", new_password=PASSWORD)

    client = signed_in("zhangsan")
    body = change(client, PASSWORD, "Rotate2026e").content.decode()
    assert "不能使用最近 5 次用过的密码" in body


def test_people_cleared_for_secret_need_ten_characters_here_too(unit):
    with pytest.raises(ValidationFailed) as caught:
        password_change(user=fresh(unit.lisi), old_password=PASSWORD, new_password="Kq7vLm2x")
    assert "至少 10 位" in " ".join(caught.value.field_errors["new_password"])


def test_a_new_account_must_change_its_password_before_anything_else(unit):
    account_create(actor=unit.sysadmin, username="xinren", password="Initial2026", full_name="新人")
    client = signed_in("xinren", "Initial2026")
    for url in (reverse("home"), reverse("notifications:inbox"), "/personnel/me/", "/no/such/page/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == CHANGE, url
    page = client.get(CHANGE).content.decode()
    assert "须先修改密码才能继续使用系统" in page
    # Static files are not redirected (in tests nothing is collected, so Django answers 404 itself).
    assert client.get("/static/css/app.css").status_code != 302

    assert change(client, "Initial2026", "Initial2026").status_code == 200  # the same one: refused
    assert change(client, "Initial2026", "MyOwn2026pw").status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert events("account.password_change")[-1].detail == {"forced": True}
    assert not PasswordState.objects.get(user__username="xinren").must_change


def test_a_forced_user_can_still_log_out(unit):
    account_create(actor=unit.sysadmin, username="xinren", password="Initial2026")
    client = signed_in("xinren", "Initial2026")
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_sysadmin_resets_a_forgotten_password_and_the_owner_must_change_it(unit):
    lisi = signed_in("lisi")
    admin = Client()
    admin.force_login(unit.sysadmin)
    url = reverse("accounts:password_reset", args=[unit.lisi.pk])
    assert url in admin.get(reverse("accounts:list")).content.decode()
    body = admin.post(url, {"password": "Short1", "password_confirm": "Short1"}).content.decode()
    assert "至少" in body
    response = admin.post(url, {"password": "Temporary2026", "password_confirm": "Temporary2026"}, follow=True)
    assert "密码已重置" in response.content.decode()
    [reset] = events("account.password_reset")
    assert reset.actor == unit.sysadmin and reset.target_id == unit.lisi.pk and reset.detail["sessions_ended"] == 1
    assert "Temporary2026" not in json.dumps(reset.detail)
    assert lisi.get(reverse("home")).status_code == 302  # that session is over

    client = signed_in("lisi", "Temporary2026")
    assert client.get(reverse("home"))["Location"] == CHANGE
    assert change(client, "Temporary2026", "LisiOwn2026pw").status_code == 302
    assert client.get(reverse("home")).status_code == 200

    with pytest.raises(PolicyDenied):
        account_password_reset(actor=unit.secadmin, user=unit.lisi, password="Temporary2026")
    with pytest.raises(PolicyDenied):
        account_password_reset(actor=unit.sysadmin, user=unit.sysadmin, password="Temporary2026")
    assert admin.get(reverse("accounts:password_reset", args=[unit.sysadmin.pk])).status_code == 200


def test_accounts_made_outside_the_sysadmin_screens_are_not_forced(unit):
    # The demo cast (seed_demo, the fixtures) is made with create_user: no forced change.
    assert not PasswordState.objects.filter(must_change=True).exists()
    assert signed_in("lisi").get(reverse("home")).status_code == 200


def test_the_rotation_reminder_links_to_the_change_page(unit):
    from notifications.jobs import run_job
    from notifications.models import Notification

    PasswordState.objects.update_or_create(user=unit.lisi,
                                           defaults={"changed_at": timezone.now() - dt.timedelta(days=31)})
    run_job("password_rotation", today=timezone.localdate())
    notice = Notification.objects.get(recipient=unit.lisi, kind="account.password_rotation")
    assert notice.link == CHANGE


def test_new_hashes_are_argon2id_and_a_login_upgrades_an_old_pbkdf2_hash(unit, settings, client):
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in project_settings.PASSWORD_HASHERS
    # The fixture's accounts carry fast MD5 hashes (conftest); they must still verify here.
    settings.PASSWORD_HASHERS = [*project_settings.PASSWORD_HASHERS, "django.contrib.auth.hashers.MD5PasswordHasher"]
    get_user_model().objects.filter(pk=unit.lisi.pk).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert fresh(unit.lisi).password.startswith("pbkdf2_sha256$")
    response = client.post(reverse("login"), {"username": "lisi", "password": PASSWORD})
    assert response.status_code == 302
    assert fresh(unit.lisi).password.startswith("argon2$argon2id$")
    assert fresh(unit.lisi).check_password(PASSWORD)

    password_change(user=fresh(unit.zhangsan), old_password=PASSWORD, new_password="Argon2026pw")
    assert fresh(unit.zhangsan).password.startswith("argon2$argon2id$")
