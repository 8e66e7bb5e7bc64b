"""The overdue_reminders job and the job framework (issue 4, acceptance 2 and 4): holders and the
serving registrars are reminded of overdue loans and carry-outs at most once per request per day,
a second run creates nothing, ten days of downtime are caught up in one run, and the scan costs a
fixed number of queries per batch however many requests are overdue."""
import io
import math
import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.kinds import lend as lending
from approvals.models import RequestKind
from conftest import make_user
from notifications import tasks
from notifications.jobs import UnknownJob, job, registered_jobs, run_job
from notifications.models import Notification, OutboxEmail
from personnel.models import Role

from .helpers import bulk_overdue, carry_out, days, give_addresses, lend_out


@pytest.fixture(autouse=True)
def _only_the_jobs_notices(monkeypatch):
    """The set-up approves loans and trips, which tells each requester so (approvals.notices, tested
    in approvals/tests/test_pending_work.py); these tests count what the reminder job sends."""
    monkeypatch.setattr("approvals.services.notify_decided", lambda request, **kwargs: None)


@pytest.fixture
def people(unit):
    give_addresses(unit)
    return unit


def notices(user, kind=None):
    rows = Notification.objects.filter(recipient=user).order_by("id")
    return list(rows.filter(kind=kind) if kind else rows)


def test_an_overdue_loan_reminds_the_borrower_and_the_serving_registrar(people, register_carrier):
    loan = lend_out(people, register_carrier, borrower=people.zhangsan, level=2, due=days(0))

    assert run_job("overdue_reminders", today=days(0)) == {"overdue": 0, "notices": 0, "digests": 0}, \
        "due today is not overdue yet"
    result = run_job("overdue_reminders", today=days(3))

    assert result == {"overdue": 1, "notices": 1, "digests": 1}
    [reminder] = notices(people.zhangsan)
    assert (reminder.kind, reminder.level, reminder.link) == ("loan_overdue", 2, loan.get_absolute_url())
    assert f"借阅申请第{loan.pk}号" in reminder.title and "已逾期 3 天" in reminder.body
    [digest] = notices(people.mishu)
    assert (digest.kind, digest.level, digest.link) == ("overdue_digest", 2, "/approvals/queue/")
    assert f"借阅申请第{loan.pk}号" in digest.body and "zhangsan" in digest.body
    # Nobody else: not the approver, not 保密办, not other readers.
    assert Notification.objects.count() == 2
    # Their e-mails are queued with the notices.
    assert sorted(OutboxEmail.objects.values_list("to_address", flat=True)) == [
        "mishu@unit.example", "zhangsan@unit.example"]


def test_an_overdue_carry_out_reminds_the_bearer(people, register_carrier):
    trip = carry_out(people, register_carrier, bearer=people.lisi, level=3, due=days(0))

    run_job("overdue_reminders", today=days(2))

    [reminder] = notices(people.lisi)
    assert reminder.kind == "carry_overdue" and f"外出携带申请第{trip.pk}号" in reminder.title
    assert "带回" in reminder.body and reminder.level == 3
    assert f"外出携带申请第{trip.pk}号" in notices(people.mishu)[0].body


def test_the_text_of_a_reminder_names_no_carrier(people, register_carrier):
    lend_out(people, register_carrier, borrower=people.lisi, level=3, due=days(0))
    run_job("overdue_reminders", today=days(1))
    texts = " ".join(n.title + n.body for n in Notification.objects.all())
    texts += " ".join(m.subject + m.body for m in OutboxEmail.objects.all())
    assert "关于加强保密管理工作的通知" not in texts  # the carrier's title (conftest)


def test_running_the_job_twice_creates_nothing_twice(people, register_carrier):
    lend_out(people, register_carrier, borrower=people.zhangsan, due=days(0))
    carry_out(people, register_carrier, bearer=people.lisi, due=days(0))

    first = run_job("overdue_reminders", today=days(2))
    counts = (Notification.objects.count(), OutboxEmail.objects.count())
    second = run_job("overdue_reminders", today=days(2))

    assert first == {"overdue": 2, "notices": 2, "digests": 1}
    assert second == {"overdue": 2, "notices": 0, "digests": 0}
    assert (Notification.objects.count(), OutboxEmail.objects.count()) == counts == (3, 3)


def test_the_next_day_reminds_again_once(people, register_carrier):
    lend_out(people, register_carrier, borrower=people.zhangsan, due=days(0))
    for day in (1, 1, 2, 2, 2):
        run_job("overdue_reminders", today=days(day))
    assert [re.search(r"已逾期 (\d+) 天", n.body).group(1) for n in notices(people.zhangsan)] == ["1", "2"]
    assert len(notices(people.mishu)) == 2


def test_ten_days_of_downtime_are_caught_up_in_one_run(people, register_carrier):
    early = lend_out(people, register_carrier, borrower=people.zhangsan, due=days(0))
    late = lend_out(people, register_carrier, borrower=people.lisi, due=days(5))
    returned = lend_out(people, register_carrier, borrower=people.lisi, due=days(0))
    run_job("overdue_reminders", today=days(1))
    assert len(notices(people.zhangsan)) == 1 and len(notices(people.lisi)) == 1

    # Beat and the workers are down for ten days; meanwhile one loan comes back.
    lending.loan_return(actor=people.mishu, request=returned, condition="intact")
    result = run_job("overdue_reminders", today=days(11))

    assert result == {"overdue": 2, "notices": 2, "digests": 1}, "one reminder per overdue request, not ten"
    assert "已逾期 11 天" in notices(people.zhangsan)[-1].body
    late_reminders = [n for n in notices(people.lisi) if f"第{late.pk}号" in n.title]
    assert len(late_reminders) == 1 and "已逾期 6 天" in late_reminders[0].body
    assert len([n for n in notices(people.lisi) if f"第{returned.pk}号" in n.title]) == 1, \
        "the loan returned during the downtime got only its reminder of day 1"
    digest = notices(people.mishu)[-1]
    assert f"第{early.pk}号" in digest.body and f"第{late.pk}号" in digest.body
    assert f"第{returned.pk}号" not in digest.body
    assert "2 项" in digest.title


def test_only_registrars_who_serve_the_department_and_are_cleared_get_the_digest(people, register_carrier):
    # A registrar of the 办公室 only, and one serving 业务一处 without clearance for 机密.
    office_only = make_user("office_reg", department=people.office, roles=[Role.REGISTRAR], person_class="core",
                            served=[people.office])
    low = make_user("low_reg", department=people.business, roles=[Role.REGISTRAR], person_class="general",
                    served=[people.business])
    lend_out(people, register_carrier, borrower=people.lisi, level=3, due=days(0))

    run_job("overdue_reminders", today=days(1))

    assert notices(people.mishu) and not notices(office_only) and not notices(low)


def test_the_registrars_digest_stays_short_with_many_overdue_requests(people):
    bulk_overdue(people, 45, borrowers=[people.lisi, people.zhangsan], due=days(-3))
    run_job("overdue_reminders", today=days(0), batch_size=10)
    [digest] = notices(people.mishu)
    assert "45 项" in digest.title
    assert len(digest.body.splitlines()) == 21 and "另有 25 项" in digest.body


# ------------------------------------------------------------------------------- query counts


def per_batch_queries(captured):
    """Queries of each batch: split at each read of the overdue requests (one per batch), up to
    where the registrars' digests are written (once per run, after the scan)."""
    sqls = [query["sql"] for query in captured]
    end = next((i for i, sql in enumerate(sqls) if "overdue_digest" in sql), len(sqls))
    while end > 0 and sqls[end - 1].startswith("SAVEPOINT"):
        end -= 1
    batches = []
    for sql in sqls[:end]:
        if sql.startswith("SELECT") and 'FROM "documents_approvalrequest"' in sql:
            batches.append(0)
        if batches:
            batches[-1] += 1
    return batches


@pytest.mark.parametrize("kind", [RequestKind.LEND, RequestKind.CARRY_OUT])
def test_the_scan_costs_a_fixed_number_of_queries_per_batch(people, kind):
    """Per batch: the requests, their carriers' departments, the keys already notified, the
    recipients' accounts, and the bulk inserts (which a backend may cut into a few statements by
    its parameter limit — SQLite at about a hundred rows); the registrars are read once per run."""
    batch_size = 100
    measured = {}
    overdue = 0
    for n in (10, 1000):
        bulk_overdue(people, n, borrowers=[people.lisi, people.zhangsan, people.lingdao], due=days(-2), kind=kind)
        overdue += n
        with CaptureQueriesContext(connection) as ctx:
            # A new day for each size, so that both runs create all their notices.
            result = run_job("overdue_reminders", today=days(n), batch_size=batch_size)
        assert result == {"overdue": overdue, "notices": overdue, "digests": 1}
        measured[n] = (len(ctx.captured_queries), per_batch_queries(ctx.captured_queries))

    (small_total, small_batches), (big_total, big_batches) = measured[10], measured[1000]
    assert len(big_batches) <= math.ceil(1010 / batch_size) + 2, "one read of requests per batch"
    assert max(small_batches) <= 10 and max(big_batches) <= 10, (small_batches, big_batches)
    assert max(big_batches) - max(small_batches) <= 2, "only the insert chunking may differ"
    assert big_total <= small_total + (len(big_batches) - len(small_batches)) * max(big_batches)
    assert big_total < 150, "never one query (or task) per request"


# ------------------------------------------------------------------------------ the framework


def test_run_job_command_runs_a_job_once_and_again_without_duplicates(people, register_carrier):
    lend_out(people, register_carrier, borrower=people.zhangsan, due=days(0))
    out = io.StringIO()
    call_command("run_job", "overdue_reminders", "--today", days(4).isoformat(), stdout=out)
    assert '"job": "overdue_reminders"' in out.getvalue() and '"notices": 1' in out.getvalue()
    call_command("run_job", "overdue_reminders", "--today", days(4).isoformat(), stdout=io.StringIO())
    assert Notification.objects.count() == 2


def test_run_job_command_lists_jobs_and_refuses_unknown_names(db):
    out = io.StringIO()
    call_command("run_job", "--list", stdout=out)
    assert "overdue_reminders" in out.getvalue() and "deliver_outbox" in out.getvalue()
    with pytest.raises(CommandError, match="没有名为"):
        call_command("run_job", "no_such_job", stdout=io.StringIO())
    with pytest.raises(UnknownJob):
        run_job("no_such_job")


def test_deliver_outbox_is_a_job_too(people, register_carrier):
    lend_out(people, register_carrier, borrower=people.zhangsan, due=days(0))
    run_job("overdue_reminders", today=days(1))
    assert mail.outbox == [], "the job queues; its kick runs after commit"
    assert run_job("deliver_outbox") == {"sent": 2, "failed": 0}
    assert run_job("deliver_outbox") == {"sent": 0, "failed": 0}
    assert len(mail.outbox) == 2


def test_the_beat_entries_name_registered_jobs_through_the_run_job_task(settings):
    names = {j.name for j in registered_jobs()}
    entries = settings.CELERY_BEAT_SCHEDULE.values()
    assert {"notifications.tasks.deliver_outbox", "notifications.tasks.run_job"} == {e["task"] for e in entries}
    for entry in entries:
        if entry["task"] == "notifications.tasks.run_job":
            assert entry["args"][0] in names
    # A fixed set: one entry per kind of periodic work (SPEC §7, §8, §10, §12), never one per object.
    assert len(settings.CELERY_BEAT_SCHEDULE) <= 16, "a handful of static entries"
    assert all(isinstance(entry["schedule"], (int, float)) or hasattr(entry["schedule"], "is_due")
               for entry in entries)


def test_the_celery_task_runs_a_registered_job(people, register_carrier):
    lend_out(people, register_carrier, borrower=people.zhangsan, due=days(0))
    tasks.run_job.delay("overdue_reminders", days(2).isoformat()).get()
    tasks.run_job.delay("overdue_reminders", days(2).isoformat()).get()
    assert len(notices(people.zhangsan)) == 1


def test_a_new_job_is_one_registered_function(db):
    calls = []

    @job("test_probe_job", description="测试")
    def probe(*, today, batch_size):
        calls.append((today, batch_size))
        return {"seen": 1}

    assert run_job("test_probe_job", today=days(0), batch_size=7) == {"seen": 1}
    assert calls == [(days(0), 7)]
    assert "test_probe_job" in {j.name for j in registered_jobs()}
