"""Keyset (seek) pagination, newest first: the one paginator of every big list.

OFFSET pages cost more the further one goes (the database reads and throws away every earlier
row); a seek page starts at its cursor through the key's index, so the last page of a million rows
costs what the first does (ARCHITECTURE "Choices that keep it fast").

A page is asked for with at most one cursor: `after` (the oldest key already shown: older rows
follow) or `before` (the newest key shown: newer rows, read upward and turned round).
"""


def keyset_page(fetch, *, after=None, before=None, size, key="id"):
    """One page of `size` rows, newest first, and where the neighbouring pages start.

    fetch(bound, order, limit) returns up to `limit` rows satisfying the lookup dict `bound`
    (e.g. {"id__lt": 41}), ordered by `order` ("id" or "-id"). A list whose rows come from one
    queryset passes queryset_fetch(queryset); a list built otherwise (documents' union of
    visibility sources) passes its own.
    """
    if before is not None:
        rows = list(fetch({f"{key}__gt": before}, key, size + 1))
        has_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_older = True
    else:
        rows = list(fetch({f"{key}__lt": after} if after is not None else {}, f"-{key}", size + 1))
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = after is not None
    return {"rows": rows, "has_older": has_older, "has_newer": has_newer,
            "older_cursor": getattr(rows[-1], key) if rows else None,
            "newer_cursor": getattr(rows[0], key) if rows else None}


def queryset_fetch(queryset):
    """The fetch of a list that is one queryset."""
    return lambda bound, order, limit: queryset.filter(**bound).order_by(order)[:limit]


def empty_page():
    return {"rows": [], "has_older": False, "has_newer": False, "older_cursor": None, "newer_cursor": None}


def parse_cursor(value):
    """A page cursor from the browser: a positive id that fits a bigint, else None (first page).
    Anything else — letters, '²' (a digit to str.isdigit, not to int), a 40-digit number that the
    database would refuse — is treated as no cursor, never as an error."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2 ** 63 else None
