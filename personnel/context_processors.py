"""Navigation entries of the 涉密人员 screens (templates/base.html)."""
from secrecy.badges import badge_counts

from .policy import is_principal, may_manage_personnel, may_view_personnel
from .selectors import accounts_awaiting_record
from .views import sees_travel_queue, travels_waiting_for


def navigation(request):
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    queue = sees_travel_queue(user)
    return {
        "sees_personnel": may_view_personnel(user),
        "sees_travel_queue": queue,
        "designates": is_principal(user),
        # Counted with every other badge (secrecy.badges), only for who gives an opinion on travel.
        "travel_waiting_count": badge_counts(request).get("travel_waiting", 0) if queue else 0,
        # 待建档 (issue 14 §7): new accounts waiting for their 涉密人员 record, for the 保密办.
        "awaiting_record_count": badge_counts(request).get("awaiting_record", 0) if may_manage_personnel(user) else 0,
    }


def travel_waiting(user):
    """出境审批 badge: trips waiting for an opinion this user may give."""
    return travels_waiting_for(user).order_by().values("pk") if sees_travel_queue(user) else None


def awaiting_record(user):
    """涉密人员 badge: accounts without a 涉密人员 record (待建档), for the 保密办 only."""
    return accounts_awaiting_record(user=user).order_by().values("pk") if may_manage_personnel(user) else None
