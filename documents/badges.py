"""The menu badges of documents (secrecy.badges): what each counts, as a queryset, for whom.
(The request badges, 待办 and 待监销, are approvals' own: approvals.badges.)"""
from personnel.policy import is_admin_role, roles_of


def _sees_carriers(user):
    return bool(roles_of(user)) and not is_admin_role(user)


def steps_to_sign(user):
    """传阅 steps with this reader now, waiting for their 阅签."""
    from .selectors_circulation import steps_to_sign_queryset

    return steps_to_sign_queryset(user=user).order_by().values("pk") if _sees_carriers(user) else None
