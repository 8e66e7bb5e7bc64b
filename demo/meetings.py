"""Demo meetings (SPEC §14: "… and a meeting, so that every screen has something to show").

`seed_meetings(ctx)` is a section of `python manage.py seed_demo` (demo/management/commands/
seed_demo.py: SECTIONS; demo.base: Context, SectionResult). It goes through meetings.services like a click
would, so custody rows, notices and audit events are real. Idempotent: the section is marked by
its meetings' names; when any of them exists it changes nothing.

Three meetings:
- a 机密 meeting that is over (已结束): three copies handed out, two 会后收回 and recovered, one
  可带回 registered with the department's registry at close;
- a 秘密 meeting in progress (进行中): attendees signed in, one copy still with an attendee;
- a 绝密 meeting being prepared (筹备中): its attendees designated by 主要负责人 zhuren.
"""
import datetime as dt
import zoneinfo

from django.core.management.base import CommandError

from approvals.models import RequestItem
from documents.models import Carrier, Circulation, CustodyStatus, SecrecyStatus
from meetings import services
from meetings.models import Attendee, AttendeeRole, Disposition, Meeting
from secrecy.levels import Level

from .base import SectionResult

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

CLOSED_NAME = "第三季度保密工作形势分析会"
RUNNING_NAME = "业务一处季度业务协调会"
PLANNED_NAME = "重大专项工作部署会（绝密）"
DEMO_NAMES = (CLOSED_NAME, RUNNING_NAME, PLANNED_NAME)


def _at(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def _pool(seed_day):
    """In-registry classified carriers that no other demo section uses: not in a request, never
    circulated, originals, still within their period."""
    return list(
        Carrier.objects.filter(
            custody_status=CustodyStatus.IN_REGISTRY, secrecy_status=SecrecyStatus.CLASSIFIED,
            original__isnull=True, source_request__isnull=True, level__gte=Level.CONFIDENTIAL,
        ).exclude(pk__in=RequestItem.objects.values("carrier_id"))
        .exclude(pk__in=Circulation.objects.values("carrier_id"))
        .exclude(declassify_on__lt=seed_day)
        .order_by("-serial_year", "-serial_number"))


def _take(pool, used, level):
    for carrier in pool:
        if carrier.pk not in used and carrier.level == level:
            used.add(carrier.pk)
            return carrier
    raise CommandError(f"演示数据中没有可供会议分发的{Level(level).label}级在库载体")


def _checklist(level):
    return dict(phones_banned=level >= Level.SECRET, signal_shielding=level >= Level.SECRET, venue_checked=True,
                discipline_announced=True)


def _attend(meeting, actor, user, role=AttendeeRole.PARTICIPANT):
    return services.attendee_add(actor=actor, meeting=meeting, user=user, role=role)


def _sign_in(meeting, user):
    return services.attendee_sign_in(actor=user, meeting=meeting,
                                     attendee=Attendee.objects.get(meeting=meeting, user=user))


def _give(meeting, actor, carrier, user, disposition=Disposition.RECOVER):
    return services.handout_give(actor=actor, meeting=meeting, serial=carrier.serial,
                                 attendee=Attendee.objects.get(meeting=meeting, user=user), disposition=disposition)


def seed_meetings(ctx):
    result = SectionResult()
    existing = Meeting.objects.filter(name__in=DEMO_NAMES).count()
    if existing:
        result.existing = existing
        return result
    for name in ("mishu", "zhuren", "lingdao", "baomi", "lisi", "zhangsan"):
        ctx.refresh_user(name)
    users, departments = ctx.users, ctx.departments
    mishu = users["mishu"]
    seed_day = ctx.seed_day or ctx.today
    pool, used = _pool(seed_day), set()

    # 1. 机密, over: the 机要秘书 organised it for 保密办; two copies back, one 可带回.
    day = ctx.today - dt.timedelta(days=10)
    closed = services.meeting_create(actor=mishu, data=dict(
        name=CLOSED_NAME, level=Level.SECRET, starts_at=_at(day, 9), ends_at=_at(day, 11, 30),
        venue="机关三楼保密会议室", department=departments["secrecy"],
        content="通报第三季度保密检查发现的问题，部署整改和第四季度保密工作。",
        broadcast_scope="由各处室负责人向本处室涉密人员口头传达，不得复制会议材料。", **_checklist(Level.SECRET)))
    for user in ("lingdao", "baomi", "lisi"):
        _attend(closed, mishu, users[user])
    services.meeting_open(actor=mishu, meeting=closed)
    for user in ("lingdao", "baomi", "lisi"):
        _sign_in(closed, users[user])
    back_one = _give(closed, mishu, _take(pool, used, Level.SECRET), users["lingdao"])
    back_two = _give(closed, mishu, _take(pool, used, Level.SECRET), users["lisi"])
    _give(closed, mishu, _take(pool, used, Level.CONFIDENTIAL), users["baomi"], Disposition.KEEP)
    services.handout_recover(actor=mishu, meeting=closed, handout=back_one, note="会后当场清点收回")
    services.handout_recover(actor=mishu, meeting=closed, handout=back_two, note="会后当场清点收回")
    services.meeting_close(actor=mishu, meeting=closed)
    result.created += 1

    # 2. 秘密, in progress today: signed in, one copy still with an attendee.
    running = services.meeting_create(actor=mishu, data=dict(
        name=RUNNING_NAME, level=Level.CONFIDENTIAL, starts_at=_at(ctx.today, 9), ends_at=_at(ctx.today, 17),
        venue="业务一处会议室", department=departments["biz1"],
        content="协调本季度业务工作安排。", broadcast_scope="", **_checklist(Level.CONFIDENTIAL)))
    _attend(running, mishu, users["lisi"])
    _attend(running, mishu, users["zhangsan"])
    _attend(running, mishu, users["baomi"], AttendeeRole.STAFF)
    services.meeting_open(actor=mishu, meeting=running)
    _sign_in(running, users["lisi"])
    services.attendee_sign_in(actor=mishu, meeting=running,
                              attendee=Attendee.objects.get(meeting=running, user=users["zhangsan"]))
    _give(running, mishu, _take(pool, used, Level.CONFIDENTIAL), users["zhangsan"])
    result.created += 1

    # 3. 绝密, being prepared: organised and designated by the 主要负责人 (BJ21 art. 25).
    day = ctx.today + dt.timedelta(days=7)
    zhuren = users["zhuren"]
    planned = services.meeting_create(actor=zhuren, data=dict(
        name=PLANNED_NAME, level=Level.TOP_SECRET, starts_at=_at(day, 15), ends_at=_at(day, 16, 30),
        venue="机关保密会议室（屏蔽室）", department=departments["office"],
        content="研究部署重大专项工作。", broadcast_scope="不传达。",
        phones_banned=True, signal_shielding=True, venue_checked=False, discipline_announced=False))
    _attend(planned, zhuren, zhuren)
    _attend(planned, zhuren, mishu, AttendeeRole.STAFF)
    result.created += 1

    result.note = "已结束（机密）、进行中（秘密）、筹备中（绝密）各 1 个"
    return result
