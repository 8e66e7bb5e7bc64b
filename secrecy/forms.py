"""How input reaches a service and a service's refusal (secrecy.errors.DomainError) reaches the
user — one rule for every app's forms and views, so the same input is read, and the same refusal
reads, the same everywhere.

SafeForm is the base of every form of the project (issue 11 §6): whatever is posted, a field
answers with a field error, never a 500 —
- free text: the invisible format characters (zero-width U+200B–U+200F, bidirectional embeddings
  and overrides U+202A–U+202E, isolates U+2066–U+2069) are removed — a title with U+202E would print
  reversed on a register; NUL (U+0000) is refused in every field (PostgreSQL cannot store it);
- numbers: an IntegerField without its own bounds is held to the 32-bit range of the columns
  behind it (a bigger number used to escape as a model ValidationError, or overflow SQLite);
- choices of rows (ModelChoiceField, ModelMultipleChoiceField): a value that cannot be a row id
  (not decimal, or beyond 18 digits) is "选择的值无效" before any query — SQLite raises
  OverflowError on `pk IN (huge)`;
- dates: between 1900 and 2999, so date arithmetic (periods, deadlines, reminders) cannot leave
  the calendar; document dates have their own lower bound (secrecy.validators).
"""
import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from .errors import ValidationFailed

# Zero-width and bidirectional-control characters: invisible, and able to reorder what is printed.
FORMAT_CHARACTERS = dict.fromkeys([*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
NUL_REFUSED = "不能包含空字符（U+0000）"
INVALID_CHOICE = "选择的值无效"
# The columns are integer (32-bit on PostgreSQL); PositiveIntegerField fields say min_value=0/1 themselves.
INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1
EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
DATE_OUT_OF_RANGE = "日期应在1900年1月1日至2999年12月31日之间"
# 2**63 - 1 has 19 digits: 18 always fit a row id column.
_ROW_ID = re.compile(r"[0-9]{1,18}")
_INTEGER_COLUMNS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
                    "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
                    "PositiveSmallIntegerField"}


def clean_text(value):
    """Free text as stored: format characters removed; NUL refused (ValidationError)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationError(NUL_REFUSED, code="null_characters_not_allowed")
        return value.translate(FORMAT_CHARACTERS)
    if isinstance(value, (list, tuple)):
        return [clean_text(item) for item in value]
    return value


def _is_row_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10 ** 18 or (
        isinstance(value, str) and bool(_ROW_ID.fullmatch(value.strip())))


def row_ids(values):
    """Ids posted outside a form field (e.g. checked rows of a table) as ints; ValidationError
    "选择的值无效" when one cannot name a row."""
    ids = []
    for item in values:
        if not _is_row_id(item):
            raise ValidationError(INVALID_CHOICE, code="invalid_choice")
        ids.append(int(item))
    return ids


def _takes_row_ids(field):
    meta = field.queryset.model._meta
    column = meta.get_field(field.to_field_name) if field.to_field_name else meta.pk
    while column.is_relation:  # a primary key that is a one-to-one link (e.g. a person's account)
        column = column.target_field
    return column.get_internal_type() in _INTEGER_COLUMNS


def _in_date_range(value):
    day = value.date() if isinstance(value, dt.datetime) else value
    if isinstance(day, dt.date) and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(DATE_OUT_OF_RANGE, code="date_out_of_range")


def harden_field(field):
    """Put the rules above on one (per-form) field instance; once."""
    if getattr(field, "_secrecy_hardened", False):
        return
    field._secrecy_hardened = True
    # Passwords are compared byte for byte, never displayed: left as typed (Django refuses NUL).
    keep_text = isinstance(field.widget, forms.PasswordInput)
    checks_ids = isinstance(field, forms.ModelChoiceField) and _takes_row_ids(field)
    if isinstance(field, forms.IntegerField) and not isinstance(field, (forms.FloatField, forms.DecimalField)):
        if field.max_value is None:
            field.validators.append(MaxValueValidator(INT_MAX))
        if field.min_value is None:
            field.validators.append(MinValueValidator(INT_MIN))
    if isinstance(field, (forms.DateField, forms.DateTimeField)):
        field.validators.append(_in_date_range)
    original = field.clean

    def clean(value, *args):
        if not keep_text:
            value = clean_text(value)
        if checks_ids:
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if item not in field.empty_values and not _is_row_id(item):
                    raise ValidationError(INVALID_CHOICE, code="invalid_choice")
        return original(value, *args)

    field.clean = clean


class SafeFormMixin:
    """Hardens every field at validation time, so fields added or replaced in a form's __init__
    are covered too."""

    def full_clean(self):
        for field in self.fields.values():
            harden_field(field)
        super().full_clean()


class SafeForm(SafeFormMixin, forms.Form):
    """The base of every form of the project."""


def _problems(error):
    for problems in error.field_errors.values():
        for problem in [problems] if isinstance(problems, str) else problems:
            yield str(problem)


def domain_error_text(error):
    """One line for a message banner: the refusal, then each field problem. The generic sentence
    of invalid input ("输入有误，请检查标红的字段") is left out: a banner has no red fields to point at,
    the problems themselves say it."""
    generic = isinstance(error, ValidationFailed) and error.message == ValidationFailed({}).message
    parts = [] if generic else [error.message]
    parts.extend(_problems(error))
    return "；".join(dict.fromkeys(p for p in parts if p)) or error.message


def put_domain_error(form, error):
    """The refusal above the form (for bad input: "输入有误，请检查标红的字段") and each field
    problem next to its field (above the form too when the form has no such field)."""
    form.add_error(None, error.message)
    for field, problems in error.field_errors.items():
        for problem in [problems] if isinstance(problems, str) else problems:
            form.add_error(field if field in form.fields else None, str(problem))


def submit_form(request, form, call, *, success, done_url, rerender):
    """The shape of every form POST on an object's page: a valid form calls its one service with
    the cleaned data; accepted → the success message and back to `done_url`; refused or invalid →
    `rerender(form)` shows the page again with the errors in place, nothing changed. An object
    the service finds invisible is a 404."""
    from django.contrib import messages
    from django.http import Http404
    from django.shortcuts import redirect

    from .errors import DomainError, NotVisible

    if form.is_valid():
        try:
            call(form.cleaned_data)
        except NotVisible:
            raise Http404() from None
        except DomainError as error:
            put_domain_error(form, error)
        else:
            messages.success(request, success)
            return redirect(done_url)
    return rerender(form)


def perform(request, action, *, success):
    """Run one service call from a button: accepted → the success message and its result; refused
    → the refusal as a message banner and None; an object the service finds invisible → 404 (it
    does not exist for this user, SPEC §4)."""
    from django.contrib import messages
    from django.http import Http404

    from .errors import DomainError, NotVisible

    try:
        result = action()
    except NotVisible:
        raise Http404("未找到") from None
    except DomainError as error:
        messages.error(request, domain_error_text(error))
        return None
    messages.success(request, success)
    return result
