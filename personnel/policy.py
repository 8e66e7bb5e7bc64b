"""Who holds which role, and what follows from it. Pure predicates; no writes."""
from django.db.models import Q

from secrecy.levels import Level

from .models import ADMIN_ROLES, Role


def roles_of(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_secrecy_roles", None)
    if cached is None:
        groups = _groups_of(user)
        cached = frozenset(name for name in groups.values() if name in Role.values)
        user._secrecy_roles = cached
    return cached


def _groups_of(user):
    """{group id: name} of the user's groups — roles and department — in one query per user object."""
    cached = getattr(user, "_secrecy_groups", None)
    if cached is None:
        cached = dict(user.groups.values_list("id", "name"))
        user._secrecy_groups = cached
    return cached


def group_ids_of(user):
    """The ids of the user's groups (roles and department): 知悉范围 granted to a group is matched
    on these ids directly (documents.policy.visibility_sources)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return sorted(_groups_of(user))


def has_role(user, role):
    return role in roles_of(user)


def is_admin_role(user):
    """The three administrators see no carrier content at all (SPEC §1)."""
    return bool(roles_of(user) & set(ADMIN_ROLES))


def works_with_carriers(user):
    """Holds a business role and none of the three administrators' (三员 see no carrier content,
    SPEC §2): whose menus may count carriers and requests at all."""
    return bool(roles_of(user)) and not is_admin_role(user)


def person_of(user):
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.person
    except Exception:  # RelatedObjectDoesNotExist: accounts without a personnel record
        return None


def clearance_of(user):
    """The highest level this user may see, 0 when none (inactive, anonymous, admin roles)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or is_admin_role(user):
        return 0
    person = person_of(user)
    return person.clearance if person else int(Level.WORK)


def cleared_for_level_q(level, prefix="person__"):
    """Q over User (or, with another prefix, over a model reaching Person): people whose clearance
    reaches the level — Person.clearance in SQL (class, passed review, signed commitment, on post),
    so a choice list is one query. Account state and admin roles are the caller's filter."""
    from .models import CLASS_CLEARANCE, PersonStatus

    if int(level) <= Level.WORK:
        return Q()
    classes = [str(cls) for cls, cleared in CLASS_CLEARANCE.items() if cleared >= int(level)]
    return Q(**{f"{prefix}person_class__in": classes, f"{prefix}review_passed": True,
                f"{prefix}commitment_signed_on__isnull": False, f"{prefix}status": PersonStatus.ON_POST})


def served_department_ids(user):
    if not has_role(user, Role.REGISTRAR):
        return []
    cached = getattr(user, "_secrecy_served", None)
    if cached is None:
        person = person_of(user)
        cached = list(person.served_departments.values_list("id", flat=True)) if person else []
        user._secrecy_served = cached
    return cached


def handles_top_secret(user):
    """Designated by the 主要负责人 to receive, keep and hand out 绝密 carriers (LAW24 art. 26;
    REG24 art. 29(1))."""
    person = person_of(user)
    return bool(person and person.top_secret_registrar)


def handling_clearance(user):
    """The highest level this registrar may receive, keep or hand out: the clearance, except that
    绝密 needs the 专人 designation as well (LAW24 art. 26; REG24 art. 29(1))."""
    clearance = clearance_of(user)
    if clearance >= Level.TOP_SECRET and not handles_top_secret(user):
        return int(Level.SECRET)
    return clearance


def is_principal(user):
    person = person_of(user)
    return bool(person and person.is_principal and user.is_active and not is_admin_role(user))


def decides_scope_expansion(user):
    """The 主要负责人 or the delegate they named (SPEC §5: 知悉范围扩大)."""
    person = person_of(user)
    return bool(person and (person.is_principal or person.scope_delegate) and user.is_active
                and not is_admin_role(user))


def may_grant_roles(user):
    return has_role(user, Role.SECURITY_ADMIN)


# ------------------------------------------------------------------------------ 涉密人员 (SPEC §8)


def _active(user):
    return bool(getattr(user, "is_authenticated", False)) and user.is_active


def may_manage_personnel(user):
    """保密办 keeps the 涉密人员 records: training, reviews, travel documents, leaving (SPEC §1)."""
    return _active(user) and has_role(user, Role.SECRECY_OFFICE) and not is_admin_role(user)


def may_edit_clearance(user):
    """Class, review, commitment and authorities decide what a person sees: 保密办 records them and
    the 安全保密管理员 grants clearances (SPEC §1). Neither sees carriers because of it."""
    return _active(user) and (has_role(user, Role.SECRECY_OFFICE) or has_role(user, Role.SECURITY_ADMIN))


def may_view_personnel(user):
    return may_edit_clearance(user)


def may_approve_leave(user, person):
    """The unit approves leaving a secret post (REG24 art. 53): a leader, never the person."""
    return (_active(user) and has_role(user, Role.APPROVER) and not is_admin_role(user)
            and person.user_id != user.pk)


def may_give_hr_opinion(user, travel):
    """组织人事部门 opinion on travel abroad (REG24 art. 52): a leader or the 机要/人事 officer of
    the personnel office, never the traveller."""
    me = person_of(user)
    return (_active(user) and not is_admin_role(user) and me is not None
            and me.department.is_personnel_office
            and (has_role(user, Role.APPROVER) or has_role(user, Role.REGISTRAR))
            and travel.person.user_id != user.pk)


def may_give_secrecy_opinion(user, travel):
    """保密工作机构 opinion (REG24 art. 52): 保密办, never the traveller, and not the one who gave
    the 组织人事 opinion — two opinions from two people."""
    return (may_manage_personnel(user) and travel.person.user_id != user.pk
            and travel.hr_by_id != user.pk)


def may_request_travel(user, person):
    """The person asks for themself; 保密办 files for someone who cannot log in (脱密期)."""
    if not _active(user) or is_admin_role(user):
        return False
    return person.user_id == user.pk or may_manage_personnel(user)



def leaving_q(prefix="person__"):
    """Q over User (or a model reaching Person with another prefix): people whose 离岗离职 is being
    handled (an open Leave). They are about to hand back their access (REG24 art. 53), so they are
    not given new duties such as witnessing a destruction."""
    from django.db.models import Exists, OuterRef

    from .models import Leave, LeaveState

    open_leave = Leave.objects.filter(person_id=OuterRef(f"{prefix}pk" if prefix else "pk"), state=LeaveState.OPEN)
    return Q(Exists(open_leave))


def is_leaving(user):
    """Whether this person's 离岗离职 is open (离岗办理中)."""
    from .models import Leave, LeaveState

    person = person_of(user)
    return bool(person is not None and Leave.objects.filter(person=person, state=LeaveState.OPEN).exists())
