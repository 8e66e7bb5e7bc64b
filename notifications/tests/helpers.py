"""Shared helpers for the notifications tests: overdue loans and carry-outs, the real way (through
the services) for behaviour tests and in bulk for the query-count tests."""
import datetime as dt
import itertools

from django.contrib.auth import get_user_model

from approvals import services as loans
from approvals.kinds import lend as lending
from approvals.kinds import carry
from approvals.models import ApprovalRequest, RequestItem, RequestKind, RequestState
from documents.models import Carrier
from documents.services import local_today
from documents.tests.factories import CarrierFactory

_copy_numbers = itertools.count(100)


def give_addresses(unit):
    """Demo accounts get e-mail addresses (the conftest cast has none)."""
    for name in ("mishu", "zhuren", "lingdao", "baomi", "lisi", "zhangsan", "wangwu", "sysadmin"):
        get_user_model().objects.filter(pk=unit[name].pk).update(email=f"{name}@unit.example")


def lend_out(unit, register_carrier, *, borrower, level=2, due=None, department=None):
    """A loan checked out today, due on `due` (default today): overdue from the day after."""
    carrier = register_carrier(level=level, copy_number=next(_copy_numbers), scope_users=[borrower],
                               department=department or unit.business)
    request = lending.loan_request_create(actor=borrower, carrier=carrier, due_date=due or local_today(),
                                        reason="参阅")
    loans.request_decide(actor=unit.zhuren if level >= 4 else unit.lingdao, request=request, approve=True)
    return lending.loan_check_out(actor=unit.mishu, request=request)


def carry_out(unit, register_carrier, *, bearer, level=2, due=None):
    carrier = register_carrier(level=level, copy_number=next(_copy_numbers), scope_users=[bearer])
    today = local_today()
    request = carry.carry_request_create(actor=bearer, carrier=carrier, destination="北京", depart_date=today,
                                         due_date=due or today, reason="开会")
    loans.request_decide(actor=unit.lingdao, request=request, approve=True)
    return carry.carry_check_out(actor=unit.mishu, request=request)


def bulk_overdue(unit, n, *, borrowers, due, kind=RequestKind.LEND):
    """n in-progress requests due on `due`, each with its own carrier, written straight to the
    tables: only for tests about the job's read path (query counts), which need many rows fast."""
    carriers = Carrier.objects.bulk_create([
        CarrierFactory.build(department=unit.business, registered_by=unit.mishu, level=2) for _ in range(n)
    ])
    requests = ApprovalRequest.objects.bulk_create([
        ApprovalRequest(kind=kind, state=RequestState.IN_PROGRESS, requester=borrowers[i % len(borrowers)],
                        reason="参阅", level=2, due_date=due)
        for i in range(n)
    ])
    if requests[0].pk is None:  # a backend that does not return ids from bulk inserts
        requests = list(ApprovalRequest.objects.filter(reason="参阅", due_date=due).order_by("id"))[-n:]
    RequestItem.objects.bulk_create([
        RequestItem(request=request, carrier=carrier, kind=kind, is_open=True)
        for request, carrier in zip(requests, carriers)
    ])
    return requests


def days(n):
    return local_today() + dt.timedelta(days=n)
