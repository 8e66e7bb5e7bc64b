"""借阅 (lend) workflow: every (state × action × role) cell of the transition table, the approval
rules of SPEC §5, and who sees the carrier while it is out (SPEC §4)."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import services as svc
from approvals.kinds import lend as lending
from approvals.kinds.lend import LEND_TRANSITIONS
from approvals.models import ApprovalRequest, ApprovalStep, RequestItem, RequestState, StepDecision
from approvals.workflows import Action, Party
from audits.models import AuditEvent
from conftest import make_carrier, make_user
from approvals import selectors
from documents.models import Carrier, CustodyAction, CustodyEvent, CustodyStatus
from documents.policy import visible_carriers
from documents.services import local_today
from personnel.models import Role
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed
from tests import grid

ROLES = ["requester", "eligible_approver", "ineligible_approver", "registrar", "other_reader", "admin"]
PARTY_OF_ROLE = {"requester": Party.REQUESTER, "eligible_approver": Party.APPROVER, "registrar": Party.REGISTRAR}

# About 40 s on one worker: handed out before the short files (conftest.py, heavy).
pytestmark = pytest.mark.heavy(seconds=40)


def module_cast(unit):
    """The demo cast plus an approver without enough authority for 秘密; made with the cast."""
    people = {}
    people["fuzhuren"] = make_user("fuzhuren", department=unit.business, roles=[Role.APPROVER],
                                   person_class="important", approval=0)
    people["hexin"] = make_user("hexin", department=unit.business, roles=[Role.READER], person_class="core")
    return people


def make_secret_carrier(cast):
    """A 秘密 carrier in scope of all of 业务一处 (zhangsan, lisi, lingdao)."""
    return make_carrier(cast, level=2, copy_number=3, title="业务一处会议纪要", scope_groups=[cast.business.group])


@pytest.fixture
def secret_carrier(cast):
    return make_secret_carrier(cast)


def tomorrow():
    return local_today() + dt.timedelta(days=1)


def make_request(cast, carrier, state):
    """A loan request of zhangsan's, brought to `state` through the services."""
    request = lending.loan_request_create(actor=cast.zhangsan, carrier=carrier, due_date=tomorrow(),
                                      reason="起草工作总结需参阅", submit=state != RequestState.DRAFT)
    if state in (RequestState.DRAFT, RequestState.SUBMITTED):
        return request
    if state == RequestState.CANCELLED:
        return svc.request_cancel(actor=cast.zhangsan, request=request)
    if state == RequestState.REJECTED:
        return svc.request_decide(actor=cast.lingdao, request=request, approve=False, comment="暂不需要")
    request = svc.request_decide(actor=cast.lingdao, request=request, approve=True, comment="同意")
    if state == RequestState.APPROVED:
        return request
    request = lending.loan_check_out(actor=cast.mishu, request=request)
    if state == RequestState.IN_PROGRESS:
        return request
    return lending.loan_return(actor=cast.mishu, request=request, condition="intact")


def actor_for(cast, role):
    return {
        "requester": cast.zhangsan, "eligible_approver": cast.lingdao, "ineligible_approver": cast.fuzhuren,
        "registrar": cast.mishu, "other_reader": cast.lisi, "admin": cast.secadmin,
    }[role]


def perform(action, *, actor, request):
    if action == Action.SUBMIT:
        return svc.request_submit(actor=actor, request=request)
    if action == Action.CANCEL:
        return svc.request_cancel(actor=actor, request=request)
    if action == Action.APPROVE:
        return svc.request_decide(actor=actor, request=request, approve=True, comment="同意")
    if action == Action.REJECT:
        return svc.request_decide(actor=actor, request=request, approve=False, comment="不同意")
    if action == Action.CHECK_OUT:
        return lending.loan_check_out(actor=actor, request=request)
    if action == Action.RETURN:
        return lending.loan_return(actor=actor, request=request, condition="intact")
    raise AssertionError(action)


def snapshot(request, carrier):
    request.refresh_from_db()
    carrier = Carrier.objects.get(pk=carrier.pk)
    return {
        "request": (request.state, request.submitted_at, request.decided_at, request.executed_at,
                    request.completed_at, request.cancelled_at, request.due_date, request.return_condition),
        "steps": list(ApprovalStep.objects.filter(request=request).values_list("decision", "decided_by", "comment")),
        "items": list(RequestItem.objects.filter(request=request).values_list("is_open", flat=True)),
        "carrier": (carrier.custody_status, carrier.custodian_id, carrier.level),
        "custody": CustodyEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "requests": ApprovalRequest.objects.count(),
    }


CELLS = [(state, action, role) for state in RequestState.values for action in Action.values for role in ROLES]
# The cells of a state share its request (conftest `staged`).
module_stage = grid.request_stage(make_secret_carrier, make_request)


@pytest.mark.parametrize("state,action,role", CELLS)
def test_every_cell_of_the_lend_table(cast, staged, state, action, role):
    request = ApprovalRequest.objects.get(pk=staged["request"])
    secret_carrier = Carrier.objects.get(pk=staged["carrier"])
    before = snapshot(request, secret_carrier)
    move = LEND_TRANSITIONS.get((state, action))
    allowed = move is not None and PARTY_OF_ROLE.get(role) in move.by
    actor = actor_for(cast, role)

    if allowed:
        result = perform(action, actor=actor, request=request)
        after = snapshot(result, secret_carrier)
        assert result.state == move.to
        assert after["audit"] == before["audit"] + 1, "exactly one audit event per real change"
        event = AuditEvent.objects.order_by("-seq").first()
        assert event.action == f"request.{action}" and event.actor_id == actor.pk
        assert event.target_id == request.pk and event.level == 2
        carrier = Carrier.objects.get(pk=secret_carrier.pk)
        if action == Action.CHECK_OUT:
            assert (carrier.custody_status, carrier.custodian) == (CustodyStatus.LENT, cast.zhangsan)
            assert after["custody"] == before["custody"] + 1
        elif action == Action.RETURN:
            assert (carrier.custody_status, carrier.custodian) == (CustodyStatus.IN_REGISTRY, cast.mishu)
            assert after["custody"] == before["custody"] + 1
        else:
            # Asking, deciding and cancelling change no carrier.
            assert after["carrier"] == before["carrier"] and after["custody"] == before["custody"]
        if move.to in (RequestState.CANCELLED, RequestState.REJECTED, RequestState.COMPLETED):
            assert after["items"] == [False]
        else:
            assert after["items"] == [True]
    else:
        grid.assert_refused(lambda: perform(action, actor=actor, request=request),
                            world=lambda: snapshot(request, secret_carrier), message_only=True)


def test_the_table_names_only_the_three_parties_and_known_states():
    for (state, action), move in LEND_TRANSITIONS.items():
        assert state in RequestState.values and move.to in RequestState.values
        assert action in Action.values and set(move.by) <= set(Party.values)


# ------------------------------------------------------------------------------- approvals

def _refused(cast, carrier, request, actor, *, expect):
    before = snapshot(request, carrier)
    with pytest.raises(PolicyDenied) as refused:
        svc.request_decide(actor=actor, request=request, approve=True, comment="同意")
    assert expect in refused.value.message
    assert snapshot(request, carrier) == before


def test_nobody_approves_their_own_request(cast, register_carrier):
    carrier = register_carrier(level=3, copy_number=4, scope_users=[cast.lingdao])
    request = lending.loan_request_create(actor=cast.lingdao, carrier=carrier, due_date=tomorrow(), reason="研究")
    _refused(cast, carrier, request, cast.lingdao, expect="不能审批本人提出的申请")
    assert request not in selectors.requests_inbox(user=cast.lingdao)
    assert request in selectors.requests_inbox(user=cast.zhuren)


def test_an_approver_without_clearance_for_the_level_is_refused(cast, register_carrier):
    # 重要 → 机密 clearance, but 绝密 authority on paper: the clearance is what is missing.
    boss = make_user("boss", department=cast.business, roles=[Role.APPROVER], person_class="important",
                     approval=4, principal=True)
    carrier = register_carrier(level=4, copy_number=1, scope_users=[cast.hexin])
    request = lending.loan_request_create(actor=cast.hexin, carrier=carrier, due_date=local_today(), reason="核对")
    _refused(cast, carrier, request, boss, expect="涉密等级不足")
    assert request not in selectors.requests_inbox(user=boss)


def test_an_approver_without_authority_for_the_level_is_refused(cast, register_carrier):
    carrier = register_carrier(level=3, copy_number=4, scope_users=[cast.lisi])
    weak = make_user("weak", department=cast.business, roles=[Role.APPROVER], person_class="important", approval=2)
    request = lending.loan_request_create(actor=cast.lisi, carrier=carrier, due_date=tomorrow(), reason="研究")
    _refused(cast, carrier, request, weak, expect="需要机密级及以上审批权限")
    assert request not in selectors.requests_inbox(user=weak)
    assert request in selectors.requests_inbox(user=cast.lingdao)


def test_top_secret_loan_needs_the_principal(cast, register_carrier):
    # A core-cleared approver with 绝密 authority who is not the 主要负责人.
    deputy = make_user("deputy", department=cast.office, roles=[Role.APPROVER], person_class="core", approval=4)
    carrier = register_carrier(level=4, copy_number=1, scope_users=[cast.hexin])
    request = lending.loan_request_create(actor=cast.hexin, carrier=carrier, due_date=tomorrow(), reason="核对")
    assert request.on_site and request.due_date == local_today(), "REG24 art. 29(3): 阅文室, same day"
    _refused(cast, carrier, request, deputy, expect="须由主要负责人审批")
    assert request not in selectors.requests_inbox(user=deputy)
    assert list(selectors.requests_inbox(user=cast.zhuren)) == [request]
    approved = svc.request_decide(actor=cast.zhuren, request=request, approve=True, comment="阅文室阅读")
    assert approved.state == RequestState.APPROVED


def test_the_principal_rule_is_configurable(cast, register_carrier, settings):
    settings.SECRECY = {**settings.SECRECY, "APPROVAL_PRINCIPAL_FROM_LEVEL": {"lend": 3}}
    carrier = register_carrier(level=3, copy_number=4, scope_users=[cast.lisi])
    request = lending.loan_request_create(actor=cast.lisi, carrier=carrier, due_date=tomorrow(), reason="研究")
    _refused(cast, carrier, request, cast.lingdao, expect="主要负责人")


def test_rejecting_needs_a_comment_and_changes_no_carrier(cast, secret_carrier):
    request = make_request(cast, secret_carrier, RequestState.SUBMITTED)
    before = snapshot(request, secret_carrier)
    with pytest.raises(ValidationFailed):
        svc.request_decide(actor=cast.lingdao, request=request, approve=False, comment=" ")
    assert snapshot(request, secret_carrier) == before
    svc.request_decide(actor=cast.lingdao, request=request, approve=False, comment="与工作无关")
    after = snapshot(request, secret_carrier)
    assert after["carrier"] == before["carrier"] and after["custody"] == before["custody"]
    step = ApprovalStep.objects.get(request=request)
    assert (step.decision, step.decided_by, step.comment) == (StepDecision.REJECT, cast.lingdao, "与工作无关")
    # Released: a new request may be made.
    again = lending.loan_request_create(actor=cast.zhangsan, carrier=secret_carrier, due_date=tomorrow(), reason="再申请")
    assert again.state == RequestState.SUBMITTED


def test_a_second_open_loan_request_is_refused(cast, secret_carrier):
    first = make_request(cast, secret_carrier, RequestState.APPROVED)
    before = snapshot(first, secret_carrier)
    with pytest.raises(InvalidState) as refused:
        lending.loan_request_create(actor=cast.lisi, carrier=secret_carrier, due_date=tomorrow(), reason="也要看")
    assert "已有未办结的借阅申请" in refused.value.message
    assert snapshot(first, secret_carrier) == before


def test_asking_needs_a_due_date_today_or_later_and_a_reason(cast, secret_carrier):
    with pytest.raises(ValidationFailed) as refused:
        lending.loan_request_create(actor=cast.zhangsan, carrier=secret_carrier, due_date=None, reason="")
    assert set(refused.value.field_errors) == {"due_date", "reason"}
    with pytest.raises(ValidationFailed) as refused:
        lending.loan_request_create(actor=cast.zhangsan, carrier=secret_carrier,
                                due_date=local_today() - dt.timedelta(days=1), reason="参阅")
    assert "不能早于今天" in refused.value.field_errors["due_date"]
    assert ApprovalRequest.objects.count() == 0


def test_who_may_ask(cast, secret_carrier, register_carrier):
    hidden = register_carrier(level=2, copy_number=9)  # nobody of 业务一处 in scope
    with pytest.raises(NotVisible):
        lending.loan_request_create(actor=cast.zhangsan, carrier=hidden, due_date=tomorrow(), reason="参阅")
    for username in ("secadmin", "wangwu"):
        with pytest.raises(NotVisible):
            lending.loan_request_create(actor=cast[username], carrier=secret_carrier, due_date=tomorrow(), reason="参阅")
    # The registrar holds it (custodian): nothing to borrow.
    with pytest.raises(PolicyDenied):
        lending.loan_request_create(actor=cast.mishu, carrier=secret_carrier, due_date=tomorrow(), reason="参阅")
    assert ApprovalRequest.objects.count() == 0


def test_a_carrier_not_in_the_registry_cannot_be_checked_out(cast, secret_carrier):
    request = make_request(cast, secret_carrier, RequestState.APPROVED)
    Carrier.objects.filter(pk=secret_carrier.pk).update(custody_status=CustodyStatus.IN_REPAIR)
    before = snapshot(request, secret_carrier)
    with pytest.raises(InvalidState) as refused:
        lending.loan_check_out(actor=cast.mishu, request=request)
    assert "不在库" in refused.value.message
    assert snapshot(request, secret_carrier) == before


def test_return_inspection_other_than_intact_needs_a_note(cast, secret_carrier):
    request = make_request(cast, secret_carrier, RequestState.IN_PROGRESS)
    before = snapshot(request, secret_carrier)
    for condition in ("missing_pages", "damaged"):
        with pytest.raises(ValidationFailed) as refused:
            lending.loan_return(actor=cast.mishu, request=request, condition=condition, note="")
        assert "note" in refused.value.field_errors
    with pytest.raises(ValidationFailed):
        lending.loan_return(actor=cast.mishu, request=request, condition="lost", note="x")
    assert snapshot(request, secret_carrier) == before
    done = lending.loan_return(actor=cast.mishu, request=request, condition="missing_pages", note="缺第5页")
    assert (done.return_condition, done.return_note, done.returned_to) == ("missing_pages", "缺第5页", cast.mishu)
    last = CustodyEvent.objects.filter(carrier=secret_carrier).last()
    assert "缺页" in last.note and "缺第5页" in last.note


def test_custody_log_records_the_loan_under_its_approval(cast, secret_carrier):
    request = make_request(cast, secret_carrier, RequestState.COMPLETED)
    out, back = CustodyEvent.objects.filter(carrier=secret_carrier).order_by("id")[1:]
    assert (out.action, out.from_user, out.to_user, out.from_status, out.to_status) == (
        CustodyAction.HANDED_OUT, cast.mishu, cast.zhangsan, CustodyStatus.IN_REGISTRY, CustodyStatus.LENT)
    assert (back.action, back.from_user, back.to_user, back.from_status, back.to_status) == (
        CustodyAction.RETURNED, cast.zhangsan, cast.mishu, CustodyStatus.LENT, CustodyStatus.IN_REGISTRY)
    assert str(request.pk) in out.approval_ref and out.approval_ref == back.approval_ref
    assert request.checked_out_by == cast.mishu and request.executed_at and request.completed_at


def test_top_secret_is_due_the_day_it_is_handed_out(cast, register_carrier):
    carrier = register_carrier(level=4, copy_number=1, scope_users=[cast.hexin])
    reader = cast.hexin
    request = lending.loan_request_create(actor=reader, carrier=carrier, due_date=tomorrow() + dt.timedelta(days=9),
                                      reason="阅研", on_site=False)
    assert request.on_site and request.due_date == local_today()
    svc.request_decide(actor=cast.zhuren, request=request, approve=True)
    out = lending.loan_check_out(actor=cast.mishu, request=request)
    assert out.due_date == local_today()
    assert "阅文室" in CustodyEvent.objects.filter(carrier=carrier).last().note


# ------------------------------------------------------------------------------- visibility

def test_borrower_sees_the_carrier_only_while_the_loan_is_out(cast, register_carrier):
    # In scope of nobody but the registrar; zhangsan (秘密 clearance) borrows it.
    carrier = register_carrier(level=2, copy_number=2)
    assert not visible_carriers(cast.zhangsan).filter(pk=carrier.pk).exists()
    # A registrar may lend to a reader who is not in scope only if the reader can ask: he cannot
    # see it, so he cannot ask. Put him in scope, ask, then take him out again.
    from documents.services import carrier_scope_revoke
    from documents.tests.factories import widen_scope
    widen_scope(carrier=carrier, registrar=cast.mishu, principal=cast.zhuren, user=cast.zhangsan, reason="借阅")
    request = lending.loan_request_create(actor=cast.zhangsan, carrier=carrier, due_date=tomorrow(), reason="参阅")
    svc.request_decide(actor=cast.lingdao, request=request, approve=True)
    carrier_scope_revoke(actor=cast.mishu, carrier=carrier, reason="仅限借阅期间", user_id=cast.zhangsan.pk)
    assert not visible_carriers(cast.zhangsan).filter(pk=carrier.pk).exists(), "approved is not yet out"
    lending.loan_check_out(actor=cast.mishu, request=request)
    # Custodian and open loan both grant it; take the custodian rule out of the picture.
    Carrier.objects.filter(pk=carrier.pk).update(custodian=cast.mishu)
    assert visible_carriers(cast.zhangsan).filter(pk=carrier.pk).exists(), "the open loan grants it"
    Carrier.objects.filter(pk=carrier.pk).update(custodian=cast.zhangsan)
    lending.loan_return(actor=cast.mishu, request=request, condition="intact")
    assert not visible_carriers(cast.zhangsan).filter(pk=carrier.pk).exists()
    # Others' open loans grant nothing.
    assert not visible_carriers(cast.lisi).filter(pk=carrier.pk).exists()


def test_pending_decider_sees_the_carrier_and_loses_it_after_deciding(cast, register_carrier):
    carrier = register_carrier(level=3, copy_number=5, scope_users=[cast.lisi])
    assert not visible_carriers(cast.lingdao).filter(pk=carrier.pk).exists()
    request = lending.loan_request_create(actor=cast.lisi, carrier=carrier, due_date=tomorrow(), reason="研究")
    assert visible_carriers(cast.lingdao).filter(pk=carrier.pk).exists()
    assert not visible_carriers(cast.fuzhuren if "fuzhuren" in cast else cast.baomi).filter(pk=carrier.pk).exists()
    svc.request_decide(actor=cast.lingdao, request=request, approve=True)
    assert not visible_carriers(cast.lingdao).filter(pk=carrier.pk).exists()


def test_visibility_with_loans_is_still_one_query(cast, secret_carrier):
    make_request(cast, secret_carrier, RequestState.IN_PROGRESS)
    user = cast.lingdao
    with CaptureQueriesContext(connection) as queries:
        rows = list(visible_carriers(user))
    # clearance/roles lookups may run once per user object; the carrier rows come from one query.
    carrier_queries = [q for q in queries.captured_queries if 'FROM "documents_carrier"' in q["sql"]]
    assert len(carrier_queries) == 1
    assert secret_carrier in rows


def test_overdue_loans_are_queryable(cast, secret_carrier):
    request = make_request(cast, secret_carrier, RequestState.IN_PROGRESS)
    today = local_today()
    assert list(selectors.loans_overdue(today=today)) == []
    assert list(selectors.loans_overdue(today=request.due_date + dt.timedelta(days=1))) == [request]
    lending.loan_return(actor=cast.mishu, request=request, condition="intact")
    assert list(selectors.loans_overdue(today=request.due_date + dt.timedelta(days=1))) == []
