"""涉密会议保密管理记录 (SPEC §9, §11; regulations_cn.md §7, the practice form 涉密会议保密方案执行情况
记录表): the meeting's particulars and checklist at the top, one row per handout, 共印 N 份 / 回收 M
份 with the lost and kept counts, the sign-in of every attendee, and the signature lines of the
承办部门保密负责人 and 保密办.

Declared in `REGISTERS` below, which the registers app finds, so the web page, the worker and
`python manage.py register meeting --meeting <id> --as <user> -o file.pdf` all produce the same
file with the same audit event.

Whoever may see the meeting may print it (meetings.policy); anyone else gets NotVisible. A carrier
title is printed only when the printing user may see that carrier (SPEC §4); otherwise the row
keeps its 统一编号 and 份号 — the record of what was handed out and recovered stays complete.
"""
from django.conf import settings
from django.utils import timezone

from documents.policy import visible_carriers
from documents.filters import normalize_filters
from personnel.names import person_name
from secrecy.errors import ValidationFailed
from secrecy.levels import Level
from secrecy.printing import Column, Register, RegisterSpec

from .models import SHANGHAI, AttendeeRole, Disposition
from .selectors import meeting_attendees, meeting_get_for_user, meeting_handouts

TITLE = "涉密会议保密管理记录"
HIDDEN_TITLE = "（无权查看标题）"


def _moment(moment):
    return timezone.localtime(moment, SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


def _yes_no(value):
    return "是" if value else "否"


def _meeting_for_print(*, user, filters):
    meeting_id = (filters or {}).get("meeting")
    if not meeting_id:
        raise ValidationFailed({"meeting": "请指定会议（--meeting 会议编号）"})
    return meeting_get_for_user(user=user, pk=meeting_id)


def _count(*, user, filters, cap=None):
    return _meeting_for_print(user=user, filters=filters).handouts.count()


def _outcome(handout):
    if handout.lost_reported_at:
        return "丢失"
    if handout.recovered_at:
        return "已收回"
    if handout.kept_registered_at:
        return "带回登记"
    return "未收回"


def _back_at(handout):
    return _moment(handout.recovered_at or handout.lost_reported_at or handout.kept_registered_at)


def _back_by(handout):
    return person_name(handout.recovered_by or handout.lost_reported_by)


COLUMNS = [
    ("序号", 8, lambda h, shown: str(h.number)),
    ("统一编号", 19, lambda h, shown: h.carrier.serial),
    ("文件名称", 52, lambda h, shown: h.carrier.title if h.carrier_id in shown else HIDDEN_TITLE),
    ("份号", 12, lambda h, shown: h.carrier.copy_number_display),
    ("密级", 10, lambda h, shown: Level(h.carrier.level).label),
    ("领取人", 18, lambda h, shown: person_name(h.attendee.user)),
    ("处置", 14, lambda h, shown: Disposition(h.disposition).label),
    ("分发时间", 20, lambda h, shown: _moment(h.handed_at)),
    ("收回/丢失", 14, lambda h, shown: _outcome(h)),
    ("收回时间", 20, lambda h, shown: _back_at(h)),
    ("收回人", 16, lambda h, shown: _back_by(h)),
]


def _header(meeting):
    organiser = person_name(meeting.organiser)
    lines = [
        f"{meeting.reference}　会议名称：{meeting.name}　密级：{Level(meeting.level).label}　状态：{meeting.get_state_display()}",
        f"会议时间：{_moment(meeting.starts_at)} 至 {_moment(meeting.ends_at)}　地点：{meeting.venue}",
        f"承办部门：{meeting.department.name}　组织者（承办人）：{organiser}",
        f"会议内容：{meeting.content}",
        f"传达范围：{meeting.broadcast_scope or '不传达'}",
        ("保密措施：" + "；".join(f"{label}：{_yes_no(getattr(meeting, field))}" for field, label in (
            ("phones_banned", "手机禁止带入"), ("signal_shielding", "加装手机信号屏蔽"),
            ("venue_checked", "会场经保密技术检查"), ("discipline_announced", "宣布保密纪律"),
            ("recording_approved", "录音录像经批准"),
        )) + (f"（{meeting.recording_note}）" if meeting.recording_approved and meeting.recording_note else "")),
    ]
    if meeting.cancel_reason:
        lines.append(f"取消：{_moment(meeting.cancelled_at)}，原因：{meeting.cancel_reason}")
    return lines


def _sign_in_lines(attendees):
    if not attendees:
        return ["签到：未登记参会人员"]
    lines = []
    for number, attendee in enumerate(attendees, start=1):
        when = _moment(attendee.signed_in_at) if attendee.signed_in_at else "未签到"
        designated = f"，{person_name(attendee.designated_by)}指定" if attendee.designated_by_id else ""
        lines.append(f"签到 {number}. {person_name(attendee.user)}（{AttendeeRole(attendee.role).label}{designated}）：{when}")
    return lines


def meeting_record(*, user, filters=None, progress=None):
    filters = normalize_filters(filters, ("meeting",))
    meeting = _meeting_for_print(user=user, filters=filters)
    handouts = meeting_handouts(meeting)
    shown = set(visible_carriers(user).filter(pk__in=[h.carrier_id for h in handouts]).values_list("pk", flat=True))
    rows = [[cell(h, shown) for _, _, cell in COLUMNS] for h in handouts]
    # Every page shows the meeting's particulars' level: the rows are about this meeting, and its
    # carriers are never above its level (services.handout_give).
    levels = [int(meeting.level)] * len(rows)
    if not rows:
        # A page without rows would be marked 非密, yet the header names a classified meeting.
        rows = [["—", "", "（本次会议未分发涉密文件）"] + [""] * (len(COLUMNS) - 3)]
        levels = [int(meeting.level)]
    recovered = sum(1 for h in handouts if h.recovered_at)
    lost = sum(1 for h in handouts if h.lost_reported_at)
    kept = sum(1 for h in handouts if h.disposition == Disposition.KEEP)
    out = sum(1 for h in handouts if h.is_open)
    summary = [
        f"共印 {len(handouts)} 份 / 回收 {recovered} 份",
        f"其中会后收回 {len(handouts) - kept} 份，可带回 {kept} 份（会后交机要室登记）；报告丢失 {lost} 份；"
        f"尚未收回 {out} 份",
        *_sign_in_lines(meeting_attendees(meeting)),
    ]
    return Register(
        name="meeting", title=TITLE,
        columns=[Column(header, width) for header, width, _ in COLUMNS],
        rows=rows, levels=levels, filters_description=meeting.reference,
        unit_name=settings.SECRECY.get("UNIT_NAME", ""),
        header_lines=_header(meeting),
        summary_lines=summary,
        signatures=[("承办部门保密负责人", person_name(meeting.organiser), ""), ("保密办审核", "", "")],
    )


REGISTERS = (
    RegisterSpec(name="meeting", title=TITLE, build=meeting_record, count=_count, params=("meeting",), listed=False),
)
