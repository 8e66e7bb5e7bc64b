from personnel.models import Role
from personnel.policy import roles_of


def navigation(request):
    """Roles of the signed-in user, for the navigation bar."""
    roles = roles_of(getattr(request, "user", None))
    return {
        "user_roles": roles,
        "role_labels": [Role(r).label for r in Role.values if r in roles],
        "is_registrar": Role.REGISTRAR in roles,
    }
