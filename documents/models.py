from django.conf import settings
from django.db import models
from django.urls import reverse
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from personnel.models import Department
from secrecy.levels import (
    Level, PeriodKind, PeriodUnit, Urgency, format_copy_number, format_mark, format_period,
)


class Direction(models.TextChoices):
    INCOMING = "in", "收文"
    OUTGOING = "out", "发文"
    INTERNAL = "internal", "自产"


class CarrierKind(models.TextChoices):
    PAPER = "paper", "纸质文件资料"
    DISC = "disc", "光盘"
    MAGNETIC = "magnetic", "磁介质"
    REMOVABLE = "removable", "移动存储"
    COMPUTER = "computer", "涉密计算机及设备"
    OBJECT = "object", "密品"
    AUDIOVISUAL = "audiovisual", "音像制品"


# Kinds that are devices or media and carry a serial number (SPEC §3).
DEVICE_KINDS = (CarrierKind.DISC, CarrierKind.MAGNETIC, CarrierKind.REMOVABLE, CarrierKind.COMPUTER)

# The unit printed in destruction totals ("纸质 N 份, U盘 N 个").
KIND_COUNT_UNIT = {
    CarrierKind.PAPER: "份", CarrierKind.DISC: "张", CarrierKind.MAGNETIC: "个", CarrierKind.REMOVABLE: "个",
    CarrierKind.COMPUTER: "台", CarrierKind.OBJECT: "件", CarrierKind.AUDIOVISUAL: "件",
}


class CustodyStatus(models.TextChoices):
    IN_REGISTRY = "in_registry", "在库"
    CIRCULATING = "circulating", "传阅中"
    LENT = "lent", "借出"
    CARRIED_OUT = "carried_out", "外出携带"
    IN_REPAIR = "in_repair", "维修中"
    PENDING_DESTRUCTION = "pending_destruction", "待销毁"
    DESTROYED = "destroyed", "已销毁"
    RETURNED = "returned", "已清退"
    ARCHIVED = "archived", "已归档"
    TRANSFERRED = "transferred", "已移交"
    LOST = "lost", "丢失"
    # SPEC §9: handed to a named attendee of a classified meeting (meetings app) until recovered.
    AT_MEETING = "at_meeting", "会议分发"


class SecrecyStatus(models.TextChoices):
    CLASSIFIED = "classified", "涉密"
    DECLASSIFIED = "declassified", "已解密"


class TransmissionMethod(models.TextChoices):
    # REG24 art. 27(3): 机要交通、机要通信 or another approved way; never ordinary post or courier.
    NONE = "", "—"
    CONFIDENTIAL_COURIER = "jiyao_jiaotong", "机要交通"
    CONFIDENTIAL_MAIL = "jiyao_tongxin", "机要通信"
    BY_HAND = "by_hand", "专人递送"


class SerialCounter(models.Model):
    """Next 统一编号 per registry and year; the row is locked while a number is taken, so
    numbers are unique and gapless even under concurrent registration."""

    registry = models.CharField(max_length=30)
    year = models.PositiveIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registry", "year"], name="serial_counter_unique")]


class Carrier(models.Model):
    serial = models.CharField("统一编号", max_length=20, unique=True)
    registry = models.CharField("登记簿", max_length=30)
    serial_year = models.PositiveIntegerField("年度")
    serial_number = models.PositiveIntegerField("年度序号")
    direction = models.CharField("收/发文方向", max_length=10, choices=Direction.choices)
    title = models.CharField("文件标题/名称", max_length=300)
    doc_number = models.CharField("文号", max_length=100, blank=True)
    issuer = models.CharField("来文/制发单位", max_length=200, blank=True)
    recipients = models.CharField("发往单位", max_length=300, blank=True)
    kind = models.CharField("载体类别", max_length=20, choices=CarrierKind.choices)
    device_serial = models.CharField("序列号", max_length=100, blank=True)
    attachments = models.CharField("附件", max_length=200, blank=True)

    level = models.PositiveSmallIntegerField("密级", choices=Level.choices)
    period_kind = models.CharField("保密期限类型", max_length=10, choices=PeriodKind.choices, blank=True)
    period_value = models.PositiveIntegerField("期限数值", null=True, blank=True)
    period_unit = models.CharField("期限单位", max_length=6, choices=PeriodUnit.choices, blank=True)
    declassify_date = models.DateField("解密时间", null=True, blank=True)
    declassify_condition = models.CharField("解密条件", max_length=200, blank=True)
    period_defaulted = models.BooleanField("未标保密期限（按最长期限）", default=False)
    period_special = models.BooleanField("另有规定", default=False)
    period_special_reason = models.CharField("另有规定依据", max_length=300, blank=True)
    long_term_basis = models.CharField("长期依据（保密事项范围条目）", max_length=300, blank=True)
    start_date = models.DateField("制发日（起算日）")
    # Stored so expiry scans are indexed range queries (SPEC §2).
    declassify_on = models.DateField("自行解密日", null=True, blank=True)

    scope_note = models.CharField("知悉范围", max_length=300, blank=True)
    basis = models.CharField("定密依据", max_length=300, blank=True)
    drafter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="承办人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="drafted_carriers",
    )
    classifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="定密责任人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="classified_carriers",
    )

    copy_number = models.PositiveIntegerField("份号", null=True, blank=True)
    copies = models.PositiveIntegerField("份数", default=1)
    pages = models.CharField("页数或容量", max_length=50, blank=True)
    urgency = models.CharField("紧急程度", max_length=12, choices=Urgency.choices, blank=True, default="")
    doc_date = models.DateField("收文/发文日期")
    signed_by = models.CharField("签收人", max_length=50, blank=True)
    transmission = models.CharField("传递方式", max_length=20, choices=TransmissionMethod.choices, blank=True)
    department = models.ForeignKey(Department, verbose_name="管理部门", on_delete=models.PROTECT, related_name="carriers")
    location = models.CharField("存放位置", max_length=100, blank=True)
    custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="当前保管人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="custody_carriers",
    )
    custody_status = models.CharField(
        "状态", max_length=24, choices=CustodyStatus.choices, default=CustodyStatus.IN_REGISTRY,
    )
    secrecy_status = models.CharField(
        "涉密状态", max_length=16, choices=SecrecyStatus.choices, default=SecrecyStatus.CLASSIFIED,
    )
    notes = models.TextField("备注", blank=True)
    original = models.ForeignKey(
        "self", verbose_name="原件", null=True, blank=True, on_delete=models.PROTECT, related_name="copies_made",
    )
    # A copy, excerpt or compilation made under an approved 复制 request (REG24 art. 27(5)): the
    # request names every original (a compilation has several), and the 复制戳记 stamped on it.
    source_request = models.ForeignKey(
        "ApprovalRequest", verbose_name="复制审批", null=True, blank=True, on_delete=models.PROTECT,
        related_name="copies_produced",
    )
    copy_stamp = models.CharField("复制戳记", max_length=200, blank=True)

    registered_at = models.DateTimeField("登记时间", auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["registered_at"])

    class Meta:
        verbose_name = "涉密载体"
        verbose_name_plural = "涉密载体"
        ordering = ["-id"]
        permissions = []  # "view_carrier" (Django's default) is the 知悉范围 grant.
        constraints = [
            models.UniqueConstraint(fields=["registry", "serial_year", "serial_number"], name="carrier_serial_gapless"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=4), name="carrier_level_valid"),
            models.CheckConstraint(condition=models.Q(copies__gte=1), name="carrier_copies_positive"),
        ]
        indexes = [
            models.Index(fields=["level", "id"], name="carrier_level_idx"),
            models.Index(fields=["department", "id"], name="carrier_dept_idx"),
            models.Index(fields=["custody_status", "id"], name="carrier_status_idx"),
            models.Index(fields=["custodian"], name="carrier_custodian_idx"),
            models.Index(fields=["declassify_on"], name="carrier_declassify_idx"),
            models.Index(fields=["direction", "doc_date"], name="carrier_direction_date_idx"),
            models.Index(fields=["doc_date"], name="carrier_doc_date_idx"),
        ]

    def __str__(self):
        return f"{self.serial} {self.title}"

    def get_absolute_url(self):
        return reverse("documents:carrier_detail", kwargs={"pk": self.pk})

    @property
    def is_declassified(self):
        return self.secrecy_status == SecrecyStatus.DECLASSIFIED

    @property
    def mark(self):
        return format_mark(
            level=self.level, kind=self.period_kind, value=self.period_value, unit=self.period_unit,
            date=self.declassify_date, condition=self.declassify_condition, declassified=self.is_declassified,
        )

    @property
    def period_display(self):
        return format_period(
            kind=self.period_kind, value=self.period_value, unit=self.period_unit,
            date=self.declassify_date, condition=self.declassify_condition,
        )

    @property
    def copy_number_display(self):
        return format_copy_number(self.copy_number)


class CarrierUserScope(UserObjectPermissionBase):
    """知悉范围 granted to one person: a direct foreign key so need-to-know is an integer join."""

    content_object = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="user_scopes")

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "知悉范围（人员）"
        indexes = [models.Index(fields=["user", "content_object"], name="scope_user_idx")]


class CarrierGroupScope(GroupObjectPermissionBase):
    """知悉范围 granted to a department or group."""

    content_object = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="group_scopes")

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = "知悉范围（部门/组）"
        indexes = [models.Index(fields=["group", "content_object"], name="scope_group_idx")]


class CustodyAction(models.TextChoices):
    REGISTERED = "registered", "登记"
    CORRECTED = "corrected", "更正登记"
    SCOPE_GRANTED = "scope_granted", "扩大知悉范围"
    SCOPE_REVOKED = "scope_revoked", "缩小知悉范围"
    HANDED_OUT = "handed_out", "交付保管"
    RETURNED = "returned", "交回"
    STATUS_CHANGED = "status_changed", "状态变更"
    COPIED = "copied", "复制"
    RETURNED_TO_ISSUER = "returned_to_issuer", "清退"
    ARCHIVED = "archived", "归档"
    TRANSFERRED = "transferred", "移交"
    REPORTED_LOST = "reported_lost", "报告丢失"
    # LAW24 art. 23, 24: a decided change of level or period, or an early declassification.
    RECLASSIFIED = "reclassified", "定密变更"
    DECLASSIFIED = "declassified", "提前解密"


class CustodyEvent(models.Model):
    """One row of the carrier's 流转记录: what happened, from whom, to whom, when, recorded by,
    under which approval. Never edited."""

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="custody_events")
    action = models.CharField("事项", max_length=30, choices=CustodyAction.choices)
    at = models.DateTimeField("时间", auto_now_add=True)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="交出人", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    from_status = models.CharField("原状态", max_length=24, choices=CustodyStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=24, choices=CustodyStatus.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+",
    )
    # The approval request this movement was made under (the approvals issue fills it in).
    approval_ref = models.CharField("审批依据", max_length=100, blank=True)
    # Leaving the registry for good (清退 / 归档 / 移交): who outside the system received it and
    # the paper that proves it (回执号, 档号, 移交单号).
    receiver = models.CharField("接收单位/接收人", max_length=200, blank=True)
    receipt_number = models.CharField("回执号/档号", max_length=100, blank=True)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "流转记录"
        verbose_name_plural = "流转记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["carrier", "at"], name="custody_carrier_idx")]

    def __str__(self):
        return f"{self.carrier_id} {self.get_action_display()}"


# ------------------------------------------------------------------------------------ approvals
# One request shape for every workflow that needs approval (SPEC §5). The transition table lives
# in documents/workflows.py; kind-specific fields are added by later migrations.


class RequestKind(models.TextChoices):
    LEND = "lend", "借阅"
    COPY = "copy", "复制"
    CARRY_OUT = "carry_out", "外出携带"
    REPAIR = "repair", "维修"
    DESTROY = "destroy", "销毁"
    RECLASSIFY = "reclassify", "密级变更"
    SCOPE = "scope", "知悉范围扩大"


class RequestState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审批"
    APPROVED = "approved", "已批准"
    IN_PROGRESS = "in_progress", "执行中"
    COMPLETED = "completed", "已完成"
    REJECTED = "rejected", "已驳回"
    CANCELLED = "cancelled", "已撤销"


# A request in one of these states still holds its carriers (RequestItem.is_open).
OPEN_REQUEST_STATES = (
    RequestState.DRAFT, RequestState.SUBMITTED, RequestState.APPROVED, RequestState.IN_PROGRESS,
)

# How a state reads for one kind, where the generic word would be vague.
KIND_STATE_LABELS = {
    (RequestKind.LEND, RequestState.IN_PROGRESS): "已借出",
    (RequestKind.LEND, RequestState.COMPLETED): "已归还",
}


class ReturnCondition(models.TextChoices):
    INTACT = "intact", "完好"
    MISSING_PAGES = "missing_pages", "缺页"
    DAMAGED = "damaged", "损坏"


class CopyMode(models.TextChoices):
    COPY = "copy", "复制"
    EXCERPT = "excerpt", "摘抄"
    COMPILE = "compile", "汇编"


class RepairMode(models.TextChoices):
    # REG24 art. 27(7); QA 57: outside technicians only under on-site supervision; off-site only
    # after the storage part is removed.
    ON_SITE = "on_site", "现场维修"
    OFF_SITE = "off_site", "送外维修"


class ReclassifyType(models.TextChoices):
    """What a 密级变更 request changes (LAW24 art. 23, 24; REG24 art. 21)."""

    LEVEL = "level", "变更密级"
    EXTEND = "extend", "延长保密期限"
    SHORTEN = "shorten", "缩短保密期限"
    DECLASSIFY = "declassify", "提前解密"


class StepDecision(models.TextChoices):
    PENDING = "", "待审批"
    APPROVE = "approve", "同意"
    REJECT = "reject", "不同意"


class ApprovalRequest(models.Model):
    """One request (借阅, 复制, …) for one or more carriers. Never deleted."""

    kind = models.CharField("申请类型", max_length=16, choices=RequestKind.choices)
    state = models.CharField("状态", max_length=16, choices=RequestState.choices, default=RequestState.DRAFT)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="approval_requests",
    )
    reason = models.TextField("申请事由")
    # The highest level of its carriers: who may decide and see it follows from this.
    level = models.PositiveSmallIntegerField("密级", choices=Level.choices)

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    decided_at = models.DateTimeField("审批完成时间", null=True, blank=True)
    executed_at = models.DateTimeField("办理时间", null=True, blank=True)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("撤销时间", null=True, blank=True)

    # 借阅 (lend)
    due_date = models.DateField("应还日期", null=True, blank=True)
    on_site = models.BooleanField("在阅文室阅读", default=False)
    return_condition = models.CharField("归还检查", max_length=16, choices=ReturnCondition.choices, blank=True)
    return_note = models.TextField("归还检查说明", blank=True)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="借出经手人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    returned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="归还接收人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )

    # 复制 / 摘抄 / 汇编 (copy)
    copy_mode = models.CharField("复制方式", max_length=10, choices=CopyMode.choices, blank=True)
    copy_count = models.PositiveSmallIntegerField("复制份数", null=True, blank=True)
    # The title a compilation (汇编本) is registered under; copies and excerpts keep the original's.
    copy_title = models.CharField("汇编本名称", max_length=300, blank=True)
    copy_maker = models.CharField("承制单位", max_length=200, blank=True)
    # REG24 art. 29(4): a 绝密 copy needs the consent of the original classifying authority.
    consent_authority = models.CharField("原定密机关", max_length=200, blank=True)
    consent_letter = models.CharField("同意复制文件文号", max_length=100, blank=True)
    consent_date = models.DateField("同意日期", null=True, blank=True)
    copy_stamp = models.CharField("复制戳记", max_length=200, blank=True)

    # 外出携带 (carry out); due_date above is the date it is due back.
    destination = models.CharField("前往地点", max_length=200, blank=True)
    depart_date = models.DateField("外出日期", null=True, blank=True)
    abroad = models.BooleanField("出境", default=False)
    # REG24 art. 27(8): carrying abroad needs its own approval; the decider ticks it explicitly.
    abroad_approved = models.BooleanField("已批准出境", default=False)
    companions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="同行人员", blank=True, related_name="carry_companion_of",
    )

    # 维修 (repair)
    repair_mode = models.CharField("维修方式", max_length=10, choices=RepairMode.choices, blank=True)
    repairer = models.CharField("维修单位/人员", max_length=200, blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="现场监督人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="repairs_supervised",
    )
    storage_removed_note = models.TextField("存储部件拆除情况", blank=True)
    storage_removed_at = models.DateTimeField("存储部件拆除登记时间", null=True, blank=True)

    # 密级变更 / 延期 / 提前解密 (reclassify): the carrier's mark when asked, and the new level and
    # period (counted from the carrier's own start date, REG24 art. 19(2)).
    change_type = models.CharField("变更事项", max_length=12, choices=ReclassifyType.choices, blank=True)
    from_level = models.PositiveSmallIntegerField("原密级", choices=Level.choices, null=True, blank=True)
    from_mark = models.CharField("原标志", max_length=120, blank=True)
    new_level = models.PositiveSmallIntegerField("新密级", choices=Level.choices, null=True, blank=True)
    new_period_kind = models.CharField("新保密期限类型", max_length=10, choices=PeriodKind.choices, blank=True)
    new_period_value = models.PositiveIntegerField("新期限数值", null=True, blank=True)
    new_period_unit = models.CharField("新期限单位", max_length=6, choices=PeriodUnit.choices, blank=True)
    new_declassify_date = models.DateField("新解密时间", null=True, blank=True)
    new_declassify_condition = models.CharField("新解密条件", max_length=200, blank=True)
    new_period_special = models.BooleanField("新期限另有规定", default=False)
    new_period_special_reason = models.CharField("另有规定依据", max_length=300, blank=True)
    new_long_term_basis = models.CharField("长期依据", max_length=300, blank=True)
    change_basis = models.CharField("变更依据", max_length=300, blank=True)
    to_mark = models.CharField("新标志", max_length=120, blank=True)

    # 知悉范围扩大 (scope): the person or department to be added (SPEC §5; DM14 art. 28).
    scope_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="拟列入人员", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    scope_group = models.ForeignKey(
        "auth.Group", verbose_name="拟列入部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )

    class Meta:
        verbose_name = "审批申请"
        verbose_name_plural = "审批申请"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=4), name="request_level_valid"),
        ]
        indexes = [
            models.Index(fields=["state", "kind", "id"], name="request_state_idx"),
            models.Index(fields=["requester", "id"], name="request_requester_idx"),
            models.Index(fields=["kind", "state", "due_date"], name="request_due_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}申请 #{self.pk}"

    def get_absolute_url(self):
        return reverse("approvals:detail", kwargs={"pk": self.pk})

    @property
    def is_open(self):
        return self.state in OPEN_REQUEST_STATES

    @property
    def state_label(self):
        return KIND_STATE_LABELS.get((self.kind, self.state), RequestState(self.state).label)

    @property
    def reference(self):
        """How custody rows and registers cite this request (流转记录 审批依据)."""
        return f"{RequestKind(self.kind).label}申请第{self.pk}号"


class RequestItem(models.Model):
    """A carrier of a request. is_open stays true until the request ends, so the partial unique
    constraint allows at most one open request of each kind per carrier (SPEC §5)."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="items")
    carrier = models.ForeignKey(Carrier, verbose_name="载体", on_delete=models.PROTECT, related_name="request_items")
    kind = models.CharField("申请类型", max_length=16, choices=RequestKind.choices)
    is_open = models.BooleanField("未办结", default=True)

    class Meta:
        verbose_name = "申请载体"
        verbose_name_plural = "申请载体"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "kind"], condition=models.Q(is_open=True), name="one_open_request_per_kind",
            ),
            models.UniqueConstraint(fields=["request", "carrier"], name="request_item_unique"),
        ]

    def __str__(self):
        return f"{self.request_id}:{self.carrier_id}"


class ApprovalStep(models.Model):
    """One approval the policy requires, decided in order. Never edited after the decision."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="steps")
    order = models.PositiveSmallIntegerField("顺序")
    min_authority = models.PositiveSmallIntegerField("所需审批权限", choices=Level.choices)
    requires_principal = models.BooleanField("须主要负责人", default=False)
    # 密级变更: decided by the carrier's 定密责任人 (named here when asked) or an approver whose
    # 定密权限 (not 审批权限) reaches min_authority (LAW24 art. 17, 23; REG24 art. 14, 21).
    requires_classification_authority = models.BooleanField("须定密权限", default=False)
    # 知悉范围扩大: decided by the 主要负责人 or the delegate they named (SPEC §5).
    requires_scope_authority = models.BooleanField("须主要负责人或受托人", default=False)
    classifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="定密责任人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="approval_decisions",
    )
    decision = models.CharField("审批意见", max_length=10, choices=StepDecision.choices, blank=True, default="")
    comment = models.TextField("意见说明", blank=True)
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)

    class Meta:
        verbose_name = "审批步骤"
        verbose_name_plural = "审批步骤"
        ordering = ["request", "order"]
        constraints = [
            models.UniqueConstraint(fields=["request", "order"], name="approval_step_order_unique"),
        ]
        indexes = [models.Index(fields=["decided_by", "request"], name="approval_step_decider_idx")]

    def __str__(self):
        return f"{self.request_id}/{self.order}"

    @property
    def requirement(self):
        if self.requires_scope_authority:
            return "主要负责人或其委托的审批人"
        if self.requires_classification_authority:
            return f"该载体的定密责任人或定密权限{Level(self.min_authority).label}及以上的领导"
        if self.requires_principal:
            return "主要负责人"
        return f"审批权限{Level(self.min_authority).label}及以上的领导"


# ---------------------------------------------------------------------------------- destruction
# SPEC §5 销毁 (batch): the batch is an ApprovalRequest of kind DESTROY; its carriers are the
# RequestItems (the partial unique constraint keeps a carrier out of two open batches). What only a
# destruction has lives in the two models below.


class DestructionMethod(models.TextChoices):
    # REG24 art. 28: to the body set up by the 保密行政管理部门, or self-destruction of small
    # quantities with approved equipment.
    SEND = "send", "送销"
    SHRED = "shred", "碎纸"
    PULVERIZE = "pulverize", "粉碎"
    DEGAUSS = "degauss", "消磁"
    PHYSICAL = "physical", "物理破坏"


class DestructionDetail(models.Model):
    """How, where and by whom a batch is (to be) destroyed; one per destruction request."""

    request = models.OneToOneField(ApprovalRequest, on_delete=models.PROTECT, related_name="destruction")
    method = models.CharField("销毁方式", max_length=16, choices=DestructionMethod.choices)
    place = models.CharField("销毁地点", max_length=200)
    destruction_body = models.CharField("承销单位", max_length=200, blank=True)
    planned_date = models.DateField("计划销毁日期")
    executed_on = models.DateField("销毁日期", null=True, blank=True)
    destroyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="销毁人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    # The person who operated the equipment when they have no account (e.g. staff of the 承销单位).
    destroyed_by_name = models.CharField("销毁人姓名", max_length=100, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="执行登记人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )

    class Meta:
        verbose_name = "销毁批次信息"
        verbose_name_plural = "销毁批次信息"

    def __str__(self):
        return f"{self.request_id} {self.get_method_display()}"


class CurrentWitnessManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(withdrawn_at__isnull=True)


class DestructionWitness(models.Model):
    """A 监销人 designated on a batch; confirmed_at is set when they confirm with their own login."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="witnesses")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="监销人", on_delete=models.PROTECT, related_name="destruction_witnessing",
    )
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="指定人", on_delete=models.PROTECT, related_name="+",
    )
    designated_at = models.DateTimeField("指定时间", auto_now_add=True)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    # Replacing a witness withdraws the designation; the row stays (nothing is deleted).
    withdrawn_at = models.DateTimeField("撤换时间", null=True, blank=True)

    # The default manager (and so request.witnesses) holds current designations only;
    # all_objects keeps the withdrawn ones for the record.
    objects = CurrentWitnessManager()
    all_objects = models.Manager()

    class Meta:
        verbose_name = "监销人"
        verbose_name_plural = "监销人"
        ordering = ["id"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(fields=["request", "user"], condition=models.Q(withdrawn_at__isnull=True),
                                    name="destruction_witness_unique"),
        ]
        indexes = [models.Index(fields=["user", "request"], name="destruction_witness_user_idx")]

    def __str__(self):
        return f"{self.request_id}:{self.user_id}"


KIND_STATE_LABELS.update({
    (RequestKind.COPY, RequestState.COMPLETED): "已复制",
    (RequestKind.CARRY_OUT, RequestState.IN_PROGRESS): "外出中",
    (RequestKind.CARRY_OUT, RequestState.COMPLETED): "已返回",
    (RequestKind.REPAIR, RequestState.IN_PROGRESS): "维修中",
    (RequestKind.REPAIR, RequestState.COMPLETED): "已修复入库",
    (RequestKind.DESTROY, RequestState.APPROVED): "待销毁",
    (RequestKind.DESTROY, RequestState.COMPLETED): "已销毁",
    (RequestKind.RECLASSIFY, RequestState.COMPLETED): "已批准并变更",
    (RequestKind.SCOPE, RequestState.COMPLETED): "已批准并列入",
})


# ---------------------------------------------------------------------------------- circulation
# SPEC §6 传阅: a registrar sends a carrier around an ordered list of readers; the carrier comes
# back to the registry between two readers (不得横传), each reader signs (阅签). The transitions
# are in documents/services_circulation.py; nothing here is ever deleted.


class CirculationState(models.TextChoices):
    OPEN = "open", "传阅中"
    COMPLETED = "completed", "已传阅完毕"
    CANCELLED = "cancelled", "已撤销"


class Circulation(models.Model):
    """One 传阅 of one carrier: its readers are the steps, in order."""

    carrier = models.ForeignKey(Carrier, verbose_name="载体", on_delete=models.PROTECT, related_name="circulations")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.PROTECT, related_name="+",
    )
    state = models.CharField("状态", max_length=12, choices=CirculationState.choices, default=CirculationState.OPEN)
    note = models.TextField("传阅说明", blank=True)
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("撤销时间", null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="撤销人", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    cancel_reason = models.TextField("撤销原因", blank=True)

    class Meta:
        verbose_name = "传阅"
        verbose_name_plural = "传阅"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["carrier"], condition=models.Q(state="open"),
                                    name="one_open_circulation_per_carrier"),
        ]
        indexes = [models.Index(fields=["carrier", "id"], name="circulation_carrier_idx")]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("circulation:detail", kwargs={"pk": self.pk})

    @property
    def reference(self):
        """How custody rows, notices and the 传阅单 cite it."""
        return f"传阅第{self.pk}号"

    @property
    def is_open(self):
        return self.state == CirculationState.OPEN


class CirculationStep(models.Model):
    """One reader of a circulation: handed (送达) → signed (阅签) → returned (交回)."""

    circulation = models.ForeignKey(Circulation, on_delete=models.PROTECT, related_name="steps")
    order = models.PositiveSmallIntegerField("顺序")
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="阅读人", on_delete=models.PROTECT, related_name="circulation_steps",
    )
    # Set when the carrier is handed to the reader: 绝密 3 days, others 7 (SECRECY["CIRCULATION_DAYS"]).
    deadline = models.DateField("阅签期限", null=True, blank=True)
    handed_at = models.DateTimeField("送达时间", null=True, blank=True)
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="送达经手人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField("阅签时间", null=True, blank=True)
    comment = models.TextField("阅签意见", blank=True)
    returned_at = models.DateTimeField("交回时间", null=True, blank=True)
    returned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="交回接收人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "传阅阅读人"
        verbose_name_plural = "传阅阅读人"
        ordering = ["circulation", "order"]
        constraints = [
            models.UniqueConstraint(fields=["circulation", "order"], name="circulation_step_order_unique"),
            models.UniqueConstraint(fields=["circulation", "reader"], name="circulation_step_reader_unique"),
            models.CheckConstraint(condition=models.Q(order__gte=1), name="circulation_step_order_positive"),
        ]
        indexes = [
            models.Index(fields=["reader", "circulation"], name="circulation_step_reader_idx"),
            # The overdue scan: steps out with a reader, by deadline (documents/jobs.py).
            models.Index(fields=["deadline", "id"], name="circulation_step_out_idx",
                         condition=models.Q(handed_at__isnull=False, returned_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.circulation_id}/{self.order}"

    @property
    def is_out(self):
        """The reader holds the carrier now."""
        return self.handed_at is not None and self.returned_at is None


class ReviewDecision(models.TextChoices):
    # A change or early declassification goes through the 密级变更 request (views_requests); the
    # review itself records only the decision to keep level and period as they are.
    KEEP = "keep", "保持"


class CarrierReview(models.Model):
    """每年审核 (SPEC §7): the 定密责任人's yearly decision on one classified carrier. One row per
    carrier and year; rows are never deleted."""

    carrier = models.ForeignKey(Carrier, verbose_name="载体", on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", on_delete=models.PROTECT, related_name="carrier_reviews",
    )
    year = models.PositiveIntegerField("审核年度")
    decision = models.CharField("审核结论", max_length=10, choices=ReviewDecision.choices, default=ReviewDecision.KEEP)
    note = models.CharField("说明", max_length=300, blank=True)
    reviewed_at = models.DateTimeField("审核时间", auto_now_add=True)

    class Meta:
        verbose_name = "定密年度审核"
        verbose_name_plural = "定密年度审核"
        ordering = ["-year", "carrier"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "year"], name="carrier_review_once_a_year"),
        ]

    def __str__(self):
        return f"{self.carrier_id}/{self.year} {self.get_decision_display()}"
