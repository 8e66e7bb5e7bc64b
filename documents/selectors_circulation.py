"""Reads of circulations that depend on who asks (SPEC §4, §6).

A circulation exists for a user only when the user may see its carrier AND is either a registrar
who manages the carrier or one of its readers; for anyone else it is NotVisible (404).
"""
from django.db.models import Exists, OuterRef, Q

from personnel.policy import served_department_ids
from secrecy.errors import NotVisible

from . import policy
from .models import Circulation, CirculationState, CirculationStep


def _manageable_carriers_q(user):
    # policy.may_manage, as a filter: a registrar serving the department, cleared (and for 绝密
    # designated) for the level.
    from personnel.models import Role
    from personnel.policy import handling_clearance, has_role, is_admin_role

    if not has_role(user, Role.REGISTRAR) or is_admin_role(user):
        return Q(pk__in=[])
    return Q(carrier__department_id__in=served_department_ids(user), carrier__level__lte=handling_clearance(user))


def circulations_visible_to(user):
    """Circulations this user may open: one SQL query, no per-row checks."""
    if not getattr(user, "is_authenticated", False):
        return Circulation.objects.none()
    reader = CirculationStep.objects.filter(circulation=OuterRef("pk"), reader=user)
    return Circulation.objects.filter(
        carrier__in=policy.visible_carriers(user).values("pk"),
    ).filter(_manageable_carriers_q(user) | Q(Exists(reader)))


def circulation_get_for_user(*, user, pk):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotVisible() from None
    circulation = (circulations_visible_to(user).filter(pk=pk)
                   .select_related("carrier__department", "started_by__person", "cancelled_by__person").first())
    if circulation is None:
        raise NotVisible()
    return circulation


def circulation_steps(circulation):
    return list(CirculationStep.objects.filter(circulation=circulation).select_related(
        "reader__person__department", "handed_by__person", "returned_to__person").order_by("order"))


def carrier_circulations(*, user, carrier):
    """The circulations of one carrier this user may open, newest first."""
    return list(circulations_visible_to(user).filter(carrier=carrier).order_by("-id"))


def steps_waiting_for(*, user):
    """待阅签: the user's steps in open circulations not yet returned (handed or still to come)."""
    return list(CirculationStep.objects.filter(
        reader=user, returned_at__isnull=True, circulation__state=CirculationState.OPEN,
    ).select_related("circulation__carrier").order_by("-handed_at", "circulation_id"))


def steps_done_by(*, user, limit=50):
    return list(CirculationStep.objects.filter(reader=user, signed_at__isnull=False)
                .select_related("circulation__carrier").order_by("-signed_at")[:limit])


def steps_to_sign_queryset(*, user):
    """For the navigation badge (documents.badges): carriers with this reader now, waiting for their 阅签."""
    return CirculationStep.objects.filter(
        reader=user, handed_at__isnull=False, signed_at__isnull=True, returned_at__isnull=True,
        circulation__state=CirculationState.OPEN,
    )

