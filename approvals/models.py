"""Requests and their steps (SPEC §5): one request shape for every workflow that needs approval.

The tables were created by the documents app and keep their names (db_table): the models moved
here without a row being copied (approvals/migrations/0001_initial.py).
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from secrecy.levels import Level, PeriodKind, PeriodUnit

# ------------------------------------------------------------------------------------ approvals
# One request shape for every workflow that needs approval (SPEC §5). The transition table of
# each kind is in approvals/kinds/<kind>.py.


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
    # 领取签收: the copies handed to the requester by the registrar (issue 14 §3). Set once; a
    # second hand-over is refused (the copies are no longer in the registry).
    copies_collected_at = models.DateTimeField("复制件领取时间", null=True, blank=True)
    copies_handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="复制件发放经手人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )

    # 外出携带 (carry out); due_date above is the date it is due back.
    destination = models.CharField("前往地点", max_length=200, blank=True)
    depart_date = models.DateField("外出日期", null=True, blank=True)
    abroad = models.BooleanField("出境", default=False)
    # REG24 art. 27(8): carrying abroad needs its own approval; the decider ticks it explicitly.
    abroad_approved = models.BooleanField("已批准出境", default=False)
    companions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="同行人员", blank=True, related_name="carry_companion_of",
        db_table="documents_approvalrequest_companions",
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
        db_table = "documents_approvalrequest"
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
    carrier = models.ForeignKey("documents.Carrier", verbose_name="载体", on_delete=models.PROTECT, related_name="request_items")
    kind = models.CharField("申请类型", max_length=16, choices=RequestKind.choices)
    is_open = models.BooleanField("未办结", default=True)

    class Meta:
        db_table = "documents_requestitem"
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
        db_table = "documents_approvalstep"
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


class Destroyer(models.TextChoices):
    PERSON = "person", "本单位人员"
    OPERATOR = "operator", "承销单位操作人员"


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
    # The 销毁人's name as recorded: the picked person's name, or — 送销 only — the 承销单位's
    # operator, who has no account here. Rows recorded before destroyer existed keep their text.
    destroyed_by_name = models.CharField("销毁人姓名", max_length=100, blank=True)
    destroyer = models.CharField("销毁人类型", max_length=8, choices=Destroyer.choices, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="执行登记人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )

    class Meta:
        db_table = "documents_destructiondetail"
        verbose_name = "销毁批次信息"
        verbose_name_plural = "销毁批次信息"
        constraints = [
            # A 销毁人 is a person of the unit, or the 承销单位's operator named with the unit; a
            # blank destroyer is a batch not yet executed or a row recorded before the distinction.
            models.CheckConstraint(
                condition=(Q(destroyer="") | Q(destroyer="person", destroyed_by__isnull=False)
                           | (Q(destroyer="operator", destroyed_by__isnull=True) & ~Q(destroyed_by_name=""))),
                name="destruction_destroyer_person_or_operator"),
        ]

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
        db_table = "documents_destructionwitness"
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

