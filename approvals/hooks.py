"""approvals' answers to the questions documents asks through documents.hooks (registered in
ApprovalsConfig.ready()): documents sits below approvals and cannot ask it directly."""
from documents.hooks import OpenWork

from .models import ApprovalRequest, RequestItem, RequestKind
from .policy import request_visible_q


def _open_items(carrier):
    return RequestItem.objects.filter(carrier=carrier, is_open=True)


def _holds(carrier):
    return _open_items(carrier).exists()


def _reason(carrier):
    item = _open_items(carrier).select_related("request").order_by("request_id").first()
    if item is None:
        return None
    return f"有未办结的{RequestKind(item.kind).label}申请（{item.request.reference}）"


def _references(carrier):
    return [item.request.reference for item in _open_items(carrier).select_related("request").order_by("request_id")]


# An open request (at most one per kind) holds its carrier: no 传阅 may start and it may not
# leave the registry until the request is 办结 or withdrawn.
OPEN_REQUESTS = OpenWork(
    name="approvals.request", what="未办结的申请（借阅、复制、外出携带、维修或销毁）",
    holds=_holds, reason=_reason, references=_references,
)


def carrier_page_context(user, carrier):
    """Whether the copy request a carrier came from may be opened by this user (else the page
    names it without a link)."""
    return {"source_request_openable": bool(carrier.source_request_id) and ApprovalRequest.objects.filter(
        request_visible_q(user), pk=carrier.source_request_id).exists()}
