"""Smoke walk of copy, carry-out and repair through the services (lead's check before the full tests)."""
import datetime as dt

import pytest

from documents import services_approvals as sa, services_carry as sc, services_copy as scopy
from documents.models import Carrier, CustodyStatus, RequestState
from documents.policy import visible_carriers
from documents.services import local_today
from secrecy.errors import InvalidState, ValidationFailed


def test_copy_walk(unit, register_carrier):
    c = register_carrier(level=3, copy_number=7, scope_groups=[unit.business.group])
    r = scopy.copy_request_create(actor=unit.lisi, carriers=[c], mode="copy", count=2, reason="会议使用")
    r = sa.request_decide(actor=unit.lingdao, request=r, approve=True, comment="同意")
    r = scopy.copy_make(actor=unit.mishu, request=r, copy_stamp=scopy.default_copy_stamp())
    assert r.state == RequestState.COMPLETED
    copies = list(Carrier.objects.filter(original=c).order_by("copy_number"))
    assert [x.copy_number for x in copies] == [8, 9]
    assert all(x.level == 3 and x.mark == c.mark for x in copies)
    assert visible_carriers(unit.lisi).filter(pk__in=[x.pk for x in copies]).count() == 2


def test_top_secret_copy_needs_consent(unit, register_carrier):
    c = register_carrier(level=4, copy_number=1, scope_users=[unit.mishu])
    with pytest.raises(ValidationFailed) as e:
        scopy.copy_request_create(actor=unit.mishu, carriers=[c], mode="copy", count=1, reason="x")
    assert "consent_letter" in e.value.field_errors


def test_compile(unit, register_carrier):
    a = register_carrier(level=2, copy_number=1, period_value=5, scope_groups=[unit.business.group])
    b = register_carrier(level=3, copy_number=2, period_value=8, scope_groups=[unit.business.group])
    r = scopy.copy_request_create(actor=unit.lisi, carriers=[a, b], mode="compile", count=1, reason="汇编",
                                  copy_title="年度汇编")
    sa.request_decide(actor=unit.lingdao, request=r, approve=True)
    scopy.copy_make(actor=unit.mishu, request=r, copy_stamp="复制")
    made = Carrier.objects.get(source_request=r)
    assert made.level == 3 and made.period_value == 8 and made.title == "年度汇编"


def test_carry_walk(unit, register_carrier):
    c = register_carrier(level=2, copy_number=1, scope_groups=[unit.business.group])
    today = local_today()
    r = sc.carry_request_create(actor=unit.zhangsan, carrier=c, destination="北京", depart_date=today,
                                due_date=today + dt.timedelta(days=2), reason="开会", abroad=True)
    with pytest.raises(ValidationFailed):
        sa.request_decide(actor=unit.lingdao, request=r, approve=True)
    sa.request_decide(actor=unit.lingdao, request=r, approve=True, approve_abroad=True)
    sc.carry_check_out(actor=unit.mishu, request=r)
    assert Carrier.objects.get(pk=c.pk).custody_status == CustodyStatus.CARRIED_OUT
    sc.carry_return(actor=unit.mishu, request=r, condition="intact")
    assert Carrier.objects.get(pk=c.pk).custody_status == CustodyStatus.IN_REGISTRY


def test_repair_walk(unit, register_carrier):
    c = register_carrier(level=2, copy_number=1, kind="removable", device_serial="SN1")
    r = sc.repair_request_create(actor=unit.mishu, carrier=c, mode="off_site", repairer="定点维修单位", reason="坏了")
    sa.request_decide(actor=unit.lingdao, request=r, approve=True)
    with pytest.raises(ValidationFailed):
        sc.repair_start(actor=unit.mishu, request=r)
    sc.repair_start(actor=unit.mishu, request=r, storage_removed_note="已拆除闪存芯片")
    sc.repair_finish(actor=unit.mishu, request=r, condition="intact")
    assert Carrier.objects.get(pk=c.pk).custody_status == CustodyStatus.IN_REGISTRY
