"""Expiry jobs (SPEC §7; LAW24 art. 24): 自行解密 when the period has passed, and the reminder
before it that an extension must be decided in time. Imported by documents/jobs.py so the job
registry (NotificationsConfig.ready autodiscovers <app>/jobs.py only) sees them.

declassify_expired — see documents.services_declassify: carriers still 涉密 with
    declassify_on < today become 已解密, in set-based batches of SECRECY["DECLASSIFY_BATCH_SIZE"];
    then every custodian, 定密责任人 and 保密办 member gets ONE digest for the run (kind
    "declassified_digest", key "declassified_digest:<run date>:<last audit seq reported>"): counts,
    and a link to the carrier list filtered to the run (?declassified_on=<run date>), never a serial.

expiry_reminders — LAW24 art. 24(2): an extension "应当在原保密期限届满前" be decided, and DM14
    art. 30(2) wants the notice in the 知悉范围's hands before the term ends, so the 定密责任人 is
    told SECRECY["EXPIRY_REMINDER_DAYS"] (default 30) days ahead. Exactly one reminder per carrier
    per expiry date: key "expiry_reminder:<carrier id>:<declassify_on>" — if the period is changed
    (extended, shortened) the new date reminds again, a rerun never does. The scan asks "which
    classified carriers expire between today and today + N" over the declassify_on index, so a
    carrier whose window opened while the job was down is still reminded, once, on the next run
    (until its last secret day; after that declassify_expired takes over).
    Recipient: the carrier's 定密责任人 when it has an active one; otherwise (incoming documents
    are classified by the issuer and have none here, or the 定密责任人 has left) the active
    registrars who serve the carrier's department and are cleared for its level — they are the
    ones who must check whether the issuer extended the period and record it.
"""
import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from notifications.jobs import job
from notifications.services import Message, kick_delivery, notify_many
from personnel.models import ADMIN_ROLES, Person, Role

from .models import Carrier, SecrecyStatus
from .services_declassify import carriers_declassify_expired


def _date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def reminder_days():
    return int(settings.SECRECY.get("EXPIRY_REMINDER_DAYS", 30))


@job("declassify_expired", description="保密期限届满的载体自行解密，向保管人、定密责任人和保密办各发一份汇总通知",
     batch_size_setting="DECLASSIFY_BATCH_SIZE")
def declassify_expired(*, today, batch_size):
    return carriers_declassify_expired(today=today, batch_size=batch_size)


def _registrars():
    """(user id, departments served, clearance) of every active registrar: two queries per run."""
    people = (Person.objects.filter(user__is_active=True, user__groups__name=Role.REGISTRAR)
              .exclude(user__groups__name__in=ADMIN_ROLES).prefetch_related("served_departments").distinct())
    return [(p.user_id, frozenset(d.pk for d in p.served_departments.all()), p.clearance) for p in people]


def _expiring_batches(today, until, batch_size):
    """Keyset batches over the declassify_on index, soonest expiry first."""
    base = Carrier.objects.filter(
        secrecy_status=SecrecyStatus.CLASSIFIED, declassify_on__gte=today, declassify_on__lte=until)
    last = None
    while True:
        queryset = base
        if last is not None:
            queryset = queryset.filter(Q(declassify_on__gt=last[0]) | Q(declassify_on=last[0], id__gt=last[1]))
        batch = list(queryset.order_by("declassify_on", "id").values(
            "id", "serial", "level", "declassify_on", "department_id", "classifier_id", "classifier__is_active",
        )[:batch_size])
        if not batch:
            return
        yield batch
        if len(batch) < batch_size:
            return
        last = (batch[-1]["declassify_on"], batch[-1]["id"])


@job("expiry_reminders", description="保密期限届满前提醒定密责任人决定是否延期（默认提前30天，每个期限一次）")
def expiry_reminders(*, today, batch_size):
    days = reminder_days()
    registrars = None
    totals = {"expiring": 0, "notices": 0}
    for batch in _expiring_batches(today, today + dt.timedelta(days=days), batch_size):
        messages = []
        for c in batch:
            left = (c["declassify_on"] - today).days
            key = f"expiry_reminder:{c['id']}:{c['declassify_on'].isoformat()}"
            link = reverse("documents:carrier_detail", kwargs={"pk": c["id"]})
            when = "今天" if left == 0 else f"{left} 天后"
            if c["classifier_id"] and c["classifier__is_active"]:
                recipients = [c["classifier_id"]]
                body = (f"您作为定密责任人确定的统一编号 {c['serial']} 的载体，保密期限将于{_date(c['declassify_on'])}"
                        f"（{when}）届满，届满后自行解密。如需延长保密期限或变更密级，须在届满前作出决定并书面通知"
                        f"知悉范围内的机关、单位和人员（《保守国家秘密法》第二十四条）。")
            else:
                if registrars is None:
                    registrars = _registrars()
                recipients = [user_id for user_id, served, clearance in registrars
                              if c["department_id"] in served and clearance >= c["level"]]
                body = (f"统一编号 {c['serial']} 的载体保密期限将于{_date(c['declassify_on'])}（{when}）届满，"
                        f"届满后自行解密。如定密机关、单位已决定延期或变更，请在届满前办理变更登记。")
            for recipient in recipients:
                messages.append(Message(
                    recipient_id=recipient, kind="expiry_reminder", level=c["level"], link=link,
                    title=f"保密期限即将届满：{c['serial']}", body=body, dedupe_key=key,
                    target=("documents.carrier", c["id"]),
                ))
        with transaction.atomic():
            totals["notices"] += len(notify_many(messages, kick=False))
        totals["expiring"] += len(batch)
    if totals["notices"]:
        transaction.on_commit(kick_delivery)
    return totals
