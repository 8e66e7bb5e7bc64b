"""The 借阅 panel of the carrier page: the request form when the user may ask, and the carrier's
open request when the user is its requester or a registrar serving the carrier.

A tag rather than carrier-view context so the approvals slice plugs into the carrier page without
the carrier view knowing about it; policy still decides (the form appears only when allowed).
"""
from django import template
from django.utils import timezone

from documents.policy import may_manage
from secrecy.levels import Level

from ..forms import LoanRequestForm
from ..models import RequestKind
from ..policy import loan_request_refusal
from ..selectors import carrier_open_requests

register = template.Library()


@register.inclusion_tag("approvals/_carrier_panel.html", takes_context=True)
def loan_panel(context, carrier):
    user = context["request"].user
    manages = may_manage(user, carrier)
    open_requests = [
        r for r in carrier_open_requests(carrier=carrier) if r.requester_id == user.pk or manages
    ]
    open_loan = any(r.kind == RequestKind.LEND for r in carrier_open_requests(carrier=carrier))
    may_ask = not open_loan and loan_request_refusal(user, carrier) is None
    return {
        "carrier": carrier,
        "may_ask": may_ask,
        "form": LoanRequestForm(initial={"due_date": timezone.localdate()}) if may_ask else None,
        "top_secret": carrier.level >= Level.TOP_SECRET,
        "open_requests": open_requests,
        "csrf_token": context.get("csrf_token"),
    }
