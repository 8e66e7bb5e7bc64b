"""Two 自行解密 runs at once on PostgreSQL (beat's run and an operator's `run_job`, issue 12): each
carrier is declassified once, recorded once, and reported once — whatever the interleaving of
their batches and reports. Each thread has its own connection and transactions."""
import datetime as dt

import pytest
from django.db import connection

from audits.models import AuditEvent
from documents.models import Carrier, CustodyEvent, SecrecyStatus
from documents.services import local_today
from documents.events import DECLASSIFY_EXPIRED, DECLASSIFY_NOTIFIED
from documents.tests.test_concurrency_pg import run_together
from documents.tests.test_jobs_declassify import assert_audit_chain_intact, bulk_due
from notifications.jobs import run_job
from notifications.models import Notification

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency tests need PostgreSQL"),
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_two_runs_at_once_declassify_record_and_report_each_carrier_once(unit):
    carriers = bulk_due(unit, 60, expired_on=local_today() - dt.timedelta(days=1))
    today = local_today()

    results, errors = run_together(lambda i: run_job("declassify_expired", today=today, batch_size=7), n=2)

    assert not errors, errors
    assert sum(r["declassified"] for r in results) == 60
    ids = [c.pk for c in carriers]
    assert Carrier.objects.filter(pk__in=ids, secrecy_status=SecrecyStatus.DECLASSIFIED).count() == 60
    assert CustodyEvent.objects.filter(carrier_id__in=ids).count() == 60
    assert Carrier.history.filter(id__in=ids, history_type="~").count() == 60
    assert AuditEvent.objects.filter(action=DECLASSIFY_EXPIRED.action).count() == 60
    # Reported once: the reports together cover the 60 carriers exactly (one report, or two that
    # split them when one run reported while the other was still declassifying).
    reports = list(AuditEvent.objects.filter(action=DECLASSIFY_NOTIFIED.action).values_list("detail", flat=True))
    assert sum(r["carriers"] for r in reports) == 60 and 1 <= len(reports) <= 2
    assert Notification.objects.filter(recipient=unit.lisi).count() == len(reports)
    assert_audit_chain_intact()
