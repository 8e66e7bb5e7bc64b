"""维修 (repair) workflow: every (state × action × role) cell of the transition table, the hard
rules of SPEC §5 (REG24 art. 27(7); QA 57: outside technicians only under on-site supervision,
off-site only after the storage part is removed, and that removal recorded), and who holds and
sees the device while it is in repair.

The grid shares its set-up: one test per (state, action) builds the request once, and each role's
attempt runs in a savepoint that is rolled back, so every role meets the same request."""
import pytest
from guardian.shortcuts import assign_perm

from approvals import services as svc
from approvals.kinds import lend as lending
from approvals.kinds import carry
from approvals.kinds import repair as repairs
from approvals.kinds import copy as scopy
from approvals.kinds.repair import REPAIR_TRANSITIONS
from approvals.models import ApprovalRequest, ApprovalStep, RepairMode, RequestItem, RequestState
from approvals.workflows import Action, Party
from audits.models import AuditEvent
from conftest import make_carrier, make_user
from approvals import selectors
from documents.models import Carrier, CustodyAction, CustodyEvent, CustodyStatus
from documents.policy import visible_carriers
from documents.tests.factories import raise_level
from personnel.models import Role
from secrecy.errors import DomainError, InvalidState, NotVisible, PolicyDenied, ValidationFailed
from tests import grid

ROLES = ["requester", "other_registrar", "eligible_approver", "ineligible_approver", "supervisor", "other_reader",
         "admin"]
# The requester of a repair is a registrar: they are both parties.
PARTIES_OF_ROLE = {
    "requester": {Party.REQUESTER, Party.REGISTRAR}, "other_registrar": {Party.REGISTRAR},
    "eligible_approver": {Party.APPROVER},
}


def module_cast(unit):
    """The demo cast plus a second registrar serving 业务一处, an approver without authority and a
    non-principal approver with 绝密 authority; made with the cast."""
    people = {}
    people["jiyao"] = make_user("jiyao", department=unit.office, roles=[Role.REGISTRAR], person_class="core",
                                served=[unit.business])
    people["fuzhuren"] = make_user("fuzhuren", department=unit.business, roles=[Role.APPROVER],
                                   person_class="important", approval=0)
    people["deputy"] = make_user("deputy", department=unit.office, roles=[Role.APPROVER], person_class="core",
                                 approval=4)
    return people


def make_device(cast):
    """A 秘密 USB drive of 业务一处, in scope of the department."""
    return make_carrier(cast, level=2, kind="removable", device_serial="USB-0001", copy_number=None, pages="64GB",
                        title="项目资料U盘", scope_groups=[cast.business.group])


@pytest.fixture
def device(cast):
    return make_device(cast)


def world():
    """Everything a workflow write could touch."""
    return {
        "requests": list(ApprovalRequest.objects.order_by("id").values_list(
            "id", "state", "submitted_at", "decided_at", "executed_at", "completed_at", "cancelled_at",
            "repair_mode", "supervisor", "storage_removed_note", "storage_removed_at", "checked_out_by",
            "returned_to", "return_condition")),
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


def ask(cast, carrier, *, actor=None, mode=RepairMode.ON_SITE, supervisor="baomi", submit=True, **extra):
    fields = dict(repairer="某定点维修公司 王工", reason="无法识别，疑似主控故障")
    fields.update(extra)
    if isinstance(supervisor, str):
        supervisor = cast[supervisor]
    return repairs.repair_request_create(actor=actor or cast.mishu, carrier=carrier, mode=mode, supervisor=supervisor,
                                       submit=submit, **fields)


def make_request(cast, carrier, state):
    """An on-site repair asked by mishu under baomi's supervision, brought to `state`."""
    request = ask(cast, carrier, submit=state != RequestState.DRAFT)
    if state in (RequestState.DRAFT, RequestState.SUBMITTED):
        return request
    if state == RequestState.CANCELLED:
        return svc.request_cancel(actor=cast.mishu, request=request)
    if state == RequestState.REJECTED:
        return svc.request_decide(actor=cast.lingdao, request=request, approve=False, comment="更换新设备")
    request = svc.request_decide(actor=cast.lingdao, request=request, approve=True, comment="同意")
    if state == RequestState.APPROVED:
        return request
    request = repairs.repair_start(actor=cast.mishu, request=request)
    if state == RequestState.IN_PROGRESS:
        return request
    return repairs.repair_finish(actor=cast.mishu, request=request, condition="intact")


def actor_for(cast, role):
    return {
        "requester": cast.mishu, "other_registrar": cast.jiyao, "eligible_approver": cast.lingdao,
        "ineligible_approver": cast.fuzhuren, "supervisor": cast.baomi, "other_reader": cast.lisi,
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
        return repairs.repair_start(actor=actor, request=request)
    if action == Action.RETURN:
        return repairs.repair_finish(actor=actor, request=request, condition="intact")
    raise AssertionError(action)


def check_cell(cast, carrier, request_pk, state, action, role):
    request = ApprovalRequest.objects.get(pk=request_pk)
    before = world()
    move = REPAIR_TRANSITIONS.get((state, action))
    allowed = move is not None and bool(set(move.by) & PARTIES_OF_ROLE.get(role, set()))
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
        # On site: the supervisor holds it while the outside technician works on it.
        assert (now.custody_status, now.custodian) == (CustodyStatus.IN_REPAIR, cast.baomi)
        assert after["custody"] == before["custody"] + 1
        out = CustodyEvent.objects.order_by("-id").first()
        assert (out.action, out.from_user, out.to_user, out.to_status, out.recorded_by, out.approval_ref) == (
            CustodyAction.HANDED_OUT, cast.mishu, cast.baomi, CustodyStatus.IN_REPAIR, actor, request.reference)
        assert "现场维修" in out.note and "baomi" in out.note
    elif action == Action.RETURN:
        assert (now.custody_status, now.custodian) == (CustodyStatus.IN_REGISTRY, actor)
        assert after["custody"] == before["custody"] + 1
        assert (result.return_condition, result.returned_to) == ("intact", actor)
    else:
        assert after["carriers"] == before["carriers"] and after["custody"] == before["custody"]
    open_items = list(RequestItem.objects.filter(request=request).values_list("is_open", flat=True))
    if move.to in (RequestState.CANCELLED, RequestState.REJECTED, RequestState.COMPLETED):
        assert open_items == [False]
    else:
        assert open_items == [True]


# The cells of a state share its request (conftest `staged`).
module_stage = grid.request_stage(make_device, make_request)


@pytest.mark.parametrize("action", Action.values)
@pytest.mark.parametrize("state", RequestState.values)
def test_every_cell_of_the_repair_table(cast, staged, state, action):
    request = ApprovalRequest.objects.get(pk=staged["request"])
    device = Carrier.objects.get(pk=staged["carrier"])
    grid.check_every_role(ROLES, lambda role: check_cell(cast, device, request.pk, state, action, role),
                          world=world, cell=f"{state} × {action}")


def test_the_table_names_known_parties_states_and_actions():
    for (state, action), move in REPAIR_TRANSITIONS.items():
        assert state in RequestState.values and move.to in RequestState.values
        assert action in Action.values and set(move.by) <= set(Party.values)


def test_other_kinds_services_refuse_a_repair_request(cast, device):
    request = make_request(cast, device, RequestState.APPROVED)
    assert_refused(lambda: lending.loan_check_out(actor=cast.mishu, request=request), InvalidState, "不是借阅申请")
    assert_refused(lambda: carry.carry_check_out(actor=cast.mishu, request=request), InvalidState,
                   "不是外出携带申请")
    assert_refused(lambda: scopy.copy_make(actor=cast.mishu, request=request, copy_stamp="复制"),
                   InvalidState, "不是复制申请")


# ------------------------------------------------------------------------------ who asks


def test_repair_is_asked_by_a_registrar_only(cast, device):
    # All of these see the device (业务一处 is in its scope), none of them is a registrar.
    for name in ("lisi", "lingdao", "fuzhuren"):
        assert_refused(lambda: ask(cast, device, actor=cast[name]), PolicyDenied, "只有机要秘书可以申请维修")
    for name in ("secadmin", "wangwu"):
        assert_refused(lambda: ask(cast, device, actor=cast[name]), NotVisible)


def test_a_registrar_not_serving_the_department_may_not_ask(cast, device):
    outsider = make_user("jiyao_office", department=cast.office, roles=[Role.REGISTRAR], person_class="core",
                         served=[cast.office])
    assert_refused(lambda: ask(cast, device, actor=outsider), NotVisible)
    assign_perm("documents.view_carrier", outsider, device)
    assert_refused(lambda: ask(cast, device, actor=outsider), PolicyDenied, "不负责该载体管理部门")


@pytest.mark.parametrize("kind", ["paper", "object", "audiovisual"])
def test_only_devices_and_media_are_repaired(cast, register_carrier, kind):
    carrier = register_carrier(level=2, kind=kind, copy_number=1, scope_groups=[cast.business.group])
    assert_refused(lambda: ask(cast, carrier), PolicyDenied, "只有光盘、磁介质、移动存储和涉密计算机及设备可以申请维修")


@pytest.mark.parametrize("kind,serial", [("disc", ""), ("magnetic", "HD-1"), ("computer", "PC-1")])
def test_every_device_kind_may_be_repaired(cast, register_carrier, kind, serial):
    carrier = register_carrier(level=2, kind=kind, device_serial=serial, copy_number=None)
    assert ask(cast, carrier).state == RequestState.SUBMITTED


def test_asking_needs_a_mode_a_repairer_and_a_reason(cast, device):
    error = assert_refused(lambda: ask(cast, device, mode="anywhere", repairer=" ", reason=""), ValidationFailed)
    assert set(error.field_errors) == {"repair_mode", "repairer", "reason"}


def test_on_site_repair_needs_a_supervisor(cast, device):
    error = assert_refused(lambda: ask(cast, device, supervisor=None), ValidationFailed, "现场维修须指定现场监督人")
    assert set(error.field_errors) == {"supervisor"}


@pytest.fixture
def secret_device(cast, register_carrier):
    """A 机密 hard disk of 业务一处."""
    return register_carrier(level=3, kind="magnetic", device_serial="HD-0042", copy_number=1,
                            scope_groups=[cast.business.group])


@pytest.mark.parametrize("supervisor,expect", [
    ("zhangsan", "现场监督人 zhangsan 的涉密等级低于机密"),
    ("wangwu", "现场监督人 wangwu 的涉密等级低于机密"),
    ("secadmin", "不能担任现场监督人"),
])
def test_on_site_repair_with_an_uncleared_supervisor_is_refused(cast, secret_device, supervisor, expect):
    error = assert_refused(lambda: ask(cast, secret_device, supervisor=supervisor), ValidationFailed, expect)
    assert set(error.field_errors) == {"supervisor"}


def test_on_site_start_rechecks_the_supervisor(cast, secret_device):
    request = ask(cast, secret_device, supervisor="lisi")
    svc.request_decide(actor=cast.lingdao, request=request, approve=True)
    person = cast.lisi.person
    person.person_class = "general"
    person.save()
    assert_refused(lambda: repairs.repair_start(actor=cast.mishu, request=request), InvalidState,
                   "不能开始现场维修")


def test_an_off_site_repair_names_no_supervisor(cast, device):
    request = ask(cast, device, mode=RepairMode.OFF_SITE, supervisor="baomi")
    assert request.supervisor is None and request.repair_mode == RepairMode.OFF_SITE


@pytest.mark.parametrize("note", ["", "   "])
def test_off_site_repair_is_not_started_without_the_storage_removal_note(cast, device, note):
    request = ask(cast, device, mode=RepairMode.OFF_SITE)
    svc.request_decide(actor=cast.lingdao, request=request, approve=True)
    error = assert_refused(lambda: repairs.repair_start(actor=cast.mishu, request=request, storage_removed_note=note),
                           ValidationFailed, "送外维修前须拆除信息存储部件")
    assert set(error.field_errors) == {"storage_removed_note"}


def test_a_second_open_repair_request_on_the_same_carrier_is_refused(cast, device):
    make_request(cast, device, RequestState.APPROVED)
    assert_refused(lambda: ask(cast, device, actor=cast.jiyao), InvalidState, "已有未办结的维修申请")


def test_a_device_in_repair_cannot_be_asked_for_again(cast, device):
    make_request(cast, device, RequestState.IN_PROGRESS)
    assert_refused(lambda: ask(cast, device, actor=cast.jiyao), PolicyDenied, "只有在库的载体可以送修")


def _carrier_row(carrier):
    return (Carrier.objects.filter(pk=carrier.pk).values().get(), carrier.history.count(),
            CustodyEvent.objects.filter(carrier=carrier).count())


@pytest.mark.parametrize("how", ["cancel_draft", "cancel_submitted", "cancel_approved", "reject"])
def test_a_rejected_or_cancelled_repair_changes_no_carrier(cast, device, how):
    before = _carrier_row(device)
    request = ask(cast, device, submit=how != "cancel_draft")
    if how == "cancel_approved":
        svc.request_decide(actor=cast.lingdao, request=request, approve=True)
    if how == "reject":
        svc.request_decide(actor=cast.lingdao, request=request, approve=False, comment="直接更换")
    else:
        svc.request_cancel(actor=cast.mishu, request=request, reason="已自行恢复")
    assert _carrier_row(device) == before
    assert not RequestItem.objects.filter(request=request, is_open=True).exists()
    assert_refused(lambda: repairs.repair_start(actor=cast.mishu, request=request), InvalidState)
    assert ask(cast, device).state == RequestState.SUBMITTED


# ------------------------------------------------------------------------------ approvals


def test_nobody_approves_their_own_repair(cast, secret_device):
    boss = make_user("jiyao_boss", department=cast.office, roles=[Role.REGISTRAR, Role.APPROVER],
                     person_class="core", approval=4, served=[cast.business])
    request = ask(cast, secret_device, actor=boss)
    assert_refused(lambda: svc.request_decide(actor=boss, request=request, approve=True),
                   PolicyDenied, "不能审批本人提出的申请")
    assert request not in selectors.requests_inbox(user=boss)
    assert svc.request_decide(actor=cast.lingdao, request=request, approve=True).state == RequestState.APPROVED


def test_an_approver_without_clearance_for_the_level_is_refused(cast, secret_device):
    unclear = make_user("unclear", department=cast.business, roles=[Role.APPROVER], person_class="general",
                        approval=3)
    request = ask(cast, secret_device)
    assert_refused(lambda: svc.request_decide(actor=unclear, request=request, approve=True),
                   PolicyDenied, "涉密等级不足")
    assert request not in selectors.requests_inbox(user=unclear)


def test_an_approver_without_authority_for_the_level_is_refused(cast, secret_device):
    weak = make_user("weak", department=cast.business, roles=[Role.APPROVER], person_class="important", approval=2)
    request = ask(cast, secret_device)
    assert_refused(lambda: svc.request_decide(actor=weak, request=request, approve=True),
                   PolicyDenied, "需要机密级及以上审批权限")
    assert request not in selectors.requests_inbox(user=weak)
    assert request in selectors.requests_inbox(user=cast.lingdao)


def test_a_top_secret_computer_is_repaired_on_an_approver_of_that_level(cast, register_carrier):
    computer = register_carrier(level=4, kind="computer", device_serial="PC-TS-1", copy_number=1)
    request = ask(cast, computer, supervisor="zhuren")
    assert_refused(lambda: svc.request_decide(actor=cast.lingdao, request=request, approve=True), PolicyDenied)
    assert svc.request_decide(actor=cast.deputy, request=request, approve=True).state == RequestState.APPROVED


def test_a_level_raised_after_approval_must_be_asked_again(cast, device):
    request = make_request(cast, device, RequestState.APPROVED)
    raise_level(registrar=cast.mishu, decider=cast.zhuren, carrier=device, level=3)
    assert_refused(lambda: repairs.repair_start(actor=cast.mishu, request=request), InvalidState, "密级已变更")


# ------------------------------------------------------------------------ custody and visibility


def test_the_on_site_supervisor_holds_and_sees_the_device_during_the_repair(cast, device):
    assert not visible_carriers(cast.baomi).filter(pk=device.pk).exists()
    request = make_request(cast, device, RequestState.APPROVED)
    assert not visible_carriers(cast.baomi).filter(pk=device.pk).exists(), "approved is not yet in repair"
    repairs.repair_start(actor=cast.mishu, request=request)
    held = Carrier.objects.get(pk=device.pk)
    assert (held.custody_status, held.custodian) == (CustodyStatus.IN_REPAIR, cast.baomi)
    assert visible_carriers(cast.baomi).filter(pk=device.pk).exists()
    done = repairs.repair_finish(actor=cast.mishu, request=request, condition="intact")
    back = Carrier.objects.get(pk=device.pk)
    assert (back.custody_status, back.custodian) == (CustodyStatus.IN_REGISTRY, cast.mishu)
    assert not visible_carriers(cast.baomi).filter(pk=device.pk).exists()
    out, returned = CustodyEvent.objects.filter(carrier=device).order_by("id")[1:]
    assert (out.from_user, out.to_user, out.to_status) == (cast.mishu, cast.baomi, CustodyStatus.IN_REPAIR)
    assert (returned.from_user, returned.to_user, returned.from_status, returned.to_status) == (
        cast.baomi, cast.mishu, CustodyStatus.IN_REPAIR, CustodyStatus.IN_REGISTRY)
    assert "修复入库检查：完好" in returned.note
    assert out.approval_ref == returned.approval_ref == done.reference


def test_the_off_site_storage_note_is_stored_on_the_request_and_in_the_custody_log(cast, device):
    request = ask(cast, device, mode=RepairMode.OFF_SITE, repairer="市涉密设备定点维修单位")
    svc.request_decide(actor=cast.lingdao, request=request, approve=True)
    note = "已拆除闪存芯片（序列号 FL-778），存机要室保密柜B"
    started = repairs.repair_start(actor=cast.mishu, request=request, storage_removed_note=f"  {note} ")
    assert started.storage_removed_note == note and started.storage_removed_at is not None
    stored = ApprovalRequest.objects.get(pk=request.pk)
    assert (stored.state, stored.storage_removed_note) == (RequestState.IN_PROGRESS, note)
    out = CustodyEvent.objects.filter(carrier=device).last()
    assert (out.action, out.to_status, out.approval_ref) == (
        CustodyAction.HANDED_OUT, CustodyStatus.IN_REPAIR, request.reference)
    assert note in out.note and "送外维修" in out.note and "市涉密设备定点维修单位" in out.note
    # Off site no one of ours holds it: the registrar stays accountable.
    held = Carrier.objects.get(pk=device.pk)
    assert (held.custody_status, held.custodian) == (CustodyStatus.IN_REPAIR, cast.mishu)
    assert AuditEvent.objects.order_by("-seq").first().detail["storage_removed_note"] == note
    done = repairs.repair_finish(actor=cast.mishu, request=request, condition="damaged", note="外壳有划痕")
    assert (done.state, done.return_condition, done.return_note) == (RequestState.COMPLETED, "damaged", "外壳有划痕")
    assert Carrier.objects.get(pk=device.pk).custody_status == CustodyStatus.IN_REGISTRY
