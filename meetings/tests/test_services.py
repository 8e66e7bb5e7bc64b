"""Every write of a classified meeting (SPEC §9): each refusal with its Chinese message and nothing
changed, the happy paths, and exactly one audit event per action."""
import datetime as dt

import pytest

from approvals import policy as approval_policy
from audits.models import AuditEvent
from conftest import make_user
from documents import policy as carrier_policy
from documents import services_circulation, services_disposal
from documents.models import Carrier, CustodyAction, CustodyEvent, CustodyStatus, SecrecyStatus
from meetings import services
from meetings.models import Attendee, AttendeeRole, Disposition, Handout, Meeting, MeetingState
from notifications.models import Notification
from personnel import services as personnel_services
from personnel.models import Role
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed

from .helpers import assert_one_event, assert_refused, attendee_of, audit_seq, give, meeting_data, world


# -------------------------------------------------------------------------------------- create


def test_a_registrar_creates_a_meeting_and_becomes_its_organiser(unit):
    seq = audit_seq()
    meeting = services.meeting_create(actor=unit.mishu, data=meeting_data(unit))
    assert meeting.organiser == unit.mishu and meeting.created_by == unit.mishu
    assert meeting.state == MeetingState.PLANNING and meeting.level == 3
    assert meeting.reference.startswith("会议 ") and meeting.reference.endswith(f"-{meeting.pk:04d}")
    event = assert_one_event(seq, "meeting.create", unit.mishu, meeting)
    assert event.detail["checklist"]["phones_banned"] is True


@pytest.mark.parametrize("who", ["baomi", "lingdao", "zhuren"])
def test_secrecy_office_and_approvers_create_meetings(unit, who):
    meeting = services.meeting_create(actor=unit[who], data=meeting_data(unit, level=2))
    assert meeting.organiser == unit[who]


@pytest.mark.parametrize("who", ["lisi", "zhangsan", "wangwu", "sysadmin", "secadmin", "auditor"])
def test_readers_and_administrators_may_not_create(unit, who):
    assert_refused(lambda: services.meeting_create(actor=unit[who], data=meeting_data(unit)),
                   PolicyDenied, "只有保密办、领导和机要秘书可以组织涉密会议")
    assert Meeting.objects.count() == 0


@pytest.mark.parametrize("overrides,field,message", [
    (dict(level=1), "level", "请选择会议密级（秘密、机密或绝密）"),
    (dict(name=""), "name", "请填写会议名称"),
    (dict(venue="  "), "venue", "请填写会议地点"),
    (dict(content=""), "content", "请填写会议内容"),
    (dict(recording_approved=True, recording_note=""), "recording_note", "须写明批准人和负责人"),
    (dict(department=None), "department", "请选择承办部门"),
])
def test_create_refuses_bad_particulars_next_to_the_field(unit, overrides, field, message):
    assert_refused(lambda: services.meeting_create(actor=unit.mishu, data=meeting_data(unit, **overrides)),
                   ValidationFailed, message, field=field)


def test_a_meeting_ends_after_it_starts(unit):
    data = meeting_data(unit)
    data["ends_at"] = data["starts_at"] - dt.timedelta(minutes=1)
    assert_refused(lambda: services.meeting_create(actor=unit.mishu, data=data), ValidationFailed,
                   "结束时间须晚于开始时间", field="ends_at")


def test_nobody_organises_a_meeting_above_their_clearance(unit):
    assert_refused(lambda: services.meeting_create(actor=unit.baomi, data=meeting_data(unit, level=4)),
                   ValidationFailed, "您的涉密等级低于绝密，不能组织或管理绝密级会议", field="level")


def test_a_top_secret_meeting_is_organised_by_a_leader_who_may_designate(unit):
    # mishu is cleared 核心 but has no 绝密 approval authority: BJ21 art. 25 designation is a leader's.
    assert_refused(lambda: services.meeting_create(actor=unit.mishu, data=meeting_data(unit, level=4)),
                   ValidationFailed, "绝密级会议须由有绝密审批权限的领导组织", field="level")
    meeting = services.meeting_create(actor=unit.zhuren, data=meeting_data(unit, level=4))
    assert meeting.level == 4


# -------------------------------------------------------------------------------------- update


def test_update_while_planning_records_what_changed(unit, make_meeting):
    meeting = make_meeting(phones_banned=False)
    seq = audit_seq()
    services.meeting_update(actor=unit.mishu, meeting=meeting, data={"phones_banned": True, "venue": "二号会议室"})
    meeting.refresh_from_db()
    assert meeting.phones_banned and meeting.venue == "二号会议室"
    event = assert_one_event(seq, "meeting.update", unit.mishu, meeting)
    assert set(event.detail["changed"]) == {"phones_banned", "venue"}


def test_update_refusals(unit, make_meeting, running_meeting):
    meeting = make_meeting()
    services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi)
    assert_refused(lambda: services.meeting_update(actor=unit.mishu, meeting=running_meeting, data={"venue": "x"}),
                   InvalidState, "会议当前为“进行中”，不能修改会议信息")
    assert_refused(lambda: services.meeting_update(actor=unit.lisi, meeting=meeting, data={"venue": "x"}),
                   PolicyDenied, "只有涉密等级不低于会议密级的会议组织者或保密办可以修改会议信息")
    assert_refused(lambda: services.meeting_update(actor=unit.zhangsan, meeting=meeting, data={"venue": "x"}),
                   NotVisible)
    # mishu (no 绝密 approval authority) may not make its meeting 绝密.
    assert_refused(lambda: services.meeting_update(actor=unit.mishu, meeting=meeting, data={"level": 4}),
                   ValidationFailed, "绝密", field="level")
    assert_refused(lambda: services.meeting_update(actor=unit.mishu, meeting=meeting, data={}),
                   ValidationFailed, "没有需要修改的内容")


def test_raising_the_level_above_an_attendee_names_them(unit, make_meeting):
    meeting = make_meeting(level=2)
    services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.zhangsan)
    assert_refused(lambda: services.meeting_update(actor=unit.mishu, meeting=meeting, data={"level": 3}),
                   ValidationFailed, "以下参会人员的涉密等级不足以参加机密级会议：zhangsan", field="level")


# ------------------------------------------------------------------------------------ attendees


def test_adding_an_attendee_notifies_them_without_the_meeting_name(unit, make_meeting):
    meeting = make_meeting()
    seq = audit_seq()
    attendee = services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi, role=AttendeeRole.STAFF)
    assert attendee.role == AttendeeRole.STAFF and attendee.added_by == unit.mishu
    assert attendee.designated_by is None
    event = assert_one_event(seq, "meeting.attendee_add", unit.mishu, meeting)
    assert event.detail["user"] == unit.lisi.pk
    notice = Notification.objects.get(recipient=unit.lisi)
    assert meeting.reference in notice.title
    for secret in (meeting.name, meeting.venue, meeting.content):
        assert secret not in notice.title and secret not in notice.body
    assert notice.link == meeting.get_absolute_url() and notice.level == 3


@pytest.mark.parametrize("who,message", [
    ("zhangsan", "zhangsan的涉密等级不足以参加机密级会议"),
    ("wangwu", "wangwu的涉密等级不足以参加机密级会议"),
    ("secadmin", "secadmin的账号已停用或不是业务人员"),
])
def test_people_not_cleared_for_the_level_are_not_added(unit, make_meeting, who, message):
    meeting = make_meeting()
    assert_refused(lambda: services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit[who]),
                   ValidationFailed, message, field="user")


def test_an_inactive_account_is_not_added(unit, make_meeting):
    meeting = make_meeting()
    unit.lisi.is_active = False
    unit.lisi.save()
    assert_refused(lambda: services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi),
                   ValidationFailed, "lisi的账号已停用", field="user")


def test_an_attendee_is_listed_once(unit, make_meeting):
    meeting = make_meeting()
    services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi)
    assert_refused(lambda: services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi),
                   ValidationFailed, "lisi已在本次会议的人员名单中", field="user")


def test_only_managers_add_attendees(unit, make_meeting):
    meeting = make_meeting()
    services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi)
    assert_refused(lambda: services.attendee_add(actor=unit.lisi, meeting=meeting, user=unit.lingdao), PolicyDenied)
    assert_refused(lambda: services.attendee_add(actor=unit.lingdao, meeting=meeting, user=unit.lisi), NotVisible)
    # 保密办 manages every meeting within its clearance.
    services.attendee_add(actor=unit.baomi, meeting=meeting, user=unit.lingdao)


def test_top_secret_attendees_are_designated_one_by_one(unit):
    meeting = services.meeting_create(actor=unit.zhuren, data=meeting_data(unit, level=4))
    # A 保密办 manager cleared 核心 but without 绝密 approval authority may not designate.
    hexin = make_user("hexin", department=unit.secrecy_office, roles=[Role.SECRECY_OFFICE], person_class="core")
    assert_refused(lambda: services.attendee_add(actor=hexin, meeting=meeting, user=unit.mishu),
                   PolicyDenied, "绝密级会议的参会人员须由有绝密审批权限的领导逐一指定")
    assert_refused(lambda: services.attendee_add(actor=unit.zhuren, meeting=meeting, user=unit.lisi),
                   ValidationFailed, "lisi的涉密等级不足以参加绝密级会议")
    seq = audit_seq()
    attendee = services.attendee_add(actor=unit.zhuren, meeting=meeting, user=unit.mishu)
    assert attendee.designated_by == unit.zhuren and attendee.designated_at is not None
    assert assert_one_event(seq, "meeting.attendee_add", unit.zhuren, meeting).detail["designated"] is True


def test_no_attendee_is_added_to_a_meeting_that_is_over(unit, make_meeting):
    meeting = make_meeting()
    services.meeting_cancel(actor=unit.mishu, meeting=meeting, reason="改期")
    assert_refused(lambda: services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi),
                   InvalidState, "会议当前为“已取消”，不能添加参会人员")


# ---------------------------------------------------------------------------------------- open


@pytest.mark.parametrize("level,unticked,message", [
    (3, "phones_banned", "机密级会议开始前须落实：手机禁止带入"),
    (3, "signal_shielding", "机密级会议开始前须落实：加装手机信号屏蔽"),
    (3, "venue_checked", "机密级会议开始前须落实：会场经保密技术检查"),
    (2, "venue_checked", "秘密级会议开始前须落实：会场经保密技术检查"),
])
def test_opening_needs_the_checklist_of_the_level(unit, make_meeting, level, unticked, message):
    meeting = make_meeting(level=level, **{unticked: False})
    services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi)
    assert_refused(lambda: services.meeting_open(actor=unit.mishu, meeting=meeting), InvalidState, message)


def test_a_confidential_meeting_opens_with_the_checked_venue_alone(unit, make_meeting):
    meeting = make_meeting(level=2, phones_banned=False, signal_shielding=False)
    services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.zhangsan)
    seq = audit_seq()
    meeting = services.meeting_open(actor=unit.mishu, meeting=meeting)
    assert meeting.state == MeetingState.IN_PROGRESS and meeting.opened_by == unit.mishu
    assert_one_event(seq, "meeting.open", unit.mishu, meeting)


def test_a_meeting_without_attendees_does_not_open(unit, make_meeting):
    meeting = make_meeting()
    assert_refused(lambda: services.meeting_open(actor=unit.mishu, meeting=meeting), InvalidState,
                   "会议尚未登记参会人员，不能开始")


def test_only_managers_open(unit, make_meeting):
    meeting = make_meeting()
    services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi)
    assert_refused(lambda: services.meeting_open(actor=unit.lisi, meeting=meeting), PolicyDenied)


# ------------------------------------------------------------------------------------- sign-in


def test_sign_in_by_the_attendee_or_by_a_manager_once(unit, running_meeting):
    baomi_row = attendee_of(running_meeting, unit.baomi)
    assert_refused(lambda: services.attendee_sign_in(actor=unit.lisi, meeting=running_meeting, attendee=baomi_row),
                   PolicyDenied, "会议组织者、保密办或参会人员本人")
    seq = audit_seq()
    row = services.attendee_sign_in(actor=unit.mishu, meeting=running_meeting, attendee=baomi_row)
    assert row.signed_in_recorded_by == unit.mishu and row.signed_in_at is not None
    assert assert_one_event(seq, "meeting.attendee_sign_in", unit.mishu, running_meeting).detail["by_self"] is False
    assert_refused(lambda: services.attendee_sign_in(actor=unit.baomi, meeting=running_meeting, attendee=baomi_row),
                   InvalidState, "baomi已于")
    lisi_row = attendee_of(running_meeting, unit.lisi)
    assert lisi_row.signed_in_recorded_by == unit.lisi


def test_no_sign_in_before_the_meeting_starts(unit, make_meeting):
    meeting = make_meeting()
    row = services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi)
    assert_refused(lambda: services.attendee_sign_in(actor=unit.lisi, meeting=meeting, attendee=row),
                   InvalidState, "会议当前为“筹备中”，不能签到")


def test_an_attendee_whose_clearance_lapsed_cannot_sign_in(unit, running_meeting):
    personnel_services.person_save(actor=None, user=unit.baomi, commitment_signed_on=None)
    row = attendee_of(running_meeting, unit.baomi)
    assert_refused(lambda: services.attendee_sign_in(actor=unit.mishu, meeting=running_meeting, attendee=row),
                   InvalidState, "baomi的涉密等级不足以参加机密级会议")


# ------------------------------------------------------------------------------------ handouts


def test_handing_out_numbers_the_copies_and_moves_custody(unit, running_meeting, carrier_at):
    carriers = [carrier_at(3), carrier_at(2), carrier_at(3)]
    seq = audit_seq()
    first = give(unit, running_meeting, carriers[0], unit.lisi)
    assert_one_event(seq, "meeting.handout_give", unit.mishu, running_meeting)
    second = give(unit, running_meeting, carriers[1], unit.lingdao, Disposition.KEEP)
    third = give(unit, running_meeting, carriers[2], unit.lisi)
    assert [first.number, second.number, third.number] == [1, 2, 3]
    carrier = Carrier.objects.get(pk=carriers[0].pk)
    assert carrier.custody_status == CustodyStatus.AT_MEETING and carrier.custodian == unit.lisi
    row = CustodyEvent.objects.filter(carrier=carrier).order_by("-id").first()
    assert row.action == CustodyAction.HANDED_OUT and row.from_user == unit.mishu and row.to_user == unit.lisi
    assert row.from_status == CustodyStatus.IN_REGISTRY and row.to_status == CustodyStatus.AT_MEETING
    assert row.approval_ref == running_meeting.reference and "第1号" in row.note
    # The holder sees the copy in their hands (SPEC §4: custodian).
    assert carrier_policy.visible_carriers(unit.lisi).filter(pk=carrier.pk).exists()


def test_hand_out_refusals(unit, running_meeting, carrier_at, register_carrier):
    secret = carrier_at(3)
    assert_refused(lambda: give(unit, running_meeting, secret, unit.baomi), ValidationFailed,
                   "baomi尚未签到，签到（身份核实）后才能领取会议文件", field="attendee")
    top = carrier_at(4)
    assert_refused(lambda: give(unit, running_meeting, top, unit.lisi), ValidationFailed,
                   "的密级（绝密）高于会议密级（机密），不能在本次会议分发", field="serial")
    assert_refused(lambda: services.handout_give(
        actor=unit.mishu, meeting=running_meeting, serial="2099-999999",
        attendee=attendee_of(running_meeting, unit.lisi)),
        ValidationFailed, "未找到统一编号为 2099-999999 的载体", field="serial")
    assert_refused(lambda: give(unit, running_meeting, secret, unit.lisi, actor=unit.lisi), PolicyDenied,
                   "只有涉密等级不低于会议密级的会议组织者或保密办可以分发文件")
    assert_refused(lambda: services.handout_give(actor=unit.mishu, meeting=running_meeting, serial=secret.serial,
                                                 attendee=attendee_of(running_meeting, unit.lisi), disposition="x"),
                   ValidationFailed, "请选择会后收回或可带回", field="disposition")
    give(unit, running_meeting, secret, unit.lisi)
    assert_refused(lambda: give(unit, running_meeting, secret, unit.lingdao), ValidationFailed,
                   "当前为“会议分发”，只有在库的载体可以分发", field="serial")


def test_a_manager_who_does_not_manage_the_carrier_cannot_hand_it_out(unit, running_meeting, carrier_at):
    # baomi (保密办) manages the meeting; the carrier is visible to baomi but is mishu's to manage.
    carrier = carrier_at(3, scope_users=[unit.baomi])
    assert_refused(lambda: give(unit, running_meeting, carrier, unit.lisi, actor=unit.baomi), PolicyDenied,
                   "您不负责该载体管理部门的机要工作", field="serial")
    hidden = carrier_at(3)
    assert_refused(lambda: give(unit, running_meeting, hidden, unit.lisi, actor=unit.baomi), ValidationFailed,
                   f"未找到统一编号为 {hidden.serial} 的载体", field="serial")


def test_a_declassified_or_circulating_carrier_is_not_handed_out(unit, running_meeting, carrier_at):
    declassified = carrier_at(3)
    Carrier.objects.filter(pk=declassified.pk).update(secrecy_status=SecrecyStatus.DECLASSIFIED)
    assert_refused(lambda: give(unit, running_meeting, declassified, unit.lisi), ValidationFailed, "已解密",
                   field="serial")
    circulating = carrier_at(3, scope_users=[unit.lisi])
    services_circulation.circulation_start(actor=unit.mishu, carrier=circulating, readers=[unit.lisi])
    assert_refused(lambda: give(unit, running_meeting, circulating, unit.lingdao), ValidationFailed, "正在传阅",
                   field="serial")


def test_no_hand_out_before_the_meeting_starts(unit, make_meeting, carrier_at):
    meeting = make_meeting()
    services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi)
    carrier = carrier_at(3)
    assert_refused(lambda: give(unit, meeting, carrier, unit.lisi), InvalidState, "会议当前为“筹备中”，不能分发文件")


def test_a_carrier_at_the_meeting_is_blocked_for_other_workflows(unit, running_meeting, carrier_at):
    carrier = carrier_at(3, scope_users=[unit.lisi])
    give(unit, running_meeting, carrier, unit.lisi)
    carrier.refresh_from_db()
    with pytest.raises(InvalidState):
        services_circulation.circulation_start(actor=unit.mishu, carrier=carrier, readers=[unit.lisi])
    with pytest.raises(InvalidState):
        services_disposal.carrier_archive(actor=unit.mishu, carrier=carrier, archive_number="档2026-1")
    assert approval_policy.loan_request_refusal(unit.lingdao, carrier) is not None


def test_recover_brings_the_copy_back_to_the_registry(unit, running_meeting, carrier_at):
    carrier = carrier_at(3)
    handout = give(unit, running_meeting, carrier, unit.lisi)
    assert_refused(lambda: services.handout_recover(actor=unit.lisi, meeting=running_meeting, handout=handout),
                   PolicyDenied)
    seq = audit_seq()
    services.handout_recover(actor=unit.baomi, meeting=running_meeting, handout=handout, note="会后清点")
    assert_one_event(seq, "meeting.handout_recover", unit.baomi, running_meeting)
    carrier.refresh_from_db()
    assert carrier.custody_status == CustodyStatus.IN_REGISTRY and carrier.custodian == unit.baomi
    row = CustodyEvent.objects.filter(carrier=carrier).order_by("-id").first()
    assert row.action == CustodyAction.RETURNED and row.from_user == unit.lisi and row.to_user == unit.baomi
    assert "会后清点" in row.note
    assert_refused(lambda: services.handout_recover(actor=unit.mishu, meeting=running_meeting, handout=handout),
                   InvalidState, "第1号文件已收回，不能再收回")


def test_reporting_a_copy_lost_marks_the_carrier_and_alerts_the_secrecy_office(unit, running_meeting, carrier_at):
    carrier = carrier_at(3)
    handout = give(unit, running_meeting, carrier, unit.lisi)
    assert_refused(lambda: services.handout_report_lost(actor=unit.mishu, meeting=running_meeting, handout=handout,
                                                        note="  "),
                   ValidationFailed, "请写明丢失情况", field="note")
    seq = audit_seq()
    services.handout_report_lost(actor=unit.mishu, meeting=running_meeting, handout=handout,
                                 note="散会后清点时发现缺少，已查看会场")
    # Two real changes, two events: the 丢失 incident opened for the carrier (SPEC §10, with its
    # 24-hour deadline) and the meeting's own (the custody row and the alert belong to it).
    opened = AuditEvent.objects.filter(seq__gt=seq, action="incident.open_for_lost_carrier").get()
    event = assert_one_event(opened.seq, "meeting.handout_report_lost", unit.mishu, running_meeting)
    from oversight.models import Incident
    assert Incident.objects.get().carriers.get().serial == carrier.serial
    assert unit.baomi.pk in event.detail["notified"]
    carrier.refresh_from_db()
    assert carrier.custody_status == CustodyStatus.LOST and carrier.custodian == unit.lisi
    row = CustodyEvent.objects.filter(carrier=carrier).order_by("-id").first()
    assert row.action == CustodyAction.REPORTED_LOST and row.approval_ref == running_meeting.reference
    notice = Notification.objects.get(recipient=unit.baomi, kind=services_disposal.NOTICE_KIND_LOST)
    # baomi may not see the copy: told of a loss and linked to its incident, never its serial.
    assert carrier.serial not in notice.title + notice.body and carrier.title not in notice.title
    assert notice.link == Incident.objects.get().get_absolute_url()
    handout.refresh_from_db()
    assert handout.lost_reported_by == unit.mishu and not handout.is_open
    assert_refused(lambda: services.handout_recover(actor=unit.mishu, meeting=running_meeting, handout=handout),
                   InvalidState, "第1号文件已报告丢失")


# ---------------------------------------------------------------------------------------- close


def test_close_is_refused_while_copies_are_out_and_names_them(unit, running_meeting, carrier_at):
    first, second = carrier_at(3), carrier_at(3)
    give(unit, running_meeting, first, unit.lisi)
    give(unit, running_meeting, second, unit.lingdao)
    error = assert_refused(lambda: services.meeting_close(actor=unit.mishu, meeting=running_meeting), InvalidState,
                           "以下会后收回的文件尚未收回或报告丢失，不能结束会议")
    assert f"第1号（{first.serial}）" in error.message and f"第2号（{second.serial}）" in error.message


def test_close_after_recovery_and_loss_and_keep_copies_go_to_the_department_registry(
        unit, running_meeting, carrier_at):
    recovered, lost, kept = carrier_at(3), carrier_at(3), carrier_at(2, department=unit.office)
    h1 = give(unit, running_meeting, recovered, unit.lisi)
    h2 = give(unit, running_meeting, lost, unit.lisi)
    h3 = give(unit, running_meeting, kept, unit.lingdao, Disposition.KEEP)
    services.handout_recover(actor=unit.mishu, meeting=running_meeting, handout=h1)
    services.handout_report_lost(actor=unit.mishu, meeting=running_meeting, handout=h2, note="遗失")
    seq = audit_seq()
    meeting = services.meeting_close(actor=unit.mishu, meeting=running_meeting)
    assert meeting.state == MeetingState.CLOSED and meeting.closed_by == unit.mishu
    event = assert_one_event(seq, "meeting.close", unit.mishu, meeting)
    assert event.detail["recovered"] == 1 and event.detail["lost"] == 1 and len(event.detail["kept"]) == 1
    kept.refresh_from_db()
    # lingdao is of 业务一处; mishu serves it.
    assert kept.custody_status == CustodyStatus.IN_REGISTRY and kept.department == unit.business
    assert kept.custodian == unit.mishu
    row = CustodyEvent.objects.filter(carrier=kept).order_by("-id").first()
    assert "会后带回，交机要室登记" in row.note and row.from_user == unit.lingdao
    h3.refresh_from_db()
    assert h3.kept_registered_at is not None and not h3.is_open


def test_keep_copies_of_a_department_without_a_registrar_go_to_the_closer(unit, running_meeting, carrier_at):
    from personnel.services import department_create

    outpost = department_create(actor=None, name="驻外办", code="outpost")
    guest = make_user("guest", department=outpost, roles=[Role.READER], person_class="important")
    services.attendee_add(actor=unit.mishu, meeting=running_meeting, user=guest)
    services.attendee_sign_in(actor=guest, meeting=running_meeting, attendee=attendee_of(running_meeting, guest))
    carrier = carrier_at(3)
    give(unit, running_meeting, carrier, guest, Disposition.KEEP)
    services.meeting_close(actor=unit.baomi, meeting=running_meeting)
    carrier.refresh_from_db()
    assert carrier.department == outpost and carrier.custodian == unit.baomi
    assert carrier.custody_status == CustodyStatus.IN_REGISTRY


def test_close_refusals(unit, make_meeting, running_meeting):
    assert_refused(lambda: services.meeting_close(actor=unit.lisi, meeting=running_meeting), PolicyDenied)
    meeting = make_meeting()
    assert_refused(lambda: services.meeting_close(actor=unit.mishu, meeting=meeting), InvalidState,
                   "会议当前为“筹备中”，不能结束会议")


# --------------------------------------------------------------------------------------- cancel


def test_cancel_while_planning_with_a_reason_and_notify_attendees(unit, make_meeting):
    meeting = make_meeting()
    services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi)
    assert_refused(lambda: services.meeting_cancel(actor=unit.mishu, meeting=meeting, reason=" "),
                   ValidationFailed, "请填写取消原因", field="reason")
    seq = audit_seq()
    meeting = services.meeting_cancel(actor=unit.mishu, meeting=meeting, reason="领导出差，会议改期")
    assert meeting.state == MeetingState.CANCELLED and meeting.cancel_reason == "领导出差，会议改期"
    assert_one_event(seq, "meeting.cancel", unit.mishu, meeting)
    assert Notification.objects.filter(recipient=unit.lisi, kind=services.NOTICE_KIND_CANCELLED).count() == 1


def test_a_running_meeting_is_not_cancelled(unit, running_meeting):
    assert_refused(lambda: services.meeting_cancel(actor=unit.mishu, meeting=running_meeting, reason="x"),
                   InvalidState, "会议当前为“进行中”，不能取消会议")


def test_nothing_of_a_meeting_is_ever_deleted(unit, running_meeting, carrier_at):
    from django.db.models import ProtectedError

    give(unit, running_meeting, carrier_at(3), unit.lisi)
    with pytest.raises(ProtectedError):
        Meeting.objects.filter(pk=running_meeting.pk).delete()
    assert Attendee.objects.count() == 3 and Handout.objects.count() == 1
    assert not [name for name in dir(services) if "delete" in name or "remove" in name]


def test_every_refusal_above_left_the_audit_log_alone(unit, make_meeting):
    # A refused create leaves no event at all (the helper compares the whole world; this checks
    # the log explicitly once more).
    before = AuditEvent.objects.count()
    with pytest.raises(PolicyDenied):
        services.meeting_create(actor=unit.lisi, data=meeting_data(unit))
    assert AuditEvent.objects.count() == before
    assert world()["meetings"] == []
