"""The in-app inbox and the e-mail outbox (SPEC §7; ARCHITECTURE.md "Side effects").

Services write notifications and e-mails as rows first, in the caller's transaction; a Celery
task delivers the e-mails afterwards. A broker outage therefore loses nothing: the rows are in the
database and the next periodic delivery run sends them. Nothing here is ever deleted: reading a
notification sets read_at, sending an e-mail sets sent_at.
"""
from django.conf import settings
from django.db import models
from django.utils import timezone

from secrecy.levels import Level


class Notification(models.Model):
    """One message in one user's inbox.

    The text says what happened and where to look (a request's number, a due date), never a
    carrier's title or content: the page it links to does its own access check, and `level`
    carries the level of what it is about so the inbox page's level banner stays right.
    A notice that names a carrier (its 统一编号) records it as its target and is shown in full only
    to a reader who may see that carrier when reading; anyone else reads "涉及载体的通知（无权查看详情）".
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.PROTECT, related_name="notifications",
    )
    # What kind of message this is ("loan_overdue", "carry_overdue", ...): free text so that later
    # work can add kinds without a migration.
    kind = models.CharField("类型", max_length=40)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    # A path inside the system (e.g. /approvals/12/), never an outside URL.
    link = models.CharField("链接", max_length=300, blank=True)
    # The one object the notice names (a carrier by its 统一编号), if any: the inbox shows the
    # notice's text only to a reader who may see that object when reading (notifications.targets).
    target_type = models.ForeignKey("contenttypes.ContentType", verbose_name="对象类型", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    target_id = models.PositiveBigIntegerField("对象编号", null=True, blank=True)
    level = models.PositiveSmallIntegerField("密级", choices=Level.choices, null=True, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    # Empty for one-off messages. A job sets it (e.g. "loan_overdue:12:2026-03-05") so a second run
    # finds the row and creates nothing; unique per recipient.
    dedupe_key = models.CharField("去重键", max_length=120, blank=True, default="")

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], condition=~models.Q(dedupe_key=""),
                name="notification_dedupe_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(level__isnull=True) | models.Q(level__gte=1, level__lte=4),
                name="notification_level_valid",
            ),
        ]
        indexes = [
            # The inbox: one user's rows newest first (keyset pagination on id).
            models.Index(fields=["recipient", "id"], name="notification_inbox_idx"),
            # The unread badge on every page: only unread rows are in this partial index.
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True),
                         name="notification_unread_idx"),
            # Job deduplication looks rows up by key (the unique index leads with recipient).
            models.Index(fields=["dedupe_key"], condition=~models.Q(dedupe_key=""),
                         name="notification_dedupe_idx"),
        ]

    def __str__(self):
        # Shown in the audit log, which the auditor reads without access to carrier content:
        # the number only, never the title.
        return f"通知 #{self.pk}"

    @property
    def is_read(self):
        return self.read_at is not None


class OutboxEmail(models.Model):
    """One e-mail waiting to be sent, or sent. Delivered by notifications.tasks.deliver_outbox."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    # The address at the time the mail was queued (the account's address may change later).
    to_address = models.EmailField("收件地址", max_length=254)
    subject = models.CharField("主题", max_length=200)
    body = models.TextField("正文")
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    # A failed attempt pushes this back (backoff); a new row is due at once.
    next_attempt_at = models.DateTimeField("下次尝试时间", default=timezone.now)
    dedupe_key = models.CharField("去重键", max_length=120, blank=True, default="")

    class Meta:
        verbose_name = "待发邮件"
        verbose_name_plural = "待发邮件"
        ordering = ["id"]
        constraints = [
            # An address receives a given message once, however often the job that queued it runs.
            models.UniqueConstraint(
                fields=["to_address", "dedupe_key"], condition=~models.Q(dedupe_key=""),
                name="outbox_dedupe_unique",
            ),
        ]
        indexes = [
            # The delivery scan: unsent rows that are due, oldest first; sent rows (almost all of
            # them, over the years) are not in the index.
            models.Index(fields=["next_attempt_at", "id"], condition=models.Q(sent_at__isnull=True),
                         name="outbox_pending_idx"),
        ]

    def __str__(self):
        return f"邮件 #{self.pk}"
