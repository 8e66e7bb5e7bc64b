"""The menu badges of documents (secrecy.badges): what each counts, as a queryset, for whom.
(The request badges, 待办 and 待监销, are approvals' own: approvals.badges.)"""
from personnel.policy import works_with_carriers


def steps_to_sign(user):
    """传阅 steps with this reader now, waiting for their 阅签."""
    from .selectors_circulation import steps_to_sign_queryset

    return steps_to_sign_queryset(user=user).order_by().values("pk") if works_with_carriers(user) else None
