"""factory_boy factories for tests that need many rows quickly.

Registration itself is tested through the services (test_services_register.py). These factories
write carriers straight through the model, which is only acceptable where a test is about the
*read* path (selectors, query counts, the property test) and needs hundreds of rows fast.
"""
import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from documents.models import (
    Carrier, CarrierGroupScope, CarrierKind, CarrierUserScope, CustodyStatus, Direction,
)
from secrecy.levels import Level, PeriodKind, PeriodUnit, compute_declassify_on

class UserFactory(factory.django.DjangoModelFactory):
    """An account without a usable password (tests that log in use conftest.make_user)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n:05d}")
    is_active = True
    password = factory.django.Password(None)


class CarrierFactory(factory.django.DjangoModelFactory):
    """A classified paper carrier; pass department and registered_by (no sensible default)."""

    class Meta:
        model = Carrier

    registry = "factory"
    serial_year = 2026
    serial_number = factory.Sequence(lambda n: n + 1)
    serial = factory.LazyAttribute(lambda o: f"F{o.serial_year}-{o.serial_number:07d}")
    direction = Direction.INCOMING
    title = factory.Sequence(lambda n: f"测试载体第{n}号")
    doc_number = factory.Sequence(lambda n: f"测〔2026〕{n}号")
    issuer = "市保密局"
    kind = CarrierKind.PAPER
    level = Level.CONFIDENTIAL
    period_kind = factory.LazyAttribute(lambda o: PeriodKind.TERM if o.level >= Level.CONFIDENTIAL else "")
    period_value = factory.LazyAttribute(lambda o: 5 if o.level >= Level.CONFIDENTIAL else None)
    period_unit = factory.LazyAttribute(lambda o: PeriodUnit.YEAR if o.level >= Level.CONFIDENTIAL else "")
    start_date = dt.date(2026, 1, 5)
    declassify_on = factory.LazyAttribute(lambda o: compute_declassify_on(
        level=o.level, kind=o.period_kind, start=o.start_date, value=o.period_value, unit=o.period_unit))
    copy_number = factory.Sequence(lambda n: n + 1)
    doc_date = dt.date(2026, 1, 5)
    signed_by = "王机要"
    location = "机要室A柜"
    custodian = None
    custody_status = CustodyStatus.IN_REGISTRY


def view_permission():
    return Permission.objects.get(content_type__app_label="documents", codename="view_carrier")


def bulk_user_grants(pairs, permission=None):
    """知悉范围 rows for (user, carrier) pairs, in one INSERT."""
    permission = permission or view_permission()
    return CarrierUserScope.objects.bulk_create(
        [CarrierUserScope(user=user, content_object=carrier, permission=permission) for user, carrier in pairs]
    )


def bulk_group_grants(pairs, permission=None):
    permission = permission or view_permission()
    return CarrierGroupScope.objects.bulk_create(
        [CarrierGroupScope(group=group, content_object=carrier, permission=permission) for group, carrier in pairs]
    )


def raise_level(*, registrar, decider, carrier, level, copy_number=None):
    """Change a carrier's level the only way there is (密级变更, decided by a 定密 authority);
    corrections cannot (issue 11 §1). Returns the carrier as stored."""
    from approvals import services as approval_services
    from approvals.kinds import reclassify as reclassifying
    from documents.models import Carrier

    request = reclassifying.reclassify_request_create(
        actor=registrar, carrier=carrier, change_type="level", new_level=level, period_kind="term",
        period_value=5, period_unit="year", reason="定密更正", change_basis="某事项保密范围第1条")
    approval_services.request_decide(actor=decider, request=request, approve=True)
    return Carrier.objects.get(pk=carrier.pk)


def widen_scope(*, carrier, registrar, principal, user=None, group=None, reason="工作需要"):
    """Add a person or department to a 秘密+ carrier's 知悉范围 the only way there is: a 知悉范围扩大
    request decided by the 主要负责人 (issue 11 §8)."""
    from approvals import services as approval_services
    from approvals.kinds import scope as scoping

    request = scoping.scope_request_create(
        actor=registrar, carrier=carrier, reason=reason, user_id=user.pk if user else None,
        group_id=group.pk if group else None)
    return approval_services.request_decide(actor=principal, request=request, approve=True)
