"""Several workers delivering the outbox at the same moment send every e-mail exactly once, on
PostgreSQL with real row locks (SELECT … FOR UPDATE SKIP LOCKED): each thread has its own
connection, like separate Celery worker processes, released together by a barrier."""
import threading
from unittest import mock

import pytest
from django.db import connection, connections

from notifications import services
from notifications.models import OutboxEmail

from . import backends
from .helpers import give_addresses

WORKERS = 4
EMAILS = 60

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency tests need PostgreSQL"),
]


def test_concurrent_deliveries_send_each_email_once(unit, settings):
    give_addresses(unit)
    settings.EMAIL_BACKEND = "notifications.tests.backends.SlowBackend"
    backends.sent.clear()
    recipients = [unit.lisi, unit.zhangsan, unit.mishu]
    # Queued while no worker runs (the after-commit kick would deliver them at once here).
    with mock.patch.object(services, "kick_delivery"):
        for i in range(EMAILS // len(recipients)):
            services.notify(recipients, kind="reminder", title=f"提醒{i}", dedupe_key=f"reminder:{i}")
    assert OutboxEmail.objects.filter(sent_at__isnull=True).count() == EMAILS

    barrier = threading.Barrier(WORKERS, timeout=60)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(services.outbox_deliver(batch_size=5))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert sum(r["sent"] for r in results) == EMAILS
    assert len(backends.sent) == EMAILS, "every e-mail went out exactly once"
    assert sum(1 for r in results if r["sent"]) > 1, "the workers shared the work (skip locked, not waiting)"
    assert set(OutboxEmail.objects.values_list("attempts", flat=True)) == {1}
    assert not OutboxEmail.objects.filter(sent_at__isnull=True).exists()
