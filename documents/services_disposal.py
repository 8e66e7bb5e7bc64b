"""Leaving the registry for good: 清退, 归档, 移交 and 丢失 (SPEC §3, §5 last row; issue 4).

The registrar does these without an approval request: SPEC §5 needs "none beyond the registrar,
unless the issuer requires" — where the issuer requires more, the registrar obtains it on paper
first and records its number as the receipt. Each is one transaction: the carrier row is locked,
policy and state are checked again under the lock, the carrier gets its final status, one custody
row (with receiver and receipt number) and one audit event are written. Nothing is deleted: the
carrier stays listed with its final status and its whole history (SPEC §3).

丢失 is different: it is an event, not a disposal. It may be reported while the carrier is out
(借出, 外出携带, 传阅中, 维修中) as well as from 在库; 保密办 and the carrier's registrars are
alerted at once. Decision for a carrier that is out under a request: the request is left exactly
as it is (still open, the holder still recorded as custodian) — the loss does not end the
holder's accountability, and closing the request as if the carrier came back would be false.
The custody note names the open request so that nobody has to guess; the incident record and
the closing of the request come with the audits issue (泄密/丢失事件).
"""
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from audits.services import record_event
from notifications.services import notify
from personnel.models import ADMIN_ROLES, Role
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed

from . import events, policy
from .hooks import open_work
from .lost_carriers import lost_carrier_incident
from .models import Carrier, Circulation, CirculationState, CustodyAction, CustodyStatus
from .services import carrier_move

# Statuses a carrier never leaves: it is gone from the registry for good (SPEC §3).
FINAL_STATUSES = (
    CustodyStatus.DESTROYED, CustodyStatus.RETURNED, CustodyStatus.ARCHIVED, CustodyStatus.TRANSFERRED,
    CustodyStatus.LOST,
)
# Where a loss may be discovered: in the registry or out with someone. 待销毁 is not here: the
# carrier sits in a destruction batch whose execution expects it; the batch is cancelled (or the
# carrier taken out of it) first, so the destruction list never names a carrier that was lost.
LOSABLE_STATUSES = (
    CustodyStatus.IN_REGISTRY, CustodyStatus.LENT, CustodyStatus.CARRIED_OUT, CustodyStatus.CIRCULATING,
    CustodyStatus.IN_REPAIR,
)

NOTICE_KIND_LOST = "carrier_lost"


def lost_refusal(status):
    """Why a carrier in this status cannot be reported lost here (None when it can)."""
    if status in LOSABLE_STATUSES:
        return None
    if status == CustodyStatus.AT_MEETING:
        # The meeting knows which attendee had it; its page records the loss (SPEC §9).
        return "载体当前为“会议分发”，请在涉密会议页面对该分发文件报告丢失"
    return f"载体当前为“{CustodyStatus(status).label}”，列入销毁批次的载体须先撤出批次（或撤销批次）再报告丢失"


def _open_circulation_blocker(carrier):
    # Between two readers the carrier is back 在库, yet it belongs to the circulation until it ends.
    open_one = Circulation.objects.filter(carrier_id=carrier.pk, state=CirculationState.OPEN).first()
    return f"正在传阅（传阅第{open_one.pk}号）" if open_one else None


def disposal_blockers():
    """Anything that still holds a carrier in the registry and must end before it may leave for
    good, as functions carrier -> a short Chinese reason or None: the open work the apps above
    documents registered (documents.hooks; approvals: an open request), then a circulation."""
    return [work.reason for work in open_work()] + [_open_circulation_blocker]


def _lock_managed(actor, carrier):
    """Lock the carrier row, then check who asks and that the carrier is not gone already."""
    locked = Carrier.objects.select_for_update().filter(pk=getattr(carrier, "pk", carrier)).first()
    if locked is None:
        raise NotVisible()
    if not policy.may_manage(actor, locked):
        # The registrar answers for the carriers of the departments they serve (SPEC §4, §5).
        raise PolicyDenied("只有负责该载体管理部门、且涉密等级不低于其密级的机要秘书可以办理离库处置")
    if locked.custody_status in FINAL_STATUSES:
        raise InvalidState(f"载体 {locked.serial} 已为“{CustodyStatus(locked.custody_status).label}”，"
                           "不能再办理离库处置")
    return locked


def _check_leavable(carrier, word):
    """清退/归档/移交 take the carrier from the shelf: only 在库, and nothing may still hold it."""
    if carrier.custody_status != CustodyStatus.IN_REGISTRY:
        raise InvalidState(f"载体 {carrier.serial} 当前为“{CustodyStatus(carrier.custody_status).label}”，"
                           f"不在库，收回入库后才能{word}")
    for blocker in disposal_blockers():
        reason = blocker(carrier)
        if reason:
            raise InvalidState(f"载体 {carrier.serial} {reason}，办结或撤销后才能{word}")


def _clean(values, messages):
    """Strip the text inputs; a required one left empty becomes a field error."""
    cleaned = {name: (value or "").strip() for name, value in values.items()}
    errors = {name: message for name, message in messages.items() if not cleaned[name]}
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _leave(*, actor, carrier, to_status, action, word, receiver, receipt_number, note, event, detail):
    previous = carrier.custody_status
    # The custodian stays: the last person accountable in this unit, as after 销毁. Where the
    # carrier went is the receiver and the receipt of this row.
    carrier_move(actor=actor, carrier=carrier, to_status=to_status, to_user=None, request=None, action=action,
                 why=f"{word}（{'，'.join(filter(None, (receiver, receipt_number)))}）", note=note,
                 receiver=receiver, receipt_number=receipt_number)
    record_event(actor=actor, event=event, target=carrier, level=carrier.level,
                 detail={"serial": carrier.serial, "from_status": previous, "to_status": to_status,
                         "receiver": receiver, "receipt_number": receipt_number, "note": note, **detail})
    return carrier


@transaction.atomic
def carrier_return_to_issuer(*, actor, carrier, receiver, receipt_number, note=""):
    """清退: the carrier goes back to the body that issued it.

    REG24 art. 27(9): 清退 "按照制发机关、单位要求办理" — the receiver and the receipt (回执号) prove
    it was done as the issuer asked."""
    carrier = _lock_managed(actor, carrier)
    _check_leavable(carrier, "清退")
    values = _clean({"receiver": receiver, "receipt_number": receipt_number, "note": note},
                    {"receiver": "请填写接收清退的制发机关、单位或接收人", "receipt_number": "请填写清退回执号"})
    return _leave(actor=actor, carrier=carrier, to_status=CustodyStatus.RETURNED,
                  action=CustodyAction.RETURNED_TO_ISSUER, word="清退", event=events.RETURN_TO_ISSUER,
                  detail={"issuer": carrier.issuer}, **values)


@transaction.atomic
def carrier_archive(*, actor, carrier, archive_number, receiver="", note=""):
    """归档: the carrier goes to the archives under an archive number (档号), kept in the custody
    row's receipt number. Archived carriers keep their level and period: 归档 is not 解密."""
    carrier = _lock_managed(actor, carrier)
    _check_leavable(carrier, "归档")
    archive_number = (archive_number or "").strip()
    if not archive_number:
        raise ValidationFailed({"archive_number": "请填写档号"})
    values = {"receiver": (receiver or "").strip(), "receipt_number": archive_number,
              "note": (note or "").strip()}
    return _leave(actor=actor, carrier=carrier, to_status=CustodyStatus.ARCHIVED, action=CustodyAction.ARCHIVED,
                  word="归档", event=events.ARCHIVE, detail={}, **values)


@transaction.atomic
def carrier_transfer(*, actor, carrier, receiver, receipt_number, note=""):
    """移交: the carrier is handed to another unit (e.g. on 机构撤并, or to a successor body),
    with 登记、签收 — the receiving unit's receipt (移交单号) is recorded (QA 60)."""
    carrier = _lock_managed(actor, carrier)
    _check_leavable(carrier, "移交")
    values = _clean({"receiver": receiver, "receipt_number": receipt_number, "note": note},
                    {"receiver": "请填写接收移交的单位或接收人", "receipt_number": "请填写移交单号或签收回执号"})
    return _leave(actor=actor, carrier=carrier, to_status=CustodyStatus.TRANSFERRED,
                  action=CustodyAction.TRANSFERRED, word="移交", event=events.TRANSFER, detail={}, **values)


def _secrecy_office_people():
    """Active 保密办 people: the role, or a person of the 保密办 department — but not the three
    administrators, who have no carrier content at all (SPEC §1)."""
    return list(get_user_model().objects.filter(
        Q(groups__name=Role.SECRECY_OFFICE) | Q(person__department__is_secrecy_office=True), is_active=True,
    ).exclude(groups__name__in=ADMIN_ROLES).distinct().order_by("pk"))


def _registrars_of(carrier):
    """Active registrars serving the carrier's 管理部门 and cleared for its level."""
    users = get_user_model().objects.filter(
        groups__name=Role.REGISTRAR, is_active=True, person__served_departments=carrier.department_id,
    ).exclude(groups__name__in=ADMIN_ROLES).distinct().order_by("pk")
    return [u for u in users if policy.may_manage(u, carrier)]


def _alert_loss(*, actor, carrier, previous, incident):
    """Tell 保密办 and the carrier's registrars. The notice carries the 统一编号 and the level,
    never the title or the circumstances (notifications travel by e-mail too — the e-mail itself
    says only that something waits). Whoever may see the carrier gets a link to it; the others
    (保密办 is often outside its 知悉范围) are told that a carrier outside their scope was lost, with
    a link to the 丢失 incident they must report upward — never its serial or level (SPEC §4;
    issue 11 §2, §7)."""
    recipients = {u.pk: u for u in _secrecy_office_people() + _registrars_of(carrier)}
    link = reverse("documents:carrier_detail", args=[carrier.pk])
    with_link, without_link = [], []
    for user in recipients.values():
        visible = policy.visible_carriers(user, Carrier.objects.filter(pk=carrier.pk)).exists()
        (with_link if visible else without_link).append(user)
    reporter = getattr(getattr(actor, "person", None), "full_name", "") or actor.get_username()
    # REG24 art. 61: a (possible) leak is reported upward within 24 hours.
    deadline = "请立即核查，并按规定在24小时内向保密行政管理部门和上级主管部门报告。"
    dedupe_key = f"{NOTICE_KIND_LOST}:{carrier.pk}"
    notices = []
    if with_link:
        notices += notify(
            with_link, kind=NOTICE_KIND_LOST, title=f"涉密载体丢失报告：{carrier.serial}", link=link,
            body=(f"{reporter}报告载体 {carrier.serial}（{carrier.get_level_display()}）丢失，"
                  f"报告时状态为“{CustodyStatus(previous).label}”。{deadline}"),
            level=carrier.level, dedupe_key=dedupe_key, target=carrier)
    if without_link:
        notices += notify(
            without_link, kind=NOTICE_KIND_LOST, title=f"涉密载体丢失报告：{incident.reference}",
            link=incident.get_absolute_url(),
            body=f"{reporter}报告一件涉密载体丢失（不在您的知悉范围，详情无权查看），已并入{incident.reference}。{deadline}",
            level=None, dedupe_key=dedupe_key)
    return notices


def mark_lost_locked(*, actor, carrier, custody_note, approval_ref=""):
    """Mark a carrier 丢失, write its custody row and alert 保密办 and its registrars; returns the
    notices. Shared by carrier_report_lost and the meetings app (a copy lost at a meeting, reported
    by the meeting's manager, who need not be the carrier's registrar).

    The caller has locked the carrier row, checked who asks and that the carrier may be reported
    lost from its current status, and writes the one audit event of its business action."""
    previous = carrier.custody_status
    # from_user: who held it when it was lost (the borrower, the carrier-out or the registry).
    carrier_move(actor=actor, carrier=carrier, to_status=CustodyStatus.LOST, to_user=None, request=None,
                 action=CustodyAction.REPORTED_LOST, why="报告丢失", approval_ref=approval_ref, note=custody_note)
    # SPEC §10: a carrier reported lost anywhere opens (or joins) a 丢失 incident, whose 24-hour
    # upward-report deadline (REG24 art. 61) starts now. 保密办 is told by _alert_loss below.
    incident = lost_carrier_incident(actor=actor, carrier_id=carrier.pk, serial=carrier.serial,
                                     level=carrier.level, note=custody_note, notify_office=False)
    return _alert_loss(actor=actor, carrier=carrier, previous=previous, incident=incident)


@transaction.atomic
def carrier_report_lost(*, actor, carrier, note):
    """报告丢失: the carrier is marked 丢失 and 保密办 is alerted at once.

    LAW24 / REG24 art. 61: a loss of a state-secret carrier is a (possible) leak and must be
    reported within 24 hours; the system records who reported it, when and the circumstances.
    """
    carrier = _lock_managed(actor, carrier)
    previous = carrier.custody_status
    refusal = lost_refusal(previous)
    if refusal:
        raise InvalidState(f"载体 {carrier.serial}：{refusal}")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed({"note": "请写明丢失情况：发现时间、地点、经过和已采取的措施"})
    open_requests = [reference for work in open_work() for reference in work.references(carrier)]
    custody_note = note
    if open_requests:
        custody_note += (f"（未办结的申请 {'、'.join(open_requests)} 保持原状，"
                         "由丢失事件处理后另行办结）")
    notices = mark_lost_locked(actor=actor, carrier=carrier, custody_note=custody_note)
    record_event(actor=actor, event=events.REPORT_LOST, target=carrier, level=carrier.level,
                 detail={"serial": carrier.serial, "from_status": previous, "to_status": CustodyStatus.LOST,
                         "custodian": carrier.custodian_id, "note": note, "open_requests": open_requests,
                         "notified": sorted({n.recipient_id for n in notices})})
    return carrier
