"""The worker's side of a register job (SPEC §11: large registers render in the worker, never
in the request)."""
import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audits.models import AuditResult
from audits.services import record_event
from secrecy.errors import DomainError

from .models import RegisterJob, RegisterJobStatus
from .producing import audit_event, record_produced, render_file

logger = logging.getLogger(__name__)

# Rendered files live under MEDIA_ROOT/registers/, served only through the job's view.
JOB_DIR = "registers"


def set_progress(job_id, fraction):
    RegisterJob.objects.filter(pk=job_id, status=RegisterJobStatus.RUNNING).update(
        progress=max(0, min(99, int(fraction * 100))))


def register_job_run(*, job_id):
    """Render a queued job (called by the worker). Idempotent: a finished job is left alone, and
    if two deliveries of the same job race, only the first to finish records the file and its
    audit event; the other's file is discarded."""
    with transaction.atomic():
        job = RegisterJob.objects.select_for_update().select_related("requested_by").filter(pk=job_id).first()
        if job is None or job.is_finished:
            return job
        job.status = RegisterJobStatus.RUNNING
        job.started_at = timezone.now()
        job.progress = 0
        job.save(update_fields=["status", "started_at", "progress"])

    last = {"percent": -1}

    def progress(fraction):
        percent = int(fraction * 100)
        # A write per 5 % keeps the job page moving without hammering the database.
        if percent >= last["percent"] + 5:
            last["percent"] = percent
            set_progress(job_id, fraction)

    path = None
    try:
        produced = render_file(user=job.requested_by, name=job.register, file_format=job.file_format,
                           filters=job.filters, progress=progress)
        relative = f"{JOB_DIR}/{job.pk}-{secrets.token_hex(8)}.{job.file_format}"
        path = Path(settings.MEDIA_ROOT) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(produced.content)
        with transaction.atomic():
            job = RegisterJob.objects.select_for_update().get(pk=job_id)
            if job.is_finished:
                path.unlink(missing_ok=True)
                return job
            record_produced(user=job.requested_by, name=job.register, file_format=job.file_format,
                             produced=produced, job=job)
            job.status = RegisterJobStatus.DONE
            job.progress = 100
            job.rows = produced.rows
            job.level = produced.level
            job.file_path = relative
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "progress", "rows", "level", "file_path", "finished_at"])
        return job
    except Exception as error:  # the job page must show the failure instead of spinning forever
        logger.exception("register job %s failed", job_id)
        if path is not None:
            path.unlink(missing_ok=True)
        if isinstance(error, DomainError):
            message = error.message
        else:
            # The page is read by whoever printed, not by an engineer: the traceback is in the log.
            message = (f"生成时发生内部错误（{type(error).__name__}），请重新生成；"
                       "如再次失败，请联系系统管理员。")
        with transaction.atomic():
            job = RegisterJob.objects.select_for_update().get(pk=job_id)
            if not job.is_finished:
                job.status = RegisterJobStatus.FAILED
                job.error = str(message)[:1000]
                job.finished_at = timezone.now()
                job.save(update_fields=["status", "error", "finished_at"])
                record_event(actor=job.requested_by, event=audit_event(job.register, job.file_format),
                             target=job, result=AuditResult.FAILED,
                             detail={"register": job.register, "format": job.file_format,
                                     "filters": job.filters, "job": job.pk, "error": job.error[:200]})
        return job
