"""Twenty threads approving, confirming and executing the same destruction batch, or building
batches of the same carriers, on PostgreSQL with real row locks: one batch, one execution."""
import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from approvals import services as svc
from approvals.kinds import destroy
from approvals.models import ApprovalRequest, DestructionWitness, RequestItem, RequestKind, RequestState
from approvals.tests.test_concurrency_lend_pg import THREADS, attempt, request_events, run_together
from documents.models import Carrier, CustodyEvent, CustodyStatus
from documents.services import local_today

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency tests need PostgreSQL"),
]

User = get_user_model()


def _carriers(register_carrier):
    return [register_carrier(level=3, copy_number=1), register_carrier(level=2, copy_number=2)]


def _build(unit, carriers, registrar=None):
    return destroy.destruction_batch_create(
        actor=registrar or unit.mishu, carriers=carriers, reason="到期销毁", method="shred", place="机要室",
        planned_date=local_today() + dt.timedelta(days=1), witnesses=[unit.baomi, unit.lingdao], submit=True)


def test_twenty_threads_approving_confirming_and_executing_one_batch(unit, register_carrier):
    carriers = _carriers(register_carrier)
    batch = _build(unit, carriers)
    witness_pks = [unit.baomi.pk, unit.lingdao.pk]

    def work(i, refusals):
        approver = User.objects.get(pk=unit.zhuren.pk)
        witness = User.objects.get(pk=witness_pks[i % 2])
        registrar = User.objects.get(pk=unit.mishu.pk)
        mine = ApprovalRequest.objects.get(pk=batch.pk)
        attempt(refusals, lambda: svc.request_decide(actor=approver, request=mine, approve=True, comment="同意"))
        attempt(refusals, lambda: destroy.destruction_witness_confirm(actor=witness, request=mine))
        attempt(refusals, lambda: destroy.destruction_execute(actor=registrar, request=mine, destroyed_by=registrar))

    refusals, errors = run_together(work)

    assert errors == []
    assert len(refusals) == 3 * THREADS - 4
    assert ApprovalRequest.objects.get(pk=batch.pk).state == RequestState.COMPLETED
    assert DestructionWitness.objects.filter(confirmed_at__isnull=False).count() == 2
    assert set(Carrier.objects.values_list("custody_status", flat=True)) == {CustodyStatus.DESTROYED}
    # Registration, 列入销毁 and exactly one 销毁 per carrier.
    for carrier in carriers:
        assert CustodyEvent.objects.filter(carrier=carrier).count() == 3
    assert sorted(request_events()) == sorted(["request.create", "request.approve", "request.witness_confirm",
                                               "request.witness_confirm", "request.execute"])


def test_twenty_threads_building_batches_of_the_same_carriers(unit, register_carrier):
    carriers = _carriers(register_carrier)

    def work(i, refusals):
        registrar = User.objects.get(pk=unit.mishu.pk)
        mine = [Carrier.objects.get(pk=c.pk) for c in (carriers if i % 2 else reversed(carriers))]
        attempt(refusals, lambda: _build(unit, mine, registrar))

    refusals, errors = run_together(work)

    assert errors == []
    assert ApprovalRequest.objects.filter(kind=RequestKind.DESTROY).count() == 1
    assert len(refusals) == THREADS - 1
    assert RequestItem.objects.filter(is_open=True).count() == 2
    assert set(Carrier.objects.values_list("custody_status", flat=True)) == {CustodyStatus.PENDING_DESTRUCTION}
