"""The inbox (通知) as users meet it: newest first, unread highlighted, the unread count in the
navigation bar, 标为已读 and 全部标为已读 by POST only, and nobody reaches another user's notice."""
import re

import pytest
from django.test import Client
from django.urls import reverse

from audits.models import AuditEvent
from notifications import services
from notifications.models import Notification

INBOX = reverse("notifications:inbox")


def badge(client, user):
    """The number on the 通知 link (0 when there is no badge); None when the link is missing."""
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    found = re.search(r'<a href="/notifications/"[^>]*id="nav-notifications">通知'
                      r'(?:<span class="nav-count"[^>]*>([^<]+)</span>)?</a>', html)
    return None if found is None else (found.group(1) or "0")


def banner_level(html):
    return int(re.search(r'data-page-level="(\d)"', html).group(1))


def notify(user, title, **fields):
    services.notify([user], kind=fields.pop("kind", "reminder"), title=title, **fields)
    return Notification.objects.filter(recipient=user).latest("id")


def test_the_inbox_lists_my_notices_newest_first_with_unread_ones_marked(client, unit):
    old = notify(unit.lisi, "较早的提醒", link="/approvals/1/", level=2)
    new = notify(unit.lisi, "最新的提醒", body="已逾期 3 天", link="/approvals/2/", level=3)
    notify(unit.zhangsan, "别人的提醒")
    services.notification_mark_read(actor=unit.lisi, notification=old)

    client.force_login(unit.lisi)
    html = client.get(INBOX).content.decode()

    assert html.index("最新的提醒") < html.index("较早的提醒")
    assert "别人的提醒" not in html
    assert re.search(rf'<tr id="notification-{new.pk}" class="unread">', html)
    assert re.search(rf'<tr id="notification-{old.pk}" class="read">', html)
    assert 'href="/approvals/2/"' in html and "已逾期 3 天" in html
    assert banner_level(html) == 3, "the banner shows the highest level the notices are about"
    # Only the unread one offers 标为已读.
    assert reverse("notifications:mark_read", args=[new.pk]) in html
    assert reverse("notifications:mark_read", args=[old.pk]) not in html


def test_an_empty_inbox(client, unit):
    client.force_login(unit.zhangsan)
    html = client.get(INBOX).content.decode()
    assert "暂无通知" in html and banner_level(html) == 0
    assert "全部标为已读" not in html


def test_the_navigation_badge_counts_unread_notices(client, unit):
    assert badge(client, unit.lisi) == "0", "the link is there, without a number"
    first = notify(unit.lisi, "一")
    notify(unit.lisi, "二")
    notify(unit.zhangsan, "三")
    assert badge(client, unit.lisi) == "2"
    assert badge(client, unit.zhangsan) == "1"
    services.notification_mark_read(actor=unit.lisi, notification=first)
    assert badge(client, unit.lisi) == "1"


def test_the_badge_stops_counting_at_99(client, unit):
    services.notify_many([services.Message(recipient_id=unit.lisi.pk, kind="r", title=f"提醒{i}")
                          for i in range(120)], email=False)
    assert badge(client, unit.lisi) == "99+"


@pytest.mark.parametrize("name", ["sysadmin", "secadmin", "auditor", "wangwu"])
def test_admin_roles_and_uncleared_readers_have_an_inbox_too(client, unit, name):
    notify(unit[name], "账号安全提醒")
    assert badge(client, unit[name]) == "1"
    assert "账号安全提醒" in client.get(INBOX).content.decode()


def test_marking_one_read_by_post(client, unit):
    notice = notify(unit.lisi, "提醒", level=2)
    client.force_login(unit.lisi)

    assert client.get(reverse("notifications:mark_read", args=[notice.pk])).status_code == 405
    response = client.post(reverse("notifications:mark_read", args=[notice.pk]))

    assert response.status_code == 302 and response["Location"] == INBOX
    assert Notification.objects.get(pk=notice.pk).read_at is not None
    assert AuditEvent.objects.filter(action="notification.read", actor=unit.lisi, target_id=notice.pk).count() == 1
    # It stays in the list, read.
    html = client.get(INBOX).content.decode()
    assert f'id="notification-{notice.pk}" class="read"' in html


def test_marking_read_returns_to_the_same_page_of_the_list(client, unit):
    notice = notify(unit.lisi, "提醒")
    client.force_login(unit.lisi)
    response = client.post(reverse("notifications:mark_read", args=[notice.pk]), {"after": "12345"})
    assert response["Location"] == f"{INBOX}?after=12345"
    response = client.post(reverse("notifications:mark_read", args=[notice.pk]), {"after": "//evil.example"})
    assert response["Location"] == INBOX


@pytest.mark.parametrize("name", ["zhangsan", "mishu", "auditor", "sysadmin"])
def test_someone_elses_notice_is_404(client, unit, name):
    notice = notify(unit.lisi, "提醒")
    client.force_login(unit[name])
    assert client.post(reverse("notifications:mark_read", args=[notice.pk])).status_code == 404
    assert client.post(reverse("notifications:mark_read", args=[notice.pk + 1000])).status_code == 404
    assert Notification.objects.get(pk=notice.pk).read_at is None
    assert f"notification-{notice.pk}" not in client.get(INBOX).content.decode()


def test_mark_all_read(client, unit):
    for i in range(3):
        notify(unit.lisi, f"提醒{i}")
    other = notify(unit.zhangsan, "别人的")
    client.force_login(unit.lisi)
    assert "全部标为已读" in client.get(INBOX).content.decode()

    assert client.get(reverse("notifications:mark_all_read")).status_code == 405
    response = client.post(reverse("notifications:mark_all_read"), follow=True)

    assert "已将 3 条通知标为已读" in response.content.decode()
    assert not Notification.objects.filter(recipient=unit.lisi, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=other.pk).read_at is None
    assert badge(client, unit.lisi) == "0"


def test_the_buttons_need_the_csrf_token(unit):
    notice = notify(unit.lisi, "提醒")
    client = Client(enforce_csrf_checks=True)
    client.force_login(unit.lisi)
    assert client.post(reverse("notifications:mark_read", args=[notice.pk])).status_code == 403
    assert client.post(reverse("notifications:mark_all_read")).status_code == 403
    assert Notification.objects.get(pk=notice.pk).read_at is None
    html = client.get(INBOX).content.decode()
    assert html.count('name="csrfmiddlewaretoken"') >= 3  # logout, 全部标为已读, 标为已读


def test_signed_out_visitors_are_sent_to_login(client, unit):
    response = client.get(INBOX)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.post(reverse("notifications:mark_all_read")).status_code == 302


def test_the_inbox_has_no_inline_script_or_style(client, unit):
    notify(unit.lisi, "提醒", link="/approvals/1/")
    client.force_login(unit.lisi)
    html = client.get(INBOX).content.decode()
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    assert "/static/notifications/notifications.css" in html


def test_the_inbox_pages_with_a_cursor(client, unit, settings):
    settings.SECRECY = {**settings.SECRECY, "LIST_PAGE_SIZE": 2}
    made = [notify(unit.lisi, f"第{i}条") for i in range(5)]
    client.force_login(unit.lisi)
    first = client.get(INBOX).content.decode()
    assert "第4条" in first and "第3条" in first and "第2条" not in first
    second = client.get(INBOX, {"after": made[3].pk}).content.decode()
    assert "第2条" in second and "第1条" in second and "第4条" not in second
