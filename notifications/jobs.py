"""The job framework: a small registry of periodic jobs (SPEC §7).

A job is one function registered under a name:

    from notifications.jobs import job

    @job("declassify_expired", description="到期自行解密")
    def declassify_expired(*, today, batch_size):
        ...
        return {"declassified": n}

Put it in <app>/jobs.py: NotificationsConfig.ready() imports every installed app's `jobs`
module. The same job then runs three ways, all through run_job() below:
- `python manage.py run_job <name>` (once, now; `--today` simulates another day);
- a static Celery beat entry in settings.CELERY_BEAT_SCHEDULE calling the task
  notifications.tasks.run_job with the name — a handful of entries, never one per object;
- directly from tests.

What every job must be (the registry cannot check it; the tests of each job do):
- **a batched, indexed scan**: read the due rows in keyset batches of `batch_size` over an
  indexed range (e.g. kind/state/due_date, declassify_on), with a fixed number of queries per
  batch (bulk reads, bulk inserts via notifications.services.notify_many), one transaction per
  batch; never one Celery task per object;
- **idempotent**: a second run on the same day creates nothing — give every notice a
  dedupe_key (unique per recipient) and every state change a state check;
- **catching up**: select by the state of the world on `today` ("due_date < today and still
  out"), never by "since the last run", so a job that did not run for ten days does the right
  thing — once — in one run.
"""
import logging
import time
from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable
    description: str = ""
    # The SECRECY setting holding this job's own default batch size, for a job whose batches are
    # set-based statements (a bigger batch is fewer round trips, not more work per row).
    batch_size_setting: str = ""


class UnknownJob(KeyError):
    pass


_registry: dict[str, Job] = {}


def job(name, *, description="", batch_size_setting=""):
    """Register func(*, today, batch_size) -> dict of counts under `name`; batch_size defaults to
    settings.SECRECY[batch_size_setting] when given, else SECRECY["JOB_BATCH_SIZE"]."""

    def register(func):
        known = _registry.get(name)
        if known is not None and known.func is not func:
            raise ImproperlyConfigured(f"job {name!r} is registered twice")
        _registry[name] = Job(name=name, func=func, description=description or (func.__doc__ or "").strip(),
                              batch_size_setting=batch_size_setting)
        return func

    return register


def registered_jobs():
    return [_registry[name] for name in sorted(_registry)]


def get_job(name):
    try:
        return _registry[name]
    except KeyError:
        raise UnknownJob(name) from None


def run_job(name, *, today=None, batch_size=None):
    """Run one job once and return its counts (also logged)."""
    found = get_job(name)
    today = today or timezone.localdate()
    batch_size = batch_size or settings.SECRECY.get(found.batch_size_setting) or settings.SECRECY["JOB_BATCH_SIZE"]
    started = time.monotonic()
    result = found.func(today=today, batch_size=batch_size) or {}
    logger.info("job %s for %s done in %.2f s: %s", name, today, time.monotonic() - started, result)
    return result


def keyset_batches(queryset, order_field, batch_size, fields=()):
    """The scan every job makes: values() rows of `queryset` in batches of `batch_size`, ordered by
    (order_field, id), each batch read after the last row seen — an indexed range read per batch,
    whatever rows the batch before changed."""
    from django.db.models import Q

    last = None
    while True:
        page = queryset
        if last is not None:
            page = page.filter(Q(**{f"{order_field}__gt": last[0]}) | Q(**{order_field: last[0], "id__gt": last[1]}))
        batch = list(page.order_by(order_field, "id").values("id", order_field, *fields)[:batch_size])
        if not batch:
            return
        yield batch
        if len(batch) < batch_size:
            return
        last = (batch[-1][order_field], batch[-1]["id"])


@job("deliver_outbox", description="发送待发邮件（每分钟）")
def deliver_outbox(*, today, batch_size):
    # E-mail batches have their own, smaller size: the rows stay locked while the mail server talks.
    from .services import outbox_deliver

    return outbox_deliver()
