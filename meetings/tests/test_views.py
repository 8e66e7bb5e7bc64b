"""The meeting screens: pages render, forms show the services' refusals next to their fields, the
buttons follow the state and the user, the navigation entry appears for those it concerns."""
import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Attendee, Disposition, Handout, Meeting, MeetingState

from .helpers import attendee_of, give


def login(client, user):
    client.force_login(user)
    return client


def messages_text(response):
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def field_errors(response, name):
    match = re.search(rf'id="errors-{re.escape(name)}">(.*?)</div>', response.content.decode(), re.S)
    return match.group(1) if match else ""


def create_post(unit, **overrides):
    start = (timezone.localtime() + dt.timedelta(days=2)).replace(hour=9, minute=0)
    data = {
        "name": "第三季度保密工作会议", "level": "3", "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "venue": "三楼保密会议室",
        "department": str(unit.business.pk), "content": "通报保密检查情况", "broadcast_scope": "",
        "phones_banned": "on", "signal_shielding": "on", "venue_checked": "on", "discipline_announced": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_create_through_the_form(client, unit):
    login(client, unit.baomi)
    page = client.get(reverse("meetings:create"))
    assert page.status_code == 200
    assert 'name="phones_banned"' in page.content.decode()
    # baomi (重要) is offered the levels up to 机密 only.
    assert '<option value="4"' not in page.content.decode() and '<option value="3"' in page.content.decode()
    response = client.post(reverse("meetings:create"), create_post(unit))
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response.url == meeting.get_absolute_url()
    assert meeting.organiser == unit.baomi and meeting.phones_banned and meeting.venue_checked
    assert not meeting.recording_approved


def test_create_form_shows_errors_next_to_the_fields(client, unit):
    login(client, unit.mishu)
    start = timezone.localtime() + dt.timedelta(days=2)
    response = client.post(reverse("meetings:create"), create_post(
        unit, name="", ends_at=(start - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        starts_at=start.strftime("%Y-%m-%dT%H:%M"), recording_approved="on", recording_note=""))
    assert response.status_code == 400
    assert "结束时间须晚于开始时间" in field_errors(response, "ends_at")
    assert field_errors(response, "name")
    assert Meeting.objects.count() == 0
    # Form-level required fields first; the service's own rules once the form parses.
    response = client.post(reverse("meetings:create"), create_post(unit, recording_approved="on", recording_note=""))
    assert response.status_code == 400
    assert "须写明批准人和负责人" in field_errors(response, "recording_note")
    response = client.post(reverse("meetings:create"), create_post(
        unit, ends_at=(start - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        starts_at=start.strftime("%Y-%m-%dT%H:%M")))
    assert "结束时间须晚于开始时间" in field_errors(response, "ends_at")
    assert Meeting.objects.count() == 0


def test_the_create_page_does_not_exist_for_readers(client, unit):
    login(client, unit.lisi)
    assert client.get(reverse("meetings:create")).status_code == 404
    assert client.post(reverse("meetings:create"), create_post(unit)).status_code == 404


def test_list_and_detail_render_for_the_organiser(client, unit, running_meeting):
    login(client, unit.mishu)
    listing = client.get(reverse("meetings:list"))
    assert listing.status_code == 200 and running_meeting.name in listing.content.decode()
    assert 'class="level-banner lv-3"' in listing.content.decode()
    page = client.get(running_meeting.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    for marker in ('id="attendee-table"', 'id="handout-form"', 'id="close-meeting"', 'id="record-pdf"',
                   'id="copy-request-form"', "本页最高密级"):
        assert marker in html, marker
    assert 'id="open-meeting"' not in html and 'id="cancel-meeting"' not in html


def test_an_attendee_sees_the_page_without_the_managers_buttons(client, unit, running_meeting, carrier_at):
    give(unit, running_meeting, carrier_at(3, title="甲文件"), unit.lingdao)
    login(client, unit.lisi)
    html = client.get(running_meeting.get_absolute_url()).content.decode()
    for marker in ('id="handout-form"', 'id="close-meeting"', 'id="attendee-form"', "报告丢失</summary>",
                   'id="copy-request-form"'):
        assert marker not in html, marker
    # The copy lingdao holds: its serial is on the record, its title is not lisi's to see.
    assert "（无权查看标题）" in html and "甲文件" not in html
    assert 'id="record-pdf"' in html


def test_attendee_form_refuses_someone_not_cleared_next_to_the_field(client, unit, make_meeting):
    meeting = make_meeting()
    login(client, unit.mishu)
    page = client.get(meeting.get_absolute_url()).content.decode()
    # The picker lists the cleared only.
    picker = re.search(r'<select name="user".*?</select>', page, re.S).group(0)
    assert "lisi" in picker and "zhangsan" not in picker and "wangwu" not in picker and "secadmin" not in picker
    response = client.post(reverse("meetings:attendee_add", args=[meeting.pk]),
                           {"user": unit.zhangsan.pk, "role": "participant"})
    assert response.status_code == 400
    assert "zhangsan的涉密等级不足以参加机密级会议" in field_errors(response, "user")
    assert Attendee.objects.count() == 0
    response = client.post(reverse("meetings:attendee_add", args=[meeting.pk]),
                           {"user": unit.lisi.pk, "role": "participant"})
    assert response.status_code == 302 and Attendee.objects.get().user == unit.lisi


def test_sign_in_buttons(client, unit, running_meeting):
    baomi_row = attendee_of(running_meeting, unit.baomi)
    login(client, unit.baomi)
    html = client.get(running_meeting.get_absolute_url()).content.decode()
    assert "本人签到" in html
    response = client.post(reverse("meetings:sign_in", args=[running_meeting.pk, baomi_row.pk]), follow=True)
    assert "已签到" in messages_text(response)
    baomi_row.refresh_from_db()
    assert baomi_row.signed_in_recorded_by == unit.baomi


def test_handout_form_errors_show_next_to_the_serial(client, unit, running_meeting, carrier_at):
    top = carrier_at(4)
    login(client, unit.mishu)
    url = reverse("meetings:handout_give", args=[running_meeting.pk])
    lisi = attendee_of(running_meeting, unit.lisi)
    response = client.post(url, {"serial": top.serial, "attendee": lisi.pk, "disposition": "recover"})
    assert response.status_code == 400
    assert "高于会议密级" in field_errors(response, "serial")
    response = client.post(url, {"serial": "", "attendee": lisi.pk, "disposition": "recover"})
    assert response.status_code == 400 and field_errors(response, "serial")
    carrier = carrier_at(3)
    response = client.post(url, {"serial": carrier.serial, "attendee": lisi.pk, "disposition": "keep"})
    assert response.status_code == 302
    handout = Handout.objects.get()
    assert handout.disposition == Disposition.KEEP and handout.number == 1


def test_report_lost_needs_a_note_shown_in_its_row(client, unit, running_meeting, carrier_at):
    handout = give(unit, running_meeting, carrier_at(3), unit.lisi)
    login(client, unit.mishu)
    url = reverse("meetings:handout_lost", args=[running_meeting.pk, handout.pk])
    response = client.post(url, {f"lost-{handout.pk}-note": ""})
    assert response.status_code == 400
    assert "必填" in field_errors(response, f"lost-{handout.pk}-note")
    assert "<details class=\"inline-form lost-details\" open>" in response.content.decode()
    response = client.post(url, {f"lost-{handout.pk}-note": "会后清点发现缺失"}, follow=True)
    assert "已报告丢失" in messages_text(response)
    handout.refresh_from_db()
    assert handout.lost_reported_at is not None


def test_close_refused_then_allowed(client, unit, running_meeting, carrier_at):
    carrier = carrier_at(3)
    handout = give(unit, running_meeting, carrier, unit.lisi)
    login(client, unit.mishu)
    response = client.post(reverse("meetings:close", args=[running_meeting.pk]), follow=True)
    assert f"第1号（{carrier.serial}）" in messages_text(response)
    assert Meeting.objects.get().state == MeetingState.IN_PROGRESS
    response = client.post(reverse("meetings:handout_recover", args=[running_meeting.pk, handout.pk]), follow=True)
    assert "已收回" in messages_text(response)
    response = client.post(reverse("meetings:close", args=[running_meeting.pk]), follow=True)
    assert "会议已结束" in messages_text(response)
    assert Meeting.objects.get().state == MeetingState.CLOSED


def test_open_and_cancel_buttons_while_planning(client, unit, make_meeting):
    meeting = make_meeting()
    services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi)
    login(client, unit.mishu)
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert 'id="open-meeting"' in html and 'id="cancel-meeting"' in html and 'id="close-meeting"' not in html
    response = client.post(reverse("meetings:cancel", args=[meeting.pk]), {"reason": ""})
    assert response.status_code == 400 and "必填" in field_errors(response, "reason")
    assert Meeting.objects.get().state == MeetingState.PLANNING
    response = client.post(reverse("meetings:open", args=[meeting.pk]), follow=True)
    assert "会议已开始" in messages_text(response)


def test_edit_form_ticks_the_checklist(client, unit, make_meeting):
    meeting = make_meeting(phones_banned=False)
    login(client, unit.mishu)
    page = client.get(reverse("meetings:edit", args=[meeting.pk]))
    assert page.status_code == 200
    assert "机密级会议开始前须落实：手机禁止带入" in client.get(meeting.get_absolute_url()).content.decode()
    data = {
        "name": meeting.name, "level": "3",
        "starts_at": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": timezone.localtime(meeting.ends_at).strftime("%Y-%m-%dT%H:%M"), "venue": meeting.venue,
        "department": str(meeting.department_id), "content": meeting.content, "phones_banned": "on",
        "signal_shielding": "on", "venue_checked": "on",
    }
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.phones_banned and not meeting.discipline_announced


def test_copy_request_link_opens_the_copy_approval_form(client, unit, running_meeting, carrier_at):
    carrier = carrier_at(3)
    login(client, unit.mishu)
    response = client.get(reverse("meetings:copy_request", args=[running_meeting.pk]), {"serial": carrier.serial})
    assert response.status_code == 302 and response.url == reverse("approvals:copy_request", args=[carrier.pk])
    response = client.get(reverse("meetings:copy_request", args=[running_meeting.pk]), {"serial": "2000-000001"},
                          follow=True)
    assert "未找到统一编号" in messages_text(response)


@pytest.mark.parametrize("who,shown", [
    ("mishu", True), ("baomi", True), ("lingdao", True), ("zhuren", True),
    ("lisi", False), ("zhangsan", False), ("sysadmin", False), ("auditor", False),
])
def test_navigation_entry(client, unit, who, shown):
    login(client, unit[who])
    html = client.get(reverse("home")).content.decode()
    assert ('id="nav-meetings"' in html) is shown


def test_navigation_entry_for_an_attendee_of_an_open_meeting(client, unit, make_meeting):
    meeting = make_meeting()
    services.attendee_add(actor=unit.mishu, meeting=meeting, user=unit.lisi)
    login(client, unit.lisi)
    assert 'id="nav-meetings"' in client.get(reverse("home")).content.decode()
    services.meeting_cancel(actor=unit.mishu, meeting=meeting, reason="改期")
    assert 'id="nav-meetings"' not in client.get(reverse("home")).content.decode()


def test_pages_carry_no_inline_script(client, unit, running_meeting):
    login(client, unit.mishu)
    for url in (reverse("meetings:list"), reverse("meetings:create"), running_meeting.get_absolute_url()):
        html = client.get(url).content.decode()
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, url
        assert " onclick=" not in html and " style=" not in html
