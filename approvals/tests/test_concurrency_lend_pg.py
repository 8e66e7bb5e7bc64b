"""Two clicks, two approvers or two registrars can never lend a carrier twice (SPEC §5), on
PostgreSQL with real row locks: each thread has its own connection and transaction, like
concurrent web requests, released together by a barrier."""
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from approvals import services as svc
from approvals.kinds import lend as lending
from approvals.models import ApprovalRequest, ApprovalStep, RequestItem, RequestState, StepDecision
from audits.models import AuditEvent
from documents.models import Carrier, CustodyEvent, CustodyStatus
from documents.services import local_today
from secrecy.errors import DomainError

THREADS = 20

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency tests need PostgreSQL"),
]

User = get_user_model()


def run_together(work, n=THREADS):
    """Run work(i) in n threads released at once; DomainErrors are expected refusals, anything
    else is an unexpected error."""
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


def request_events():
    return list(AuditEvent.objects.filter(action__startswith="request.").values_list("action", flat=True))


def assert_one_loan_out(carrier, borrower):
    carrier = Carrier.objects.get(pk=carrier.pk)
    assert (carrier.custody_status, carrier.custodian_id) == (CustodyStatus.LENT, borrower.pk)
    assert RequestItem.objects.filter(carrier=carrier, is_open=True).count() == 1
    assert ApprovalRequest.objects.filter(state=RequestState.IN_PROGRESS).count() == 1
    # Registration + exactly one hand-out.
    assert CustodyEvent.objects.filter(carrier=carrier).count() == 2
    assert ApprovalStep.objects.exclude(decision=StepDecision.PENDING).count() == 1


def test_twenty_threads_approving_and_checking_out_one_request(unit, register_carrier):
    carrier = register_carrier(level=2, copy_number=3, scope_groups=[unit.business.group])
    request = lending.loan_request_create(actor=unit.zhangsan, carrier=carrier, due_date=local_today(), reason="参阅")
    approver_pks, registrar_pk = [unit.lingdao.pk, unit.zhuren.pk], unit.mishu.pk

    def work(i, refusals):
        approver = User.objects.get(pk=approver_pks[i % 2])  # per-thread objects, like per-request
        registrar = User.objects.get(pk=registrar_pk)
        mine = ApprovalRequest.objects.get(pk=request.pk)
        attempt(refusals, lambda: svc.request_decide(actor=approver, request=mine, approve=True, comment=f"同意{i}"))
        attempt(refusals, lambda: lending.loan_check_out(actor=registrar, request=mine))

    refusals, errors = run_together(work)

    assert errors == []
    assert len(refusals) == 2 * THREADS - 2
    assert_one_loan_out(carrier, unit.zhangsan)
    assert sorted(request_events()) == sorted(["request.create", "request.approve", "request.check_out"])


def test_twenty_threads_each_asking_approving_and_checking_out_the_same_carrier(unit, register_carrier):
    carrier = register_carrier(level=2, copy_number=3, scope_groups=[unit.business.group])
    requester_pks = [unit.zhangsan.pk, unit.lisi.pk]
    approver_pks, registrar_pk = [unit.lingdao.pk, unit.zhuren.pk], unit.mishu.pk

    def work(i, refusals):
        requester = User.objects.get(pk=requester_pks[i % 2])
        approver = User.objects.get(pk=approver_pks[i % 2])
        registrar = User.objects.get(pk=registrar_pk)
        attempt(refusals, lambda: lending.loan_request_create(
            actor=requester, carrier=Carrier.objects.get(pk=carrier.pk), due_date=local_today(), reason=f"参阅{i}"))
        open_request = ApprovalRequest.objects.filter(items__carrier=carrier, items__is_open=True).first()
        if open_request is None:
            return
        attempt(refusals, lambda: svc.request_decide(actor=approver, request=open_request, approve=True))
        attempt(refusals, lambda: lending.loan_check_out(actor=registrar, request=open_request))

    refusals, errors = run_together(work)

    assert errors == []
    assert ApprovalRequest.objects.count() == 1
    borrower = ApprovalRequest.objects.get().requester
    assert_one_loan_out(carrier, borrower)
    assert sorted(request_events()) == sorted(["request.create", "request.approve", "request.check_out"])
    assert any("已有未办结的借阅申请" in message for message in refusals)
