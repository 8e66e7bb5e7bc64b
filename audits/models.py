"""The append-only audit log (SPEC §10).

Rows are only ever inserted, by audits.services.record_event, inside the caller's transaction.
Each row carries a gapless sequence number and the hash of the previous row, assigned while the
single AuditHead row is locked, so concurrent writers cannot fork the chain.
"""
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from secrecy.levels import Level


class AuditResult(models.TextChoices):
    OK = "ok", "成功"
    DENIED = "denied", "拒绝"
    FAILED = "failed", "失败"


class AuditHead(models.Model):
    """One row: the last sequence number and hash, locked by every writer."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # The algorithm of the last event (audits.chain): "sha256" until the first keyed event of an
    # upgraded chain is written, which is preceded by the audit.chain_keyed marker.
    last_alg = models.CharField(max_length=16, default="sha256")

    class Meta:
        verbose_name = "审计链头"


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk update/delete skip Model.save()/delete(); refuse them here too."""

    def update(self, **kwargs):
        raise RuntimeError("审计事件只能追加，不能修改")

    def delete(self):
        raise RuntimeError("审计事件不能删除")

    def bulk_update(self, objs, fields, batch_size=None):
        raise RuntimeError("审计事件只能追加，不能修改")


class AuditEvent(models.Model):
    seq = models.BigIntegerField("序号", unique=True)
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    # Kept as text too, so the log still reads right if an account is renamed.
    actor_username = models.CharField("操作人账号", max_length=150, blank=True)
    action = models.CharField("动作", max_length=64, db_index=True)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target_id = models.BigIntegerField(null=True, blank=True)
    target_repr = models.CharField("对象", max_length=300, blank=True)
    level = models.PositiveSmallIntegerField("密级", choices=Level.choices, null=True, blank=True)
    result = models.CharField("结果", max_length=10, choices=AuditResult.choices, default=AuditResult.OK)
    source_ip = models.GenericIPAddressField("来源IP", null=True, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # How `hash` was computed (audits.chain): "sha256" for the unkeyed rows written before issue 11
    # (the default fills them in the migration), "hmac-sm3" / "hmac-sha256" for keyed ones.
    alg = models.CharField("哈希算法", max_length=16, default="sha256")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "seq"], name="audit_target_idx"),
            models.Index(fields=["actor", "seq"], name="audit_actor_idx"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        # Guard against accidental rewrites; the database triggers (PostgreSQL: issue 6, SQLite:
        # issue 11) are the real wall.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("审计事件只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("审计事件不能删除")
