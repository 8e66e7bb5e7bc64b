"""Who may see and do what with carriers: the single place that decides (SPEC §4).

Visibility is a queryset filter, so every list, count, detail page and export is decided inside
one SQL query (no per-row checks in Python, no guardian get_objects_for_user on hot paths).
"""
from django.db.models import Exists, OuterRef, Q

from personnel.models import Role
from personnel.policy import clearance_of, has_role, is_admin_role, served_department_ids
from secrecy.levels import Level

from .models import Carrier, CarrierGroupScope, CarrierUserScope

VIEW_CODENAME = "view_carrier"

# Later workflows (open loans, circulation) add their own "holds it right now" grants here as
# functions user -> Q over Carrier; they are OR-ed into need-to-know below.
EXTRA_NEED_TO_KNOW = []


def need_to_know_q(user):
    """知悉范围 (user or group grant) OR custodian OR registrar of its 管理部门 OR extras."""
    user_grant = CarrierUserScope.objects.filter(
        content_object=OuterRef("pk"), user=user, permission__codename=VIEW_CODENAME,
    )
    group_grant = CarrierGroupScope.objects.filter(
        content_object=OuterRef("pk"), group__user=user, permission__codename=VIEW_CODENAME,
    )
    q = Q(Exists(user_grant)) | Q(Exists(group_grant)) | Q(custodian=user)
    departments = served_department_ids(user)
    if departments:
        q |= Q(department_id__in=departments)
    for extra in EXTRA_NEED_TO_KNOW:
        q |= extra(user)
    return q


def visible_carriers(user, queryset=None):
    """Carriers this user may see. Clearance ≥ level AND need to know (SPEC §4)."""
    queryset = Carrier.objects.all() if queryset is None else queryset
    clearance = clearance_of(user)
    if clearance <= 0 or is_admin_role(user):
        return queryset.none()
    return queryset.filter(Q(level__lte=clearance) & need_to_know_q(user))


def may_register(user, department, level=None):
    """A registrar serving the department, cleared for the level, may register carriers there."""
    if not has_role(user, Role.REGISTRAR) or is_admin_role(user):
        return False
    if department is not None and department.pk not in served_department_ids(user):
        return False
    return level is None or clearance_of(user) >= int(level)


def may_manage(user, carrier):
    """Correct a registration or change its scope: a registrar serving its 管理部门."""
    return may_register(user, carrier.department, carrier.level)


def may_be_classifier(user, level):
    """定密责任人 must hold 定密 authority for the level (LAW24 art. 17; REG24 art. 14)."""
    person = getattr(user, "person", None)
    return bool(person) and user.is_active and person.classification_authority >= int(level)


def view_is_recorded(carrier):
    # REG24 art. 20: everyone who knows 机密-level or higher secrets must be recorded.
    return carrier.level >= Level.SECRET


def may_print_registers(user):
    """Any active, signed-in user prints their own visible rows; the three admin roles have no
    carrier content at all (SPEC §1), so they have no registers either."""
    return bool(getattr(user, "is_authenticated", False)) and user.is_active and not is_admin_role(user)
