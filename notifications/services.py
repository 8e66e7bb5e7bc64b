"""Every write of the notifications app: queue notices and e-mails, mark read, deliver the outbox.

Callers notify inside their own business transaction: rows are written there and the delivery
task is only kicked after commit (transaction.on_commit), so a rolled-back action notifies nobody
and a broker outage loses nothing — the outbox rows stay and the next periodic run sends them.
"""
import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from audits.services import record_event
from secrecy.context_processors import SYSTEM_NAME
from secrecy.errors import NotVisible

from . import events, targets
from .models import Notification, OutboxEmail

logger = logging.getLogger(__name__)

EMAIL_SUBJECT = f"【{SYSTEM_NAME}】您有一条新的待办或提醒"
# Longest pause between two attempts at a failing e-mail.
MAX_BACKOFF_MINUTES = 6 * 60


@dataclass(frozen=True)
class Message:
    """One notice for one recipient, as jobs build them in bulk (see notify_many)."""

    recipient_id: int
    kind: str
    title: str
    body: str = ""
    link: str = ""
    level: int | None = None
    dedupe_key: str = ""
    # (model label, pk) of the one object the notice names, e.g. ("documents.carrier", 12); see
    # notifications.targets: only who may be told about it gets the notice, and only who may see
    # it when reading reads its text.
    target: tuple | None = None


def _check_link(link):
    # Links are paths inside the system; the intranet has no outside URLs (SPEC §12), and a
    # scheme-relative "//host" would leave it.
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError(f"notification links are paths inside the system, not {link!r}")
    return link


def _email_body(link):
    # The e-mail leaves the system: it crosses the ordinary mail server and lands in mail clients
    # and phones that are not approved for classified information. State secrets must not travel
    # over channels without protective measures (LAW24 art. 28, art. 29), so the mail says only
    # that something is waiting and where to log in — never a title, a level, a name or a date.
    # The page behind the link does its own access check after login.
    base = settings.SECRECY.get("BASE_URL", "").rstrip("/")
    url = f"{base}{link or reverse('notifications:inbox')}"
    return (
        f"您好：\n\n您在{SYSTEM_NAME}中有一条新的待办或提醒，请登录系统查看：\n{url}\n\n"
        "本邮件由系统自动发送，不含具体内容，请勿回复。\n"
    )


def kick_delivery():
    """Ask a worker to send the outbox now. Runs after commit; if the broker is down the rows
    stay unsent and the periodic deliver_outbox run (every minute) sends them."""
    from .tasks import deliver_outbox

    try:
        deliver_outbox.delay()
    except Exception:  # noqa: BLE001 — kombu/redis errors of any kind: the outbox keeps the rows
        logger.warning("outbox delivery could not be queued; the periodic run will send it", exc_info=True)


def _only_who_may_be_told(messages):
    """Drop the messages naming a target their recipient may not be told about (one question
    per target type, e.g. no carrier notice for the three administrators)."""
    by_label = {}
    for message in messages:
        if message.target:
            by_label.setdefault(message.target[0], set()).add(message.recipient_id)
    if not by_label:
        return messages
    allowed = {label: targets.recipients_allowed(label, ids) for label, ids in by_label.items()}
    return [m for m in messages if not m.target or m.recipient_id in allowed[m.target[0]]]


def notify_many(messages, *, email=True, kick=True):
    """Create the notices (and their e-mails) in the caller's transaction; returns the new ones.

    A fixed number of queries whatever the number of messages (jobs call it once per batch):
    one for the keys already there, one for the recipients' accounts, and the bulk inserts.
    A message whose (recipient, dedupe_key) exists already creates nothing, so a job that runs
    twice notifies once; ignore_conflicts covers two runs racing past the first check.
    Inactive accounts get nothing (they cannot log in); accounts without an address get the
    in-app notice only.
    """
    messages = _only_who_may_be_told(list(messages))
    if not messages:
        return []
    keys = {m.dedupe_key for m in messages if m.dedupe_key}
    seen = set(Notification.objects.filter(dedupe_key__in=keys).values_list("recipient_id", "dedupe_key")) \
        if keys else set()
    accounts = {
        pk: address for pk, address in get_user_model().objects.filter(
            pk__in={m.recipient_id for m in messages}, is_active=True).values_list("pk", "email")
    }
    now = timezone.now()
    content_types = {label: targets.content_type_for(label).pk for label in {m.target[0] for m in messages if m.target}}
    notices, mails = [], []
    for message in messages:
        if message.recipient_id not in accounts:
            continue
        if message.dedupe_key:
            if (message.recipient_id, message.dedupe_key) in seen:
                continue
            seen.add((message.recipient_id, message.dedupe_key))
        notices.append(Notification(
            recipient_id=message.recipient_id, kind=message.kind, title=message.title[:200], body=message.body,
            link=_check_link(message.link), level=message.level, created_at=now, dedupe_key=message.dedupe_key,
            target_type_id=content_types[message.target[0]] if message.target else None,
            target_id=message.target[1] if message.target else None,
        ))
        address = accounts[message.recipient_id]
        if email and address:
            mails.append(OutboxEmail(
                recipient_id=message.recipient_id, to_address=address, subject=EMAIL_SUBJECT,
                body=_email_body(message.link), created_at=now, next_attempt_at=now,
                dedupe_key=message.dedupe_key,
            ))
    Notification.objects.bulk_create(notices, ignore_conflicts=bool(keys))
    if mails:
        OutboxEmail.objects.bulk_create(mails, ignore_conflicts=bool(keys))
        if kick:
            transaction.on_commit(kick_delivery)
    return notices


def notify(recipients, *, kind, title, body="", link="", level=None, dedupe_key=None, email=True, target=None):
    """Notify users (or user ids) in the caller's transaction and queue their e-mail.

    Not an audit event of its own: the business action that notifies records its event.
    `title` and `body` show in the inbox, so they must not carry classified content either
    (a request's number and a date, not a carrier's title); the e-mail carries none of it.
    A notice naming a carrier passes it as `target` (the object or its (label, pk)).
    """
    if target is not None and not isinstance(target, tuple):
        target = targets.target_of(target)
    ids = []
    for recipient in recipients:
        pk = getattr(recipient, "pk", recipient)
        if pk is not None and pk not in ids:
            ids.append(pk)
    return notify_many(
        [Message(recipient_id=pk, kind=kind, title=title, body=body, link=link,
                 level=int(level) if level is not None else None, dedupe_key=dedupe_key or "", target=target)
         for pk in ids],
        email=email,
    )


@transaction.atomic
def notification_mark_read(*, actor, notification):
    """标为已读. Only the recipient; for anyone else the notification does not exist (404)."""
    if not getattr(actor, "is_authenticated", False):
        raise NotVisible()
    row = Notification.objects.select_for_update().filter(
        pk=getattr(notification, "pk", notification), recipient_id=actor.pk).first()
    if row is None:
        raise NotVisible()
    if row.read_at is None:
        row.read_at = timezone.now()
        row.save(update_fields=["read_at"])
        record_event(actor=actor, event=events.READ, target=row, level=row.level,
                     detail={"kind": row.kind})
    return row


@transaction.atomic
def notification_mark_all_read(*, actor):
    """全部标为已读: every unread notice of the actor; returns how many were marked."""
    if not getattr(actor, "is_authenticated", False):
        raise NotVisible()
    unread = Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True)
    # Up to the newest row seen here: a notice arriving meanwhile stays unread (and the event's
    # level covers exactly what was marked).
    seen = unread.aggregate(last=Max("id"), level=Max("level"))
    if seen["last"] is None:
        return 0
    highest = seen["level"]
    count = unread.filter(id__lte=seen["last"]).update(read_at=timezone.now())
    if count:
        record_event(actor=actor, event=events.READ_ALL, target=None, level=highest,
                     detail={"count": count})
    return count


# ------------------------------------------------------------------------------------- delivery


def _backoff(attempts):
    return dt.timedelta(minutes=min(2 ** attempts, MAX_BACKOFF_MINUTES))


def _send_batch(rows, now):
    """Send rows over one SMTP connection; set sent_at or record the failure on each row."""
    mail_connection = get_connection(fail_silently=False)
    try:
        mail_connection.open()
    except Exception as exc:  # noqa: BLE001 — the server is down: every row of the batch waits
        for row in rows:
            _failed(row, exc, now)
        return
    try:
        for row in rows:
            try:
                EmailMessage(row.subject, row.body, settings.DEFAULT_FROM_EMAIL, [row.to_address],
                             connection=mail_connection).send()
            except Exception as exc:  # noqa: BLE001 — one bad address must not stop the batch
                _failed(row, exc, now)
            else:
                row.attempts += 1
                row.sent_at = now
                row.last_error = ""
    finally:
        try:
            mail_connection.close()
        except Exception:  # noqa: BLE001
            logger.warning("closing the mail connection failed", exc_info=True)


def _failed(row, exc, now):
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    row.next_attempt_at = now + _backoff(row.attempts)
    logger.warning("e-mail %s failed (attempt %s): %s", row.pk, row.attempts, row.last_error)


def outbox_deliver(*, ids=None, batch_size=None):
    """Send the e-mails that are due, batch by batch; returns {"sent": n, "failed": m}.

    Each row is sent once even with several workers running this at the same time: a batch is
    taken under row locks that the others skip (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL)
    and sent_at is written before the locks are released. On SQLite, the settings open every
    transaction with BEGIN IMMEDIATE, which takes the database write lock, so a second worker
    waits and then finds the rows sent. (If the mail server accepted a message but the commit
    then failed, that message would go out again on the next run: at-least-once at the SMTP
    boundary, exactly once as far as the database can tell.)
    A failed row is retried later with a growing pause, up to OUTBOX_MAX_ATTEMPTS; the error
    stays in last_error.
    """
    batch_size = batch_size or settings.SECRECY["OUTBOX_BATCH_SIZE"]
    max_attempts = settings.SECRECY["OUTBOX_MAX_ATTEMPTS"]
    totals = {"sent": 0, "failed": 0}
    while True:
        with transaction.atomic():
            now = timezone.now()
            pending = OutboxEmail.objects.filter(sent_at__isnull=True, next_attempt_at__lte=now,
                                                 attempts__lt=max_attempts)
            if ids is not None:
                pending = pending.filter(pk__in=list(ids))
            if connection.features.has_select_for_update_skip_locked:
                pending = pending.select_for_update(skip_locked=True)
            rows = list(pending.order_by("next_attempt_at", "id")[:batch_size])
            if not rows:
                break
            _send_batch(rows, now)
            OutboxEmail.objects.bulk_update(rows, ["sent_at", "attempts", "last_error", "next_attempt_at"])
        sent = sum(1 for row in rows if row.sent_at is not None)
        totals["sent"] += sent
        totals["failed"] += len(rows) - sent
        if len(rows) < batch_size:
            break
    return totals
