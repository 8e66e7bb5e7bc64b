"""密级变更 / 延期 / 提前解密 (SPEC §5; LAW24 art. 23, 24; REG24 art. 21; DM14 art. 29–35).

The registrar managing a carrier, or its 承办人, asks for one of four changes (ReclassifyType):
a new level (with the period for it), a longer or a shorter period, or early declassification.
The carrier's 定密责任人 — or an approver whose 定密权限 reaches the level — decides, and the
decision is the change: approving (approvals.services.request_decide) applies it in the same
transaction and completes the request. So the carrier row, one change-history row quoting both
marks, one custody row, the decision's one audit event and the notices to everyone in the 知悉范围
commit together or not at all. The mark is computed from the carrier row, so every list, register
and print shows the new mark from that commit on.

Periods count from the carrier's own 制发日 (REG24 art. 19(2)) and are checked against the new
level's cap (LAW24 art. 20). An extension is possible only while the period runs: the day
`declassify_on` is the last secret day (documents/services_declassify.py), so from the next day
on nothing can be extended or changed — it is declassified by law. Asking and deciding both check.
"""
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from documents import policy as carrier_policy
from documents.models import Carrier, CarrierGroupScope, CarrierUserScope, CustodyAction, SecrecyStatus
from documents.services import custody_record, local_today
from notifications.services import Message, notify_many
from notifications.targets import target_of
from personnel.policy import clearance_of
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed
from secrecy.levels import (
    STATE_SECRET_LEVELS, Level, PeriodKind, compute_declassify_on, format_mark, period_rank, validate_period,
)

from .. import events, policy
from ..models import ApprovalRequest, ReclassifyType, RequestItem, RequestKind
from ..registry import KindHandler
from ..services import add_steps, audit, submit_if_asked
from ..workflows import Action, Move, Party, RequestState

S, A, P = RequestState, Action, Party

# 密级变更 / 延期 / 提前解密: the registrar or the 承办人 asks; the 定密责任人 (or an approver with
# 定密 authority) decides, and the decision is the change (LAW24 art. 23, 24: the classifier
# decides, the mark is changed at once, REG24 art. 21). So approving carries it out in the same
# transaction and completes the request: there is no registrar step in which an approved extension
# could wait past the expiry date it had to beat.
RECLASSIFY_TRANSITIONS = {
    (S.DRAFT, A.SUBMIT): Move(S.SUBMITTED, P.REQUESTER),
    (S.DRAFT, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.SUBMITTED, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.SUBMITTED, A.APPROVE): Move(S.COMPLETED, P.APPROVER),
    (S.SUBMITTED, A.REJECT): Move(S.REJECTED, P.APPROVER),
}

T = ReclassifyType


def _new_values(*, carrier, change_type, new_level, period):
    """The carrier's level and period fields after the change (period: the request's new_* values)."""
    if change_type == T.DECLASSIFY:
        return {}
    level = int(new_level) if change_type == T.LEVEL else carrier.level
    values = {
        "level": level, "period_kind": period["kind"], "period_value": None, "period_unit": "",
        "declassify_date": None, "declassify_condition": "", "period_defaulted": False,
        "period_special": bool(period["special"]), "period_special_reason": period["special_reason"] if period[
            "special"] else "",
        "long_term_basis": period["long_term_basis"] if period["kind"] == PeriodKind.LONG_TERM else "",
    }
    if period["kind"] == PeriodKind.TERM:
        values.update(period_value=period["value"], period_unit=period["unit"])
    elif period["kind"] == PeriodKind.DATE:
        values["declassify_date"] = period["date"]
    elif period["kind"] == PeriodKind.CONDITION:
        values["declassify_condition"] = period["condition"]
    values["declassify_on"] = compute_declassify_on(
        level=level, kind=values["period_kind"], start=carrier.start_date, value=values["period_value"],
        unit=values["period_unit"], date=values["declassify_date"])
    return values


def _mark_of(values, *, declassified=False):
    return format_mark(level=values["level"], kind=values["period_kind"], value=values["period_value"],
                       unit=values["period_unit"], date=values["declassify_date"],
                       condition=values["declassify_condition"], declassified=declassified)


def _period_of_request(request):
    return {"kind": request.new_period_kind, "value": request.new_period_value, "unit": request.new_period_unit,
            "date": request.new_declassify_date, "condition": request.new_declassify_condition,
            "special": request.new_period_special, "special_reason": request.new_period_special_reason,
            "long_term_basis": request.new_long_term_basis}


def _clean(*, carrier, change_type, new_level, period, reason, basis, today):
    """{field: message} for everything wrong with the asked change; the new values when right."""
    errors = {}
    if change_type not in T.values:
        raise ValidationFailed({"change_type": "请选择变更事项（变更密级、延长或缩短保密期限、提前解密）"})
    if not reason:
        errors["reason"] = "请填写变更理由"
    if not basis:
        errors["change_basis"] = "请填写变更的依据（保密事项范围条目或上级通知）"
    if change_type == T.LEVEL:
        if new_level is None or int(new_level) not in STATE_SECRET_LEVELS:
            errors["new_level"] = "请选择新密级（绝密、机密或秘密）"
        elif int(new_level) == carrier.level:
            errors["new_level"] = f"新密级与原密级（{Level(carrier.level).label}）相同；只变更期限的请选择延长或缩短保密期限"
    if change_type == T.DECLASSIFY or "new_level" in errors:
        if errors:
            raise ValidationFailed(errors)
        return {}
    level = int(new_level) if change_type == T.LEVEL else carrier.level
    # LAW24 art. 20; REG24 art. 19: counted from the carrier's 制发日, capped for the NEW level.
    period_errors = validate_period(
        level=level, kind=period["kind"], start=carrier.start_date, value=period["value"], unit=period["unit"],
        date=period["date"], condition=period["condition"], special=period["special"],
        special_reason=period["special_reason"], long_term_allowed=bool(period["long_term_basis"]), today=today)
    period_errors.pop("start_date", None)  # the carrier's start date is not being changed here
    errors.update({f"new_{k}" if k.startswith(("period_", "declassify_", "long_term")) else k: v
                   for k, v in period_errors.items()})
    if errors:
        raise ValidationFailed(errors)
    values = _new_values(carrier=carrier, change_type=change_type, new_level=new_level, period=period)
    new_end, old_end = values["declassify_on"], carrier.declassify_on
    new_rank = period_rank(level=level, kind=values["period_kind"], declassify_on=new_end)
    old_rank = period_rank(level=carrier.level, kind=carrier.period_kind, declassify_on=old_end)
    field = "new_declassify_date" if values["period_kind"] == PeriodKind.DATE else "new_period_value"
    if values["period_kind"] == PeriodKind.CONDITION:
        field = "new_declassify_condition"
    was = f"原期限至{old_end:%Y年%m月%d日}" if old_end else f"原标志“{carrier.mark}”"
    if change_type == T.EXTEND and not new_rank > old_rank:
        errors[field] = f"延长后的保密期限须长于原期限（{was}）"
    if change_type == T.SHORTEN and not new_rank < old_rank:
        errors[field] = f"缩短后的保密期限须短于原期限（{was}）"
    if new_end is not None and new_end < today:
        errors[field] = (f"按新期限，保密期限已于{new_end:%Y年%m月%d日}届满；"
                         "需要立即解密的，请选择“提前解密”")
    if errors:
        raise ValidationFailed(errors)
    return values


def _decider_level(carrier, change_type, new_level):
    if change_type == T.LEVEL and new_level is not None:
        return max(carrier.level, int(new_level))
    return carrier.level


@transaction.atomic
def reclassify_request_create(*, actor, carrier, change_type, reason, change_basis, new_level=None,
                              period_kind="", period_value=None, period_unit="", declassify_date=None,
                              declassify_condition="", period_special=False, period_special_reason="",
                              long_term_basis="", submit=True, today=None):
    """申请密级变更 / 延长或缩短保密期限 / 提前解密 of one carrier; with submit (the usual click) it
    goes to the 定密责任人 at once."""
    today = today or local_today()
    carrier = Carrier.objects.select_for_update().filter(pk=carrier.pk).first()
    if carrier is None or not carrier_policy.visible_carriers(actor).filter(pk=carrier.pk).exists():
        raise NotVisible()
    refusal = policy.reclassify_request_refusal(actor, carrier, today=today)
    if refusal:
        raise PolicyDenied(refusal)
    period = {"kind": period_kind or "", "value": period_value, "unit": period_unit or "", "date": declassify_date,
              "condition": (declassify_condition or "").strip(), "special": bool(period_special),
              "special_reason": (period_special_reason or "").strip(),
              "long_term_basis": (long_term_basis or "").strip()}
    reason, change_basis = (reason or "").strip(), (change_basis or "").strip()
    values = _clean(carrier=carrier, change_type=change_type, new_level=new_level, period=period, reason=reason,
                    basis=change_basis, today=today)
    level = _decider_level(carrier, change_type, new_level)
    if clearance_of(actor) < level:
        raise ValidationFailed({"new_level": "您的涉密等级低于新密级，不能申请提高到该密级"})
    declassify = change_type == T.DECLASSIFY
    to_mark = format_mark(
        level=carrier.level, kind=carrier.period_kind, value=carrier.period_value, unit=carrier.period_unit,
        date=carrier.declassify_date, condition=carrier.declassify_condition, declassified=True,
    ) if declassify else _mark_of(values)
    request = ApprovalRequest.objects.create(
        kind=RequestKind.RECLASSIFY, requester=actor, reason=reason, level=level, change_type=change_type,
        from_level=carrier.level, from_mark=carrier.mark, to_mark=to_mark, change_basis=change_basis,
        new_level=None if declassify else values["level"],
        new_period_kind="" if declassify else values["period_kind"],
        new_period_value=None if declassify else values["period_value"],
        new_period_unit="" if declassify else values["period_unit"],
        new_declassify_date=None if declassify else values["declassify_date"],
        new_declassify_condition="" if declassify else values["declassify_condition"],
        new_period_special=False if declassify else values["period_special"],
        new_period_special_reason="" if declassify else values["period_special_reason"],
        new_long_term_basis="" if declassify else values["long_term_basis"],
    )
    try:
        with transaction.atomic():
            RequestItem.objects.create(request=request, carrier=carrier, kind=RequestKind.RECLASSIFY)
    except IntegrityError:
        raise InvalidState("该载体已有未办结的密级变更申请，不能重复申请") from None
    add_steps(request, level=level, classifier_id=carrier.classifier_id)
    submit_if_asked(request, submit)
    audit(actor=actor, event=events.CREATE, request=request, carriers=[carrier], change_type=change_type,
          from_mark=request.from_mark, to_mark=request.to_mark, submitted=bool(submit))
    return request


def approval_refusal(request, carrier, today=None):
    """Why this change may not be approved now, or None: the carrier must still be 涉密, its
    period not over (an extension is decided before expiry: LAW24 art. 24(2); DM14 art. 30(2)),
    and its mark what it was when asked."""
    today = today or local_today()
    if carrier.secrecy_status != SecrecyStatus.CLASSIFIED:
        return "该载体已解密，不能再批准密级变更或延长保密期限；请撤销该申请"
    if carrier.declassify_on is not None and carrier.declassify_on < today:
        return (f"该载体的保密期限已于{carrier.declassify_on:%Y年%m月%d日}届满，依法自行解密，"
                "延长或变更须在届满前决定，不能批准；请撤销该申请")
    if carrier.mark != request.from_mark or carrier.level != request.from_level:
        return "载体的密级或保密期限在申请后已变更，该申请须撤销后重新提出"
    if request.change_type != T.DECLASSIFY:
        new_end = compute_declassify_on(
            level=request.new_level, kind=request.new_period_kind, start=carrier.start_date,
            value=request.new_period_value, unit=request.new_period_unit, date=request.new_declassify_date)
        if new_end is not None and new_end < today:
            return f"按申请的新期限，保密期限已于{new_end:%Y年%m月%d日}届满，不能批准；需要解密的请另行申请提前解密"
    return None


def _scope_recipients(carrier, request):
    """Everyone in the 知悉范围 (named people and members of named groups), the custodian, the
    定密责任人 and the requester: LAW24 art. 23; DM14 art. 30, 35 — written notice to the scope."""
    users = set(CarrierUserScope.objects.filter(content_object=carrier, permission__codename=carrier_policy.VIEW_CODENAME)
                .values_list("user_id", flat=True))
    groups = CarrierGroupScope.objects.filter(content_object=carrier, permission__codename=carrier_policy.VIEW_CODENAME) \
        .values_list("group_id", flat=True)
    users |= set(get_user_model().objects.filter(groups__in=groups).values_list("pk", flat=True))
    users |= {carrier.custodian_id, carrier.classifier_id, request.requester_id}
    return sorted(users - {None})


def reclassify_apply(*, actor, request, carrier):
    """Carry out an approved change (called by request_decide inside its transaction, carriers
    locked). Returns the detail for the decision's audit event."""
    refusal = approval_refusal(request, carrier)
    if refusal:
        raise InvalidState(refusal)
    old_mark = carrier.mark
    change = T(request.change_type)
    if change == T.DECLASSIFY:
        carrier.secrecy_status = SecrecyStatus.DECLASSIFIED
        fields = ["secrecy_status"]
        action = CustodyAction.DECLASSIFIED
    else:
        values = _new_values(carrier=carrier, change_type=change, new_level=request.new_level,
                             period=_period_of_request(request))
        for field, value in values.items():
            setattr(carrier, field, value)
        fields = list(values)
        action = CustodyAction.RECLASSIFIED
    new_mark = carrier.mark
    text = f"由 {old_mark} 变更为 {new_mark}（{request.reference}）"
    carrier._history_user = actor
    carrier._change_reason = f"{change.label}：{text}"
    carrier.save(update_fields=fields)
    custody_record(carrier=carrier, action=action, actor=actor, from_user=carrier.custodian,
                   to_user=carrier.custodian, approval_ref=request.reference,
                   note=f"{change.label}，{text}；依据：{request.change_basis}")
    if request.to_mark != new_mark:
        request.to_mark = new_mark
        request.save(update_fields=["to_mark"])
    body = (f"统一编号 {carrier.serial} 的载体经定密责任人批准{change.label}，标志由“{old_mark}”变更为“{new_mark}”"
            f"（{request.reference}）。请按新标志管理，纸质载体在原标志附近标注新标志。")
    if change == T.DECLASSIFY:
        body += "解密不等于公开：对外提供或公开前仍须经保密审查。"
    notify_many([
        Message(recipient_id=pk, kind="reclassified", level=request.level, link=carrier.get_absolute_url(),
                title=f"载体{change.label}：{carrier.serial}", body=body, dedupe_key=f"reclassified:{request.pk}",
                target=target_of(carrier))
        for pk in _scope_recipients(carrier, request)
    ])
    return {"from_mark": old_mark, "to_mark": new_mark, "change_type": change.value}


def check_carriers(request, carriers):
    """Its level is the higher of the old and new level; what must not have moved is the
    carrier's mark since it was asked (and its period must still run)."""
    for carrier in carriers:
        refusal = approval_refusal(request, carrier)
        if refusal:
            raise InvalidState(refusal)


HANDLER = KindHandler(kind=RequestKind.RECLASSIFY, transitions=RECLASSIFY_TRANSITIONS,
                      check_carriers=check_carriers, complete=reclassify_apply)
