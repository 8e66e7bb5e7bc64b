"""The 三员分立 screens (SPEC §1, §12; issue 6) as the 系统管理员 and the 安全保密管理员 meet them:
accounts created, disabled (its sessions end) and enabled; roles granted and revoked, a second
administrator role refused; a locked account unlocked. Everyone else finds no such page (404),
and Django's admin exists for the 系统管理员 only — where it shows no carrier and no audit log."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from approvals.models import ApprovalRequest
from audits.models import AuditEvent
from conftest import PASSWORD, make_user
from documents.models import Carrier
from personnel.auth import is_locked
from personnel.models import Role
from personnel.policy import roles_of

User = get_user_model()
NEW_PASSWORD = "Kaiqi2026abc"


def field_errors(response, field):
    html = response.content.decode()
    match = re.search(rf'<div class="field-errors" id="errors-{re.escape(field)}">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


def top_errors(response):
    html = response.content.decode()
    match = re.search(r'<div class="form-errors" id="errors-form-all"[^>]*>(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def sign_in(username, password=PASSWORD):
    """A real login through the login page (counted by axes, its session recorded)."""
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    return client, response


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def fresh(user):
    return User.objects.get(pk=user.pk)


# ------------------------------------------------------------------------------ 系统管理员


def test_sysadmin_creates_an_account_that_can_then_log_in(unit):
    sysadmin = as_user(unit.sysadmin)
    assert sysadmin.get(reverse("accounts:create")).status_code == 200
    url = reverse("accounts:create")

    # Refusals: each next to its field, nothing created.
    response = sysadmin.post(url, {"username": "zhaoliu", "full_name": "赵六", "password": NEW_PASSWORD,
                                   "password_confirm": NEW_PASSWORD + "x"})
    assert "两次输入的密码不一致" in field_errors(response, "password_confirm")
    response = sysadmin.post(url, {"username": "zhaoliu", "full_name": "赵六", "password": "short1",
                                   "password_confirm": "short1"})
    assert response.status_code == 200 and field_errors(response, "password")
    response = sysadmin.post(url, {"username": "LISI", "full_name": "重名", "password": NEW_PASSWORD,
                                   "password_confirm": NEW_PASSWORD})
    assert "该用户名已存在" in field_errors(response, "username")
    assert "输入有误" in top_errors(response)
    assert not User.objects.filter(username="zhaoliu").exists() and not events("account.create")

    response = sysadmin.post(url, {"username": "zhaoliu", "full_name": "赵六", "password": NEW_PASSWORD,
                                   "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:list")
    created = User.objects.get(username="zhaoliu")
    assert created.first_name == "赵六" and created.is_active and not roles_of(created)
    [event] = events("account.create")
    assert event.actor == unit.sysadmin and event.target_id == created.pk

    listing = sysadmin.get(reverse("accounts:list")).content.decode()
    row = re.search(rf'<tr id="account-{created.pk}">(.*?)</tr>', listing, re.S).group(1)
    assert "zhaoliu" in row and "赵六" in row and "启用" in row and "从未登录" in row

    client, response = sign_in("zhaoliu", NEW_PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(created.pk)


def test_sysadmin_disables_an_account_ending_its_sessions_and_enables_it_again(unit):
    lisi, response = sign_in("lisi")
    assert response.status_code == 302 and lisi.get("/").status_code == 200
    sysadmin = as_user(unit.sysadmin)
    url = reverse("accounts:disable", args=[unit.lisi.pk])
    assert sysadmin.get(url).status_code == 200

    response = sysadmin.post(url, {"reason": "  "})
    assert "请填写停用原因" in field_errors(response, "reason")
    assert fresh(unit.lisi).is_active and lisi.get("/").status_code == 200

    response = sysadmin.post(url, {"reason": "长期病假，暂停使用"})
    assert response.status_code == 302
    assert not fresh(unit.lisi).is_active
    # The open session is gone: the next page asks for a login.
    page = lisi.get("/")
    assert page.status_code == 302 and page["Location"].startswith(reverse("login"))
    [event] = events("account.disable")
    assert event.actor == unit.sysadmin and event.detail["sessions_ended"] == 1
    listing = sysadmin.get(reverse("accounts:list")).content.decode()
    row = re.search(rf'<tr id="account-{unit.lisi.pk}">(.*?)</tr>', listing, re.S).group(1)
    assert "停用" in row and reverse("accounts:enable", args=[unit.lisi.pk]) in row

    # Disabling twice is refused at the top, nothing changes.
    response = sysadmin.post(url, {"reason": "再次停用"})
    assert "该账号已停用" in top_errors(response) and len(events("account.disable")) == 1

    enable = reverse("accounts:enable", args=[unit.lisi.pk])
    response = sysadmin.post(enable, {"reason": ""})
    assert "请填写启用原因" in field_errors(response, "reason") and not fresh(unit.lisi).is_active
    assert sysadmin.post(enable, {"reason": "病假结束"}).status_code == 302
    assert fresh(unit.lisi).is_active
    client, response = sign_in("lisi")
    assert response.status_code == 302


def test_sysadmin_cannot_disable_their_own_account(unit):
    sysadmin = as_user(unit.sysadmin)
    response = sysadmin.post(reverse("accounts:disable", args=[unit.sysadmin.pk]), {"reason": "试试"})
    assert "不能停用本人的账号" in top_errors(response)
    assert fresh(unit.sysadmin).is_active


def test_the_account_list_shows_roles_lock_and_last_login_but_nothing_to_change_roles(unit):
    for _ in range(5):
        sign_in("zhangsan", "wrong-password-1")
    assert is_locked("zhangsan")
    sign_in("baomi")
    html = as_user(unit.sysadmin).get(reverse("accounts:list")).content.decode()
    row = re.search(rf'<tr id="account-{unit.zhangsan.pk}">(.*?)</tr>', html, re.S).group(1)
    assert "已锁定" in row and "涉密人员" in row and "业务一处" in row
    baomi = re.search(rf'<tr id="account-{unit.baomi.pk}">(.*?)</tr>', html, re.S).group(1)
    assert "从未登录" not in baomi and "保密办" in baomi
    # The 系统管理员 neither grants roles, nor edits clearance, nor unlocks.
    main = html.split('<main class="page">')[1]
    for forbidden in ("/accounts/roles/", "/personnel/", "/audit/", "/grant/", "/revoke/", "/unlock/"):
        assert forbidden not in main
    assert 'id="nav-accounts"' in html and 'id="nav-roles"' not in html and 'id="nav-audit"' not in html


def test_the_settings_page_shows_the_non_security_settings_read_only(unit, settings):
    settings.SECRECY = {**settings.SECRECY, "UNIT_NAME": "某某市保密局", "JOB_BATCH_SIZE": 321}
    response = as_user(unit.sysadmin).get(reverse("accounts:settings"))
    html = response.content.decode()
    assert response.status_code == 200
    for shown in ("某某市保密局", "321", "SECRECY_UNIT_NAME", "SECRECY_BASE_URL", "SECRECY_REMINDER_HOUR",
                  "SECRECY_JOB_BATCH_SIZE", "SECRECY_EMAIL_BACKEND", settings.EMAIL_BACKEND, "环境变量", "只读"):
        assert shown in html
    assert "<form method=\"post\"" not in html.split('<main class="page">')[1]


# ------------------------------------------------------------------------------ 安全保密管理员


def test_secadmin_grants_and_revokes_a_role_and_is_refused_a_second_admin_role(unit):
    secadmin = as_user(unit.secadmin)
    page = secadmin.get(reverse("accounts:roles"))
    assert page.status_code == 200 and 'id="nav-roles"' in page.content.decode()
    detail = reverse("accounts:role_detail", args=[unit.zhangsan.pk])
    html = secadmin.get(detail).content.decode()
    assert reverse("personnel:edit", args=[unit.zhangsan.person.pk]) in html

    response = secadmin.post(reverse("accounts:role_grant", args=[unit.zhangsan.pk]), {"role": Role.REGISTRAR})
    assert response.status_code == 302 and response["Location"] == detail
    assert roles_of(fresh(unit.zhangsan)) == {Role.READER, Role.REGISTRAR}
    [grant] = events("personnel.role_grant")[-1:]
    assert grant.actor == unit.secadmin and grant.detail == {"role": "registrar"}

    # 三员分立: the 系统管理员 cannot also become 安全保密管理员 or 安全审计员.
    for role in (Role.SECURITY_ADMIN, Role.AUDITOR):
        response = secadmin.post(reverse("accounts:role_grant", args=[unit.sysadmin.pk]), {"role": role})
        assert response.status_code == 200
        assert f"三员分立：该账号已是系统管理员，不能再授予{role.label}" in top_errors(response)
    assert roles_of(fresh(unit.sysadmin)) == {Role.SYSADMIN}
    assert not AuditEvent.objects.filter(action="personnel.role_grant", actor=unit.secadmin,
                                         target_id=unit.sysadmin.pk).exists()

    response = secadmin.post(reverse("accounts:role_revoke", args=[unit.zhangsan.pk]), {"role": Role.REGISTRAR})
    assert response.status_code == 302
    assert roles_of(fresh(unit.zhangsan)) == {Role.READER}
    assert events("personnel.role_revoke")[-1].actor == unit.secadmin

    # An unknown role changes nothing.
    response = secadmin.post(reverse("accounts:role_grant", args=[unit.zhangsan.pk]), {"role": "superuser"})
    assert response.status_code == 400 and roles_of(fresh(unit.zhangsan)) == {Role.READER}


def test_secadmin_unlocks_an_account_locked_by_five_failed_logins(unit):
    for _ in range(5):
        sign_in("lisi", "wrong-password-1")
    assert is_locked("lisi")
    client, response = sign_in("lisi")
    assert response.status_code == 403

    secadmin = as_user(unit.secadmin)
    home = secadmin.get("/").content.decode()
    assert re.search(r'id="nav-roles">角色与解锁<span class="nav-count"[^>]*>1</span>', home)
    listing = secadmin.get(reverse("accounts:locked")).content.decode()
    assert f'id="locked-{unit.lisi.pk}"' in listing and f'id="locked-{unit.zhangsan.pk}"' not in listing

    response = secadmin.post(reverse("accounts:unlock", args=[unit.lisi.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:locked")
    assert not is_locked("lisi")
    assert events("auth.unlock")[-1].actor == unit.secadmin
    assert "目前没有被锁定的账号" in secadmin.get(reverse("accounts:locked")).content.decode()
    client, response = sign_in("lisi")
    assert response.status_code == 302

    # From the account's own page the unlock returns there.
    for _ in range(5):
        sign_in("zhangsan", "wrong-password-1")
    detail = reverse("accounts:role_detail", args=[unit.zhangsan.pk])
    assert f'id="unlock-{unit.zhangsan.pk}"' in secadmin.get(detail).content.decode()
    response = secadmin.post(reverse("accounts:unlock", args=[unit.zhangsan.pk]), {"back": "detail"})
    assert response["Location"] == detail and not is_locked("zhangsan")

    # Unlocking what is not locked is a message, not a change.
    secadmin.post(reverse("accounts:unlock", args=[unit.lisi.pk]))
    assert "该账号未被锁定" in secadmin.get(reverse("accounts:locked")).content.decode()
    assert len(events("auth.unlock")) == 2


def test_secadmin_sees_no_account_management_and_sysadmin_no_role_management(unit):
    html = as_user(unit.secadmin).get(reverse("accounts:roles")).content.decode()
    assert 'id="nav-accounts"' not in html and reverse("accounts:create") not in html
    assert "/disable/" not in html and "/enable/" not in html


# ------------------------------------------------------------------------------ who finds nothing

def sysadmin_urls(pk):
    return [("get", reverse("accounts:list")), ("get", reverse("accounts:create")),
            ("post", reverse("accounts:create")), ("get", reverse("accounts:settings")),
            ("get", reverse("accounts:disable", args=[pk])), ("post", reverse("accounts:disable", args=[pk])),
            ("get", reverse("accounts:enable", args=[pk])), ("post", reverse("accounts:enable", args=[pk]))]


def secadmin_urls(pk):
    return [("get", reverse("accounts:roles")), ("get", reverse("accounts:role_detail", args=[pk])),
            ("post", reverse("accounts:role_grant", args=[pk])), ("post", reverse("accounts:role_revoke", args=[pk])),
            ("get", reverse("accounts:locked")), ("post", reverse("accounts:unlock", args=[pk]))]


@pytest.mark.parametrize("who", ["mishu", "zhuren", "lingdao", "baomi", "lisi", "zhangsan", "wangwu",
                                 "auditor", "secadmin", "sysadmin"])
def test_every_accounts_page_is_404_for_anyone_without_its_role(unit, who):
    # Someone other than the visitor: signing in resets one's own lock.
    target = make_user("zhaoliu", department=unit.business, roles=[Role.READER], person_class="general")
    for _ in range(5):
        sign_in("zhaoliu", "wrong-password-1")
    client = as_user(unit[who])
    before = (AuditEvent.objects.count(), fresh(target).is_active, roles_of(fresh(target)))
    urls = []
    if who != "sysadmin":
        urls += sysadmin_urls(target.pk)
    if who != "secadmin":
        urls += secadmin_urls(target.pk)
    for method, url in urls:
        data = {"reason": "x", "role": Role.REGISTRAR, "username": "evil", "password": NEW_PASSWORD,
                "password_confirm": NEW_PASSWORD}
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code == 404, (who, method, url)
    assert before == (AuditEvent.objects.count(), fresh(target).is_active, roles_of(fresh(target)))
    assert is_locked("zhaoliu") and not User.objects.filter(username="evil").exists()
    html = client.get("/").content.decode()
    assert ('id="nav-accounts"' in html) == (who == "sysadmin")
    assert ('id="nav-roles"' in html) == (who == "secadmin")


def test_anonymous_visitors_are_sent_to_the_login_page(unit):
    client = Client()
    for method, url in sysadmin_urls(unit.lisi.pk) + secadmin_urls(unit.lisi.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_state_changes_are_post_only(unit):
    secadmin = as_user(unit.secadmin)
    for name in ("accounts:role_grant", "accounts:role_revoke", "accounts:unlock"):
        assert secadmin.get(reverse(name, args=[unit.lisi.pk])).status_code == 405
    sysadmin = as_user(unit.sysadmin)
    assert sysadmin.post(reverse("accounts:list")).status_code == 405
    assert sysadmin.get(reverse("accounts:disable", args=[unit.lisi.pk])).status_code == 200
    assert fresh(unit.lisi).is_active


# ------------------------------------------------------------------------------ Django admin


def make_superuser(user):
    user = fresh(user)
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_the_admin_opens_for_the_sysadmin_only(unit):
    assert as_user(unit.sysadmin).get("/admin/").status_code == 200
    for who in ("secadmin", "auditor", "baomi", "mishu"):
        staff = make_superuser(unit[who]) if who == "mishu" else unit[who]
        client = as_user(staff)
        for url in ("/admin/", "/admin/login/", "/admin/documents/carrier/", "/admin/auth/user/", "/admin/nowhere/"):
            assert client.get(url).status_code == 404, (who, url)
    # Django's superuser flag does not open it without the role either.
    root = User.objects.create_superuser("root", password=PASSWORD)
    assert as_user(root).get("/admin/").status_code == 404
    assert as_user(make_superuser(unit.zhuren)).get("/admin/personnel/person/").status_code == 404
    # Anonymous visitors go to the system's login page (which counts failures), not the admin's form.
    for url in ("/admin/", "/admin/login/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login") + "?next=/admin/")
    client, response = sign_in("sysadmin")
    assert client.get("/admin/login/").status_code == 302 and client.get("/admin/").status_code == 200


def test_the_admin_shows_the_sysadmin_no_carrier_and_no_audit_log(unit, register_carrier):
    register_carrier(level=1, copy_number=None, scope_users=[unit.lisi])
    register_carrier(level=3, scope_users=[unit.lisi])
    assert Carrier.objects.count() == 2
    client = as_user(unit.sysadmin)
    # Without model permissions the admin offers nothing at all.
    assert client.get("/admin/documents/carrier/").status_code == 403
    # Even given them — or Django's superuser flag — the carrier lists stay empty and the audit log
    # is not there.
    sysadmin = fresh(unit.sysadmin)
    sysadmin.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_carrier", "view_approvalrequest", "view_meeting"]))
    for account in (fresh(sysadmin), make_superuser(sysadmin)):
        client = as_user(account)
        for url, model in (("/admin/documents/carrier/", Carrier),
                           ("/admin/approvals/approvalrequest/", ApprovalRequest)):
            response = client.get(url)
            assert response.status_code == 200 and response.context["cl"].result_count == 0, url
            assert response.context["cl"].model is model
        carrier = Carrier.objects.first()
        assert client.get(f"/admin/documents/carrier/{carrier.pk}/change/").status_code == 404
        assert carrier.title not in client.get("/admin/documents/carrier/").content.decode()
        for url in ("/admin/audits/auditevent/", f"/admin/audits/auditevent/{AuditEvent.objects.first().pk}/change/"):
            assert client.get(url).status_code in (403, 404), url
    index = client.get("/admin/").content.decode()
    assert "/admin/audits/auditevent/" not in index


def test_in_the_admin_even_a_superuser_sysadmin_cannot_change_roles_accounts_or_locks(unit):
    for _ in range(5):
        sign_in("lisi", "wrong-password-1")
    client = as_user(make_superuser(unit.sysadmin))
    assert client.get(f"/admin/auth/user/{unit.lisi.pk}/change/").status_code == 200
    registrar = unit.mishu.groups.get(name=Role.REGISTRAR)
    response = client.post(f"/admin/auth/user/{unit.lisi.pk}/change/", {
        "username": "lisi", "groups": [registrar.pk], "is_active": "on", "is_superuser": "on"})
    assert response.status_code == 403
    assert client.post(f"/admin/auth/user/{unit.lisi.pk}/password/",
                       {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 403
    assert client.get("/admin/auth/user/add/").status_code == 403
    assert client.get(f"/admin/auth/group/{registrar.pk}/change/").status_code == 200
    assert client.post(f"/admin/auth/group/{registrar.pk}/delete/", {"post": "yes"}).status_code == 403
    lisi = fresh(unit.lisi)
    assert roles_of(lisi) == {Role.READER} and not lisi.is_superuser and lisi.check_password(PASSWORD)
    # Deleting axes' counter would unlock the account behind the 安全保密管理员's back.
    assert client.get("/admin/axes/accessattempt/").status_code == 404
    assert is_locked("lisi")
