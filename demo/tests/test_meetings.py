"""The demo's meetings (SPEC §14): one over (机密), one running (秘密), one being prepared (绝密),
built through the services on top of `seed_demo`, and only once."""
import random

import pytest
from django.utils import timezone

from audits.models import AuditEvent
from demo import meetings as demo
from demo.base import Context
from documents.models import CustodyStatus
from meetings.models import Disposition, Meeting, MeetingState
from personnel.models import Department


def _context():
    from django.contrib.auth import get_user_model

    ctx = Context(rng=random.Random(1), today=timezone.localdate())
    ctx.seed_day = ctx.today
    ctx.departments = {d.code: d for d in Department.objects.all()}
    for user in get_user_model().objects.all():
        ctx.users[user.username] = user
    return ctx


@pytest.fixture
def seeded(demo):
    """The demo, meetings section included (seed_demo runs it; conftest.SharedDemo)."""
    return demo


@pytest.mark.django_db
def test_three_meetings_in_three_states(seeded):
    meetings = {m.name: m for m in Meeting.objects.filter(name__in=demo.DEMO_NAMES)}
    assert len(meetings) == 3
    closed, running, planned = (meetings[n] for n in demo.DEMO_NAMES)
    assert (closed.state, closed.level) == (MeetingState.CLOSED, 3)
    assert (running.state, running.level) == (MeetingState.IN_PROGRESS, 2)
    assert (planned.state, planned.level) == (MeetingState.PLANNING, 4)

    handouts = list(closed.handouts.order_by("number"))
    assert len(handouts) == 3
    assert sum(1 for h in handouts if h.recovered_at) == 2
    kept = [h for h in handouts if h.disposition == Disposition.KEEP]
    assert len(kept) == 1 and kept[0].kept_registered_at is not None
    assert all(h.carrier.custody_status == CustodyStatus.IN_REGISTRY for h in handouts)

    assert running.attendees.filter(signed_in_at__isnull=False).count() == 2
    open_handout = running.handouts.get()
    assert open_handout.is_open and open_handout.carrier.custody_status == CustodyStatus.AT_MEETING

    assert planned.organiser.username == "zhuren"
    assert all(a.designated_by_id == planned.organiser_id for a in planned.attendees.all())


@pytest.mark.django_db
def test_running_it_again_changes_nothing(seeded):
    before = AuditEvent.objects.count()
    again = demo.seed_meetings(_context())
    assert again.created == 0 and again.existing == 3
    assert AuditEvent.objects.count() == before
