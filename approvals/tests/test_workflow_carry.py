"""外出携带 (carry out) workflow: every (state × action × role) cell of the transition table, the
hard rules of SPEC §5 (REG24 art. 27(8), 29(2), 29(5)), and who holds and sees the carrier while
it is out (SPEC §4).

The grid shares its set-up: one test per (state, action) builds the request once, and each role's
attempt runs in a savepoint that is rolled back, so every role meets the same request."""
import datetime as dt

import pytest

from approvals import services as svc
from approvals.kinds import lend as lending
from approvals.kinds import carry
from approvals.kinds import repair as repairs
from approvals.kinds import copy as scopy
from approvals.kinds.carry import CARRY_OUT_TRANSITIONS
from approvals.models import ApprovalRequest, ApprovalStep, RequestItem, RequestKind, RequestState
from approvals.workflows import Action, Party
from audits.models import AuditEvent
from conftest import make_carrier, make_user
from approvals import selectors
from documents import selectors as carrier_selectors
from documents.models import Carrier, CustodyAction, CustodyEvent, CustodyStatus
from documents.policy import visible_carriers
from documents.services import carrier_scope_revoke, local_today
from documents.tests.factories import raise_level, widen_scope
from personnel.models import Role
from secrecy.errors import DomainError, InvalidState, NotVisible, PolicyDenied, ValidationFailed
from tests import grid

ROLES = ["requester", "companion", "eligible_approver", "ineligible_approver", "registrar", "other_reader", "admin"]
PARTY_OF_ROLE = {"requester": Party.REQUESTER, "eligible_approver": Party.APPROVER, "registrar": Party.REGISTRAR}


def module_cast(unit):
    """The demo cast plus an approver without authority, a non-principal approver with 绝密
    authority, and three 核心 readers (a 绝密 bearer and two companions); made with the cast."""
    people = {}
    people["fuzhuren"] = make_user("fuzhuren", department=unit.business, roles=[Role.APPROVER],
                                   person_class="important", approval=0)
    people["deputy"] = make_user("deputy", department=unit.office, roles=[Role.APPROVER], person_class="core",
                                 approval=4)
    for name in ("hexin", "core1", "core2"):
        people[name] = make_user(name, department=unit.business, roles=[Role.READER], person_class="core")
    return people


def make_secret_carrier(cast):
    """A 秘密 document in scope of all of 业务一处."""
    return make_carrier(cast, level=2, copy_number=3, title="业务一处会议纪要", scope_groups=[cast.business.group])


@pytest.fixture
def secret_carrier(cast):
    return make_secret_carrier(cast)


def today():
    return local_today()


def world():
    """Everything a workflow write could touch."""
    return {
        "requests": list(ApprovalRequest.objects.order_by("id").values_list(
            "id", "state", "submitted_at", "decided_at", "executed_at", "completed_at", "cancelled_at",
            "abroad", "abroad_approved", "checked_out_by", "returned_to", "return_condition", "return_note")),
        "companions": list(ApprovalRequest.companions.through.objects.order_by("id").values_list(
            "approvalrequest_id", "user_id")),
        "steps": list(ApprovalStep.objects.order_by("id").values_list("id", "decision", "decided_by", "comment")),
        "items": list(RequestItem.objects.order_by("id").values_list("id", "carrier_id", "is_open")),
        "carriers": list(Carrier.objects.order_by("id").values_list(
            "id", "custody_status", "custodian_id", "level", "secrecy_status")),
        "custody": CustodyEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def counts():
    return {model.__name__: model.objects.count()
            for model in (ApprovalRequest, RequestItem, Carrier, CustodyEvent, AuditEvent)}


def assert_refused(call, error=DomainError, expect=None):
    """The call is refused with a Chinese message and changes nothing at all."""
    return grid.assert_refused(call, world=lambda: (counts(), world()), error=error, expect=expect)


def ask(cast, carrier, *, actor=None, submit=True, abroad=False, companions=(), **extra):
    fields = dict(destination="北京市某部", depart_date=today(), due_date=today() + dt.timedelta(days=2),
                  reason="参加专题会议汇报")
    fields.update(extra)
    return carry.carry_request_create(actor=actor or cast.zhangsan, carrier=carrier, abroad=abroad,
                                      companions=companions, submit=submit, **fields)


def make_request(cast, carrier, state):
    """A carry-out request of zhangsan's (hexin travelling with him), brought to `state`."""
    request = ask(cast, carrier, companions=[cast.hexin], submit=state != RequestState.DRAFT)
    if state in (RequestState.DRAFT, RequestState.SUBMITTED):
        return request
    if state == RequestState.CANCELLED:
        return svc.request_cancel(actor=cast.zhangsan, request=request)
    if state == RequestState.REJECTED:
        return svc.request_decide(actor=cast.lingdao, request=request, approve=False, comment="改为电话汇报")
    request = svc.request_decide(actor=cast.lingdao, request=request, approve=True, comment="同意")
    if state == RequestState.APPROVED:
        return request
    request = carry.carry_check_out(actor=cast.mishu, request=request)
    if state == RequestState.IN_PROGRESS:
        return request
    return carry.carry_return(actor=cast.mishu, request=request, condition="intact")


def actor_for(cast, role):
    return {
        "requester": cast.zhangsan, "companion": cast.hexin, "eligible_approver": cast.lingdao,
        "ineligible_approver": cast.fuzhuren, "registrar": cast.mishu, "other_reader": cast.lisi,
        "admin": cast.secadmin,
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
        return carry.carry_check_out(actor=actor, request=request)
    if action == Action.RETURN:
        return carry.carry_return(actor=actor, request=request, condition="intact")
    raise AssertionError(action)


def check_cell(cast, carrier, request_pk, state, action, role):
    request = ApprovalRequest.objects.get(pk=request_pk)
    before = world()
    move = CARRY_OUT_TRANSITIONS.get((state, action))
    allowed = move is not None and PARTY_OF_ROLE.get(role) in move.by
    actor = actor_for(cast, role)

    if not allowed:
        grid.assert_refused(lambda: perform(action, actor=actor, request=request), world=world, message_only=True)
        return

    result = perform(action, actor=actor, request=request)
    after = world()
    assert result.state == move.to
    assert after["audit"] == before["audit"] + 1, "exactly one audit event per real change"
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == f"request.{action}" and event.actor_id == actor.pk
    assert event.target_id == request.pk and event.level == 2
    now = Carrier.objects.get(pk=carrier.pk)
    if action == Action.CHECK_OUT:
        assert (now.custody_status, now.custodian) == (CustodyStatus.CARRIED_OUT, cast.zhangsan)
        assert after["custody"] == before["custody"] + 1
        out = CustodyEvent.objects.order_by("-id").first()
        assert (out.action, out.from_user, out.to_user, out.to_status, out.approval_ref) == (
            CustodyAction.HANDED_OUT, cast.mishu, cast.zhangsan, CustodyStatus.CARRIED_OUT, request.reference)
        assert "北京市某部" in out.note and "hexin" in out.note
    elif action == Action.RETURN:
        assert (now.custody_status, now.custodian) == (CustodyStatus.IN_REGISTRY, actor)
        assert after["custody"] == before["custody"] + 1
        assert (result.return_condition, result.returned_to) == ("intact", actor)
    else:
        # Asking, deciding and cancelling change no carrier.
        assert after["carriers"] == before["carriers"] and after["custody"] == before["custody"]
    open_items = list(RequestItem.objects.filter(request=request).values_list("is_open", flat=True))
    if move.to in (RequestState.CANCELLED, RequestState.REJECTED, RequestState.COMPLETED):
        assert open_items == [False]
    else:
        assert open_items == [True]


# The cells of a state share its request (conftest `staged`).
module_stage = grid.request_stage(make_secret_carrier, make_request)


@pytest.mark.parametrize("action", Action.values)
@pytest.mark.parametrize("state", RequestState.values)
def test_every_cell_of_the_carry_out_table(cast, staged, state, action):
    request = ApprovalRequest.objects.get(pk=staged["request"])
    secret_carrier = Carrier.objects.get(pk=staged["carrier"])
    grid.check_every_role(ROLES, lambda role: check_cell(cast, secret_carrier, request.pk, state, action, role),
                          world=world, cell=f"{state} × {action}")


def test_the_table_names_known_parties_states_and_actions():
    for (state, action), move in CARRY_OUT_TRANSITIONS.items():
        assert state in RequestState.values and move.to in RequestState.values
        assert action in Action.values and set(move.by) <= set(Party.values)


def test_other_kinds_services_refuse_a_carry_out_request(cast, secret_carrier, register_carrier):
    request = make_request(cast, secret_carrier, RequestState.APPROVED)
    assert_refused(lambda: lending.loan_check_out(actor=cast.mishu, request=request), InvalidState, "不是借阅申请")
    assert_refused(lambda: repairs.repair_start(actor=cast.mishu, request=request, storage_removed_note="x"),
                   InvalidState, "不是维修申请")
    assert_refused(lambda: scopy.copy_make(actor=cast.mishu, request=request, copy_stamp="复制"),
                   InvalidState, "不是复制申请")
    other = register_carrier(level=2, copy_number=4, scope_groups=[cast.business.group])
    out = make_request(cast, other, RequestState.IN_PROGRESS)
    assert_refused(lambda: lending.loan_return(actor=cast.mishu, request=out, condition="intact"), InvalidState)
    assert_refused(lambda: repairs.repair_finish(actor=cast.mishu, request=out, condition="intact"), InvalidState)


# ------------------------------------------------------------------------------ approvals


@pytest.fixture
def secret_doc(cast, register_carrier):
    """A 机密 document in scope of 业务一处."""
    return register_carrier(level=3, copy_number=4, scope_groups=[cast.business.group])


def test_nobody_approves_their_own_carry_out(cast, secret_doc):
    request = ask(cast, secret_doc, actor=cast.lingdao)
    assert_refused(lambda: svc.request_decide(actor=cast.lingdao, request=request, approve=True),
                   PolicyDenied, "不能审批本人提出的申请")
    assert request not in selectors.requests_inbox(user=cast.lingdao)
    assert svc.request_decide(actor=cast.zhuren, request=request, approve=True).state == RequestState.APPROVED


def test_an_approver_without_clearance_for_the_level_is_refused(cast, secret_doc):
    unclear = make_user("unclear", department=cast.business, roles=[Role.APPROVER], person_class="general",
                        approval=3)
    request = ask(cast, secret_doc, actor=cast.lisi)
    assert_refused(lambda: svc.request_decide(actor=unclear, request=request, approve=True),
                   PolicyDenied, "涉密等级不足")
    assert request not in selectors.requests_inbox(user=unclear)


def test_an_approver_without_authority_for_the_level_is_refused(cast, secret_doc):
    weak = make_user("weak", department=cast.business, roles=[Role.APPROVER], person_class="important", approval=2)
    request = ask(cast, secret_doc, actor=cast.lisi)
    assert_refused(lambda: svc.request_decide(actor=weak, request=request, approve=True),
                   PolicyDenied, "需要机密级及以上审批权限")
    assert request not in selectors.requests_inbox(user=weak)
    assert request in selectors.requests_inbox(user=cast.lingdao)


@pytest.fixture
def top_secret(cast, register_carrier):
    return register_carrier(level=4, copy_number=1, title="绝密文件",
                            scope_users=[cast.hexin, cast.core1, cast.core2])


def test_a_top_secret_carry_out_with_two_cleared_companions(cast, top_secret):
    request = ask(cast, top_secret, actor=cast.hexin, companions=[cast.core1, cast.core2.pk])
    assert set(request.companions.all()) == {cast.core1, cast.core2}
    # SPEC §5: an approver with authority ≥ the level; 绝密 carry-out needs no 主要负责人.
    approved = svc.request_decide(actor=cast.deputy, request=request, approve=True, comment="同意，二人同行")
    out = carry.carry_check_out(actor=cast.mishu, request=approved)
    moved = Carrier.objects.get(pk=top_secret.pk)
    assert (moved.custody_status, moved.custodian) == (CustodyStatus.CARRIED_OUT, cast.hexin)
    note = CustodyEvent.objects.filter(carrier=top_secret).last().note
    assert "core1" in note and "core2" in note
    assert out.state == RequestState.IN_PROGRESS


@pytest.mark.parametrize("companions,expect", [
    ([], "至少两名"),
    (["core1"], "至少两名"),
    # The same person named twice is one companion.
    (["core1", "core1"], "至少两名"),
    # 重要 (机密) clearance is not enough for 绝密.
    (["core1", "lisi"], "同行人员 lisi 的涉密等级低于绝密"),
    (["core1", "wangwu"], "同行人员 wangwu 的涉密等级低于绝密"),
    (["core1", "secadmin"], "不能担任同行人员"),
    (["core1", "hexin"], "同行人员不能包括申请人本人"),
    (["hexin", "core1", "core2"], "同行人员不能包括申请人本人"),
])
def test_top_secret_carry_out_needs_two_cleared_companions_besides_the_bearer(cast, top_secret, companions, expect):
    error = assert_refused(lambda: ask(cast, top_secret, actor=cast.hexin, companions=[cast[n] for n in companions]),
                           ValidationFailed, expect)
    assert set(error.field_errors) == {"companions"}


def test_a_companion_must_be_cleared_for_any_level(cast, secret_doc):
    assert_refused(lambda: ask(cast, secret_doc, actor=cast.lisi, companions=[cast.zhangsan]),
                   ValidationFailed, "同行人员 zhangsan 的涉密等级低于机密")


def test_top_secret_is_never_carried_abroad(cast, top_secret):
    error = assert_refused(lambda: ask(cast, top_secret, actor=cast.hexin, abroad=True,
                                       companions=[cast.core1, cast.core2]), ValidationFailed, "绝密级载体禁止携带出境")
    assert set(error.field_errors) == {"abroad"}


def test_approving_an_abroad_carry_out_needs_the_abroad_approved_explicitly(cast, secret_doc):
    request = ask(cast, secret_doc, actor=cast.lisi, abroad=True, destination="香港")
    assert request.abroad and not request.abroad_approved
    error = assert_refused(lambda: svc.request_decide(actor=cast.lingdao, request=request, approve=True,
                                                      comment="同意"), ValidationFailed)
    assert "同意携带出境" in error.field_errors["approve_abroad"]
    approved = svc.request_decide(actor=cast.lingdao, request=request, approve=True, approve_abroad=True)
    assert approved.state == RequestState.APPROVED and approved.abroad_approved
    assert AuditEvent.objects.order_by("-seq").first().detail["abroad_approved"] is True
    carry.carry_check_out(actor=cast.mishu, request=approved)
    assert "出境已批准" in CustodyEvent.objects.filter(carrier=secret_doc).last().note


def test_rejecting_an_abroad_carry_out_needs_no_abroad_flag(cast, secret_doc):
    request = ask(cast, secret_doc, actor=cast.lisi, abroad=True, destination="香港")
    rejected = svc.request_decide(actor=cast.lingdao, request=request, approve=False, comment="不同意出境")
    assert rejected.state == RequestState.REJECTED and not rejected.abroad_approved


def test_an_abroad_carry_out_whose_abroad_was_not_approved_is_not_handed_out(cast, secret_doc):
    request = ask(cast, secret_doc, actor=cast.lisi, abroad=True, destination="香港")
    svc.request_decide(actor=cast.lingdao, request=request, approve=True, approve_abroad=True)
    # A bad data fix took the 出境 approval away: check-out checks it again.
    ApprovalRequest.objects.filter(pk=request.pk).update(abroad_approved=False)
    assert_refused(lambda: carry.carry_check_out(actor=cast.mishu, request=request), InvalidState, "出境未获批准")


def test_a_top_secret_abroad_request_is_never_approved_or_handed_out(cast, top_secret):
    """Created abroad (say, before a correction raised the level) and later 绝密: neither the
    approval nor the check-out lets it out of the country."""
    request = ask(cast, top_secret, actor=cast.hexin, companions=[cast.core1, cast.core2])
    ApprovalRequest.objects.filter(pk=request.pk).update(abroad=True)
    assert_refused(lambda: svc.request_decide(actor=cast.zhuren, request=request, approve=True, approve_abroad=True),
                   InvalidState, "禁止携带出境")
    ApprovalRequest.objects.filter(pk=request.pk).update(abroad=False)
    svc.request_decide(actor=cast.zhuren, request=request, approve=True)
    ApprovalRequest.objects.filter(pk=request.pk).update(abroad=True, abroad_approved=True)
    assert_refused(lambda: carry.carry_check_out(actor=cast.mishu, request=request), InvalidState, "禁止携带出境")


def test_check_out_rechecks_the_bearer_and_the_companions(cast, top_secret):
    request = ask(cast, top_secret, actor=cast.hexin, companions=[cast.core1, cast.core2])
    svc.request_decide(actor=cast.zhuren, request=request, approve=True)
    person = cast.core2.person
    person.person_class = "important"
    person.save()
    assert_refused(lambda: carry.carry_check_out(actor=cast.mishu, request=request), InvalidState, "同行人员")
    person.person_class = "core"
    person.save()
    bearer = cast.hexin.person
    bearer.person_class = "important"
    bearer.save()
    assert_refused(lambda: carry.carry_check_out(actor=cast.mishu, request=request), InvalidState,
                   "涉密资格已不足")


def test_a_second_open_carry_out_on_the_same_carrier_is_refused(cast, secret_carrier):
    make_request(cast, secret_carrier, RequestState.APPROVED)
    assert_refused(lambda: ask(cast, secret_carrier, actor=cast.lisi), InvalidState, "已有未办结的外出携带申请")


def test_a_carrier_already_out_cannot_be_asked_for_or_handed_out_again(cast, secret_carrier):
    make_request(cast, secret_carrier, RequestState.IN_PROGRESS)
    # Out: a new request is refused before the open-request constraint is even reached.
    assert_refused(lambda: ask(cast, secret_carrier, actor=cast.lisi), PolicyDenied, "只有在库的载体")


def test_a_carrier_lent_meanwhile_is_not_handed_out(cast, secret_carrier):
    request = make_request(cast, secret_carrier, RequestState.APPROVED)
    Carrier.objects.filter(pk=secret_carrier.pk).update(custody_status=CustodyStatus.LENT)
    assert_refused(lambda: carry.carry_check_out(actor=cast.mishu, request=request), InvalidState, "不在库")


def _carrier_row(carrier):
    return (Carrier.objects.filter(pk=carrier.pk).values().get(), carrier.history.count(),
            CustodyEvent.objects.filter(carrier=carrier).count())


@pytest.mark.parametrize("how", ["cancel_draft", "cancel_submitted", "cancel_approved", "reject"])
def test_a_rejected_or_cancelled_carry_out_changes_no_carrier(cast, secret_carrier, how):
    before = _carrier_row(secret_carrier)
    request = ask(cast, secret_carrier, submit=how != "cancel_draft")
    if how == "cancel_approved":
        svc.request_decide(actor=cast.lingdao, request=request, approve=True)
    if how == "reject":
        svc.request_decide(actor=cast.lingdao, request=request, approve=False, comment="不必外出")
    else:
        svc.request_cancel(actor=cast.zhangsan, request=request, reason="会议取消")
    assert _carrier_row(secret_carrier) == before
    assert not RequestItem.objects.filter(request=request, is_open=True).exists()
    assert_refused(lambda: carry.carry_check_out(actor=cast.mishu, request=request), InvalidState)
    assert ask(cast, secret_carrier).state == RequestState.SUBMITTED


def test_asking_needs_where_when_and_why(cast, secret_carrier):
    error = assert_refused(lambda: ask(cast, secret_carrier, destination=" ", reason="", depart_date=None,
                                       due_date=None), ValidationFailed)
    assert set(error.field_errors) == {"destination", "reason", "depart_date", "due_date"}
    error = assert_refused(lambda: ask(cast, secret_carrier, depart_date=today() - dt.timedelta(days=1)),
                           ValidationFailed)
    assert "不能早于今天" in error.field_errors["depart_date"]
    error = assert_refused(lambda: ask(cast, secret_carrier, depart_date=today() + dt.timedelta(days=3),
                                       due_date=today() + dt.timedelta(days=2)), ValidationFailed)
    assert "不能早于外出日期" in error.field_errors["due_date"]


def test_who_may_ask_to_carry_out(cast, secret_carrier, register_carrier):
    hidden = register_carrier(level=2, copy_number=9)
    assert_refused(lambda: ask(cast, hidden), NotVisible)
    for username in ("secadmin", "wangwu", "auditor"):
        assert_refused(lambda: ask(cast, secret_carrier, actor=cast[username]), NotVisible)


def test_return_inspection_other_than_intact_needs_a_note(cast, secret_carrier):
    request = make_request(cast, secret_carrier, RequestState.IN_PROGRESS)
    assert_refused(lambda: carry.carry_return(actor=cast.mishu, request=request, condition="damaged"),
                   ValidationFailed, "须写明情况")
    assert_refused(lambda: carry.carry_return(actor=cast.mishu, request=request, condition="lost", note="x"),
                   ValidationFailed)
    done = carry.carry_return(actor=cast.mishu, request=request, condition="damaged", note="封套破损")
    assert (done.return_condition, done.return_note, done.returned_to) == ("damaged", "封套破损", cast.mishu)
    last = CustodyEvent.objects.filter(carrier=secret_carrier).last()
    assert "携带返回检查：损坏" in last.note and "封套破损" in last.note


# ------------------------------------------------------------------------ custody and visibility


def test_custody_log_records_the_trip_under_its_approval(cast, secret_carrier):
    request = make_request(cast, secret_carrier, RequestState.COMPLETED)
    out, back = CustodyEvent.objects.filter(carrier=secret_carrier).order_by("id")[1:]
    assert (out.action, out.from_user, out.to_user, out.from_status, out.to_status) == (
        CustodyAction.HANDED_OUT, cast.mishu, cast.zhangsan, CustodyStatus.IN_REGISTRY, CustodyStatus.CARRIED_OUT)
    assert (back.action, back.from_user, back.to_user, back.from_status, back.to_status) == (
        CustodyAction.RETURNED, cast.zhangsan, cast.mishu, CustodyStatus.CARRIED_OUT, CustodyStatus.IN_REGISTRY)
    assert out.approval_ref == back.approval_ref == request.reference
    assert "lingdao" in out.note and f"{request.due_date:%Y-%m-%d}" in out.note
    assert request.checked_out_by == cast.mishu and request.executed_at and request.completed_at


def test_the_bearer_sees_the_carrier_while_it_is_out_and_custody_returns_to_the_registrar(cast, register_carrier):
    carrier = register_carrier(level=2, copy_number=2)  # in nobody's scope
    widen_scope(carrier=carrier, registrar=cast.mishu, principal=cast.zhuren, user=cast.zhangsan, reason="外出汇报")
    request = ask(cast, carrier)
    svc.request_decide(actor=cast.lingdao, request=request, approve=True)
    carrier_scope_revoke(actor=cast.mishu, carrier=carrier, reason="仅限携带期间", user_id=cast.zhangsan.pk)
    assert not visible_carriers(cast.zhangsan).filter(pk=carrier.pk).exists(), "approved is not yet out"
    carry.carry_check_out(actor=cast.mishu, request=request)
    held = Carrier.objects.get(pk=carrier.pk)
    assert (held.custody_status, held.custodian) == (CustodyStatus.CARRIED_OUT, cast.zhangsan)
    assert visible_carriers(cast.zhangsan).filter(pk=carrier.pk).exists(), "the bearer holds it"
    assert not visible_carriers(cast.lisi).filter(pk=carrier.pk).exists()
    assert carrier_selectors.carrier_get_for_user(user=cast.zhangsan, pk=carrier.pk).pk == carrier.pk
    carry.carry_return(actor=cast.mishu, request=request, condition="intact")
    back = Carrier.objects.get(pk=carrier.pk)
    assert (back.custody_status, back.custodian) == (CustodyStatus.IN_REGISTRY, cast.mishu)
    assert not visible_carriers(cast.zhangsan).filter(pk=carrier.pk).exists()
    with pytest.raises(NotVisible):
        carrier_selectors.carrier_get_for_user(user=cast.zhangsan, pk=carrier.pk)
    assert visible_carriers(cast.mishu).filter(pk=carrier.pk).exists()


def test_a_level_raised_after_approval_must_be_asked_again(cast, secret_carrier):
    request = make_request(cast, secret_carrier, RequestState.APPROVED)
    raise_level(registrar=cast.mishu, decider=cast.zhuren, carrier=secret_carrier, level=3)
    assert_refused(lambda: carry.carry_check_out(actor=cast.mishu, request=request), InvalidState, "密级已变更")
    assert request.kind == RequestKind.CARRY_OUT



def test_a_pending_decider_outside_the_scope_may_not_ask_to_carry_it_out(cast, register_carrier):
    carrier = register_carrier(level=3, copy_number=4, scope_users=[cast.lisi])
    lending.loan_request_create(actor=cast.lisi, carrier=carrier, due_date=today(), reason="参阅")
    assert visible_carriers(cast.lingdao).filter(pk=carrier.pk).exists(), "only while deciding lisi's loan"
    # SPEC §5: only a reader in scope asks; the decider's temporary sight is not scope.
    with pytest.raises(DomainError, match="不在该载体的知悉范围内"):
        ask(cast, carrier, actor=cast.lingdao)
