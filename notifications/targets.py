"""What a notice is about, and who may read that (issue 11 §7).

A notice may name one object — a carrier, by its 统一编号 — as its target. Notifications sit below
the apps that own such objects (ARCHITECTURE "The house") and must not import them, so the owner
answers here, in its AppConfig.ready():

    register_target("documents.carrier", visible_ids=..., may_be_told=...)

- ``visible_ids(user, ids)`` → the ids among ``ids`` the user may see *now*. Asked when the inbox
  is read, not when the notice was written: someone taken out of the 知悉范围 since (or an account
  that became an administrator) no longer reads the carrier's number.
- ``may_be_told(user_ids)`` → the recipients who may be notified about such an object at all (the
  three administrators never get a carrier notice).

A target type nobody registered is treated as invisible (default deny).
"""
from dataclasses import dataclass
from typing import Callable

# Shown instead of a notice whose target the reader may not see (no number, no body, no link).
REDACTED_TITLE = "涉及载体的通知（无权查看详情）"


@dataclass(frozen=True)
class Target:
    visible_ids: Callable
    may_be_told: Callable | None = None


_registry = {}


def register_target(label, *, visible_ids, may_be_told=None):
    _registry[label.lower()] = Target(visible_ids=visible_ids, may_be_told=may_be_told)


def target_of(obj):
    """(model label, pk) of an object, the form Message.target takes."""
    return (obj._meta.label_lower, obj.pk)


def content_type_for(label):
    from django.contrib.contenttypes.models import ContentType

    app_label, model = label.lower().split(".")
    return ContentType.objects.get_by_natural_key(app_label, model)


def recipients_allowed(label, user_ids):
    """The user ids that may be notified about an object of this type."""
    target = _registry.get(label.lower())
    if target is None:
        return set()
    return set(user_ids) if target.may_be_told is None else set(target.may_be_told(set(user_ids)))


def mark_redacted(user, rows):
    """Set `redacted` on each notice: True when it names a target this user may not see now.
    One query per target type on the page."""
    wanted = {}
    for row in rows:
        row.redacted = False
        if row.target_type_id is not None:
            wanted.setdefault(row.target_type_id, set()).add(row.target_id)
    if not wanted:
        return rows
    from django.contrib.contenttypes.models import ContentType

    visible = {}
    for type_id, ids in wanted.items():
        content_type = ContentType.objects.get_for_id(type_id)
        target = _registry.get(f"{content_type.app_label}.{content_type.model}")
        visible[type_id] = set(target.visible_ids(user, ids)) if target is not None else set()
    for row in rows:
        if row.target_type_id is not None and row.target_id not in visible[row.target_type_id]:
            row.redacted = True
    return rows
