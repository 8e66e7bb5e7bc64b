"""Navigation entries of the 涉密人员 screens (templates/base.html)."""
from .policy import is_principal, may_view_personnel
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
        # One count query, and only for the people who give an opinion on travel.
        "travel_waiting_count": travels_waiting_for(user).count() if queue else 0,
    }
