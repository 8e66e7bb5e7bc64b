"""Who must NOT see or do what with a classified meeting (SPEC §1, §4, §9).

- A meeting exists only for its managers (organiser, 保密办) and attendees, each cleared for its
  level; for everyone else every page answers 404 and every list leaves it out.
- The three administrators see no meeting at all.
- Nobody below the level is added; a non-manager hands nothing out; the record prints only for
  those who may see the meeting, and a carrier's title only for those who may see the carrier."""
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from meetings import policy, registers as meeting_registers, selectors, services
from meetings.models import Attendee, Handout, Meeting
from notifications.models import Notification
from personnel import services as personnel_services
from secrecy.errors import NotVisible, PolicyDenied, ValidationFailed

from .helpers import assert_refused, attendee_of, give, world

ADMINS = ["sysadmin", "secadmin", "auditor"]


@pytest.fixture
def top_secret_meeting(unit, make_meeting):
    meeting = make_meeting(actor=unit.zhuren, level=4, name="绝密专题会")
    services.attendee_add(actor=unit.zhuren, meeting=meeting, user=unit.mishu)
    return meeting


def post_urls(meeting, attendee_pk=1, handout_pk=1):
    return [
        reverse("meetings:attendee_add", args=[meeting.pk]),
        reverse("meetings:sign_in", args=[meeting.pk, attendee_pk]),
        reverse("meetings:open", args=[meeting.pk]),
        reverse("meetings:close", args=[meeting.pk]),
        reverse("meetings:cancel", args=[meeting.pk]),
        reverse("meetings:handout_give", args=[meeting.pk]),
        reverse("meetings:handout_recover", args=[meeting.pk, handout_pk]),
        reverse("meetings:handout_lost", args=[meeting.pk, handout_pk]),
        reverse("meetings:record", args=[meeting.pk]),
    ]


@pytest.mark.parametrize("who", ["zhangsan", "wangwu", "zhuren"] + ADMINS)
def test_outsiders_get_404_everywhere_and_nothing_changes(client, unit, running_meeting, carrier_at, who):
    """zhangsan/wangwu are not cleared; zhuren is cleared 核心 but neither manages nor attends (no
    need to know); the administrators never see content."""
    handout = give(unit, running_meeting, carrier_at(3), unit.lisi)
    client.force_login(unit[who])
    assert client.get(running_meeting.get_absolute_url()).status_code == 404
    assert client.get(reverse("meetings:edit", args=[running_meeting.pk])).status_code == 404
    assert client.get(reverse("meetings:copy_request", args=[running_meeting.pk])).status_code == 404
    before = world()
    for url in post_urls(running_meeting, attendee_of(running_meeting, unit.baomi).pk, handout.pk):
        assert client.post(url, {"reason": "x", "note": "x", "format": "pdf"}).status_code == 404, url
    assert world() == before
    listing = client.get(reverse("meetings:list"))
    assert running_meeting.name not in listing.content.decode()
    assert not selectors.meetings_visible_to(user=unit[who]).exists()


@pytest.mark.parametrize("who", ADMINS)
def test_administrators_see_no_meeting_even_with_a_business_department(unit, running_meeting, who):
    assert not selectors.meetings_visible_to(user=unit[who]).exists()
    with pytest.raises(NotVisible):
        selectors.meeting_get_for_user(user=unit[who], pk=running_meeting.pk)
    assert not policy.may_create(unit[who]) and not policy.manages(unit[who], running_meeting)


def test_secrecy_office_sees_what_its_clearance_allows(unit, running_meeting, top_secret_meeting):
    visible = set(selectors.meetings_visible_to(user=unit.baomi).values_list("pk", flat=True))
    # baomi is 重要 (机密): every 机密 meeting, not the 绝密 one.
    assert running_meeting.pk in visible and top_secret_meeting.pk not in visible
    with pytest.raises(NotVisible):
        services.attendee_add(actor=unit.baomi, meeting=top_secret_meeting, user=unit.zhuren)


def test_an_attendee_whose_clearance_lapsed_no_longer_sees_the_meeting(client, unit, running_meeting):
    client.force_login(unit.lisi)
    assert client.get(running_meeting.get_absolute_url()).status_code == 200
    personnel_services.person_save(actor=None, user=unit.lisi, review_passed=False)
    assert client.get(running_meeting.get_absolute_url()).status_code == 404


def test_the_list_is_one_query(unit, running_meeting, django_assert_num_queries):
    user = type(unit.lisi).objects.get(pk=unit.lisi.pk)
    user.person  # noqa: B018 — the clearance lookup is the policy's, not the list's
    from personnel.policy import roles_of

    roles_of(user)
    with django_assert_num_queries(1):
        rows = list(selectors.meetings_visible_to(user=user))
    assert [r.pk for r in rows] == [running_meeting.pk]


def test_nobody_below_the_level_is_added_even_by_a_crafted_post(client, unit, running_meeting):
    client.force_login(unit.mishu)
    before = world()
    for who in ("zhangsan", "wangwu", "auditor"):
        response = client.post(reverse("meetings:attendee_add", args=[running_meeting.pk]),
                               {"user": unit[who].pk, "role": "participant"})
        assert response.status_code == 400
    assert world() == before
    assert not Attendee.objects.filter(user__in=[unit.zhangsan, unit.wangwu, unit.auditor]).exists()


def test_an_attendee_cannot_hand_out_recover_close_or_add(client, unit, running_meeting, carrier_at):
    carrier = carrier_at(3, scope_users=[unit.lisi])
    handout = give(unit, running_meeting, carrier_at(3), unit.lingdao)
    client.force_login(unit.lisi)
    before = world()
    response = client.post(reverse("meetings:handout_give", args=[running_meeting.pk]), {
        "serial": carrier.serial, "attendee": attendee_of(running_meeting, unit.lisi).pk, "disposition": "recover"})
    assert response.status_code == 400 and "只有涉密等级不低于会议密级的会议组织者或保密办可以分发文件" in \
        response.content.decode()
    client.post(reverse("meetings:handout_recover", args=[running_meeting.pk, handout.pk]))
    client.post(reverse("meetings:handout_lost", args=[running_meeting.pk, handout.pk]),
                {f"lost-{handout.pk}-note": "x"})
    client.post(reverse("meetings:close", args=[running_meeting.pk]))
    client.post(reverse("meetings:sign_in", args=[running_meeting.pk, attendee_of(running_meeting, unit.baomi).pk]))
    assert world() == before
    assert_refused(lambda: services.handout_give(actor=unit.lisi, meeting=running_meeting, serial=carrier.serial,
                                                 attendee=attendee_of(running_meeting, unit.lisi)), PolicyDenied)


def test_an_organiser_who_lost_clearance_manages_nothing(unit, running_meeting, carrier_at):
    personnel_services.person_save(actor=None, user=unit.mishu, person_class="general")
    mishu = type(unit.mishu).objects.get(pk=unit.mishu.pk)
    assert not policy.manages(mishu, running_meeting)
    assert_refused(lambda: services.meeting_close(actor=mishu, meeting=running_meeting), NotVisible)


def test_a_top_secret_meeting_is_invisible_to_a_meeting_manager_cleared_lower(unit, top_secret_meeting):
    for who in ("baomi", "lingdao", "lisi"):
        with pytest.raises(NotVisible):
            selectors.meeting_get_for_user(user=unit[who], pk=top_secret_meeting.pk)
    assert selectors.meeting_get_for_user(user=unit.mishu, pk=top_secret_meeting.pk)


def test_the_record_is_not_printed_for_someone_who_may_not_see_the_meeting(client, unit, running_meeting, tmp_path):
    with pytest.raises(NotVisible):
        meeting_registers.meeting_record(user=unit.zhangsan, filters={"meeting": str(running_meeting.pk)})
    with pytest.raises(NotVisible):
        meeting_registers.meeting_record(user=unit.zhuren, filters={"meeting": str(running_meeting.pk)})
    client.force_login(unit.zhuren)
    response = client.post(reverse("registers:download"),
                           {"register": "meeting", "format": "pdf", "meeting": str(running_meeting.pk)})
    assert response.status_code == 404  # a meeting one may not see does not exist (issue 11 §7)
    with pytest.raises(CommandError):
        call_command("register", "meeting", "--meeting", str(running_meeting.pk), "--as", "zhangsan",
                     "-o", str(tmp_path / "x.pdf"))
    with pytest.raises(ValidationFailed):
        meeting_registers.meeting_record(user=unit.mishu, filters={})


def test_notices_name_the_meeting_by_reference_only(unit, running_meeting):
    for notice in Notification.objects.filter(kind=services.NOTICE_KIND_ATTENDEE):
        assert running_meeting.name not in notice.title + notice.body
        assert running_meeting.venue not in notice.title + notice.body
        assert running_meeting.content not in notice.title + notice.body
        assert running_meeting.reference in notice.title


def test_admin_lists_only_visible_meetings(client, unit, running_meeting):
    unit.mishu.is_staff = True
    unit.mishu.save()
    client.force_login(unit.mishu)
    # mishu has no Django model permissions: the admin offers nothing; the read-only admin
    # never allows changes either way.
    from django.contrib.admin import site

    from meetings.admin import HandoutAdmin, MeetingAdmin

    assert not MeetingAdmin(Meeting, site).has_change_permission(None)
    assert not HandoutAdmin(Handout, site).has_delete_permission(None)

    class Request:
        user = unit.zhangsan

    assert not MeetingAdmin(Meeting, site).get_queryset(Request()).exists()
    Request.user = unit.lisi
    assert MeetingAdmin(Meeting, site).get_queryset(Request()).count() == 1
