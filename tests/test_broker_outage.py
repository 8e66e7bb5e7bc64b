"""Issue 4, acceptance 5: with the Celery broker unreachable, registering, approving and notifying
still succeed and lose nothing; once it is back the outbox is delivered exactly once."""
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from kombu.exceptions import OperationalError

from approvals import services as approval_services
from approvals.kinds import reclassify as reclassifying
from documents.models import Carrier, SecrecyStatus
from notifications import services as notifications
from notifications.models import Notification, OutboxEmail
from notifications.tasks import deliver_outbox
from secrecy.celery import app as celery_app


@pytest.mark.django_db(transaction=True)
def test_register_approve_and_notify_with_the_broker_down(unit, register_carrier, settings, monkeypatch, caplog):
    for user in get_user_model().objects.all():
        user.email = f"{user.username}@unit.example"
        user.save(update_fields=["email"])
    # A real publish to a Redis that is not there: nothing listens on port 1.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
    settings.CELERY_BROKER_CONNECTION_TIMEOUT = 1
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    with pytest.raises(OperationalError):
        deliver_outbox.delay()  # the broker really is unreachable

    carrier = register_carrier(level=3, outgoing=True, classifier=unit.zhuren, scope_users=[unit.lisi])
    request = reclassifying.reclassify_request_create(
        actor=unit.mishu, carrier=carrier, change_type="declassify", reason="已公开发布", change_basis="发布公告")
    approval_services.request_decide(actor=unit.zhuren, request=request, approve=True, comment="同意提前解密")

    assert Carrier.objects.get(pk=carrier.pk).secrecy_status == SecrecyStatus.DECLASSIFIED
    notified = set(Notification.objects.filter(kind__startswith="reclassif").values_list("recipient__username",
                                                                                          flat=True))
    assert "lisi" in notified, notified
    waiting = OutboxEmail.objects.filter(sent_at__isnull=True).count()
    assert waiting >= len(notified) and mail.outbox == []
    assert "outbox delivery could not be queued" in caplog.text

    # The broker is back: the periodic delivery sends every row once.
    assert notifications.outbox_deliver() == {"sent": waiting, "failed": 0}
    assert notifications.outbox_deliver() == {"sent": 0, "failed": 0}
    assert len(mail.outbox) == waiting
