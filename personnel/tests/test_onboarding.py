"""待建档 (issue 14 §7): the 系统管理员 creates an account; the 保密办 finds it in 待建档 and creates
its 涉密人员 record on screen — all problems at once, at their fields — after which the account
leaves the list and its owner sees what a 涉密人员 of that class and department sees. Readers and
the 三员 find neither the list nor the form (404), and the badge counts only for the 保密办."""
import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audits.models import AuditEvent
from personnel import services as personnel_services
from personnel import services_accounts
from personnel.models import Person, PersonReview, Role
from personnel.policy import clearance_of
from personnel.selectors import accounts_awaiting_record
from personnel.services_onboarding import person_onboard
from secrecy.errors import InvalidState, PolicyDenied
from secrecy.levels import Level

User = get_user_model()
LIST_URL = reverse("personnel:onboarding")
INITIAL_PASSWORD = "Chushi2026abc"


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def field_errors(response, field):
    html = response.content.decode()
    match = re.search(rf'<div class="field-errors" id="errors-{re.escape(field)}">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


@pytest.fixture
def newcomer(unit):
    """An account as the 系统管理员 creates it on screen: a login and a name, no record, no role."""
    return services_accounts.account_create(actor=unit.sysadmin, username="xinren", password=INITIAL_PASSWORD,
                                            full_name="钱新人")


def good_form(unit, **overrides):
    today = timezone.localdate()
    data = {"full_name": "钱新人", "department": unit.business.pk, "post": "业务一处科员",
            "person_class": "general", "review_passed": "on",
            "review_date": (today - dt.timedelta(days=3)).isoformat(),
            "commitment_signed_on": (today - dt.timedelta(days=1)).isoformat()}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ------------------------------------------------------------------------------- who finds it


def test_a_new_account_is_in_the_secrecy_offices_list_with_a_badge(unit, newcomer):
    response = as_user(unit.baomi).get(LIST_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="account-{newcomer.pk}"' in html and "钱新人" in html
    assert reverse("personnel:onboard", args=[newcomer.pk]) in html
    # The cast all have records: the newcomer is the only one waiting, and the menu says so.
    assert re.search(r'id="nav-personnel">涉密人员<span class="nav-count" aria-label="待建档 1 个账号">1</span>', html)
    listing = as_user(unit.baomi).get(reverse("personnel:list")).content.decode()
    assert 'id="onboarding-link">待建档（1）</a>' in listing


@pytest.mark.parametrize("who", ["lisi", "wangwu", "mishu", "zhuren", "sysadmin", "secadmin", "auditor"])
def test_nobody_but_the_secrecy_office_finds_the_list_or_the_form(unit, newcomer, who):
    client = as_user(unit[who])
    assert client.get(LIST_URL).status_code == 404
    assert client.get(reverse("personnel:onboard", args=[newcomer.pk])).status_code == 404
    assert client.post(reverse("personnel:onboard", args=[newcomer.pk]), good_form(unit)).status_code == 404
    assert not Person.objects.filter(user=newcomer).exists()
    html = client.get(reverse("home")).content.decode()
    assert "待建档" not in html


def test_the_service_refuses_anyone_but_the_secrecy_office(unit, newcomer):
    today = timezone.localdate()
    for who in ("secadmin", "sysadmin", "lisi"):
        with pytest.raises(PolicyDenied):
            person_onboard(actor=unit[who], user=newcomer, full_name="钱新人", department=unit.business,
                           person_class="general", review_passed=True, review_date=today,
                           commitment_signed_on=today)
    assert not Person.objects.filter(user=newcomer).exists()


def test_accounts_with_a_record_disabled_or_unknown_are_not_waiting(unit, newcomer):
    services_accounts.account_create(actor=unit.sysadmin, username="tingyong", password=INITIAL_PASSWORD)
    disabled = User.objects.get(username="tingyong")
    services_accounts.account_disable(actor=unit.sysadmin, user=disabled, reason="借调结束")
    waiting = set(accounts_awaiting_record(user=unit.baomi).values_list("username", flat=True))
    assert waiting == {"xinren"}
    client = as_user(unit.baomi)
    for pk in (disabled.pk, unit.lisi.pk, 10 ** 30):
        assert client.get(f"{LIST_URL}{pk}/").status_code == 404


# ------------------------------------------------------------------------------ the record


def test_every_problem_is_shown_at_its_field_at_once_and_nothing_is_created(unit, newcomer):
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = as_user(unit.baomi).post(reverse("personnel:onboard", args=[newcomer.pk]), good_form(
        unit, full_name=" ", department="", person_class="important", review_passed=None, review_date=future,
        commitment_signed_on=""))
    assert response.status_code == 200
    assert field_errors(response, "full_name") == "请填写姓名"
    assert field_errors(response, "department") == "请选择部门"
    assert "上岗前保密审查" in field_errors(response, "review_passed")
    assert field_errors(response, "review_date") == "审查日期不能晚于今天"
    assert "请填写保密承诺书签订日期" in field_errors(response, "commitment_signed_on")
    assert field_errors(response, "person_class") == ""
    assert not Person.objects.filter(user=newcomer).exists()
    assert not AuditEvent.objects.filter(action="personnel.person_onboard").exists()


def test_an_unchosen_class_is_an_error_and_a_non_secret_colleague_needs_no_review(unit, newcomer):
    client = as_user(unit.baomi)
    url = reverse("personnel:onboard", args=[newcomer.pk])
    response = client.post(url, good_form(unit, person_class=""))
    assert field_errors(response, "person_class") == "请选择人员类别"
    response = client.post(url, good_form(unit, person_class="none", review_passed=None, review_date="",
                                          commitment_signed_on=""))
    person = Person.objects.get(user=newcomer)
    assert response.status_code == 302 and person.person_class == "" and person.secret_post_since is None
    # 非涉密人员: work secrets in scope at most, never a state secret.
    assert clearance_of(User.objects.get(pk=newcomer.pk)) == Level.WORK


def test_the_record_is_created_audited_and_the_account_leaves_the_list(unit, newcomer):
    client = as_user(unit.baomi)
    form_page = client.get(reverse("personnel:onboard", args=[newcomer.pk])).content.decode()
    assert 'value="钱新人"' in form_page  # the name the 系统管理员 gave
    response = client.post(reverse("personnel:onboard", args=[newcomer.pk]), good_form(unit))
    person = Person.objects.get(user=newcomer)
    assert response.status_code == 302 and response["Location"] == reverse("personnel:detail", args=[person.pk])
    assert (person.full_name, person.department, person.person_class) == ("钱新人", unit.business, "general")
    assert person.review_passed and person.commitment_signed_on and person.secret_post_since == timezone.localdate()
    review = PersonReview.objects.get(person=person)
    assert review.kind == "on_post" and review.passed and review.recorded_by == unit.baomi
    event = AuditEvent.objects.get(action="personnel.person_onboard")
    assert event.actor_id == unit.baomi.pk and event.target_id == person.pk
    assert event.detail["person_class"] == "general" and event.detail["user"] == newcomer.pk
    after = client.get(LIST_URL).content.decode()
    assert f'id="account-{newcomer.pk}"' not in after and "没有待建档的账号" in after
    assert 'aria-label="待建档' not in after
    # A second attempt (a double click, a stale tab) finds nothing to create.
    assert client.post(reverse("personnel:onboard", args=[newcomer.pk]), good_form(unit)).status_code == 404
    with pytest.raises(InvalidState):
        person_onboard(actor=unit.baomi, user=newcomer, full_name="钱新人", department=unit.business,
                       person_class="", review_passed=False)
    assert Person.objects.filter(user=newcomer).count() == 1


def test_a_new_secrecy_officer_does_not_make_their_own_record(unit):
    newcomer_office = services_accounts.account_create(actor=unit.sysadmin, username="xinbao",
                                                       password=INITIAL_PASSWORD, full_name="新保密员")
    personnel_services.role_grant(actor=unit.secadmin, user=newcomer_office, role=Role.SECRECY_OFFICE)
    with pytest.raises(PolicyDenied):
        person_onboard(actor=User.objects.get(pk=newcomer_office.pk), user=newcomer_office, full_name="新保密员",
                       department=unit.secrecy_office, person_class="", review_passed=False)
    assert not Person.objects.filter(user=newcomer_office).exists()


def test_once_recorded_and_given_a_role_the_new_colleague_sees_the_departments_carriers(unit, newcomer,
                                                                                       register_carrier):
    carrier = register_carrier(level=2, title="业务一处秘密通知", scope_groups=[unit.business.group])
    personnel_services.role_grant(actor=unit.secadmin, user=newcomer, role=Role.READER)
    services_accounts.password_change(user=User.objects.get(pk=newcomer.pk), old_password=INITIAL_PASSWORD,
                                      new_password="Ziji2026xyz", confirm="Ziji2026xyz")
    client = as_user(User.objects.get(pk=newcomer.pk))
    detail = reverse("documents:carrier_detail", args=[carrier.pk])
    assert client.get(detail).status_code == 404  # no record yet: nothing classified
    as_user(unit.baomi).post(reverse("personnel:onboard", args=[newcomer.pk]), good_form(unit))
    assert client.get(detail).status_code == 200
    assert "业务一处秘密通知" in client.get(reverse("documents:carrier_list")).content.decode()
