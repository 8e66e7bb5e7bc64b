"""The 涉密会议 navigation entry (templates/base.html), registered in settings.TEMPLATES."""
from django.urls import NoReverseMatch, reverse

from . import policy


def navigation(request):
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False) or not policy.shows_navigation(user):
        return {"meetings_url": None}
    try:
        return {"meetings_url": reverse("meetings:list")}
    except NoReverseMatch:  # the app's URLs are not routed (e.g. a trimmed URLconf in a test)
        return {"meetings_url": None}
