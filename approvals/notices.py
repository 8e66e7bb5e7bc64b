"""The requester's notices about their own request (issue 14 §3: nobody waits unknowingly):
approved, rejected, ready to collect, collected.

A notice names the request (its number and kind), never a carrier: the requester may have left
the carrier's 知悉范围 since asking, and a notice is read later than it is written (SPEC §4:
notices name a carrier only to people who may see it when the notice is read). The request page
it links to does its own access check. Written in the caller's transaction (notifications.notify).
"""
from notifications.services import notify

from .models import RequestKind

NOTICE_APPROVED = "request_approved"
NOTICE_REJECTED = "request_rejected"
NOTICE_READY = "request_ready"
NOTICE_COLLECTED = "copies_collected"

# What the requester does next once a request of this kind is approved.
NEXT_STEP = {
    RequestKind.LEND: "请到机要室办理借出。",
    RequestKind.COPY: "机要室将制作复制件，制作完成后另行通知您领取。",
    RequestKind.CARRY_OUT: "请到机要室办理携带外出登记。",
    RequestKind.REPAIR: "机要室将办理送修。",
    RequestKind.DESTROY: "请通知监销人确认监销后执行销毁。",
}


def _notify(request, *, kind, title, body):
    notify([request.requester_id], kind=kind, title=title, body=body, link=request.get_absolute_url(),
           level=request.level, dedupe_key=f"{kind}:{request.pk}")


def notify_decided(request, *, approved):
    """After the last step is approved, or any step rejected (not after an intermediate step)."""
    if approved:
        _notify(request, kind=NOTICE_APPROVED, title=f"{request.reference}已批准",
                body=f"您提出的{request.reference}已经领导批准。{NEXT_STEP.get(request.kind, '')}")
    else:
        _notify(request, kind=NOTICE_REJECTED, title=f"{request.reference}被驳回",
                # The leader's comment is free text and may quote the carrier: it stays on the page.
                body=f"您提出的{request.reference}被驳回，审批意见请在申请页面查看。")


def notify_copies_ready(request, *, count):
    _notify(request, kind=NOTICE_READY, title=f"复制件已制作完成，请到机要室领取（{request.reference}）",
            body=f"{request.reference}的 {count} 份复制件已制作完成，请到机要室领取并签收。")


def notify_copies_collected(request, *, count, registrar_name):
    _notify(request, kind=NOTICE_COLLECTED, title=f"复制件已领取签收（{request.reference}）",
            body=f"{request.reference}的 {count} 份复制件已由{registrar_name}交付您保管，已登记领取签收。"
                 "复制件视同原件管理，用毕请交回机要室。")
