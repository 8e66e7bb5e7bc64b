"""Dates read and type as YYYY-MM-DD whatever the browser's locale (issue 14 §8): every DateField
of every form is a text box with a YYYY-MM-DD placeholder, shows its value that way, accepts the
ways an office types a date and refuses the rest in Chinese at the field."""
import datetime as dt

import pytest
from django import forms
from django.template import Context, Template

from approvals.forms import LoanRequestForm
from documents.filters import CarrierFilter
from secrecy.forms import DATE_INVALID, SafeForm


class TripForm(SafeForm):
    depart = forms.DateField(label="外出日期", widget=forms.DateInput(attrs={"type": "date"}))
    back = forms.DateField(label="返回日期", required=False)


class ReplacedWidgetForm(SafeForm):
    """A form whose __init__ puts a browser date picker back (as personnel.forms did)."""
    day = forms.DateField(label="日期")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].widget = forms.DateInput(attrs={"type": "date"})


@pytest.mark.parametrize("typed", ["2026-01-05", "2026-1-5", "2026/1/5", "2026/01/05", "2026.1.5", "2026年1月5日",
                                   "２０２６－０１－０５", " 2026-01-05 "])
def test_the_ways_an_office_types_a_date_are_read(typed):
    form = TripForm({"depart": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["depart"] == dt.date(2026, 1, 5)


@pytest.mark.parametrize("typed", ["01/05/2026", "5/1/2026", "2026-13-01", "2026-02-30", "明天", "20260105"])
def test_anything_else_is_one_chinese_error_at_its_field(typed):
    form = TripForm({"depart": typed, "back": "03/04/2026"})
    assert not form.is_valid()
    assert form.errors["depart"] == [DATE_INVALID] and form.errors["back"] == [DATE_INVALID]
    assert "年-月-日" in DATE_INVALID


@pytest.mark.parametrize("form_class", [TripForm, ReplacedWidgetForm, LoanRequestForm])
def test_date_fields_render_as_text_with_the_iso_placeholder(form_class):
    html = str(form_class())
    assert 'type="date"' not in html
    assert 'placeholder="YYYY-MM-DD"' in html and 'type="text"' in html


def test_a_date_shows_as_yyyy_mm_dd_in_the_box_and_on_the_page():
    html = str(TripForm(initial={"depart": dt.date(2026, 1, 5)})["depart"])
    assert 'value="2026-01-05"' in html
    assert Template("{{ d }}").render(Context({"d": dt.date(2026, 1, 5)})) == "2026-01-05"


@pytest.mark.django_db
def test_the_carrier_list_filters_take_the_same_dates():
    filters = CarrierFilter({"date_from": "2026/1/5"})
    assert 'placeholder="YYYY-MM-DD"' in str(filters.form["date_from"])
    assert filters.form.is_valid() and filters.form.cleaned_data["date_from"] == dt.date(2026, 1, 5)
    bad = CarrierFilter({"date_from": "01/05/2026"})
    assert not bad.form.is_valid() and bad.form.errors["date_from"] == [DATE_INVALID]
