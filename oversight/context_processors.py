"""Navigation entries of 保密检查 and 泄密/丢失事件 (templates/base.html), registered in
settings.TEMPLATES. The counts (我的整改, and for 保密办 the incidents not yet reported upward) are
badges counted with every other one (secrecy.badges); nothing for the administrators."""
from django.urls import NoReverseMatch, reverse

from secrecy.badges import badge_counts

from .models import Incident, IncidentState, Rectification, RectificationState
from .policy import is_business_user, is_secrecy_office

EMPTY = {"inspections_nav_url": None, "incidents_nav_url": None, "my_rectifications_count": 0,
         "incidents_open_count": 0}


def navigation(request):
    user = getattr(request, "user", None)
    if not is_business_user(user):
        return EMPTY
    office = is_secrecy_office(user)
    try:
        inspections_url = reverse("inspections:list") if office else None
        # Everyone with a business role may report an incident from the list page.
        incidents_url = reverse("incidents:list")
    except NoReverseMatch:  # the URLs are not routed (e.g. a trimmed URLconf in a test)
        return EMPTY
    return {
        "inspections_nav_url": inspections_url,
        "incidents_nav_url": incidents_url,
        "my_rectifications_count": badge_counts(request).get("my_rectifications", 0),
        "incidents_open_count": badge_counts(request).get("incidents_open", 0),
    }


def my_rectifications(user):
    """我的整改 badge (secrecy.badges): open rectifications this business user owns."""
    if not is_business_user(user):
        return None
    return Rectification.objects.filter(owner=user, state=RectificationState.OPEN).values("pk")


def incidents_open(user):
    """泄密事件 badge for 保密办: incidents not yet reported upward (REG24 art. 61)."""
    if not is_secrecy_office(user):
        return None
    return Incident.objects.filter(state=IncidentState.OPEN).values("pk")
