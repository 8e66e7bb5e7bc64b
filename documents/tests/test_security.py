"""Who must NOT see or do what with carriers (SPEC §1, §3, §4, §10).

Invisible carriers do not exist for the user: absent from lists and counts, 404 (never 403) on
their URL, and the 404 itself is an audit event. Nothing deletes a carrier.
"""
import inspect

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import ProtectedError
from django.test import RequestFactory
from guardian.shortcuts import assign_perm

from audits.models import AuditEvent, AuditResult
from conftest import PASSWORD
from documents import services
from documents.admin import CarrierAdmin
from documents.models import Carrier, CustodyEvent
from documents.selectors import carrier_count_visible_to, carrier_find_by_serial, carrier_list_visible_to

User = get_user_model()
VIEW = "documents.view_carrier"
ADMINS = ["sysadmin", "secadmin", "auditor"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def carriers(unit, register_carrier):
    """One carrier of each level, each in scope of the whole 业务一处 and everyone by name."""
    made = {level: register_carrier(level=level, copy_number=None if level == 1 else 7,
                                    scope_groups=[unit.business.group])
            for level in (1, 2, 3, 4)}
    for carrier in made.values():
        # Direct grants, including ones the scope service would refuse (below the level): the
        # rule must hold whatever the 知悉范围 table says.
        for name in ("lisi", "lingdao", "zhuren", "baomi", "zhangsan", "wangwu", *ADMINS):
            assign_perm(VIEW, unit[name], carrier)
    return made


def fresh(user):
    return User.objects.get(pk=user.pk)


def levels_seen(user):
    return sorted(c.level for c in carrier_list_visible_to(user=fresh(user)))


def client_for(client, user):
    client.force_login(user)
    return client


def events(action):
    return AuditEvent.objects.filter(action=action).order_by("seq")


# --- what stays hidden -------------------------------------------------------------------------

def test_a_general_clearance_reader_never_sees_secret_or_top_secret_even_when_granted(unit, carriers, client):
    assert levels_seen(unit.zhangsan) == [1, 2]
    client = client_for(client, unit.zhangsan)
    for level in (3, 4):
        assert client.get(carriers[level].get_absolute_url()).status_code == 404
        assert carrier_find_by_serial(user=fresh(unit.zhangsan), serial=carriers[level].serial) is None
    assert client.get(carriers[2].get_absolute_url()).status_code == 200


def test_a_person_without_class_sees_no_state_secret(unit, carriers, client):
    assert levels_seen(unit.wangwu) == [1]
    client = client_for(client, unit.wangwu)
    for level in (2, 3, 4):
        assert client.get(carriers[level].get_absolute_url()).status_code == 404


def test_an_important_clearance_reader_never_sees_top_secret(unit, carriers, client):
    assert levels_seen(unit.lisi) == [1, 2, 3]
    assert client_for(client, unit.lisi).get(carriers[4].get_absolute_url()).status_code == 404


@pytest.mark.parametrize("name", ADMINS)
def test_admin_roles_see_no_carrier_and_get_404_on_every_carrier_url(unit, carriers, client, name):
    Carrier.objects.filter(pk=carriers[1].pk).update(custodian=unit[name])
    assert levels_seen(unit[name]) == []
    assert carrier_count_visible_to(user=fresh(unit[name])) == (0, True)
    client = client_for(client, unit[name])
    for carrier in Carrier.objects.all():
        assert client.get(carrier.get_absolute_url()).status_code == 404, carrier.level
    listing = client.get("/carriers/")
    assert listing.status_code in (200, 404)
    body = listing.content.decode()
    for carrier in carriers.values():
        assert carrier.serial not in body and carrier.title not in body


def test_the_list_page_leaves_out_what_the_user_may_not_see(unit, carriers, client):
    body = client_for(client, unit.zhangsan).get("/carriers/").content.decode()
    assert carriers[2].serial in body
    assert carriers[3].serial not in body and carriers[4].serial not in body


def test_a_404_on_a_carrier_is_recorded_as_a_denial(unit, carriers, client):
    client = client_for(client, unit.zhangsan)
    response = client.get(carriers[4].get_absolute_url(), REMOTE_ADDR="10.1.1.9")
    assert response.status_code == 404
    denied = list(events("carrier.denied"))
    assert len(denied) == 1
    event = denied[0]
    assert (event.actor, event.result, event.source_ip) == (unit.zhangsan, AuditResult.DENIED, "10.1.1.9")
    assert str(carriers[4].pk) in event.target_repr
    # the denial must not leak what the carrier is
    assert carriers[4].title not in event.target_repr and carriers[4].serial not in str(event.detail)


def test_a_404_on_a_carrier_that_does_not_exist_is_recorded_too(unit, client):
    assert client_for(client, unit.lisi).get("/carriers/987654/").status_code == 404
    assert events("carrier.denied").count() == 1


@pytest.mark.parametrize("level, recorded", [(4, True), (3, True), (2, False), (1, False)])
def test_viewing_a_secret_or_top_secret_detail_page_is_recorded(unit, carriers, client, level, recorded):
    viewer = unit.zhuren
    response = client_for(client, viewer).get(carriers[level].get_absolute_url(), REMOTE_ADDR="10.1.1.8")
    assert response.status_code == 200
    views = list(events("carrier.view"))
    if recorded:
        assert len(views) == 1
        assert (views[0].actor, views[0].target_id, views[0].level, views[0].source_ip) == (
            viewer, carriers[level].pk, level, "10.1.1.8")
    else:
        assert views == []


def test_anonymous_users_are_sent_to_the_login_page(unit, carriers, client):
    for url in ("/carriers/", carriers[2].get_absolute_url(), "/carriers/987654/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url
    assert not events("carrier.view").exists()


@pytest.mark.parametrize("path", [
    "/carriers/abc/", "/carriers/-1/", "/carriers/1.0/", "/carriers/1%20OR%201=1/", "/carriers/0x1/",
    "/carriers/99999999999999999999999999999/", "/carriers/9223372036854775808/",
])
def test_ids_from_the_browser_are_never_trusted(unit, carriers, client, path):
    assert client_for(client, unit.mishu).get(path).status_code == 404


# --- nothing deletes a carrier -----------------------------------------------------------------

def test_no_service_deletes_a_carrier():
    names = [name for name, fn in inspect.getmembers(services, inspect.isfunction)
             if fn.__module__ == services.__name__]
    assert "carrier_register_incoming" in names
    assert not [n for n in names if any(w in n for w in ("delete", "remove", "purge", "destroy"))]
    assert ".delete(" not in inspect.getsource(services)


def test_deleting_a_carrier_with_a_custody_log_fails(unit, register_carrier):
    carrier = register_carrier(level=2)
    assert CustodyEvent.objects.filter(carrier=carrier).exists()
    with pytest.raises(ProtectedError):
        Carrier.objects.get(pk=carrier.pk).delete()
    with pytest.raises(ProtectedError):
        Carrier.objects.filter(pk=carrier.pk).delete()
    assert Carrier.objects.filter(pk=carrier.pk).exists()


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", password=PASSWORD)


def admin_request(user):
    request = RequestFactory().get("/admin/documents/carrier/")
    request.user = user
    return request


def test_the_admin_refuses_add_change_and_delete_even_for_a_superuser(unit, register_carrier, superuser):
    carrier = register_carrier(level=1, copy_number=None, scope_users=[superuser])
    model_admin = admin.site._registry[Carrier]
    assert isinstance(model_admin, CarrierAdmin)
    request = admin_request(superuser)
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False
    assert model_admin.has_change_permission(request, carrier) is False
    assert model_admin.has_delete_permission(request) is False
    assert model_admin.has_delete_permission(request, carrier) is False
    assert "delete_selected" not in model_admin.get_actions(request)


def test_the_admin_delete_page_and_bulk_delete_remove_nothing(unit, register_carrier, superuser, client,
                                                             admin_open_to_staff):
    carrier = register_carrier(level=1, copy_number=None, scope_users=[superuser])
    admin_open_to_staff(superuser)
    assert client.get(f"/admin/documents/carrier/{carrier.pk}/delete/").status_code in (403, 404)
    assert client.post(f"/admin/documents/carrier/{carrier.pk}/delete/", {"post": "yes"}).status_code in (403, 404)
    client.post("/admin/documents/carrier/", {"action": "delete_selected", "_selected_action": [carrier.pk],
                                              "post": "yes"})
    assert Carrier.objects.filter(pk=carrier.pk).exists()
    assert client.get("/admin/documents/carrier/add/").status_code == 403


def test_the_admin_list_shows_only_what_the_user_may_see(unit, register_carrier, superuser, client,
                                                         admin_open_to_staff):
    mine = register_carrier(level=1, copy_number=None, scope_users=[superuser])
    secret = register_carrier(level=3, title="关于某涉密项目的请示", scope_users=[unit.lisi])
    # A superuser without a 涉密人员 record has no state-secret clearance: Django's superuser flag
    # does not open carriers.
    assert list(admin.site._registry[Carrier].get_queryset(admin_request(superuser))) == [mine]
    admin_open_to_staff(superuser)
    listing = client.get("/admin/documents/carrier/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert mine.serial in body
    assert secret.serial not in body and secret.title not in body
    searched = client.get(f"/admin/documents/carrier/?q={secret.serial}")
    assert searched.context["cl"].result_count == 0
    assert secret.title not in searched.content.decode()
    assert client.get(f"/admin/documents/carrier/{secret.pk}/change/").status_code == 404
    assert client.get(f"/admin/documents/carrier/{secret.pk}/history/").status_code == 404
    assert client.get(f"/admin/documents/carrier/{mine.pk}/change/").status_code == 200


def test_the_admin_detail_of_a_secret_carrier_is_recorded(unit, register_carrier, client, admin_open_to_staff):
    staff = User.objects.get(pk=unit.zhuren.pk)
    staff.is_staff = staff.is_superuser = True
    staff.save()
    carrier = register_carrier(level=4, department=unit.office, scope_users=[staff])
    admin_open_to_staff(staff)
    assert client.get(f"/admin/documents/carrier/{carrier.pk}/change/").status_code == 200
    assert [(e.actor, e.target_id) for e in events("carrier.view")] == [(staff, carrier.pk)]
