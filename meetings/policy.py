"""Who may create, see and manage a classified meeting: the single place that decides (SPEC §4, §9).

- Create: a 保密办 role holder or an approver (领导), and the registrar (机要秘书) who runs the
  meeting's documents; whoever creates it is its organiser (组织者/承办人).
- Manage (every write but an attendee's own sign-in): the organiser, or a 保密办 role holder;
  either needs clearance ≥ the meeting's level.
- See: the managers and the meeting's attendees, each cleared for its level. The three
  administrators never see a meeting (SPEC §1: no carrier content at all).
- 绝密: attendees are designated one by one by a leader with 绝密 approval authority
  (BJ21 art. 25: 参加绝密级会议的人员应当指定).

Visibility is one queryset filter, so the list and the detail page are decided in one SQL query.
"""
from django.db.models import Exists, OuterRef, Q

from personnel.models import Role
from personnel.names import person_name
from personnel.policy import clearance_of, has_role, is_admin_role, person_of, roles_of
from secrecy.levels import Level

from .models import Attendee, MeetingState

CREATING_ROLES = (Role.SECRECY_OFFICE, Role.APPROVER, Role.REGISTRAR)


def _active(user):
    return bool(getattr(user, "is_authenticated", False)) and user.is_active


def _business_user(user):
    return _active(user) and not is_admin_role(user)


def may_create(user):
    """保密办, 领导 and 机要秘书 organise meetings, if cleared for state secrets at all."""
    return (_business_user(user) and bool(roles_of(user) & set(CREATING_ROLES))
            and clearance_of(user) >= Level.CONFIDENTIAL)


def creatable_levels(user):
    """The levels this user may give a meeting they organise: up to their clearance."""
    if not may_create(user):
        return []
    clearance = clearance_of(user)
    return [level for level in (Level.CONFIDENTIAL, Level.SECRET, Level.TOP_SECRET) if level <= clearance]


def manages(user, meeting):
    """The organiser or a 保密办 role holder, cleared for the meeting's level."""
    if not _business_user(user) or clearance_of(user) < meeting.level:
        return False
    return meeting.organiser_id == user.pk or has_role(user, Role.SECRECY_OFFICE)


def may_designate_top_secret(user):
    """BJ21 art. 25: a 绝密 meeting's attendees are designated by a leader with 绝密 approval
    authority (and 绝密 clearance)."""
    if not _business_user(user) or not has_role(user, Role.APPROVER):
        return False
    person = person_of(user)
    return (person is not None and person.approval_authority >= Level.TOP_SECRET
            and clearance_of(user) >= Level.TOP_SECRET)


def visible_meetings_q(user):
    """Q over Meeting: what this user may see (managers and attendees, cleared for the level)."""
    if not _business_user(user):
        return Q(pk__in=[])
    clearance = clearance_of(user)
    if clearance < Level.CONFIDENTIAL:
        return Q(pk__in=[])
    attending = Attendee.objects.filter(meeting=OuterRef("pk"), user=user)
    who = Q(organiser=user) | Q(Exists(attending))
    if has_role(user, Role.SECRECY_OFFICE):
        who = Q()
    return Q(level__lte=clearance) & who


def may_see(user, meeting):
    return type(meeting).objects.filter(visible_meetings_q(user), pk=meeting.pk).exists()


def attendee_refusal(user, meeting):
    """Why this person may not attend this meeting, or None (REG24 art. 45(1); SPEC §9: attendees
    are cleared ≥ the meeting's level)."""
    name = person_name(user)
    if not user.is_active or is_admin_role(user):
        return f"{name}的账号已停用或不是业务人员，不能参加涉密会议"
    if clearance_of(user) < meeting.level:
        return f"{name}的涉密等级不足以参加{Level(meeting.level).label}级会议"
    return None



def shows_navigation(user):
    """The 涉密会议 entry: for those who may create or manage meetings, and for attendees of a meeting
    that is not over yet."""
    if not _business_user(user):
        return False
    if may_create(user):
        return True
    return Attendee.objects.filter(
        user=user, meeting__state__in=[MeetingState.PLANNING, MeetingState.IN_PROGRESS],
        meeting__level__lte=clearance_of(user),
    ).exists()
