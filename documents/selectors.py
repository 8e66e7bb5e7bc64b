"""Every read of carriers that depends on who is asking goes through here."""
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models.expressions import RawSQL

from personnel.names import person_name
from secrecy.errors import NotVisible
from secrecy.keyset import empty_page, keyset_page
from secrecy.levels import Level

from .filters import CarrierFilter
from .models import Carrier, CustodyEvent
from .policy import visibility_plan, visible_carriers
from .search import SERIAL_FORM


def _filtered(queryset, filters):
    if filters:
        filterset = CarrierFilter(filters, queryset=queryset)
        # Invalid filter values are ignored rather than widening anything: an invalid form
        # filters nothing away, but the base queryset is already restricted to what is visible.
        queryset = filterset.qs if filterset.is_valid() else queryset
    return queryset


def carrier_list_visible_to(*, user, filters=None):
    """The visible carriers, filtered like the list; newest first. One SQL query when evaluated."""
    queryset = visible_carriers(user, Carrier.objects.select_related("department", "custodian"))
    return _filtered(queryset, filters).order_by("-id")


def _compiled(queryset):
    compiler = queryset.query.get_compiler(using=queryset.db)
    return compiler.as_sql()


def _union_all(querysets, *, limit=None):
    """One SQL text: the id column of each queryset, UNION ALL, optionally LIMITed as a whole.
    Each member keeps its own ORDER BY/LIMIT (wrapped as a derived table, which SQLite needs)."""
    parts, params = [], []
    for n, queryset in enumerate(querysets):
        try:
            sql, member_params = _compiled(queryset)
        except EmptyResultSet:  # a member that can hold no row (e.g. id > the largest id there can be)
            continue
        parts.append(f"SELECT s{n}.id FROM ({sql}) AS s{n}")
        params.extend(member_params)
    # No member at all: a query of no rows, so the callers' SQL stays the same shape.
    sql = " UNION ALL ".join(parts) or "SELECT CAST(NULL AS BIGINT) AS id WHERE 1 = 0"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql, params


def _source_querysets(user, filters):
    """(clearance-and-filter base, visibility sources) or None when nothing is visible."""
    plan = visibility_plan(user)
    if plan is None:
        return None
    clearance, sources = plan
    base = _filtered(_within_clearance(clearance), filters).order_by()
    return base, sources


def _within_clearance(clearance):
    # Every level is within the highest clearance: no condition, so no plan is drawn to the level
    # index for a comparison every row passes (both databases did, scanning all of it).
    if clearance >= max(Level.values):
        return Carrier.objects.all()
    return Carrier.objects.filter(level__lte=clearance)


def _count_sql(base, sources, cap):
    members = []
    for n, source in enumerate(sources):
        member = base.filter(source.q)
        for earlier in sources[:n]:
            member = member.filter(earlier.not_q)
        members.append(member.values("id"))
    sql, params = _union_all(members, limit=cap + 1)
    return f"SELECT COUNT(*) FROM ({sql}) AS counted", params


def carrier_counts_visible_to(*, user, filter_sets, cap=None):
    """[(count, exact)] for each filters dict of filter_sets, in one query (the home page's row of
    counts): each count as in carrier_count_visible_to, side by side as scalar subqueries."""
    cap = cap or settings.SECRECY["LIST_COUNT_CAP"]
    plan = visibility_plan(user)
    if plan is None or not filter_sets:
        return [(0, True) for _ in filter_sets]
    clearance, sources = plan
    parts, params = [], []
    for filters in filter_sets:
        base = _filtered(_within_clearance(clearance), filters).order_by()
        sql, member_params = _count_sql(base, sources, cap)
        parts.append(f"({sql})")
        params.extend(member_params)
    with connections[Carrier.objects.db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        counts = cursor.fetchone()
    return [(min(count, cap), count <= cap) for count in counts]


def carrier_count_visible_to(*, user, filters=None, cap=None):
    """(count, exact): past the cap the count stops, because counting a million rows crawls.

    One query: the sources of visibility_sources one after another (UNION ALL), each without the
    carriers an earlier source already gave (NOT EXISTS, an anti-join on its own index), the whole
    stopped at cap + 1 rows. Each part streams from its own index, so the cost follows the rows
    counted (at most cap + 1), not the user's grants or the table."""
    return carrier_counts_visible_to(user=user, filter_sets=[filters], cap=cap)[0]


def carrier_page_visible_to(*, user, filters=None, after=None, before=None, size=None):
    """Keyset (seek) pagination on id: constant cost whatever the page (no OFFSET).

    The page is the first `size` ids of the union of the visibility sources; that equals the union
    of each source's own first `size` ids, so each source reads at most size + 1 rows from its own
    index in id order, and one query joins the (at most sources × (size + 1)) ids to their rows."""
    plan = _source_querysets(user, filters)
    if plan is None:
        return empty_page()
    base, sources = plan

    def fetch(bound, order, limit):
        bounded = base.filter(**bound)
        sql, params = _union_all([bounded.filter(s.q).order_by(order).values("id")[:limit] for s in sources])
        return (Carrier.objects.select_related("department", "custodian__person")
                .filter(pk__in=RawSQL(sql, params)).order_by(order)[:limit])

    return keyset_page(fetch, after=after, before=before, size=size or settings.SECRECY["LIST_PAGE_SIZE"])


def carrier_get_for_user(*, user, pk):
    """The carrier if the user may see it; otherwise NotVisible (answered as 404)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotVisible() from None
    carrier = (
        visible_carriers(user, Carrier.objects.select_related(
            "department", "custodian", "drafter", "classifier", "registered_by", "original"))
        .filter(pk=pk).first()
    )
    if carrier is None:
        raise NotVisible()
    return carrier


def carrier_find_by_serial(*, user, serial):
    """A scanner types the 统一编号 into the search box: jump to it if visible."""
    # A scanner or a Chinese input method may type full-width digits (２０２６－０００３１３). Only a
    # term shaped like a 统一编号 is looked up (a NUL byte would reach PostgreSQL as a 500).
    term = unicodedata.normalize("NFKC", serial or "").strip()
    if not SERIAL_FORM.fullmatch(term):
        return None
    return visible_carriers(user).filter(serial=term).first()


def carrier_custody_log(*, carrier):
    return CustodyEvent.objects.filter(carrier=carrier).select_related("from_user", "to_user", "recorded_by")


# A login as written in notes: letters, digits and ._@+- starting with a letter, not inside a longer word.
_LOGIN = re.compile(r"(?<![A-Za-z0-9_.@+-])[A-Za-z][A-Za-z0-9_.@+-]*(?![A-Za-z0-9_.@+-])")


def custody_notes_named(events):
    """Set `note_text` on each custody event: its note with people named by name (issue 14 §5).

    Notes are written with names today, but rows recorded earlier name people by login
    ("列入知悉范围：lisi", "孙丽华（baomi）"); nothing is rewritten (the record stays as it was
    written), the login is only shown as the person's name. One query for the whole timeline."""
    from django.contrib.auth import get_user_model

    words = {word for event in events for word in _LOGIN.findall(event.note or "")}
    users = get_user_model().objects.filter(username__in=words).select_related("person") if words else []
    names = {user.username: person_name(user) for user in users}
    names = {login: name for login, name in names.items() if name and name != login}
    for event in events:
        text = event.note or ""
        for login, name in names.items():  # "孙丽华（baomi）" → "孙丽华"
            text = text.replace(f"{name}（{login}）", name)
        if names:  # a bare "lisi" → "李四"
            text = _LOGIN.sub(lambda m: names.get(m.group(0), m.group(0)), text)
        event.note_text = text
    return events


def carrier_history(*, carrier):
    return carrier.history.select_related("history_user").order_by("-history_date", "-history_id")
