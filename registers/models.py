from django.conf import settings
from django.db import models

from secrecy.levels import Level


class RegisterFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"


class RegisterJobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class FileRemoval(models.TextChoices):
    DOWNLOADED = "downloaded", "已下载"
    EXPIRED = "expired", "超过保存时限"


class RegisterJob(models.Model):
    """A register too large to render in a web request, rendered by the Celery worker (SPEC §11).

    Only the requester may see the job or fetch its file; the file lives under
    MEDIA_ROOT/registers/ and is never served by URL directly, only through the job's view. The file
    holds classified text, so it leaves the server once downloaded or SECRECY["RENDER_TTL_HOURS"]
    after it was made (issue 14 §7; registers.services_files); the job row stays, marked.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="register_jobs",
    )
    register = models.CharField("登记簿", max_length=30)
    file_format = models.CharField("格式", max_length=8, choices=RegisterFormat.choices)
    filters = models.JSONField("筛选条件", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=RegisterJobStatus.choices,
                              default=RegisterJobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    rows = models.PositiveIntegerField("条数", null=True, blank=True)
    # The highest level in the produced file (the job page shows it in its banner).
    level = models.PositiveSmallIntegerField("最高密级", choices=Level.choices, null=True, blank=True)
    file_path = models.CharField("文件", max_length=255, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    file_removed_at = models.DateTimeField("文件删除时间", null=True, blank=True)
    file_removed_reason = models.CharField("文件删除原因", max_length=12, choices=FileRemoval.choices, blank=True)

    class Meta:
        # The table documents created before registers had an app of their own: kept, never
        # recreated, so jobs and the audit events pointing at them survive the move.
        db_table = "documents_registerjob"
        verbose_name = "登记簿生成任务"
        verbose_name_plural = "登记簿生成任务"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="register_job_progress_range"),
        ]
        indexes = [
            models.Index(fields=["requested_by", "id"], name="register_job_requester_idx"),
            # The purge job's range: finished files still on disk, oldest first.
            models.Index(fields=["finished_at", "id"], name="register_job_file_kept_idx",
                         condition=models.Q(status="done", file_removed_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.register}.{self.file_format} #{self.pk}"

    @property
    def file_kept(self):
        """A finished file still on the server (neither downloaded nor expired)."""
        return self.status == RegisterJobStatus.DONE and bool(self.file_path) and self.file_removed_at is None

    @property
    def is_finished(self):
        return self.status in (RegisterJobStatus.DONE, RegisterJobStatus.FAILED)
