"""verify_audit (issue 6 acceptance 1–2): an untouched chain verifies; edits, deletions, swaps and
re-hashings in the middle are each found and the first bad row is named; on PostgreSQL the
database refuses UPDATE and DELETE, and twenty concurrent writers make one unbroken chain."""
import datetime as dt
import random
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from audits.models import AuditEvent, AuditHead
from audits.chain import event_hash_of
from audits.services import record_event
from audits.verify import GENESIS_HASH, ROW_FIELDS, ChainChecker, verify_chain
from audits.tests.event_types import declared

from .tamper import tamper

CHAIN = 10_000
MUTATIONS = 1_000
# The random mutations walk the chain's first SPAN events: each check reads up to the mutated row,
# so every position of a 2,000-event chain is as good a target as one of 10,000 at a fifth of the
# hashing (the full length is walked by the tests on the whole chain).
SPAN = 2_000

# About 30 s on one worker: handed out before the short files (conftest.py, heavy).
pytestmark = pytest.mark.heavy(seconds=30)


def build_chain(n):
    """n chained events written in bulk (the hash rule of record_event, without its 3 queries each)."""
    start = timezone.now() - dt.timedelta(days=30)
    prev, events = GENESIS_HASH, []
    for seq in range(1, n + 1):
        event = AuditEvent(seq=seq, at=start + dt.timedelta(seconds=seq), actor=None, actor_username=f"user{seq % 7}",
                           action=("carrier.view", "carrier.register", "auth.login")[seq % 3],
                           target_repr=f"2026-{seq:06d}", level=seq % 4 + 1, result="ok",
                           source_ip="10.0.0.%d" % (seq % 250 + 1), detail={"n": seq, "note": "例行"},
                           prev_hash=prev)
        event.hash = event_hash_of(prev, {f: getattr(event, f) for f in
                                          ("seq", "at", "actor_id", "actor_username", "action", "target_type_id",
                                           "target_id", "target_repr", "level", "result", "source_ip", "detail")})
        prev = event.hash
        events.append(event)
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    AuditHead.objects.update_or_create(pk=1, defaults={"last_seq": n, "last_hash": prev})
    return prev


@pytest.fixture
def chain(db):
    head = build_chain(CHAIN)
    rows = list(AuditEvent.objects.order_by("seq").values(*ROW_FIELDS))
    return head, rows


def check(rows, head_seq, head_hash):
    checker = ChainChecker()
    checker.feed(rows)
    return checker.finish(head_seq=head_seq, head_hash=head_hash)


def test_an_untouched_chain_verifies_with_count_and_head(chain):
    head, rows = chain
    report = verify_chain(batch_size=3000)
    assert report.ok and report.count == CHAIN and report.head_hash == head
    out = []
    call_command("verify_audit", stdout=type("W", (), {"write": lambda self, s: out.append(s)})())
    assert f"共 {CHAIN} 条事件" in out[0] and head in out[0]
    # The check itself is on record, and the chain with it still verifies.
    assert AuditEvent.objects.filter(action="audit.verify").count() == 1
    assert verify_chain().ok


def _edit(rows, k, rng):
    row = dict(rows[k - 1])
    field = rng.choice(["action", "actor_username", "target_repr", "level", "detail", "at", "source_ip", "result"])
    row[field] = {"action": "carrier.destroy", "actor_username": "intruder", "target_repr": "2026-999999",
                  "level": (row["level"] % 4) + 1, "detail": {"n": -1}, "at": row["at"] + dt.timedelta(seconds=1),
                  "source_ip": "192.168.1.66", "result": "denied"}[field]
    return rows[:k - 1] + [row] + rows[k:], k


def _delete(rows, k, rng):
    return rows[:k - 1] + rows[k:], k


def _swap(rows, k, rng):
    # Exchange the places (sequence numbers) of two events, k < j.
    j = rng.randint(k + 1, len(rows))
    a, b = dict(rows[k - 1]), dict(rows[j - 1])
    a["seq"], b["seq"] = b["seq"], a["seq"]
    return rows[:k - 1] + [b] + rows[k:j - 1] + [a] + rows[j:], k


def _rehash(rows, k, rng):
    # Edit an event and recompute its own hash: the next event's link gives it away.
    row = dict(rows[k - 1])
    row["detail"] = {"n": row["detail"]["n"], "note": "改写"}
    row["hash"] = event_hash_of(row["prev_hash"], row)
    return rows[:k - 1] + [row] + rows[k:], k + 1


# The mutations work on the rows as read from the database, in memory (a thousand database
# rewrites would take minutes); the same ChainChecker is what verify_audit runs over the
# database, tested below with real UPDATE/DELETE statements. The rows' round trip through
# PostgreSQL is covered by the untouched-chain test, so this one runs once, on SQLite.
@pytest.mark.skipif(connection.vendor != "sqlite", reason="in-memory mutations: once is enough")
def test_a_thousand_random_edits_deletions_swaps_and_rehashes_are_each_found_at_the_first_bad_row(chain):
    _, rows = chain
    rows = rows[:SPAN]
    head = rows[-1]["hash"]
    rng = random.Random(20261130)
    mutations = [_edit, _delete, _swap, _rehash]
    seen = {m.__name__: 0 for m in mutations}
    for _ in range(MUTATIONS):
        mutate = mutations[_ % 4]
        k = rng.randint(2, SPAN - 2)
        mutated, first_bad = mutate(rows, k, rng)
        report = check(mutated, SPAN, head)
        assert not report.ok, (mutate.__name__, k)
        assert report.first_bad_seq == first_bad, (mutate.__name__, k, report.first_bad_seq, report.reason)
        seen[mutate.__name__] += 1
    assert sum(seen.values()) == MUTATIONS and min(seen.values()) == MUTATIONS // 4
    # The untouched rows still verify after all that (the mutations worked on copies).
    assert check(rows, SPAN, head).ok


def test_a_rewritten_tail_is_caught_by_the_head_and_by_the_published_head_hash(chain):
    head, rows = chain
    # Rewrite everything from 9,000 on, hashes and all: the links hold, the head does not.
    prev, tail = rows[8998]["hash"], []
    for row in rows[8999:]:
        row = dict(row, prev_hash=prev, target_repr="改写")
        row["hash"] = event_hash_of(prev, row)
        prev = row["hash"]
        tail.append(row)
    report = check(rows[:8999] + tail, CHAIN, head)
    assert not report.ok and report.first_bad_seq == CHAIN and "链头哈希" in report.reason
    # Even with the head rewound too, the head printed in yesterday's summary is gone.
    checker = ChainChecker()
    checker.feed(rows[:8999] + tail)
    report = checker.finish(head_seq=CHAIN, head_hash=prev, expect_head=head, expect_head_seen=False)
    assert not report.ok and "日报" in report.reason


def test_the_last_rows_cut_off_are_caught_by_the_head(chain):
    head, rows = chain
    report = check(rows[:-5], CHAIN, head)
    assert not report.ok and report.first_bad_seq == CHAIN - 4 and "截断" in report.reason


@pytest.mark.skipif(connection.vendor != "sqlite", reason="one database is enough for the same walk")
@pytest.mark.parametrize("statement,first_bad", [
    ("UPDATE audits_auditevent SET action = 'carrier.destroy' WHERE seq = 4321", 4321),
    ("UPDATE audits_auditevent SET detail = '{\"n\": 0}' WHERE seq = 77", 77),
    ("DELETE FROM audits_auditevent WHERE seq = 5000", 5000),
    ("UPDATE audits_auditevent SET seq = -1 WHERE seq = 100; UPDATE audits_auditevent SET seq = 100 WHERE seq = 101;"
     " UPDATE audits_auditevent SET seq = 101 WHERE seq = -1", 100),
])
def test_verify_audit_names_the_first_bad_row_of_a_tampered_database(chain, statement, first_bad):
    # The attacker drops the append-only triggers first (audits.tests.tamper), then edits.
    tamper(*(part for part in statement.split(";") if part.strip()))
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit")
    assert f"第 {first_bad} 号事件" in str(caught.value)
    event = AuditEvent.objects.filter(action="audit.verify").get()
    assert event.result == "failed" and event.detail["first_bad_seq"] == first_bad


def test_expect_head_finds_the_published_hash(chain):
    head, _ = chain
    call_command("verify_audit", expect_head=head, stdout=open("/dev/null", "w"))
    with pytest.raises(CommandError, match="日报"):
        call_command("verify_audit", expect_head="f" * 64, stdout=open("/dev/null", "w"))


# ----------------------------------------------------------------------------- PostgreSQL

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


@postgres_only
@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "UPDATE audits_auditevent SET action = 'x' WHERE seq = 1",
    "DELETE FROM audits_auditevent WHERE seq = 1",
])
def test_postgres_refuses_update_and_delete_on_the_audit_log(db, statement):
    record_event(actor=None, event=declared("test.event"), target_repr="t")
    with pytest.raises(DatabaseError, match="只能追加"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert AuditEvent.objects.filter(seq=1, action="test.event").exists()


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_writers_make_one_unbroken_chain():
    threads, per_thread = 20, 10
    barrier = threading.Barrier(threads, timeout=60)
    errors = []

    def worker(i):
        try:
            barrier.wait()
            for j in range(per_thread):
                with transaction.atomic():
                    record_event(actor=None, event=declared("test.concurrent"), target_repr=f"{i}-{j}")
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not errors
    report = verify_chain()
    assert report.ok and report.count == threads * per_thread
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, threads * per_thread + 1))
