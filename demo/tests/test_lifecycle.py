"""`seed_demo` also shows what happens to carriers besides requests: 传阅 in every state (SPEC §6),
the four ways out of the registry — 清退、归档、移交、丢失 (SPEC §3) — and the nightly 自行解密 job
(SPEC §7) as of the day the demo was seeded, with its notices; all made through the services, and a
second run (the same day or a later one) changes nothing."""
import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Min
from django.utils import timezone

from approvals.models import RequestItem
from audits.models import AuditEvent
from documents.models import Carrier, Circulation, CirculationStep, CustodyEvent
from documents.services_declassify import SYSTEM_USERNAME
from notifications.models import Notification


def _seed():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts():
    return {
        "users": get_user_model().objects.count(),
        "carriers": Carrier.objects.count(),
        "circulations": Circulation.objects.count(),
        "circulation steps": CirculationStep.objects.count(),
        "signed steps": CirculationStep.objects.filter(signed_at__isnull=False).count(),
        "custody rows": CustodyEvent.objects.count(),
        "history rows": Carrier.history.count(),
        "audit events": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
        "declassified": Carrier.objects.filter(secrecy_status="declassified").count(),
    }


def _steps(circulation):
    return list(circulation.steps.select_related("reader__person__department").order_by("order"))


def test_circulations_in_every_state(demo, db):
    mishu = get_user_model().objects.get(username="mishu")
    circulations = list(Circulation.objects.select_related("carrier").order_by("pk"))
    assert {c.state for c in circulations} == {"open", "completed", "cancelled"}
    for circulation in circulations:
        assert circulation.started_by_id == mishu.pk
        steps = _steps(circulation)
        assert len(steps) >= 2
        for step in steps:
            # Readers of 业务一处, cleared for the carrier and in its 知悉范围 (the service checked).
            assert step.reader.person.department.name == "业务一处", step.reader
            assert step.handed_at is None or (step.handed_by_id == mishu.pk and step.deadline)
            assert step.returned_at is None or step.returned_to_id == mishu.pk

    open_ones = [c for c in circulations if c.state == "open"]
    # One is out with its first reader, unsigned: the reader holds it, status 传阅中.
    at_reader = [c for c in open_ones if _steps(c)[0].is_out]
    assert len(at_reader) == 1
    first = _steps(at_reader[0])[0]
    assert first.signed_at is None and all(s.handed_at is None for s in _steps(at_reader[0])[1:])
    carrier = at_reader[0].carrier
    assert (carrier.custody_status, carrier.custodian_id) == ("circulating", first.reader_id)
    assert Notification.objects.filter(recipient=first.reader, kind="circulation_handed").exists()
    # One is between readers: the first signed (with a comment) and handed back, the next not yet reached.
    between = [c for c in open_ones if c not in at_reader]
    assert len(between) == 1
    steps = _steps(between[0])
    assert steps[0].signed_at and steps[0].comment and steps[0].returned_at
    assert all(s.handed_at is None for s in steps[1:])
    assert (between[0].carrier.custody_status, between[0].carrier.custodian_id) == ("in_registry", mishu.pk)

    # Completed: every reader signed with a comment and gave it back.
    completed = [c for c in circulations if c.state == "completed"]
    assert len(completed) == 1 and completed[0].completed_at
    steps = _steps(completed[0])
    assert len(steps) >= 2 and all(s.signed_at and s.comment and s.returned_at for s in steps)
    assert completed[0].carrier.custody_status == "in_registry"

    # Cancelled with a reason, the carrier back in the registry.
    cancelled = [c for c in circulations if c.state == "cancelled"]
    assert len(cancelled) == 1 and cancelled[0].cancel_reason and cancelled[0].cancelled_by_id == mishu.pk
    assert cancelled[0].carrier.custody_status == "in_registry"
    assert not any(step.is_out for step in _steps(cancelled[0]))

    # Every hand-over and take-back is a custody row and an audit event.
    for circulation in circulations:
        handed = sum(1 for s in _steps(circulation) if s.handed_at)
        returned = sum(1 for s in _steps(circulation) if s.returned_at)
        rows = CustodyEvent.objects.filter(carrier=circulation.carrier, approval_ref=circulation.reference)
        assert rows.filter(action="handed_out").count() == handed
        assert rows.filter(action="returned").count() == returned
    assert AuditEvent.objects.filter(action="circulation.start").count() == len(circulations)


@pytest.mark.parametrize("status, action", [
    ("returned", "returned_to_issuer"), ("archived", "archived"), ("transferred", "transferred"), ("lost", "reported_lost"),
])
def test_one_carrier_left_the_registry_each_way(demo, db, status, action):
    carriers = list(Carrier.objects.filter(custody_status=status))
    assert len(carriers) == 1, status
    rows = list(CustodyEvent.objects.filter(carrier=carriers[0], action=action))
    assert len(rows) == 1 and rows[0].note
    if action != "reported_lost":
        assert rows[0].receipt_number, action
    if action in ("returned_to_issuer", "transferred"):
        assert rows[0].receiver, action
    if action == "returned_to_issuer":
        assert carriers[0].direction == "in" and rows[0].receiver == carriers[0].issuer


def test_the_loss_alerted_the_secrecy_office(demo, db):
    lost = Carrier.objects.get(custody_status="lost")
    assert Notification.objects.filter(kind="carrier_lost", recipient__username="baomi").exists()
    assert AuditEvent.objects.filter(action="carrier.report_lost", target_id=lost.pk).exists()


def test_expired_carriers_were_declassified_as_of_the_seeding_day_with_notices(demo, db):
    seed_day = timezone.localdate(Carrier.objects.aggregate(first=Min("registered_at"))["first"])
    # Declassified by the expiry job, that is: not early by an approved 提前解密 (密级变更).
    early = RequestItem.objects.filter(
        kind="reclassify", request__state="completed", request__change_type="declassify").values("carrier_id")
    assert early.exists()
    declassified = list(Carrier.objects.filter(secrecy_status="declassified").exclude(pk__in=early))
    assert declassified
    assert all(c.declassify_on and c.declassify_on < seed_day for c in declassified)
    # Nothing that had expired by then is still 涉密 (the job ran over all of them).
    assert not Carrier.objects.filter(secrecy_status="classified", declassify_on__lt=seed_day).exists()
    system = get_user_model().objects.get(username=SYSTEM_USERNAME)
    assert not system.is_active
    for carrier in declassified:
        assert CustodyEvent.objects.filter(carrier=carrier, action="status_changed", recorded_by=system).count() == 1
    # One digest per person told (issue 12), each linking to the run's carriers; custodians and
    # 定密责任人 of the declassified carriers and 保密办 are among them.
    digests = Notification.objects.filter(kind="declassified_digest")
    told = set(digests.values_list("recipient_id", flat=True))
    assert digests.count() == len(told)
    assert {c.custodian_id for c in declassified if c.custodian and c.custodian.is_active} <= told
    assert get_user_model().objects.get(username="baomi").pk in told
    assert {n.link for n in digests} == {f"/carriers/?declassified_on={seed_day.isoformat()}"}
    assert AuditEvent.objects.filter(action="carrier.declassify_expired").count() == len(declassified)
    # The demo's circulations and disposals use carriers still 涉密 on the seeding day.
    for circulation in Circulation.objects.select_related("carrier"):
        assert circulation.carrier.secrecy_status == "classified"


def test_a_second_run_changes_nothing(demo, db):
    before = _counts()
    assert before["circulations"] == 4 and before["declassified"] > 0
    second = _seed()
    assert _counts() == before
    assert "未作任何更改" in second


def test_a_run_on_a_later_day_declassifies_nothing_more(demo, db, monkeypatch):
    """Expiry is run as of the seeding day: a later run is not the nightly job and adds nothing."""
    before = _counts()
    real_localdate = timezone.localdate
    later = real_localdate() + dt.timedelta(days=400)

    def localdate(value=None, timezone=None):
        return later if value is None else real_localdate(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    output = _seed()
    assert _counts() == before
    assert "未作任何更改" in output
