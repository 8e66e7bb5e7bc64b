"""Levels, marks and secrecy periods (SPEC §2): what the 机要秘书 sees printed and what is refused."""
import datetime as dt

import pytest

from secrecy.levels import (
    CAP_YEARS, Level, PeriodKind, PeriodUnit, add_years, compute_declassify_on, default_period,
    format_copy_number, format_mark, highest_level, validate_period,
)

TODAY = dt.date(2026, 11, 23)
START = dt.date(2026, 3, 15)


def has_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --- the ★ mark ------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, expected", [
    (dict(level=Level.SECRET, kind=PeriodKind.TERM, value=10, unit=PeriodUnit.YEAR), "机密★10年"),
    (dict(level=Level.CONFIDENTIAL, kind=PeriodKind.TERM, value=6, unit=PeriodUnit.MONTH), "秘密★6个月"),
    (dict(level=Level.CONFIDENTIAL, kind=PeriodKind.TERM, value=90, unit=PeriodUnit.DAY), "秘密★90日"),
    (dict(level=Level.TOP_SECRET, kind=PeriodKind.DATE, date=dt.date(2031, 12, 31)), "绝密★2031年12月31日"),
    (dict(level=Level.SECRET, kind=PeriodKind.CONDITION, condition="会议结束后"), "机密★会议结束后"),
    (dict(level=Level.CONFIDENTIAL, kind=PeriodKind.LONG_TERM), "秘密★长期"),
])
def test_mark_is_printed_exactly_as_the_regulation_shows_it(kwargs, expected):
    assert format_mark(**kwargs) == expected


def test_a_date_mark_has_no_leading_zeros():
    assert format_mark(level=Level.SECRET, kind=PeriodKind.DATE, date=dt.date(2030, 3, 5)) == "机密★2030年3月5日"


def test_work_secret_is_marked_neibu_without_a_star():
    mark = format_mark(level=Level.WORK, kind=PeriodKind.TERM, value=5, unit=PeriodUnit.YEAR)
    assert mark == "内部"
    assert "★" not in mark


def test_declassified_carrier_keeps_its_mark_with_a_declassified_note():
    mark = format_mark(level=Level.SECRET, kind=PeriodKind.TERM, value=10, unit=PeriodUnit.YEAR, declassified=True)
    assert mark.startswith("机密★10年")
    assert "解密" in mark


@pytest.mark.parametrize("number, printed", [(123, "000123"), (7, "000007"), (999999, "999999"), ("42", "000042")])
def test_copy_number_is_six_digits_zero_padded(number, printed):
    assert format_copy_number(number) == printed


def test_missing_copy_number_prints_nothing():
    assert format_copy_number(None) == ""


def test_levels_are_ordered_top_secret_highest():
    assert Level.TOP_SECRET > Level.SECRET > Level.CONFIDENTIAL > Level.WORK
    assert [Level(x).label for x in (4, 3, 2, 1)] == ["绝密", "机密", "秘密", "内部"]
    assert highest_level([2, None, 4, 3]) == 4
    assert highest_level([]) is None


# --- caps: 30 / 20 / 10 years ----------------------------------------------------------------

LEVEL_CAPS = [(Level.TOP_SECRET, 30), (Level.SECRET, 20), (Level.CONFIDENTIAL, 10)]


@pytest.mark.parametrize("level, years", LEVEL_CAPS)
def test_caps_are_thirty_twenty_ten_years(level, years):
    assert CAP_YEARS[level] == years


@pytest.mark.parametrize("level, years", LEVEL_CAPS)
def test_term_of_exactly_the_cap_in_years_is_accepted(level, years):
    assert validate_period(level=level, kind=PeriodKind.TERM, start=START, value=years,
                           unit=PeriodUnit.YEAR, today=TODAY) == {}


@pytest.mark.parametrize("level, years", LEVEL_CAPS)
def test_one_year_more_than_the_cap_is_refused_on_the_term_field(level, years):
    errors = validate_period(level=level, kind=PeriodKind.TERM, start=START, value=years + 1,
                             unit=PeriodUnit.YEAR, today=TODAY)
    assert set(errors) == {"period_value"}
    assert f"不得超过{years}年" in errors["period_value"]


@pytest.mark.parametrize("level, years", LEVEL_CAPS)
def test_term_at_the_cap_in_months_accepted_one_month_more_refused(level, years):
    ok = validate_period(level=level, kind=PeriodKind.TERM, start=START, value=12 * years,
                         unit=PeriodUnit.MONTH, today=TODAY)
    too_long = validate_period(level=level, kind=PeriodKind.TERM, start=START, value=12 * years + 1,
                               unit=PeriodUnit.MONTH, today=TODAY)
    assert ok == {}
    assert set(too_long) == {"period_value"}


@pytest.mark.parametrize("level, years", LEVEL_CAPS)
def test_term_at_the_cap_in_days_accepted_one_day_more_refused(level, years):
    days = (add_years(START, years) - START).days
    ok = validate_period(level=level, kind=PeriodKind.TERM, start=START, value=days, unit=PeriodUnit.DAY, today=TODAY)
    too_long = validate_period(level=level, kind=PeriodKind.TERM, start=START, value=days + 1,
                               unit=PeriodUnit.DAY, today=TODAY)
    assert ok == {}
    assert set(too_long) == {"period_value"}


@pytest.mark.parametrize("level, years", LEVEL_CAPS)
def test_declassify_date_on_the_cap_accepted_one_day_later_refused(level, years):
    cap = dt.date(START.year + years, START.month, START.day)
    ok = validate_period(level=level, kind=PeriodKind.DATE, start=START, date=cap, today=TODAY)
    too_late = validate_period(level=level, kind=PeriodKind.DATE, start=START, date=cap + dt.timedelta(days=1),
                               today=TODAY)
    assert ok == {}
    assert set(too_late) == {"declassify_date"}
    assert has_chinese(too_late["declassify_date"])


def test_cap_from_a_leap_day_start_ends_on_the_28th():
    start = dt.date(2024, 2, 29)
    assert validate_period(level=Level.CONFIDENTIAL, kind=PeriodKind.DATE, start=start,
                           date=dt.date(2034, 2, 28), today=TODAY) == {}
    assert "declassify_date" in validate_period(level=Level.CONFIDENTIAL, kind=PeriodKind.DATE, start=start,
                                                date=dt.date(2034, 3, 1), today=TODAY)


@pytest.mark.parametrize("kind, extra", [
    (PeriodKind.TERM, dict(value=35, unit=PeriodUnit.YEAR)),
    (PeriodKind.DATE, dict(date=dt.date(2070, 1, 1))),
])
def test_beyond_the_cap_is_accepted_with_another_provision_and_a_reason(kind, extra):
    errors = validate_period(level=Level.SECRET, kind=kind, start=START, special=True,
                             special_reason="《某行业保密事项范围》第7条另有规定", today=TODAY, **extra)
    assert errors == {}


def test_another_provision_ticked_without_a_reason_is_refused():
    errors = validate_period(level=Level.SECRET, kind=PeriodKind.TERM, start=START, value=35,
                             unit=PeriodUnit.YEAR, special=True, special_reason="   ", today=TODAY)
    assert "period_special_reason" in errors
    assert has_chinese(errors["period_special_reason"])


@pytest.mark.parametrize("level, years", LEVEL_CAPS)
def test_unmarked_period_defaults_to_the_cap_in_years(level, years):
    assert default_period(level) == {"kind": PeriodKind.TERM, "value": years, "unit": PeriodUnit.YEAR}
    # and the default is itself within the cap
    period = default_period(level)
    assert validate_period(level=level, kind=period["kind"], value=period["value"], unit=period["unit"],
                           start=START, today=TODAY) == {}


# --- declassify_on ---------------------------------------------------------------------------

@pytest.mark.parametrize("start, value, unit, expected", [
    (dt.date(2026, 3, 15), 10, PeriodUnit.YEAR, dt.date(2036, 3, 15)),
    (dt.date(2026, 3, 15), 6, PeriodUnit.MONTH, dt.date(2026, 9, 15)),
    (dt.date(2026, 12, 25), 10, PeriodUnit.DAY, dt.date(2027, 1, 4)),
    # month arithmetic from the 31st: the end is the last day of a shorter month
    (dt.date(2026, 1, 31), 1, PeriodUnit.MONTH, dt.date(2026, 2, 28)),
    (dt.date(2026, 8, 31), 1, PeriodUnit.MONTH, dt.date(2026, 9, 30)),
    (dt.date(2026, 10, 31), 3, PeriodUnit.MONTH, dt.date(2027, 1, 31)),
    (dt.date(2027, 12, 31), 2, PeriodUnit.MONTH, dt.date(2028, 2, 29)),
    # leap day
    (dt.date(2024, 2, 29), 1, PeriodUnit.YEAR, dt.date(2025, 2, 28)),
    (dt.date(2024, 2, 29), 4, PeriodUnit.YEAR, dt.date(2028, 2, 29)),
    (dt.date(2024, 2, 29), 12, PeriodUnit.MONTH, dt.date(2025, 2, 28)),
    (dt.date(2024, 2, 28), 1, PeriodUnit.DAY, dt.date(2024, 2, 29)),
])
def test_declassify_on_for_a_term(start, value, unit, expected):
    assert compute_declassify_on(level=Level.SECRET, kind=PeriodKind.TERM, start=start, value=value,
                                 unit=unit) == expected


def test_declassify_on_for_a_date_is_that_date():
    assert compute_declassify_on(level=Level.TOP_SECRET, kind=PeriodKind.DATE, start=START,
                                 date=dt.date(2031, 12, 31)) == dt.date(2031, 12, 31)


@pytest.mark.parametrize("kind, extra", [
    (PeriodKind.CONDITION, {}),
    (PeriodKind.LONG_TERM, {}),
])
def test_condition_and_long_term_have_no_declassify_date(kind, extra):
    assert compute_declassify_on(level=Level.SECRET, kind=kind, start=START, **extra) is None


def test_work_secret_never_declassifies_by_date():
    assert compute_declassify_on(level=Level.WORK, kind=PeriodKind.TERM, start=START, value=1,
                                 unit=PeriodUnit.YEAR) is None


# --- other refusals --------------------------------------------------------------------------

def test_long_term_is_refused_without_a_basis_in_the_scope_catalogue():
    errors = validate_period(level=Level.SECRET, kind=PeriodKind.LONG_TERM, start=START, today=TODAY)
    assert set(errors) == {"period_kind"}
    assert "长期" in errors["period_kind"]


def test_long_term_is_accepted_when_the_catalogue_allows_it():
    assert validate_period(level=Level.SECRET, kind=PeriodKind.LONG_TERM, start=START, long_term_allowed=True,
                           today=TODAY) == {}


@pytest.mark.parametrize("level", [Level.TOP_SECRET, Level.SECRET, Level.CONFIDENTIAL, Level.WORK])
def test_start_date_in_the_future_is_refused(level):
    errors = validate_period(level=level, kind=PeriodKind.TERM, start=TODAY + dt.timedelta(days=1), value=1,
                             unit=PeriodUnit.YEAR, today=TODAY)
    assert "start_date" in errors
    assert has_chinese(errors["start_date"])


def test_start_date_today_is_accepted():
    assert validate_period(level=Level.SECRET, kind=PeriodKind.TERM, start=TODAY, value=1,
                           unit=PeriodUnit.YEAR, today=TODAY) == {}


@pytest.mark.parametrize("kwargs, field", [
    (dict(kind=PeriodKind.TERM, value=0, unit=PeriodUnit.YEAR), "period_value"),
    (dict(kind=PeriodKind.TERM, value=3, unit="week"), "period_unit"),
    (dict(kind=PeriodKind.DATE, date=None), "declassify_date"),
    (dict(kind=PeriodKind.DATE, date=START), "declassify_date"),
    (dict(kind=PeriodKind.CONDITION, condition="  "), "declassify_condition"),
    (dict(kind="forever"), "period_kind"),
])
def test_incomplete_periods_are_refused_at_the_right_field(kwargs, field):
    errors = validate_period(level=Level.SECRET, start=START, today=TODAY, **kwargs)
    assert field in errors
    assert has_chinese(errors[field])
