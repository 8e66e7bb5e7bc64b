"""Navigation entries of 保密检查 and 泄密/丢失事件 (templates/base.html), registered in
settings.TEMPLATES. One count query per page for business users (我的整改), one more for 保密办
(incidents not yet reported upward); nothing for the administrators."""
from django.urls import NoReverseMatch, reverse

from .models import Incident, IncidentState, Rectification, RectificationState
from .services_inspections import is_business_user, is_secrecy_office

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
        "my_rectifications_count": Rectification.objects.filter(owner=user, state=RectificationState.OPEN).count(),
        # REG24 art. 61: what 保密办 still has to report upward.
        "incidents_open_count": Incident.objects.filter(state=IncidentState.OPEN).count() if office else 0,
    }
