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

Cost. Each batch is a fixed number of queries whatever its size: read and lock the batch, one
UPDATE, one bulk insert each of history rows, custody rows and audit events (plus the audit
head lock/update), and notify_many's bulk reads and inserts.
"""
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from audits.models import AuditEvent, AuditResult
from audits.services import append_events
from notifications.services import Message, kick_delivery, notify_many
from notifications.targets import target_of
from personnel.models import ADMIN_ROLES, Role

from . import policy
from .models import Carrier, CustodyAction, CustodyEvent, SecrecyStatus

SYSTEM_USERNAME = "system"
SYSTEM_DISPLAY_NAME = "系统（自动任务）"
CHANGE_REASON = "保密期限届满自行解密"
AUDIT_ACTION = "carrier.declassify_expired"
# 保密办's per-batch digest names at most this many carriers; the carrier list has them all.
DIGEST_LINES = 20


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


def _record_events_bulk(*, actor, action, targets, level_of, detail_of):
    """One audit event per target, appended to the hash chain in a few queries.

    audits.services.append_events is the chain's one writer (lock the head, seq + 1, keyed hash
    of the previous event); record_event costs three queries per event, which a job over
    thousands of carriers cannot pay per row, so the batch goes to it at once.
    """
    if not targets:
        return []
    content_type = ContentType.objects.get_for_model(targets[0])
    events = [
        AuditEvent(
            actor=actor, actor_username=actor.get_username(), action=action,
            target_type=content_type, target_id=target.pk, target_repr=str(target)[:300],
            level=level_of(target), result=AuditResult.OK, source_ip=None, detail=detail_of(target),
        )
        for target in targets
    ]
    return append_events(events)


def _secrecy_office_ids():
    """Active 保密办 staff (never the three admins, who see no carrier content)."""
    return list(
        get_user_model().objects.filter(is_active=True, groups__name=Role.SECRECY_OFFICE)
        .exclude(groups__name__in=ADMIN_ROLES).values_list("pk", flat=True).distinct()
    )


def _due(today):
    return Carrier.objects.filter(secrecy_status=SecrecyStatus.CLASSIFIED, declassify_on__lt=today)


@transaction.atomic
def carriers_declassify_batch(*, today, batch_size, after=None, actor=None, secrecy_office=None):
    """Declassify up to `batch_size` carriers whose period ended before `today`, oldest first,
    after the keyset position `after` = (declassify_on, id). Returns (carriers, notices).

    Idempotent: only carriers still 涉密 are read, under a row lock, and the UPDATE re-checks it,
    so a second run (or a concurrent one) finds nothing to do and notifies nobody.
    """
    queryset = _due(today)
    if after is not None:
        queryset = queryset.filter(Q(declassify_on__gt=after[0]) | Q(declassify_on=after[0], id__gt=after[1]))
    carriers = list(queryset.select_for_update().order_by("declassify_on", "id")[:batch_size])
    if not carriers:
        return [], []
    # Resolved only when there is something to record (a run with nothing due writes nothing).
    actor = actor or system_actor()
    if secrecy_office is None:
        secrecy_office = _secrecy_office_ids()
    ids = [c.pk for c in carriers]
    Carrier.objects.filter(pk__in=ids, secrecy_status=SecrecyStatus.CLASSIFIED).update(
        secrecy_status=SecrecyStatus.DECLASSIFIED)
    for carrier in carriers:
        carrier.secrecy_status = SecrecyStatus.DECLASSIFIED
    # The change history shows 涉密状态 涉密 → 已解密 with the reason, as any other change would.
    Carrier.history.bulk_history_create(
        carriers, update=True, default_user=actor, default_change_reason=CHANGE_REASON,
        default_date=timezone.now(),
    )
    CustodyEvent.objects.bulk_create([
        CustodyEvent(
            carrier=c, action=CustodyAction.STATUS_CHANGED, recorded_by=actor,
            note=f"保密期限于{_date(c.declassify_on)}届满，自行解密（《保守国家秘密法》第二十四条）",
        ) for c in carriers
    ])
    _record_events_bulk(
        actor=actor, action=AUDIT_ACTION, targets=carriers, level_of=lambda c: c.level,
        detail_of=lambda c: {"declassify_on": c.declassify_on.isoformat(), "mark": c.mark,
                             "run_date": today.isoformat()},
    )
    messages = []
    for c in carriers:
        # Title and body name the 统一编号 and the mark, never the carrier's title (the inbox and
        # the e-mail subject are not places for content; notifications.services.notify).
        key = f"declassified:{c.pk}:{c.declassify_on.isoformat()}"
        body = (f"统一编号 {c.serial} 的载体保密期限已于{_date(c.declassify_on)}届满，已依法自行解密，"
                f"标志改为“{c.mark}”。解密不等于公开：对外提供或公开前仍须经保密审查。")
        for recipient in {c.custodian_id, c.classifier_id} - {None}:
            messages.append(Message(
                recipient_id=recipient, kind="declassified", level=c.level, link=c.get_absolute_url(),
                title=f"载体已自行解密：{c.serial}", body=body, dedupe_key=key, target=target_of(c),
            ))
    if secrecy_office:
        # 保密办 gets one digest per batch, not one notice per carrier: a day on which a thousand
        # carriers expire gives it a handful of notices. The key names the batch's first carrier,
        # which is declassified exactly once, so a rerun cannot repeat the digest. Each reader's
        # digest names only the carriers that reader may see (SPEC §4; issue 11 §7) and counts the
        # others: one visibility query per 保密办 member and batch.
        link = f"{reverse('documents:carrier_list')}?secrecy_status={SecrecyStatus.DECLASSIFIED}"
        users = get_user_model().objects.filter(pk__in=secrecy_office, is_active=True)
        ids = [c.pk for c in carriers]
        for user in users:
            seen = set(policy.visible_carriers(user).filter(pk__in=ids).values_list("pk", flat=True))
            shown = [c for c in carriers if c.pk in seen]
            lines = [f"{c.serial}（{c.mark}，{_date(c.declassify_on)}届满）" for c in shown[:DIGEST_LINES]]
            more, hidden = len(shown) - len(lines), len(carriers) - len(shown)
            body = "\n".join(lines + ([f"……另有 {more} 件，见载体列表（涉密状态：已解密）。"] if more > 0 else [])
                              + ([f"另有 {hidden} 件不在您的知悉范围（无权查看详情）。"] if hidden else []))
            messages.append(Message(
                recipient_id=user.pk, kind="declassified_digest",
                level=max((c.level for c in shown), default=None),
                link=link, title=f"保密期限届满自行解密：{len(carriers)} 件载体", body=body,
                dedupe_key=f"declassified_digest:{carriers[0].pk}",
            ))
    notices = notify_many(messages, kick=False)
    return carriers, notices


def carriers_declassify_expired(*, today, batch_size, actor=None):
    """Declassify every carrier whose period ended before `today`: one transaction per batch.

    Selects by the state of the world on `today` (still 涉密, period over), so a run after ten
    days of downtime declassifies everything that expired meanwhile, once.
    """
    secrecy_office = None
    totals = {"declassified": 0, "notices": 0}
    after = None
    while True:
        carriers, notices = carriers_declassify_batch(
            today=today, batch_size=batch_size, after=after, actor=actor, secrecy_office=secrecy_office)
        totals["declassified"] += len(carriers)
        totals["notices"] += len(notices)
        if carriers and actor is None:
            # Later batches reuse the first batch's lookups: two queries per run, not per batch.
            actor, secrecy_office = system_actor(), _secrecy_office_ids()
        if len(carriers) < batch_size:
            break
        after = (carriers[-1].declassify_on, carriers[-1].pk)
    if totals["notices"]:
        transaction.on_commit(kick_delivery)
    return totals

