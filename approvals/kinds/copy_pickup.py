"""领取签收 of copies (issue 14 §3): the copies a 复制 request produced are registered 在库 with the
registrar who made them; the requester collects them at the registry and signs, and from then on
holds them (保管人 = the requester), as a borrower holds a loan (approvals.kinds.lend).

Not a move of the copy table (approvals.kinds.copy): the request is complete once the copies
exist — what is left is the custody of new carriers, recorded once on the request
(copies_collected_at) so a second hand-over is refused.

Status while with the requester: 借出 — SPEC §3 has no status "held by a person" for a carrier out
of the registry other than 借出/传阅中/外出携带, and 借出 is what it is in fact: out of the registry,
with a named person, to come back (REG24 art. 27(5): 复制件视同原件管理). It counts as held when
the person leaves (documents.leave).
"""
from django.db import transaction
from django.utils import timezone

from documents import policy as carrier_policy
from documents.models import Carrier, CustodyStatus
from personnel.names import person_name
from personnel.policy import clearance_of
from secrecy.errors import InvalidState, PolicyDenied
from secrecy.levels import Level

from .. import events, policy
from ..models import ApprovalRequest, RequestItem, RequestKind, RequestState
from ..notices import notify_copies_collected
from ..services import audit, hand_out

PICKUP_WORD = "领取签收"


def _lock(request):
    """Lock the copies the request produced (by id), then the request — the house's lock order."""
    copy_ids = sorted(Carrier.objects.filter(source_request_id=request.pk).values_list("pk", flat=True))
    copies = list(Carrier.objects.select_for_update().filter(pk__in=copy_ids).order_by("id"))
    return ApprovalRequest.objects.select_for_update().get(pk=request.pk), copies


def pickup_refusal(user, request, copies):
    """Why this user may not record the 领取签收 of these copies now, or None (the page's button
    and the service ask the same question)."""
    if request.kind != RequestKind.COPY:
        return "该申请不是复制申请"
    refusal = policy.execute_refusal(user, request, copies or [])
    if refusal:
        return refusal
    if request.copies_collected_at is not None:
        return f"复制件已于 {timezone.localtime(request.copies_collected_at):%Y-%m-%d %H:%M} 领取签收，不能重复办理"
    if request.state != RequestState.COMPLETED or not copies:
        return "复制件尚未制作，不能领取签收"
    if request.level >= Level.TOP_SECRET:
        # REG24 art. 29(3): 绝密 is read on the premises and never taken to a desk; its copies are
        # kept as the original (art. 27(5)) and are lent on site through a 借阅 request.
        return "绝密级复制件不领取带离，请按绝密载体借阅办理（限机要室内阅读）"
    busy = RequestItem.objects.filter(carrier_id__in=[c.pk for c in copies], is_open=True).first()
    if busy is not None:
        return f"复制件 {busy.carrier.serial} 已有未办结的{RequestKind(busy.kind).label}申请，不能领取签收"
    return None


@transaction.atomic
def copy_hand_over(*, actor, request):
    """领取签收: the registrar hands every copy of the request to its requester, who signs for it;
    one custody row per copy, the requester notified."""
    request, copies = _lock(request)
    refusal = pickup_refusal(actor, request, copies)
    if refusal:
        # Who may act is PolicyDenied; a state that does not allow it is InvalidState.
        raise (PolicyDenied if policy.execute_refusal(actor, request, copies) else InvalidState)(refusal)
    requester = request.requester
    if not requester.is_active or clearance_of(requester) < request.level:
        raise InvalidState("申请人的账号已停用或涉密资格已不足，不能领取复制件")
    for copy in copies:
        # The copies keep the original's 知悉范围; someone taken out of it since asking does not
        # get custody (custody would show them the carrier again).
        if not carrier_policy.in_standing_scope(requester, copy):
            raise InvalidState(f"申请人已不在复制件 {copy.serial} 的知悉范围内，不能领取")
    hand_out(actor=actor, request=request, carriers=copies, to_user=requester, to_status=CustodyStatus.LENT,
             word=PICKUP_WORD, note=f"复制件由{person_name(requester)}领取签收，经手人{person_name(actor)}")
    request.copies_collected_at = timezone.now()
    request.copies_handed_by = actor
    request.save(update_fields=["copies_collected_at", "copies_handed_by"])
    audit(actor=actor, event=events.COPIES_COLLECTED, request=request, carriers=copies,
          collected_by=requester.pk, copies=[c.pk for c in copies])
    notify_copies_collected(request, count=len(copies), registrar_name=person_name(actor))
    return request
