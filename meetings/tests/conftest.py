"""Fixtures of the meetings tests: the demo cast (root conftest `unit`), carriers registered by
mishu (who serves every department) and meetings brought to a state through the services."""
import pytest

from meetings import services
from meetings.models import Meeting

from .helpers import attendee_of, meeting_data


@pytest.fixture
def make_meeting(unit):
    def _make(*, actor=None, **overrides):
        return services.meeting_create(actor=actor or unit.mishu, data=meeting_data(unit, **overrides))

    return _make


@pytest.fixture
def carrier_at(register_carrier):
    """carrier_at(level) → an in-registry carrier of 业务一处 registered by mishu."""
    counter = {"n": 0}

    def _make(level=3, **fields):
        counter["n"] += 1
        fields.setdefault("title", f"会议材料之{counter['n']}")
        fields.setdefault("copy_number", counter["n"])
        return register_carrier(level=level, **fields)

    return _make


@pytest.fixture
def running_meeting(unit, make_meeting):
    """A 机密 meeting of mishu's, in progress: lisi and lingdao attending and signed in, baomi
    attending but not signed in."""
    meeting = make_meeting()
    for user in (unit.lisi, unit.lingdao, unit.baomi):
        services.attendee_add(actor=unit.mishu, meeting=meeting, user=user)
    services.meeting_open(actor=unit.mishu, meeting=meeting)
    for user in (unit.lisi, unit.lingdao):
        services.attendee_sign_in(actor=user, meeting=meeting, attendee=attendee_of(meeting, user))
    return Meeting.objects.get(pk=meeting.pk)
