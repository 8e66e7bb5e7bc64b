from django.urls import NoReverseMatch, reverse

from approvals.policy import may_carry_out_requests, may_decide_anything, may_have_requests, may_open_destruction_batches
from personnel.models import Role
from personnel.policy import is_admin_role, roles_of
from secrecy.badges import badge_counts


def _optional_url(name):
    # Screens built by other work (e.g. the registers) may not be routed yet; the navigation
    # must not break because of that.
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


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
    # Every app's menu numbers in one query (secrecy.badges); documents and notifications register theirs.
    badges = badge_counts(request)
    # Issue 14 §3: an entry only for who may use its page — the very predicate the view checks.
    carries_out = sees_carriers and may_carry_out_requests(user)
    return {
        # 待办: requests to decide plus destruction batches waiting for this user's 监销 confirmation
        # (a witness need not be an approver).
        "approvals_inbox_count": badges.get("approvals_to_decide", 0) + badges.get("approvals_to_witness", 0),
        "sees_inbox": sees_carriers and (may_decide_anything(user) or badges.get("approvals_to_witness", 0) > 0),
        "sees_my_requests": sees_carriers and may_have_requests(user),
        "sees_destruction": sees_carriers and may_open_destruction_batches(user),
        "sees_queue": carries_out,
        "queue_count": badges.get("approvals_to_carry_out", 0) if carries_out else 0,
        "circulation_to_sign_count": badges.get("circulation_to_sign", 0),
        # Every signed-in user has an inbox, the admin roles included.
        "notifications_unread_count": badges.get("notifications_unread", 0),
        "is_approver": is_approver,
        "user_roles": roles,
        "role_labels": [Role(r).label for r in Role.values if r in roles],
        "is_registrar": Role.REGISTRAR in roles and not is_admin_role(user),
        "sees_carriers": sees_carriers,
        "registers_url": registers_url,
    }
