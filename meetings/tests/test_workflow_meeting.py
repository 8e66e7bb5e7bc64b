"""The meeting's transition table (meetings/models.py MEETING_TRANSITIONS): every (state × action ×
role) cell. A cell the table allows for the role succeeds, moves the meeting to the table's state
and writes exactly one audit event; every other cell is refused with a Chinese message and changes
nothing. Each role's attempt runs in a savepoint that is rolled back, so every role meets the same
meeting.

Roles: the organiser (mishu, a registrar: manages the meeting and the carriers), 保密办 (baomi:
manages the meeting, not the carriers — so its hand-out is refused by the carrier rule), an
attendee (lisi), an outsider cleared for the level who does not attend, and an administrator."""
import pytest

from audits.models import AuditEvent
from conftest import make_carrier, make_user
from documents.models import Carrier
from meetings import services
from meetings.models import (
    MEETING_TRANSITIONS, Disposition, Handout, Meeting, MeetingAction, MeetingParty, MeetingState,
)
from personnel.models import Role
from secrecy.errors import InvalidState, NotVisible, PolicyDenied
from tests import grid

from .helpers import attendee_of, meeting_data, world

ROLES = ["organiser", "secrecy_office", "attendee", "outsider", "admin"]
PARTIES = {"organiser": {MeetingParty.MANAGER}, "secrecy_office": {MeetingParty.MANAGER},
           "attendee": {MeetingParty.ATTENDEE}, "outsider": set(), "admin": set()}
# The meeting rule is the table's; handing out also needs the carrier's registrar (documents.policy).
MANAGES_CARRIERS = {"organiser"}
INVISIBLE = {"outsider", "admin"}


def module_cast(unit):
    """Two more readers of 业务一处, made with the cast (conftest.module_cast_of)."""
    return {
        "outsider": make_user("waibu", department=unit.business, roles=[Role.READER], person_class="important"),
        "newcomer": make_user("xinren", department=unit.business, roles=[Role.READER], person_class="important"),
    }


def meeting_carriers(unit):
    """Three 机密 carriers of 业务一处, 份号 1–3, 在库 with mishu."""
    return [make_carrier(unit, level=3, copy_number=n, title=f"会议材料{n}") for n in range(1, 4)]


@pytest.fixture
def cast(unit):
    unit["carriers"] = meeting_carriers(unit)
    return unit


def actor_for(cast, role):
    return {"organiser": cast.mishu, "secrecy_office": cast.baomi, "attendee": cast.lisi,
            "outsider": cast.outsider, "admin": cast.secadmin}[role]


def make_meeting(cast, state):
    """A 机密 meeting of mishu's in `state`. Attendees: lisi (not signed in) and lingdao (signed in,
    holding copy 1 marked 可带回, so a close in progress succeeds and leaves something to recover)."""
    meeting = services.meeting_create(actor=cast.mishu, data=meeting_data(cast))
    services.attendee_add(actor=cast.mishu, meeting=meeting, user=cast.lisi)
    services.attendee_add(actor=cast.mishu, meeting=meeting, user=cast.lingdao)
    if state == MeetingState.PLANNING:
        return meeting
    if state == MeetingState.CANCELLED:
        return services.meeting_cancel(actor=cast.mishu, meeting=meeting, reason="会议改期")
    services.meeting_open(actor=cast.mishu, meeting=meeting)
    services.attendee_sign_in(actor=cast.lingdao, meeting=meeting, attendee=attendee_of(meeting, cast.lingdao))
    services.handout_give(actor=cast.mishu, meeting=meeting, serial=cast.carriers[0].serial,
                          attendee=attendee_of(meeting, cast.lingdao), disposition=Disposition.KEEP)
    if state == MeetingState.IN_PROGRESS:
        return Meeting.objects.get(pk=meeting.pk)
    return services.meeting_close(actor=cast.mishu, meeting=meeting)


def perform(cast, action, *, actor, meeting):
    A = MeetingAction
    # Before the meeting starts (or when it was cancelled) there is no copy: the service still
    # answers by the table first, so an unsaved handout is enough to ask it.
    handout = meeting.handouts.order_by("number").first() or Handout(pk=0)
    if action == A.UPDATE:
        return services.meeting_update(actor=actor, meeting=meeting, data={"venue": "二号保密会议室"})
    if action == A.ADD_ATTENDEE:
        return services.attendee_add(actor=actor, meeting=meeting, user=cast.newcomer)
    if action == A.OPEN:
        return services.meeting_open(actor=actor, meeting=meeting)
    if action == A.SIGN_IN:
        return services.attendee_sign_in(actor=actor, meeting=meeting, attendee=attendee_of(meeting, cast.lisi))
    if action == A.HAND_OUT:
        return services.handout_give(actor=actor, meeting=meeting, serial=cast.carriers[1].serial,
                                     attendee=attendee_of(meeting, cast.lingdao))
    if action == A.RECOVER:
        return services.handout_recover(actor=actor, meeting=meeting, handout=handout)
    if action == A.REPORT_LOST:
        return services.handout_report_lost(actor=actor, meeting=meeting, handout=handout, note="会后清点发现缺失")
    if action == A.CLOSE:
        return services.meeting_close(actor=actor, meeting=meeting)
    if action == A.CANCEL:
        return services.meeting_cancel(actor=actor, meeting=meeting, reason="会议改期")
    raise AssertionError(action)


def check_cell(cast, meeting_pk, state, action, role):
    meeting = Meeting.objects.get(pk=meeting_pk)
    actor = actor_for(cast, role)
    move = MEETING_TRANSITIONS.get((state, action))
    allowed = (move is not None and bool(PARTIES[role] & set(move.by))
               and (action != MeetingAction.HAND_OUT or role in MANAGES_CARRIERS))
    before = world()

    if not allowed:
        refused = grid.assert_refused(lambda: perform(cast, action, actor=actor, meeting=meeting), world=world,
                                      message_only=True)
        if role in INVISIBLE:
            assert isinstance(refused, NotVisible), "an outsider does not see the meeting at all"
        elif move is None:
            assert isinstance(refused, InvalidState), refused.message
        elif move is not None and PARTIES[role] & set(move.by):
            # A manager of the meeting who is not the carrier's registrar: refused on the carrier
            # (not visible to them, or not theirs to manage), next to the 统一编号 field.
            assert action == MeetingAction.HAND_OUT and "serial" in refused.field_errors
        elif move is not None:
            assert isinstance(refused, PolicyDenied), refused.message
        return

    perform(cast, action, actor=actor, meeting=meeting)
    after = world()
    assert Meeting.objects.get(pk=meeting_pk).state == move.to
    # One event per real change: a copy reported lost also opens a 丢失 incident (SPEC §10).
    expected = 2 if action == MeetingAction.REPORT_LOST else 1
    assert after["audit"] == before["audit"] + expected, "one audit event per real change"
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action.startswith("meeting.") and event.actor_id == actor.pk
    assert event.target_id == meeting_pk and event.level == 3


def module_stage(unit, state):
    """The carriers and a meeting brought to `state`, shared by the cells of that state (conftest
    `staged`): their primary keys."""
    unit["carriers"] = meeting_carriers(unit)
    return {"meeting": make_meeting(unit, state).pk, "carriers": [c.pk for c in unit["carriers"]]}


@pytest.mark.parametrize("action", MeetingAction.values)
@pytest.mark.parametrize("state", MeetingState.values)
def test_every_cell_of_the_meeting_table(unit, staged, state, action):
    cast = unit
    cast["carriers"] = [Carrier.objects.get(pk=pk) for pk in staged["carriers"]]
    grid.check_every_role(ROLES, lambda role: check_cell(cast, staged["meeting"], state, action, role),
                          world=world, cell=f"{state} × {action}", start="the same meeting")


def test_the_table_names_known_states_actions_and_parties():
    for (state, action), move in MEETING_TRANSITIONS.items():
        assert state in MeetingState.values and move.to in MeetingState.values
        assert action in MeetingAction.values and set(move.by) <= set(MeetingParty.values)
    # Over is over: nothing leaves 已结束 or 已取消.
    assert MEETING_TRANSITIONS.actions_from(MeetingState.CLOSED) == [] and MEETING_TRANSITIONS.actions_from(MeetingState.CANCELLED) == []
    # Only an attendee's own sign-in is not a manager's action.
    assert [a for (s, a), m in MEETING_TRANSITIONS.items() if MeetingParty.ATTENDEE in m.by] == [MeetingAction.SIGN_IN]
