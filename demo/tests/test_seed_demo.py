"""`manage.py seed_demo` builds the demo unit of SPEC §14 through the services, and only once."""
import datetime as dt
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from audits.models import AuditEvent
from documents.models import (
    DEVICE_KINDS, Carrier, CarrierGroupScope, CarrierKind, CarrierUserScope, CustodyAction, CustodyEvent, Direction,
)
from documents.selectors import carrier_list_visible_to
from documents.services_declassify import SYSTEM_USERNAME
from personnel.models import Department, Role
from personnel.policy import clearance_of, roles_of
from personnel.selectors import accounts_awaiting_record
from secrecy.levels import Level, PeriodKind, PeriodUnit

PASSWORD = "Secrecy#2026"

# username: (roles, clearance, approval authority, 定密 authority, is_principal, department)
CAST = {
    "mishu": ({Role.REGISTRAR}, Level.TOP_SECRET, 0, 0, False, "办公室"),
    "zhuren": ({Role.APPROVER}, Level.TOP_SECRET, 4, 4, True, "办公室"),
    "lingdao": ({Role.APPROVER}, Level.SECRET, 3, 0, False, "业务一处"),
    "baomi": ({Role.SECRECY_OFFICE}, Level.SECRET, 0, 0, False, "保密办"),
    "lisi": ({Role.READER}, Level.SECRET, 0, 0, False, "业务一处"),
    "zhangsan": ({Role.READER}, Level.CONFIDENTIAL, 0, 0, False, "业务一处"),
    "wangwu": ({Role.READER}, Level.WORK, 0, 0, False, "业务一处"),
    "sysadmin": ({Role.SYSADMIN}, 0, 0, 0, False, "办公室"),
    "secadmin": ({Role.SECURITY_ADMIN}, 0, 0, 0, False, "保密办"),
    "auditor": ({Role.AUDITOR}, 0, 0, 0, False, "保密办"),
}


def _seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_demo_accounts_have_the_roles_clearances_and_authority_of_spec_14(demo, db):

    assert {d.name: (d.is_secrecy_office, d.is_personnel_office) for d in Department.objects.all()} == {
        "办公室": (False, True), "保密办": (True, False), "业务一处": (False, False)}
    users = {u.username: u for u in get_user_model().objects.select_related("person", "person__department")}
    # Besides the cast, only the expiry job's own account (seed_demo runs 自行解密): it cannot log
    # in, has no role and no 涉密人员 record.
    system = users.pop(SYSTEM_USERNAME)
    assert not system.is_active and not system.has_usable_password() and not roles_of(system)
    assert not hasattr(system, "person") or system.person is None
    # The personnel section adds three people of its own (demo/people.py): 保密办's head, one
    # who has left (脱密期: account disabled) and one whose leave is being handled.
    extra = {username: users.pop(username) for username in ("huangmin", "zhouming", "qianqi")}
    assert not extra["zhouming"].is_active and extra["zhouming"].person.status == "declassifying"
    assert extra["qianqi"].is_active and roles_of(extra["huangmin"]) == {Role.SECRECY_OFFICE}
    # And one new account waiting in 待建档: a role, no 涉密人员 record, nothing classified to see.
    newcomer = users.pop("wuxinyu")
    assert newcomer.is_active and roles_of(newcomer) == {Role.READER} and not hasattr(newcomer, "person")
    assert list(accounts_awaiting_record(user=users["baomi"])) == [newcomer]
    assert set(users) == set(CAST)
    for username, (roles, clearance, approval, classification, principal, department) in CAST.items():
        user = users[username]
        person = user.person
        assert user.check_password(PASSWORD), username
        assert user.is_active and not user.is_superuser
        assert roles_of(user) == roles, username
        assert clearance_of(user) == clearance, username
        assert (person.approval_authority, person.classification_authority, person.is_principal) == (
            approval, classification, principal), username
        assert person.department.name == department
        # Realistic Chinese full names, not the login names.
        assert person.full_name and all("\u4e00" <= ch <= "\u9fff" for ch in person.full_name), username
    assert set(users["mishu"].person.served_departments.values_list("name", flat=True)) == {"办公室", "保密办", "业务一处"}
    assert not users["lisi"].person.served_departments.exists()


def test_demo_carriers_cover_every_level_kind_and_direction_with_real_registrations(demo, db):
    today = timezone.localdate()
    carriers = list(Carrier.objects.all())
    mishu = get_user_model().objects.get(username="mishu")

    assert 250 <= len(carriers) <= 400
    assert {(c.level, c.kind, c.direction) for c in carriers} == {
        (level, kind, direction) for level in Level.values for kind in CarrierKind.values
        for direction in Direction.values}
    assert {c.department.name for c in carriers} == {"办公室", "保密办", "业务一处"}
    # Registered through the service: gapless serials, one registration row and one event each.
    numbers = sorted(c.serial_number for c in carriers)
    assert numbers == list(range(1, len(carriers) + 1))
    assert all(c.registered_by_id == mishu.pk for c in carriers)
    assert CustodyEvent.objects.filter(action=CustodyAction.REGISTERED).count() == len(carriers)
    # Copies made by the demo's copy requests are registered by request.make_copies, not register_*.
    registered = [c for c in carriers if c.source_request_id is None]
    assert AuditEvent.objects.filter(action__startswith="carrier.register_").count() == len(registered)
    assert AuditEvent.objects.filter(action="request.make_copies").count() == len(
        {c.source_request_id for c in carriers if c.source_request_id})
    for c in carriers:
        assert dt.date(2024, 1, 1) <= c.doc_date <= today
        assert c.start_date <= today
        if c.kind in DEVICE_KINDS:
            assert c.device_serial, c
        if c.level >= Level.SECRET:
            assert c.copy_number, c
        if c.direction != Direction.INCOMING and c.level >= Level.CONFIDENTIAL:
            assert c.basis and c.drafter_id and c.classifier_id, c
        if c.direction == Direction.INCOMING:
            assert c.issuer and c.doc_number and c.signed_by, c
    secret = [c for c in carriers if c.level >= Level.CONFIDENTIAL]
    assert {c.period_kind for c in secret} == set(PeriodKind.values)
    assert {c.period_unit for c in secret if c.period_kind == PeriodKind.TERM} == {PeriodUnit.YEAR, PeriodUnit.MONTH}
    assert all(c.long_term_basis for c in secret if c.period_kind == PeriodKind.LONG_TERM)
    assert any(c.period_defaulted for c in secret) and any(c.period_special for c in secret)
    assert {c.urgency for c in carriers} == {"", "urgent", "extra_urgent"}

    # 知悉范围: some to lisi, some to zhangsan, some to 业务一处, some to nobody.
    assert CarrierUserScope.objects.filter(user__username="lisi").exists()
    assert CarrierUserScope.objects.filter(user__username="zhangsan").exists()
    assert CarrierGroupScope.objects.filter(group__department__name="业务一处").exists()
    assert Carrier.objects.filter(user_scopes__isnull=True, group_scopes__isnull=True).exists()

    # A few registrations were corrected: custody row, and the old values kept in the history.
    corrected = Carrier.objects.filter(custody_events__action=CustodyAction.CORRECTED).distinct()
    assert 3 <= corrected.count() <= 20
    assert all(c.history.count() == 2 for c in corrected)

    users = {u.username: u for u in get_user_model().objects.all()}
    assert carrier_list_visible_to(user=users["mishu"]).count() == len(carriers)
    for reader in ("lisi", "zhangsan", "zhuren"):
        assert 0 < carrier_list_visible_to(user=users[reader]).count() < len(carriers), reader
    assert not carrier_list_visible_to(user=users["zhangsan"]).filter(level__gt=Level.CONFIDENTIAL).exists()
    assert not carrier_list_visible_to(user=users["wangwu"]).filter(level__gt=Level.WORK).exists()
    for admin in ("sysadmin", "secadmin", "auditor"):
        assert carrier_list_visible_to(user=users[admin]).count() == 0


def test_a_second_run_creates_nothing_and_says_so(demo, db):

    def counts():
        return {
            "carriers": Carrier.objects.count(),
            "users": get_user_model().objects.count(),
            "departments": Department.objects.count(),
            "audit events": AuditEvent.objects.count(),
            "custody rows": CustodyEvent.objects.count(),
            "history rows": Carrier.history.count(),
            "scopes": CarrierUserScope.objects.count() + CarrierGroupScope.objects.count(),
        }

    before = counts()
    second = _seed()

    assert counts() == before
    assert "未作任何更改" not in demo
    assert "未作任何更改" in second


def test_every_action_the_demo_writes_is_declared_with_a_chinese_name(demo, db):
    """The auditor reads the demo's log by name (audits.events): nothing it writes is a bare code."""
    from audits.labels import action_label

    codes = set(AuditEvent.objects.values_list("action", flat=True).distinct())
    unnamed = sorted(code for code in codes if action_label(code) == code)
    assert len(codes) > 20 and not unnamed, unnamed
