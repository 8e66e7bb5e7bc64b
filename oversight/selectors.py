"""Every read of inspections and incidents that depends on who is asking (ARCHITECTURE.md
"selectors.py"). An inspection or incident the user may not see is NotVisible (answered 404)."""
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q

from personnel.models import ADMIN_ROLES, Role
from secrecy.errors import NotVisible

from .models import FindingResult, Incident, Inspection, Rectification, RectificationState
from .policy import is_business_user, is_secrecy_office


# ------------------------------------------------------------------------------------ inspections
# 保密办 sees every inspection; the owner of a rectification item sees the inspection it belongs to
# (read-only but for their own item); everyone else — the administrators included — sees none
# (answered 404, never 403).


def visible_inspections_q(user):
    if is_secrecy_office(user):
        return Q()
    if not is_business_user(user):
        return Q(pk__in=[])
    return Q(Exists(Rectification.objects.filter(inspection=OuterRef("pk"), owner=user)))


def inspections_visible_to(*, user, state=None):
    queryset = Inspection.objects.filter(visible_inspections_q(user))
    if state:
        queryset = queryset.filter(state=state)
    return queryset.select_related("department", "lead_inspector__person", "template").annotate(
        nonconform_count=Count("findings", filter=Q(findings__result=FindingResult.NONCONFORM), distinct=True),
        rectification_count=Count("rectifications", distinct=True),
        open_rectification_count=Count("rectifications", filter=Q(rectifications__state=RectificationState.OPEN),
                                       distinct=True),
    ).order_by("-inspected_on", "-id")


def inspection_get_for_user(*, user, pk):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotVisible() from None
    inspection = (Inspection.objects.filter(visible_inspections_q(user), pk=pk)
                  .select_related("department", "template", "lead_inspector__person", "created_by__person",
                                  "closed_by__person").first())
    if inspection is None:
        raise NotVisible()
    return inspection


def rectifications_owned_by(*, user):
    """我的整改事项: the user's items, open ones first, then by deadline."""
    if not is_business_user(user):
        return Rectification.objects.none()
    return (Rectification.objects.filter(owner=user).select_related("inspection__department", "verified_by__person")
            .order_by("state", "deadline", "id"))


def rectification_candidates():
    """Who may own a rectification item: active business users (one query)."""
    business = [r for r in Role.values if r not in ADMIN_ROLES]
    return (get_user_model().objects.filter(is_active=True, groups__name__in=business)
            .exclude(groups__name__in=ADMIN_ROLES).select_related("person__department").distinct()
            .order_by("person__department_id", "username"))


# -------------------------------------------------------------------------------------- incidents
# 保密办 sees every incident (it must report each one upward, REG24 art. 61, whatever its level);
# a reporter sees the incidents they reported; everyone else — the administrators included — sees
# none (404).


def visible_incidents_q(user):
    if is_secrecy_office(user):
        return Q()
    if not is_business_user(user):
        return Q(pk__in=[])
    return Q(reported_by=user)


def incidents_visible_to(*, user, state=None):
    queryset = Incident.objects.filter(visible_incidents_q(user))
    if state:
        queryset = queryset.filter(state=state)
    return queryset.select_related("reported_by__person").order_by("-discovered_at", "-id")


def incident_get_for_user(*, user, pk):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotVisible() from None
    incident = (Incident.objects.filter(visible_incidents_q(user), pk=pk)
                .select_related("reported_by__person", "upward_recorded_by__person", "closed_by__person").first())
    if incident is None:
        raise NotVisible()
    return incident
