"""Clearance follows the 涉密人员 record (SPEC §4, §8): class → highest level a person may see."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from conftest import make_user
from personnel import services
from personnel.models import PersonStatus, Role
from personnel.policy import clearance_of, is_admin_role, may_grant_roles, served_department_ids
from secrecy.levels import Level


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dept(db):
    return services.department_create(actor=None, name="业务二处", code="biz2")


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.parametrize("person_class, level", [
    ("core", Level.TOP_SECRET), ("important", Level.SECRET), ("general", Level.CONFIDENTIAL), ("", Level.WORK),
])
def test_clearance_follows_the_person_class(dept, person_class, level):
    user = make_user("p1", department=dept, roles=[Role.READER], person_class=person_class)
    assert clearance_of(user) == int(level)


def test_demo_cast_clearances(unit):
    assert {name: clearance_of(unit[name]) for name in
            ("mishu", "zhuren", "lingdao", "baomi", "lisi", "zhangsan", "wangwu", "sysadmin", "secadmin", "auditor")} \
        == {"mishu": 4, "zhuren": 4, "lingdao": 3, "baomi": 3, "lisi": 3, "zhangsan": 2, "wangwu": 1,
            "sysadmin": 0, "secadmin": 0, "auditor": 0}


def test_inactive_account_has_no_clearance_at_all(dept):
    user = make_user("p1", department=dept, roles=[Role.READER], person_class="core")
    user.is_active = False
    user.save()
    assert clearance_of(fresh(user)) == 0


@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.SECURITY_ADMIN, Role.AUDITOR])
def test_admin_roles_have_no_clearance_even_with_a_core_class(dept, role):
    user = make_user("p1", department=dept, roles=[role], person_class="core")
    assert is_admin_role(user)
    assert clearance_of(user) == 0


def test_anonymous_has_no_clearance():
    assert clearance_of(AnonymousUser()) == 0


@pytest.mark.parametrize("review, commitment", [(False, True), (True, False), (False, False)])
def test_class_without_passed_review_or_signed_commitment_gives_no_state_secret_clearance(dept, review, commitment):
    user = make_user("p1", department=dept, roles=[Role.READER], person_class="core",
                     review=review, commitment=commitment)
    assert clearance_of(user) == int(Level.WORK)


@pytest.mark.parametrize("status", [PersonStatus.DECLASSIFYING, PersonStatus.CLEARED_OUT, PersonStatus.LEFT])
def test_person_off_post_has_no_state_secret_clearance(dept, status):
    user = make_user("p1", department=dept, roles=[Role.READER], person_class="core")
    services.person_save(actor=None, user=user, status=status)
    assert clearance_of(fresh(user)) == int(Level.WORK)


def test_account_without_personnel_record_sees_only_work_secrets(db):
    user = get_user_model().objects.create_user("noperson", password="x")
    assert clearance_of(user) == int(Level.WORK)


def test_lowering_the_class_lowers_clearance_at_once(dept):
    user = make_user("p1", department=dept, roles=[Role.READER], person_class="core")
    services.person_save(actor=None, user=user, person_class="general")
    assert clearance_of(fresh(user)) == int(Level.CONFIDENTIAL)


def test_served_departments_count_only_for_registrars(unit):
    assert set(served_department_ids(unit.mishu)) == {unit.office.pk, unit.secrecy_office.pk, unit.business.pk}
    # a reader whose record lists served departments (e.g. a former registrar) serves nothing
    reader = make_user("former", department=unit.office, roles=[Role.READER], person_class="core",
                       served=[unit.office])
    assert served_department_ids(reader) == []


def test_only_the_security_admin_may_grant_roles(unit):
    assert [name for name in ("mishu", "zhuren", "sysadmin", "secadmin", "auditor") if may_grant_roles(unit[name])] \
        == ["secadmin"]
