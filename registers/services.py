"""Printing registers, in the request or as a job for the worker (SPEC §11), for every register
any app declares (registers.registry). Every print and export is audited (SPEC §10)."""
import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audits.models import AuditResult
from audits.services import record_event
from documents.filters import describe_filters, normalize_filters
from documents.policy import may_print_registers
from secrecy.errors import NotVisible, PolicyDenied

from .models import RegisterFormat, RegisterJob, RegisterJobStatus
from .producing import (
    CONTENT_TYPES, SHANGHAI, audit_event, check_format, check_may_print, record_produced, render_file,
)
from .registry import REGISTERS, get_spec, title_of
from .tasks import render_register_job

logger = logging.getLogger(__name__)


def describe_register_filters(name, filters):
    """筛选条件 of a named register (its date range may be on another date than 收发文日期)."""
    spec = REGISTERS.get(name)
    return describe_filters(filters, date_label=spec.date_label if spec else "收发文日期")


def register_row_count(*, user, name, filters=None, cap=None):
    """How many rows the user's register would hold, counting at most cap + 1."""
    spec = get_spec(name)
    check_may_print(user, spec)
    return spec.count(user=user, filters=normalize_filters(filters, spec.params), cap=cap)


# ------------------------------------------------------------------------------- producing


def register_produce(*, user, name, fmt, filters=None):
    """Print (PDF) or export (XLSX) a register in the caller's process: (filename, bytes, content type).

    The file is handed out only after its audit event is committed: if the event cannot be
    written, nothing is returned. One call, one event.
    """
    produced = render_file(user=user, name=name, file_format=fmt, filters=filters)
    with transaction.atomic():
        record_produced(user=user, name=name, file_format=fmt, produced=produced)
    return produced.filename, produced.content, produced.content_type


# ------------------------------------------------------------------------------------ jobs


@transaction.atomic
def register_job_create(*, user, name, fmt, filters=None):
    """Queue a register for the worker (SPEC §11: large registers never render in the request)."""
    spec = get_spec(name)
    check_may_print(user, spec)
    file_format = check_format(fmt)
    job = RegisterJob.objects.create(
        requested_by=user, register=spec.name, file_format=file_format,
        filters=normalize_filters(filters, spec.params),
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id):
    """Hand the job to the worker. If the broker cannot take it, the job is marked failed so
    its page says so instead of waiting forever (the request that queued it still succeeds)."""
    try:
        render_register_job.delay(job_id)
    except Exception:
        logger.exception("register job %s could not be queued", job_id)
        RegisterJob.objects.filter(pk=job_id, status=RegisterJobStatus.QUEUED).update(
            status=RegisterJobStatus.FAILED, error="无法提交后台任务，请稍后重试或联系系统管理员",
            finished_at=timezone.now())


def register_job_get_for_user(*, user, pk):
    """The job if this user asked for it; anyone else gets NotVisible (answered as 404)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotVisible() from None
    job = RegisterJob.objects.filter(pk=pk, requested_by=user).first()
    if job is None:
        raise NotVisible()
    try:
        check_may_print(user, REGISTERS.get(job.register))
    except PolicyDenied:
        raise NotVisible() from None
    return job


def register_job_fail_if_stale(*, job, now=None):
    """A job still queued or running REGISTER_JOB_TIMEOUT_MINUTES after it was asked for is marked
    failed, with the reason on its page and an audit event (result failed), as a job that failed
    in the worker. Run when its page is polled: a worker that died mid-job or a task lost by the
    broker would otherwise leave the page refreshing forever. If the worker finishes after all,
    register_job_run finds the job finished and discards its file."""
    minutes = settings.SECRECY["REGISTER_JOB_TIMEOUT_MINUTES"]
    now = now or timezone.now()
    if job.is_finished or job.created_at > now - dt.timedelta(minutes=minutes):
        return job
    with transaction.atomic():
        job = RegisterJob.objects.select_for_update().select_related("requested_by").get(pk=job.pk)
        if job.is_finished:
            return job
        job.status = RegisterJobStatus.FAILED
        job.error = f"生成超时：超过 {minutes} 分钟仍未完成，已停止等待。请重新生成；如多次超时，请联系系统管理员。"
        job.finished_at = now
        job.save(update_fields=["status", "error", "finished_at"])
        record_event(actor=job.requested_by, event=audit_event(job.register, job.file_format),
                     target=job, result=AuditResult.FAILED,
                     detail={"register": job.register, "format": job.file_format, "filters": job.filters,
                             "job": job.pk, "error": "timeout"})
    return job


def register_jobs_of(*, user, limit=10):
    if not may_print_registers(user):
        return RegisterJob.objects.none()
    return RegisterJob.objects.filter(requested_by=user).order_by("-id")[:limit]


def job_file_path(job):
    return Path(settings.MEDIA_ROOT) / job.file_path


def jobfile_name(job):
    title = title_of(job.register)
    at = job.finished_at or job.created_at
    return f"{title}_{timezone.localtime(at, SHANGHAI):%Y%m%d-%H%M}.{job.file_format}"


def register_job_file(*, user, pk):
    """(path, filename, content type) of a finished job's file, for its requester only."""
    job = register_job_get_for_user(user=user, pk=pk)
    path = job_file_path(job) if job.file_path else None
    if job.status != RegisterJobStatus.DONE or path is None or not path.is_file():
        raise NotVisible()
    return path, jobfile_name(job), CONTENT_TYPES[RegisterFormat(job.file_format)]
