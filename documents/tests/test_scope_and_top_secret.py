"""Issue 11 §8: the two legal rules that were missing.

- 知悉范围扩大 (SPEC §5): widening the scope of a 秘密/机密/绝密 carrier is an approval request
  decided by the 主要负责人 or their delegate; narrowing, and a 内部 carrier's scope, stay immediate.
- 绝密 专人管理 (LAW24 art. 26; REG24 art. 29(1)): only registrars the 主要负责人 designated for
  绝密 receive, keep or hand out 绝密 carriers.
"""
import pytest
from django.urls import reverse

from approvals import services as approval_services
from approvals.kinds import lend as lending
from approvals.kinds import scope as scoping
from approvals.models import ApprovalRequest, RequestKind, RequestState
from audits.models import AuditEvent
from conftest import make_user
from approvals import policy, selectors
from documents import services, services_circulation
from documents.models import CarrierUserScope, CustodyAction, CustodyEvent
from documents.policy import visible_carriers
from notifications.models import Notification
from personnel import services as personnel_services
from personnel.models import Role
from secrecy.errors import NotVisible, PolicyDenied, ValidationFailed


def sees(user, carrier):
    return visible_carriers(user).filter(pk=carrier.pk).exists()


def world():
    return (list(CarrierUserScope.objects.order_by("id").values_list("id", "user_id", "content_object_id")),
            ApprovalRequest.objects.count(), CustodyEvent.objects.count(), AuditEvent.objects.count())


@pytest.fixture
def secret(unit, register_carrier):
    """A 机密 document in lisi's scope only."""
    return register_carrier(level=3, title="机密规划", scope_users=[unit.lisi])


# ------------------------------------------------------------------------------ 知悉范围扩大


def test_the_registrar_alone_can_no_longer_widen_a_state_secret_scope(unit, secret):
    before = world()
    with pytest.raises(PolicyDenied, match="知悉范围扩大申请"):
        services.carrier_scope_grant(actor=unit.mishu, carrier=secret, user_id=unit.lingdao.pk, reason="工作需要")
    assert world() == before and not sees(unit.lingdao, secret)


def test_a_work_secret_scope_is_still_the_registrars_to_widen(unit, register_carrier):
    internal = register_carrier(level=1, copy_number=None, period_kind="", period_value=None, period_unit="")
    services.carrier_scope_grant(actor=unit.mishu, carrier=internal, user_id=unit.wangwu.pk, reason="工作需要")
    assert sees(unit.wangwu, internal)
    with pytest.raises(PolicyDenied, match="直接调整"):
        scoping.scope_request_create(actor=unit.mishu, carrier=internal, user_id=unit.zhangsan.pk,
                                            reason="工作需要")


def test_narrowing_needs_no_approval(unit, secret):
    services.carrier_scope_revoke(actor=unit.mishu, carrier=secret, user_id=unit.lisi.pk, reason="调离")
    assert not sees(unit.lisi, secret)


def test_a_reader_in_scope_asks_and_only_the_principal_or_delegate_decides(unit, secret):
    request = scoping.scope_request_create(actor=unit.lisi, carrier=secret, user_id=unit.lingdao.pk,
                                                  reason="分管领导需阅知")
    assert request.state == RequestState.SUBMITTED and request.kind == RequestKind.SCOPE
    assert request.steps.get().requirement == "主要负责人或其委托的审批人"
    assert not sees(unit.lingdao, secret), "not his to decide, so not his to see either"
    # lingdao has 机密 approval authority, yet is neither principal nor delegate: not his to decide.
    assert request not in selectors.requests_inbox(user=unit.lingdao)
    before = world()
    with pytest.raises(PolicyDenied, match="主要负责人或其委托"):
        approval_services.request_decide(actor=unit.lingdao, request=request, approve=True)
    assert world() == before
    assert request in selectors.requests_inbox(user=unit.zhuren)

    approval_services.request_decide(actor=unit.zhuren, request=request, approve=True, comment="同意")
    request.refresh_from_db()
    assert request.state == RequestState.COMPLETED and request.completed_at is not None
    assert sees(unit.lingdao, secret)
    row = CustodyEvent.objects.filter(carrier=secret, action=CustodyAction.SCOPE_GRANTED).get()
    assert row.approval_ref == request.reference and request.reference in row.note
    assert sorted(Notification.objects.filter(kind=scoping.NOTICE_KIND_SCOPE)
                  .values_list("recipient__username", flat=True)) == ["lingdao", "lisi"]


def test_a_delegate_named_by_the_principal_decides(unit, secret):
    request = scoping.scope_request_create(actor=unit.mishu, carrier=secret, group_id=unit.business.group.pk,
                                                  reason="业务一处全体需阅知")
    with pytest.raises(PolicyDenied):
        personnel_services.person_designate(actor=unit.baomi, user=unit.lingdao, field="scope_delegate",
                                            designated=True)
    personnel_services.person_designate(actor=unit.zhuren, user=unit.lingdao, field="scope_delegate", designated=True)
    event = AuditEvent.objects.filter(action="personnel.designate").latest("seq")
    assert event.actor == unit.zhuren and event.detail["field"] == "scope_delegate"
    lingdao = type(unit.lingdao).objects.get(pk=unit.lingdao.pk)
    assert request in selectors.requests_inbox(user=lingdao)
    approval_services.request_decide(actor=lingdao, request=request, approve=True)
    assert sees(unit.zhangsan, secret) is False, "a department grant still filters by clearance"
    assert sees(unit.lisi, secret)


def test_a_rejected_widening_changes_nothing(unit, secret):
    request = scoping.scope_request_create(actor=unit.lisi, carrier=secret, user_id=unit.lingdao.pk,
                                                  reason="阅知")
    scopes = list(CarrierUserScope.objects.values_list("id", flat=True))
    approval_services.request_decide(actor=unit.zhuren, request=request, approve=False, comment="无必要")
    assert list(CarrierUserScope.objects.values_list("id", flat=True)) == scopes
    assert not sees(unit.lingdao, secret)


def test_a_widening_is_refused_at_its_fields_for_the_uncleared_and_the_outsider(unit, secret):
    before = world()
    with pytest.raises(ValidationFailed) as refused:
        scoping.scope_request_create(actor=unit.lisi, carrier=secret, user_id=unit.zhangsan.pk, reason="")
    assert "涉密等级低于载体密级" in refused.value.field_errors["user"]
    assert "理由" in refused.value.field_errors["reason"]
    with pytest.raises(ValidationFailed) as refused:
        scoping.scope_request_create(actor=unit.mishu, carrier=secret, user_id=unit.lisi.pk, reason="x")
    assert "已在知悉范围内" in refused.value.field_errors["user"]
    with pytest.raises(NotVisible):
        scoping.scope_request_create(actor=unit.zhangsan, carrier=secret, user_id=unit.zhangsan.pk,
                                            reason="我也想看")
    assert world() == before


def test_the_registrars_scope_form_turns_a_widening_into_a_request(client, unit, secret):
    client.force_login(unit.mishu)
    page = client.get(secret.get_absolute_url()).content.decode()
    assert 'id="scope-approval-note"' in page
    response = client.post(reverse("documents:carrier_scope", args=[secret.pk]), {
        "scope-action": "grant", "scope-user": unit.lingdao.pk, "scope-reason": "分管领导需阅知"})
    request = ApprovalRequest.objects.get(kind=RequestKind.SCOPE)
    assert response.status_code == 302 and response.url == request.get_absolute_url()
    assert not sees(unit.lingdao, secret)
    client.force_login(unit.zhuren)
    assert request.get_absolute_url() in client.get(reverse("approvals:inbox")).content.decode()
    detail = client.get(request.get_absolute_url()).content.decode()
    assert 'id="scope-target"' in detail


def test_the_reader_request_page(client, unit, secret):
    url = reverse("approvals:scope_request", args=[secret.pk])
    client.force_login(unit.lisi)
    page = client.get(secret.get_absolute_url()).content.decode()
    assert 'id="ask-scope"' in page
    bad = client.post(url, {"user": unit.zhangsan.pk, "reason": ""})
    assert bad.status_code == 200 and "请填写扩大知悉范围的理由" in bad.content.decode()
    good = client.post(url, {"user": unit.lingdao.pk, "reason": "阅知"})
    assert good.status_code == 302
    client.force_login(unit.zhangsan)
    assert client.get(url).status_code == 404


# ------------------------------------------------------------------------------ 绝密 专人管理


@pytest.fixture
def second_registrar(unit):
    """A 核心 registrar serving every department, not (yet) designated for 绝密."""
    return make_user("jiyao2", department=unit.office, roles=[Role.REGISTRAR], person_class="core",
                     served=[unit.office, unit.secrecy_office, unit.business], full_name="钱机要")


def test_only_a_designated_registrar_receives_top_secret(unit, register_carrier, second_registrar):
    with pytest.raises(ValidationFailed) as refused:
        register_carrier(actor=second_registrar, level=4, copy_number=2)
    assert "绝密载体专人" in refused.value.field_errors["level"]
    assert register_carrier(actor=second_registrar, level=3, copy_number=3).level == 3
    personnel_services.person_designate(actor=unit.zhuren, user=second_registrar, field="top_secret_registrar",
                                        designated=True)
    designated = type(second_registrar).objects.get(pk=second_registrar.pk)
    assert register_carrier(actor=designated, level=4, copy_number=2).level == 4


def test_an_undesignated_registrar_neither_hands_out_nor_manages_top_secret(unit, register_carrier,
                                                                            second_registrar):
    top = register_carrier(level=4, copy_number=1, scope_users=[unit.zhuren])
    loan = lending.loan_request_create(actor=unit.zhuren, carrier=top, due_date=None, reason="阅")
    assert "绝密载体专人" in policy.execute_refusal(second_registrar, loan, [top])
    assert policy.execute_refusal(unit.mishu, loan, [top]) is None
    assert not ApprovalRequest.objects.filter(policy.executable_requests_q(second_registrar), pk=loan.pk).exists()
    assert ApprovalRequest.objects.filter(policy.executable_requests_q(unit.mishu), pk=loan.pk).exists()
    with pytest.raises(PolicyDenied):
        services.carrier_correct(actor=second_registrar, carrier=top, changes={"location": "别处"}, reason="x")
    with pytest.raises(PolicyDenied):
        services_circulation.circulation_start(actor=second_registrar, carrier=top, readers=[unit.zhuren])
    # mishu, designated by zhuren in the unit fixture, may.
    services.carrier_correct(actor=unit.mishu, carrier=top, changes={"location": "绝密柜"}, reason="更正")


def test_designations_are_the_principals_alone_and_checked(unit, second_registrar):
    for actor in (unit.baomi, unit.secadmin, unit.lingdao, unit.mishu):
        with pytest.raises(PolicyDenied):
            personnel_services.person_designate(actor=actor, user=second_registrar, field="top_secret_registrar",
                                                designated=True)
    with pytest.raises(ValidationFailed) as refused:
        personnel_services.person_designate(actor=unit.zhuren, user=unit.lisi, field="top_secret_registrar",
                                            designated=True)
    assert "机要秘书" in refused.value.field_errors["top_secret_registrar"]
    general = make_user("jiyao3", department=unit.office, roles=[Role.REGISTRAR], person_class="important")
    with pytest.raises(ValidationFailed) as refused:
        personnel_services.person_designate(actor=unit.zhuren, user=general, field="top_secret_registrar",
                                            designated=True)
    assert "绝密级涉密资格" in refused.value.field_errors["top_secret_registrar"]


def test_the_designation_page_is_the_principals(client, unit, second_registrar):
    url = reverse("personnel:designations")
    for name in ("mishu", "baomi", "secadmin", "lingdao"):
        client.force_login(unit[name])
        assert client.get(url).status_code == 404
    client.force_login(unit.zhuren)
    page = client.get(url).content.decode()
    assert "钱机要" in page and 'id="nav-designations"' in page
    person = second_registrar.person
    response = client.post(url, {"field": "top_secret_registrar", "person": person.pk, "designated": "1"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.top_secret_registrar
    bad = client.post(url, {"field": "top_secret_registrar", "person": "99999999999999999999", "designated": "1"})
    assert bad.status_code == 400
