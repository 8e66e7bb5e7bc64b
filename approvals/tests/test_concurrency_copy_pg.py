"""Two clicks or two registrars can never make the copies of one approved request twice, and
copies made at the same time never share a 份号 or a 统一编号 (SPEC §3, §5), on PostgreSQL with
real row locks: each thread has its own connection and transaction, like concurrent web
requests, released together by a barrier."""
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from approvals import services as svc
from approvals.kinds import copy as scopy
from approvals.models import ApprovalRequest, RequestItem, RequestState
from audits.models import AuditEvent
from documents.models import Carrier, CustodyAction, CustodyEvent
from secrecy.errors import DomainError

THREADS = 20
COPIES = 3

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency tests need PostgreSQL"),
]

User = get_user_model()


def run_together(work, n=THREADS):
    """Run work(i) in n threads released at once; DomainErrors are expected refusals, anything
    else is an unexpected (server) error."""
    barrier = threading.Barrier(n, timeout=60)
    refusals, errors = [], []

    def worker(i):
        try:
            barrier.wait()
            work(i, refusals)
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
    return refusals, errors


def attempt(refusals, action):
    try:
        return action()
    except DomainError as refusal:
        refusals.append(refusal.message)
        return None


def approved_copy_request(unit, carrier, count=COPIES):
    request = scopy.copy_request_create(actor=unit.lisi, carriers=[carrier], mode="copy", count=count,
                                        reason="会议材料")
    return svc.request_decide(actor=unit.lingdao, request=request, approve=True, comment="同意")


def test_twenty_threads_making_the_copies_of_one_request(unit, register_carrier):
    original = register_carrier(level=3, copy_number=7, scope_groups=[unit.business.group])
    request = approved_copy_request(unit, original)
    registrar_pk = unit.mishu.pk

    def work(i, refusals):
        registrar = User.objects.get(pk=registrar_pk)  # per-thread objects, like per-request
        mine = ApprovalRequest.objects.get(pk=request.pk)
        attempt(refusals, lambda: scopy.copy_make(actor=registrar, request=mine, copy_stamp=f"示范单位复制{i}"))

    refusals, errors = run_together(work)

    assert errors == []
    assert len(refusals) == THREADS - 1
    assert all("不能制作复制件" in message for message in refusals), set(refusals)
    copies = list(Carrier.objects.filter(source_request=request))
    assert len(copies) == COPIES
    assert sorted(c.copy_number for c in copies) == [8, 9, 10]
    serials = list(Carrier.objects.values_list("serial", flat=True))
    assert len(serials) == len(set(serials)) == 1 + COPIES
    assert sorted(Carrier.objects.values_list("serial_number", flat=True)) == list(range(1, 2 + COPIES))
    assert all(c.original_id == original.pk for c in copies)
    assert len({c.copy_stamp for c in copies}) == 1
    done = ApprovalRequest.objects.get(pk=request.pk)
    assert done.state == RequestState.COMPLETED and done.copy_stamp == copies[0].copy_stamp
    assert not RequestItem.objects.filter(is_open=True).exists()
    assert CustodyEvent.objects.filter(carrier=original, action=CustodyAction.COPIED).count() == 1
    assert AuditEvent.objects.filter(action="request.make_copies").count() == 1


def test_copies_of_the_same_document_made_at_once_never_share_a_copy_number(unit, register_carrier):
    """Twenty registered 份 of one document (same 文号 and issuer), each copied under its own request
    by a registrar at the same moment: the new 份号 continue after the highest one, all distinct."""
    originals = [register_carrier(level=2, copy_number=n, scope_groups=[unit.business.group])
                 for n in range(1, THREADS + 1)]
    requests = [approved_copy_request(unit, original, count=1) for original in originals]
    registrar_pk = unit.mishu.pk

    def work(i, refusals):
        registrar = User.objects.get(pk=registrar_pk)
        mine = ApprovalRequest.objects.get(pk=requests[i].pk)
        attempt(refusals, lambda: scopy.copy_make(actor=registrar, request=mine, copy_stamp="示范单位复制"))

    refusals, errors = run_together(work)

    assert errors == [] and refusals == []
    numbers = sorted(Carrier.objects.filter(source_request__isnull=False).values_list("copy_number", flat=True))
    assert numbers == list(range(THREADS + 1, 2 * THREADS + 1))
    serials = list(Carrier.objects.values_list("serial", flat=True))
    assert len(serials) == len(set(serials)) == 2 * THREADS
    assert AuditEvent.objects.filter(action="request.make_copies").count() == THREADS
