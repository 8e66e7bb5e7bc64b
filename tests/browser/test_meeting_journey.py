"""A classified meeting end to end in real Chromium (SPEC §9): the organiser (mishu, the 机要秘书 who
also answers for the carriers) registers a 机密 meeting through the form with its checklist ticked,
adds three attendees cleared for 机密, opens it, records their sign-in, hands out three numbered
copies (会后收回), is refused when closing with copies out, recovers two, reports one lost, closes,
and downloads the 涉密会议保密管理记录 whose text shows 共印 3 份 and 回收 2 份."""
import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from documents.models import Carrier, CustodyStatus
from meetings.models import Meeting, MeetingState
from tests.browser.menu import nav_click
from tests.browser.people_picker import pick_person
from tests.browser.session import login, watch_errors

pytestmark = pytest.mark.browser

NAME = "第四季度保密工作部署会"


def test_organiser_runs_a_secret_meeting_from_checklist_to_record(
        live_server, unit, register_carrier, new_page, screenshot):
    carriers = [register_carrier(level=3, title=f"会议材料第{n}份", copy_number=n) for n in (1, 2, 3)]
    base = live_server.url
    errors = []
    page = new_page()
    watch_errors(page, errors)
    login(page, base, "mishu")

    # Register the meeting through the form, checklist ticked.
    nav_click(page, "#nav-meetings")
    page.wait_for_url(f"{base}/meetings/")
    page.click("#new-meeting")
    start = (timezone.localtime() + dt.timedelta(days=1)).replace(hour=9, minute=0)
    page.fill("[name=name]", NAME)
    page.select_option("[name=level]", "3")
    page.fill("[name=starts_at]", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("[name=ends_at]", (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("[name=venue]", "机关三楼保密会议室")
    page.select_option("[name=department]", str(unit.business.pk))
    page.fill("[name=content]", "通报保密检查情况，部署第四季度保密工作")
    page.fill("[name=broadcast_scope]", "传达至处级以上干部")
    for box in ("phones_banned", "signal_shielding", "venue_checked", "discipline_announced"):
        page.check(f"[name={box}]")
    screenshot(page, "meeting_form", full_page=True)
    page.click("#meeting-submit")
    page.wait_for_url(re.compile(r".*/meetings/\d+/$"))
    detail_url = page.url
    assert "已登记" in page.locator(".messages").inner_text()
    assert page.locator(".level-banner").inner_text() == "本页最高密级：机密"
    assert page.locator("#checklist-table").inner_text().count("是") == 4

    # Three attendees cleared for 机密.
    for username in ("lisi", "lingdao", "baomi"):
        pick_person(page.locator("#attendee-form"), "user", username)
        page.click("#add-attendee")
        page.wait_for_url(detail_url)
        assert "已添加参会人员" in page.locator(".messages").inner_text()
    assert page.locator("#attendee-table tbody tr").count() == 3
    # zhangsan (一般) is not offered.
    assert "zhangsan" not in page.locator("#attendee-form [name=user]").text_content()

    page.click("#open-meeting")
    page.wait_for_url(detail_url)
    assert "会议已开始" in page.locator(".messages").inner_text()
    assert page.locator("#meeting-state").inner_text() == "进行中"

    # Sign-in: the organiser checks each identity.
    for _ in range(3):
        page.locator("#attendee-table button.sign-in").first.click()
        page.wait_for_url(re.compile(re.escape(detail_url) + r"(#attendees)?$"))
    assert page.locator("#attendee-table").inner_text().count("mishu核实") == 3
    assert page.locator("#attendee-table button.sign-in").count() == 0

    # Three numbered copies, 会后收回.
    for carrier, username in zip(carriers, ("lisi", "lingdao", "baomi")):
        page.fill("#handout-form [name=serial]", carrier.serial)
        page.select_option("#handout-form [name=attendee]", label=username)
        page.check("#handout-form [name=disposition][value=recover]")
        page.click("#give-handout")
        page.wait_for_url(detail_url)
        assert "已分发并登记" in page.locator(".messages").inner_text()
    rows = page.locator("#handout-table tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(3)] == ["1", "2", "3"]
    assert "共印 3 份 / 回收 0 份" in page.locator("#handout-counts").inner_text()
    assert all(Carrier.objects.get(pk=c.pk).custody_status == CustodyStatus.AT_MEETING for c in carriers)

    # Closing with copies out is refused, naming them.
    page.click("#close-meeting")
    page.wait_for_url(detail_url)
    refusal = page.locator(".message-error").inner_text()
    assert "尚未收回或报告丢失，不能结束会议" in refusal
    for n, carrier in enumerate(carriers, start=1):
        assert f"第{n}号（{carrier.serial}）" in refusal
    screenshot(page, "meeting_close_refused", full_page=True)

    # Two recovered, one reported lost.
    for number in (1, 2):
        page.locator(f"#handout-{number} .recover-form button").click()
        page.wait_for_url(re.compile(re.escape(detail_url) + r"(#handouts)?$"))
        assert "已收回" in page.locator(".messages").inner_text()
    page.locator("#handout-3 .lost-details summary").click()
    page.locator("#handout-3 .lost-form textarea").fill("散会清点时发现缺少，已查看会场和座位")
    page.locator("#handout-3 .lost-form button").click()
    page.wait_for_url(detail_url)
    assert "已报告丢失" in page.locator(".messages").inner_text()
    assert "共印 3 份 / 回收 2 份" in page.locator("#handout-counts").inner_text()

    page.click("#close-meeting")
    page.wait_for_url(detail_url)
    assert "会议已结束" in page.locator(".messages").inner_text()
    assert page.locator("#meeting-state").inner_text() == "已结束"
    assert Meeting.objects.get().state == MeetingState.CLOSED
    screenshot(page, "meeting_detail_closed", full_page=True)

    with page.expect_download() as download:
        page.click("#record-pdf")
    assert download.value.suggested_filename.endswith(".pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(open(download.value.path(), "rb").read())).pages)
    assert "共印 3 份" in text and "回收 2 份" in text
    for carrier in carriers:
        assert carrier.serial in text
    assert errors == []
