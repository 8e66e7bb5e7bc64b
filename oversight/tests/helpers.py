"""Shared by the inspection and incident tests: who is not 保密办, a snapshot of everything the
services may write (to prove a refusal changed nothing) and a quick incident report."""
import datetime as dt

from django.utils import timezone

from audits.models import AuditEvent
from notifications.models import Notification
from oversight.models import (
    SHANGHAI, ChecklistItem, ChecklistTemplate, Finding, Incident, IncidentCarrier, IncidentKind, Inspection,
    Rectification,
)
from oversight.services import incidents
from secrecy.levels import Level

ADMINS = ["sysadmin", "secadmin", "auditor"]
NOT_OFFICE = ["lisi", "zhangsan", "mishu", "zhuren"] + ADMINS


def world():
    """Everything these services may write, to prove a refusal changed nothing."""
    return (
        ChecklistTemplate.objects.count(), ChecklistItem.objects.count(),
        list(Inspection.objects.values_list("pk", "state", "closing_note").order_by("pk")),
        list(Finding.objects.values_list("pk", "result", "note").order_by("pk")),
        list(Rectification.objects.values_list("pk", "state", "evidence", "verified_at").order_by("pk")),
        list(Incident.objects.values_list("pk", "state", "level", "upward_reported_at").order_by("pk")),
        IncidentCarrier.objects.count(), Notification.objects.count(), AuditEvent.objects.count(),
    )


def earlier_today(hours=1):
    """A discovery time `hours` ago but never before today's 00:00 in Beijing: the same-day rule
    (丢失 incidents of one day are one event) is a Beijing day, and an hour ago is yesterday there
    between 00:00 and 01:00."""
    now = timezone.now()
    midnight = dt.datetime.combine(now.astimezone(SHANGHAI).date(), dt.time(), tzinfo=SHANGHAI)
    return max(now - dt.timedelta(hours=hours), midnight)


def report(unit, actor=None, hours_ago=2, **overrides):
    data = dict(kind=IncidentKind.LOSS, level=Level.SECRET, place="业务一处 306 室",
                discovered_at=timezone.now() - dt.timedelta(hours=hours_ago),
                description="整理文件时发现一份机密级文件不在文件夹内", measures="封存文件柜")
    data.update(overrides)
    return incidents.incident_report(actor=actor or unit.zhangsan, **data)
