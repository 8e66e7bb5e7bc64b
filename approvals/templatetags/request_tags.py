"""The 申请复制 / 申请外出携带 / 申请维修 / 申请密级变更 buttons of the carrier page, and the kind-specific words of
the hand-out and take-back buttons.

A tag, like approval_tags.loan_panel, so the request pages plug into the carrier page without the
carrier view knowing about them; policy decides whether each button appears (views_requests.
ask_refusal), and the service decides again when the form is sent.
"""
from django import template
from django.urls import reverse
from django.utils.http import urlencode

from ..models import RequestKind
from ..selectors import carrier_open_requests
from ..views_requests import ask_refusal
from ..workflows import action_label

register = template.Library()

# (kind, button text, url name, element id), in the order the page shows them.
REQUEST_BUTTONS = (
    (RequestKind.COPY, "申请复制（摘抄）", "approvals:copy_request", "ask-copy"),
    (RequestKind.CARRY_OUT, "申请外出携带", "approvals:carry_request", "ask-carry"),
    (RequestKind.REPAIR, "申请维修", "approvals:repair_request", "ask-repair"),
    (RequestKind.RECLASSIFY, "申请密级变更/解密", "approvals:reclassify_request", "ask-reclassify"),
    (RequestKind.SCOPE, "申请扩大知悉范围", "approvals:scope_request", "ask-scope"),
)


@register.inclusion_tag("approvals/_request_buttons.html", takes_context=True)
def request_buttons(context, carrier):
    user = context["request"].user
    open_kinds = {r.kind for r in carrier_open_requests(carrier=carrier)}
    buttons = [
        {"kind": kind, "label": label, "url": reverse(url_name, args=[carrier.pk]), "id": element_id}
        for kind, label, url_name, element_id in REQUEST_BUTTONS
        if ask_refusal(user, carrier, kind, open_kinds) is None
    ]
    # Whoever may copy this carrier may also compile it with others; the 汇编 page starts with it.
    may_compile = any(button["kind"] == RequestKind.COPY for button in buttons)
    return {"carrier": carrier, "buttons": buttons, "may_compile": may_compile,
            "compile_url": f"{reverse('approvals:compile_request')}?{urlencode({'serials': carrier.serial})}"}


@register.filter
def action_word(kind, action):
    """{{ r.kind|action_word:"check_out" }} → 借出 / 携带外出 / 送修."""
    return action_label(action, kind)
