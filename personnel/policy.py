"""Who holds which role, and what follows from it. Pure predicates; no writes."""
from django.db.models import Q

from secrecy.levels import Level

from .models import ADMIN_ROLES, Role


def roles_of(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_secrecy_roles", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        user._secrecy_roles = cached
    return cached


def has_role(user, role):
    return role in roles_of(user)


def is_admin_role(user):
    """The three administrators see no carrier content at all (SPEC §1)."""
    return bool(roles_of(user) & set(ADMIN_ROLES))


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


def may_grant_roles(user):
    return has_role(user, Role.SECURITY_ADMIN)
