"""The 离库处置 panel of the carrier page (清退 / 归档 / 移交 / 报告丢失).

A tag, like request_tags.request_buttons, so the disposal pages plug into the carrier page without
the carrier view knowing about them. Only the registrar who manages the carrier sees the panel;
each link appears when views_disposal.disposal_refusal has nothing against it, otherwise the
reason is shown instead.
"""
from django import template
from django.urls import reverse

from .. import policy
from ..services_disposal import FINAL_STATUSES
from ..views_disposal import DISPOSALS, disposal_refusal

register = template.Library()


@register.inclusion_tag("disposal/_panel.html", takes_context=True)
def disposal_panel(context, carrier):
    user = context["request"].user
    if not policy.may_manage(user, carrier) or carrier.custody_status in FINAL_STATUSES:
        return {"show": False}
    links, refusals = [], []
    for slug, disposal in DISPOSALS.items():
        refusal = disposal_refusal(user, carrier, slug)
        if refusal is None:
            links.append({"slug": slug, "label": disposal.word,
                          "url": reverse("disposal:dispose", args=[carrier.pk, slug])})
        elif refusal not in refusals:
            refusals.append(refusal)
    return {"show": True, "carrier": carrier, "links": links, "refusals": refusals}
