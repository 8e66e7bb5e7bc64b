from django.conf import settings
from django.db import models
from django.urls import reverse
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from personnel.models import Department
from secrecy.levels import (
    Level, PeriodKind, PeriodUnit, Urgency, format_copy_number, format_mark, format_period,
)

from .search import normalize_doc_number


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
    # The 文号 as the search box compares it (documents.search.normalize_doc_number): 〔〕[]（）…
    # all one bracket, full-width letters and digits half-width, lower case, no spaces. Kept in
    # step by save() whenever doc_number is written (registration, correction, a copy), so a
    # search compares one indexed column instead of normalising every row (issue 14 §2).
    doc_number_norm = models.CharField("文号（检索）", max_length=300, blank=True, editable=False)
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
        "approvals.ApprovalRequest", verbose_name="复制审批", null=True, blank=True, on_delete=models.PROTECT,
        related_name="copies_produced",
    )
    copy_stamp = models.CharField("复制戳记", max_length=200, blank=True)

    registered_at = models.DateTimeField("登记时间", auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+",
    )

    # doc_number_norm is derived from doc_number: the history shows the 文号 itself, once.
    history = HistoricalRecords(excluded_fields=["registered_at", "doc_number_norm"])

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
            # The search box's serial tail ("313", "000313" → 2026-000313, any year).
            models.Index(fields=["serial_number"], name="carrier_serial_number_idx"),
        ]

    def __str__(self):
        return f"{self.serial} {self.title}"

    def save(self, *args, **kwargs):
        self.doc_number_norm = normalize_doc_number(self.doc_number)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "doc_number" in update_fields:
            kwargs["update_fields"] = {*update_fields, "doc_number_norm"}
        super().save(*args, **kwargs)

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
