"""三员分立 and role grants (SPEC §1): who may hold which role, who may grant, and the record of it."""
import itertools

import pytest
from django.contrib.auth import get_user_model

from audits.models import AuditEvent
from conftest import make_user
from personnel import services
from personnel.models import ADMIN_ROLES, Role
from secrecy.errors import DomainError, PolicyDenied


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def roles(user):
    return set(get_user_model().objects.get(pk=user.pk).groups.filter(name__in=Role.values)
               .values_list("name", flat=True))


def has_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("first, second", list(itertools.permutations(ADMIN_ROLES, 2)))
def test_no_account_holds_two_of_the_three_admin_roles(unit, first, second):
    user = make_user("newadmin", department=unit.office, roles=[first])
    events = AuditEvent.objects.count()

    with pytest.raises(PolicyDenied) as refused:
        services.role_grant(actor=unit.secadmin, user=user, role=second)

    assert "三员分立" in refused.value.message
    assert has_chinese(refused.value.message)
    assert roles(user) == {first}
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("first, second", list(itertools.permutations(ADMIN_ROLES, 2)))
def test_the_system_itself_cannot_break_separation_of_duties_either(unit, first, second):
    user = make_user("newadmin", department=unit.office, roles=[first])
    with pytest.raises(PolicyDenied):
        services.role_grant(actor=None, user=user, role=second)
    assert roles(user) == {first}


def test_demo_admins_cannot_take_a_second_admin_role(unit):
    for name, role in (("sysadmin", Role.AUDITOR), ("secadmin", Role.SYSADMIN), ("auditor", Role.SECURITY_ADMIN)):
        with pytest.raises(PolicyDenied):
            services.role_grant(actor=unit.secadmin, user=unit[name], role=role)
    assert roles(unit.sysadmin) == {Role.SYSADMIN}
    assert roles(unit.secadmin) == {Role.SECURITY_ADMIN}
    assert roles(unit.auditor) == {Role.AUDITOR}


def test_business_roles_combine_freely(unit):
    business = [Role.REGISTRAR, Role.APPROVER, Role.SECRECY_OFFICE, Role.READER]
    for role in business:
        services.role_grant(actor=unit.secadmin, user=unit.baomi, role=role)
    assert roles(unit.baomi) == set(business)


def test_granting_a_role_already_held_changes_nothing_and_records_nothing(unit):
    events = AuditEvent.objects.count()
    services.role_grant(actor=unit.secadmin, user=unit.lisi, role=Role.READER)
    assert roles(unit.lisi) == {Role.READER}
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("actor_name", ["mishu", "zhuren", "baomi", "lisi", "sysadmin", "auditor"])
def test_only_the_security_admin_may_grant_or_revoke(unit, actor_name):
    events = AuditEvent.objects.count()
    with pytest.raises(PolicyDenied) as refused:
        services.role_grant(actor=unit[actor_name], user=unit.lisi, role=Role.APPROVER)
    assert has_chinese(refused.value.message)
    with pytest.raises(PolicyDenied):
        services.role_revoke(actor=unit[actor_name], user=unit.lisi, role=Role.READER)
    assert roles(unit.lisi) == {Role.READER}
    assert AuditEvent.objects.count() == events


def test_nobody_may_grant_themselves_a_role(unit):
    with pytest.raises(PolicyDenied):
        services.role_grant(actor=unit.mishu, user=unit.mishu, role=Role.APPROVER)
    assert roles(unit.mishu) == {Role.REGISTRAR}


def test_security_admin_grant_is_audited(unit):
    before = AuditEvent.objects.count()
    services.role_grant(actor=unit.secadmin, user=unit.lisi, role=Role.APPROVER)

    assert roles(unit.lisi) == {Role.READER, Role.APPROVER}
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "personnel.role_grant"
    assert event.actor == unit.secadmin
    assert event.target_id == unit.lisi.pk
    assert event.detail == {"role": Role.APPROVER}


def test_security_admin_revoke_is_audited(unit):
    before = AuditEvent.objects.count()
    services.role_revoke(actor=unit.secadmin, user=unit.lisi, role=Role.READER)

    assert roles(unit.lisi) == set()
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.actor, event.target_id, event.detail) == (
        "personnel.role_revoke", unit.secadmin, unit.lisi.pk, {"role": Role.READER})


def test_system_grant_is_audited_without_an_actor(unit):
    before = AuditEvent.objects.count()
    services.role_grant(actor=None, user=unit.wangwu, role=Role.APPROVER)
    event = AuditEvent.objects.order_by("-seq").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.actor, event.target_id) == ("personnel.role_grant", None, unit.wangwu.pk)


def test_revoking_an_admin_role_allows_another_one(unit):
    services.role_revoke(actor=unit.secadmin, user=unit.sysadmin, role=Role.SYSADMIN)
    services.role_grant(actor=unit.secadmin, user=unit.sysadmin, role=Role.AUDITOR)
    assert roles(unit.sysadmin) == {Role.AUDITOR}


def test_unknown_role_is_refused(unit):
    with pytest.raises(DomainError) as refused:
        services.role_grant(actor=unit.secadmin, user=unit.lisi, role="superuser")
    assert has_chinese(str(refused.value))
    assert roles(unit.lisi) == {Role.READER}


def test_revoked_role_takes_effect_for_the_next_request(unit):
    from personnel.policy import has_role
    services.role_revoke(actor=unit.secadmin, user=unit.mishu, role=Role.REGISTRAR)
    assert not has_role(get_user_model().objects.get(pk=unit.mishu.pk), Role.REGISTRAR)
