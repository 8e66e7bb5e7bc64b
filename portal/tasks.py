"""Celery tasks of the whole installation (they read more than one app, so they live at the top).

`ping` proves the whole chain works — broker, worker, result backend and the worker's database
connection — so `.ci/run` and an operator can check a deployment with one call.
"""
from celery import shared_task
from django.utils import timezone

from documents.models import Carrier


@shared_task(name="portal.tasks.ping")
def ping(value=None):
    """Echo `value` and report how many carriers the worker sees in the database.

    It counts without any visibility filter on purpose: the number is an operational figure that
    never leaves the worker's reply, and no carrier content is read.
    """
    return {"value": value, "carriers": Carrier.objects.count(), "at": timezone.now().isoformat()}
