"""自行解密: carriers whose 保密期限 has passed are declassified by the system (SPEC §7).

LAW24 art. 24(3): "国家秘密的保密期限已满的，自行解密" — no decision and no approval: the day after
the period ends the carrier is 已解密. DM14 art. 35: no written notice to the 知悉范围 is required
for self-expiry; we still tell the people who answer for the carrier (SPEC §7).

When the period has passed. A term counts from the 制发日 (REG24 art. 19(2)); `declassify_on`
is start + term (a 1-year term from 2025-11-01 gives 2026-11-01). By the usual rule for periods
the start day is not counted and the period runs to the end of its last day, so the last secret
day is `declassify_on` itself and the carrier is declassified from the next day on:
`declassify_on < today`. A 解密时间 date is treated the same way (secret through that day): one
day late is harmless, one day early would release a state secret. The day `declassify_on` is
also the last day on which an extension can still be decided (LAW24 art. 24(2): "届满前").
Periods given as a 解密条件 or 长期 have no date and are never declassified here.

Who records it. The custody log needs a `recorded_by`; a system job has no user, so it uses one
dedicated, inactive account (SYSTEM_USERNAME, unusable password, no roles, no 涉密人员 record):
it cannot log in, gets no notices, and its name "系统（自动任务）" shows in the custody log, the
change history and the audit log, so nobody mistakes the change for a person's act.

Cost (issue 12: 90,000 carriers due at once must take seconds, not minutes). A run has two parts.
1. Declassify, batch by batch, each batch one transaction: the due ids are read once (one range
   scan of the declassify_on index), then per batch a fixed number of statements whatever its
   size — lock and re-check the rows, one UPDATE, one INSERT … SELECT of the change-history rows,
   one bulk insert of custody rows, one bulk append of audit events (sealed one by one, since
   each event's hash covers the one before). The same records as one save() per carrier would
   write, without a Python object per history row. No notice is written here.
2. Tell people, once per run: each custodian, 定密责任人 and 保密办 member gets ONE digest for the
   run, however many carriers it covers — counts and a link to the carrier list filtered to the
   run (/carriers/?declassified_on=<run date>). The digest names no carrier: the list it links to
   applies the visibility rule when it is opened (SPEC §4: a notice names a carrier only to who may
   see it when reading), so nobody reads a serial they may not see, today or after a change of
   scope. See declassified_digests_send for how a run that failed halfway is still reported once.
"""
import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone

from audits.models import AuditEvent, AuditResult
from audits.services import append_events
from notifications.models import Notification
from notifications.services import Message, kick_delivery, notify_many
from notifications.targets import recipients_allowed
from personnel.models import ADMIN_ROLES, Role
from secrecy.levels import format_mark

from . import policy
from .events import DECLASSIFY_EXPIRED, DECLASSIFY_NOTIFIED
from .models import Carrier, CustodyAction, CustodyEvent, SecrecyStatus

SYSTEM_USERNAME = "system"
SYSTEM_DISPLAY_NAME = "系统（自动任务）"
CHANGE_REASON = "保密期限届满自行解密"
DIGEST_KIND = "declassified_digest"
# What the job wrote before issue 12: one notice per carrier and recipient (see _reported_through).
_PER_CARRIER_KIND = "declassified"
# What a batch reads of each carrier: the mark (audit detail) and str() (audit target_repr).
_BATCH_FIELDS = ("id", "serial", "title", "level", "period_kind", "period_value", "period_unit",
                 "declassify_date", "declassify_condition", "declassify_on")
# Columns of the history table that are simple_history's own, not copies of the carrier's.
_HISTORY_OWN = ("history_id", "history_date", "history_change_reason", "history_type", "history_user_id")


def system_actor():
    """The account system jobs record their changes under (see the module docstring)."""
    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False, "first_name": SYSTEM_DISPLAY_NAME},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def _record_events_bulk(*, actor, event, rows, content_type, today):
    """One audit event per declassified carrier, appended to the hash chain in a few queries.

    audits.services.append_events is the chain's one writer (lock the head, seq + 1, keyed hash
    of the previous event); record_event costs three queries per event, which a job over
    thousands of carriers cannot pay per row, so the batch goes to it at once. The events are
    what record_event would write for the carrier: its str() as target_repr, its level, the mark.
    """
    return append_events([
        AuditEvent(
            actor=actor, actor_username=actor.get_username(), action=event.action,
            target_type=content_type, target_id=row["id"], target_repr=f"{row['serial']} {row['title']}"[:300],
            level=row["level"], result=AuditResult.OK, source_ip=None,
            detail={"declassify_on": row["declassify_on"].isoformat(), "mark": _mark(row), "run_date": today.isoformat()},
        )
        for row in rows
    ])


def _mark(row):
    """Carrier.mark of a declassified carrier read as values()."""
    return format_mark(level=row["level"], kind=row["period_kind"], value=row["period_value"], unit=row["period_unit"],
                       date=row["declassify_date"], condition=row["declassify_condition"], declassified=True)


def _custody_insert(rows, *, actor, when):
    """The custody-log rows (one per carrier, 状态变更 by the system, the note naming the day the
    period ended) in one INSERT … SELECT: the note is picked per declassify_on by a CASE, so a
    batch spanning many expiry days is still one statement."""
    quote = connection.ops.quote_name
    columns = ["carrier_id", "action", "at", "from_user_id", "to_user_id", "from_status", "to_status",
               "recorded_by_id", "approval_ref", "receiver", "receipt_number", "note"]
    fixed = [CustodyAction.STATUS_CHANGED, connection.ops.adapt_datetimefield_value(when), actor.pk]
    # Each part holds ids and at most as many (day, note) pairs: three parameters per row at most.
    with connection.cursor() as cursor:
        for part in _chunks(rows, (_max_params() - len(fixed)) // 3):
            notes = {}
            for row in part:
                day = row["declassify_on"]
                notes[day] = f"保密期限于{_date(day)}届满，自行解密（《保守国家秘密法》第二十四条）"
            case = f"CASE {quote('declassify_on')} {' '.join(['WHEN %s THEN %s'] * len(notes))} END"
            params = list(fixed)
            for day, note in notes.items():
                params += [connection.ops.adapt_datefield_value(day), note]
            cursor.execute(
                f"INSERT INTO {quote(CustodyEvent._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
                f"SELECT {quote('id')}, %s, %s, NULL, NULL, '', '', %s, '', '', '', {case} "
                f"FROM {quote(Carrier._meta.db_table)} WHERE {quote('id')} IN ({', '.join(['%s'] * len(part))})",
                params + [row["id"] for row in part])


def _history_insert(ids, *, actor, when):
    """The change-history rows of `ids` as they are now (after the UPDATE), in one INSERT … SELECT.

    The rows Carrier.history.bulk_history_create would write — every tracked column copied,
    history_type "~" (changed), the system as history_user, the reason — copied by the database
    instead of through one Python object per row, which was most of a big run's cost. The column
    list comes from the history model, so a field added to Carrier (with its migration) is copied
    too.
    """
    history = Carrier.history.model
    quote = connection.ops.quote_name
    copied = [f.column for f in history._meta.concrete_fields if f.column not in _HISTORY_OWN]
    own = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    fixed = [connection.ops.adapt_datetimefield_value(when), CHANGE_REASON, "~", actor.pk]
    with connection.cursor() as cursor:
        for part in _chunks(ids, _max_params() - len(fixed)):
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(quote(c) for c in copied + own)}) "
                f"SELECT {', '.join(quote(c) for c in copied)}, %s, %s, %s, %s "
                f"FROM {quote(Carrier._meta.db_table)} WHERE {quote('id')} IN ({', '.join(['%s'] * len(part))})",
                fixed + part)


def _max_params():
    # SQLite builds may cap a statement's parameters at 999 (Django's own bulk inserts split by
    # the same figure); PostgreSQL allows 65,535.
    return connection.features.max_query_params or 65535


def _chunks(items, size):
    size = max(1, size)
    return [items[i:i + size] for i in range(0, len(items), size)]


def _secrecy_office_ids():
    """Active 保密办 staff (never the three admins, who see no carrier content)."""
    return list(
        get_user_model().objects.filter(is_active=True, groups__name=Role.SECRECY_OFFICE)
        .exclude(groups__name__in=ADMIN_ROLES).values_list("pk", flat=True).distinct()
    )


def _due(today):
    return Carrier.objects.filter(secrecy_status=SecrecyStatus.CLASSIFIED, declassify_on__lt=today)


def declassified_in_run(day):
    """The carriers the expiry job declassified in its run for `day`, as a subquery of ids.

    A run is named by the audit events it wrote (detail["run_date"], one per carrier, never
    edited): the one per-carrier record that says which run declassified it. So the digest's
    counts and the list its link opens (CarrierFilter.declassified_on) are the same set, and no
    new column (no migration) is needed.
    """
    return (AuditEvent.objects.filter(action=DECLASSIFY_EXPIRED.action, detail__run_date=day.isoformat())
            .values("target_id"))


@transaction.atomic
def carriers_declassify_batch(*, today, ids, actor):
    """Declassify those of `ids` whose period ended before `today` and that are still 涉密;
    returns them as values() rows of the fields the records need.

    Idempotent: the rows are re-read under a row lock and re-checked (still 涉密, period over), and
    the UPDATE checks again, so a second run — or a concurrent one, or a period extended since
    the ids were read — changes nothing.
    """
    rows = list(_due(today).filter(pk__in=list(ids)).select_for_update().order_by("declassify_on", "id")
                .values(*_BATCH_FIELDS))
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    Carrier.objects.filter(pk__in=ids, secrecy_status=SecrecyStatus.CLASSIFIED).update(
        secrecy_status=SecrecyStatus.DECLASSIFIED)
    now = timezone.now()
    # The change history shows 涉密状态 涉密 → 已解密 with the reason, as any other change would;
    # the custody log and the audit log record it too (the system as the one who recorded it).
    _history_insert(ids, actor=actor, when=now)
    _custody_insert(rows, actor=actor, when=now)
    _record_events_bulk(actor=actor, event=DECLASSIFY_EXPIRED, rows=rows, today=today,
                        content_type=ContentType.objects.get_for_model(Carrier))
    return rows


def _reported_through():
    """The audit sequence number up to which declassifications have been reported: one indexed
    lookup, there is one DECLASSIFY_NOTIFIED event per run.

    Before the first report on an installation upgraded from per-carrier notices, the answer is
    the last declassification those notices told about (they were written in the same transaction
    as its audit event, so everything up to it was told): found once, from the newest notice of
    the old kind "declassified". A new installation has none and starts from the beginning.
    """
    last = (AuditEvent.objects.filter(action=DECLASSIFY_NOTIFIED.action).order_by("-seq")
            .values_list("detail", flat=True)
            .first())
    if last is not None:
        return int(last["through_seq"])
    if not AuditEvent.objects.filter(action=DECLASSIFY_EXPIRED.action).exists():
        return 0
    told = (Notification.objects.filter(kind=_PER_CARRIER_KIND, target_id__isnull=False).order_by("-id")
            .values_list("target_id", flat=True).first())
    if told is None:
        return 0
    return (AuditEvent.objects.filter(action=DECLASSIFY_EXPIRED.action, target_id=told)
            .aggregate(seq=Max("seq"))["seq"] or 0)


def _digest_body(*, day, held, classified, total=None, hidden=0):
    lines = [f"{_date(day)}，保密期限届满的载体已依法自行解密（《保守国家秘密法》第二十四条）。"]
    mine = ([f"您保管的 {held} 件"] if held else []) + ([f"您作为定密责任人确定的 {classified} 件"] if classified else [])
    if mine:
        lines.append("其中" + "，".join(mine) + "。")
    if total is not None:
        lines.append(f"本单位本次共 {total} 件" + (f"，其中 {hidden} 件不在您的知悉范围（无权查看详情）。" if hidden else "。"))
    lines.append("点击查看本次自行解密的载体（列表只显示您有权查看的载体）。")
    lines.append("解密不等于公开：对外提供或公开前仍须经保密审查。")
    return "\n".join(lines)


def _digests_for_run(day, carriers, *, office, key):
    """One Message per recipient about `carriers` (a queryset), declassified in the run of `day`:
    one grouped query over the run, the recipients' accounts, and one visibility count per 保密办
    member — whatever the number of carriers.

    A custodian's or 定密责任人's count is of the carriers recorded against them (what the
    per-carrier notices told them before); 保密办's is the whole run's, those it may not see
    counted apart. Nobody's digest names a carrier."""
    held, classified, top = {}, {}, {}
    total = 0
    pairs = carriers.order_by().values("custodian_id", "classifier_id").annotate(n=Count("id"), top=Max("level"))
    for row in pairs:
        total += row["n"]
        if row["custodian_id"] is not None:
            held[row["custodian_id"]] = held.get(row["custodian_id"], 0) + row["n"]
        # A custodian who is also the 定密责任人 is counted once, as custodian.
        if row["classifier_id"] is not None and row["classifier_id"] != row["custodian_id"]:
            classified[row["classifier_id"]] = classified.get(row["classifier_id"], 0) + row["n"]
        for user_id in {row["custodian_id"], row["classifier_id"]} - {None}:
            top[user_id] = max(top.get(user_id, 0), row["top"])
    if not total:
        return []
    link = f"{reverse('documents:carrier_list')}?declassified_on={day.isoformat()}"
    # The three administrators are never told about carriers (SPEC §1), whatever they hold.
    people = recipients_allowed("documents.carrier", set(held) | set(classified) | set(office))
    messages = []
    for user in get_user_model().objects.filter(pk__in=people, is_active=True).order_by("pk"):
        count, level, extra = held.get(user.pk, 0) + classified.get(user.pk, 0), top.get(user.pk), {}
        if user.pk in office:
            # 保密办 answers for the whole unit's carriers: told how many, and how many of them it
            # may not see — counted, never named (issue 11 §7).
            seen = policy.visible_carriers(user, carriers).aggregate(n=Count("id"), top=Max("level"))
            level = max(filter(None, (level, seen["top"])), default=None)
            count, extra = total, {"total": total, "hidden": total - seen["n"]}
        messages.append(Message(
            recipient_id=user.pk, kind=DIGEST_KIND, level=level, link=link,
            title=f"保密期限届满自行解密：{count} 件载体（{_date(day)}）",
            body=_digest_body(day=day, held=held.get(user.pk, 0), classified=classified.get(user.pk, 0), **extra),
            dedupe_key=key,
        ))
    return messages


@transaction.atomic
def declassified_digests_send(*, actor=None):
    """Report every declassification not yet reported: one digest per recipient and run.

    What to report is read from the audit log, not carried over from the batches in memory:
    everything the job declassified after the last report (DECLASSIFY_NOTIFIED's through_seq). So a
    run that failed halfway — some batches committed, no report — is reported by the next run,
    once, together with what that run does itself; a rerun with nothing new reports nothing. Two
    runs at once queue on the system account's row lock and the second finds nothing left.
    Returns the notices created.
    """
    # Serialises reports (the account exists once anything was declassified; before that there is
    # nothing to report, and a run with nothing to do writes nothing, not even the account).
    get_user_model().objects.select_for_update().filter(username=SYSTEM_USERNAME).values_list("pk").first()
    events = AuditEvent.objects.filter(action=DECLASSIFY_EXPIRED.action, seq__gt=_reported_through())
    runs = list(events.order_by().values("detail__run_date").annotate(n=Count("id"), last=Max("seq")))
    if not runs:
        return []
    actor = actor or system_actor()
    through_seq = max(r["last"] for r in runs)
    office = set(_secrecy_office_ids())
    messages = []
    for run in sorted(runs, key=lambda r: str(r["detail__run_date"])):
        day = dt.date.fromisoformat(str(run["detail__run_date"]))
        reported = events.filter(detail__run_date=day.isoformat(), seq__lte=through_seq)
        messages += _digests_for_run(day, Carrier.objects.filter(pk__in=reported.values("target_id")),
                                     office=office, key=f"{DIGEST_KIND}:{day.isoformat()}:{through_seq}")
    notices = notify_many(messages, kick=False)
    append_events([AuditEvent(
        actor=actor, actor_username=actor.get_username(), action=DECLASSIFY_NOTIFIED.action, target_repr="自行解密通知",
        result=AuditResult.OK, source_ip=None,
        detail={"through_seq": through_seq, "run_dates": sorted(str(r["detail__run_date"]) for r in runs),
                "carriers": sum(r["n"] for r in runs), "notices": len(notices)},
    )])
    return notices


def carriers_declassify_expired(*, today, batch_size, actor=None):
    """Declassify every carrier whose period ended before `today` (one transaction per batch),
    then report the run: one digest per recipient.

    Selects by the state of the world on `today` (still 涉密, period over), so a run after ten
    days of downtime declassifies everything that expired meanwhile, once, and reports it once.
    A batch that fails rolls back alone (its carriers stay 涉密, nothing is recorded for them) and
    the run stops there; what the batches before it did is reported by the next run.
    """
    totals = {"declassified": 0, "notices": 0}
    # One read of the due ids (a range of the declassify_on index); each batch then locks its ids
    # by primary key. A keyset over (declassify_on, id), with only a one-column index to serve it,
    # rescanned the whole day's due set for every batch.
    due = list(_due(today).order_by("declassify_on", "id").values_list("id", flat=True))
    if due:
        actor = actor or system_actor()
    for start in range(0, len(due), batch_size):
        totals["declassified"] += len(carriers_declassify_batch(
            today=today, ids=due[start:start + batch_size], actor=actor))
    totals["notices"] = len(declassified_digests_send(actor=actor))
    if totals["notices"]:
        transaction.on_commit(kick_delivery)
    return totals
