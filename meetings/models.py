"""Classified meetings (SPEC §9; regulations_cn.md §7): the meeting with its security checklist, its
attendees (参会人员 and 工作人员, sign-in recorded) and the numbered carriers handed out to them.

Nothing here is ever deleted: every foreign key is PROTECT and there is no delete service. The
writes are in meetings/services.py; the states and the one transition table are below.
"""
import zoneinfo

from django.conf import settings
from django.db import models
from django.urls import reverse

from personnel.models import Department
from secrecy.levels import Level
from secrecy.workflow import Move, Workflow

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

# A meeting about state secrets: 秘密, 机密 or 绝密 (REG24 art. 45(1) 确定密级). Work secrets need none
# of this machinery.
MEETING_LEVELS = (Level.CONFIDENTIAL, Level.SECRET, Level.TOP_SECRET)


class MeetingState(models.TextChoices):
    PLANNING = "planning", "筹备中"
    IN_PROGRESS = "in_progress", "进行中"
    CLOSED = "closed", "已结束"
    CANCELLED = "cancelled", "已取消"


class MeetingAction(models.TextChoices):
    UPDATE = "update", "修改会议信息"
    ADD_ATTENDEE = "add_attendee", "添加参会人员"
    OPEN = "open", "开始会议"
    SIGN_IN = "sign_in", "签到"
    HAND_OUT = "hand_out", "分发文件"
    RECOVER = "recover", "收回文件"
    REPORT_LOST = "report_lost", "报告丢失"
    CLOSE = "close", "结束会议"
    CANCEL = "cancel", "取消会议"


class MeetingParty(models.TextChoices):
    # meetings.policy.manages decides who this is: the organiser or a 保密办 role holder, cleared
    # for the meeting's level.
    MANAGER = "manager", "会议组织者或保密办"
    # The attendee acting for themself (their own sign-in).
    ATTENDEE = "attendee", "参会人员本人"


S, A, P = MeetingState, MeetingAction, MeetingParty

# The transition table of a meeting: (state, action) -> Move(next state, who may act).
# The table is the documentation; services ask it (MEETING_TRANSITIONS.move_for) before anything else.
# - Attendees are named while preparing and, for late designations, while the meeting runs
#   (REG24 art. 45(1) 限定参加人员和工作人员范围; each one is checked against the level).
# - Opening needs the checklist (QA items 113, 115); sign-in is 身份核实 (REG24 art. 45(4)).
# - Handouts are given, recovered or reported lost only while the meeting runs; closing needs every
#   会后收回 copy back or reported lost (QA item 114).
# - Cancelling is for a meeting that never took place: nothing has been handed out yet.
MEETING_TRANSITIONS = Workflow({
    (S.PLANNING, A.UPDATE): Move(S.PLANNING, (P.MANAGER,)),
    (S.PLANNING, A.ADD_ATTENDEE): Move(S.PLANNING, (P.MANAGER,)),
    (S.PLANNING, A.OPEN): Move(S.IN_PROGRESS, (P.MANAGER,)),
    (S.PLANNING, A.CANCEL): Move(S.CANCELLED, (P.MANAGER,)),
    (S.IN_PROGRESS, A.ADD_ATTENDEE): Move(S.IN_PROGRESS, (P.MANAGER,)),
    (S.IN_PROGRESS, A.SIGN_IN): Move(S.IN_PROGRESS, (P.MANAGER, P.ATTENDEE)),
    (S.IN_PROGRESS, A.HAND_OUT): Move(S.IN_PROGRESS, (P.MANAGER,)),
    (S.IN_PROGRESS, A.RECOVER): Move(S.IN_PROGRESS, (P.MANAGER,)),
    (S.IN_PROGRESS, A.REPORT_LOST): Move(S.IN_PROGRESS, (P.MANAGER,)),
    (S.IN_PROGRESS, A.CLOSE): Move(S.CLOSED, (P.MANAGER,)),
}, refusal=lambda state, action: (
    f"会议当前为“{MeetingState(state).label}”，不能{MeetingAction(action).label}"))


class Meeting(models.Model):
    name = models.CharField("会议名称", max_length=200)
    level = models.PositiveSmallIntegerField("密级", choices=[(int(x), x.label) for x in MEETING_LEVELS])
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    venue = models.CharField("地点", max_length=200)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="组织者（承办人）", on_delete=models.PROTECT,
        related_name="organised_meetings",
    )
    department = models.ForeignKey(Department, verbose_name="承办部门", on_delete=models.PROTECT,
                                   related_name="meetings")
    content = models.CharField("会议内容", max_length=500)
    # BJ21 art. 25: the organiser decides whether and how far the content is relayed.
    broadcast_scope = models.TextField("传达范围", blank=True)

    # The security checklist (regulations_cn.md §7: QA items 113, 115; BJ21 art. 25; the practice
    # form 涉密会议保密方案执行情况记录表).
    phones_banned = models.BooleanField("手机禁止带入", default=False)
    signal_shielding = models.BooleanField("加装手机信号屏蔽", default=False)
    recording_approved = models.BooleanField("录音录像经批准", default=False)
    recording_note = models.CharField("录音录像说明（批准人、负责人）", max_length=300, blank=True)
    venue_checked = models.BooleanField("会场经保密技术检查", default=False)
    discipline_announced = models.BooleanField("宣布保密纪律", default=False)

    state = models.CharField("状态", max_length=12, choices=MeetingState.choices, default=MeetingState.PLANNING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    opened_at = models.DateTimeField("开始登记时间", null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="宣布开始人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField("结束时间（登记）", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="结束登记人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="取消人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    cancel_reason = models.TextField("取消原因", blank=True)

    class Meta:
        verbose_name = "涉密会议"
        verbose_name_plural = "涉密会议"
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=2, level__lte=4), name="meeting_level_state_secret"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                   name="meeting_ends_after_start"),
        ]
        indexes = [
            models.Index(fields=["state", "starts_at"], name="meeting_state_idx"),
            models.Index(fields=["organiser"], name="meeting_organiser_idx"),
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("meetings:detail", kwargs={"pk": self.pk})

    @property
    def reference(self):
        """How notices, custody rows and the record cite the meeting: never its name, which may
        itself be classified."""
        year = self.starts_at.astimezone(SHANGHAI).year if self.starts_at else ""
        return f"会议 {year}-{self.pk or 0:04d}"

    @property
    def is_open(self):
        return self.state in (MeetingState.PLANNING, MeetingState.IN_PROGRESS)


class AttendeeRole(models.TextChoices):
    PARTICIPANT = "participant", "参会人员"
    STAFF = "staff", "工作人员"


class Attendee(models.Model):
    """A named participant or staff member (REG24 art. 45(1)); never deleted."""

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="attendees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="人员", on_delete=models.PROTECT,
                             related_name="meeting_attendances")
    role = models.CharField("身份", max_length=12, choices=AttendeeRole.choices, default=AttendeeRole.PARTICIPANT)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT,
                                 related_name="+")
    added_at = models.DateTimeField("登记时间", auto_now_add=True)
    # BJ21 art. 25: 参加绝密级会议的人员应当指定 — who designated this person, recorded one by one.
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="指定人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    designated_at = models.DateTimeField("指定时间", null=True, blank=True)
    signed_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    # The attendee themself, or a manager who checked their identity (REG24 art. 45(4) 身份核实).
    signed_in_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="签到登记人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "参会人员"
        verbose_name_plural = "参会人员"
        ordering = ["meeting", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="meeting_attendee_unique"),
        ]
        indexes = [models.Index(fields=["user", "meeting"], name="meeting_attendee_user_idx")]

    def __str__(self):
        return f"{self.meeting_id}:{self.user_id}"

    @property
    def signed_in(self):
        return self.signed_in_at is not None


class Disposition(models.TextChoices):
    # QA item 114: "会后收回" copies go back to the meeting's document officer; copies that may be
    # taken away go to the unit's 机要人员 for registration — individuals may not keep them.
    RECOVER = "recover", "会后收回"
    KEEP = "keep", "可带回"


class Handout(models.Model):
    """One numbered carrier given to one named attendee (分发文件)."""

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="handouts")
    # QA item 110: meeting documents 应统一编号 — 1..N within the meeting, gapless (taken under the
    # meeting's row lock).
    number = models.PositiveIntegerField("序号")
    carrier = models.ForeignKey("documents.Carrier", verbose_name="载体", on_delete=models.PROTECT,
                                related_name="meeting_handouts")
    attendee = models.ForeignKey(Attendee, verbose_name="领取人", on_delete=models.PROTECT, related_name="handouts")
    disposition = models.CharField("处置", max_length=10, choices=Disposition.choices, default=Disposition.RECOVER)
    handed_at = models.DateTimeField("分发时间", auto_now_add=True)
    handed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="分发人", on_delete=models.PROTECT,
                                  related_name="+")
    recovered_at = models.DateTimeField("收回时间", null=True, blank=True)
    recovered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="收回人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    lost_reported_at = models.DateTimeField("报告丢失时间", null=True, blank=True)
    lost_reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="报告人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    lost_note = models.TextField("丢失情况", blank=True)
    # 可带回 copies are handed to the attendee's department registry when the meeting closes.
    kept_registered_at = models.DateTimeField("带回登记时间", null=True, blank=True)

    class Meta:
        verbose_name = "分发文件"
        verbose_name_plural = "分发文件"
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="meeting_handout_number_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="meeting_handout_number_positive"),
            # A carrier is with at most one attendee at a time.
            models.UniqueConstraint(
                fields=["carrier"], name="one_open_handout_per_carrier",
                condition=models.Q(recovered_at__isnull=True, lost_reported_at__isnull=True,
                                   kept_registered_at__isnull=True),
            ),
        ]
        indexes = [models.Index(fields=["carrier", "id"], name="meeting_handout_carrier_idx")]

    def __str__(self):
        return f"{self.meeting_id}/{self.number}"

    @property
    def is_open(self):
        """The attendee still holds it."""
        return self.recovered_at is None and self.lost_reported_at is None and self.kept_registered_at is None

    @property
    def outcome(self):
        if self.lost_reported_at:
            return "已报告丢失"
        if self.recovered_at:
            return "已收回"
        if self.kept_registered_at:
            return "已带回登记"
        return "持有中"
