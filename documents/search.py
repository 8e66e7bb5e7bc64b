"""The carrier search box, one definition for the list, registers and exports.

A match is: the serial equals the term (full-width digits typed as half-width), the serial's
tail equals a 3–6 digit term ("313", "000313" → 2026-000313), or the title, the 来文单位 (issuer)
or the 发往单位 (recipients) contains the term, or the 文号 contains it once both are normalised
(normalize_doc_number: 〔2026〕, [2026], （2026）, (2026), ［2026］ are the same), ignoring case.

On PostgreSQL each contains part is first narrowed by a GIN index of grams (migrations 0014 and
0017: secrecy_grams(title, doc_number_norm) and secrecy_grams(issuer, recipients)) — the grams of
the term must all be among the row's grams — so a search reads the few rows that can match
instead of every row; the LIKE then decides. The serial tail uses the index on serial_number.
Elsewhere (SQLite) the LIKE alone decides."""
import re
import time
import unicodedata

from django.contrib.postgres.fields import ArrayField
from django.db import connections, models
from django.db.models import F, Func, Q

# Every bracket a 文号's year is written in, as one: users type whichever their keyboard gives.
# (Full-width ［］（） become []() through NFKC first; 〔〕【】〖〗 have no compatibility form.)
_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "[": "(", "]": ")", "【": "(", "】": ")",
                           "〖": "(", "〗": ")", "{": "(", "}": ")"})
# Room for NFKC's expansions of a 100-character 文号 (the column is 300).
NORM_MAX_LENGTH = 300
SERIAL_TAIL = re.compile(r"[0-9]{3,6}")
# A whole 统一编号 as the registry issues it (services._register): year, hyphen, six digits.
SERIAL_FORM = re.compile(r"[0-9]{4}-[0-9]{6}")


def normalize_doc_number(value):
    """A 文号 as compared: NFKC (full-width letters, digits and brackets half-width), every
    bracket "()", no whitespace, lower case. Applied to the stored 文号 and to the search term."""
    text = unicodedata.normalize("NFKC", value or "").translate(_BRACKETS)
    return "".join(text.split()).lower()[:NORM_MAX_LENGTH]


class SearchGrams(Func):
    """secrecy_grams(a, b): the indexed expressions of migrations 0014/0017, verbatim."""

    function = "secrecy_grams"
    output_field = ArrayField(models.TextField())


def _title_grams():
    return SearchGrams(F("title"), F("doc_number_norm"))


def _party_grams():
    return SearchGrams(F("issuer"), F("recipients"))


def term_grams(term):
    """The grams a row must hold to contain the term: its 2-character pieces (its one character
    when it is that short), lower-cased as the index is."""
    value = term.lower()
    if len(value) == 1:
        return [value]
    return sorted({value[i:i + 2] for i in range(len(value) - 1)} - {" "})


def _lookup(term):
    """A term without cased letters (Chinese, digits) is matched by plain LIKE: the same rows, but
    PostgreSQL then estimates it from the column's own statistics, where UPPER(title) has none and
    was guessed 200 times too rare (it then scanned the whole table for a common term instead of
    walking newest first)."""
    return "contains" if term.lower() == term.upper() else "icontains"


def _text_q(term):
    """Q: title contains the term, ignoring case."""
    return Q(**{f"title__{_lookup(term)}": term})


def _party_q(term):
    """Q: 来文单位 or 发往单位 contains the term, ignoring case."""
    lookup = _lookup(term)
    return Q(**{f"issuer__{lookup}": term}) | Q(**{f"recipients__{lookup}": term})


def _doc_number_q(norm):
    # Both sides are normalised and lower-cased: a plain LIKE on the stored column.
    return Q(doc_number_norm__contains=norm) if norm else Q(pk__in=[])


def _serial_q(term):
    """Q: the serial is the term, or its tail (the year's number) is a 3–6 digit term."""
    typed = unicodedata.normalize("NFKC", term).strip()
    q = Q(serial=typed)
    if SERIAL_TAIL.fullmatch(typed):
        q |= Q(serial_number=int(typed))
    return q


def search_q(term):
    return _serial_q(term) | _text_q(term) | _doc_number_q(normalize_doc_number(term)) | _party_q(term)


# A term that at least this many carriers hold (by the grams) is "common": its matches are found
# faster by walking carriers newest first with the LIKE than by fetching every match from the index.
COMMON_TERM_ROWS = 2000
_COMMON_SECONDS = 300
_common_terms = {}


def _is_common(db, grams, norm_grams):
    """Whether ≥ COMMON_TERM_ROWS carriers hold the grams (in title/文号 or 来文/发往单位): one
    index probe, kept for a few minutes. It only chooses the plan; both plans return exactly the
    same rows."""
    key = (db, tuple(grams), tuple(norm_grams))
    now = time.monotonic()
    known = _common_terms.get(key)
    if known is not None and now - known[1] < _COMMON_SECONDS:
        return known[0]
    from .models import Carrier

    held = (Carrier.objects.using(db).alias(_search_grams=_title_grams(), _party_grams=_party_grams())
            .filter(Q(_search_grams__contains=grams) | Q(_search_grams__contains=norm_grams)
                    | Q(_party_grams__contains=grams))
            .order_by().values("id")[:COMMON_TERM_ROWS])
    common = held.count() >= COMMON_TERM_ROWS
    if len(_common_terms) > 1000:
        _common_terms.clear()
    _common_terms[key] = (common, now)
    return common


def _indexable(term):
    # Letters whose case folds differently in Python and in the database (İ, ẞ …) skip the index
    # rather than risk a miss; Chinese, digits and ASCII never do.
    return all(c.isascii() or c.lower() == c.upper() for c in term)


def apply_search(queryset, term):
    term = term.strip()
    if not term:
        return queryset
    if connections[queryset.db].vendor != "postgresql":
        return queryset.filter(search_q(term))
    norm = normalize_doc_number(term)
    grams = [g for g in term_grams(term) if g.strip()]
    norm_grams = [g for g in term_grams(norm) if g.strip()] if norm else []
    if (not grams or not norm_grams or not _indexable(term) or not _indexable(norm)
            or _is_common(queryset.db, grams, norm_grams)):
        return queryset.filter(search_q(term))
    # A rare term: each index finds its few rows; the LIKE (first, so a row's grams are computed
    # only when it already matched) keeps the result exact for terms longer than two characters.
    if norm_grams == grams:  # the usual case (no bracket, no full-width): one probe of the index
        titled = (_text_q(term) | _doc_number_q(norm)) & Q(_search_grams__contains=grams)
    else:
        titled = ((_text_q(term) & Q(_search_grams__contains=grams))
                  | (_doc_number_q(norm) & Q(_search_grams__contains=norm_grams)))
    indexed = titled | (_party_q(term) & Q(_party_grams__contains=grams))
    return (queryset.alias(_search_grams=_title_grams(), _party_grams=_party_grams())
            .filter(_serial_q(term) | indexed))
