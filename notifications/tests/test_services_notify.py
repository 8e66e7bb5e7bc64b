"""notify(): rows in the caller's transaction, e-mails queued without any classified content, and
marking read only by the recipient."""
import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from audits.models import AuditEvent
from notifications import services
from notifications.models import Notification, OutboxEmail
from secrecy.errors import NotVisible

from .helpers import give_addresses

CLASSIFIED_TITLE = "关于某型装备部署方案的请示"


@pytest.fixture
def people(unit):
    give_addresses(unit)
    return unit


def test_notify_creates_one_notice_and_one_queued_email_per_recipient(people):
    made = services.notify([people.lisi, people.zhangsan.pk, people.lisi], kind="loan_overdue",
                           title="借阅逾期提醒：借阅申请第12号", body="已逾期 3 天", link="/approvals/12/", level=3)

    assert len(made) == 2, "a recipient named twice is notified once"
    rows = Notification.objects.order_by("recipient_id")
    assert [(n.recipient_id, n.kind, n.level, n.link, n.read_at) for n in rows] == [
        (people.lisi.pk, "loan_overdue", 3, "/approvals/12/", None),
        (people.zhangsan.pk, "loan_overdue", 3, "/approvals/12/", None),
    ]
    mails = OutboxEmail.objects.order_by("to_address")
    assert [(m.to_address, m.sent_at, m.attempts) for m in mails] == [
        ("lisi@unit.example", None, 0), ("zhangsan@unit.example", None, 0)]


def test_the_email_says_only_that_something_waits_and_where(people):
    services.notify([people.lisi], kind="loan_overdue", title=f"借阅逾期：{CLASSIFIED_TITLE}",
                    body=f"《{CLASSIFIED_TITLE}》应于3月1日归还", link="/approvals/12/", level=4)

    mail = OutboxEmail.objects.get()
    text = mail.subject + mail.body
    assert CLASSIFIED_TITLE not in text
    for word in ("绝密", "机密", "秘密", "3月1日", "借阅"):
        assert word not in text, f"{word!r} must not leave the system by e-mail"
    assert "请登录系统查看" in mail.body
    assert "http://127.0.0.1:8000/approvals/12/" in mail.body
    # The inbox keeps the full text for the recipient.
    assert CLASSIFIED_TITLE in Notification.objects.get().title


def test_a_dedupe_key_notifies_each_recipient_once(people):
    for _ in range(3):
        services.notify([people.lisi, people.mishu], kind="reminder", title="提醒", dedupe_key="reminder:7:2026-03-01")
    services.notify([people.lisi], kind="reminder", title="提醒", dedupe_key="reminder:7:2026-03-02")

    assert Notification.objects.filter(recipient=people.lisi).count() == 2
    assert Notification.objects.filter(recipient=people.mishu).count() == 1
    assert OutboxEmail.objects.count() == 3


def test_inactive_accounts_get_nothing_and_accounts_without_address_get_the_inbox_only(people):
    get_user_model().objects.filter(pk=people.zhangsan.pk).update(is_active=False)
    get_user_model().objects.filter(pk=people.lisi.pk).update(email="")

    services.notify([people.zhangsan, people.lisi], kind="reminder", title="提醒")

    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [people.lisi.pk]
    assert not OutboxEmail.objects.exists()


def test_email_false_writes_the_inbox_only(people):
    services.notify([people.lisi], kind="reminder", title="提醒", email=False)
    assert Notification.objects.count() == 1 and not OutboxEmail.objects.exists()


@pytest.mark.parametrize("link", ["http://evil.example/", "//evil.example/x", "approvals/1/"])
def test_links_must_be_paths_inside_the_system(people, link):
    with pytest.raises(ValueError):
        services.notify([people.lisi], kind="reminder", title="提醒", link=link)


def test_a_rolled_back_action_notifies_nobody(people):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.notify([people.lisi], kind="reminder", title="提醒")
            raise RuntimeError("the business action failed")
    assert not Notification.objects.exists() and not OutboxEmail.objects.exists()


def test_the_recipient_marks_read_once_and_it_is_audited(people):
    notice = services.notify([people.lisi], kind="reminder", title="提醒", level=3)[0]
    notice = Notification.objects.get()

    services.notification_mark_read(actor=people.lisi, notification=notice)
    first = Notification.objects.get().read_at
    services.notification_mark_read(actor=people.lisi, notification=notice)

    assert first is not None and Notification.objects.get().read_at == first
    events = AuditEvent.objects.filter(action="notification.read")
    assert [(e.actor_id, e.target_id, e.level) for e in events] == [(people.lisi.pk, notice.pk, 3)]
    assert Notification.objects.count() == 1, "nothing is ever deleted"


@pytest.mark.parametrize("name", ["zhangsan", "mishu", "auditor", "sysadmin"])
def test_nobody_else_may_mark_it_read(people, name):
    services.notify([people.lisi], kind="reminder", title="提醒")
    notice = Notification.objects.get()

    with pytest.raises(NotVisible):
        services.notification_mark_read(actor=people[name], notification=notice)
    assert Notification.objects.get().read_at is None
    assert not AuditEvent.objects.filter(action__startswith="notification.").exists()


def test_mark_all_read_touches_only_the_actors_unread_notices(people):
    services.notify([people.lisi, people.zhangsan], kind="a", title="一", level=2)
    services.notify([people.lisi], kind="b", title="二", level=3)

    assert services.notification_mark_all_read(actor=people.lisi) == 2
    assert services.notification_mark_all_read(actor=people.lisi) == 0

    assert not Notification.objects.filter(recipient=people.lisi, read_at__isnull=True).exists()
    assert Notification.objects.get(recipient=people.zhangsan).read_at is None
    event = AuditEvent.objects.get(action="notification.read_all")
    assert (event.actor_id, event.level, event.detail["count"]) == (people.lisi.pk, 3, 2)
