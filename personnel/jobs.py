"""Periodic jobs of the personnel app (SPEC §7, §8), registered in the notifications job registry.

Each is a keyset scan over an indexed range of Person rows in batches, a fixed number of queries per
batch, and idempotent by its dedupe keys (unique per recipient):
- ``review_reminders``: a 定期复审 falls due (REG24 art. 50) — the person is told once per due date
  ("review_due:<person>:<due date>"); 保密办 gets a digest naming the people newly reminded.
- ``training_reminders``: from the check date (cfg, 1 November) on, everyone on a secret post short
  of the yearly hours (cfg, 4) is told once a year ("training_short:<year>") and 保密办 gets a
  digest of the newly reminded. A run on 5 November after a dead week still reminds, once.
- ``declassify_period``: 保密办 is reminded before a 脱密期 ends (the person can no longer log in),
  and when it has ended the person becomes 已脱密 (or 离职 when they left the unit).
Every job asks "what is due on `today`", never "since the last run", so it catches up.
"""
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from audits.services import record_event
from notifications.jobs import job, keyset_batches as _keyset
from notifications.services import Message, notify_many

from . import events
from .models import Leave, LeaveKind, LeaveState, Person, PersonClass, PersonStatus, Training
from .services_leave import _secrecy_office_users
from .services_records import add_years

NOTICE_KIND_REVIEW = "personnel.review_due"
NOTICE_KIND_TRAINING = "personnel.training_short"
NOTICE_KIND_DECLASSIFY = "personnel.declassify_period"
DIGEST_LINES = 20


def _day(day):
    return f"{day.year}年{day.month}月{day.day}日"




def _digest(recipients, *, kind, title, lines, dedupe_key, link):
    shown = lines[:DIGEST_LINES]
    more = len(lines) - len(shown)
    body = "\n".join(shown) + (f"\n……另有 {more} 人" if more > 0 else "")
    return notify_many([Message(recipient_id=u.pk, kind=kind, title=title, body=body, link=link,
                                dedupe_key=dedupe_key) for u in recipients])


def _hours(value):
    """4.0 → "4", 1.5 → "1.5" (Decimal.normalize alone would print 40 as 4E+1)."""
    return format(Decimal(value).normalize(), "f")


def _on_post():
    return Person.objects.filter(status=PersonStatus.ON_POST, user__is_active=True).exclude(person_class="")


@job("review_reminders", description="涉密人员定期复审到期提醒（本人及保密办）")
def review_reminders(*, today, batch_size):
    remind_days = settings.SECRECY["REVIEW_REMINDER_DAYS"]
    years = settings.SECRECY["REVIEW_INTERVAL_YEARS"]
    totals = {"due": 0, "notices": 0, "digests": 0}
    new_lines = []
    for person_class in (PersonClass.CORE, PersonClass.IMPORTANT, PersonClass.GENERAL):
        interval = int(years[str(person_class)])
        # due = review_date + interval ≤ today + remind_days  ⇔  review_date ≤ (today + remind_days) − interval
        threshold = add_years(today + dt.timedelta(days=remind_days), -interval)
        queryset = _on_post().filter(person_class=person_class, review_date__isnull=False,
                                     review_date__lte=threshold)
        for batch in _keyset(queryset, "review_date", batch_size, ("user_id", "full_name")):
            messages = []
            for row in batch:
                due = add_years(row["review_date"], interval)
                word = "已逾期" if due < today else "即将到期"
                messages.append(Message(
                    recipient_id=row["user_id"], kind=NOTICE_KIND_REVIEW,
                    title=f"保密复审{word}：应于{_day(due)}前完成",
                    body=f"您上次保密审查为{_day(row['review_date'])}，按规定应定期复审，请与保密办联系。",
                    link=reverse("personnel:me"), dedupe_key=f"review_due:{row['id']}:{due.isoformat()}"))
            with transaction.atomic():
                created = notify_many(messages)
            reminded = {n.recipient_id for n in created}
            for row in batch:
                if row["user_id"] in reminded:
                    due = add_years(row["review_date"], interval)
                    new_lines.append(f"{row['full_name']}：复审应于{_day(due)}前完成")
            totals["due"] += len(batch)
            totals["notices"] += len(created)
    if new_lines:
        with transaction.atomic():
            totals["digests"] = len(_digest(
                _secrecy_office_users(), kind=NOTICE_KIND_REVIEW, title=f"涉密人员复审提醒：{len(new_lines)} 人",
                lines=new_lines, dedupe_key=f"review_digest:{today.isoformat()}", link=reverse("personnel:list")))
    return totals


def training_check_day(year):
    month, day = (int(x) for x in settings.SECRECY["TRAINING_CHECK_DATE"].split("-"))
    return dt.date(year, month, day)


def hours_this_year(year):
    """Subquery: a person's training hours in `year` (0 when none)."""
    return Coalesce(
        Subquery(Training.objects.filter(person=OuterRef("pk"), trained_on__year=year).order_by()
                 .values("person").annotate(total=Sum("hours")).values("total")[:1],
                 output_field=DecimalField(max_digits=6, decimal_places=1)),
        Value(Decimal("0")), output_field=DecimalField(max_digits=6, decimal_places=1))


@job("training_reminders", description="保密教育培训学时不足提醒（每年一次，本人及保密办）")
def training_reminders(*, today, batch_size):
    if today < training_check_day(today.year):
        return {"short": 0, "notices": 0, "digests": 0, "before_check_day": True}
    required = Decimal(str(settings.SECRECY["TRAINING_HOURS_PER_YEAR"]))
    year = today.year
    queryset = _on_post().annotate(hours=hours_this_year(year)).filter(hours__lt=required)
    totals = {"short": 0, "notices": 0, "digests": 0}
    new_lines = []
    for batch in _keyset(queryset, "id", batch_size, ("user_id", "full_name", "hours")):
        messages = [Message(
            recipient_id=row["user_id"], kind=NOTICE_KIND_TRAINING,
            title=f"{year}年度保密教育培训学时不足",
            body=f"您本年度已完成 {_hours(row['hours'])} 学时，应不少于 {_hours(required)} 学时，请在年底前参加保密教育培训。",
            link=reverse("personnel:me"), dedupe_key=f"training_short:{year}") for row in batch]
        with transaction.atomic():
            created = notify_many(messages)
        reminded = {n.recipient_id for n in created}
        new_lines += [f"{row['full_name']}：{_hours(row['hours'])} 学时" for row in batch if row["user_id"] in reminded]
        totals["short"] += len(batch)
        totals["notices"] += len(created)
    if new_lines:
        with transaction.atomic():
            totals["digests"] = len(_digest(
                _secrecy_office_users(), kind=NOTICE_KIND_TRAINING,
                title=f"{year}年度保密教育培训学时不足：{len(new_lines)} 人（应不少于 {_hours(required)} 学时）",
                lines=new_lines, dedupe_key=f"training_digest:{today.isoformat()}", link=reverse("personnel:list")))
    return totals


@job("declassify_period", description="脱密期届满前提醒保密办；届满后改为已脱密")
def declassify_period(*, today, batch_size):
    remind_days = settings.SECRECY["DECLASSIFY_END_REMINDER_DAYS"]
    office = _secrecy_office_users()
    totals = {"reminded": 0, "ended": 0}
    in_period = Person.objects.filter(status=PersonStatus.DECLASSIFYING, declassify_ends_on__isnull=False)
    soon = in_period.filter(declassify_ends_on__gt=today, declassify_ends_on__lte=today + dt.timedelta(days=remind_days))
    for batch in _keyset(soon, "declassify_ends_on", batch_size, ("full_name",)):
        messages = [Message(
            recipient_id=u.pk, kind=NOTICE_KIND_DECLASSIFY,
            title=f"{row['full_name']}的脱密期将于{_day(row['declassify_ends_on'])}届满",
            link=reverse("personnel:detail", args=[row["id"]]),
            dedupe_key=f"declassify_end:{row['id']}:{row['declassify_ends_on'].isoformat()}")
            for row in batch for u in office]
        with transaction.atomic():
            totals["reminded"] += len(notify_many(messages))
    ended = in_period.filter(declassify_ends_on__lte=today)
    for batch in _keyset(ended, "declassify_ends_on", batch_size, ("full_name",)):
        ids = [row["id"] for row in batch]
        with transaction.atomic():
            # Re-read under lock: a concurrent run has already moved them (idempotent).
            locked = list(Person.objects.select_for_update().filter(pk__in=ids, status=PersonStatus.DECLASSIFYING))
            if not locked:
                continue
            left_unit = set(Leave.objects.filter(person__in=locked, state=LeaveState.APPROVED,
                                                 kind=LeaveKind.LEAVE_UNIT).values_list("person_id", flat=True))
            for person in locked:
                person.status = PersonStatus.LEFT if person.pk in left_unit else PersonStatus.CLEARED_OUT
            Person.objects.bulk_update(locked, ["status"])
            notify_many([Message(
                recipient_id=u.pk, kind=NOTICE_KIND_DECLASSIFY,
                title=f"{p.full_name}的脱密期已届满（{_day(p.declassify_ends_on)}），状态改为{p.get_status_display()}",
                link=reverse("personnel:detail", args=[p.pk]), dedupe_key=f"declassify_done:{p.pk}")
                for p in locked for u in office])
            # One event for the batch (a fixed number of queries), naming every person moved.
            record_event(actor=None, event=events.DECLASSIFY_PERIOD_END, target_repr="脱密期届满",
                         detail={"people": [[p.pk, p.full_name, p.status] for p in locked],
                                 "today": today.isoformat()})
            totals["ended"] += len(locked)
    return totals


NOTICE_KIND_PASSWORD = "account.password_rotation"


@job("password_rotation", description="密码超过规定天数未修改的提醒（SPEC §12）")
def password_rotation(*, today, batch_size):
    """Accounts whose password was last set more than PASSWORD_ROTATION_DAYS ago get one reminder
    per password (dedupe on the date it was set); accounts with no recorded change count from the
    day they joined."""
    from django.contrib.auth import get_user_model
    from django.db.models import F
    from django.db.models.functions import Coalesce, TruncDate

    days = settings.SECRECY["PASSWORD_ROTATION_DAYS"]
    limit = today - dt.timedelta(days=days)
    users = (get_user_model().objects.filter(is_active=True)
             .annotate(changed=TruncDate(Coalesce("password_state__changed_at", F("date_joined"))))
             .filter(changed__lt=limit))
    totals = {"due": 0, "notices": 0}
    for batch in _keyset(users, "changed", batch_size, ()):
        messages = [Message(recipient_id=row["id"], kind=NOTICE_KIND_PASSWORD,
                            title=f"您的密码已超过 {days} 天未修改，请尽快修改",
                            link=reverse("accounts:password_change"),
                            dedupe_key=f"password_rotation:{row['changed'].isoformat()}") for row in batch]
        with transaction.atomic():
            totals["notices"] += len(notify_many(messages))
        totals["due"] += len(batch)
    return totals
