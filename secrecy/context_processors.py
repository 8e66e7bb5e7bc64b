from django.conf import settings
from django.urls import NoReverseMatch, reverse

from personnel.models import Role
from personnel.policy import is_admin_role, roles_of

SYSTEM_NAME = "涉密载体管理系统"


def _optional_url(name):
    # Screens built by other work (e.g. the registers) may not be routed yet; the navigation
    # must not break because of that.
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _inbox_count(user, *, approver):
    """待办: requests this approver may decide plus destruction batches waiting for this user's own
    监销 confirmation (a witness need not be an approver). Imported here because secrecy/
    imports no app at module level (the context processor is the project's glue)."""
    from documents.policy import may_decide_anything
    from documents.selectors import requests_inbox_count, requests_to_witness_count

    # A 定密责任人 decides 密级变更 requests without being an approver.
    approver = approver or may_decide_anything(user)

    return (requests_inbox_count(user=user) if approver else 0) + requests_to_witness_count(user=user)


def _to_sign_count(user):
    """传阅 steps waiting for this reader's 阅签 (the carrier is with them)."""
    from documents.selectors_circulation import steps_to_sign_count

    return steps_to_sign_count(user=user)


def _notifications_unread(user):
    """Unread notices for the 通知 badge (capped: the badge shows "99+" beyond)."""
    from notifications.selectors import unread_count

    return unread_count(user=user)


def navigation(request):
    """Roles of the signed-in user and the navigation entries they lead to."""
    user = getattr(request, "user", None)
    roles = roles_of(user)
    signed_in = bool(getattr(user, "is_authenticated", False))
    sees_carriers = signed_in and bool(roles) and not is_admin_role(user)
    registers_url = None
    if sees_carriers and roles & {Role.REGISTRAR, Role.SECRECY_OFFICE}:
        registers_url = _optional_url("registers:index")
    is_approver = sees_carriers and Role.APPROVER in roles
    return {
        "approvals_inbox_count": _inbox_count(user, approver=is_approver) if sees_carriers else 0,
        # Every signed-in user has an inbox, the admin roles included.
        "circulation_to_sign_count": _to_sign_count(user) if sees_carriers else 0,
        "notifications_unread_count": _notifications_unread(user) if signed_in else 0,
        "is_approver": is_approver,
        "system_name": SYSTEM_NAME,
        "unit_name": settings.SECRECY.get("UNIT_NAME", ""),
        "user_roles": roles,
        "role_labels": [Role(r).label for r in Role.values if r in roles],
        "is_registrar": Role.REGISTRAR in roles and not is_admin_role(user),
        "sees_carriers": sees_carriers,
        "registers_url": registers_url,
    }
