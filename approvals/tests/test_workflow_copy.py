"""复制 / 摘抄 / 汇编 (copy) workflow: every (state × action × role) cell of the transition table,
the hard rules of SPEC §5 (REG24 art. 27(5), 29(4); LAW24 art. 26), and what the copies are:
new carriers linked to the original, same level, period and 知悉范围, new 份号, 复制戳记 recorded
(the grid's set-up is shared through tests.grid; compilations: test_workflow_compile.py)."""
import datetime as dt

import pytest
from guardian.shortcuts import assign_perm

from approvals import services as svc
from approvals.kinds import lend as lending
from approvals.kinds import carry
from approvals.kinds import repair as repairs
from approvals.kinds import copy as scopy
from approvals.kinds.copy import COPY_TRANSITIONS
from approvals.models import ApprovalRequest, ApprovalStep, RequestItem, RequestState
from approvals.workflows import Action, CopyAction, Party
from audits.models import AuditEvent
from conftest import make_carrier, make_user
from approvals import selectors
from documents.models import (
    Carrier, CarrierGroupScope, CarrierUserScope, CustodyAction, CustodyEvent, CustodyStatus, Direction,
)
from documents.policy import visible_carriers
from documents.services import local_today
from documents.tests.factories import raise_level
from personnel.models import Role
from secrecy.errors import DomainError, InvalidState, NotVisible, PolicyDenied, ValidationFailed
from tests import grid

ROLES = ["requester", "eligible_approver", "ineligible_approver", "registrar", "other_reader", "admin"]
PARTY_OF_ROLE = {"requester": Party.REQUESTER, "eligible_approver": Party.APPROVER, "registrar": Party.REGISTRAR}
ACTIONS = Action.values + CopyAction.values
COUNT = 2


def module_cast(unit):
    """The demo cast plus an approver without authority, a 核心 reader and a non-principal
    approver with 绝密 authority; made with the cast."""
    people = {}
    people["fuzhuren"] = make_user("fuzhuren", department=unit.business, roles=[Role.APPROVER],
                                   person_class="important", approval=0)
    people["hexin"] = make_user("hexin", department=unit.business, roles=[Role.READER], person_class="core")
    people["deputy"] = make_user("deputy", department=unit.office, roles=[Role.APPROVER], person_class="core",
                                 approval=4)
    return people


def make_secret_carrier(cast):
    """A 秘密 document, 份号 3, in scope of all of 业务一处."""
    return make_carrier(cast, level=2, copy_number=3, title="业务一处会议纪要", scope_groups=[cast.business.group])


@pytest.fixture
def secret_carrier(cast):
    return make_secret_carrier(cast)


def world():
    """Everything a workflow write could touch: requests, steps, items, carriers, scope rows, and
    the custody and audit logs."""
    return {
        "requests": list(ApprovalRequest.objects.order_by("id").values_list(
            "id", "state", "submitted_at", "decided_at", "executed_at", "completed_at", "cancelled_at",
            "copy_stamp", "checked_out_by", "consent_letter")),
        "steps": list(ApprovalStep.objects.order_by("id").values_list("id", "decision", "decided_by", "comment")),
        "items": list(RequestItem.objects.order_by("id").values_list("id", "carrier_id", "is_open")),
        "carriers": list(Carrier.objects.order_by("id").values_list(
            "id", "serial", "custody_status", "custodian_id", "level", "secrecy_status", "copy_number", "original_id")),
        "scope": (CarrierUserScope.objects.count(), CarrierGroupScope.objects.count()),
        "custody": CustodyEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def counts():
    return {model.__name__: model.objects.count()
            for model in (ApprovalRequest, RequestItem, Carrier, CustodyEvent, AuditEvent)}


def assert_refused(call, error=DomainError, expect=None):
    """The call is refused with a Chinese message and changes nothing at all."""
    return grid.assert_refused(call, world=lambda: (counts(), world()), error=error, expect=expect)


def ask(cast, carrier, *, actor=None, submit=True, count=COUNT, mode="copy", carriers=None, **extra):
    return scopy.copy_request_create(actor=actor or cast.zhangsan, carriers=carriers or [carrier], mode=mode,
                                     count=count, reason="会议材料需复制分发", submit=submit, **extra)


def make_request(cast, carrier, state):
    """A copy request of zhangsan's, brought to `state` through the services. A copy request never
    passes through 执行中 (the copies are made in one step): that state is forced, to prove the
    table allows nothing from it."""
    request = ask(cast, carrier, submit=state != RequestState.DRAFT)
    if state in (RequestState.DRAFT, RequestState.SUBMITTED):
        return request
    if state == RequestState.CANCELLED:
        return svc.request_cancel(actor=cast.zhangsan, request=request)
    if state == RequestState.REJECTED:
        return svc.request_decide(actor=cast.lingdao, request=request, approve=False, comment="暂不需要")
    request = svc.request_decide(actor=cast.lingdao, request=request, approve=True, comment="同意")
    if state == RequestState.APPROVED:
        return request
    if state == RequestState.IN_PROGRESS:
        ApprovalRequest.objects.filter(pk=request.pk).update(state=RequestState.IN_PROGRESS)
        return ApprovalRequest.objects.get(pk=request.pk)
    return scopy.copy_make(actor=cast.mishu, request=request, copy_stamp=scopy.default_copy_stamp())


def actor_for(cast, role):
    return {
        "requester": cast.zhangsan, "eligible_approver": cast.lingdao, "ineligible_approver": cast.fuzhuren,
        "registrar": cast.mishu, "other_reader": cast.lisi, "admin": cast.secadmin,
    }[role]


def _first_success(calls):
    """A copy request has nothing to hand out or take back: every kind's hand-out (or take-back)
    service is tried; it is refused only if all of them refuse."""
    last = None
    for call in calls:
        try:
            return call()
        except DomainError as refusal:
            last = refusal
    raise last


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
        return _first_success([
            lambda: lending.loan_check_out(actor=actor, request=request),
            lambda: carry.carry_check_out(actor=actor, request=request),
            lambda: repairs.repair_start(actor=actor, request=request, storage_removed_note="已拆除硬盘"),
        ])
    if action == Action.RETURN:
        return _first_success([
            lambda: lending.loan_return(actor=actor, request=request, condition="intact"),
            lambda: carry.carry_return(actor=actor, request=request, condition="intact"),
            lambda: repairs.repair_finish(actor=actor, request=request, condition="intact"),
        ])
    if action == CopyAction.MAKE_COPIES:
        return scopy.copy_make(actor=actor, request=request, copy_stamp="示范单位复制 2026年11月23日")
    raise AssertionError(action)


def check_cell(cast, carrier, request_pk, state, action, role):
    request = ApprovalRequest.objects.get(pk=request_pk)
    before = world()
    move = COPY_TRANSITIONS.get((state, action))
    allowed = move is not None and PARTY_OF_ROLE.get(role) in move.by
    actor = actor_for(cast, role)
    original = Carrier.objects.get(pk=carrier.pk)

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
    same_original = Carrier.objects.get(pk=carrier.pk)
    assert (same_original.custody_status, same_original.custodian_id, same_original.level) == (
        original.custody_status, original.custodian_id, original.level), "copying never moves the original"
    if action == CopyAction.MAKE_COPIES:
        made = list(Carrier.objects.filter(source_request=request).order_by("copy_number"))
        assert len(made) == COUNT and len(after["carriers"]) == len(before["carriers"]) + COUNT
        assert [c.copy_number for c in made] == [4, 5]
        assert all(c.original_id == carrier.pk and c.level == 2 and c.custody_status == CustodyStatus.IN_REGISTRY
                   for c in made)
        # One registration row per copy and one 复制 row on the original.
        assert after["custody"] == before["custody"] + COUNT + 1
        assert result.copy_stamp == "示范单位复制 2026年11月23日"
    else:
        # Asking, deciding and cancelling change no carrier.
        assert after["carriers"] == before["carriers"] and after["custody"] == before["custody"]
        assert after["scope"] == before["scope"]
    open_items = list(RequestItem.objects.filter(request=request).values_list("is_open", flat=True))
    if move.to in (RequestState.CANCELLED, RequestState.REJECTED, RequestState.COMPLETED):
        assert open_items == [False]
    else:
        assert open_items == [True]


# The cells of a state share its request (conftest `staged`).
module_stage = grid.request_stage(make_secret_carrier, make_request)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", RequestState.values)
def test_every_cell_of_the_copy_table(cast, staged, state, action):
    request = ApprovalRequest.objects.get(pk=staged["request"])
    secret_carrier = Carrier.objects.get(pk=staged["carrier"])
    grid.check_every_role(ROLES, lambda role: check_cell(cast, secret_carrier, request.pk, state, action, role),
                          world=world, cell=f"{state} × {action}")


def test_the_table_names_known_parties_states_and_actions():
    for (state, action), move in COPY_TRANSITIONS.items():
        assert state in RequestState.values and move.to in RequestState.values
        assert action in ACTIONS and set(move.by) <= set(Party.values)
    # Making the copies is the only way out of 已批准 other than cancelling, and it completes.
    assert COPY_TRANSITIONS[(RequestState.APPROVED, CopyAction.MAKE_COPIES)].to == RequestState.COMPLETED
    assert not any(state == RequestState.IN_PROGRESS for state, _ in COPY_TRANSITIONS)


# ------------------------------------------------------------------------------ approvals


@pytest.fixture
def secret_doc(cast, register_carrier):
    """A 机密 document in scope of 业务一处."""
    return register_carrier(level=3, copy_number=4, scope_groups=[cast.business.group])


def test_nobody_approves_their_own_copy_request(cast, secret_doc):
    request = ask(cast, secret_doc, actor=cast.lingdao)
    assert_refused(lambda: svc.request_decide(actor=cast.lingdao, request=request, approve=True, comment="同意"),
                   PolicyDenied, "不能审批本人提出的申请")
    assert request not in selectors.requests_inbox(user=cast.lingdao)
    assert svc.request_decide(actor=cast.zhuren, request=request, approve=True).state == RequestState.APPROVED


def test_an_approver_without_clearance_for_the_level_is_refused(cast, secret_doc):
    # 机密 authority on paper, but only 一般 (秘密) clearance.
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


CONSENT = {"consent_authority": "国家某部", "consent_letter": "某密函〔2026〕8号",
           "consent_date": dt.date(2026, 11, 20)}


@pytest.fixture
def top_secret(cast, register_carrier):
    return register_carrier(level=4, copy_number=2, title="绝密文件", scope_users=[cast.hexin])


def test_top_secret_copy_needs_the_principal(cast, top_secret):
    request = ask(cast, top_secret, actor=cast.hexin, count=1, **CONSENT)
    assert (request.consent_authority, request.consent_letter, request.consent_date) == tuple(CONSENT.values())
    step = request.steps.get()
    assert step.requires_principal and step.min_authority == 4
    # 绝密 clearance and 绝密 authority, but not the 主要负责人.
    assert_refused(lambda: svc.request_decide(actor=cast.deputy, request=request, approve=True),
                   PolicyDenied, "须由主要负责人审批")
    assert request not in selectors.requests_inbox(user=cast.deputy)
    assert list(selectors.requests_inbox(user=cast.zhuren)) == [request]
    approved = svc.request_decide(actor=cast.zhuren, request=request, approve=True, comment="同意")
    done = scopy.copy_make(actor=cast.mishu, request=approved, copy_stamp="示范单位复制")
    made = Carrier.objects.get(source_request=done)
    assert made.level == 4 and made.copy_number == 3 and made.original_id == top_secret.pk


@pytest.mark.parametrize("missing", ["consent_authority", "consent_letter", "consent_date"])
def test_top_secret_copy_request_without_the_consent_record_is_refused(cast, top_secret, missing):
    consent = {**CONSENT, missing: None if missing == "consent_date" else "  "}
    error = assert_refused(lambda: ask(cast, top_secret, actor=cast.hexin, count=1, **consent), ValidationFailed)
    assert set(error.field_errors) == {missing}
    assert "原定密机关" in error.field_errors[missing] or "同意" in error.field_errors[missing]


def test_top_secret_consent_cannot_be_dated_in_the_future(cast, top_secret):
    consent = {**CONSENT, "consent_date": local_today() + dt.timedelta(days=1)}
    error = assert_refused(lambda: ask(cast, top_secret, actor=cast.hexin, count=1, **consent), ValidationFailed)
    assert "不能晚于今天" in error.field_errors["consent_date"]


def test_a_compilation_with_a_top_secret_part_needs_the_consent_too(cast, register_carrier, top_secret):
    other = register_carrier(level=3, copy_number=5, scope_users=[cast.hexin])
    error = assert_refused(lambda: ask(cast, None, actor=cast.hexin, mode="compile", carriers=[other, top_secret],
                                       count=1, copy_title="专题汇编"), ValidationFailed)
    assert {"consent_authority", "consent_letter", "consent_date"} <= set(error.field_errors)


def test_approval_and_making_recheck_the_consent_record(cast, top_secret):
    """Even a 绝密 request whose consent record went missing (say, a bad data fix) is neither
    approved nor copied."""
    request = ask(cast, top_secret, actor=cast.hexin, count=1, **CONSENT)
    ApprovalRequest.objects.filter(pk=request.pk).update(consent_date=None)
    assert_refused(lambda: svc.request_decide(actor=cast.zhuren, request=request, approve=True),
                   InvalidState, "原定密机关的同意文件")
    ApprovalRequest.objects.filter(pk=request.pk).update(consent_date=CONSENT["consent_date"])
    svc.request_decide(actor=cast.zhuren, request=request, approve=True)
    ApprovalRequest.objects.filter(pk=request.pk).update(consent_letter="")
    assert_refused(lambda: scopy.copy_make(actor=cast.mishu, request=request, copy_stamp="示范单位复制"),
                   InvalidState, "原定密机关的同意文件")


def test_a_second_open_copy_request_on_the_same_carrier_is_refused(cast, secret_carrier, register_carrier):
    ask(cast, secret_carrier)
    assert_refused(lambda: ask(cast, secret_carrier, actor=cast.lisi), InvalidState, "已有未办结的复制申请")
    # Nor can it go into a compilation while that request is open.
    other = register_carrier(level=2, copy_number=1, scope_groups=[cast.business.group])
    assert_refused(lambda: ask(cast, None, actor=cast.lisi, mode="compile", carriers=[other, secret_carrier],
                               copy_title="汇编"), InvalidState, secret_carrier.serial)
    # Another kind of request on the same carrier is a different matter.
    carry.carry_request_create(actor=cast.lisi, carrier=secret_carrier, destination="北京",
                               depart_date=local_today(), due_date=local_today(), reason="开会")


def test_a_pending_decider_outside_the_scope_may_not_ask_for_a_copy(cast, register_carrier):
    carrier = register_carrier(level=3, copy_number=4, scope_users=[cast.lisi])
    lending.loan_request_create(actor=cast.lisi, carrier=carrier, due_date=local_today(), reason="参阅")
    assert visible_carriers(cast.lingdao).filter(pk=carrier.pk).exists(), "only while deciding lisi's loan"
    with pytest.raises(DomainError):
        ask(cast, carrier, actor=cast.lingdao)


def _carrier_row(carrier):
    return (Carrier.objects.filter(pk=carrier.pk).values().get(), carrier.history.count(),
            CustodyEvent.objects.filter(carrier=carrier).count())


@pytest.mark.parametrize("how", ["cancel_draft", "cancel_submitted", "cancel_approved", "reject"])
def test_a_rejected_or_cancelled_copy_request_changes_no_carrier(cast, secret_carrier, how):
    before = _carrier_row(secret_carrier)
    carriers_before = Carrier.objects.count()
    request = ask(cast, secret_carrier, submit=how != "cancel_draft")
    if how == "cancel_approved":
        svc.request_decide(actor=cast.lingdao, request=request, approve=True)
    if how == "reject":
        svc.request_decide(actor=cast.lingdao, request=request, approve=False, comment="不必复制")
    else:
        svc.request_cancel(actor=cast.zhangsan, request=request, reason="不需要了")
    assert _carrier_row(secret_carrier) == before
    assert Carrier.objects.count() == carriers_before
    assert not RequestItem.objects.filter(request=request, is_open=True).exists()
    # The closed request makes nothing any more.
    assert_refused(lambda: scopy.copy_make(actor=cast.mishu, request=request, copy_stamp="复制"), InvalidState)
    # Released: a new request may be made.
    assert ask(cast, secret_carrier).state == RequestState.SUBMITTED


def test_who_may_ask_for_a_copy(cast, secret_carrier, register_carrier):
    hidden = register_carrier(level=2, copy_number=9)  # nobody of 业务一处 in scope
    assert_refused(lambda: ask(cast, hidden), NotVisible)
    for username in ("secadmin", "wangwu", "auditor"):
        assert_refused(lambda: ask(cast, secret_carrier, actor=cast[username]), NotVisible)
    machine = register_carrier(level=2, kind="computer", device_serial="PC-1", copy_number=None,
                               scope_groups=[cast.business.group])
    assert_refused(lambda: ask(cast, machine), PolicyDenied, "不能复制")
    assert_refused(lambda: ask(cast, secret_carrier, count=0), ValidationFailed, "复制份数")
    assert_refused(lambda: ask(cast, secret_carrier, count=scopy.MAX_COPIES + 1), ValidationFailed, "复制份数")
    assert_refused(lambda: ask(cast, None, mode="compile", carriers=[secret_carrier], copy_title="x"),
                   ValidationFailed, "至少选择两件")


def test_making_copies_needs_the_stamp_and_the_original_in_the_registry(cast, secret_carrier):
    request = make_request(cast, secret_carrier, RequestState.APPROVED)
    assert_refused(lambda: scopy.copy_make(actor=cast.mishu, request=request, copy_stamp="  "),
                   ValidationFailed, "复制戳记")
    Carrier.objects.filter(pk=secret_carrier.pk).update(custody_status=CustodyStatus.LENT)
    assert_refused(lambda: scopy.copy_make(actor=cast.mishu, request=request, copy_stamp="复制"),
                   InvalidState, "须在库时才能复制")


def test_a_level_raised_after_approval_must_be_asked_again(cast, secret_carrier):
    request = make_request(cast, secret_carrier, RequestState.APPROVED)
    raise_level(registrar=cast.mishu, decider=cast.zhuren, carrier=secret_carrier, level=3)
    assert_refused(lambda: scopy.copy_make(actor=cast.mishu, request=request, copy_stamp="复制"),
                   InvalidState, "密级已变更")


def test_copy_make_refuses_requests_of_other_kinds(cast, register_carrier):
    device = register_carrier(level=2, kind="removable", device_serial="U-7", copy_number=None,
                              scope_groups=[cast.business.group])
    repair = repairs.repair_request_create(actor=cast.mishu, carrier=device, mode="off_site", repairer="定点单位",
                                         reason="无法读取")
    svc.request_decide(actor=cast.lingdao, request=repair, approve=True)
    assert_refused(lambda: scopy.copy_make(actor=cast.mishu, request=repair, copy_stamp="复制"),
                   InvalidState, "不是复制申请")


# ------------------------------------------------------------------------------ the copies


def _copy(cast, carrier, *, count=COUNT, actor=None, mode="copy"):
    request = ask(cast, carrier, actor=actor or cast.lisi, count=count, mode=mode)
    svc.request_decide(actor=cast.lingdao, request=request, approve=True, comment="同意")
    done = scopy.copy_make(actor=cast.mishu, request=request, copy_stamp="示范单位复制 2026年11月23日")
    return done, list(Carrier.objects.filter(source_request=done).order_by("copy_number"))


def test_copies_get_new_numbers_after_the_highest_in_use(cast, register_carrier, secret_doc):
    # Another 份 of the same document (same 文号, same issuer) registered separately as 份号 12.
    register_carrier(level=3, copy_number=12, scope_groups=[cast.business.group])
    # A different document's 份号 does not count.
    register_carrier(level=3, copy_number=40, doc_number="某保〔2026〕99号", scope_groups=[cast.business.group])
    _, first = _copy(cast, secret_doc, count=3)
    assert [c.copy_number for c in first] == [13, 14, 15]
    assert [c.copy_number_display for c in first] == ["000013", "000014", "000015"]
    _, second = _copy(cast, secret_doc, count=2)
    assert [c.copy_number for c in second] == [16, 17]
    serials = [c.serial for c in first + second]
    assert len(set(serials)) == 5 and secret_doc.serial not in serials
    assert all(c.serial_number > secret_doc.serial_number for c in first + second)


def test_a_copy_of_a_copy_continues_the_numbering_of_the_whole_document(cast, register_carrier):
    """Without a 文号 the document's family is the original and its copies at any depth: copying a
    copy must not hand out a 份号 another copy already has."""
    original = register_carrier(level=3, copy_number=1, doc_number="", title="内部研究稿",
                                scope_groups=[cast.business.group])
    _, copies = _copy(cast, original, count=2)
    assert [c.copy_number for c in copies] == [2, 3]
    _, grandchildren = _copy(cast, copies[0], count=1)
    assert grandchildren[0].copy_number == 4
    assert grandchildren[0].original_id == copies[0].pk
    numbers = list(Carrier.objects.filter(title="内部研究稿").values_list("copy_number", flat=True))
    assert sorted(numbers) == [1, 2, 3, 4]


def test_copies_keep_level_mark_period_and_scope_and_link_to_the_original(cast, secret_doc):
    assign_perm("documents.view_carrier", cast.baomi, secret_doc)
    request, copies = _copy(cast, secret_doc)
    for copy in copies:
        assert copy.original_id == secret_doc.pk and copy.source_request_id == request.pk
        assert (copy.level, copy.mark, copy.declassify_on, copy.start_date) == (
            secret_doc.level, secret_doc.mark, secret_doc.declassify_on, secret_doc.start_date)
        assert (copy.title, copy.doc_number, copy.issuer, copy.kind, copy.department_id, copy.scope_note) == (
            secret_doc.title, secret_doc.doc_number, secret_doc.issuer, secret_doc.kind, secret_doc.department_id,
            secret_doc.scope_note)
        assert copy.copy_stamp == "示范单位复制 2026年11月23日" and copy.copies == 1
        assert copy.direction == Direction.INTERNAL and copy.registered_by == cast.mishu
        assert (copy.custody_status, copy.custodian) == (CustodyStatus.IN_REGISTRY, cast.mishu)
        assert set(CarrierUserScope.objects.filter(content_object=copy).values_list("user", flat=True)) == {
            cast.baomi.pk}
        assert set(CarrierGroupScope.objects.filter(content_object=copy).values_list("group", flat=True)) == {
            cast.business.group.pk}
    assert set(secret_doc.copies_made.all()) == set(copies)
    assert request.copy_stamp == "示范单位复制 2026年11月23日" and request.checked_out_by == cast.mishu


def test_the_copies_and_the_original_record_the_copying(cast, secret_doc):
    request, copies = _copy(cast, secret_doc)
    for copy in copies:
        (registered,) = CustodyEvent.objects.filter(carrier=copy)
        assert (registered.action, registered.to_user, registered.to_status, registered.recorded_by) == (
            CustodyAction.REGISTERED, cast.mishu, CustodyStatus.IN_REGISTRY, cast.mishu)
        assert registered.approval_ref == request.reference
        assert secret_doc.serial in registered.note and "lingdao" in registered.note
    copied = CustodyEvent.objects.filter(carrier=secret_doc).last()
    assert (copied.action, copied.from_user, copied.to_user, copied.recorded_by) == (
        CustodyAction.COPIED, cast.mishu, cast.mishu, cast.mishu)
    assert copied.approval_ref == request.reference
    assert all(c.serial in copied.note for c in copies) and "示范单位复制" in copied.note
    # The original stays where it was.
    original = Carrier.objects.get(pk=secret_doc.pk)
    assert (original.custody_status, original.custodian) == (CustodyStatus.IN_REGISTRY, cast.mishu)
    event = AuditEvent.objects.filter(action="request.make_copies").get()
    assert event.detail["copies"] == [c.pk for c in copies] and event.detail["stamp"] == "示范单位复制 2026年11月23日"


def test_who_sees_the_copies_is_who_sees_the_original(cast, secret_doc):
    assign_perm("documents.view_carrier", cast.baomi, secret_doc)
    _, copies = _copy(cast, secret_doc)
    people = [cast[name] for name in ("mishu", "zhuren", "lingdao", "baomi", "lisi", "zhangsan", "wangwu",
                                      "sysadmin", "secadmin", "auditor", "fuzhuren", "hexin", "deputy")]
    for person in people:
        sees_original = visible_carriers(person).filter(pk=secret_doc.pk).exists()
        sees_copies = visible_carriers(person).filter(pk__in=[c.pk for c in copies]).count()
        assert sees_copies == (COUNT if sees_original else 0), person.username
    seen = {p.username for p in people if visible_carriers(p).filter(pk=copies[0].pk).exists()}
    # 业务一处 members cleared for 机密, the user granted by name, the registrar.
    assert seen == {"mishu", "lingdao", "baomi", "lisi", "fuzhuren", "hexin"}


def test_an_excerpt_is_marked_as_such(cast, secret_doc):
    _, (excerpt,) = _copy(cast, secret_doc, count=1, mode="excerpt")
    assert excerpt.title == f"{secret_doc.title}（摘抄）" and excerpt.mark == secret_doc.mark
    assert excerpt.original_id == secret_doc.pk and excerpt.copy_number == 5
