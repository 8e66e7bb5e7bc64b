"""收文/发文登记, 更正登记 and 知悉范围 changes through the services (SPEC §2–4, §10; issue 2 point 2, 5).

Every refusal is checked for what it leaves behind: nothing (no carrier, custody row, audit event,
history row, scope row, and no serial number used up).
"""
import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from approvals.kinds import scope as scoping
from audits.models import AuditEvent
from conftest import carrier_data, make_user
from documents import services
from documents.models import (
    Carrier, CarrierGroupScope, CarrierUserScope, CustodyAction, CustodyEvent, CustodyStatus, Direction,
    SecrecyStatus, SerialCounter,
)
from documents.selectors import carrier_list_visible_to
from documents.tests.factories import widen_scope
from personnel import services as personnel_services
from personnel.models import Role
from secrecy.errors import DomainError, PolicyDenied, ValidationFailed


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def has_chinese(text):
    return bool(re.search(r"[\u4e00-\u9fff]", str(text)))


def today():
    return timezone.localdate()


def serial(n, year=None):
    return f"{year or today().year}-{n:06d}"


def snapshot():
    """Everything a registration, correction or scope change could leave behind."""
    return {
        "carriers": Carrier.objects.count(),
        "custody": CustodyEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "history": Carrier.history.count(),
        "user_scopes": CarrierUserScope.objects.count(),
        "group_scopes": CarrierGroupScope.objects.count(),
        "counters": sorted(SerialCounter.objects.values_list("registry", "year", "last_value")),
    }


def visible_to(user):
    return set(carrier_list_visible_to(user=get_user_model().objects.get(pk=user.pk)))


def outgoing_data(unit, **overrides):
    data = carrier_data(
        unit.office, title="关于做好年度定密工作的通知", doc_number="某办〔2026〕31号", issuer="本单位办公室",
        recipients="各区保密局、各直属单位", basis="《某事项保密范围》第3条", drafter=unit.lisi,
        classifier=unit.zhuren, signed_by="",
    )
    data.update(overrides)
    return data


# --- registering stores everything -------------------------------------------------------------

def test_incoming_registration_stores_every_register_column(unit):
    data = dict(
        title="关于某专项工作的实施方案", doc_number="某保〔2026〕88号", issuer="省保密局", kind="removable",
        device_serial="USB-7F3A-0091", attachments="附件清单1份", level=3, period_kind="term", period_value=10,
        period_unit="year", copy_number=123, copies=2, pages="16GB", urgency="urgent", doc_date=dt.date(2026, 11, 2),
        start_date=dt.date(2026, 10, 30), signed_by="王机要", transmission="jiyao_jiaotong",
        department=unit.business, location="机要室A柜", notes="随件附移交清单", scope_note="业务一处处长、副处长",
    )
    carrier = services.carrier_register_incoming(actor=unit.mishu, data=dict(data), scope_users=[unit.lisi])
    stored = Carrier.objects.get(pk=carrier.pk)

    for field, value in data.items():
        assert getattr(stored, field) == value, field
    assert stored.serial == serial(1)
    assert stored.direction == Direction.INCOMING
    assert (stored.registered_by, stored.custodian) == (unit.mishu, unit.mishu)
    assert stored.custody_status == CustodyStatus.IN_REGISTRY
    assert stored.secrecy_status == SecrecyStatus.CLASSIFIED
    assert stored.declassify_on == dt.date(2036, 10, 30)
    assert stored.mark == "机密★10年"
    assert stored.copy_number_display == "000123"
    assert stored.period_defaulted is False
    log = list(CustodyEvent.objects.filter(carrier=stored))
    assert [(e.action, e.to_user, e.recorded_by, e.to_status) for e in log] == [
        (CustodyAction.REGISTERED, unit.mishu, unit.mishu, CustodyStatus.IN_REGISTRY)]
    assert stored in visible_to(unit.lisi)


def test_outgoing_registration_stores_classification_record(unit):
    data = outgoing_data(unit, level=4, period_kind="date", period_value=None, period_unit="",
                         declassify_date=dt.date(2031, 12, 31), copy_number=5, copies=30, urgency="extra_urgent",
                         start_date=dt.date(2026, 11, 20), doc_date=dt.date(2026, 11, 20), transmission="by_hand")
    carrier = services.carrier_register_outgoing(actor=unit.mishu, data=dict(data))
    stored = Carrier.objects.get(pk=carrier.pk)

    for field in ("title", "doc_number", "issuer", "recipients", "basis", "drafter", "classifier", "level",
                  "declassify_date", "copy_number", "copies", "urgency", "start_date", "doc_date", "department",
                  "transmission", "location", "pages", "kind"):
        assert getattr(stored, field) == data[field], field
    assert stored.direction == Direction.OUTGOING
    assert stored.mark == "绝密★2031年12月31日"
    assert stored.declassify_on == dt.date(2031, 12, 31)
    assert stored.serial == serial(1)


def test_internal_carrier_is_registered_as_self_produced(unit):
    carrier = services.carrier_register_outgoing(actor=unit.mishu, data=outgoing_data(unit), internal=True)
    assert carrier.direction == Direction.INTERNAL


def test_start_date_defaults_to_the_document_date(unit, register_carrier):
    carrier = register_carrier(doc_date=dt.date(2026, 11, 2))
    assert carrier.start_date == dt.date(2026, 11, 2)
    assert carrier.declassify_on == dt.date(2036, 11, 2)


@pytest.mark.parametrize("level, mark", [(4, "绝密★30年"), (3, "机密★20年"), (2, "秘密★10年")])
def test_unmarked_period_gets_the_cap(unit, register_carrier, level, mark):
    carrier = register_carrier(level=level, period_kind="", period_value=None, period_unit="")
    assert carrier.mark == mark
    assert carrier.period_defaulted is True


def test_work_secret_carries_no_star_and_no_period(unit, register_carrier):
    carrier = register_carrier(level=1, copy_number=None)
    assert carrier.mark == "内部"
    assert (carrier.period_kind, carrier.period_value, carrier.declassify_on) == ("", None, None)


def test_long_term_needs_and_keeps_its_basis(unit, register_carrier):
    carrier = register_carrier(period_kind="long", period_value=None, period_unit="",
                               long_term_basis="《某事项保密范围》第12条：长期")
    assert carrier.mark == "机密★长期"
    assert carrier.declassify_on is None
    assert carrier.long_term_basis == "《某事项保密范围》第12条：长期"


def test_condition_period_is_printed_in_the_mark(unit, register_carrier):
    carrier = register_carrier(period_kind="condition", period_value=None, period_unit="",
                               declassify_condition="会议结束后")
    assert carrier.mark == "机密★会议结束后"
    assert carrier.declassify_on is None


# --- serial numbers ----------------------------------------------------------------------------

def test_serials_are_gapless_in_the_year_across_incoming_and_outgoing(unit, register_carrier):
    carriers = [register_carrier(), register_carrier(outgoing=True), register_carrier(level=2),
                register_carrier(outgoing=True, level=1, copy_number=None)]
    assert [c.serial for c in carriers] == [serial(n) for n in (1, 2, 3, 4)]
    assert [c.serial_number for c in carriers] == [1, 2, 3, 4]


def test_numbering_restarts_in_a_new_year(unit, register_carrier, monkeypatch):
    register_carrier()
    register_carrier()
    monkeypatch.setattr(services, "local_today", lambda: dt.date(today().year + 1, 1, 2))
    carrier = register_carrier(doc_date=dt.date(today().year + 1, 1, 2))
    assert carrier.serial == serial(1, year=today().year + 1)
    monkeypatch.undo()
    assert register_carrier().serial == serial(3)


# --- bad input is refused at the field and saves nothing ---------------------------------------

FUTURE = object()

BAD_INPUT = [
    pytest.param(False, dict(level=2, period_value=11), "period_value", id="秘密 period beyond 10 years"),
    pytest.param(False, dict(level=4, period_value=361, period_unit="month"), "period_value", id="绝密 beyond 30 years"),
    pytest.param(False, dict(period_kind="date", period_value=None, declassify_date=dt.date(2047, 1, 1)),
                 "declassify_date", id="机密 date beyond 20 years"),
    pytest.param(False, dict(level=3, copy_number=None), "copy_number", id="机密 without copy number"),
    pytest.param(False, dict(level=4, copy_number=None), "copy_number", id="绝密 without copy number"),
    pytest.param(True, dict(level=4, copy_number=None), "copy_number", id="outgoing 绝密 without copy number"),
    pytest.param(False, dict(start_date=FUTURE), "start_date", id="start date in the future"),
    pytest.param(True, dict(start_date=FUTURE), "start_date", id="outgoing start date in the future"),
    pytest.param(False, dict(doc_date=FUTURE), "doc_date", id="received date in the future"),
    pytest.param(True, dict(basis=""), "basis", id="outgoing without 定密依据"),
    pytest.param(True, dict(basis="   "), "basis", id="outgoing with blank 定密依据"),
    pytest.param(False, dict(level=9), "level", id="level 9"),
    pytest.param(False, dict(level="abc"), "level", id="level abc"),
    pytest.param(False, dict(level=0), "level", id="level 0"),
    pytest.param(False, dict(level=None), "level", id="no level"),
    pytest.param(False, dict(period_kind="long", period_value=None), "period_kind", id="长期 without basis"),
    pytest.param(False, dict(kind="removable", device_serial=""), "device_serial", id="USB drive without serial"),
    pytest.param(False, dict(issuer=""), "issuer", id="incoming without issuer"),
    pytest.param(True, dict(recipients=""), "recipients", id="outgoing without recipients"),
    pytest.param(True, dict(classifier=None), "classifier", id="outgoing without 定密责任人"),
]


@pytest.mark.parametrize("outgoing, bad, field", BAD_INPUT)
def test_bad_input_is_refused_at_the_field_in_chinese_and_saves_nothing(unit, outgoing, bad, field):
    bad = {k: (today() + dt.timedelta(days=1) if v is FUTURE else v) for k, v in bad.items()}
    services.carrier_register_incoming(actor=unit.mishu, data=carrier_data(unit.business))  # counter exists
    before = snapshot()
    data = outgoing_data(unit, **bad) if outgoing else carrier_data(unit.business, **bad)
    register = services.carrier_register_outgoing if outgoing else services.carrier_register_incoming

    with pytest.raises(ValidationFailed) as refused:
        register(actor=unit.mishu, data=data)

    errors = refused.value.field_errors
    assert field in errors, errors
    assert has_chinese(errors[field])
    assert has_chinese(refused.value.message)
    assert snapshot() == before
    # and the next good registration takes the next number: nothing was used up
    assert services.carrier_register_incoming(actor=unit.mishu, data=carrier_data(unit.business)).serial == serial(2)


def test_classifier_without_classification_authority_is_refused(unit):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        services.carrier_register_outgoing(actor=unit.mishu, data=outgoing_data(unit, classifier=unit.lingdao))
    assert "classifier" in refused.value.field_errors
    assert snapshot() == before


def test_a_failure_half_way_leaves_nothing_and_the_next_serial_is_still_gapless(unit, register_carrier, monkeypatch):
    assert register_carrier().serial == serial(1)
    before = snapshot()

    def audit_store_down(**kwargs):
        assert Carrier.objects.filter(serial=serial(2)).exists()  # the carrier row was already inserted
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "record_event", audit_store_down)
    with pytest.raises(RuntimeError):
        register_carrier(scope_users=[unit.lisi], scope_groups=[unit.business.group])
    assert snapshot() == before

    monkeypatch.undo()
    assert register_carrier().serial == serial(2)


@pytest.mark.parametrize("name", ["lisi", "zhuren", "lingdao", "baomi", "wangwu", "sysadmin", "secadmin", "auditor"])
def test_only_registrars_may_register(unit, name):
    before = snapshot()
    with pytest.raises(PolicyDenied) as refused:
        services.carrier_register_incoming(actor=unit[name], data=carrier_data(unit.business))
    assert has_chinese(refused.value.message)
    assert snapshot() == before


def test_registrar_cannot_register_for_a_department_they_do_not_serve(unit):
    clerk = make_user("jiyao2", department=unit.office, roles=[Role.REGISTRAR], person_class="core",
                      served=[unit.office])
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        services.carrier_register_incoming(actor=clerk, data=carrier_data(unit.business))
    assert "department" in refused.value.field_errors
    assert snapshot() == before
    assert services.carrier_register_incoming(actor=clerk, data=carrier_data(unit.office)).department == unit.office


def test_registrar_cannot_register_above_their_own_clearance(unit):
    clerk = make_user("jiyao3", department=unit.business, roles=[Role.REGISTRAR], person_class="important",
                      served=[unit.business])
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        services.carrier_register_incoming(actor=clerk, data=carrier_data(unit.business, level=4))
    assert "level" in refused.value.field_errors
    assert snapshot() == before
    assert services.carrier_register_incoming(actor=clerk, data=carrier_data(unit.business, level=3)).level == 3


def test_inactive_registrar_cannot_register(unit):
    unit.mishu.is_active = False
    unit.mishu.save()
    with pytest.raises(PolicyDenied):
        services.carrier_register_incoming(actor=get_user_model().objects.get(pk=unit.mishu.pk),
                                           data=carrier_data(unit.business))
    assert Carrier.objects.count() == 0


# --- correction --------------------------------------------------------------------------------

def test_correction_records_a_custody_row_and_keeps_the_old_values_in_history(unit, register_carrier):
    carrier = register_carrier(title="关于加强保密管理工作的通知", doc_number="某保〔2026〕12号")
    reason = "登记时文号录入错误，按原件更正"

    services.carrier_correct(actor=unit.mishu, carrier=carrier, changes={"doc_number": "某保〔2026〕21号"},
                             reason=reason)

    stored = Carrier.objects.get(pk=carrier.pk)
    assert stored.doc_number == "某保〔2026〕21号"
    history = list(stored.history.order_by("history_date", "history_id"))
    assert [h.doc_number for h in history] == ["某保〔2026〕12号", "某保〔2026〕21号"]
    assert history[-1].history_change_reason == reason
    assert history[-1].history_user == unit.mishu
    row = CustodyEvent.objects.filter(carrier=stored).order_by("id").last()
    assert row.action == CustodyAction.CORRECTED
    assert row.recorded_by == unit.mishu
    assert reason in row.note and "文号" in row.note
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "carrier.correct"
    assert event.detail["changed"] == {"doc_number": ["某保〔2026〕12号", "某保〔2026〕21号"]}
    assert event.detail["reason"] == reason


@pytest.mark.parametrize("changes", [
    {"level": 1}, {"level": 2}, {"period_value": 5}, {"period_kind": "long_term", "long_term_basis": "x"},
    {"declassify_date": dt.date(2027, 1, 1), "period_kind": "date"}, {"start_date": dt.date(2020, 1, 1)},
    {"basis": "另一依据"}, {"period_special": True, "period_special_reason": "另有规定"},
])
def test_a_correction_never_changes_the_classification(unit, register_carrier, changes):
    """Issue 11 §1: 密级 and 保密期限 change only through the 密级变更 approval (SPEC §4, §5)."""
    carrier = register_carrier(scope_users=[unit.lisi])
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        services.carrier_correct(actor=unit.mishu, carrier=carrier, changes={**changes, "title": "新标题"},
                                 reason="按原件更正")
    for field in changes:
        assert "密级变更申请" in refused.value.field_errors[field]
    assert snapshot() == before
    stored = Carrier.objects.get(pk=carrier.pk)
    assert (stored.level, stored.mark, stored.title) == (3, "机密★10年", carrier.title)


def test_a_correction_never_changes_the_classifier_or_the_department(unit, register_carrier):
    carrier = register_carrier(outgoing=True, basis="某范围第3条", classifier=unit.zhuren, drafter=unit.lisi)
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        services.carrier_correct(actor=unit.mishu, carrier=carrier,
                                 changes={"classifier": unit.mishu, "department": unit.office}, reason="更正")
    assert "密级变更申请" in refused.value.field_errors["classifier"]
    assert "移交" in refused.value.field_errors["department"]
    assert snapshot() == before


def test_a_posted_classification_field_equal_to_the_current_value_is_no_change(unit, register_carrier):
    carrier = register_carrier()
    services.carrier_correct(actor=unit.mishu, carrier=carrier,
                             changes={"level": 3, "period_value": 10, "location": "机要室B柜"}, reason="更正位置")
    stored = Carrier.objects.get(pk=carrier.pk)
    assert (stored.level, stored.location) == (3, "机要室B柜")


def test_a_correction_that_breaks_a_rule_is_refused_and_changes_nothing(unit, register_carrier):
    carrier = register_carrier()
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        # SPEC §2: 绝密 and 机密 carriers carry a 份号.
        services.carrier_correct(actor=unit.mishu, carrier=carrier, changes={"copy_number": None}, reason="更正")
    assert "copy_number" in refused.value.field_errors
    assert snapshot() == before
    assert Carrier.objects.get(pk=carrier.pk).copy_number == 7


def test_a_correction_needs_a_reason(unit, register_carrier):
    carrier = register_carrier()
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        services.carrier_correct(actor=unit.mishu, carrier=carrier, changes={"title": "新标题"}, reason="  ")
    assert "reason" in refused.value.field_errors
    assert snapshot() == before


@pytest.mark.parametrize("name", ["lisi", "zhuren", "baomi", "secadmin"])
def test_only_a_registrar_serving_the_department_may_correct(unit, register_carrier, name):
    carrier = register_carrier(scope_users=[unit.lisi])
    before = snapshot()
    with pytest.raises(PolicyDenied):
        services.carrier_correct(actor=unit[name], carrier=carrier, changes={"title": "新标题"}, reason="更正")
    assert snapshot() == before


def test_serial_and_custody_cannot_be_changed_by_a_correction(unit, register_carrier):
    carrier = register_carrier()
    for field, value in (("serial", "2026-999999"), ("custodian", unit.lisi), ("custody_status", "destroyed")):
        with pytest.raises(DomainError):
            services.carrier_correct(actor=unit.mishu, carrier=carrier, changes={field: value}, reason="更正")
    stored = Carrier.objects.get(pk=carrier.pk)
    assert (stored.serial, stored.custodian, stored.custody_status) == (carrier.serial, unit.mishu, "in_registry")


# --- 知悉范围 ------------------------------------------------------------------------------------

def test_granting_scope_to_a_person_shows_the_carrier_at_once_and_is_recorded(unit, register_carrier):
    # A 内部 carrier: its scope is the registrar's to widen (a 秘密+ one needs approval, see
    # test_scope_and_top_secret.py).
    carrier = register_carrier(level=1, copy_number=None, period_kind="", period_value=None, period_unit="")
    assert carrier not in visible_to(unit.lisi)

    services.carrier_scope_grant(actor=unit.mishu, carrier=carrier, user_id=unit.lisi.pk, reason="承办该项工作需要")

    assert carrier in visible_to(unit.lisi)
    row = CustodyEvent.objects.filter(carrier=carrier).order_by("id").last()
    assert row.action == CustodyAction.SCOPE_GRANTED and "承办该项工作需要" in row.note and "lisi" in row.note
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.actor, event.target_id) == ("carrier.scope_grant", unit.mishu, carrier.pk)
    assert event.detail["user"] == unit.lisi.pk and event.detail["reason"] == "承办该项工作需要"

    services.carrier_scope_revoke(actor=unit.mishu, carrier=carrier, user_id=unit.lisi.pk, reason="工作已办结")

    assert carrier not in visible_to(unit.lisi)
    row = CustodyEvent.objects.filter(carrier=carrier).order_by("id").last()
    assert row.action == CustodyAction.SCOPE_REVOKED and "工作已办结" in row.note
    assert AuditEvent.objects.order_by("-seq").first().action == "carrier.scope_revoke"


def test_granting_scope_to_a_department_shows_it_to_its_cleared_members_only(unit, register_carrier):
    carrier = register_carrier(level=3)
    widen_scope(carrier=carrier, registrar=unit.mishu, principal=unit.zhuren, group=unit.business.group,
                reason="业务一处承办")
    assert carrier in visible_to(unit.lisi)
    assert carrier in visible_to(unit.lingdao)
    assert carrier not in visible_to(unit.zhangsan)  # 一般 < 机密
    assert carrier not in visible_to(unit.baomi)  # another department
    services.carrier_scope_revoke(actor=unit.mishu, carrier=carrier, group_id=unit.business.group.pk, reason="办结")
    assert carrier not in visible_to(unit.lisi)


def test_scope_cannot_be_granted_to_someone_below_the_level(unit, register_carrier):
    carrier = register_carrier(level=3)
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        scoping.scope_request_create(actor=unit.mishu, carrier=carrier, user_id=unit.zhangsan.pk, reason="需要")
    assert "user" in refused.value.field_errors and has_chinese(refused.value.field_errors["user"])
    assert snapshot() == before


@pytest.mark.parametrize("name", ["zhangsan", "wangwu", "sysadmin"])
def test_registration_refuses_an_initial_scope_person_below_the_level(unit, name):
    before = snapshot()
    with pytest.raises(ValidationFailed):
        services.carrier_register_incoming(actor=unit.mishu, data=carrier_data(unit.business, level=3),
                                           scope_users=[unit[name]])
    assert snapshot() == before


def test_scope_change_needs_a_reason_and_a_registrar_of_the_department(unit, register_carrier):
    carrier = register_carrier(level=1, copy_number=None, period_kind="", period_value=None, period_unit="", scope_users=[unit.lisi])
    before = snapshot()
    with pytest.raises(ValidationFailed):
        services.carrier_scope_grant(actor=unit.mishu, carrier=carrier, user_id=unit.lingdao.pk, reason="")
    for name in ("lisi", "zhuren", "secadmin"):
        with pytest.raises(PolicyDenied):
            services.carrier_scope_grant(actor=unit[name], carrier=carrier, user_id=unit.lingdao.pk, reason="需要")
        with pytest.raises(PolicyDenied):
            services.carrier_scope_revoke(actor=unit[name], carrier=carrier, user_id=unit.lisi.pk, reason="需要")
    assert snapshot() == before
    assert carrier not in visible_to(unit.lingdao)
    assert carrier in visible_to(unit.lisi)


def test_scope_cannot_be_granted_to_a_disabled_account(unit, register_carrier):
    carrier = register_carrier(level=1, copy_number=None, period_kind="", period_value=None, period_unit="")
    unit.lisi.is_active = False
    unit.lisi.save()
    with pytest.raises(ValidationFailed):
        services.carrier_scope_grant(actor=unit.mishu, carrier=carrier, user_id=unit.lisi.pk, reason="需要")
    assert not CarrierUserScope.objects.filter(content_object=carrier).exists()


# --- exactly one audit event per service, in its transaction -----------------------------------

def _registered(unit, register_carrier):
    return register_carrier(level=3, scope_users=[unit.lisi])


def _registered_internal(unit, register_carrier):
    return register_carrier(level=1, copy_number=None, period_kind="", period_value=None, period_unit="", scope_users=[unit.lisi])


SERVICES = {
    "register incoming": (None, lambda u, rc, ctx: rc(), "carrier.register_in"),
    "register outgoing": (None, lambda u, rc, ctx: rc(outgoing=True), "carrier.register_out"),
    "register internal": (None, lambda u, rc, ctx: services.carrier_register_outgoing(
        actor=u.mishu, data=outgoing_data(u), internal=True), "carrier.register_internal"),
    "correct": (_registered, lambda u, rc, c: services.carrier_correct(
        actor=u.mishu, carrier=c, changes={"title": "更正后的标题"}, reason="更正"), "carrier.correct"),
    "scope grant": (_registered_internal, lambda u, rc, c: services.carrier_scope_grant(
        actor=u.mishu, carrier=c, user_id=u.lingdao.pk, reason="需要"), "carrier.scope_grant"),
    "scope revoke": (_registered, lambda u, rc, c: services.carrier_scope_revoke(
        actor=u.mishu, carrier=c, user_id=u.lisi.pk, reason="办结"), "carrier.scope_revoke"),
    "role grant": (None, lambda u, rc, ctx: personnel_services.role_grant(
        actor=u.secadmin, user=u.lisi, role=Role.APPROVER), "personnel.role_grant"),
    "role revoke": (None, lambda u, rc, ctx: personnel_services.role_revoke(
        actor=u.secadmin, user=u.lisi, role=Role.READER), "personnel.role_revoke"),
    "person save": (None, lambda u, rc, ctx: personnel_services.person_save(
        actor=u.secadmin, user=u.zhangsan, person_class="important"), "personnel.person_save"),
    "department create": (None, lambda u, rc, ctx: personnel_services.department_create(
        actor=u.secadmin, name="业务二处", code="biz2"), "personnel.department_create"),
}


@pytest.mark.parametrize("name", list(SERVICES))
def test_every_service_writes_exactly_one_audit_event(unit, register_carrier, name):
    prepare, act, action = SERVICES[name]
    ctx = prepare(unit, register_carrier) if prepare else None
    before = AuditEvent.objects.count()
    last_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()

    act(unit, register_carrier, ctx)

    new = list(AuditEvent.objects.filter(seq__gt=last_seq))
    assert AuditEvent.objects.count() == before + 1
    assert [e.action for e in new] == [action]


@pytest.mark.parametrize("name, module", [
    ("register incoming", services), ("correct", services), ("scope grant", services),
    ("role grant", personnel_services), ("person save", personnel_services),
])
def test_when_the_audit_write_fails_the_action_is_undone(unit, register_carrier, monkeypatch, name, module):
    prepare, act, _ = SERVICES[name]
    ctx = prepare(unit, register_carrier) if prepare else None
    before = snapshot()
    groups = sorted(get_user_model().objects.get(pk=unit.lisi.pk).groups.values_list("name", flat=True))
    zhangsan_class = unit.zhangsan.person.person_class

    def fail(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(module, "record_event", fail)
    with pytest.raises(RuntimeError):
        act(unit, register_carrier, ctx)

    assert snapshot() == before
    assert sorted(get_user_model().objects.get(pk=unit.lisi.pk).groups.values_list("name", flat=True)) == groups
    assert get_user_model().objects.get(pk=unit.zhangsan.pk).person.person_class == zhangsan_class
    if ctx is not None:
        assert Carrier.objects.get(pk=ctx.pk).title == ctx.title


def test_a_lowered_level_is_audited_at_the_higher_of_old_and_new(unit, register_carrier):
    """Issue 11 §1: an auditor filtering by 绝密 must find the event that took a carrier below it."""
    from documents.tests.factories import raise_level

    carrier = register_carrier(level=4, copy_number=1, outgoing=True)
    raise_level(registrar=unit.mishu, decider=unit.zhuren, carrier=carrier, level=2)
    assert Carrier.objects.get(pk=carrier.pk).level == 2
    decision = AuditEvent.objects.filter(action="request.approve").latest("seq")
    assert decision.level == 4 and decision.detail["to_mark"].startswith("秘密")
