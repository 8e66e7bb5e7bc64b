"""Helpers shared by the meetings tests."""
import datetime as dt

from django.utils import timezone

from audits.models import AuditEvent
from documents.models import Carrier, CustodyEvent
from meetings import services
from meetings.models import Attendee, Disposition, Handout, Meeting
from notifications.models import Notification
from secrecy.errors import DomainError
from tests import grid

CHECKLIST_ALL = dict(phones_banned=True, signal_shielding=True, venue_checked=True, discipline_announced=True)


def meeting_data(unit, **overrides):
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=1)
    data = dict(
        name="年度重点工作部署会", level=3, starts_at=start, ends_at=start + dt.timedelta(hours=2),
        venue="机关三楼保密会议室", department=unit.business, content="部署年度重点工作",
        broadcast_scope="传达至处级以上干部", **CHECKLIST_ALL,
    )
    data.update(overrides)
    return data


def attendee_of(meeting, user):
    return Attendee.objects.get(meeting=meeting, user=user)


def give(unit, meeting, carrier, user, disposition=Disposition.RECOVER, actor=None):
    return services.handout_give(actor=actor or unit.mishu, meeting=meeting, serial=carrier.serial,
                                 attendee=attendee_of(meeting, user), disposition=disposition)


def world():
    """Everything a meeting write could touch."""
    return {
        "meetings": list(Meeting.objects.order_by("id").values_list(
            "id", "state", "name", "level", "venue", "phones_banned", "signal_shielding", "venue_checked",
            "opened_at", "closed_at", "cancelled_at", "cancel_reason")),
        "attendees": list(Attendee.objects.order_by("id").values_list(
            "id", "user_id", "role", "designated_by_id", "signed_in_at", "signed_in_recorded_by_id")),
        "handouts": list(Handout.objects.order_by("id").values_list(
            "id", "number", "carrier_id", "recovered_at", "lost_reported_at", "kept_registered_at")),
        "carriers": list(Carrier.objects.order_by("id").values_list(
            "id", "custody_status", "custodian_id", "department_id")),
        "custody": CustodyEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "notices": Notification.objects.count(),
    }


def assert_refused(call, error=DomainError, expect=None, field=None):
    """The call is refused with a Chinese message (next to `field` when given) and changes nothing."""
    return grid.assert_refused(call, world=world, error=error, expect=expect, field=field)


def last_events(n=1):
    return list(AuditEvent.objects.order_by("-seq")[:n])


def assert_one_event(before_audit, action, actor, meeting):
    events = list(AuditEvent.objects.filter(seq__gt=before_audit).order_by("seq"))
    assert [e.action for e in events] == [action], [e.action for e in events]
    event = events[0]
    assert event.actor_id == actor.pk and event.target_id == meeting.pk and event.level == meeting.level
    return event


def audit_seq():
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0
