"""保密检查 (inspections, their findings and rectifications) and 泄密/丢失事件 (SPEC §10).

These models were born in the audits app and moved here (issue 13) with their tables: each keeps
its old table name (db_table), so no row moved and the audit log's references (content type + id)
still point at the same rows.

Inspections by 保密办: a checklist template, the inspection with its findings (one per checklist
item, the text copied so later template edits do not rewrite history) and the rectification
items (整改事项) with owner and deadline. Writes are in oversight.services; nothing here is ever
deleted (every foreign key is PROTECT and there is no delete service).
"""
import zoneinfo

from django.conf import settings
from django.db import models
from django.urls import reverse

from secrecy.levels import Level
from secrecy.workflow import Move, Workflow

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


class ChecklistTemplate(models.Model):
    """检查表模板: a named, ordered list of what an inspection looks at."""

    name = models.CharField("模板名称", max_length=100, unique=True)
    active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        # Kept from the audits app (issue 13): the rows never moved.
        db_table = "audits_checklisttemplate"
        verbose_name = "检查表模板"
        verbose_name_plural = "检查表模板"
        ordering = ["-active", "name"]

    def __str__(self):
        return self.name


class ChecklistItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, verbose_name="模板", on_delete=models.PROTECT,
                                 related_name="items")
    order = models.PositiveSmallIntegerField("序号")
    text = models.CharField("检查内容", max_length=300)

    class Meta:
        # Kept from the audits app (issue 13): the rows never moved.
        db_table = "audits_checklistitem"
        verbose_name = "检查项"
        verbose_name_plural = "检查项"
        ordering = ["template", "order"]
        constraints = [
            models.UniqueConstraint(fields=["template", "order"], name="checklist_item_order_unique"),
        ]

    def __str__(self):
        return f"{self.order}. {self.text}"


class InspectionState(models.TextChoices):
    OPEN = "open", "进行中"
    RECTIFYING = "rectifying", "整改中"
    CLOSED = "closed", "已结束"


class InspectionAction(models.TextChoices):
    RECORD_FINDING = "record_finding", "登记检查结果"
    ADD_RECTIFICATION = "add_rectification", "下达整改事项"
    COMPLETE_RECTIFICATION = "complete_rectification", "登记整改结果"
    VERIFY_RECTIFICATION = "verify_rectification", "确认整改结果"
    CLOSE = "close", "结束检查"


# The transition table of an inspection: (state, action) -> Move(next state). The table is the
# documentation; services ask it (INSPECTION_TRANSITIONS.move_for) before anything else.
# - Findings are recorded (and corrected) until the inspection is closed.
# - The first rectification item moves the inspection to 整改中; items are completed by their owner
#   (or 保密办) and confirmed by 保密办 while it is there.
# - Closing needs every finding recorded and every rectification item completed and confirmed
#   (checked by the service: the table cannot see the items); a closed inspection changes no more.
_IS, _IA = InspectionState, InspectionAction
INSPECTION_TRANSITIONS = Workflow({
    (_IS.OPEN, _IA.RECORD_FINDING): Move(_IS.OPEN),
    (_IS.OPEN, _IA.ADD_RECTIFICATION): Move(_IS.RECTIFYING),
    (_IS.OPEN, _IA.CLOSE): Move(_IS.CLOSED),
    (_IS.RECTIFYING, _IA.RECORD_FINDING): Move(_IS.RECTIFYING),
    (_IS.RECTIFYING, _IA.ADD_RECTIFICATION): Move(_IS.RECTIFYING),
    (_IS.RECTIFYING, _IA.COMPLETE_RECTIFICATION): Move(_IS.RECTIFYING),
    (_IS.RECTIFYING, _IA.VERIFY_RECTIFICATION): Move(_IS.RECTIFYING),
    (_IS.RECTIFYING, _IA.CLOSE): Move(_IS.CLOSED),
}, refusal=lambda state, action: (
    f"检查当前为“{InspectionState(state).label}”，不能{InspectionAction(action).label}"))


class Inspection(models.Model):
    """保密检查 of one department on one day."""

    department = models.ForeignKey("personnel.Department", verbose_name="被检查部门", on_delete=models.PROTECT,
                                   related_name="inspections")
    inspected_on = models.DateField("检查日期")
    template = models.ForeignKey(ChecklistTemplate, verbose_name="检查表", on_delete=models.PROTECT,
                                 related_name="inspections")
    lead_inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="检查组组长",
                                       on_delete=models.PROTECT, related_name="+")
    other_inspectors = models.CharField("其他检查人员", max_length=200, blank=True)
    state = models.CharField("状态", max_length=12, choices=InspectionState.choices, default=InspectionState.OPEN)
    summary = models.TextField("检查情况", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="结束人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    closing_note = models.TextField("结论", blank=True)

    class Meta:
        # Kept from the audits app (issue 13): the rows never moved.
        db_table = "audits_inspection"
        verbose_name = "保密检查"
        verbose_name_plural = "保密检查"
        ordering = ["-inspected_on", "-id"]
        indexes = [
            models.Index(fields=["state", "inspected_on"], name="inspection_state_idx"),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self):
        return f"保密检查 {self.inspected_on.year if self.inspected_on else ''}-{self.pk or 0:04d}"

    def get_absolute_url(self):
        return reverse("inspections:detail", kwargs={"pk": self.pk})

    @property
    def is_open(self):
        return self.state != InspectionState.CLOSED


class FindingResult(models.TextChoices):
    PENDING = "", "未检查"
    CONFORM = "conform", "符合"
    NONCONFORM = "nonconform", "不符合"
    NOT_APPLICABLE = "na", "不适用"


class Finding(models.Model):
    """检查发现: one checklist item of one inspection and what was found."""

    inspection = models.ForeignKey(Inspection, verbose_name="检查", on_delete=models.PROTECT,
                                   related_name="findings")
    order = models.PositiveSmallIntegerField("序号")
    item_text = models.CharField("检查内容", max_length=300)
    result = models.CharField("检查结果", max_length=12, choices=FindingResult.choices, blank=True, default="")
    note = models.TextField("情况说明", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", null=True, blank=True)

    class Meta:
        # Kept from the audits app (issue 13): the rows never moved.
        db_table = "audits_finding"
        verbose_name = "检查发现"
        verbose_name_plural = "检查发现"
        ordering = ["inspection", "order"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "order"], name="finding_order_unique"),
        ]

    def __str__(self):
        return f"{self.inspection.reference} 第{self.order}项"


class RectificationState(models.TextChoices):
    OPEN = "open", "待整改"
    DONE = "done", "已整改"


class Rectification(models.Model):
    """整改事项: what must be put right, by whom and by when; 保密办 confirms the result."""

    inspection = models.ForeignKey(Inspection, verbose_name="检查", on_delete=models.PROTECT,
                                   related_name="rectifications")
    finding = models.ForeignKey(Finding, verbose_name="对应检查发现", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="rectifications")
    number = models.PositiveSmallIntegerField("序号")
    description = models.TextField("整改要求")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="整改责任人", on_delete=models.PROTECT,
                              related_name="rectifications")
    deadline = models.DateField("整改期限")
    state = models.CharField("状态", max_length=8, choices=RectificationState.choices,
                             default=RectificationState.OPEN)
    evidence = models.TextField("整改情况", blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="整改登记人", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField("整改登记时间", null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确认人（保密办）", null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField("确认时间", null=True, blank=True)
    # When 保密办 sends a result back (not good enough), why; the item is 待整改 again.
    returned_note = models.TextField("退回意见", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="下达人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("下达时间", auto_now_add=True)

    class Meta:
        # Kept from the audits app (issue 13): the rows never moved.
        db_table = "audits_rectification"
        verbose_name = "整改事项"
        verbose_name_plural = "整改事项"
        ordering = ["inspection", "number"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "number"], name="rectification_number_unique"),
            models.CheckConstraint(
                condition=models.Q(verified_at__isnull=True) | models.Q(state="done"),
                name="rectification_verified_only_done",
            ),
        ]
        indexes = [
            # The reminder job's scan: open items by deadline (done ones are not in the index).
            models.Index(fields=["deadline", "id"], condition=models.Q(state="open"),
                         name="rectification_open_due_idx"),
            # 我的整改事项 and the navigation count.
            models.Index(fields=["owner", "state"], name="rectification_owner_idx"),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self):
        return f"{self.inspection.reference} 整改第{self.number}项"

    @property
    def is_verified(self):
        return self.verified_at is not None

    @property
    def is_settled(self):
        """Done and confirmed by 保密办: nothing left to do."""
        return self.state == RectificationState.DONE and self.verified_at is not None


# ====================================================================== 泄密/丢失事件 (SPEC §10)
# regulations_cn.md §8.9 泄密事件报告登记表: 发现时间/地点/人 · 当事人 · 泄密方式 · 泄密密级 · 危害 ·
# 补救措施 · 意见. REG24 art. 61: a (possible) leak is reported to the same-level 保密行政管理部门
# and the 上级主管部门 within 24 hours — the deadline is stored and shown.

# REG24 art. 61: 24 小时内报告.
INCIDENT_REPORT_HOURS = 24


class IncidentKind(models.TextChoices):
    LEAK = "leak", "泄密"
    LOSS = "loss", "丢失"
    OTHER = "other", "其他"


class IncidentState(models.TextChoices):
    OPEN = "open", "已报告"
    REPORTED = "reported", "已上报"
    CLOSED = "closed", "已结案"


class IncidentAction(models.TextChoices):
    LINK_CARRIER = "link_carrier", "关联丢失载体"
    RECORD_UPWARD_REPORT = "record_upward_report", "登记向上级报告"
    CLOSE = "close", "结案"


# The transition table of an incident. Lost carriers are added while the incident has not yet been
# reported upward (after that a new loss is a new incident, so that the upward report stays
# complete); closing needs the upward report (REG24 art. 61).
_NS, _NA = IncidentState, IncidentAction
def _incident_refusal(state, action):
    if action == IncidentAction.CLOSE and state == IncidentState.OPEN:
        return "须先登记向保密行政管理部门和上级主管部门的报告情况，才能结案"
    return f"事件当前为“{IncidentState(state).label}”，不能{IncidentAction(action).label}"


INCIDENT_TRANSITIONS = Workflow({
    (_NS.OPEN, _NA.LINK_CARRIER): Move(_NS.OPEN),
    (_NS.OPEN, _NA.RECORD_UPWARD_REPORT): Move(_NS.REPORTED),
    (_NS.REPORTED, _NA.CLOSE): Move(_NS.CLOSED),
}, refusal=_incident_refusal)


class Incident(models.Model):
    """泄密/丢失事件 as reported, with the 24-hour upward-report deadline."""

    kind = models.CharField("事件类型", max_length=8, choices=IncidentKind.choices)
    occurred_at = models.DateTimeField("发生时间", null=True, blank=True)
    discovered_at = models.DateTimeField("发现时间")
    place = models.CharField("发生或发现地点", max_length=200)
    involved_persons = models.CharField("当事人", max_length=200, blank=True)
    # The highest level involved (泄密密级).
    level = models.PositiveSmallIntegerField("涉及最高密级", choices=Level.choices)
    description = models.TextField("事件经过")
    harm = models.TextField("危害情况", blank=True)
    measures = models.TextField("补救措施", blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报告人", on_delete=models.PROTECT,
                                    related_name="reported_incidents")
    reported_at = models.DateTimeField("报告时间")
    # REG24 art. 61: discovered_at + 24 h, stored so the job's scan is one indexed range.
    report_deadline = models.DateTimeField("上报期限")
    upward_reported_at = models.DateTimeField("向上级报告时间", null=True, blank=True)
    upward_report_note = models.TextField("报告情况（报告对象、方式、文号）", blank=True)
    upward_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上报登记人", null=True,
                                           blank=True, on_delete=models.PROTECT, related_name="+")
    state = models.CharField("状态", max_length=10, choices=IncidentState.choices, default=IncidentState.OPEN)
    # Opened by a carrier reported lost in the system (incident_for_lost_carrier), not the form.
    from_carrier_loss = models.BooleanField("由报告丢失自动生成", default=False)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="结案人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    closing_note = models.TextField("处理结果", blank=True)

    class Meta:
        # Kept from the audits app (issue 13): the rows never moved.
        db_table = "audits_incident"
        verbose_name = "泄密/丢失事件"
        verbose_name_plural = "泄密/丢失事件"
        ordering = ["-discovered_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=4), name="incident_level_valid"),
            models.CheckConstraint(
                condition=models.Q(state="open") | models.Q(upward_reported_at__isnull=False),
                name="incident_reported_has_time",
            ),
        ]
        indexes = [
            # The deadline job: incidents not yet reported upward, by deadline.
            models.Index(fields=["report_deadline", "id"], condition=models.Q(state="open"),
                         name="incident_open_deadline_idx"),
            models.Index(fields=["reported_by", "id"], name="incident_reporter_idx"),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self):
        """How notices and the audit log cite the incident: never its description."""
        year = self.discovered_at.astimezone(SHANGHAI).year if self.discovered_at else ""
        return f"事件 {year}-{self.pk or 0:04d}"

    def get_absolute_url(self):
        return reverse("incidents:detail", kwargs={"pk": self.pk})

    @property
    def upward_reported_late(self):
        return self.upward_reported_at is not None and self.upward_reported_at > self.report_deadline


class IncidentCarrier(models.Model):
    """A carrier involved in an incident, kept by id and 统一编号 rather than a foreign key (the
    table predates issue 13, when incidents lived in audits, below documents) — the serial is what
    保密办 may see (often outside the carrier's 知悉范围), never its title. carrier_id is empty for a serial typed into the report
    form and filled in when the carrier is reported lost in the system."""

    incident = models.ForeignKey(Incident, verbose_name="事件", on_delete=models.PROTECT, related_name="carriers")
    carrier_id = models.BigIntegerField("载体ID", null=True, blank=True)
    serial = models.CharField("统一编号", max_length=40)
    level = models.PositiveSmallIntegerField("密级", choices=Level.choices, null=True, blank=True)
    note = models.TextField("说明", blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT,
                                 related_name="+")
    added_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        # Kept from the audits app (issue 13): the rows never moved.
        db_table = "audits_incidentcarrier"
        verbose_name = "事件涉及载体"
        verbose_name_plural = "事件涉及载体"
        ordering = ["incident", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "carrier_id"], condition=models.Q(carrier_id__isnull=False),
                                    name="incident_carrier_unique"),
        ]
        indexes = [models.Index(fields=["carrier_id"], name="incident_carrier_idx")]

    def __str__(self):
        return self.serial
