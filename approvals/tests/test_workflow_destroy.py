"""销毁 (destruction batch) workflow: every (state × action × role) cell of the transition table,
the witness and approval rules of SPEC §5 / REG24 art. 28, and the 销毁清单's rows."""
import datetime as dt

import pytest

from approvals import services as svc
from approvals.kinds import lend as lending
from approvals.kinds import destroy
from approvals.kinds.destroy import DESTROY_TRANSITIONS
from approvals.models import (
    ApprovalRequest, ApprovalStep, DestructionDetail, DestructionWitness, RequestItem, RequestKind, RequestState,
)
from approvals.workflows import Action, DestroyAction, Party
from audits.models import AuditEvent
from conftest import make_carrier, make_user
from approvals import registers as approval_registers
from approvals import selectors
from documents import selectors as carrier_selectors
from documents.models import Carrier, CustodyEvent, CustodyStatus
from documents.services import local_today
from personnel.models import Role
from registers import services as register_services
from secrecy import printing
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed
from tests import grid

ROLES = ["requester", "eligible_approver", "ineligible_approver", "secrecy_witness", "other_witness",
         "other_reader", "admin"]
# The requester of a batch is its registrar: they are both parties.
PARTIES_OF_ROLE = {
    "requester": {Party.REQUESTER, Party.REGISTRAR}, "eligible_approver": {Party.APPROVER},
    "secrecy_witness": {Party.WITNESS}, "other_witness": {Party.WITNESS},
}
ACTIONS = Action.values + DestroyAction.values

# Stages of a batch: the request states, with 已批准 split by whether both witnesses confirmed.
# (执行中 is not a state a batch passes through: it goes from 已批准 to 已销毁 in one execution.)
STAGES = ["draft", "submitted", "approved", "witnessed", "completed", "rejected", "cancelled"]
STATE_OF_STAGE = {
    "draft": RequestState.DRAFT, "submitted": RequestState.SUBMITTED, "approved": RequestState.APPROVED,
    "witnessed": RequestState.APPROVED, "completed": RequestState.COMPLETED, "rejected": RequestState.REJECTED,
    "cancelled": RequestState.CANCELLED,
}
# Moves the table allows the party to make, refused by the batch's own guard at that stage.
GUARDED = {
    ("approved", DestroyAction.EXECUTE): "监销人确认不足",
    ("witnessed", DestroyAction.WITNESS_CONFIRM): "已确认监销",
    ("witnessed", DestroyAction.DESIGNATE): "已有监销人确认",
}

# About 70 s on one worker: handed out before the short files (conftest.py, heavy).
pytestmark = pytest.mark.heavy(seconds=70)


def module_cast(unit):
    """People every test here shares, made once per module with the cast (conftest.module_cast_of)."""
    people = {}
    people["fuzhuren"] = make_user("fuzhuren", department=unit.business, roles=[Role.APPROVER],
                                   person_class="important", approval=2)
    people["jiandu"] = make_user("jiandu", department=unit.business, roles=[Role.READER], person_class="important",
                                 full_name="简督")
    return people


def make_batch_carriers(cast):
    """A 机密 paper document (2 copies) and a 秘密 USB stick of 业务一处, both 在库 with mishu."""
    return [
        make_carrier(cast, level=3, copy_number=5, copies=2, title="年度保密检查报告"),
        make_carrier(cast, level=2, kind="removable", device_serial="USB-0099", copy_number=None, pages="32GB",
                     title="项目资料U盘"),
    ]


@pytest.fixture
def batch_carriers(cast):
    return make_batch_carriers(cast)


def planned():
    return local_today() + dt.timedelta(days=3)


def build(cast, carriers, *, submit=True, witnesses=None, actor=None):
    return destroy.destruction_batch_create(
        actor=actor or cast.mishu, carriers=carriers, reason="超过保存期限，经清理需销毁", method="send",
        place="市保密局销毁中心", destruction_body="市涉密载体销毁中心", planned_date=planned(),
        witnesses=[cast.baomi, cast.jiandu] if witnesses is None else witnesses, submit=submit)


def make_batch(cast, carriers, stage):
    batch = build(cast, carriers, submit=stage != "draft")
    if stage in ("draft", "submitted"):
        return batch
    if stage == "cancelled":
        return svc.request_cancel(actor=cast.mishu, request=batch)
    if stage == "rejected":
        return svc.request_decide(actor=cast.zhuren, request=batch, approve=False, comment="暂缓销毁")
    batch = svc.request_decide(actor=cast.zhuren, request=batch, approve=True, comment="同意销毁")
    if stage == "approved":
        return batch
    destroy.destruction_witness_confirm(actor=cast.baomi, request=batch)
    destroy.destruction_witness_confirm(actor=cast.jiandu, request=batch)
    if stage == "witnessed":
        return batch
    return destroy.destruction_execute(actor=cast.mishu, request=batch, destroyed_by_name="张师傅")


def actor_for(cast, role):
    return {
        "requester": cast.mishu, "eligible_approver": cast.zhuren, "ineligible_approver": cast.fuzhuren,
        "secrecy_witness": cast.baomi, "other_witness": cast.jiandu, "other_reader": cast.lisi,
        "admin": cast.secadmin,
    }[role]


def perform(cast, action, *, actor, request):
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
    if action == DestroyAction.DESIGNATE:
        return destroy.destruction_witnesses_set(actor=actor, request=request, witnesses=[cast.baomi, cast.jiandu])
    if action == DestroyAction.WITNESS_CONFIRM:
        return destroy.destruction_witness_confirm(actor=actor, request=request)
    if action == DestroyAction.EXECUTE:
        return destroy.destruction_execute(actor=actor, request=request, destroyed_by_name="张师傅")
    raise AssertionError(action)


def carrier_state(carriers):
    return [tuple(Carrier.objects.filter(pk=c.pk).values_list(
        "custody_status", "custodian_id", "level", "secrecy_status", "department_id")[0]) for c in carriers]


def snapshot(request, carriers):
    request.refresh_from_db()
    return {
        "request": (request.state, request.submitted_at, request.decided_at, request.executed_at,
                    request.completed_at, request.cancelled_at),
        "detail": list(DestructionDetail.objects.filter(request=request).values_list(
            "executed_on", "destroyed_by_name", "executed_by")),
        "steps": list(ApprovalStep.objects.filter(request=request).values_list("decision", "decided_by", "comment")),
        "items": list(RequestItem.objects.filter(request=request).values_list("is_open", flat=True)),
        "witnesses": list(DestructionWitness.objects.filter(request=request).values_list("user", "confirmed_at")),
        "carriers": carrier_state(carriers),
        "custody": CustodyEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "requests": ApprovalRequest.objects.count(),
    }


CELLS = [(stage, action, role) for stage in STAGES for action in ACTIONS for role in ROLES]
STAGED_BY = "stage"


def module_stage(cast, stage):
    """A batch of the two carriers brought to `stage`, shared by the cells of that stage (conftest
    `staged`): the batch's and the carriers' primary keys."""
    carriers = make_batch_carriers(cast)
    return {"batch": make_batch(cast, carriers, stage).pk, "carriers": [c.pk for c in carriers]}


@pytest.mark.parametrize("stage,action,role", CELLS)
def test_every_cell_of_the_destroy_table(cast, staged, stage, action, role):
    batch = ApprovalRequest.objects.get(pk=staged["batch"])
    batch_carriers = [Carrier.objects.get(pk=pk) for pk in staged["carriers"]]
    before = snapshot(batch, batch_carriers)
    state = STATE_OF_STAGE[stage]
    move = DESTROY_TRANSITIONS.get((state, action))
    actor = actor_for(cast, role)
    allowed = move is not None and bool(set(move.by) & PARTIES_OF_ROLE.get(role, set()))
    guard = GUARDED.get((stage, action)) if allowed else None

    if allowed and guard is None:
        result = perform(cast, action, actor=actor, request=batch)
        after = snapshot(result, batch_carriers)
        assert result.state == move.to
        assert after["audit"] == before["audit"] + 1, "exactly one audit event per real change"
        event = AuditEvent.objects.order_by("-seq").first()
        assert event.action == f"request.{action}" and event.actor_id == actor.pk
        assert event.target_id == batch.pk and event.level == 3
        statuses = [row[0] for row in after["carriers"]]
        if action == DestroyAction.EXECUTE:
            assert statuses == [CustodyStatus.DESTROYED] * 2
            assert after["custody"] == before["custody"] + 2
            assert all(ev.approval_ref == batch.reference for ev in CustodyEvent.objects.order_by("-id")[:2])
        elif move.to in (RequestState.CANCELLED, RequestState.REJECTED):
            assert statuses == [CustodyStatus.IN_REGISTRY] * 2
            assert after["custody"] == before["custody"] + 2
            # Exactly as before the batch: same custodian, level, department.
            assert [r[1:] for r in after["carriers"]] == [r[1:] for r in before["carriers"]]
        else:
            assert after["carriers"] == before["carriers"] and after["custody"] == before["custody"]
        if move.to in (RequestState.CANCELLED, RequestState.REJECTED, RequestState.COMPLETED):
            assert after["items"] == [False, False]
        else:
            assert after["items"] == [True, True]
        if action == DestroyAction.WITNESS_CONFIRM:
            confirmed = dict(after["witnesses"])
            assert confirmed[actor.pk] is not None
    else:
        refused = grid.assert_refused(lambda: perform(cast, action, actor=actor, request=batch),
                                      world=lambda: snapshot(batch, batch_carriers), message_only=True)
        if guard:
            assert guard in refused.message


def test_the_table_names_known_parties_states_and_actions():
    for (state, action), move in DESTROY_TRANSITIONS.items():
        assert state in RequestState.values and move.to in RequestState.values
        assert action in ACTIONS and set(move.by) <= set(Party.values)


# --------------------------------------------------------------------------------- building


def test_building_a_batch_sets_carriers_aside(cast, batch_carriers):
    batch = build(cast, batch_carriers)
    assert (batch.kind, batch.state, batch.level) == (RequestKind.DESTROY, RequestState.SUBMITTED, 3)
    assert carrier_state(batch_carriers)[0][0] == CustodyStatus.PENDING_DESTRUCTION
    events = CustodyEvent.objects.filter(approval_ref=batch.reference)
    assert events.count() == 2 and {e.to_status for e in events} == {CustodyStatus.PENDING_DESTRUCTION}
    assert AuditEvent.objects.filter(action="request.create", target_id=batch.pk).count() == 1


def test_a_carrier_cannot_be_in_two_open_batches(cast, batch_carriers):
    build(cast, batch_carriers[:1], submit=False)
    before = snapshot(ApprovalRequest.objects.get(), batch_carriers)
    with pytest.raises(PolicyDenied) as refused:
        build(cast, batch_carriers)
    assert "只有在库的载体可以列入销毁" in refused.value.message
    assert snapshot(ApprovalRequest.objects.get(), batch_carriers) == before


def test_the_open_request_constraint_guards_batches(cast, batch_carriers):
    first = build(cast, batch_carriers[:1], submit=False)
    # Even if the status were wrong, the partial unique constraint would keep the carrier out.
    Carrier.objects.filter(pk=batch_carriers[0].pk).update(custody_status=CustodyStatus.IN_REGISTRY)
    with pytest.raises(InvalidState) as refused:
        build(cast, batch_carriers[:1])
    assert "未办结" in refused.value.message
    assert ApprovalRequest.objects.filter(kind=RequestKind.DESTROY).count() == 1
    assert RequestItem.objects.filter(carrier=batch_carriers[0], is_open=True).get().request == first


def test_a_carrier_lent_or_requested_cannot_be_destroyed(cast, register_carrier):
    carrier = register_carrier(level=2, copy_number=1, scope_users=[cast.lisi])
    lending.loan_request_create(actor=cast.lisi, carrier=carrier, due_date=planned(), reason="参阅")
    with pytest.raises(InvalidState) as refused:
        build(cast, [carrier])
    assert "借阅申请" in refused.value.message
    assert carrier_state([carrier])[0][0] == CustodyStatus.IN_REGISTRY


def test_declassified_carriers_may_be_destroyed(cast, register_carrier):
    carrier = register_carrier(level=2, copy_number=1)
    Carrier.objects.filter(pk=carrier.pk).update(secrecy_status="declassified")
    batch = build(cast, [carrier])
    assert batch.items.get().carrier_id == carrier.pk


def test_only_a_registrar_managing_the_carriers_builds_a_batch(cast, batch_carriers):
    with pytest.raises(PolicyDenied) as refused:
        build(cast, batch_carriers, actor=cast.zhuren)
    assert "机要秘书" in refused.value.message
    assert not ApprovalRequest.objects.exists()


def test_batch_details_are_required(cast, batch_carriers):
    with pytest.raises(ValidationFailed) as refused:
        destroy.destruction_batch_create(actor=cast.mishu, carriers=batch_carriers, reason="", method="send",
                                         place="", destruction_body="", planned_date=None)
    assert set(refused.value.field_errors) == {"reason", "place", "destruction_body", "planned_date"}
    assert carrier_state(batch_carriers)[0][0] == CustodyStatus.IN_REGISTRY
    assert not ApprovalRequest.objects.exists()


# -------------------------------------------------------------------------------- witnesses


@pytest.mark.parametrize("who,expect", [
    (["baomi"], "至少两名不同的监销人"),
    (["baomi", "baomi"], "至少两名不同的监销人"),
    (["jiandu", "lingdao"], "须至少有一名保密办人员"),
    (["baomi", "mishu"], "申请人不能担任"),
    (["baomi", "zhangsan"], "涉密等级低于本批次的最高密级"),
    (["baomi", "secadmin"], "不能担任监销人"),
])
def test_witness_designations_that_are_refused(cast, batch_carriers, who, expect):
    batch = build(cast, batch_carriers, witnesses=[])
    before = snapshot(batch, batch_carriers)
    with pytest.raises(PolicyDenied) as refused:
        destroy.destruction_witnesses_set(actor=cast.mishu, request=batch, witnesses=[cast[n] for n in who])
    assert expect in refused.value.message
    assert snapshot(batch, batch_carriers) == before


def test_execution_needs_two_confirmed_witnesses_one_from_the_secrecy_office(cast, batch_carriers):
    batch = make_batch(cast, batch_carriers, "approved")
    destroy.destruction_witness_confirm(actor=cast.jiandu, request=batch)
    before = snapshot(batch, batch_carriers)
    with pytest.raises(PolicyDenied) as refused:
        destroy.destruction_execute(actor=cast.mishu, request=batch, destroyed_by_name="张师傅")
    assert "监销人确认不足" in refused.value.message and "至少两名" in refused.value.message
    assert snapshot(batch, batch_carriers) == before
    # Only the designated witnesses confirm, each with their own login.
    with pytest.raises(PolicyDenied) as refused:
        destroy.destruction_witness_confirm(actor=cast.lisi, request=batch)
    assert "不是本批次指定的监销人" in refused.value.message
    destroy.destruction_witness_confirm(actor=cast.baomi, request=batch)
    done = destroy.destruction_execute(actor=cast.mishu, request=batch, destroyed_by=cast.mishu)
    assert done.state == RequestState.COMPLETED and done.destruction.destroyed_by_name == "mishu"


def test_execution_rechecks_the_witnesses_clearance(cast, batch_carriers):
    batch = make_batch(cast, batch_carriers, "witnessed")
    person = cast.jiandu.person
    person.person_class = "general"
    person.save()
    before = snapshot(batch, batch_carriers)
    with pytest.raises(PolicyDenied) as refused:
        destroy.destruction_execute(actor=cast.mishu, request=batch, destroyed_by_name="张师傅")
    assert "涉密等级低于" in refused.value.message
    assert snapshot(batch, batch_carriers) == before


def test_execution_records_date_and_destroyer(cast, batch_carriers):
    batch = make_batch(cast, batch_carriers, "witnessed")
    with pytest.raises(ValidationFailed) as refused:
        destroy.destruction_execute(actor=cast.mishu, request=batch,
                                    executed_on=local_today() + dt.timedelta(days=1))
    assert set(refused.value.field_errors) == {"executed_on", "destroyed_by"}
    done = destroy.destruction_execute(actor=cast.mishu, request=batch, destroyed_by_name="张师傅")
    assert done.destruction.executed_on == local_today()
    # Destroyed carriers stay on record and visible to those who saw them.
    for carrier in batch_carriers:
        assert carrier_selectors.carrier_get_for_user(user=cast.mishu, pk=carrier.pk).custody_status == "destroyed"


# -------------------------------------------------------------------------------- approvals


def test_an_approver_below_the_highest_level_is_refused(cast, batch_carriers):
    batch = build(cast, batch_carriers)
    before = snapshot(batch, batch_carriers)
    with pytest.raises(PolicyDenied) as refused:
        svc.request_decide(actor=cast.fuzhuren, request=batch, approve=True, comment="同意")
    assert "需要机密级及以上审批权限" in refused.value.message
    assert snapshot(batch, batch_carriers) == before
    assert batch not in selectors.requests_inbox(user=cast.fuzhuren)
    assert batch in selectors.requests_inbox(user=cast.lingdao)


def test_nobody_approves_their_own_batch(cast, batch_carriers):
    boss = make_user("jiyao", department=cast.office, roles=[Role.REGISTRAR, Role.APPROVER], person_class="core",
                     approval=4, served=[cast.business])
    batch = build(cast, batch_carriers, actor=boss)
    before = snapshot(batch, batch_carriers)
    with pytest.raises(PolicyDenied) as refused:
        svc.request_decide(actor=boss, request=batch, approve=True, comment="同意")
    assert "不能审批本人提出的申请" in refused.value.message
    assert snapshot(batch, batch_carriers) == before


def test_a_rejected_batch_gives_its_carriers_back_unchanged(cast, batch_carriers):
    original = carrier_state(batch_carriers)
    batch = build(cast, batch_carriers)
    with pytest.raises(ValidationFailed):
        svc.request_decide(actor=cast.zhuren, request=batch, approve=False, comment="")
    svc.request_decide(actor=cast.zhuren, request=batch, approve=False, comment="仍需保存")
    assert carrier_state(batch_carriers) == original
    assert not RequestItem.objects.filter(request=batch, is_open=True).exists()
    # Released, they can go in a new batch.
    again = build(cast, batch_carriers)
    assert again.state == RequestState.SUBMITTED


# ---------------------------------------------------------------------------------- the list


def test_the_destruction_list_holds_only_what_the_printer_may_see(cast, register_carrier, batch_carriers):
    from guardian.shortcuts import assign_perm
    # The approver's need-to-know ends with the decision: afterwards zhuren sees only his scope.
    assign_perm("documents.view_carrier", cast.zhuren, batch_carriers[0])
    batch = make_batch(cast, batch_carriers, "completed")
    for_approver = approval_registers.destruction(user=cast.zhuren, filters={"batch": batch.pk})
    assert [row[1] for row in for_approver.rows] == [batch_carriers[0].serial]
    assert for_approver.summary_lines == ["合计：纸质文件资料 2 份；共 1 项"]
    # A 监销人 checked every carrier against the list they signed, so theirs is complete.
    for_witness = approval_registers.destruction(user=cast.baomi, filters={"batch": batch.pk})
    assert sorted(row[1] for row in for_witness.rows) == sorted(c.serial for c in batch_carriers)
    full = approval_registers.destruction(user=cast.mishu, filters={"batch": batch.pk})
    assert sorted(row[1] for row in full.rows) == sorted(c.serial for c in batch_carriers)
    assert full.summary_lines == ["合计：纸质文件资料 2 份，移动存储 1 个；共 2 项"]
    roles = [s[0].split(" ")[0] for s in full.signatures]
    assert roles == ["申请人", "批准人", "销毁人", "监销人", "监销人"]
    # 申请人 and 批准人 print their names in the line; the 销毁人 and 监销人 lines print the recorded
    # name in the label and leave the line blank for the handwritten signature.
    printed = " ".join(" ".join(s) for s in full.signatures)
    assert all(name in printed for name in ("mishu", "zhuren", "张师傅", "baomi", "简督"))
    assert register_services.register_row_count(user=cast.zhuren, name="destruction", filters={"batch": batch.pk}) == 1
    # Not a participant, not 保密办, not serving it: as if the batch did not exist.
    for outsider in (cast.lisi, cast.zhangsan):
        with pytest.raises(NotVisible):
            approval_registers.destruction(user=outsider, filters={"batch": batch.pk})
    with pytest.raises(PolicyDenied):
        printing.produce(user=cast.secadmin, name="destruction", fmt="pdf", filters={"batch": batch.pk})
    with pytest.raises(ValidationFailed):
        approval_registers.destruction(user=cast.mishu, filters={})


def test_the_register_command_prints_a_batch(cast, batch_carriers, tmp_path):
    from django.core.management import CommandError, call_command
    from pypdf import PdfReader

    batch = make_batch(cast, batch_carriers, "completed")
    target = tmp_path / "list.pdf"
    call_command("register", "destruction", "--batch", str(batch.pk), "--format", "pdf", "--as", "baomi",
                 "-o", str(target))
    text = "".join(page.extract_text() for page in PdfReader(str(target)).pages).replace("\n", "")
    # baomi witnessed the batch, so the list holds every carrier although none is in her 知悉范围.
    assert "涉密载体销毁清单" in text and all(c.serial in text for c in batch_carriers)
    call_command("register", "destruction", "--batch", str(batch.pk), "--format", "xlsx", "--as", "mishu",
                 "-o", str(tmp_path / "list.xlsx"))
    assert (tmp_path / "list.xlsx").stat().st_size > 0
    with pytest.raises(CommandError, match="--batch"):
        call_command("register", "destruction", "--as", "mishu", "-o", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="--batch"):
        call_command("register", "ledger", "--batch", "1", "--as", "mishu", "-o", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError):
        call_command("register", "destruction", "--batch", str(batch.pk), "--as", "lisi", "-o", str(tmp_path / "x.pdf"))
