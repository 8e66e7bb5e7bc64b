"""Rendered register files leave the server (issue 14 §7). A job's PDF or XLSX holds the same
classified text as the carriers it lists, so the server keeps it only until its requester has it:
fetching it removes it, and one nobody fetched is removed SECRECY["RENDER_TTL_HOURS"] after it was
made by the hourly job (registers.jobs). The job row stays with when and why its file went
(nothing is deleted from the database); its page says the register may be rendered again.

Renders never pass through any other file: PDF and XLSX are built in memory (registers.pdf,
registers.xlsx — the XLSX stream's temporary file is closed by save()), the inline download is
answered from memory, and the worker writes only MEDIA_ROOT/registers/<job>-<random>.<format>.
"""
import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audits.services import record_event
from secrecy.errors import NotVisible

from . import events
from .models import FileRemoval, RegisterFormat, RegisterJob, RegisterJobStatus
from .producing import CONTENT_TYPES
from .services import job_file_path, jobfile_name, register_job_get_for_user
from .services_render import JOB_DIR

logger = logging.getLogger(__name__)


def _remove(job, *, reason, now):
    """Mark the job's file removed and unlink it, as the last step of the caller's transaction:
    a refusal before this changes nothing, and a row saying "removed" never points at a file
    still there for long (the purge's sweep takes any file no kept job names)."""
    path = job_file_path(job)
    job.file_removed_at = now
    job.file_removed_reason = reason
    job.save(update_fields=["file_removed_at", "file_removed_reason"])
    path.unlink(missing_ok=True)


@transaction.atomic
def register_job_download(*, user, pk):
    """The requester fetches a finished job's file, once: (open file, file name, content type).
    The download is audited (SPEC §10: prints and exports are audited actions) and the file leaves
    the disk; the handle opened first keeps its content readable for the response. Anyone else,
    or a file already removed, gets NotVisible (404)."""
    job = register_job_get_for_user(user=user, pk=pk)
    job = RegisterJob.objects.select_for_update().get(pk=job.pk)
    path = job_file_path(job) if job.file_kept else None
    if path is None or not path.is_file():
        raise NotVisible()
    handle = path.open("rb")
    try:
        record_event(actor=user, event=events.DOWNLOAD, target=job, level=job.level, detail={
            "register": job.register, "format": job.file_format, "filters": job.filters, "job": job.pk,
            "rows": job.rows})
        _remove(job, reason=FileRemoval.DOWNLOADED, now=timezone.now())
    except BaseException:
        handle.close()
        raise
    return handle, jobfile_name(job), CONTENT_TYPES[RegisterFormat(job.file_format)]


def _expired_batch(cutoff, batch_size):
    return list(RegisterJob.objects.select_for_update()
                .filter(status=RegisterJobStatus.DONE, file_removed_at__isnull=True, finished_at__lt=cutoff)
                .order_by("finished_at", "id")[:batch_size])


def _sweep_orphans(cutoff):
    """Files under MEDIA_ROOT/registers/ that no kept job names and older than the TTL: a worker
    killed between writing its file and recording it, or a removal whose unlink did not happen."""
    folder = Path(settings.MEDIA_ROOT) / JOB_DIR
    if not folder.is_dir():
        return 0
    kept = {Path(p).name for p in RegisterJob.objects.filter(
        status=RegisterJobStatus.DONE, file_removed_at__isnull=True).exclude(file_path="")
        .values_list("file_path", flat=True)}
    removed = 0
    for path in folder.iterdir():
        if not path.is_file() or path.name in kept:
            continue
        if dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC) >= cutoff:
            continue  # possibly a job being recorded right now
        path.unlink(missing_ok=True)
        logger.warning("removed register file %s that no job kept", path.name)
        removed += 1
    return removed


def register_files_purge(*, now=None, batch_size=200):
    """Remove every kept file made more than RENDER_TTL_HOURS ago, one audited removal per job,
    in batches of one transaction each; then sweep files no job keeps. Idempotent: a removed file
    is marked, so a second run finds nothing; a missed run is caught up by the next."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.SECRECY["RENDER_TTL_HOURS"])
    removed = 0
    while True:
        with transaction.atomic():
            batch = _expired_batch(cutoff, batch_size)
            for job in batch:
                record_event(actor=None, event=events.FILE_REMOVE, target=job, level=job.level, detail={
                    "register": job.register, "format": job.file_format, "job": job.pk,
                    "reason": FileRemoval.EXPIRED.value, "ttl_hours": settings.SECRECY["RENDER_TTL_HOURS"]})
                _remove(job, reason=FileRemoval.EXPIRED, now=now)
        removed += len(batch)
        if len(batch) < batch_size:
            break
    return {"removed": removed, "orphans": _sweep_orphans(cutoff)}
