"""The guard of tests/service_writes.py (loaded for the whole suite from pytest.ini) must be able to
fail: a domain row written from a view is reported with its table and place, while the same write
from a service, from a request kind's handler or from test code passes."""
from pathlib import Path

from django.utils import timezone

from personnel.models import LoginThrottle

ROOT = Path(__file__).resolve().parent.parent
WRITE = "LoginThrottle.objects.create(ip_address='192.0.2.9', last_failure_at=now())"


def _write_as_if_from(relative_path):
    exec(compile(WRITE, str(ROOT / relative_path), "exec"), {"LoginThrottle": LoginThrottle, "now": timezone.now})


def test_a_write_from_a_view_is_reported(db, _writes_go_through_services):
    guard = _writes_go_through_services
    _write_as_if_from("personnel/views.py")
    found = list(guard.offences)
    # Taken back, so this test itself passes once it has seen the guard object.
    guard.offences.clear()
    assert len(found) == 1 and found[0].startswith("INSERT personnel_loginthrottle from personnel/views.py:1")


def test_writes_from_services_kinds_jobs_and_tests_pass(db, _writes_go_through_services):
    for place in ("personnel/services.py", "approvals/kinds/lend.py", "documents/jobs.py",
                  "oversight/services/incidents.py"):
        LoginThrottle.objects.filter(ip_address="192.0.2.9").delete()
        _write_as_if_from(place)
    LoginThrottle.objects.create(ip_address="192.0.2.10", last_failure_at=timezone.now())
    assert _writes_go_through_services.offences == []
