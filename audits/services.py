from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from . import chain
from . import events as audit_events
from .chain import HASHED_FIELDS, event_hash, event_hash_of, event_payload
from .context import current_source_ip
from .models import AuditEvent, AuditHead, AuditResult


class AuditKeyMismatch(ImproperlyConfigured):
    """This process's audit key does not verify the chain's last event: another key wrote the
    chain. An event sealed with this key would break the chain for every later check with the
    right key (found in the restore drill, deploy/DRILL.md), so nothing is written."""


# The key this process has already checked against the chain (one check per process and key).
_checked_key = {"key": None}


def _check_key(head, alg, key):
    """Refuse to extend a keyed chain with a key that does not verify its last event."""
    if head.last_seq == 0 or head.last_alg != alg or _checked_key["key"] == key:
        return
    row = AuditEvent.objects.filter(seq=head.last_seq).values(*HASHED_FIELDS, "alg", "prev_hash", "hash").first()
    if row is not None and event_hash_of(row["prev_hash"], row, key) != row["hash"]:
        raise AuditKeyMismatch(
            f"审计密钥与审计链不符：本进程的审计密钥（{chain.key_path()}）不能验证第 {head.last_seq} 号事件，"
            "审计链是用另一把密钥写入的。为免破坏审计链，不写入任何审计事件，本次操作未执行。"
            "请恢复正确的密钥文件（见 deploy/RUNBOOK.md）。")
    _checked_key["key"] = key


def _locked_head():
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditHead.objects.bulk_create([AuditHead(pk=1)], ignore_conflicts=True)
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


def _seal(event, head, alg, key):
    """Place the event after the head and compute its hash."""
    event.seq = head.last_seq + 1
    event.prev_hash = head.last_hash
    event.alg = alg
    event.hash = event_hash(event.prev_hash, event_payload(event), key)
    head.last_seq, head.last_hash, head.last_alg = event.seq, event.hash, alg


def _keying_marker(head, alg, at):
    """The documented event that marks where keying starts on a chain with unkeyed events
    (issue 11 §4): verification accepts keyed events after unkeyed ones only behind it, and no
    unkeyed event after it. A chain keyed from event 1 needs none."""
    seq = head.last_seq + 1
    return AuditEvent(
        at=at, actor=None, actor_username="", action=audit_events.CHAIN_KEYED.action, target_repr="审计日志哈希链",
        result=AuditResult.OK, source_ip=None,
        detail={"keyed_from_seq": seq, "alg": alg, "legacy_events": head.last_seq,
                "note": f"自第 {seq} 号事件起审计链使用 {chain.ALG_LABELS[alg]} 加密钥计算；"
                        f"第 1–{head.last_seq} 号为未加密钥的 SHA-256 旧事件"},
    )


def append_events(events):
    """Append prepared, unsaved events (everything but at, seq, prev_hash, hash and alg) to the
    chain in the caller's transaction: lock the head, stamp the time, seal each after the one
    before, insert, move the head. The one writer of the chain — record_event and bulk writers
    (documents' declassify job) both come here, so the chain rule exists once.

    `at` is taken while the head is locked, so it grows with seq (selectors.head_at_end_of).
    The key is read before the lock: a missing key fails before anything is locked."""
    if not events:
        return []
    for event in events:
        _check_declared_code(event.action)
    key, alg = chain.audit_key(), chain.keyed_alg()
    head = _locked_head()
    _check_key(head, alg, key)
    now = timezone.now()
    for event in events:
        event.at = event.at or now
    rows = []
    if head.last_seq > 0 and head.last_alg == chain.LEGACY_ALG:
        rows.append(_keying_marker(head, alg, events[0].at))
    rows.extend(events)
    for event in rows:
        _seal(event, head, alg, key)
    if len(rows) == 1:
        rows[0].save(force_insert=True)
    else:
        AuditEvent.objects.bulk_create(rows)
    head.save(update_fields=["last_seq", "last_hash", "last_alg"])
    return events


def _check_declared(event):
    """Only a declared EventType reaches the log: a free string would make a new action no filter
    knows (audits.events). Checked before the transaction, so a refusal writes nothing."""
    if not audit_events.is_declared(event):
        raise audit_events.UndeclaredEvent(
            f"record_event needs a declared audits.events.EventType, not {event!r}: "
            "declare the action in the app's events.py and pass that object")


def _check_declared_code(action):
    """A bulk writer builds its rows itself: their action must still be a declared one."""
    if audit_events.event_type(action) is None:
        raise audit_events.UndeclaredEvent(f"audit action {action!r} is not declared (audits.events)")


def record_event(*, actor, event, target=None, level=None, result=AuditResult.OK, detail=None,
                 source_ip=None, target_repr=None):
    """Append one event of a declared type in the caller's transaction.

    Locking the head row orders concurrent writers, so sequence numbers are gapless and each
    event hashes the one before it.
    """
    _check_declared(event)
    return _record(actor=actor, action=event.action, target=target, level=level, result=result,
                   detail=detail, source_ip=source_ip, target_repr=target_repr)


@transaction.atomic
def _record(*, actor, action, target, level, result, detail, source_ip, target_repr):
    user = actor if getattr(actor, "is_authenticated", False) else None
    row = AuditEvent(
        actor=user,
        actor_username=(user.get_username() if user else (getattr(actor, "username", "") or "")),
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=target.pk if target is not None else None,
        target_repr=(target_repr if target_repr is not None else (str(target) if target is not None else ""))[:300],
        level=int(level) if level is not None else None,
        result=result,
        source_ip=source_ip or current_source_ip(),
        detail=detail or {},
    )
    append_events([row])
    return row


def events_for(target):
    """Events about one object, oldest first."""
    return AuditEvent.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=target.pk
    ).select_related("actor").order_by("seq")
