"""Project-level Celery tasks.

`ping` proves the whole chain works — broker, worker, result backend and the worker's database
connection — so `.ci/run` and an operator can check a deployment with one call.
"""
from celery import shared_task
from django.apps import apps
from django.utils import timezone


@shared_task(name="secrecy.tasks.ping")
def ping(value=None):
    """Echo `value` and report how many carriers the worker sees in the database.

    It counts without any visibility filter on purpose: the number is an operational figure that
    never leaves the worker's reply, and no carrier content is read.
    """
    # Looked up by name: secrecy/ imports no app (ARCHITECTURE.md).
    carrier_model = apps.get_model("documents", "Carrier")
    return {"value": value, "carriers": carrier_model.objects.count(), "at": timezone.now().isoformat()}
