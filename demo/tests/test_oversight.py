"""The demo's 保密检查 and 泄密/丢失事件 (demo/oversight.py, SPEC §14): every state a screen can show,
made through the services, and only once."""
import types

from django.utils import timezone

from audits.models import AuditEvent
from oversight.models import (
    ChecklistItem, ChecklistTemplate, Finding, Incident, IncidentCarrier, IncidentState, Inspection, InspectionState,
    Rectification,
)
from demo.oversight import seed_inspections
from notifications.models import Notification


def world():
    """Everything the section may write, to prove a second run changed nothing."""
    return (
        ChecklistTemplate.objects.count(), ChecklistItem.objects.count(),
        list(Inspection.objects.values_list("pk", "state", "closing_note").order_by("pk")),
        list(Finding.objects.values_list("pk", "result", "note").order_by("pk")),
        list(Rectification.objects.values_list("pk", "state", "evidence", "verified_at").order_by("pk")),
        list(Incident.objects.values_list("pk", "state", "level", "upward_reported_at").order_by("pk")),
        IncidentCarrier.objects.count(), Notification.objects.count(), AuditEvent.objects.count(),
    )


def test_demo_section_is_idempotent(unit):
    ctx = types.SimpleNamespace(users=dict(unit), departments={"office": unit.office, "biz1": unit.business},
                                today=timezone.localdate())
    result = seed_inspections(ctx, types.SimpleNamespace(created=0, existing=0))
    assert result.created > 0
    assert Inspection.objects.filter(state=InspectionState.CLOSED).count() == 1
    rectifying = Inspection.objects.get(state=InspectionState.RECTIFYING)
    states = sorted((r.is_settled, r.deadline < ctx.today) for r in rectifying.rectifications.all())
    assert states == [(False, True), (True, False)]
    assert Incident.objects.filter(state=IncidentState.OPEN, report_deadline__lt=timezone.now()).count() == 1
    assert Incident.objects.filter(state=IncidentState.CLOSED).count() == 1
    before = world()
    again = seed_inspections(ctx, types.SimpleNamespace(created=0, existing=0))
    assert again.created == 0 and world() == before
