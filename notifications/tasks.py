"""Thin Celery tasks: the outbox delivery and the one entry point of every periodic job.

Both are idempotent, so a message delivered twice (acks_late after a worker died, a beat entry
and a manual run at once) does no harm. Results are not stored: the rows are the outcome.
"""
from celery import shared_task


@shared_task(name="notifications.tasks.deliver_outbox", ignore_result=True)
def deliver_outbox(ids=None):
    """Send due outbox e-mails (all of them, or only `ids`); each is sent once."""
    from .services import outbox_deliver

    return outbox_deliver(ids=ids)


@shared_task(name="notifications.tasks.run_job", ignore_result=True, acks_late=True)
def run_job(name, today=None):
    """Run one registered job (beat entries in settings.CELERY_BEAT_SCHEDULE call this).
    `today` (ISO date) is for operators replaying a day; beat leaves it empty."""
    import datetime as dt

    from .jobs import run_job as run

    return run(name, today=dt.date.fromisoformat(today) if today else None)
