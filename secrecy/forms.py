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
  the calendar; document dates have their own lower bound (secrecy.validators);
- dates read and type as YYYY-MM-DD whatever the browser's locale (issue 14 §8: <input type=date>
  shows mm/dd/yyyy in an English-locale Chromium): every DateField becomes a text box with a
  YYYY-MM-DD placeholder and pattern, shows its value as YYYY-MM-DD, and accepts 2026-01-05,
  2026-1-5, 2026/1/5, 2026.1.5 and 2026年1月5日 (full-width digits too); anything else is one
  clear Chinese error at the field.
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
    are covered too; date fields read and type as YYYY-MM-DD from the first time they are
    rendered or cleaned (a subclass's __init__ may have replaced their widget meanwhile)."""

    def full_clean(self):
        for field in self.fields.values():
            localize_date_field(field)
            harden_field(field)
        super().full_clean()

    def __getitem__(self, name):
        field = self.fields.get(name)
        if field is not None:
            localize_date_field(field)
        return super().__getitem__(name)


class SafeForm(SafeFormMixin, forms.Form):
    """The base of every form of the project."""


DATE_DISPLAY_FORMAT = "%Y-%m-%d"
DATE_INPUT_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
DATE_INVALID = "请输入有效的日期，按“年-月-日”填写，例如 2026-01-05"
# What the browser checks before sending (the server parses more leniently, see DATE_INPUT_FORMATS).
DATE_PATTERN = (r"\s*[0-9０-９]{4}\s*[\-\/.年－／．]\s*[0-9０-９]{1,2}\s*[\-\/.月－／．]\s*[0-9０-９]{1,2}"
                r"\s*日?\s*")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９－／．", "0123456789-/.")


class IsoDateInput(forms.DateInput):
    """A date typed and shown as YYYY-MM-DD in a plain text box (not the browser's date picker,
    whose order follows the browser's locale)."""

    input_type = "text"

    def __init__(self, attrs=None):
        base = {"placeholder": "YYYY-MM-DD", "pattern": DATE_PATTERN, "inputmode": "numeric",
                "autocomplete": "off", "maxlength": "12", "size": "11", "class": "date-input",
                "title": "请按“年-月-日”填写，例如 2026-01-05"}
        super().__init__(attrs={**base, **(attrs or {})}, format=DATE_DISPLAY_FORMAT)


def parse_date_text(value):
    """A typed date as datetime.date, or None when it is not one of the accepted forms."""
    text = str(value).strip().translate(_FULL_WIDTH).replace(" ", "")
    for fmt in DATE_INPUT_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def localize_date_field(field):
    """Make one DateField read and type as YYYY-MM-DD (idempotent). A widget that is not a date
    widget (e.g. a hidden input) keeps its kind and only gets the format."""
    if not isinstance(field, forms.DateField) or getattr(field, "_secrecy_iso_date", False):
        return
    field._secrecy_iso_date = True
    widget = field.widget
    if isinstance(widget, forms.DateInput) and not isinstance(widget, forms.HiddenInput):
        attrs = {k: v for k, v in widget.attrs.items() if k != "type"}
        field.widget = IsoDateInput(attrs=attrs)
        field.widget.is_required = widget.is_required
    elif hasattr(widget, "format"):
        widget.format = DATE_DISPLAY_FORMAT
    field.input_formats = list(DATE_INPUT_FORMATS)
    field.error_messages = {**field.error_messages, "invalid": DATE_INVALID}
    original = field.to_python

    def to_python(value):
        if isinstance(value, str) and value.strip():
            parsed = parse_date_text(value)
            if parsed is None:
                raise ValidationError(DATE_INVALID, code="invalid")
            return parsed
        return original(value)

    field.to_python = to_python


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
