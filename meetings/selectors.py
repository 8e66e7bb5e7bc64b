"""Reads of meetings that depend on who asks (SPEC §4, §9). An invisible meeting is NotVisible
(answered as 404, never 403)."""
from django.contrib.auth import get_user_model

from personnel.models import ADMIN_ROLES
from personnel.policy import cleared_for_level_q
from secrecy.errors import NotVisible

from . import policy
from .models import Attendee, Handout, Meeting, MeetingState


def meetings_visible_to(*, user, state=None):
    """The meetings this user may see: one SQL query, newest first."""
    queryset = Meeting.objects.filter(policy.visible_meetings_q(user))
    if state:
        queryset = queryset.filter(state=state)
    return queryset.select_related("organiser__person", "department").order_by("-starts_at", "-id")


def meeting_get_for_user(*, user, pk):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotVisible() from None
    meeting = (Meeting.objects.filter(policy.visible_meetings_q(user), pk=pk)
               .select_related("organiser__person", "department", "created_by__person", "closed_by__person",
                               "cancelled_by__person", "opened_by__person").first())
    if meeting is None:
        raise NotVisible()
    return meeting


def meeting_attendees(meeting):
    return list(Attendee.objects.filter(meeting=meeting).select_related(
        "user__person__department", "designated_by__person", "signed_in_recorded_by__person", "added_by__person",
    ).order_by("id"))


def meeting_handouts(meeting):
    return list(Handout.objects.filter(meeting=meeting).select_related(
        "carrier", "attendee__user__person", "handed_by__person", "recovered_by__person", "lost_reported_by__person",
    ).order_by("number"))


def attendee_candidates(meeting):
    """People who may be added: active, not an administrator, cleared for the level (one query),
    not already on the list."""
    return (get_user_model().objects.filter(cleared_for_level_q(meeting.level), is_active=True)
            .exclude(groups__name__in=ADMIN_ROLES)
            .exclude(meeting_attendances__meeting=meeting)
            .select_related("person__department").distinct().order_by("person__department_id", "username"))


def meetings_attended_open(*, user):
    return Meeting.objects.filter(attendees__user=user, state__in=[MeetingState.PLANNING, MeetingState.IN_PROGRESS])
