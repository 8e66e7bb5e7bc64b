"""Every write of a 泄密/丢失事件 (SPEC §10 "Incidents"; regulations_cn.md §8.9 泄密事件报告登记表).

- Anyone with a business role (reader, registrar, approver, 保密办) reports an incident: what,
  when, where, the highest level involved, the measures taken. The three administrators do not
  (SPEC §1: no business content at all).
- REG24 art. 61: a (possible) leak is reported to the same-level 保密行政管理部门 and the 上级主管
  部门 within 24 hours. The deadline (discovered_at + 24 h) is stored on the incident, shown on its
  page and watched by the hourly job oversight.jobs.incident_deadline.
- 保密办 records the upward report (when, to whom, how) and closes the incident with its outcome;
  closing needs the upward report first.
- A carrier reported lost anywhere in the system (documents' 报告丢失, a meeting copy reported lost)
  opens a 丢失 incident or joins the open one of the same day: incident_for_lost_carrier, called by
  the documents/meetings services inside their own transaction (through documents' lost-carrier
  hook, which OversightConfig.ready() fills: documents never imports oversight).

Each service is one transaction with the incident row locked, the transition table asked, the
policy checked and exactly one audit event. Nothing is ever deleted.
"""
import datetime as dt
import re

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audits.services import record_event
from notifications.services import notify
from secrecy.errors import NotVisible, PolicyDenied, ValidationFailed
from secrecy.levels import Level

from .. import events
from ..models import (
    INCIDENT_REPORT_HOURS, SHANGHAI, Incident, IncidentAction, IncidentCarrier, IncidentKind, IncidentState,
    INCIDENT_TRANSITIONS,
)
from ..policy import is_business_user, is_secrecy_office, secrecy_office_users, user_name

A = IncidentAction
NOTICE_KIND_INCIDENT = "incident"
SERIAL_SEPARATORS = re.compile(r"[\s,，、;；]+")
# Text fields of the report and their limits (the model's max_length where it has one).
PLACE_MAX, PERSONS_MAX, SERIAL_MAX = 200, 200, 40
MAX_SERIALS = 200


def may_report(user):
    return is_business_user(user)


def _text(value):
    return (value or "").strip()


def _lock(incident):
    row = Incident.objects.select_for_update().filter(pk=getattr(incident, "pk", incident)).first()
    if row is None:
        raise NotVisible()
    return row


def _when(value):
    return f"{timezone.localtime(value, SHANGHAI):%Y-%m-%d %H:%M}"


def report_deadline_for(discovered_at):
    # REG24 art. 61: within 24 hours of discovery.
    return discovered_at + dt.timedelta(hours=INCIDENT_REPORT_HOURS)


def _audit(*, actor, event, incident, **detail):
    # The reference and the level; the description may itself be sensitive and is on the page.
    record_event(actor=actor, event=event, target=incident, target_repr=incident.reference,
                 level=incident.level, detail={"incident": incident.pk, "state": incident.state, **detail})


def _tell_office(incident, *, title, body, dedupe_key):
    """保密办 is told at once: the reference, the level and the deadline — never the description,
    nor a carrier's serial (保密办 is often outside its 知悉范围; the incident page shows it to
    whoever may see it; notices travel by e-mail too)."""
    return notify(secrecy_office_users(), kind=NOTICE_KIND_INCIDENT, title=title, body=body,
                  link=incident.get_absolute_url(), level=incident.level, dedupe_key=dedupe_key)


def parse_serials(text):
    return [s for s in SERIAL_SEPARATORS.split(text or "") if s]


def _clean_report(*, kind, occurred_at, discovered_at, place, level, description, involved_persons, serials, now):
    errors = {}
    if kind not in IncidentKind.values:
        errors["kind"] = "请选择事件类型"
    if not isinstance(discovered_at, dt.datetime):
        errors["discovered_at"] = "请填写发现时间"
    elif discovered_at > now + dt.timedelta(minutes=5):
        errors["discovered_at"] = "发现时间不能晚于现在"
    if occurred_at is not None:
        if not isinstance(occurred_at, dt.datetime):
            errors["occurred_at"] = "发生时间格式不正确"
        elif isinstance(discovered_at, dt.datetime) and occurred_at > discovered_at:
            errors["occurred_at"] = "发生时间不能晚于发现时间"
    if not place:
        errors["place"] = "请填写发生或发现地点"
    elif len(place) > PLACE_MAX:
        errors["place"] = f"地点不超过 {PLACE_MAX} 字"
    if len(involved_persons) > PERSONS_MAX:
        errors["involved_persons"] = f"当事人不超过 {PERSONS_MAX} 字"
    try:
        Level(int(level))
    except (TypeError, ValueError):
        errors["level"] = "请选择涉及的最高密级"
    if not description:
        errors["description"] = "请写明事件经过：发现经过、涉及载体或信息、已知的传播范围"
    if len(serials) > MAX_SERIALS:
        errors["serials"] = f"一次最多登记 {MAX_SERIALS} 个统一编号"
    elif any(len(s) > SERIAL_MAX for s in serials):
        errors["serials"] = f"统一编号不超过 {SERIAL_MAX} 个字符"
    return errors


@transaction.atomic
def incident_report(*, actor, kind, discovered_at, place, level, description, occurred_at=None, measures="",
                    harm="", involved_persons="", serials=()):
    """报告泄密/丢失事件. The reporter gives what they know now; 保密办 is told at once and has 24 hours
    from discovery to report upward (REG24 art. 61). `serials`: 统一编号 of carriers involved, as
    the reporter knows them (kept as given, never looked up in the carrier register)."""
    if not may_report(actor):
        raise PolicyDenied("只有业务人员可以报告泄密或丢失事件")
    now = timezone.now()
    place, description = _text(place), _text(description)
    involved_persons = _text(involved_persons)
    serials = list(dict.fromkeys(_text(s) for s in serials if _text(s)))
    errors = _clean_report(kind=kind, occurred_at=occurred_at, discovered_at=discovered_at, place=place,
                           level=level, description=description, involved_persons=involved_persons,
                           serials=serials, now=now)
    if errors:
        raise ValidationFailed(errors)
    incident = Incident.objects.create(
        kind=kind, occurred_at=occurred_at, discovered_at=discovered_at, place=place,
        involved_persons=involved_persons, level=int(level), description=description, harm=_text(harm),
        measures=_text(measures), reported_by=actor, reported_at=now,
        report_deadline=report_deadline_for(discovered_at),
    )
    IncidentCarrier.objects.bulk_create(
        [IncidentCarrier(incident=incident, serial=serial, added_by=actor) for serial in serials])
    notices = _tell_office(
        incident, title=f"{IncidentKind(kind).label}事件报告：{incident.reference}",
        body=f"{user_name(actor)}报告了{incident.reference}（{IncidentKind(kind).label}，{Level(int(level)).label}），"
             f"发现时间{_when(discovered_at)}。须在{_when(incident.report_deadline)}前向保密行政管理部门和"
             "上级主管部门报告（《保守国家秘密法实施条例》第六十一条）。",
        dedupe_key=f"incident_reported:{incident.pk}")
    _audit(actor=actor, event=events.INCIDENT_REPORT, incident=incident, kind=kind, serials=serials,
           discovered_at=discovered_at.isoformat(), deadline=incident.report_deadline.isoformat(),
           notified=sorted({n.recipient_id for n in notices}))
    return incident


@transaction.atomic
def incident_for_lost_carrier(*, actor, carrier_id, serial, level, note, notify_office=True):
    """A carrier was reported lost in the system: open a 丢失 incident for it, or add it to the open
    丢失 incident discovered the same day (Asia/Shanghai) — one event, one upward report. Called by
    the documents/meetings loss services in their transaction, after their own checks.

    Which open incident: one already naming the carrier (by id, or by the serial typed into the
    report form) — then the call is idempotent; otherwise one reported by the same person, else
    the earliest. Only incidents not yet reported upward take new carriers (after that a loss is a
    new incident, so the upward report stays complete). Returns the incident.

    notify_office=False when the caller alerts 保密办 about the loss itself (one notice, not two);
    the incident is then found from the list and the deadline job still warns before it passes."""
    if not may_report(actor):
        raise PolicyDenied("只有业务人员可以报告载体丢失")
    serial, note = _text(serial), _text(note)
    if not serial or carrier_id is None:
        raise ValidationFailed({"serial": "须指明丢失的载体"})
    level = int(Level(int(level)))
    now = timezone.now()
    today = timezone.localtime(now, SHANGHAI).date()
    day_start = dt.datetime.combine(today, dt.time.min, tzinfo=SHANGHAI)
    # Only the actor's own open loss incidents of the day, or those the system opened for a lost
    # carrier, take it: a report someone else typed by hand (with a guessed serial, perhaps) never
    # receives a carrier, so its reporter is never shown one or its level (issue 11 §2).
    candidates = list(Incident.objects.select_for_update().filter(
        Q(reported_by=actor) | Q(from_carrier_loss=True),
        kind=IncidentKind.LOSS, state=IncidentState.OPEN,
        discovered_at__gte=day_start, discovered_at__lt=day_start + dt.timedelta(days=1),
    ).order_by("discovered_at", "id"))
    named = {row.incident_id: row for row in IncidentCarrier.objects.filter(
        incident__in=candidates).filter(carrier_id=carrier_id)}
    typed = {row.incident_id: row for row in IncidentCarrier.objects.filter(
        incident__in=candidates, incident__reported_by=actor, carrier_id__isnull=True, serial=serial)}
    incident = (next((i for i in candidates if i.pk in named), None)
                or next((i for i in candidates if i.pk in typed), None)
                or next((i for i in candidates if i.reported_by_id == actor.pk), None)
                or (candidates[0] if candidates else None))
    if incident is not None and incident.pk in named:
        return incident
    if incident is None:
        incident = Incident.objects.create(
            kind=IncidentKind.LOSS, discovered_at=now, place="待核实", level=level,
            # The carrier's own note stays on its row, shown only to who may see the carrier.
            description="载体在系统中报告丢失，本事件自动生成；涉及的载体见“涉及载体”。",
            reported_by=actor, reported_at=now, report_deadline=report_deadline_for(now), from_carrier_loss=True,
        )
        IncidentCarrier.objects.create(incident=incident, carrier_id=carrier_id, serial=serial, level=level,
                                       note=note, added_by=actor)
        notified = []
        if notify_office:
            notified = _tell_office(
                incident, title=f"丢失事件报告：{incident.reference}",
                body=f"{user_name(actor)}报告一件载体丢失，已生成{incident.reference}（涉及的载体见事件页）。"
                     f"须在{_when(incident.report_deadline)}前向保密行政管理部门和上级主管部门报告"
                     "（《保守国家秘密法实施条例》第六十一条）。",
                dedupe_key=f"incident_reported:{incident.pk}")
        _audit(actor=actor, event=events.INCIDENT_OPEN_FOR_LOST_CARRIER, incident=incident, carrier=carrier_id,
               serial=serial, deadline=incident.report_deadline.isoformat(),
               notified=sorted({n.recipient_id for n in notified}))
        return incident
    INCIDENT_TRANSITIONS.move_for(incident.state, A.LINK_CARRIER)
    row = typed.get(incident.pk)
    if row is not None:
        # The reporter typed the serial before the carrier was marked lost: this is that carrier.
        row.carrier_id, row.level = carrier_id, level
        row.note = "\n".join(part for part in (row.note, note) if part)
        row.save(update_fields=["carrier_id", "level", "note"])
    else:
        IncidentCarrier.objects.create(incident=incident, carrier_id=carrier_id, serial=serial, level=level,
                                       note=note, added_by=actor)
    raised = level > incident.level
    if raised:
        # The incident's level is the highest involved.
        incident.level = level
        incident.save(update_fields=["level"])
    if notify_office:
        _tell_office(
            incident, title=f"丢失事件新增载体：{incident.reference}",
            body=f"{user_name(actor)}报告一件载体丢失，已并入{incident.reference}（涉及的载体见事件页）。"
                 f"上报期限仍为{_when(incident.report_deadline)}。",
            dedupe_key=f"incident_carrier:{incident.pk}:{carrier_id}")
    _audit(actor=actor, event=events.INCIDENT_LINK_LOST_CARRIER, incident=incident, carrier=carrier_id, serial=serial,
           level_raised=raised)
    return incident


@transaction.atomic
def incident_record_upward_report(*, actor, incident, reported_at, note):
    """登记上报: when 保密办 reported to the 保密行政管理部门 and 上级主管部门, and how (REG24 art. 61).
    A report after the deadline is recorded as it was — late — and shown so."""
    if not is_secrecy_office(actor):
        raise PolicyDenied("只有保密办可以登记向上级报告的情况")
    incident = _lock(incident)
    to = INCIDENT_TRANSITIONS.move_for(incident.state, A.RECORD_UPWARD_REPORT).to
    note = _text(note)
    errors = {}
    if not isinstance(reported_at, dt.datetime):
        errors["reported_at"] = "请填写报告时间"
    elif reported_at > timezone.now() + dt.timedelta(minutes=5):
        errors["reported_at"] = "报告时间不能晚于现在"
    elif reported_at < incident.discovered_at:
        errors["reported_at"] = "报告时间不能早于发现时间"
    if not note:
        errors["note"] = "请写明报告对象、报告方式和文号（如：市国家保密局，书面报告，某保〔2026〕3号）"
    if errors:
        raise ValidationFailed(errors)
    incident.state = to
    incident.upward_reported_at, incident.upward_report_note = reported_at, note
    incident.upward_recorded_by = actor
    incident.save(update_fields=["state", "upward_reported_at", "upward_report_note", "upward_recorded_by"])
    _audit(actor=actor, event=events.INCIDENT_RECORD_UPWARD_REPORT, incident=incident,
           reported_at=reported_at.isoformat(), late=incident.upward_reported_late, note=note)
    return incident


@transaction.atomic
def incident_close(*, actor, incident, closing_note):
    """结案: after the upward report, with the outcome (查处结果、整改措施)."""
    if not is_secrecy_office(actor):
        raise PolicyDenied("只有保密办可以结案")
    incident = _lock(incident)
    to = INCIDENT_TRANSITIONS.move_for(incident.state, A.CLOSE).to
    closing_note = _text(closing_note)
    if not closing_note:
        raise ValidationFailed({"closing_note": "请填写处理结果"})
    incident.state = to
    incident.closing_note = closing_note
    incident.closed_by, incident.closed_at = actor, timezone.now()
    incident.save(update_fields=["state", "closing_note", "closed_by", "closed_at"])
    _audit(actor=actor, event=events.INCIDENT_CLOSE, incident=incident, closing_note=closing_note)
    return incident
