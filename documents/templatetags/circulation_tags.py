"""The 传阅 panel of the carrier page: the carrier's circulations the user may open, the readers of
the open one, and the 发起传阅 button for a registrar who manages an 在库 carrier.

A tag, like approval_tags.loan_panel, so the circulation slice plugs into the carrier page without
the carrier view knowing about it; the service decides again when the form is sent.
"""
from django import template
from django.utils import timezone

from ..hooks import open_work_holding
from ..models import CirculationState, CustodyStatus
from ..policy import may_manage
from ..selectors_circulation import carrier_circulations, circulation_steps

register = template.Library()

SHOWN = 5


@register.inclusion_tag("circulation/_carrier_panel.html", takes_context=True)
def circulation_panel(context, carrier):
    user = context["request"].user
    circulations = carrier_circulations(user=user, carrier=carrier)
    open_one = next((c for c in circulations if c.state == CirculationState.OPEN), None)
    may_start = (
        open_one is None and carrier.custody_status == CustodyStatus.IN_REGISTRY and may_manage(user, carrier)
        and open_work_holding(carrier) is None
    )
    return {
        "carrier": carrier, "circulations": circulations[:SHOWN], "may_start": may_start,
        "open_steps": circulation_steps(open_one) if open_one else [], "today": timezone.localdate(),
    }
