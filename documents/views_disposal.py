"""The 离库处置 pages: 清退, 归档, 移交 and 报告丢失, one form page per action.

Thin, like views_requests: GET shows the form (or why there is none), POST calls the one service
and puts its refusal next to the field it concerns. The pages exist only for a registrar who
manages the carrier; a carrier the user may not see is a 404, recorded as a denial (SPEC §4, §10).
"""
from dataclasses import dataclass
from typing import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from secrecy.errors import DomainError, NotVisible
from secrecy.levels import Level

from . import policy, services_disposal
from .forms import apply_domain_error
from .forms_disposal import ArchiveForm, ReportLostForm, ReturnToIssuerForm, TransferForm
from .models import CustodyStatus
from .views_common import carrier_or_404


@dataclass(frozen=True)
class Disposal:
    slug: str
    word: str
    heading: str
    form_class: type
    service: Callable
    submit_label: str
    success: str
    notes: tuple


# In the order the carrier page lists them.
DISPOSALS = {d.slug: d for d in (
    Disposal("return", "清退", "清退载体", ReturnToIssuerForm, services_disposal.carrier_return_to_issuer,
             "确认清退", "载体已清退，清退记录已写入流转记录",
             ("清退按照制发机关、单位的要求办理，须登记接收单位和回执号。",
              "清退后载体不再在库，记录永久保留。")),
    Disposal("archive", "归档", "载体归档", ArchiveForm, services_disposal.carrier_archive,
             "确认归档", "载体已归档，档号已写入流转记录",
             ("归档不改变密级和保密期限；须登记档号。",)),
    Disposal("transfer", "移交", "移交载体", TransferForm, services_disposal.carrier_transfer,
             "确认移交", "载体已移交，移交记录已写入流转记录",
             ("移交其他单位须办理登记、签收手续，登记接收单位和移交单号。",)),
    Disposal("lost", "报告丢失", "报告载体丢失", ReportLostForm, services_disposal.carrier_report_lost,
             "确认报告丢失", "已报告载体丢失，保密办已收到通知",
             ("载体将标记为“丢失”，保密办和负责该载体的机要秘书会立即收到通知。",
              "发现涉密载体丢失，须在24小时内向保密行政管理部门和上级主管部门报告。",
              "载体借出、外出携带、传阅或维修中丢失的，相关申请保持原状，待丢失事件处理后另行办结。")),
)}


def disposal_refusal(user, carrier, slug):
    """Why this user is not offered this disposal of this carrier, or None. Decides whether the
    carrier page shows the link and the form page shows a form; the service checks again."""
    if not policy.may_manage(user, carrier):
        return "只有负责该载体管理部门的机要秘书可以办理离库处置"
    status = carrier.custody_status
    if status in services_disposal.FINAL_STATUSES:
        return f"载体已为“{CustodyStatus(status).label}”，不能再办理离库处置"
    word = DISPOSALS[slug].word
    if slug == "lost":
        return services_disposal.lost_refusal(status)
    if status != CustodyStatus.IN_REGISTRY:
        return f"载体当前为“{CustodyStatus(status).label}”，不在库，收回入库后才能{word}"
    for blocker in services_disposal.disposal_blockers():
        reason = blocker(carrier)
        if reason:
            return f"载体{reason}，办结或撤销后才能{word}"
    return None


@login_required
def dispose(request, pk, action):
    disposal = DISPOSALS.get(action)
    carrier = carrier_or_404(request, pk)
    # To anyone but the carrier's registrar these pages do not exist (like 更正登记).
    if disposal is None or not policy.may_manage(request.user, carrier):
        raise Http404()
    refusal = None
    if request.method == "POST":
        form = disposal.form_class(request.POST)
        if form.is_valid():
            try:
                disposal.service(actor=request.user, carrier=carrier, **form.service_data())
            except NotVisible:
                raise Http404("未找到该载体") from None
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, disposal.success)
                return redirect(carrier)
        carrier.refresh_from_db()
    else:
        form = disposal.form_class()
        refusal = disposal_refusal(request.user, carrier, action)
    return render(request, "disposal/form.html", {
        "heading": disposal.heading, "action": action, "carrier": carrier, "carriers": [carrier], "form": form,
        "refusal": refusal, "submit_label": disposal.submit_label, "notes": list(disposal.notes),
        "page_level": carrier.level, "top_secret": carrier.level >= Level.TOP_SECRET,
    })
