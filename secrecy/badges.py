"""Navigation badges: the numbers every page shows in its menu (待办, 待阅签, 通知, 我的整改 …),
from every app, counted in ONE query per page (issue 12: a COUNT per badge and app made every page
cost five queries more, at every size).

An app registers, at ready(), a badge name and a function user -> QuerySet (or None when the badge
does not apply to this user); its context processor reads `badge_counts(request)[name]`. The first
reader evaluates every registered badge for the signed-in user as scalar subqueries of one SELECT;
the result is kept on the request. secrecy/ imports no app: the apps come to it.
"""
from django.core.exceptions import EmptyResultSet
from django.db import connections

_BADGES = {}


def register_badge(name, queryset_for):
    """queryset_for(user) -> the QuerySet whose rows the badge counts (slice it to cap the count),
    or None. Registering a name again replaces it (a reloaded app)."""
    _BADGES[name] = queryset_for


def badge_counts(request):
    """{badge name: count} for the signed-in user; 0 for every badge that does not apply."""
    cached = getattr(request, "_secrecy_badges", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    counts = {name: 0 for name in _BADGES}
    if getattr(user, "is_authenticated", False):
        parts, params, names, using = [], [], [], "default"
        for name, queryset_for in _BADGES.items():
            queryset = queryset_for(user)
            if queryset is None:
                continue
            try:
                sql, member_params = queryset.query.get_compiler(using=queryset.db).as_sql()
            except EmptyResultSet:  # a queryset that can hold no row (e.g. .none())
                continue
            parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS badge{len(parts)})")
            params.extend(member_params)
            names.append(name)
            using = queryset.db
        if parts:
            with connections[using].cursor() as cursor:
                cursor.execute("SELECT " + ", ".join(parts), params)
                counts.update(zip(names, cursor.fetchone()))
    request._secrecy_badges = counts
    return counts
