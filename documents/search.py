"""The carrier search box (统一编号 / 标题 / 文号), one definition for the list, registers and exports.

A match is: the serial equals the term, or title or 文号 contains it (case-insensitive). On
PostgreSQL the contains part is first narrowed by the GIN index of migration 0014 (the grams of
the term must all be among the row's grams), so a search reads the few rows that can match
instead of every row; the LIKE then decides. Elsewhere the LIKE alone decides."""
import time

from django.contrib.postgres.fields import ArrayField
from django.db import connections, models
from django.db.models import F, Func, Q


class SearchGrams(Func):
    """secrecy_grams(title, doc_number): the indexed expression of migration 0014, verbatim."""

    function = "secrecy_grams"
    output_field = ArrayField(models.TextField())


def term_grams(term):
    """The grams a row must hold to contain the term: its 2-character pieces (its one character
    when it is that short), lower-cased as the index is."""
    value = term.lower()
    if len(value) == 1:
        return [value]
    return sorted({value[i:i + 2] for i in range(len(value) - 1)} - {" "})


def _contains(term):
    """Q: title or 文号 contains the term, ignoring case. A term without cased letters (Chinese,
    digits) is matched by plain LIKE: the same rows, but PostgreSQL then estimates it from the
    column's own statistics, where UPPER(title) has none and was guessed 200 times too rare (it
    then scanned the whole table for a common term instead of walking newest first)."""
    lookup = "contains" if term.lower() == term.upper() else "icontains"
    return Q(**{f"title__{lookup}": term}) | Q(**{f"doc_number__{lookup}": term})


def search_q(term):
    return Q(serial=term) | _contains(term)


# A term that at least this many carriers hold (by the grams) is "common": its matches are found
# faster by walking carriers newest first with the LIKE than by fetching every match from the index.
COMMON_TERM_ROWS = 2000
_COMMON_SECONDS = 300
_common_terms = {}


def _is_common(db, grams):
    """Whether the grams are held by ≥ COMMON_TERM_ROWS carriers: one index-only probe, kept for
    a few minutes. It only chooses the plan; both plans return exactly the same rows."""
    key = (db, tuple(grams))
    now = time.monotonic()
    known = _common_terms.get(key)
    if known is not None and now - known[1] < _COMMON_SECONDS:
        return known[0]
    from .models import Carrier

    held = (Carrier.objects.using(db).alias(_search_grams=SearchGrams(F("title"), F("doc_number")))
            .filter(_search_grams__contains=grams).order_by().values("id")[:COMMON_TERM_ROWS])
    common = held.count() >= COMMON_TERM_ROWS
    if len(_common_terms) > 1000:
        _common_terms.clear()
    _common_terms[key] = (common, now)
    return common


def apply_search(queryset, term):
    term = term.strip()
    if not term:
        return queryset
    if connections[queryset.db].vendor != "postgresql":
        return queryset.filter(search_q(term))
    # Letters whose case folds differently in Python and in the database (İ, ẞ …) skip the index
    # rather than risk a miss; Chinese, digits and ASCII never do.
    grams = [g for g in term_grams(term) if g.strip()]
    if not grams or not all(c.isascii() or c.lower() == c.upper() for c in term) or _is_common(queryset.db, grams):
        return queryset.filter(search_q(term))
    # A rare term: the index finds its few rows; the LIKE (first, so a row's grams are computed
    # only when it already matched) keeps the result exact for terms longer than two characters.
    indexed = _contains(term) & Q(_search_grams__contains=grams)
    return queryset.alias(_search_grams=SearchGrams(F("title"), F("doc_number"))).filter(Q(serial=term) | indexed)
