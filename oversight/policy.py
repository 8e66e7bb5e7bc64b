"""Who may do what in inspections and incidents: the single place that decides (ARCHITECTURE.md
"policy.py"). Roles are personnel's; the three administrators never take part (三员分立, SPEC §1).
"""
from django.contrib.auth import get_user_model

from personnel.models import ADMIN_ROLES, Role
from personnel.policy import has_role, is_admin_role, works_with_carriers


def _active(user):
    return bool(getattr(user, "is_authenticated", False)) and user.is_active


def is_secrecy_office(user):
    """保密办 runs inspections and handles incidents; an administrator never does, even holding the
    role by mistake (三员分立, SPEC §1)."""
    return _active(user) and has_role(user, Role.SECRECY_OFFICE) and not is_admin_role(user)


def is_business_user(user):
    """Someone with a business role (reader, registrar, approver, 保密办) and no administrator role."""
    return _active(user) and works_with_carriers(user)


def user_name(user):
    person = getattr(user, "person", None)
    return getattr(person, "full_name", "") or user.get_username()


def secrecy_office_users():
    """Active 保密办 role holders who are not administrators: who gets the office's notices."""
    return list(get_user_model().objects.filter(groups__name=Role.SECRECY_OFFICE, is_active=True)
                .exclude(groups__name__in=ADMIN_ROLES).distinct().order_by("pk"))


