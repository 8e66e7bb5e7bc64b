"""The 涉密人员 screens as 保密办, a leader and a 涉密人员 meet them (SPEC §8): the list and its
filters, the record with what follows from it, the forms (a refusal is shown next to its field and
changes nothing), the 离岗离职 page with what is still held, 出境 with the 脱密期 flag, and
我的涉密档案."""
import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.models import AuditEvent
from conftest import make_user
from personnel import services_leave, services_records, services_travel
from personnel.models import (
    Leave, LeaveKind, LeaveState, Person, PersonReview, PersonStatus, Role, Training, Travel, TravelDocument,
    TravelDocumentStatus, TravelState,
)


def today():
    return timezone.localdate()


def field_errors(response, field):
    """The text inside one field's error container, '' when the field has no error."""
    html = response.content.decode()
    match = re.search(rf'<div class="field-errors" id="errors-{re.escape(field)}">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


def top_errors(response):
    html = response.content.decode()
    match = re.search(r'<div class="form-errors" id="errors-form-all"[^>]*>(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


def banner_level(response):
    match = re.search(r'data-page-level="(\d)"', response.content.decode())
    assert match, "every page carries the level banner"
    return int(match.group(1))


def state():
    """Everything a personnel form could change: row counts, the audit log and every record."""
    people = list(Person.objects.order_by("pk").values())
    counts = tuple(model.objects.count() for model in (PersonReview, Training, TravelDocument, Leave, Travel))
    return counts, AuditEvent.objects.count(), people, list(Travel.objects.order_by("pk").values()), \
        list(Leave.objects.order_by("pk").values()), list(TravelDocument.objects.order_by("pk").values())


@pytest.fixture
def personnel_office(unit):
    # 办公室 gives the 组织人事 opinion in the demo unit.
    type(unit.office).objects.filter(pk=unit.office.pk).update(is_personnel_office=True)
    return unit.office


@pytest.fixture
def records(unit, personnel_office):
    """lisi with a review, a training, a 证件 and a trip waiting for opinions; zhangsan leaving."""
    lisi = unit.lisi.person
    services_records.person_review_record(actor=unit.baomi, person=lisi, reviewed_on=today(), passed=True,
                                          reviewer="组织人事部门", kind="periodic")
    services_records.training_record(actor=unit.baomi, person=lisi, trained_on=today(), hours="1.5",
                                     topic="保密法专题学习", organiser="市保密局")
    document = services_records.travel_document_register(
        actor=unit.baomi, person=lisi, kind="passport", number="E12345678", handed_in_on=today())
    travel = services_travel.travel_request(
        actor=unit.lisi, person=lisi, kind="private", destination="日本", purpose="探亲",
        departs_on=today() + dt.timedelta(days=20), returns_on=today() + dt.timedelta(days=27),
        travel_document=document)
    leave = services_leave.leave_open(actor=unit.baomi, person=unit.zhangsan.person, kind=LeaveKind.LEAVE_POST,
                                      reason="调整到非涉密岗位", planned_on=today() + dt.timedelta(days=10))
    return {"lisi": lisi, "document": document, "travel": travel, "leave": leave}


def login(client, user):
    client.force_login(user)
    return client


# ------------------------------------------------------------------------------- every page


def test_every_page_renders_for_the_secrecy_office_with_the_work_secret_banner(unit, records, client):
    login(client, unit.baomi)
    lisi, document, travel, leave = records["lisi"], records["document"], records["travel"], records["leave"]
    urls = [
        reverse("personnel:list"), reverse("personnel:me"), reverse("personnel:detail", args=[lisi.pk]),
        reverse("personnel:edit", args=[lisi.pk]), reverse("personnel:review_add", args=[lisi.pk]),
        reverse("personnel:training_add", args=[lisi.pk]), reverse("personnel:document_add", args=[lisi.pk]),
        reverse("personnel:document_cancel", args=[document.pk]), reverse("personnel:leave_open", args=[lisi.pk]),
        reverse("personnel:travel_request", args=[lisi.pk]), reverse("personnel:leave_list"),
        reverse("personnel:leave_detail", args=[leave.pk]), reverse("personnel:leave_talk", args=[leave.pk]),
        reverse("personnel:leave_commitment", args=[leave.pk]), reverse("personnel:leave_cancel", args=[leave.pk]),
        reverse("personnel:leave_approve", args=[leave.pk]), reverse("personnel:travel_list"),
        reverse("personnel:travel_detail", args=[travel.pk]),
        reverse("personnel:travel_decide", args=[travel.pk, "secrecy"]),
        reverse("personnel:travel_education", args=[travel.pk]), reverse("personnel:travel_return", args=[travel.pk]),
        reverse("personnel:travel_cancel", args=[travel.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        # A personnel list is a 工作秘密, never a state secret (regulations §8.7).
        assert banner_level(response) == 1, url
        assert "<script>" not in response.content.decode() and " style=" not in response.content.decode(), url


def test_the_nav_offers_personnel_to_the_secrecy_office_and_not_to_a_reader(unit, client):
    html = login(client, unit.baomi).get(reverse("home")).content.decode()
    assert 'id="nav-personnel"' in html and 'id="nav-travel"' in html
    assert html.index('id="nav-personnel"') < html.index("登记簿打印")
    html = login(client, unit.lisi).get(reverse("home")).content.decode()
    assert 'id="nav-personnel"' not in html and 'id="nav-travel"' not in html


def test_the_travel_link_counts_what_waits_for_the_personnel_office(unit, records, client):
    html = login(client, unit.zhuren).get(reverse("home")).content.decode()
    assert re.search(r'id="nav-travel">出境审批<span class="nav-count"[^>]*>1</span>', html)
    assert 'id="nav-personnel"' not in html, "a leader does not see the register of people"


# ------------------------------------------------------------------------------------ the list


def test_the_list_shows_the_columns_and_filters_by_department_class_and_status(unit, records, client):
    login(client, unit.baomi)
    html = client.get(reverse("personnel:list")).content.decode()
    for header in ("姓名", "部门", "岗位", "涉密等级", "审查", "承诺书", "本年学时", "状态"):
        assert f"<th>{header}</th>" in html
    assert f'id="person-{unit.lisi.person.pk}"' in html and f'id="person-{unit.wangwu.person.pk}"' in html
    by_department = client.get(reverse("personnel:list"), {"department": unit.secrecy_office.pk}).content.decode()
    assert f'id="person-{unit.baomi.person.pk}"' in by_department
    assert f'id="person-{unit.lisi.person.pk}"' not in by_department
    by_class = client.get(reverse("personnel:list"), {"person_class": "general"}).content.decode()
    assert f'id="person-{unit.zhangsan.person.pk}"' in by_class
    assert f'id="person-{unit.lisi.person.pk}"' not in by_class
    no_class = client.get(reverse("personnel:list"), {"person_class": "none"}).content.decode()
    assert f'id="person-{unit.wangwu.person.pk}"' in no_class
    assert f'id="person-{unit.zhangsan.person.pk}"' not in no_class
    by_status = client.get(reverse("personnel:list"), {"status": PersonStatus.DECLASSIFYING}).content.decode()
    assert "没有符合条件的人员" in by_status


def test_the_list_offers_the_register_download_with_the_department_filter(unit, client):
    login(client, unit.baomi)
    html = client.get(reverse("personnel:list"), {"department": unit.business.pk}).content.decode()
    form = re.search(r'<form[^>]*id="personnel-register".*?</form>', html, re.S).group(0)
    assert f'action="{reverse("registers:download")}"' in form and 'method="post"' in form
    assert 'name="register" value="personnel"' in form
    assert f'name="department" value="{unit.business.pk}"' in form
    assert "csrfmiddlewaretoken" in form


# ---------------------------------------------------------------------------------- the record


def test_the_record_shows_clearance_next_review_and_training_hours(unit, records, settings, client):
    settings.SECRECY = {**settings.SECRECY, "TRAINING_HOURS_PER_YEAR": 4.0,
                        "REVIEW_INTERVAL_YEARS": {"core": 1, "important": 3, "general": 5}}
    login(client, unit.baomi)
    html = client.get(reverse("personnel:detail", args=[records["lisi"].pk])).content.decode()
    due = services_records.add_years(today(), 3)
    assert re.search(rf'id="review-due">.*?{due.isoformat()}', html, re.S)
    assert re.search(r'id="training-hours">\d{4} 年：1\.5 / 4 学时 <span class="overdue">学时不足</span>', html)
    assert re.search(r'id="clearance">\s*<span class="status status-in_registry">有效</span> 可知悉至机密', html)
    for label in ("姓名", "部门", "岗位", "涉密等级", "确定为涉密人员日期", "保密审查", "保密承诺书", "审批权限",
                  "定密权限", "主要负责人", "状态"):
        assert f"<dt>{label}</dt>" in html
    assert "E12345678" in html and "保密法专题学习" in html and records["travel"].reference in html


def test_an_inactive_clearance_says_why(unit, client):
    newcomer = make_user("xinren", department=unit.business, roles=[Role.READER], person_class="",
                         review=False, commitment=False)
    html = login(client, unit.baomi).get(reverse("personnel:detail", args=[newcomer.person.pk])).content.decode()
    clearance = re.search(r'id="clearance">(.*?)</dd>', html, re.S).group(1)
    for reason in ("未确定涉密等级", "未经保密审查", "未签订保密承诺书"):
        assert reason in clearance


def test_a_training_with_bad_hours_is_refused_next_to_the_field_and_changes_nothing(unit, client):
    login(client, unit.baomi)
    before = state()
    response = client.post(reverse("personnel:training_add", args=[unit.lisi.person.pk]), {
        "trained_on": today().isoformat(), "hours": "两小时", "topic": "保密法", "organiser": "保密办"})
    assert response.status_code == 200
    assert field_errors(response, "hours") == "学时应为数字，如 2 或 1.5"
    assert "输入有误" in top_errors(response)
    assert state() == before


def test_a_failed_review_without_an_opinion_is_refused_and_changes_nothing(unit, client):
    login(client, unit.baomi)
    before = state()
    response = client.post(reverse("personnel:review_add", args=[unit.lisi.person.pk]), {
        "kind": "periodic", "reviewed_on": today().isoformat(), "passed": "0", "reviewer": "组织人事部门", "note": ""})
    assert field_errors(response, "note") == "审查未通过时请写明审查意见"
    assert state() == before
    response = client.post(reverse("personnel:review_add", args=[unit.lisi.person.pk]), {
        "kind": "periodic", "reviewed_on": today().isoformat(), "reviewer": "组织人事部门"})
    assert field_errors(response, "passed") == "请选择审查结论"
    assert state() == before


def test_a_training_is_recorded_and_shown(unit, client):
    login(client, unit.baomi)
    events = AuditEvent.objects.count()
    response = client.post(reverse("personnel:training_add", args=[unit.lisi.person.pk]), {
        "trained_on": today().isoformat(), "hours": "2", "topic": "涉密载体管理", "organiser": "本单位保密办"})
    assert response.status_code == 302
    assert response["Location"] == reverse("personnel:detail", args=[unit.lisi.person.pk])
    assert Training.objects.get(person=unit.lisi.person).topic == "涉密载体管理"
    assert AuditEvent.objects.count() == events + 1
    assert "涉密载体管理" in client.get(response["Location"]).content.decode()


def test_editing_the_record_with_an_empty_name_is_refused_and_a_valid_edit_is_saved(unit, client):
    login(client, unit.baomi)
    person = unit.lisi.person
    url = reverse("personnel:edit", args=[person.pk])
    data = {"full_name": "", "department": unit.business.pk, "post": "科员", "person_class": "core",
            "review_passed": "on", "review_date": "2025-03-01", "commitment_signed_on": "2025-03-02",
            "approval_authority": "0", "classification_authority": "0", "secret_post_since": "2020-01-01"}
    before = state()
    response = client.post(url, data)
    assert field_errors(response, "full_name") and "必填" in field_errors(response, "full_name")
    assert state() == before
    response = client.post(url, {**data, "full_name": "李四"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.full_name, person.person_class, person.secret_post_since) == ("李四", "core", dt.date(2020, 1, 1))
    event = AuditEvent.objects.filter(action="personnel.person_save").order_by("seq").last()
    assert event.actor == unit.baomi and event.seq == before[1] + 1


def test_a_travel_document_twice_is_refused_next_to_the_number(unit, records, client):
    login(client, unit.baomi)
    before = state()
    response = client.post(reverse("personnel:document_add", args=[unit.zhangsan.person.pk]), {
        "kind": "passport", "number": "e12345678", "handed_in_on": today().isoformat()})
    assert field_errors(response, "number") == "该证件已登记"
    assert state() == before


def test_a_document_is_cancelled_with_a_reason_only(unit, records, client):
    login(client, unit.baomi)
    # The trip that uses the 证件 is withdrawn first; then the 证件 itself is cancelled.
    url = reverse("personnel:document_cancel", args=[records["document"].pk])
    before = state()
    response = client.post(url, {"note": ""})
    assert field_errors(response, "note") == "请写明注销原因"
    assert state() == before
    assert client.post(url, {"note": "证件过期"}).status_code == 302
    assert TravelDocument.objects.get(pk=records["document"].pk).status == TravelDocumentStatus.CANCELLED


# ---------------------------------------------------------------------------------- 离岗离职


def _issue_document(unit, person):
    """A 证件 handed to the person for an approved trip: something they still hold."""
    document = services_records.travel_document_register(actor=unit.baomi, person=person, kind="hk_macao",
                                                         number="C7654321", handed_in_on=today())
    travel = services_travel.travel_request(
        actor=person.user, person=person, kind="private", destination="香港", purpose="旅游",
        departs_on=today() + dt.timedelta(days=5), returns_on=today() + dt.timedelta(days=8),
        travel_document=document)
    services_travel.travel_decide(actor=unit.zhuren, travel=travel, step="hr", approve=True)
    services_travel.travel_decide(actor=unit.baomi, travel=travel, step="secrecy", approve=True)
    services_travel.travel_record_education(actor=unit.baomi, travel=travel, education_on=today(), note="行前教育")
    return document


def test_the_leave_page_lists_what_is_still_held_and_only_a_leader_gets_the_approve_button(
        unit, records, client):
    leave = records["leave"]
    _issue_document(unit, unit.zhangsan.person)
    url = reverse("personnel:leave_detail", args=[leave.pk])
    html = login(client, unit.baomi).get(url).content.decode()
    blockers = re.search(r'<ul id="blocker-list">(.*?)</ul>', html, re.S).group(1)
    assert "往来港澳通行证 C7654321（本人领用，未交回）" in blockers
    assert 'id="approve-leave"' not in html, "保密办 records the steps; a leader approves"
    html = login(client, unit.zhuren).get(url).content.decode()
    assert 'id="approve-leave"' in html and "C7654321" in html
    assert 'id="secrecy-office-panel"' not in html


def test_leave_steps_from_the_pages_and_the_approval_refused_while_something_is_held(unit, records, client):
    leave = records["leave"]
    _issue_document(unit, unit.zhangsan.person)
    login(client, unit.baomi)
    before = state()
    response = client.post(reverse("personnel:leave_talk", args=[leave.pk]), {"talk_on": "", "talk_note": ""})
    assert field_errors(response, "talk_on") == "请填写谈话日期"
    assert field_errors(response, "talk_note") == "请填写谈话要点"
    assert state() == before
    client.post(reverse("personnel:leave_talk", args=[leave.pk]),
                {"talk_on": today().isoformat(), "talk_note": "告知离岗保密义务"})
    client.post(reverse("personnel:leave_commitment", args=[leave.pk]), {"signed_on": today().isoformat()})
    leave.refresh_from_db()
    assert leave.talk_on == today() and leave.commitment_signed_on == today()

    login(client, unit.zhuren)
    before = state()
    response = client.post(reverse("personnel:leave_approve", args=[leave.pk]), {"comment": "同意"})
    assert response.status_code == 200
    assert "须全部清退后才能批准离岗" in top_errors(response) and "C7654321" in top_errors(response)
    assert state() == before

    document = TravelDocument.objects.get(number="C7654321")
    login(client, unit.baomi)
    client.post(reverse("personnel:document_hand_back", args=[document.pk]))
    login(client, unit.zhuren)
    response = client.post(reverse("personnel:leave_approve", args=[leave.pk]), {"comment": "同意"})
    assert response.status_code == 302
    leave.refresh_from_db()
    assert leave.state == LeaveState.APPROVED
    assert Person.objects.get(pk=unit.zhangsan.person.pk).status == PersonStatus.DECLASSIFYING


def test_a_leader_reaches_the_leave_list_without_the_register_of_people(unit, records, client):
    login(client, unit.lingdao)
    assert client.get(reverse("personnel:leave_list")).status_code == 200
    assert client.get(reverse("personnel:leave_detail", args=[records["leave"].pk])).status_code == 200
    assert client.get(reverse("personnel:list")).status_code == 404
    assert client.get(reverse("personnel:detail", args=[records["leave"].person_id])).status_code == 404


# -------------------------------------------------------------------------------------- 出境


def test_a_trip_in_the_declassify_period_carries_a_red_flag_for_the_deciders(unit, records, client):
    leave = records["leave"]
    services_leave.leave_record_talk(actor=unit.baomi, leave=leave, talk_on=today(), talk_note="谈话")
    services_leave.leave_sign_commitment(actor=unit.baomi, leave=leave, signed_on=today())
    services_leave.leave_approve(actor=unit.zhuren, leave=leave)
    person = Person.objects.get(pk=unit.zhangsan.person.pk)
    # The account is disabled: 保密办 files the request for them.
    login(client, unit.baomi)
    response = client.post(reverse("personnel:travel_request", args=[person.pk]), {
        "kind": "private", "destination": "泰国", "purpose": "旅游",
        "departs_on": (today() + dt.timedelta(days=30)).isoformat(),
        "returns_on": (today() + dt.timedelta(days=35)).isoformat()})
    travel = Travel.objects.get(person=person)
    assert response["Location"] == reverse("personnel:travel_detail", args=[travel.pk])
    assert travel.in_declassify_period
    for decider in (unit.zhuren, unit.baomi):
        html = login(client, decider).get(response["Location"]).content.decode()
        assert re.search(r'id="declassify-flag"><span class="overdue">脱密期内</span>', html)
        listing = client.get(reverse("personnel:travel_list")).content.decode()
        assert re.search(rf'id="waiting-{travel.pk}".*?<span class="overdue">脱密期内</span>', listing, re.S)


def test_opinions_from_the_pages_the_hr_step_then_the_secrecy_office(unit, records, client):
    travel = records["travel"]
    login(client, unit.zhuren)
    before = state()
    response = client.post(reverse("personnel:travel_decide", args=[travel.pk, "hr"]),
                           {"decision": "reject", "comment": ""})
    assert field_errors(response, "comment") == "不同意时请写明理由"
    assert state() == before
    client.post(reverse("personnel:travel_decide", args=[travel.pk, "hr"]), {"decision": "approve", "comment": ""})
    login(client, unit.baomi)
    assert f'id="waiting-{travel.pk}"' in client.get(reverse("personnel:travel_list")).content.decode()
    client.post(reverse("personnel:travel_decide", args=[travel.pk, "secrecy"]), {"decision": "approve"})
    travel.refresh_from_db()
    assert travel.state == TravelState.APPROVED
    assert f'id="waiting-{travel.pk}"' not in client.get(reverse("personnel:travel_list")).content.decode()


def test_a_trip_returning_before_it_leaves_is_refused_next_to_the_return_date(unit, client):
    login(client, unit.lisi)
    before = state()
    response = client.post(reverse("personnel:travel_request", args=[unit.lisi.person.pk]), {
        "kind": "private", "destination": "日本", "purpose": "探亲",
        "departs_on": (today() + dt.timedelta(days=10)).isoformat(),
        "returns_on": (today() + dt.timedelta(days=5)).isoformat()})
    assert field_errors(response, "returns_on") == "返回日期不能早于出发日期"
    assert state() == before


# ----------------------------------------------------------------------------- 我的涉密档案


def test_my_record_shows_only_my_own(unit, records, client):
    login(client, unit.lisi)
    response = client.get(reverse("personnel:me"), {"pk": unit.zhangsan.person.pk, "person": unit.zhangsan.pk})
    html = response.content.decode()
    assert re.search(r'id="record-name">lisi<', html)
    assert "保密法专题学习" in html and "E12345678" in html and records["travel"].reference in html
    assert 'id="request-travel"' in html and reverse("personnel:travel_request", args=[unit.lisi.person.pk]) in html
    for other in (">zhangsan<", ">wangwu<", "调整到非涉密岗位"):
        assert other not in html
    # Nothing to manage on one's own page.
    assert 'id="add-training"' not in html and "登记交回" not in html


def test_my_record_for_an_account_without_one_and_for_the_admins(unit, client):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", password="x")
    assert 'id="no-record"' in login(client, nobody).get(reverse("personnel:me")).content.decode()
    html = login(client, unit.auditor).get(reverse("personnel:me")).content.decode()
    assert re.search(r'id="record-name">auditor<', html)
    assert 'id="request-travel"' not in html


def test_approving_the_leave_of_someone_no_longer_classed_is_refused_not_a_crash(unit, records, client):
    from personnel import services

    leave = records["leave"]
    services_leave.leave_record_talk(actor=unit.baomi, leave=leave, talk_on=today(), talk_note="谈话")
    services_leave.leave_sign_commitment(actor=unit.baomi, leave=leave, signed_on=today())
    services.person_save(actor=unit.baomi, user=unit.zhangsan, person_class="")
    login(client, unit.zhuren)
    assert client.get(reverse("personnel:leave_detail", args=[leave.pk])).status_code == 200
    before = state()
    response = client.post(reverse("personnel:leave_approve", args=[leave.pk]), {"comment": "同意"})
    assert response.status_code == 200 and "已不是涉密人员" in top_errors(response)
    assert state() == before
