import hashlib
import json

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from .context import current_source_ip
from .models import AuditEvent, AuditHead, AuditResult


def _event_hash(prev_hash, payload):
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


# The fields the hash covers, in the names AuditEvent.objects.values() returns them.
HASHED_FIELDS = ("seq", "at", "actor_id", "actor_username", "action", "target_type_id", "target_id", "target_repr",
                 "level", "result", "source_ip", "detail")


def payload_of(row):
    """The hashed payload of one event given as a mapping of HASHED_FIELDS (a values() row);
    the writer and the verifier (audits.verify) build it with this one function."""
    payload = {name: row[name] for name in HASHED_FIELDS}
    payload["at"] = row["at"].isoformat()
    return payload


def event_hash_of(prev_hash, row):
    return _event_hash(prev_hash, payload_of(row))


def event_payload(event):
    """The fields the hash covers."""
    return payload_of({name: getattr(event, name) for name in HASHED_FIELDS})


@transaction.atomic
def record_event(*, actor, action, target=None, level=None, result=AuditResult.OK, detail=None,
                 source_ip=None, target_repr=None):
    """Append one event in the caller's transaction.

    Locking the head row orders concurrent writers, so sequence numbers are gapless and each
    event hashes the one before it.
    """
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditHead.objects.bulk_create([AuditHead(pk=1)], ignore_conflicts=True)
        head = AuditHead.objects.select_for_update().get(pk=1)
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        seq=head.last_seq + 1,
        at=timezone.now(),
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
        prev_hash=head.last_hash,
    )
    event.hash = _event_hash(event.prev_hash, event_payload(event))
    event.save(force_insert=True)
    head.last_seq = event.seq
    head.last_hash = event.hash
    head.save(update_fields=["last_seq", "last_hash"])
    return event


def events_for(target):
    """Events about one object, oldest first."""
    return AuditEvent.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=target.pk
    ).select_related("actor").order_by("seq")
