"""密级变更 / 延期 / 提前解密 (reclassify) workflow: every (state × action × role) cell of its table,
the refusals of SPEC §5 and LAW24 art. 20, 23, 24 (an extension only before expiry, a longer period
only, within the new level's cap, decided by the 定密责任人 or an approver with 定密 authority, never
by the requester), and what an approved change does: the carrier's mark changes at once, its history
keeps both marks, everyone in scope is told once, registers print the new mark.

The grid shares its set-up as in test_workflow_copy.py: each role's attempt runs in a savepoint
that is rolled back, so every role meets the same request."""
import datetime as dt

import pytest
from django.urls import reverse

from approvals import services as svc
from approvals.kinds import lend as lending
from approvals.kinds import copy as scopy
from approvals.kinds import reclassify as rsvc
from approvals.kinds.reclassify import RECLASSIFY_TRANSITIONS
from approvals.models import ApprovalRequest, ApprovalStep, RequestItem, RequestKind, RequestState
from approvals.workflows import Action, CopyAction, Party
from audits.models import AuditEvent
from conftest import PASSWORD, make_carrier, make_user
from approvals import selectors
from documents.models import Carrier, CustodyAction, CustodyEvent, SecrecyStatus
from documents.registers import carriers as carrier_registers
from documents.services import local_today
from notifications.models import Notification
from personnel.models import Role
from secrecy.errors import DomainError, InvalidState, PolicyDenied, ValidationFailed
from tests import grid

ROLES = ["requester", "classifier", "eligible_approver", "ineligible_approver", "registrar", "other_reader",
         "admin"]
PARTY_OF_ROLE = {"requester": Party.REQUESTER, "classifier": Party.APPROVER, "eligible_approver": Party.APPROVER}
ACTIONS = Action.values + [CopyAction.MAKE_COPIES]


def module_cast(unit):
    """The demo cast plus a 定密责任人 who is not an approver (定密权限 机密) and a 承办人; made with the cast."""
    people = {}
    people["dingmi"] = make_user("dingmi", department=unit.business, roles=[Role.READER], person_class="important",
                                 classification=3)
    people["chengban"] = make_user("chengban", department=unit.business, roles=[Role.READER],
                                   person_class="important")
    return people


def make_secret_doc(cast):
    """A 机密★10年 outgoing document drafted by chengban, approved by dingmi, known to 业务一处."""
    return make_carrier(cast, level=3, outgoing=True, drafter=cast.chengban, classifier=cast.dingmi,
                        scope_groups=[cast.business.group], scope_users=[cast.baomi])


@pytest.fixture
def secret_doc(cast):
    return make_secret_doc(cast)


def world():
    return {
        "requests": list(ApprovalRequest.objects.order_by("id").values_list(
            "id", "state", "submitted_at", "decided_at", "completed_at", "cancelled_at", "to_mark")),
        "steps": list(ApprovalStep.objects.order_by("id").values_list("id", "decision", "decided_by", "comment")),
        "items": list(RequestItem.objects.order_by("id").values_list("id", "carrier_id", "is_open")),
        "carriers": list(Carrier.objects.order_by("id").values_list(
            "id", "level", "period_kind", "period_value", "period_unit", "declassify_date", "declassify_on",
            "secrecy_status", "custody_status", "custodian_id")),
        "history": Carrier.history.count(),
        "custody": CustodyEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "notices": Notification.objects.count(),
    }


def assert_refused(call, error=DomainError, expect=None):
    """The call is refused with a Chinese message and changes nothing at all."""
    return grid.assert_refused(call, world=world, error=error, expect=expect)


def ask(cast, carrier, *, actor=None, submit=True, change_type="extend", **extra):
    values = {"period_kind": "term", "period_value": 15, "period_unit": "year"} if change_type != "declassify" else {}
    values.update(extra)
    return rsvc.reclassify_request_create(
        actor=actor or cast.chengban, carrier=carrier, change_type=change_type, reason="工作仍需保密",
        change_basis="《某事项保密范围》第3条", submit=submit, **values)


def make_request(cast, carrier, state):
    request = ask(cast, carrier, submit=state != RequestState.DRAFT)
    if state in (RequestState.DRAFT, RequestState.SUBMITTED):
        return request
    if state == RequestState.CANCELLED:
        return svc.request_cancel(actor=cast.chengban, request=request)
    if state == RequestState.REJECTED:
        return svc.request_decide(actor=cast.dingmi, request=request, approve=False, comment="不需延长")
    if state == RequestState.COMPLETED:
        return svc.request_decide(actor=cast.dingmi, request=request, approve=True, comment="同意")
    # 已批准 and 执行中 are never reached (approving completes it): forced, to prove nothing leaves them.
    ApprovalRequest.objects.filter(pk=request.pk).update(state=state)
    return ApprovalRequest.objects.get(pk=request.pk)


def actor_for(cast, role):
    return {
        "requester": cast.chengban, "classifier": cast.dingmi, "eligible_approver": cast.zhuren,
        "ineligible_approver": cast.lingdao, "registrar": cast.mishu, "other_reader": cast.zhangsan,
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
        return lending.loan_check_out(actor=actor, request=request)
    if action == Action.RETURN:
        return lending.loan_return(actor=actor, request=request, condition="intact")
    if action == CopyAction.MAKE_COPIES:
        return scopy.copy_make(actor=actor, request=request, copy_stamp="示范单位复制")
    raise AssertionError(action)


def check_cell(cast, carrier, request_pk, state, action, role):
    request = ApprovalRequest.objects.get(pk=request_pk)
    before = world()
    move = RECLASSIFY_TRANSITIONS.get((state, action))
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
    assert event.action == f"request.{action}" and event.actor_id == actor.pk and event.target_id == request.pk
    now = Carrier.objects.get(pk=carrier.pk)
    if action == Action.APPROVE:
        assert now.mark == "机密★15年" and now.period_value == 15
        assert after["history"] == before["history"] + 1 and after["custody"] == before["custody"] + 1
        assert event.detail["from_mark"] == "机密★10年" and event.detail["to_mark"] == "机密★15年"
    else:
        assert after["carriers"] == before["carriers"] and after["custody"] == before["custody"]
        assert after["history"] == before["history"]
        # Nobody hears of a change that did not happen; the requester hears of a rejection (issue 14 §3).
        told = list(Notification.objects.order_by("id").values_list("kind", "recipient_id"))[before["notices"]:]
        assert told == ([("request_rejected", request.requester_id)] if action == Action.REJECT else [])
    open_items = list(RequestItem.objects.filter(request=request).values_list("is_open", flat=True))
    assert open_items == ([False] if move.to in (RequestState.CANCELLED, RequestState.REJECTED,
                                                 RequestState.COMPLETED) else [True])


# The cells of a state share its request (conftest `staged`).
module_stage = grid.request_stage(make_secret_doc, make_request)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", RequestState.values)
def test_every_cell_of_the_reclassify_table(cast, staged, state, action):
    request = ApprovalRequest.objects.get(pk=staged["request"])
    secret_doc = Carrier.objects.get(pk=staged["carrier"])
    grid.check_every_role(ROLES, lambda role: check_cell(cast, secret_doc, request.pk, state, action, role),
                          world=world, cell=f"{state} × {action}")


def test_the_table_completes_on_approval_and_has_no_registrar_step():
    assert RECLASSIFY_TRANSITIONS[(RequestState.SUBMITTED, Action.APPROVE)].to == RequestState.COMPLETED
    assert not any(Party.REGISTRAR in move.by for move in RECLASSIFY_TRANSITIONS.values())


# ------------------------------------------------------------------------------ who asks


def test_the_registrar_and_the_drafter_may_ask_nobody_else(cast, secret_doc):
    assert ask(cast, secret_doc, actor=cast.mishu).requester == cast.mishu
    ApprovalRequest.objects.update(state=RequestState.CANCELLED)
    RequestItem.objects.update(is_open=False)
    assert ask(cast, secret_doc, actor=cast.chengban).requester == cast.chengban
    RequestItem.objects.update(is_open=False)
    assert_refused(lambda: ask(cast, secret_doc, actor=cast.lisi), PolicyDenied, "承办人")


def test_a_second_open_reclassify_request_is_refused(cast, secret_doc):
    ask(cast, secret_doc)
    assert_refused(lambda: ask(cast, secret_doc, actor=cast.mishu), InvalidState, "未办结的密级变更申请")


# ------------------------------------------------------------------------------ refusals


@pytest.fixture
def expired_doc(cast, register_carrier):
    """A 秘密★1年 document whose period ended a month ago (declassify job not yet run)."""
    start = local_today() - dt.timedelta(days=400)
    return register_carrier(level=2, period_value=1, outgoing=True, drafter=cast.chengban, classifier=cast.dingmi,
                            doc_date=start, start_date=start, scope_groups=[cast.business.group])


def test_an_extension_asked_for_after_expiry_is_refused(cast, expired_doc):
    assert expired_doc.declassify_on < local_today()
    assert_refused(lambda: ask(cast, expired_doc, period_value=5), PolicyDenied, "届满")


def test_an_extension_of_an_already_declassified_carrier_is_refused(cast, secret_doc):
    Carrier.objects.filter(pk=secret_doc.pk).update(secrecy_status=SecrecyStatus.DECLASSIFIED)
    assert_refused(lambda: ask(cast, Carrier.objects.get(pk=secret_doc.pk)), PolicyDenied, "已解密")


def test_an_extension_approved_only_after_expiry_is_refused(cast, register_carrier):
    start = local_today() - dt.timedelta(days=360)
    doc = register_carrier(level=2, period_value=1, outgoing=True, drafter=cast.chengban, classifier=cast.dingmi,
                           doc_date=start, start_date=start, scope_groups=[cast.business.group])
    request = ask(cast, doc, period_value=3)
    # The period runs out before the 定密责任人 decides (simulated: the carrier's period ended yesterday).
    Carrier.objects.filter(pk=doc.pk).update(declassify_on=local_today() - dt.timedelta(days=1))
    assert_refused(lambda: svc.request_decide(actor=cast.dingmi, request=request, approve=True),
                   InvalidState, "届满前决定")


@pytest.mark.parametrize("value", [10, 8])
def test_an_extension_must_be_longer(cast, secret_doc, value):
    error = assert_refused(lambda: ask(cast, secret_doc, period_value=value), ValidationFailed, "须长于原期限")
    assert "new_period_value" in error.field_errors


def test_a_shortening_must_be_shorter(cast, secret_doc):
    assert_refused(lambda: ask(cast, secret_doc, change_type="shorten", period_value=12), ValidationFailed,
                   "须短于原期限")


def test_a_period_over_the_new_levels_cap_is_refused(cast, secret_doc):
    # 机密 → 秘密 with 15 years: 秘密 is capped at 10 years from the 制发日 (LAW24 art. 20).
    error = assert_refused(lambda: ask(cast, secret_doc, change_type="level", new_level=2, period_value=15),
                           ValidationFailed, "不得超过10年")
    assert "new_period_value" in error.field_errors
    assert_refused(lambda: ask(cast, secret_doc, period_value=21), ValidationFailed, "不得超过20年")


def test_a_level_change_needs_a_different_level_and_a_basis(cast, secret_doc):
    assert_refused(lambda: ask(cast, secret_doc, change_type="level", new_level=3), ValidationFailed, "相同")
    assert_refused(lambda: rsvc.reclassify_request_create(
        actor=cast.chengban, carrier=secret_doc, change_type="declassify", reason="", change_basis=""),
        ValidationFailed, "请填写变更理由")


def test_a_decider_without_classification_authority_is_refused(cast, secret_doc):
    request = ask(cast, secret_doc)
    # lingdao approves loans up to 机密 (审批权限) but holds no 定密权限.
    assert_refused(lambda: svc.request_decide(actor=cast.lingdao, request=request, approve=True),
                   PolicyDenied, "定密权限")
    assert request not in selectors.requests_inbox(user=cast.lingdao)
    weak = make_user("weak", department=cast.business, roles=[Role.APPROVER], person_class="important",
                     approval=3, classification=2)
    assert_refused(lambda: svc.request_decide(actor=weak, request=request, approve=True), PolicyDenied,
                   "机密级及以上定密权限")
    assert request not in selectors.requests_inbox(user=weak)


def test_raising_the_level_needs_authority_for_the_new_level(cast, secret_doc):
    # The 承办人 has 机密 clearance only: he may not ask to raise it to 绝密; the registrar may.
    assert_refused(lambda: ask(cast, secret_doc, change_type="level", new_level=4, period_value=20),
                   ValidationFailed, "涉密等级低于新密级")
    request = ask(cast, secret_doc, actor=cast.mishu, change_type="level", new_level=4, period_value=20)
    assert request.level == 4
    # dingmi answers for the carrier but has 定密权限 机密 only, and no 绝密 clearance.
    assert_refused(lambda: svc.request_decide(actor=cast.dingmi, request=request, approve=True), PolicyDenied)
    assert request not in selectors.requests_inbox(user=cast.dingmi)
    assert request in selectors.requests_inbox(user=cast.zhuren)
    done = svc.request_decide(actor=cast.zhuren, request=request, approve=True)
    assert done.state == RequestState.COMPLETED
    assert Carrier.objects.get(pk=secret_doc.pk).mark == "绝密★20年"


def test_nobody_decides_their_own_request(cast, secret_doc):
    request = ask(cast, secret_doc, actor=cast.mishu)
    ApprovalStep.objects.filter(request=request).update(classifier=cast.mishu)
    # Even holding 定密权限 and named as 定密责任人, the requester may not decide.
    cast.mishu.person.classification_authority = 4
    cast.mishu.person.save(update_fields=["classification_authority"])
    assert_refused(lambda: svc.request_decide(actor=cast.mishu, request=request, approve=True),
                   PolicyDenied, "不能审批本人提出的申请")
    assert request not in selectors.requests_inbox(user=cast.mishu)


def test_the_classifier_without_approver_role_finds_it_in_the_inbox(cast, secret_doc, django_assert_num_queries):
    request = ask(cast, secret_doc)
    assert list(selectors.requests_inbox(user=cast.dingmi)) == [request]
    assert list(selectors.requests_inbox(user=cast.zhuren)) == [request]
    assert selectors.requests_inbox_count(user=cast.lingdao) == 0
    other = make_user("otherdm", department=cast.business, roles=[Role.READER], person_class="important",
                      classification=3)
    assert selectors.requests_inbox_count(user=other) == 0, "another 定密责任人 without approver role"
    cast.dingmi.refresh_from_db()
    from approvals.policy import decidable_requests_q  # noqa: PLC0415
    q = decidable_requests_q(cast.dingmi)
    with django_assert_num_queries(1):
        assert ApprovalRequest.objects.filter(q).count() == 1


def test_rejection_and_cancellation_change_no_carrier(cast, secret_doc):
    before = Carrier.objects.filter(pk=secret_doc.pk).values().get()
    request = ask(cast, secret_doc)
    svc.request_decide(actor=cast.dingmi, request=request, approve=False, comment="不同意")
    request = ask(cast, secret_doc)
    svc.request_cancel(actor=cast.chengban, request=request)
    assert Carrier.objects.filter(pk=secret_doc.pk).values().get() == before
    assert not Notification.objects.filter(kind="reclassified").exists()


# ------------------------------------------------------------------------------ the change


def test_an_approved_level_change_changes_the_mark_everywhere_at_once(cast, secret_doc):
    request = ask(cast, secret_doc, change_type="level", new_level=2, period_value=5)
    assert request.from_mark == "机密★10年" and request.to_mark == "秘密★5年"
    history_before, custody_before = secret_doc.history.count(), CustodyEvent.objects.count()
    svc.request_decide(actor=cast.dingmi, request=request, approve=True, comment="同意降为秘密")
    carrier = Carrier.objects.get(pk=secret_doc.pk)
    assert (carrier.level, carrier.period_value, carrier.period_unit) == (2, 5, "year")
    assert carrier.declassify_on == carrier.start_date.replace(year=carrier.start_date.year + 5)
    assert carrier.mark == "秘密★5年" and carrier.secrecy_status == SecrecyStatus.CLASSIFIED
    # One history row naming both marks; the row before it still holds the old level.
    assert carrier.history.count() == history_before + 1
    latest, previous = list(carrier.history.order_by("-history_date", "-history_id")[:2])
    assert f"由 机密★10年 变更为 秘密★5年（密级变更申请第{request.pk}号）" in latest.history_change_reason
    assert latest.history_user_id == cast.dingmi.pk and (previous.level, latest.level) == (3, 2)
    # One custody row under the request.
    assert CustodyEvent.objects.count() == custody_before + 1
    row = CustodyEvent.objects.order_by("-id").first()
    assert row.action == CustodyAction.RECLASSIFIED and row.approval_ref == request.reference
    # The ledger prints the new mark.
    ledger = carrier_registers.ledger(user=cast.mishu, filters={})
    column = [c.header for c in ledger.columns].index("保密期限")
    serial_column = [c.header for c in ledger.columns].index("统一编号")
    row = next(r for r in ledger.rows if r[serial_column] == carrier.serial)
    assert row[column] == "秘密★5年"
    done = ApprovalRequest.objects.get(pk=request.pk)
    assert done.state == RequestState.COMPLETED and done.completed_at is not None
    assert not RequestItem.objects.filter(request=request, is_open=True).exists()


def test_everyone_in_scope_is_told_exactly_once(cast, secret_doc):
    request = ask(cast, secret_doc)
    svc.request_decide(actor=cast.dingmi, request=request, approve=True)
    expected = set(cast.business.group.user_set.filter(is_active=True).values_list("pk", flat=True))
    expected |= {cast.baomi.pk, secret_doc.custodian_id, cast.dingmi.pk, cast.chengban.pk}
    notices = list(Notification.objects.filter(kind="reclassified").values_list("recipient_id", flat=True))
    assert sorted(notices) == sorted(expected), "each person in scope once"
    notice = Notification.objects.filter(kind="reclassified").first()
    assert "机密★10年" in notice.body and "机密★15年" in notice.body
    assert secret_doc.title not in notice.title + notice.body


def test_early_declassification_marks_it_declassified(cast, secret_doc):
    request = ask(cast, secret_doc, change_type="declassify", actor=cast.mishu)
    assert request.to_mark == "机密★10年（已解密）" and request.new_level is None
    svc.request_decide(actor=cast.zhuren, request=request, approve=True)
    carrier = Carrier.objects.get(pk=secret_doc.pk)
    assert carrier.secrecy_status == SecrecyStatus.DECLASSIFIED and carrier.level == 3
    assert carrier.mark == "机密★10年（已解密）"
    assert CustodyEvent.objects.filter(carrier=carrier, action=CustodyAction.DECLASSIFIED).count() == 1
    assert "由 机密★10年 变更为 机密★10年（已解密）" in carrier.history.first().history_change_reason


def test_a_carrier_corrected_after_asking_must_be_asked_again(cast, secret_doc):
    request = ask(cast, secret_doc)
    Carrier.objects.filter(pk=secret_doc.pk).update(period_value=12)
    assert_refused(lambda: svc.request_decide(actor=cast.dingmi, request=request, approve=True),
                   InvalidState, "重新提出")


# ------------------------------------------------------------------------------ screens


def test_the_carrier_page_button_form_and_request_page(client, cast, secret_doc):
    client.login(username="chengban", password=PASSWORD)
    page = client.get(secret_doc.get_absolute_url()).content.decode()
    assert 'id="ask-reclassify"' in page
    url = reverse("approvals:reclassify_request", args=[secret_doc.pk])
    assert "申请密级变更/解密" in client.get(url).content.decode()
    bad = client.post(url, {"change_type": "extend", "new_period_kind": "term", "new_period_value": "25",
                            "new_period_unit": "year", "change_basis": "某条", "reason": "需要"})
    assert bad.status_code == 200 and "不得超过20年" in bad.content.decode()
    assert not ApprovalRequest.objects.exists()
    response = client.post(url, {"change_type": "level", "new_level": "2", "new_period_kind": "term",
                                 "new_period_value": "5", "new_period_unit": "year", "change_basis": "某条",
                                 "reason": "范围调整"})
    request = ApprovalRequest.objects.get(kind=RequestKind.RECLASSIFY)
    assert response.status_code == 302 and response.url == request.get_absolute_url()
    detail = client.get(request.get_absolute_url()).content.decode()
    assert "机密★10年" in detail and "秘密★5年" in detail
    client.logout()
    client.login(username="dingmi", password=PASSWORD)
    inbox = client.get(reverse("approvals:inbox")).content.decode()
    assert "机密★10年 → 秘密★5年" in inbox
    client.post(reverse("approvals:decide", args=[request.pk]), {"decision": "approve", "comment": "同意"})
    assert Carrier.objects.get(pk=secret_doc.pk).mark == "秘密★5年"
    page = client.get(secret_doc.get_absolute_url()).content.decode()
    assert "秘密★5年" in page and "由 机密★10年 变更为 秘密★5年" in page
    assert '<span class="history-type">定密变更</span>' in page, "the history names the change, not a 更正"


def test_a_reader_gets_no_button_and_no_form(client, cast, secret_doc):
    client.login(username="lisi", password=PASSWORD)
    assert 'id="ask-reclassify"' not in client.get(secret_doc.get_absolute_url()).content.decode()
    page = client.get(reverse("approvals:reclassify_request", args=[secret_doc.pk])).content.decode()
    assert 'id="errors-refusal"' in page and 'id="request-form"' not in page
