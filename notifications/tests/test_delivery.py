"""The outbox: each e-mail is sent exactly once, failures are retried, and a broker outage while
notifying loses nothing (issue 4, acceptance 5)."""
import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from audits.services import record_event
from audits.tests.event_types import declared
from notifications import services
from notifications.models import Notification, OutboxEmail
from notifications.tasks import deliver_outbox
from secrecy.celery import app as celery_app

from .helpers import give_addresses


@pytest.fixture
def people(unit):
    give_addresses(unit)
    return unit


def queue_three(people):
    services.notify([people.lisi, people.zhangsan, people.mishu], kind="reminder", title="提醒", link="/approvals/1/")


def test_delivery_sends_each_email_once_however_often_it_runs(people):
    queue_three(people)

    assert services.outbox_deliver() == {"sent": 3, "failed": 0}
    assert services.outbox_deliver() == {"sent": 0, "failed": 0}
    deliver_outbox.delay().get()  # the task, as beat and the on-commit kick call it

    assert sorted(m.to[0] for m in mail.outbox) == ["lisi@unit.example", "mishu@unit.example", "zhangsan@unit.example"]
    assert all(row.sent_at and row.attempts == 1 for row in OutboxEmail.objects.all())


def test_delivery_goes_in_batches_until_nothing_is_due(people, settings):
    settings.SECRECY = {**settings.SECRECY, "OUTBOX_BATCH_SIZE": 2}
    queue_three(people)
    services.notify([people.lingdao, people.baomi], kind="reminder", title="提醒")

    assert services.outbox_deliver() == {"sent": 5, "failed": 0}
    assert len(mail.outbox) == 5


def test_the_commit_kicks_delivery(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queue_three(people)
    assert len(callbacks) == 1, "one kick per transaction, not one per e-mail"
    assert len(mail.outbox) == 3
    assert not OutboxEmail.objects.filter(sent_at__isnull=True).exists()


def test_a_failed_email_is_retried_later_and_then_sent_once(people):
    queue_three(people)
    real_send = mail.EmailMessage.send

    def flaky(message, *args, **kwargs):
        if message.to == ["zhangsan@unit.example"]:
            raise OSError("mailbox unavailable")
        return real_send(message, *args, **kwargs)

    with mock.patch.object(mail.EmailMessage, "send", flaky):
        assert services.outbox_deliver() == {"sent": 2, "failed": 1}
    failed = OutboxEmail.objects.get(to_address="zhangsan@unit.example")
    assert failed.sent_at is None and failed.attempts == 1 and "mailbox unavailable" in failed.last_error
    assert failed.next_attempt_at > timezone.now(), "the next try waits a little"

    assert services.outbox_deliver() == {"sent": 0, "failed": 0}, "not retried before its time"
    OutboxEmail.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert services.outbox_deliver() == {"sent": 1, "failed": 0}
    failed.refresh_from_db()
    assert failed.sent_at and failed.attempts == 2
    assert sorted(m.to[0] for m in mail.outbox).count("zhangsan@unit.example") == 1


def test_a_mail_server_that_is_down_leaves_every_row_waiting(people, settings):
    queue_three(people)
    settings.EMAIL_BACKEND = "notifications.tests.backends.DownBackend"
    assert services.outbox_deliver() == {"sent": 0, "failed": 3}
    assert set(OutboxEmail.objects.values_list("attempts", flat=True)) == {1}
    assert all("mail server down" in e for e in OutboxEmail.objects.values_list("last_error", flat=True))


def test_an_email_that_failed_too_often_is_left_with_its_error(people, settings):
    queue_three(people)
    OutboxEmail.objects.filter(to_address="lisi@unit.example").update(
        attempts=settings.SECRECY["OUTBOX_MAX_ATTEMPTS"], last_error="550 no such user")
    assert services.outbox_deliver() == {"sent": 2, "failed": 0}
    assert OutboxEmail.objects.get(to_address="lisi@unit.example").sent_at is None


# ------------------------------------------------------------------------------ broker outage


def business_action(people):
    """A business transaction that notifies: its own write (an audit event) plus the notice."""
    with transaction.atomic():
        record_event(actor=people.mishu, event=declared("test.business_action"))
        services.notify([people.lisi, people.zhangsan], kind="reminder", title="提醒", link="/approvals/9/")


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_action_commits_and_the_next_run_delivers_once(people):
    with mock.patch.object(deliver_outbox, "delay", side_effect=OperationalError("Error 111 connecting")) as kick:
        business_action(people)  # no exception reaches the caller

    assert kick.call_count == 1, "the kick was tried after commit"
    assert Notification.objects.count() == 2 and OutboxEmail.objects.filter(sent_at__isnull=True).count() == 2
    assert mail.outbox == []

    # The broker is back: the periodic run sends the rows, once.
    deliver_outbox.delay().get()
    deliver_outbox.delay().get()
    assert sorted(m.to[0] for m in mail.outbox) == ["lisi@unit.example", "zhangsan@unit.example"]


@pytest.mark.django_db(transaction=True)
def test_with_an_unreachable_redis_broker_notifying_still_succeeds(people, settings, monkeypatch, caplog):
    # A real publish to a Redis that is not there: nothing listens on port 1.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
    settings.CELERY_BROKER_CONNECTION_TIMEOUT = 1
    # Celery keeps its connection pools once made; start from none so the URL above is used.
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    with pytest.raises(OperationalError):
        deliver_outbox.delay()  # the broker really is unreachable

    business_action(people)

    assert "outbox delivery could not be queued" in caplog.text
    assert OutboxEmail.objects.filter(sent_at__isnull=True).count() == 2
    assert services.outbox_deliver() == {"sent": 2, "failed": 0}
    assert services.outbox_deliver() == {"sent": 0, "failed": 0}
    assert len(mail.outbox) == 2
