"""Who reads the audit log, whose acts the daily summary watches, and how the log names people.

audits sits just above secrecy and imports no app (ARCHITECTURE.md: imports point down), yet the
roles (安全审计员, the other two 三员) and the 涉密人员 records with people's names are personnel's.
So audits asks here and PersonnelConfig.ready() registers the answers. Until it has, nobody reads
the log (default deny), only superusers are watched and people show as their account names.
"""
import dataclasses
from typing import Callable

from django.contrib.auth import get_user_model
from django.db.models import Q


@dataclasses.dataclass(frozen=True)
class People:
    # user -> bool: the 安全审计员, the only reader of the log (SPEC §1, §10).
    is_auditor: Callable = lambda user: False
    # () -> Q over the user model: the active auditors, who receive the daily summary.
    auditors_q: Callable = lambda: Q(pk__in=[])
    # () -> Q over the user model: the administrators whose acts the daily summary lists
    # (REG24 art. 32–35: the other two of the 三员); superusers are always added.
    watched_admins_q: Callable = lambda: Q(pk__in=[])
    # user -> str: the person's name, "" for an account without one.
    full_name: Callable = lambda user: ""
    # The user model's relation full_name reads, for select_related over a page of events.
    name_related: str = ""


_people = People()


def register_people(**answers):
    """Fill the answers (People's fields) from the app that owns people and roles."""
    global _people
    _people = dataclasses.replace(_people, **answers)


def may_read_audit_log(user):
    return bool(getattr(user, "is_authenticated", False)) and bool(_people.is_auditor(user))


def auditor_ids():
    """Active auditors' user ids, in one query."""
    return list(get_user_model().objects.filter(_people.auditors_q(), is_active=True)
                .values_list("pk", flat=True).distinct())


def watched_admin_ids():
    """A subquery of the users whose acts the daily summary counts as 管理员操作: the watched
    administrators and any superuser, who can do in the Django admin what the roles can and more."""
    return get_user_model().objects.filter(_people.watched_admins_q() | Q(is_superuser=True)).values("pk")


def full_name(user):
    return (_people.full_name(user) or "") if user is not None else ""


def actor_related():
    """The select_related path from an event to what actor labels read."""
    return f"actor__{_people.name_related}" if _people.name_related else "actor"
