"""Race-freedom on PostgreSQL (SPEC §3 统一编号 gapless and race-free; SPEC §10 hash chain).

Each thread has its own database connection and its own transaction, exactly like concurrent
web requests; a Barrier releases them together so they really contend for the same rows.
"""
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.utils import timezone

from audits.models import AuditEvent
from audits.chain import event_hash, event_payload
from audits.services import record_event
from audits.tests.event_types import declared
from conftest import carrier_data
from documents import services
from documents.models import Carrier, CustodyEvent, SerialCounter
from personnel.models import Department

THREADS = 20

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency tests need PostgreSQL"),
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_together(work, n=THREADS):
    """Run work(i) in n threads released at once; return (results, errors)."""
    barrier = threading.Barrier(n, timeout=60)
    results, errors = [None] * n, []

    def worker(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 — reported by the test
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results, errors


def test_twenty_registrars_at_once_get_serials_1_to_20_without_gaps_or_duplicates(unit):
    mishu_pk, business_pk = unit.mishu.pk, unit.business.pk
    year = timezone.localdate().year

    def register(i):
        actor = get_user_model().objects.get(pk=mishu_pk)  # per-thread objects, like per-request
        department = Department.objects.get(pk=business_pk)
        carrier = services.carrier_register_incoming(
            actor=actor, data=carrier_data(department, title=f"并发登记测试{i:02d}", copy_number=i + 1))
        return carrier.serial

    serials, errors = run_together(register)

    assert errors == []
    expected = [f"{year}-{n:06d}" for n in range(1, THREADS + 1)]
    assert sorted(serials) == expected
    assert sorted(Carrier.objects.values_list("serial", flat=True)) == expected
    assert sorted(Carrier.objects.values_list("serial_number", flat=True)) == list(range(1, THREADS + 1))
    assert SerialCounter.objects.get(year=year).last_value == THREADS
    assert CustodyEvent.objects.count() == THREADS
    assert AuditEvent.objects.filter(action="carrier.register_in").count() == THREADS
    assert_chain_is_whole()


def test_twenty_concurrent_audit_writers_keep_one_gapless_chain(db):
    def write(i):
        with transaction.atomic():
            return record_event(actor=None, event=declared("test.concurrent"), detail={"writer": i}).seq

    seqs, errors = run_together(write)

    assert errors == []
    assert sorted(seqs) == list(range(1, THREADS + 1))
    events = assert_chain_is_whole()
    assert sorted(e.detail["writer"] for e in events) == list(range(THREADS))


def test_a_failed_registration_among_concurrent_ones_leaves_no_gap(unit):
    """Thread 0 fails after taking a number; the others still end up 1..19 with no hole."""
    mishu_pk, business_pk = unit.mishu.pk, unit.business.pk
    year = timezone.localdate().year

    def register(i):
        actor = get_user_model().objects.get(pk=mishu_pk)
        department = Department.objects.get(pk=business_pk)
        with transaction.atomic():
            carrier = services.carrier_register_incoming(actor=actor, data=carrier_data(department, copy_number=i + 1))
            if i == 0:
                raise RuntimeError("the request failed after registering")
            return carrier.serial

    serials, errors = run_together(register)

    assert len(errors) == 1 and "the request failed" in errors[0]
    assert sorted(s for s in serials if s) == [f"{year}-{n:06d}" for n in range(1, THREADS)]
    assert_chain_is_whole()


def assert_chain_is_whole():
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    previous = "0" * 64
    for event in events:
        assert event.prev_hash == previous, f"chain broken at #{event.seq}"
        assert event.hash == event_hash(event.prev_hash, event_payload(event))
        previous = event.hash
    return events
