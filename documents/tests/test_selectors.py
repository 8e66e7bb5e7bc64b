"""Who sees which carrier (SPEC §4), case by case and then as a property over random units.

A carrier the user may not see does not exist for them: the list and the count leave it out and
the detail lookup raises NotVisible (answered as 404).
"""
import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.db import transaction
from guardian.shortcuts import assign_perm
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from conftest import make_user
from documents.models import Carrier
from documents.selectors import (
    carrier_count_visible_to, carrier_find_by_serial, carrier_get_for_user, carrier_list_visible_to,
    carrier_page_visible_to,
)
from documents.tests.factories import CarrierFactory, UserFactory
from personnel import services as personnel_services
from personnel.models import ADMIN_ROLES, Role
from secrecy.errors import NotVisible

User = get_user_model()
VIEW = "documents.view_carrier"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fresh(user):
    """The user as the next request would load it (no cached roles or person)."""
    return User.objects.get(pk=user.pk)


def visible(user):
    return set(carrier_list_visible_to(user=fresh(user)))


def detail_visible(user, carrier):
    try:
        carrier_get_for_user(user=fresh(user), pk=carrier.pk)
    except NotVisible:
        return False
    return True


def set_custodian(carrier, user):
    # Hand-out is a later workflow; setting the column directly is enough to test the read rule.
    Carrier.objects.filter(pk=carrier.pk).update(custodian=user)


# --- case by case --------------------------------------------------------------------------------

def test_clearance_below_the_level_hides_the_carrier_even_with_a_grant(unit, register_carrier):
    secret = register_carrier(level=3)
    confidential = register_carrier(level=2)
    for carrier in (secret, confidential):
        assign_perm(VIEW, unit.zhangsan, carrier)  # a grant the service itself would refuse for 机密
    assert visible(unit.zhangsan) == {confidential}
    assert not detail_visible(unit.zhangsan, secret)


def test_a_personal_grant_shows_the_carrier_to_that_person_only(unit, register_carrier):
    carrier = register_carrier(level=3, scope_users=[unit.lisi])
    assert carrier in visible(unit.lisi)
    assert carrier not in visible(unit.lingdao)  # same department, same clearance, not in scope
    assert carrier not in visible(unit.baomi)


def test_a_department_grant_shows_the_carrier_to_cleared_members_of_that_department(unit, register_carrier):
    carrier = register_carrier(level=3, scope_groups=[unit.business.group])
    assert carrier in visible(unit.lisi)
    assert carrier in visible(unit.lingdao)
    assert carrier not in visible(unit.zhangsan)  # member, but 一般 < 机密
    assert carrier not in visible(unit.baomi)  # 保密办 is another department
    assert carrier not in visible(unit.zhuren)  # 办公室: 核心 clearance does not give need to know


def test_a_grant_to_any_group_the_user_belongs_to_counts(unit, register_carrier):
    team = Group.objects.create(name="专项工作组")
    unit.baomi.groups.add(team)
    carrier = register_carrier(level=2, scope_groups=[team])
    assert carrier in visible(unit.baomi)
    assert carrier not in visible(unit.lisi)


def test_the_current_custodian_sees_the_carrier(unit, register_carrier):
    carrier = register_carrier(level=3)
    assert carrier not in visible(unit.lisi)
    set_custodian(carrier, unit.lisi)
    assert carrier in visible(unit.lisi)
    assert detail_visible(unit.lisi, carrier)


def test_custody_does_not_override_clearance(unit, register_carrier):
    carrier = register_carrier(level=3)
    set_custodian(carrier, unit.zhangsan)
    assert carrier not in visible(unit.zhangsan)


def test_a_registrar_sees_what_is_managed_by_the_departments_they_serve(unit, register_carrier):
    office_clerk = make_user("jiyao2", department=unit.office, roles=[Role.REGISTRAR], person_class="core",
                             served=[unit.office])
    in_office = register_carrier(level=3, department=unit.office)
    in_business = register_carrier(level=3, department=unit.business)
    assert visible(unit.mishu) >= {in_office, in_business}  # 机要室 serves the whole unit
    assert in_office in visible(office_clerk)
    assert in_business not in visible(office_clerk)
    assert not detail_visible(office_clerk, in_business)


def test_a_registrar_who_loses_the_role_loses_the_departments(unit, register_carrier):
    clerk = make_user("jiyao2", department=unit.office, roles=[Role.REGISTRAR], person_class="core",
                      served=[unit.office])
    carrier = register_carrier(level=2, department=unit.office)
    set_custodian(carrier, unit.mishu)
    assert carrier in visible(clerk)
    personnel_services.role_revoke(actor=unit.secadmin, user=clerk, role=Role.REGISTRAR)
    assert carrier not in visible(clerk)


def test_served_departments_without_the_registrar_role_give_nothing(unit, register_carrier):
    reader = make_user("former", department=unit.office, roles=[Role.READER], person_class="core",
                       served=[unit.business])
    carrier = register_carrier(level=2, department=unit.business)
    assert carrier not in visible(reader)


def test_an_inactive_account_sees_nothing(unit, register_carrier):
    carrier = register_carrier(level=2, scope_users=[unit.lisi])
    set_custodian(register_carrier(level=2), unit.lisi)
    assert len(visible(unit.lisi)) == 2
    User.objects.filter(pk=unit.lisi.pk).update(is_active=False)
    assert visible(unit.lisi) == set()
    assert carrier_count_visible_to(user=fresh(unit.lisi)) == (0, True)
    assert not detail_visible(unit.lisi, carrier)


@pytest.mark.parametrize("change", [
    dict(review_passed=False), dict(commitment_signed_on=None), dict(status="declassifying"),
])
def test_without_passed_review_signed_commitment_or_on_post_there_is_no_state_secret_clearance(
        unit, register_carrier, change):
    confidential = register_carrier(level=2, scope_users=[unit.lisi])
    work = register_carrier(level=1, copy_number=None, scope_users=[unit.lisi])
    assert visible(unit.lisi) == {confidential, work}
    personnel_services.person_save(actor=None, user=unit.lisi, **change)
    assert visible(unit.lisi) == {work}


def test_a_person_without_class_sees_work_secrets_in_scope_but_no_state_secret(unit, register_carrier):
    work = register_carrier(level=1, copy_number=None, scope_groups=[unit.business.group])
    confidential = register_carrier(level=2, scope_groups=[unit.business.group])
    assign_perm(VIEW, unit.wangwu, confidential)
    assert visible(unit.wangwu) == {work}


@pytest.mark.parametrize("name", ["sysadmin", "secadmin", "auditor"])
def test_admin_roles_see_nothing_even_with_grants_or_custody(unit, register_carrier, name):
    admin = unit[name]
    dept_group = admin.person.department.group
    work = register_carrier(level=1, copy_number=None, scope_groups=[dept_group])
    confidential = register_carrier(level=2, department=admin.person.department)
    for carrier in (work, confidential):
        assign_perm(VIEW, admin, carrier)
    set_custodian(confidential, admin)
    personnel_services.person_save(actor=None, user=admin, person_class="core",
                                   served_departments=[unit.office, unit.secrecy_office, unit.business])
    assert visible(admin) == set()
    assert carrier_count_visible_to(user=fresh(admin)) == (0, True)
    assert not detail_visible(admin, work)
    assert not detail_visible(admin, confidential)


def test_anonymous_sees_nothing(unit, register_carrier):
    carrier = register_carrier(level=1, copy_number=None)
    assert list(carrier_list_visible_to(user=AnonymousUser())) == []
    with pytest.raises(NotVisible):
        carrier_get_for_user(user=AnonymousUser(), pk=carrier.pk)


def test_list_count_page_detail_and_serial_search_agree_for_every_demo_user(unit, register_carrier):
    carriers = [
        register_carrier(level=4, department=unit.office, scope_users=[unit.zhuren]),
        register_carrier(level=3, scope_groups=[unit.business.group]),
        register_carrier(level=3, department=unit.secrecy_office, scope_users=[unit.baomi]),
        register_carrier(level=2, scope_groups=[unit.business.group]),
        register_carrier(level=2, outgoing=True, department=unit.office),
        register_carrier(level=1, copy_number=None, scope_groups=[unit.business.group, unit.office.group]),
    ]
    expected = {
        "mishu": set(range(6)), "zhuren": {0, 5}, "lingdao": {1, 3, 5}, "baomi": {2}, "lisi": {1, 3, 5},
        "zhangsan": {3, 5}, "wangwu": {5}, "sysadmin": set(), "secadmin": set(), "auditor": set(),
    }
    for name, indexes in expected.items():
        user = fresh(unit[name])
        want = {carriers[i] for i in indexes}
        assert set(carrier_list_visible_to(user=user)) == want, name
        assert carrier_count_visible_to(user=user) == (len(want), True), name
        page = carrier_page_visible_to(user=user, size=100)
        assert page["rows"] == sorted(want, key=lambda c: -c.id), name
        for carrier in carriers:
            assert detail_visible(user, carrier) == (carrier in want), (name, carrier.serial)
            assert (carrier_find_by_serial(user=user, serial=carrier.serial) == carrier) == (carrier in want)


def test_filters_never_widen_what_is_visible(unit, register_carrier):
    hidden = register_carrier(level=3, department=unit.office)
    shown = register_carrier(level=2, scope_users=[unit.zhangsan])
    user = fresh(unit.zhangsan)
    for filters in ({"level": "3"}, {"level": "abc"}, {"department": str(unit.office.pk)},
                    {"q": hidden.serial}, {"q": hidden.title}, {"custody_status": "nonsense"}, {"pk": hidden.pk}):
        assert hidden not in set(carrier_list_visible_to(user=user, filters=filters)), filters
    assert list(carrier_list_visible_to(user=user, filters={"q": shown.serial})) == [shown]


def test_detail_refuses_ids_that_are_not_numbers(unit, register_carrier):
    carrier = register_carrier(level=2, scope_users=[unit.lisi])
    for pk in ("abc", f"{carrier.pk} OR 1=1", "", None, "1e3", 10 ** 30):
        with pytest.raises(NotVisible):
            carrier_get_for_user(user=fresh(unit.lisi), pk=pk)
    assert carrier_get_for_user(user=fresh(unit.lisi), pk=str(carrier.pk)) == carrier


def test_keyset_pages_walk_every_visible_carrier_once(unit, register_carrier):
    mine = [register_carrier(level=2, scope_users=[unit.lisi]) for _ in range(5)]
    register_carrier(level=2)  # not for lisi
    user = fresh(unit.lisi)
    seen, cursor = [], None
    while True:
        page = carrier_page_visible_to(user=user, after=cursor, size=2)
        seen += page["rows"]
        if not page["has_older"]:
            break
        cursor = page["older_cursor"]
    assert seen == sorted(mine, key=lambda c: -c.id)
    back = carrier_page_visible_to(user=user, before=seen[-1].id, size=2)
    assert back["rows"] == seen[-3:-1]


# --- the property test -----------------------------------------------------------------------------

BUSINESS_ROLES = [Role.REGISTRAR, Role.APPROVER, Role.SECRECY_OFFICE, Role.READER]
N_DEPTS, N_EXTRA = 3, 2
GROUP_KEYS = [f"dept{i}" for i in range(N_DEPTS)] + [f"extra{i}" for i in range(N_EXTRA)] + \
             [f"role:{r}" for r in (Role.READER, Role.REGISTRAR, Role.SYSADMIN)]
CLASS_LEVEL = {"core": 4, "important": 3, "general": 2}


def oracle_roles(u):
    return set(u["business"]) | ({u["admin"]} if u["admin"] else set())


def oracle_clearance(u):
    """SPEC §4 (1) and §8, written out plainly."""
    if not u["active"] or oracle_roles(u) & set(ADMIN_ROLES):
        return 0
    p = u["person"]
    if p and p["cls"] and p["review"] and p["commitment"] and p["status"] == "on_post":
        return CLASS_LEVEL[p["cls"]]
    return 1  # an account sees at most 内部 work secrets


def oracle_groups(u):
    groups = {f"extra{i}" for i in u["extra"]} | {f"role:{r}" for r in oracle_roles(u)}
    if u["person"]:
        groups.add(f"dept{u['person']['dept']}")
    return groups


def oracle_visible(scenario, ui, ci):
    """SPEC §4: clearance ≥ level AND (user grant OR group grant OR custodian OR registrar serving)."""
    u, c = scenario["users"][ui], scenario["carriers"][ci]
    if oracle_clearance(u) < c["level"]:
        return False
    return (
        (ui, ci) in scenario["user_grants"]
        or any((g, ci) in scenario["group_grants"] for g in oracle_groups(u))
        or c["custodian"] == ui
        or (Role.REGISTRAR in oracle_roles(u) and u["person"] is not None and c["dept"] in u["person"]["served"])
    )


person_strategy = st.none() | st.fixed_dictionaries({
    "cls": st.sampled_from(["", "general", "important", "core"]),
    "review": st.sampled_from([True, True, False]),
    "commitment": st.sampled_from([True, True, False]),
    "status": st.sampled_from(["on_post", "on_post", "on_post", "declassifying", "left"]),
    "dept": st.integers(0, N_DEPTS - 1),
    "served": st.frozensets(st.integers(0, N_DEPTS - 1)),
})

user_strategy = st.fixed_dictionaries({
    "active": st.sampled_from([True, True, True, False]),
    "person": person_strategy,
    "business": st.frozensets(st.sampled_from(BUSINESS_ROLES)),
    "admin": st.sampled_from([None, None, None, None] + list(ADMIN_ROLES)),
    "extra": st.frozensets(st.integers(0, N_EXTRA - 1)),
})


@st.composite
def scenarios(draw):
    users = draw(st.lists(user_strategy, min_size=1, max_size=5))
    n = len(users)
    carriers = draw(st.lists(st.fixed_dictionaries({
        "level": st.integers(1, 4),
        "dept": st.integers(0, N_DEPTS - 1),
        "custodian": st.none() | st.integers(0, n - 1),
    }), min_size=1, max_size=6))
    m = len(carriers)
    pair = st.tuples(st.integers(0, n - 1), st.integers(0, m - 1))
    return {
        "users": users,
        "carriers": carriers,
        "user_grants": draw(st.frozensets(pair, max_size=8)),
        "group_grants": draw(st.frozensets(st.tuples(st.sampled_from(GROUP_KEYS), st.integers(0, m - 1)),
                                           max_size=6)),
        # A different permission on the same carrier must not count as 知悉范围.
        "decoy_grants": draw(st.frozensets(pair, max_size=3)),
    }


@pytest.fixture
def world(db):
    depts = [personnel_services.department_create(actor=None, name=f"部门{i}", code=f"d{i}") for i in range(N_DEPTS)]
    groups = {f"dept{i}": d.group for i, d in enumerate(depts)}
    groups.update({f"extra{i}": Group.objects.create(name=f"工作组{i}") for i in range(N_EXTRA)})
    for role in Role.values:
        groups[f"role:{role}"] = Group.objects.get_or_create(name=role)[0]
    return {"depts": depts, "groups": groups, "clerk": UserFactory(username="registered-by")}


class _Rollback(Exception):
    pass


def build(world, scenario):
    users = []
    for i, spec in enumerate(scenario["users"]):
        user = User.objects.create(username=f"h{i}", is_active=spec["active"])
        p = spec["person"]
        if p is not None:
            personnel_services.person_save(
                actor=None, user=user, full_name=f"人员{i}", department=world["depts"][p["dept"]],
                person_class=p["cls"], review_passed=p["review"],
                review_date=dt.date(2025, 3, 1) if p["review"] else None,
                commitment_signed_on=dt.date(2025, 3, 2) if p["commitment"] else None, status=p["status"],
                served_departments=[world["depts"][d] for d in p["served"]],
            )
        for role in oracle_roles(spec):
            personnel_services.role_grant(actor=None, user=user, role=role)
        for e in spec["extra"]:
            user.groups.add(world["groups"][f"extra{e}"])
        users.append(user)
    carriers = [
        CarrierFactory(level=c["level"], department=world["depts"][c["dept"]], registered_by=world["clerk"],
                       custodian=users[c["custodian"]] if c["custodian"] is not None else None)
        for c in scenario["carriers"]
    ]
    for ui, ci in scenario["user_grants"]:
        assign_perm(VIEW, users[ui], carriers[ci])
    for key, ci in scenario["group_grants"]:
        assign_perm(VIEW, world["groups"][key], carriers[ci])
    for ui, ci in scenario["decoy_grants"]:
        assign_perm("documents.change_carrier", users[ui], carriers[ci])
    return users, carriers


@hsettings(max_examples=80, deadline=None, database=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario=scenarios())
def test_selector_and_detail_agree_with_the_rule_for_random_units(world, scenario):
    try:
        with transaction.atomic():
            users, carriers = build(world, scenario)
            for ui, user in enumerate(users):
                user = fresh(user)
                expected = {carriers[ci].pk for ci in range(len(carriers)) if oracle_visible(scenario, ui, ci)}
                listed = set(carrier_list_visible_to(user=user).values_list("pk", flat=True))
                assert listed == expected, (ui, scenario["users"][ui])
                assert carrier_count_visible_to(user=user) == (len(expected), True)
                # The count stops at its cap however the sources overlap; the pages (built from
                # each source's own first rows) walk every visible carrier once, newest first.
                assert carrier_count_visible_to(user=user, cap=2) == (min(len(expected), 2), len(expected) <= 2)
                walked, cursor = [], None
                while True:
                    page = carrier_page_visible_to(user=user, after=cursor, size=2)
                    walked += [c.pk for c in page["rows"]]
                    if not page["has_older"]:
                        break
                    cursor = page["older_cursor"]
                assert walked == sorted(expected, reverse=True), (ui, scenario["users"][ui])
                for carrier in carriers:
                    try:
                        carrier_get_for_user(user=user, pk=carrier.pk)
                        shown = True
                    except NotVisible:
                        shown = False
                    assert shown == (carrier.pk in expected), (ui, carrier.level)
            raise _Rollback
    except _Rollback:
        pass
