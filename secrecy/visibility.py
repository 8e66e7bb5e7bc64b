"""Asking "which of these carriers may this user see?" from apps below documents.

audits (incidents) and notifications must name a carrier only to people who may see it (SPEC §4),
yet they may not import documents (ARCHITECTURE.md: imports point down). documents answers the
question here in its AppConfig.ready(); until it has, nothing is visible (default deny).
"""
_answer = None


def register_carrier_visibility(func):
    """func(user, ids) -> set of the ids among `ids` that `user` may see, in one query."""
    global _answer
    _answer = func


def carriers_visible_among(user, ids):
    ids = {int(i) for i in ids if i is not None}
    if not ids or _answer is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(_answer(user, ids)) & ids
