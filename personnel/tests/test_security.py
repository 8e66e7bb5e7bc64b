"""Who must NOT see or do what with 涉密人员 records (SPEC §1, §8; 三员分立).

The register of people is 保密办's (and the 安全保密管理员's, who grants clearances): to everyone
else its pages do not exist (404, never 403). The 系统管理员 and 安全审计员 see none of it. Nobody
touches their own record, and only a leader — never the person — approves leaving a secret post.
Every refusal changes nothing: no row, no audit event.
"""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.models import AuditEvent
from personnel import services_leave, services_records, services_travel
from personnel.models import Leave, LeaveKind, LeaveState, Person, PersonReview, Training, Travel, TravelDocument


def today():
    return timezone.localdate()


def state():
    counts = tuple(model.objects.count() for model in (PersonReview, Training, TravelDocument, Leave, Travel))
    return (counts, AuditEvent.objects.count(), list(Person.objects.order_by("pk").values()),
            list(Travel.objects.order_by("pk").values()), list(Leave.objects.order_by("pk").values()),
            list(TravelDocument.objects.order_by("pk").values()))


@pytest.fixture
def personnel_office(unit):
    type(unit.office).objects.filter(pk=unit.office.pk).update(is_personnel_office=True)
    return unit.office


@pytest.fixture
def objects(unit, personnel_office):
    """Something of every kind, none of it belonging to lisi (the reader below)."""
    zhangsan = unit.zhangsan.person
    document = services_records.travel_document_register(
        actor=unit.baomi, person=zhangsan, kind="passport", number="E00000001", handed_in_on=today())
    travel = services_travel.travel_request(
        actor=unit.zhangsan, person=zhangsan, kind="private", destination="日本", purpose="旅游",
        departs_on=today() + dt.timedelta(days=20), returns_on=today() + dt.timedelta(days=25))
    leave = services_leave.leave_open(actor=unit.baomi, person=zhangsan, kind=LeaveKind.LEAVE_POST,
                                      reason="调岗", planned_on=today() + dt.timedelta(days=5))
    return {"person": zhangsan, "document": document, "travel": travel, "leave": leave}


def pages(objects):
    person, document, travel, leave = objects["person"], objects["document"], objects["travel"], objects["leave"]
    return {
        "list": reverse("personnel:list"), "detail": reverse("personnel:detail", args=[person.pk]),
        "edit": reverse("personnel:edit", args=[person.pk]), "leave_list": reverse("personnel:leave_list"),
        "leave_detail": reverse("personnel:leave_detail", args=[leave.pk]),
        "travel_list": reverse("personnel:travel_list"),
        "travel_detail": reverse("personnel:travel_detail", args=[travel.pk]),
        "review_add": reverse("personnel:review_add", args=[person.pk]),
        "document_cancel": reverse("personnel:document_cancel", args=[document.pk]),
    }


def post_forms(objects):
    """Every personnel form, with input that would be accepted from the right person."""
    person, document, travel, leave = objects["person"], objects["document"], objects["travel"], objects["leave"]
    day = today().isoformat()
    later = (today() + dt.timedelta(days=30)).isoformat()
    return [
        (reverse("personnel:edit", args=[person.pk]), {
            "full_name": "改名", "department": person.department_id, "person_class": "core", "review_passed": "on",
            "review_date": day, "commitment_signed_on": day, "approval_authority": "4",
            "classification_authority": "4"}),
        (reverse("personnel:review_add", args=[person.pk]),
         {"kind": "periodic", "reviewed_on": day, "passed": "1", "reviewer": "组织人事部门"}),
        (reverse("personnel:training_add", args=[person.pk]),
         {"trained_on": day, "hours": "2", "topic": "保密法", "organiser": "保密办"}),
        (reverse("personnel:document_add", args=[person.pk]),
         {"kind": "passport", "number": "E99999999", "handed_in_on": day}),
        (reverse("personnel:document_hand_back", args=[document.pk]), {}),
        (reverse("personnel:document_cancel", args=[document.pk]), {"note": "过期"}),
        (reverse("personnel:leave_open", args=[person.pk]),
         {"kind": "leave_unit", "reason": "离职", "planned_on": day}),
        (reverse("personnel:leave_talk", args=[leave.pk]), {"talk_on": day, "talk_note": "谈话"}),
        (reverse("personnel:leave_commitment", args=[leave.pk]), {"signed_on": day}),
        (reverse("personnel:leave_approve", args=[leave.pk]), {"comment": "同意"}),
        (reverse("personnel:leave_cancel", args=[leave.pk]), {"reason": "撤销"}),
        (reverse("personnel:travel_request", args=[person.pk]),
         {"kind": "private", "destination": "泰国", "purpose": "旅游", "departs_on": later, "returns_on": later}),
        (reverse("personnel:travel_decide", args=[travel.pk, "hr"]), {"decision": "approve"}),
        (reverse("personnel:travel_decide", args=[travel.pk, "secrecy"]), {"decision": "approve"}),
        (reverse("personnel:travel_education", args=[travel.pk]), {"education_on": day, "note": "教育"}),
        (reverse("personnel:travel_return", args=[travel.pk]), {"returned_on": day, "report": "无异常"}),
        (reverse("personnel:travel_cancel", args=[travel.pk]), {"reason": "不去了"}),
    ]


# ------------------------------------------------------------------------------ who sees what


@pytest.mark.parametrize("who", ["sysadmin", "auditor"])
def test_the_system_administrator_and_the_auditor_get_404_on_every_personnel_page(unit, objects, client, who):
    client.force_login(unit[who])
    for name, url in pages(objects).items():
        assert client.get(url).status_code == 404, name
    html = client.get(reverse("home")).content.decode()
    assert 'id="nav-personnel"' not in html and 'id="nav-travel"' not in html


@pytest.mark.parametrize("who", ["lisi", "wangwu", "mishu"])
def test_a_reader_or_registrar_outside_the_secrecy_office_gets_404_on_the_register_of_people(
        unit, objects, client, who):
    client.force_login(unit[who])
    for name in ("list", "detail", "edit", "review_add", "document_cancel"):
        assert client.get(pages(objects)[name]).status_code == 404, name
    assert client.get(pages(objects)["leave_detail"]).status_code == 404
    # Someone else's trip is not theirs to read (mishu gives the 组织人事 opinion: it is).
    expected = 200 if who == "mishu" else 404
    assert client.get(pages(objects)["travel_detail"]).status_code == expected


def test_the_security_admin_sees_the_records_but_keeps_none_of_them(unit, objects, client):
    client.force_login(unit.secadmin)
    assert client.get(pages(objects)["list"]).status_code == 200
    assert client.get(pages(objects)["detail"]).status_code == 200
    before = state()
    url, data = post_forms(objects)[2]  # a training: 保密办's record, not the admin's
    response = client.post(url, data)
    assert "只有保密办可以登记保密教育培训" in response.content.decode()
    assert state() == before


def test_a_reader_cannot_post_any_personnel_form_about_someone_else(unit, objects, client):
    client.force_login(unit.lisi)
    before = state()
    for url, data in post_forms(objects):
        response = client.post(url, data)
        assert response.status_code in (200, 302, 404), url
        if response.status_code == 200:
            # Reachable only for a trip (its page exists for its deciders): the service refuses.
            assert 'id="errors-form-all"' in response.content.decode(), url
        assert state() == before, url


def test_the_traveller_gives_no_opinion_on_their_own_trip(unit, objects, client):
    client.force_login(unit.zhangsan)
    travel = objects["travel"]
    before = state()
    for step in ("hr", "secrecy"):
        response = client.post(reverse("personnel:travel_decide", args=[travel.pk, step]), {"decision": "approve"})
        assert response.status_code == 200 and 'id="errors-form-all"' in response.content.decode()
    assert state() == before
    html = client.get(reverse("personnel:travel_detail", args=[travel.pk])).content.decode()
    assert 'id="decide-panel"' not in html


# ------------------------------------------------------------------------- one's own record


@pytest.mark.parametrize("who", ["baomi", "secadmin"])
def test_nobody_edits_their_own_record(unit, client, who):
    me = unit[who]
    client.force_login(me)
    person = me.person
    before = state()
    response = client.post(reverse("personnel:edit", args=[person.pk]), {
        "full_name": person.full_name, "department": person.department_id, "person_class": "core",
        "review_passed": "on", "review_date": "2025-03-01", "commitment_signed_on": "2025-03-02",
        "approval_authority": "4", "classification_authority": "4"})
    assert "不能修改本人的涉密人员档案" in response.content.decode()
    assert state() == before
    html = client.get(reverse("personnel:detail", args=[person.pk])).content.decode()
    assert 'id="edit-record"' not in html and 'id="own-record"' in html


def test_the_secrecy_office_records_nothing_on_its_own_file(unit, client):
    client.force_login(unit.baomi)
    person = unit.baomi.person
    before = state()
    response = client.post(reverse("personnel:training_add", args=[person.pk]),
                           {"trained_on": today().isoformat(), "hours": "40", "topic": "自学", "organiser": "本人"})
    assert "不能为本人办理" in response.content.decode()
    response = client.post(reverse("personnel:review_add", args=[person.pk]),
                           {"kind": "periodic", "reviewed_on": today().isoformat(), "passed": "1"})
    assert "不能为本人办理" in response.content.decode()
    assert state() == before


def test_my_record_never_shows_someone_else(unit, objects, client):
    client.force_login(unit.lisi)
    html = client.get(reverse("personnel:me") + f"?pk={objects['person'].pk}").content.decode()
    assert "E00000001" not in html and objects["travel"].reference not in html and "调岗" not in html


# ----------------------------------------------------------------------------------- leaving


def _ready(unit, leave):
    services_leave.leave_record_talk(actor=unit.baomi, leave=leave, talk_on=today(), talk_note="谈话")
    services_leave.leave_sign_commitment(actor=unit.baomi, leave=leave, signed_on=today())


def test_the_secrecy_office_does_not_approve_a_leave(unit, objects, client):
    leave = objects["leave"]
    _ready(unit, leave)
    client.force_login(unit.baomi)
    before = state()
    response = client.post(reverse("personnel:leave_approve", args=[leave.pk]), {"comment": "同意"})
    assert "离岗离职须由单位领导批准" in response.content.decode()
    assert state() == before
    assert Leave.objects.get(pk=leave.pk).state == LeaveState.OPEN


def test_a_leader_does_not_approve_their_own_leave(unit, client):
    zhuren = unit.zhuren.person
    leave = services_leave.leave_open(actor=unit.baomi, person=zhuren, kind=LeaveKind.LEAVE_UNIT, reason="退休",
                                      planned_on=today())
    _ready(unit, leave)
    client.force_login(unit.zhuren)
    html = client.get(reverse("personnel:leave_detail", args=[leave.pk])).content.decode()
    assert 'id="approve-leave"' not in html
    before = state()
    response = client.post(reverse("personnel:leave_approve", args=[leave.pk]), {"comment": "同意"})
    assert "不能批准本人的离岗离职" in response.content.decode()
    assert state() == before
    # Another leader may (positive control: the refusal above is about the person, not the form).
    client.force_login(unit.lingdao)
    assert client.post(reverse("personnel:leave_approve", args=[leave.pk]), {"comment": "同意"}).status_code == 302
    assert Leave.objects.get(pk=leave.pk).state == LeaveState.APPROVED


def test_the_person_leaving_cannot_approve_or_even_open_their_leave_page(unit, objects, client):
    leave = objects["leave"]
    _ready(unit, leave)
    client.force_login(unit.zhangsan)  # a reader: no leader, no 保密办
    before = state()
    assert client.get(reverse("personnel:leave_detail", args=[leave.pk])).status_code == 404
    assert client.post(reverse("personnel:leave_approve", args=[leave.pk]), {"comment": "同意"}).status_code == 404
    assert state() == before


def test_state_changes_are_post_only(unit, objects, client):
    client.force_login(unit.baomi)
    response = client.get(reverse("personnel:document_hand_back", args=[objects["document"].pk]))
    assert response.status_code == 405
