"""Issue 11 §4: the audit chain is keyed and anchored outside the database.

What a user (the auditor, the operator) recognises: the old attack — edit an event in the
database and recompute every hash and the head with plain SHA-256 — is now caught by
verify_audit; a rewrite by someone who holds the key is caught by `verify_audit --heads`; chains
written before the upgrade still verify; each event says which algorithm it used; the key file is
created 0600 and never replaced; the database itself refuses UPDATE and DELETE on SQLite; and
the auditor prints the daily summary with its head to sign."""
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import shutil
import stat
import subprocess
import zoneinfo
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from pypdf import PdfReader

from audits import chain
from audits import services as audit_services
from audits.checks import audit_key_check
from audits.models import AuditEvent, AuditHead
from audits.chain import event_hash_of, payload_of
from audits.services import AuditKeyMismatch, record_event
from audits.verify import GENESIS_HASH, ROW_FIELDS, ChainChecker, verify_chain
from audits.tests.event_types import declared
from notifications.jobs import run_job

from .tamper import tamper

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def verify(*args):
    """verify_audit's output, or CommandError."""
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def rows():
    return list(AuditEvent.objects.order_by("seq").values(*ROW_FIELDS))


def write_rows(changed, *, head=True):
    """Store rewritten rows (hash, prev_hash, alg and content) past the triggers, and the head."""
    for row in changed:
        tamper("UPDATE audits_auditevent SET target_repr = %s, detail = %s, alg = %s, prev_hash = %s, hash = %s "
               "WHERE seq = %s",
               params=[row["target_repr"], json.dumps(row["detail"], ensure_ascii=False), row["alg"],
                       row["prev_hash"], row["hash"], row["seq"]])
    if head:
        last = AuditEvent.objects.order_by("-seq").values("seq", "hash", "alg").first()
        AuditHead.objects.filter(pk=1).update(last_seq=last["seq"], last_hash=last["hash"], last_alg=last["alg"])


def rewrite_from(all_rows, k, *, hasher, alg=None):
    """Edit event k and recompute every hash from it on with `hasher(prev_hash, row)`."""
    prev, out = all_rows[k - 2]["hash"] if k > 1 else GENESIS_HASH, []
    for row in all_rows[k - 1:]:
        row = dict(row, prev_hash=prev)
        if alg:
            row["alg"] = alg
        if row["seq"] == k:
            row["target_repr"] = "2026-999999（改写）"
        row["hash"] = hasher(prev, row)
        prev = row["hash"]
        out.append(row)
    return out


def plain_sha256(prev, row):
    """The pre-issue-11 rule, which anyone can compute without the key."""
    body = json.dumps(payload_of(dict(row, alg=chain.LEGACY_ALG)), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((prev + body).encode("utf-8")).hexdigest()


@pytest.fixture
def keyed(db):
    for n in range(8):
        record_event(actor=None, event=declared("carrier.view"), target_repr=f"2026-{n:06d}", level=3, detail={"n": n})
    return rows()


# ------------------------------------------------------------------------------ the algorithm


def test_each_event_records_its_algorithm_and_sm3_is_used_where_openssl_has_it(db, settings):
    event = record_event(actor=None, event=declared("test.event"), target_repr="t")
    assert "sm3" in hashlib.algorithms_available, "this machine's OpenSSL offers SM3"
    assert event.alg == "hmac-sm3" and AuditEvent.objects.get(seq=event.seq).alg == "hmac-sm3"
    # The stored hash is HMAC-SM3 with the key from the key file, over prev_hash + payload.
    key = bytes.fromhex(open(settings.SECRECY_AUDIT_KEY_FILE).read().strip())
    body = json.dumps(payload_of(AuditEvent.objects.values(*ROW_FIELDS).get(seq=event.seq)), sort_keys=True,
                      ensure_ascii=False, default=str)
    expected = hmac.new(key, (event.prev_hash + body).encode(), lambda: hashlib.new("sm3")).hexdigest()
    assert event.hash == expected
    # Without the key the same content gives another hash: the stored one cannot be forged.
    assert event_hash_of(event.prev_hash, AuditEvent.objects.values(*ROW_FIELDS).get(seq=event.seq),
                         key=b"x" * 32) != event.hash


def test_without_sm3_the_chain_uses_hmac_sha256_and_verifies(db):
    with mock.patch.object(chain, "sm3_available", lambda: False):
        event = record_event(actor=None, event=declared("test.event"), target_repr="t")
        assert event.alg == "hmac-sha256"
        report = verify_chain()
    assert report.ok and report.alg == "hmac-sha256"


# ----------------------------------------------------------------------- the old attack is caught


@pytest.mark.parametrize("relabel", [False, True], ids=["kept-label", "relabelled-sha256"])
def test_an_event_edited_with_every_hash_and_the_head_recomputed_in_plain_sha256_is_caught(keyed, relabel):
    assert "审计日志完整" in verify()
    # The old attack: edit #5, recompute #5..#9 (the verify event included) and the head.
    all_rows = rows()
    write_rows(rewrite_from(all_rows, 5, hasher=plain_sha256, alg=chain.LEGACY_ALG if relabel else None))
    with pytest.raises(CommandError) as caught:
        verify()
    message = str(caught.value)
    assert "第 5 号事件" in message
    assert ("降级" in message) if relabel else ("事件内容与其哈希不符" in message)


def test_an_attacker_holding_the_key_is_caught_by_the_heads_file(db, unit, settings):
    def at(moment, **kwargs):
        moment = moment.astimezone(dt.timezone.utc)
        with mock.patch.object(audit_services, "timezone", SimpleNamespace(now=lambda: moment)):
            return record_event(**kwargs)

    for hour in (9, 10, 11):
        at(dt.datetime(2031, 3, 10, hour, tzinfo=SHANGHAI), actor=unit.lisi, event=declared("carrier.view"), level=3)
    last_of_day = AuditEvent.objects.filter(action="carrier.view").order_by("-seq").first()
    run_job("audit_daily_summary", today=dt.date(2031, 3, 11))
    lines = open(settings.SECRECY_AUDIT_HEADS_FILE).read().splitlines()
    assert lines == [f"2031-03-10\t{last_of_day.seq}\t{last_of_day.hash}\thmac-sm3"]
    # A second run writes no second summary and no second line.
    run_job("audit_daily_summary", today=dt.date(2031, 3, 11))
    assert len(open(settings.SECRECY_AUDIT_HEADS_FILE).read().splitlines()) == 1
    heads = str(settings.SECRECY_AUDIT_HEADS_FILE)
    assert "与链头记录文件中的 1 个日终链头一致" in verify("--heads", heads)

    # Root on the host has the key: rewrite an event of that day, recompute every keyed hash and
    # the head. The walk alone cannot tell...
    first_of_day = AuditEvent.objects.filter(action="carrier.view").order_by("seq").first()
    write_rows(rewrite_from(rows(), first_of_day.seq, hasher=event_hash_of))
    assert "审计日志完整" in verify()
    # ...the head recorded outside the database can, and names the event.
    with pytest.raises(CommandError) as caught:
        verify("--heads", heads)
    assert f"第 {last_of_day.seq} 号事件" in str(caught.value) and "2031-03-10" in str(caught.value)
    assert AuditEvent.objects.filter(action="audit.verify").order_by("-seq").first().result == "failed"


def test_a_heads_file_naming_an_event_no_longer_in_the_log_is_caught(keyed, tmp_path):
    heads = tmp_path / "heads.log"
    chain.append_head(dt.date(2031, 3, 10), 4, keyed[3]["hash"], keyed[3]["alg"], path=heads)
    assert "1 个日终链头一致" in verify("--heads", str(heads))
    chain.append_head(dt.date(2031, 3, 11), 500, "a" * 64, "hmac-sm3", path=heads)
    with pytest.raises(CommandError, match="第 500 号事件.*截断或整体重写"):
        verify("--heads", str(heads))


@pytest.mark.parametrize("content,expected", [
    (None, "不存在"),
    ("2031-03-10 4 nothex sha256\n", "第 1 行格式错误"),
    ("# comment\n\n2031-13-40 4 " + "a" * 64 + " hmac-sm3\n", "第 3 行格式错误"),
])
def test_a_missing_or_malformed_heads_file_is_a_clear_error(keyed, tmp_path, content, expected):
    heads = tmp_path / "heads.log"
    if content is not None:
        heads.write_text(content)
    with pytest.raises(CommandError, match=expected):
        verify("--heads", str(heads))


# ------------------------------------------------------------------ legacy chains, the marker


def legacy_chain(n):
    """n events as written before issue 11 (unkeyed SHA-256, alg "sha256")."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    prev, events = GENESIS_HASH, []
    for seq in range(1, n + 1):
        event = AuditEvent(seq=seq, at=start + dt.timedelta(seconds=seq), actor_username="lisi",
                           action="carrier.view", target_repr=f"2026-{seq:06d}", level=2, result="ok",
                           detail={"n": seq}, prev_hash=prev)
        event.hash = plain_sha256(prev, {f: getattr(event, f) for f in ROW_FIELDS})
        prev = event.hash
        events.append(event)
    AuditEvent.objects.bulk_create(events)
    AuditHead.objects.update_or_create(pk=1, defaults={"last_seq": n, "last_hash": prev})


def test_legacy_events_before_the_marker_still_verify_and_keying_starts_at_the_marker(db):
    legacy_chain(5)
    assert AuditEvent.objects.filter(alg="sha256").count() == 5
    record_event(actor=None, event=declared("test.after_upgrade"), target_repr="t")
    marker, after = AuditEvent.objects.filter(seq__gt=5).order_by("seq")
    assert marker.seq == 6 and marker.action == "audit.chain_keyed" and marker.alg == "hmac-sm3"
    assert marker.detail["keyed_from_seq"] == 6 and marker.detail["alg"] == "hmac-sm3"
    assert "自第 6 号事件起" in marker.detail["note"]
    assert after.action == "test.after_upgrade" and after.alg == "hmac-sm3" and after.prev_hash == marker.hash
    # One marker only: later events follow without another.
    record_event(actor=None, event=declared("test.later"), target_repr="t")
    assert AuditEvent.objects.filter(action="audit.chain_keyed").count() == 1
    report = verify_chain()
    assert report.ok and report.count == 8 and report.keyed_from == 6
    assert "第 1–5 号为未加密钥的旧事件，自第 6 号起以 HMAC-SM3 加密钥" in report.message


def test_a_legacy_event_after_the_marker_is_refused(db):
    legacy_chain(3)
    record_event(actor=None, event=declared("test.after_upgrade"), target_repr="t")
    # Relabel only the event after the marker as legacy and give it a valid plain hash: the
    # downgrade is refused although its own hash and every link hold.
    [row] = [r for r in rows() if r["seq"] == 5]
    write_rows(rewrite_from(rows(), 5, hasher=plain_sha256, alg=chain.LEGACY_ALG))
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 5 and "降级" in report.reason
    assert row["alg"] == "hmac-sm3"


def test_keyed_events_after_legacy_ones_need_the_marker(db):
    legacy_chain(3)
    record_event(actor=None, event=declared("test.after_upgrade"), target_repr="t")
    all_rows = rows()
    # Drop the marker (#4) from what is walked and re-link #5 to #3 with the key: refused.
    forged = dict(all_rows[4], seq=4, prev_hash=all_rows[2]["hash"])
    forged["hash"] = event_hash_of(forged["prev_hash"], forged)
    checker = ChainChecker()
    checker.feed(all_rows[:3] + [forged])
    report = checker.finish(head_seq=4, head_hash=forged["hash"])
    assert not report.ok and report.first_bad_seq == 4 and "加密钥标记" in report.reason


# ------------------------------------------------------------------------------------ the key


def test_audit_key_command_creates_the_key_0600_once_and_never_replaces_it(settings, tmp_path):
    settings.SECRECY_AUDIT_KEY_FILE = path = tmp_path / "sub" / "audit.key"
    old_umask = os.umask(0o022)  # a permissive umask must not widen the key file
    try:
        out = io.StringIO()
        call_command("audit_key", "--create-if-missing", stdout=out)
    finally:
        os.umask(old_umask)
    assert "已生成审计密钥文件" in out.getvalue()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text()
    assert len(bytes.fromhex(key.strip())) == 32
    call_command("audit_key", "--create-if-missing", stdout=io.StringIO())
    assert path.read_text() == key
    assert "可用" in call_command_out("audit_key")


def call_command_out(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_make_creates_the_key_0600_on_the_setup_path(tmp_path):
    """`make audit-key` is what `make setup` (hence `make run` and `make test`) runs before
    migrating. -o keeps make from reinstalling the virtualenv's packages."""
    key = tmp_path / "keys" / "audit.key"
    env = {**os.environ, "SECRECY_VAR_DIR": str(tmp_path / "var"), "SECRECY_AUDIT_KEY_FILE": str(key)}
    command = ["make", "-s", "-o", ".venv/.requirements.stamp", "audit-key"]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(bytes.fromhex(key.read_text().strip())) == 32
    first = key.read_text()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    assert key.read_text() == first
    dry_run = subprocess.run(["make", "-n", "-o", ".venv/.requirements.stamp", "setup"], cwd=ROOT, env=env,
                             check=True, capture_output=True, text=True).stdout
    assert dry_run.index("audit_key --create-if-missing") < dry_run.index("manage.py migrate")


def test_in_production_a_missing_key_stops_audited_writes_and_fails_the_system_check(db, settings, tmp_path):
    record_event(actor=None, event=declared("test.before"), target_repr="t")  # with the key
    settings.DEBUG = False
    settings.SECRECY_AUDIT_KEY_FILE = tmp_path / "absent.key"
    # No silent fallback to unkeyed hashing: the write fails and nothing is appended.
    with pytest.raises(ImproperlyConfigured, match="审计密钥文件 .* 不存在"):
        record_event(actor=None, event=declared("test.event"), target_repr="t")
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.before"]
    assert not settings.SECRECY_AUDIT_KEY_FILE.exists()
    [error] = audit_key_check(None)
    assert error.id == "audits.E001"
    # verify_audit says why it cannot verify, without a traceback.
    with pytest.raises(CommandError, match="无法校验审计日志：审计密钥文件"):
        verify()
    with pytest.raises(CommandError, match="不存在"):
        call_command("audit_key", stdout=io.StringIO())


def test_in_development_a_missing_key_is_created(db, settings, tmp_path):
    settings.DEBUG = True
    settings.SECRECY_AUDIT_KEY_FILE = path = tmp_path / "dev.key"
    event = record_event(actor=None, event=declared("test.event"), target_repr="t")
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600 and event.alg == "hmac-sm3"
    assert audit_key_check(None) == []


def test_verify_with_a_different_key_fails(keyed, settings, tmp_path):
    settings.SECRECY_AUDIT_KEY_FILE = other = tmp_path / "other.key"
    chain.create_key_file(other)
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 1 and "密钥" in report.reason


# --------------------------------------------------------------------- the database refuses


@pytest.mark.parametrize("statement", [
    "UPDATE audits_auditevent SET action = 'x' WHERE seq = 1",
    "DELETE FROM audits_auditevent WHERE seq = 1",
    "DELETE FROM audits_auditevent",
])
def test_the_database_refuses_update_and_delete_on_the_audit_log(db, statement):
    record_event(actor=None, event=declared("test.event"), target_repr="t")
    with pytest.raises(DatabaseError, match="只能追加"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert AuditEvent.objects.filter(seq=1, action="test.event").exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite triggers")
def test_the_sqlite_triggers_exist_in_the_migrated_database(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audits_auditevent'")
        names = {name for (name,) in cursor.fetchall()}
    assert names == {"audits_auditevent_no_update", "audits_auditevent_no_delete"}


# ------------------------------------------------------------------------- the printed summary


@contextmanager
def clock(moment):
    moment = moment.astimezone(dt.timezone.utc)
    with mock.patch.object(audit_services, "timezone", SimpleNamespace(now=lambda: moment)):
        yield


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_auditor_prints_the_daily_summary_with_its_head_and_signature_line(client, unit):
    day = dt.date.today() - dt.timedelta(days=2)
    with clock(dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI)):
        record_event(actor=unit.lisi, event=declared("carrier.view"), level=3)
    run_job("audit_daily_summary", today=day + dt.timedelta(days=1))
    recorded = AuditEvent.objects.get(action="audit.daily_summary")
    client.force_login(unit.auditor)
    page = client.get(reverse("audits:summary"), {"date": day.isoformat()}).content.decode()
    assert reverse("audits:summary_pdf") in page
    before = AuditEvent.objects.count()
    # A GET prints nothing and writes nothing.
    response = client.get(reverse("audits:summary_pdf"), {"date": day.isoformat()})
    assert response.status_code == 302 and AuditEvent.objects.count() == before
    response = client.post(reverse("audits:summary_pdf"), {"date": day.isoformat()})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(pdf_text(response.content).split())
    head_seq, head_hash = recorded.detail["head_seq"], recorded.detail["head_hash"]
    assert "审计日报" in text and f"第{head_seq}号事件" in text and head_hash in text and "HMAC-SM3" in text
    assert "审计员（签字）：" in text and "日期：" in text
    # Printing is on record.
    printed = AuditEvent.objects.get(action="audit.summary_print")
    assert printed.actor == unit.auditor and printed.detail["head_hash"] == head_hash
    assert printed.detail["date"] == day.isoformat()


def test_a_day_not_over_or_an_invalid_date_prints_nothing(client, unit):
    client.force_login(unit.auditor)
    for date in (dt.date.today().isoformat(), "2031-02-30", ""):
        response = client.post(reverse("audits:summary_pdf"), {"date": date}, follow=True)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
        assert "未打印日报" in response.content.decode() or "该日尚未结束" in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.summary_print").exists()


def test_only_the_auditor_prints_the_summary(client, unit):
    for user in (unit.secadmin, unit.sysadmin, unit.baomi):
        client.force_login(user)
        response = client.post(reverse("audits:summary_pdf"), {"date": "2031-03-10"})
        assert response.status_code == 404


# ------------------------------------------------------------------------------- the migration


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_keeps_every_existing_row_unkeyed_and_the_next_write_marks_the_keying():
    from django.db.migrations.executor import MigrationExecutor

    before = [("audits", "0003_inspections_incidents")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        Event, Head = old_apps.get_model("audits", "AuditEvent"), old_apps.get_model("audits", "AuditHead")
        assert "alg" not in {f.name for f in Event._meta.get_fields()}
        start, prev, events = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), GENESIS_HASH, []
        for seq in range(1, 51):
            event = Event(seq=seq, at=start + dt.timedelta(minutes=seq), actor_username="lisi", action="carrier.view",
                          target_repr=f"2026-{seq:06d}", level=2, result="ok", detail={"n": seq}, prev_hash=prev)
            event.hash = plain_sha256(prev, {f: getattr(event, f) for f in ROW_FIELDS if f != "alg"})
            prev = event.hash
            events.append(event)
        Event.objects.bulk_create(events)
        Head.objects.create(pk=1, last_seq=50, last_hash=prev)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert AuditEvent.objects.count() == 50
    assert set(AuditEvent.objects.values_list("alg", flat=True)) == {"sha256"}
    assert AuditHead.objects.get(pk=1).last_alg == "sha256"
    report = verify_chain()
    assert report.ok and report.count == 50 and report.keyed_from is None
    record_event(actor=None, event=declared("test.after_upgrade"), target_repr="t")
    assert AuditEvent.objects.get(seq=51).action == "audit.chain_keyed"
    report = verify_chain()
    assert report.ok and report.count == 52 and report.keyed_from == 51
    # The append-only triggers are in place after the upgrade.
    with pytest.raises(DatabaseError, match="只能追加"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE audits_auditevent SET action = 'x' WHERE seq = 1")


def test_a_process_with_another_key_writes_nothing_and_the_chain_stays_whole(keyed, settings, tmp_path, unit):
    """deploy/DRILL.md: a process given another key (a new worker host, a wrong restore) must not
    seal events with it — one such event would fail every later check made with the right key."""
    right = settings.SECRECY_AUDIT_KEY_FILE
    settings.SECRECY_AUDIT_KEY_FILE = other = tmp_path / "other.key"
    chain.create_key_file(other)
    before = AuditEvent.objects.count()
    with pytest.raises(AuditKeyMismatch, match="审计密钥与审计链不符"):
        record_event(actor=None, event=declared("carrier.view"), target_repr="2026-000099")
    # verify_audit with the wrong key reports the failure and records nothing either.
    with pytest.raises(CommandError, match="核验结果未写入审计日志"):
        call_command("verify_audit")
    assert AuditEvent.objects.count() == before
    settings.SECRECY_AUDIT_KEY_FILE = right
    record_event(actor=None, event=declared("carrier.view"), target_repr="2026-000100")
    assert verify_chain().ok and AuditEvent.objects.count() == before + 1
