"""The 涉密人员 life cycle (issue 5, SPEC §8): clearance follows review and commitment at once,
leaving is refused while anything is held and revokes access on approval, 脱密期 by class,
travel abroad with two opinions, and the records 保密办 keeps."""
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.urls import reverse

from approvals import services as loans
from approvals.kinds import lend as lending
from audits.models import AuditEvent
from conftest import PASSWORD, make_user
from documents import selectors
from documents.services import local_today
from personnel import services as person_services
from personnel.models import (
    Leave, LeaveKind, LeaveState, LoginSession, Person, PersonReview, PersonStatus, Role, Training, Travel,
    TravelDocument, TravelDocumentStatus, TravelState,
)
from personnel.services_leave import (
    leave_approve, leave_blockers, leave_cancel, leave_open, leave_record_talk, leave_sign_commitment,
)
from personnel.services_records import (
    person_review_record, training_record, travel_document_cancel, travel_document_hand_back, travel_document_register,
)
from personnel.services_travel import (
    travel_cancel, travel_decide, travel_record_education, travel_report_return, travel_request,
)
from secrecy.errors import InvalidState, PolicyDenied, ValidationFailed

TODAY = dt.date(2026, 11, 30)


def visible_count(user):
    user = get_user_model().objects.get(pk=user.pk)  # a fresh request: no cached roles
    return selectors.carrier_list_visible_to(user=user).count()


@pytest.fixture
def carriers(unit, register_carrier):
    """One carrier of each level, all with the newcomer's department in scope."""
    made = {}
    for level in (1, 2, 3, 4):
        made[level] = register_carrier(level=level, title=f"密级{level}文件", scope_groups=[unit.business.group],
                                       copy_number=level)
    return made


# ------------------------------------------------------------------- acceptance 1: clearance


def test_no_review_or_no_commitment_sees_no_classified_carrier_and_granting_both_shows_exactly_their_level(
        unit, carriers):
    newcomer = make_user("xinren", department=unit.business, roles=[Role.READER], person_class="important",
                         review=False, commitment=False)
    # 内部 only: the work-secret carrier in scope, no state secret.
    assert visible_count(newcomer) == 1
    person = Person.objects.get(user=newcomer)
    person_review_record(actor=unit.baomi, person=person, reviewed_on=TODAY, passed=True, reviewer="组织人事部门",
                         kind="on_post", today=TODAY)
    assert visible_count(newcomer) == 1, "a passed review without the commitment grants nothing"
    person_services.person_save(actor=unit.baomi, user=newcomer, commitment_signed_on=TODAY)
    # 重要 → up to 机密: 内部, 秘密, 机密 in scope; never the 绝密 one.
    visible = set(selectors.carrier_list_visible_to(user=get_user_model().objects.get(pk=newcomer.pk))
                  .values_list("level", flat=True))
    assert visible == {1, 2, 3}


def test_commitment_without_review_sees_nothing_classified(unit, carriers):
    newcomer = make_user("xinren", department=unit.business, roles=[Role.READER], person_class="core",
                         review=False, commitment=True)
    assert visible_count(newcomer) == 1


def test_a_failed_re_review_takes_sight_away_on_the_next_request_and_a_passed_one_restores_it(unit, carriers, client):
    person = unit.lisi.person
    assert visible_count(unit.lisi) == 3
    client.force_login(unit.lisi)
    carrier = carriers[3]
    assert client.get(reverse("documents:carrier_detail", args=[carrier.pk])).status_code == 200
    person_review_record(actor=unit.baomi, person=person, reviewed_on=TODAY, passed=False, note="发现重大事项未报告",
                         today=TODAY)
    assert visible_count(unit.lisi) == 1
    assert client.get(reverse("documents:carrier_detail", args=[carrier.pk])).status_code == 404
    person_review_record(actor=unit.baomi, person=person, reviewed_on=TODAY, passed=True, today=TODAY)
    assert visible_count(unit.lisi) == 3
    assert client.get(reverse("documents:carrier_detail", args=[carrier.pk])).status_code == 200


def test_changing_the_class_changes_what_is_visible_at_once(unit, carriers):
    assert visible_count(unit.zhangsan) == 2
    person_services.person_save(actor=unit.baomi, user=unit.zhangsan, person_class="core")
    assert visible_count(unit.zhangsan) == 4


def test_an_older_review_does_not_override_the_newer_one(unit):
    person = unit.lisi.person
    person_review_record(actor=unit.baomi, person=person, reviewed_on=dt.date(2026, 6, 1), passed=True, today=TODAY)
    person_review_record(actor=unit.baomi, person=person, reviewed_on=dt.date(2024, 1, 1), passed=False,
                         note="补录旧记录", today=TODAY)
    person.refresh_from_db()
    assert person.review_passed and person.review_date == dt.date(2026, 6, 1)
    assert PersonReview.objects.filter(person=person).count() == 2


@pytest.mark.parametrize("who", ["lisi", "mishu", "zhuren", "sysadmin", "auditor"])
def test_only_secrecy_office_or_security_admin_edit_records(unit, who):
    before = AuditEvent.objects.count()
    with pytest.raises(PolicyDenied):
        person_services.person_save(actor=unit[who], user=unit.zhangsan, person_class="core")
    assert unit.zhangsan.person.__class__.objects.get(user=unit.zhangsan).person_class == "general"
    assert AuditEvent.objects.count() == before


def test_nobody_edits_their_own_record(unit):
    with pytest.raises(PolicyDenied, match="本人"):
        person_services.person_save(actor=unit.baomi, user=unit.baomi, person_class="core")
    with pytest.raises(PolicyDenied, match="本人"):
        training_record(actor=unit.baomi, person=unit.baomi.person, trained_on=TODAY, hours=2, topic="t",
                        organiser="o", today=TODAY)


def test_security_admin_may_set_clearance_fields(unit):
    person_services.person_save(actor=unit.secadmin, user=unit.zhangsan, person_class="important")
    assert Person.objects.get(user=unit.zhangsan).person_class == "important"


# ------------------------------------------------------------------------- records


def test_training_is_recorded_with_one_event_and_bad_input_changes_nothing(unit):
    person = unit.zhangsan.person
    before = AuditEvent.objects.count()
    training_record(actor=unit.baomi, person=person, trained_on=TODAY, hours="2.5", topic="新保密法解读",
                    organiser="市保密局", today=TODAY)
    assert AuditEvent.objects.count() == before + 1
    assert Training.objects.get(person=person).hours == Decimal("2.5")
    for bad, field in ((dict(hours="0"), "hours"), (dict(hours="abc"), "hours"), (dict(topic=" "), "topic"),
                       (dict(trained_on=TODAY + dt.timedelta(days=1)), "trained_on")):
        kwargs = {**dict(trained_on=TODAY, hours="2", topic="主题", organiser="保密办"), **bad}
        with pytest.raises(ValidationFailed) as caught:
            training_record(actor=unit.baomi, person=person, today=TODAY, **kwargs)
        assert field in caught.value.field_errors
    assert Training.objects.filter(person=person).count() == 1
    assert AuditEvent.objects.count() == before + 1


def test_travel_documents_are_kept_handed_out_and_back(unit):
    person = unit.lisi.person
    doc = travel_document_register(actor=unit.baomi, person=person, kind="passport", number="e12345678",
                                   handed_in_on=TODAY, valid_until=dt.date(2030, 1, 1), today=TODAY)
    assert doc.number == "E12345678" and doc.status == TravelDocumentStatus.HELD
    with pytest.raises(ValidationFailed) as caught:
        travel_document_register(actor=unit.baomi, person=person, kind="passport", number="E12345678",
                                 handed_in_on=TODAY, today=TODAY)
    assert caught.value.field_errors["number"] == "该证件已登记"
    with pytest.raises(InvalidState):
        travel_document_hand_back(actor=unit.baomi, document=doc)
    travel_document_cancel(actor=unit.baomi, document=doc, note="换发新证")
    assert TravelDocument.objects.get(pk=doc.pk).status == TravelDocumentStatus.CANCELLED


@pytest.fixture
def personnel_office(unit):
    # 办公室 gives the 组织人事 opinion in the demo unit.
    type(unit.office).objects.filter(pk=unit.office.pk).update(is_personnel_office=True)
    return unit.office


# ------------------------------------------------------------------- acceptance 2: leaving


def _ready_leave(unit, person, kind=LeaveKind.LEAVE_UNIT):
    leave = leave_open(actor=unit.baomi, person=person, kind=kind, reason="调往外单位", planned_on=TODAY, today=TODAY)
    leave = leave_record_talk(actor=unit.baomi, leave=leave, talk_on=TODAY, talk_note="重申保密义务和脱密期要求",
                              today=TODAY)
    return leave_sign_commitment(actor=unit.baomi, leave=leave, signed_on=TODAY, today=TODAY)


def test_leaving_is_refused_while_a_carrier_is_held_then_approved_ends_sessions_and_login(unit, register_carrier,
                                                                                         client, settings):
    carrier = register_carrier(level=3, title="借阅中的文件", scope_users=[unit.lisi])
    request = lending.loan_request_create(actor=unit.lisi, carrier=carrier, due_date=local_today() + dt.timedelta(days=1),
                                        reason="参阅", submit=True)
    request = loans.request_decide(actor=unit.lingdao, request=request, approve=True, comment="同意")
    lending.loan_check_out(actor=unit.mishu, request=request)

    # lisi is logged in, twice (two browsers).
    assert client.login(username="lisi", password=PASSWORD)
    from django.test import Client
    other = Client()
    assert other.login(username="lisi", password=PASSWORD)
    assert LoginSession.objects.filter(user=unit.lisi, ended_at__isnull=True).count() == 2

    leave = _ready_leave(unit, unit.lisi.person)
    assert leave_blockers(leave) == [f"载体 {carrier.serial}（纸质文件资料，借出）"]
    before = (AuditEvent.objects.count(), Person.objects.get(pk=unit.lisi.person.pk).status)
    with pytest.raises(InvalidState) as caught:
        leave_approve(actor=unit.zhuren, leave=leave, today=TODAY)
    assert carrier.serial in caught.value.message and "须全部清退" in caught.value.message
    assert (AuditEvent.objects.count(), Person.objects.get(pk=unit.lisi.person.pk).status) == before
    assert get_user_model().objects.get(pk=unit.lisi.pk).is_active
    assert client.get(reverse("home")).status_code == 200

    lending.loan_return(actor=unit.mishu, request=request, condition="intact")
    assert leave_blockers(leave) == []
    leave = leave_approve(actor=unit.zhuren, leave=leave, comment="同意", today=TODAY)

    assert leave.state == LeaveState.APPROVED
    person = Person.objects.get(pk=unit.lisi.person.pk)
    assert person.status == PersonStatus.DECLASSIFYING
    # 重要 → 2 years from the approval day.
    assert (person.declassify_starts_on, person.declassify_ends_on) == (TODAY, dt.date(2028, 11, 30))
    assert person.leaving_commitment_signed_on == TODAY
    user = get_user_model().objects.get(pk=unit.lisi.pk)
    assert not user.is_active
    # Both sessions are gone from the store, and the browsers are logged out.
    assert LoginSession.objects.filter(user=unit.lisi, ended_at__isnull=True).count() == 0
    assert not Session.objects.filter(session_key__in=LoginSession.objects.filter(user=unit.lisi)
                                      .values("session_key")).exists()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert other.get(reverse("documents:carrier_list")).status_code == 302
    # And the password no longer opens the door.
    assert not Client().login(username="lisi", password=PASSWORD)
    event = AuditEvent.objects.filter(action="personnel.leave_approve").get()
    assert event.detail["sessions_ended"] == 2 and event.detail["declassify_ends_on"] == "2028-11-30"


@pytest.mark.parametrize("who,person_class,years", [
    ("mishu", "core", 3), ("lisi", "important", 2), ("zhangsan", "general", 1)])
def test_declassify_period_is_computed_by_class(unit, who, person_class, years):
    person = unit[who].person
    assert person.person_class == person_class
    if who == "mishu":
        # The registrar holds nothing out of the registry, so nothing blocks.
        pass
    leave = _ready_leave(unit, person, kind=LeaveKind.LEAVE_POST)
    leave_approve(actor=unit.zhuren, leave=leave, today=dt.date(2028, 2, 29))
    person.refresh_from_db()
    assert person.declassify_starts_on == dt.date(2028, 2, 29)
    assert person.declassify_ends_on == dt.date(2028 + years, 2, 28)


def test_approval_needs_talk_and_commitment_and_a_leader_who_is_not_the_person(unit):
    person = unit.lisi.person
    leave = leave_open(actor=unit.baomi, person=person, kind=LeaveKind.LEAVE_POST, reason="调岗", planned_on=TODAY,
                       today=TODAY)
    with pytest.raises(InvalidState, match="保密提醒谈话、离岗离职保密承诺书"):
        leave_approve(actor=unit.zhuren, leave=leave, today=TODAY)
    leave = leave_record_talk(actor=unit.baomi, leave=leave, talk_on=TODAY, talk_note="要点", today=TODAY)
    leave = leave_sign_commitment(actor=unit.baomi, leave=leave, signed_on=TODAY, today=TODAY)
    for actor in (unit.baomi, unit.mishu, unit.lisi, unit.secadmin):
        with pytest.raises(PolicyDenied):
            leave_approve(actor=actor, leave=leave, today=TODAY)
    # A leader's own leave is approved by another leader.
    own = _ready_leave(unit, unit.lingdao.person)
    with pytest.raises(PolicyDenied, match="本人"):
        leave_approve(actor=unit.lingdao, leave=own, today=TODAY)
    assert Leave.objects.filter(state=LeaveState.APPROVED).count() == 0


def test_one_open_leave_per_person_and_cancel_needs_a_reason(unit):
    person = unit.zhangsan.person
    leave = leave_open(actor=unit.baomi, person=person, kind=LeaveKind.LEAVE_POST, reason="调岗", planned_on=TODAY,
                       today=TODAY)
    with pytest.raises(InvalidState, match="办理中"):
        leave_open(actor=unit.baomi, person=person, kind=LeaveKind.LEAVE_POST, reason="调岗", planned_on=TODAY,
                   today=TODAY)
    with pytest.raises(ValidationFailed):
        leave_cancel(actor=unit.baomi, leave=leave, reason=" ")
    leave_cancel(actor=unit.baomi, leave=leave, reason="不再调岗")
    assert Leave.objects.get(pk=leave.pk).state == LeaveState.CANCELLED
    leave_open(actor=unit.baomi, person=person, kind=LeaveKind.LEAVE_POST, reason="再次调岗", planned_on=TODAY,
               today=TODAY)


def test_non_secret_staff_need_no_leave(unit):
    with pytest.raises(InvalidState, match="不是涉密人员"):
        leave_open(actor=unit.baomi, person=unit.wangwu.person, kind=LeaveKind.LEAVE_UNIT, reason="离职",
                   planned_on=TODAY, today=TODAY)


def test_a_travel_document_taken_for_a_trip_blocks_leaving(unit, personnel_office):
    person = unit.lisi.person
    doc = travel_document_register(actor=unit.baomi, person=person, kind="hk_macao", number="C1234567",
                                   handed_in_on=TODAY, today=TODAY)
    travel = travel_request(actor=unit.lisi, person=person, kind="private", destination="香港", purpose="探亲",
                            departs_on=TODAY + dt.timedelta(days=10), returns_on=TODAY + dt.timedelta(days=15),
                            travel_document=doc, today=TODAY)
    travel_decide(actor=unit.mishu, travel=travel, step="hr", approve=True)
    travel_decide(actor=unit.baomi, travel=travel, step="secrecy", approve=True)
    travel_record_education(actor=unit.baomi, travel=travel, education_on=TODAY, note="境外保密注意事项", today=TODAY)
    leave = _ready_leave(unit, person)
    assert leave_blockers(leave) == ["出入境证件 往来港澳通行证 C1234567（本人领用，未交回）"]
    with pytest.raises(InvalidState):
        leave_approve(actor=unit.zhuren, leave=leave, today=TODAY)
    travel_document_hand_back(actor=unit.baomi, document=doc)
    leave_approve(actor=unit.zhuren, leave=leave, today=TODAY)


# ----------------------------------------------------------------------- travel abroad


def _travel(unit, person=None, actor=None, **kw):
    person = person or unit.zhangsan.person
    fields = dict(kind="private", destination="日本", purpose="旅游", departs_on=TODAY + dt.timedelta(days=20),
                  returns_on=TODAY + dt.timedelta(days=27), today=TODAY)
    fields.update(kw)
    return travel_request(actor=actor or person.user, person=person, **fields)


def test_travel_needs_both_opinions_then_education_before_departure_and_a_report(unit, personnel_office):
    travel = _travel(unit)
    assert not travel.in_declassify_period
    with pytest.raises(PolicyDenied):
        travel_decide(actor=unit.lingdao, travel=travel, step="hr", approve=True)  # not the personnel office
    with pytest.raises(PolicyDenied):
        travel_decide(actor=unit.zhangsan, travel=travel, step="secrecy", approve=True)
    travel = travel_decide(actor=unit.zhuren, travel=travel, step="hr", approve=True, comment="同意")
    assert travel.state == TravelState.SUBMITTED
    with pytest.raises(InvalidState):
        travel_decide(actor=unit.mishu, travel=travel, step="hr", approve=True)
    with pytest.raises(InvalidState):
        travel_record_education(actor=unit.baomi, travel=travel, education_on=TODAY, note="教育", today=TODAY)
    travel = travel_decide(actor=unit.baomi, travel=travel, step="secrecy", approve=True)
    assert travel.state == TravelState.APPROVED
    with pytest.raises(ValidationFailed) as caught:
        travel_record_education(actor=unit.baomi, travel=travel, education_on=TODAY, note=" ", today=TODAY)
    assert "note" in caught.value.field_errors
    travel_record_education(actor=unit.baomi, travel=travel, education_on=TODAY, note="境外保密注意事项", today=TODAY)
    later = TODAY + dt.timedelta(days=28)
    with pytest.raises(ValidationFailed) as caught:
        travel_report_return(actor=unit.zhangsan, travel=travel, returned_on=later, report="", today=later)
    assert "report" in caught.value.field_errors
    travel = travel_report_return(actor=unit.zhangsan, travel=travel, returned_on=TODAY + dt.timedelta(days=27),
                                  report="行程正常，无异常接触", today=later)
    assert travel.state == TravelState.RETURNED


def test_either_opinion_rejecting_refuses_the_trip_with_a_reason(unit, personnel_office):
    travel = _travel(unit)
    with pytest.raises(ValidationFailed):
        travel_decide(actor=unit.baomi, travel=travel, step="secrecy", approve=False, comment="")
    travel = travel_decide(actor=unit.baomi, travel=travel, step="secrecy", approve=False, comment="近期接触核心事项")
    assert travel.state == TravelState.REJECTED
    with pytest.raises(InvalidState):
        travel_decide(actor=unit.zhuren, travel=travel, step="hr", approve=True)


def test_a_request_during_the_declassify_period_is_flagged(unit, personnel_office):
    leave = _ready_leave(unit, unit.zhangsan.person, kind=LeaveKind.LEAVE_UNIT)
    leave_approve(actor=unit.zhuren, leave=leave, today=TODAY)
    person = Person.objects.get(pk=unit.zhangsan.person.pk)
    # The person can no longer log in: 保密办 files it for them.
    with pytest.raises(PolicyDenied):
        _travel(unit, person=person, actor=get_user_model().objects.get(pk=unit.zhangsan.pk))
    travel = _travel(unit, person=person, actor=unit.baomi)
    assert travel.in_declassify_period
    from notifications.models import Notification
    titles = list(Notification.objects.filter(recipient=unit.zhuren).values_list("title", flat=True))
    assert any("脱密期内" in t for t in titles)


def test_travel_input_errors_change_nothing(unit, personnel_office):
    before = (Travel.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        _travel(unit, returns_on=TODAY + dt.timedelta(days=1), destination="")
    assert set(caught.value.field_errors) == {"returns_on", "destination"}
    assert (Travel.objects.count(), AuditEvent.objects.count()) == before
    with pytest.raises(PolicyDenied):
        _travel(unit, actor=unit.lisi)  # for someone else, not 保密办


def test_travel_cancel(unit, personnel_office):
    travel = _travel(unit)
    travel = travel_cancel(actor=unit.zhangsan, travel=travel, reason="行程取消")
    assert travel.state == TravelState.CANCELLED


def test_leaders_are_told_once_when_a_leave_is_ready_for_approval(unit):
    from notifications.models import Notification

    leave = leave_open(actor=unit.baomi, person=unit.zhangsan.person, kind=LeaveKind.LEAVE_POST, reason="调岗",
                       planned_on=TODAY, today=TODAY)
    leave = leave_record_talk(actor=unit.baomi, leave=leave, talk_on=TODAY, talk_note="要点", today=TODAY)
    assert not Notification.objects.filter(kind="personnel.leave").exists()
    leave_sign_commitment(actor=unit.baomi, leave=leave, signed_on=TODAY, today=TODAY)
    leave_sign_commitment(actor=unit.baomi, leave=leave, signed_on=TODAY, today=TODAY)
    told = sorted(Notification.objects.filter(kind="personnel.leave").values_list("recipient__username", flat=True))
    assert told == ["lingdao", "zhuren"]
    assert Notification.objects.filter(kind="personnel.leave").first().link == f"/personnel/leaves/{leave.pk}/"
