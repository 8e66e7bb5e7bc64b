"""Thin Celery tasks for registers: take ids, call a service, idempotent (ARCHITECTURE.md)."""
from celery import shared_task

from .services_render import register_job_run


# The job row holds the outcome, so no result is stored; acks_late lets a job whose worker died
# be delivered again (register_job_run is idempotent). The name predates this app: jobs queued
# before an upgrade are still delivered to it.
@shared_task(name="documents.render_register_job", acks_late=True, ignore_result=True)
def render_register_job(job_id):
    """Render a queued register (SPEC §11: large registers render in the worker, never in the
    request). Running it twice for the same job produces one file and one audit event."""
    job = register_job_run(job_id=job_id)
    return job.status if job is not None else None
