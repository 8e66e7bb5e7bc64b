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
    told SECRECY["EXPIRY_REMINDER_DAYS"] (default 30) days ahead. One digest per recipient and
    expiry date, not one notice per carrier (issue 12: a mass expiry of 90,000 carriers must not
    bury one 定密责任人 under 90,000 notices): "N 件载体保密期限将于D届满", with a link to the carrier
    list filtered to those still 涉密 expiring on D (?expires_on=D&secrecy_status=classified) —
    never a serial; the list applies visibility when opened. Key "expiry_reminder:<D>:<N>": a
    rerun with the same carriers sends nothing; when the set for that day changes (a carrier
    registered, a period extended into or out of it) the recipient gets the new count once. The
    scan asks "which classified carriers expire between today and today + N" over the
    declassify_on index, grouped in SQL, so a window that opened while the job was down is still
    reminded, once, on the next run (until its last secret day; after that declassify_expired
    takes over).
    Recipient: the carrier's 定密责任人 when it has an active one; otherwise (incoming documents
    are classified by the issuer and have none here, or the 定密责任人 has left) the active
    registrars who serve the carrier's department and are cleared for its level — they are the
    ones who must check whether the issuer extended the period and record it.
"""
import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import reverse

from notifications.jobs import job
from notifications.services import Message, kick_delivery, notify_many
from notifications.targets import recipients_allowed
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


def _expiring(today, until):
    return Carrier.objects.filter(
        secrecy_status=SecrecyStatus.CLASSIFIED, declassify_on__gte=today, declassify_on__lte=until).order_by()


def _reminders(today, until):
    """{(recipient id, expiry date): {"classified": n, "served": n, "top": level}} for every
    classified carrier expiring in [today, until]: two grouped queries over the declassify_on
    range (plus the registrars, only when some carrier has no active 定密责任人), whatever the
    number of carriers."""
    wanted = {}

    def add(user_id, day, role, n, level):
        entry = wanted.setdefault((user_id, day), {"classified": 0, "served": 0, "top": 0})
        entry[role] += n
        entry["top"] = max(entry["top"], level)

    with_classifier = _expiring(today, until).filter(classifier__isnull=False, classifier__is_active=True)
    for row in with_classifier.values("classifier_id", "declassify_on").annotate(n=Count("id"), top=Max("level")):
        add(row["classifier_id"], row["declassify_on"], "classified", row["n"], row["top"])
    without = (_expiring(today, until).filter(Q(classifier__isnull=True) | Q(classifier__is_active=False))
               .values("department_id", "level", "declassify_on").annotate(n=Count("id")))
    registrars = None
    for row in without:
        if registrars is None:
            registrars = _registrars()
        for user_id, served, clearance in registrars:
            if row["department_id"] in served and clearance >= row["level"]:
                add(user_id, row["declassify_on"], "served", row["n"], row["level"])
    return wanted


def _reminder(user_id, day, counts, today):
    left = (day - today).days
    when = "今天" if left == 0 else f"{left} 天后"
    lines = []
    if counts["classified"]:
        lines.append(f"您作为定密责任人确定的 {counts['classified']} 件载体，保密期限将于{_date(day)}（{when}）届满，"
                     f"届满后自行解密。如需延长保密期限或变更密级，须在届满前作出决定并书面通知知悉范围内的机关、"
                     f"单位和人员（《保守国家秘密法》第二十四条）。")
    if counts["served"]:
        lines.append(f"您所服务部门的 {counts['served']} 件载体（无在职的本单位定密责任人）保密期限将于{_date(day)}"
                     f"（{when}）届满，届满后自行解密。如定密机关、单位已决定延期或变更，请在届满前办理变更登记。")
    lines.append("点击查看这些载体（列表只显示您有权查看的载体）。")
    total = counts["classified"] + counts["served"]
    return Message(
        recipient_id=user_id, kind="expiry_reminder", level=counts["top"],
        link=f"{reverse('documents:carrier_list')}?expires_on={day.isoformat()}&secrecy_status={SecrecyStatus.CLASSIFIED}",
        title=f"保密期限即将届满：{total} 件载体（{_date(day)}）", body="\n".join(lines),
        dedupe_key=f"expiry_reminder:{day.isoformat()}:{total}",
    )


@job("expiry_reminders", description="保密期限届满前提醒定密责任人决定是否延期（默认提前30天，每人每个届满日一份汇总）")
def expiry_reminders(*, today, batch_size):
    until = today + dt.timedelta(days=reminder_days())
    wanted = _reminders(today, until)
    # The three administrators are never told about carriers (SPEC §1).
    allowed = recipients_allowed("documents.carrier", {user_id for user_id, _ in wanted})
    messages = [_reminder(user_id, day, counts, today)
                for (user_id, day), counts in sorted(wanted.items(), key=lambda item: (item[0][1], item[0][0]))
                if user_id in allowed]
    totals = {"expiring": _expiring(today, until).count(), "notices": 0}
    for start in range(0, len(messages), batch_size):
        with transaction.atomic():
            totals["notices"] += len(notify_many(messages[start:start + batch_size], kick=False))
    if totals["notices"]:
        transaction.on_commit(kick_delivery)
    return totals
