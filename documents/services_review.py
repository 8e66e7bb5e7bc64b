"""每年审核 (SPEC §7; issue 4): once a year each 定密责任人 confirms, changes or declassifies each
classified carrier they answer for.

Only "keep" (保持) is recorded here: one CarrierReview row per carrier and year, and one audit
event, in one transaction. A change of level or period, or an early declassification, goes
through the existing 密级变更 request (approvals:reclassify_request), which has its own approval,
custody row and audit trail; the review page links to it.

Decision: keeping writes no custody row. Nothing about the carrier changes (status, custodian,
level, period all stay), and the 流转记录 lists movements and changes; the decision itself is the
review row plus the audit event "carrier.review_keep".
"""
from django.db import transaction
from django.db.models import Exists, OuterRef

from audits.services import record_event
from secrecy.errors import InvalidState, NotVisible, PolicyDenied
from secrecy.levels import Level, is_state_secret

from . import events, policy
from .models import Carrier, CarrierReview, ReviewDecision, SecrecyStatus


def review_carriers(user, year):
    """The classified carriers this user answers for as 定密责任人 and may see, each annotated
    with `reviewed` (kept this year already). Level order, highest first."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Carrier.objects.none()
    queryset = Carrier.objects.filter(classifier=user, secrecy_status=SecrecyStatus.CLASSIFIED,
                                      level__gte=Level.CONFIDENTIAL)
    return (policy.visible_carriers(user, queryset)
            .annotate(reviewed=Exists(CarrierReview.objects.filter(carrier=OuterRef("pk"), year=year)))
            .order_by("-level", "declassify_on", "id"))


def review_refusal(user, carrier):
    """Why this user may not record a review of this carrier, or None (the service checks again)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return "您的账号不能审核定密事项"
    if carrier.classifier_id != user.pk:
        return "只有该载体的定密责任人可以进行年度审核"
    if carrier.secrecy_status != SecrecyStatus.CLASSIFIED:
        return "该载体已解密，无需年度审核"
    if not is_state_secret(carrier.level):
        return "该载体不是国家秘密载体，无需年度审核"
    return None


@transaction.atomic
def review_keep(*, actor, carrier, year, note=""):
    """The 定密责任人 keeps level and period as they are for `year`. Refused a second time."""
    locked = Carrier.objects.select_for_update().filter(pk=getattr(carrier, "pk", carrier)).first()
    if locked is None or not policy.visible_carriers(actor, Carrier.objects.filter(pk=locked.pk)).exists():
        raise NotVisible()
    refusal = review_refusal(actor, locked)
    if refusal:
        allowed_person = actor.is_active and locked.classifier_id == actor.pk
        raise (InvalidState if allowed_person else PolicyDenied)(refusal)
    year = int(year)
    if CarrierReview.objects.filter(carrier=locked, year=year).exists():
        raise InvalidState(f"载体 {locked.serial} 的{year}年度审核已经完成，不能重复审核")
    note = (note or "").strip()
    review = CarrierReview.objects.create(carrier=locked, reviewer=actor, year=year,
                                          decision=ReviewDecision.KEEP, note=note)
    record_event(actor=actor, event=events.REVIEW_KEEP, target=locked, level=locked.level,
                 detail={"serial": locked.serial, "year": year, "decision": ReviewDecision.KEEP,
                         "mark": locked.mark, "declassify_on": locked.declassify_on.isoformat()
                         if locked.declassify_on else None, "note": note})
    return review
