"""Levels (密级), secrecy periods (保密期限) and the ★ mark: one module used by every app.

Levels are an ordered integer choice so that "clearance >= level" is a plain SQL comparison.
"""
import calendar
import datetime as dt

from django.db import models


class Level(models.IntegerChoices):
    # Work secrets are tracked but are not state secrets and never carry a ★ mark
    # (LAW24 art. 22(3), art. 64).
    WORK = 1, "内部"
    CONFIDENTIAL = 2, "秘密"
    SECRET = 3, "机密"
    TOP_SECRET = 4, "绝密"


STATE_SECRET_LEVELS = (Level.CONFIDENTIAL, Level.SECRET, Level.TOP_SECRET)

# LAW24 art. 20(2): 绝密 ≤ 30 years, 机密 ≤ 20, 秘密 ≤ 10, "除另有规定外".
# DM14 art. 24(4): an unmarked period defaults to the same number of years.
CAP_YEARS = {Level.TOP_SECRET: 30, Level.SECRET: 20, Level.CONFIDENTIAL: 10}


class PeriodKind(models.TextChoices):
    TERM = "term", "保密期限"
    DATE = "date", "解密时间"
    CONDITION = "condition", "解密条件"
    LONG_TERM = "long", "长期"


class PeriodUnit(models.TextChoices):
    # DM14 art. 22: "一般应当以日、月或者年计".
    DAY = "day", "日"
    MONTH = "month", "个月"
    YEAR = "year", "年"


class Urgency(models.TextChoices):
    NONE = "", "无"
    URGENT = "urgent", "加急"
    EXTRA_URGENT = "extra_urgent", "特急"


def level_label(level):
    if level is None:
        return ""
    return Level(level).label


def is_state_secret(level):
    return level is not None and int(level) >= Level.CONFIDENTIAL


def add_months(day, months):
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day, years):
    return add_months(day, 12 * years)


def term_end(start, value, unit):
    if unit == PeriodUnit.DAY:
        return start + dt.timedelta(days=value)
    if unit == PeriodUnit.MONTH:
        return add_months(start, value)
    return add_years(start, value)


def cap_date(level, start):
    years = CAP_YEARS.get(Level(level))
    return add_years(start, years) if years else None


def compute_declassify_on(*, level, kind, start, value=None, unit=None, date=None):
    """The stored expiry date, so expiry queries are indexed range scans (SPEC §2).

    A condition or 长期 has no date; a work secret never expires by itself here.
    """
    if not is_state_secret(level) or start is None:
        return None
    if kind == PeriodKind.TERM and value:
        return term_end(start, value, unit)
    if kind == PeriodKind.DATE:
        return date
    return None


def validate_period(*, level, kind, start, value=None, unit=None, date=None, condition="",
                    special=False, special_reason="", long_term_allowed=False, today=None):
    """Return {field: message} for a period that breaks a rule; empty dict when valid."""
    errors = {}
    today = today or dt.date.today()
    if start and start > today:
        errors["start_date"] = "制发日（起算日）不能晚于今天"
    if not is_state_secret(level):
        return errors
    if kind == PeriodKind.TERM:
        if not value or value <= 0:
            errors["period_value"] = "请填写正整数的保密期限"
        elif unit not in PeriodUnit.values:
            errors["period_unit"] = "请选择期限单位（日、月或年）"
    elif kind == PeriodKind.DATE:
        if not date:
            errors["declassify_date"] = "请填写解密时间"
        elif start and date <= start:
            errors["declassify_date"] = "解密时间必须晚于起算日"
    elif kind == PeriodKind.CONDITION:
        if not (condition or "").strip():
            errors["declassify_condition"] = "请填写解密条件"
    elif kind == PeriodKind.LONG_TERM:
        # DM14 art. 22: 长期 only where the 保密事项范围 provides it.
        if not long_term_allowed:
            errors["period_kind"] = "只有保密事项范围明确规定的事项才能标注“长期”"
    else:
        errors["period_kind"] = "请选择保密期限的类型"
    if special and not (special_reason or "").strip():
        errors["period_special_reason"] = "勾选“另有规定”时必须写明依据"
    if errors or special or start is None:
        return errors
    end = compute_declassify_on(level=level, kind=kind, start=start, value=value, unit=unit, date=date)
    limit = cap_date(level, start)
    if end and limit and end > limit:
        field = "declassify_date" if kind == PeriodKind.DATE else "period_value"
        errors[field] = (
            f"{level_label(level)}级事项的保密期限不得超过{CAP_YEARS[Level(level)]}年"
            f"（自{start:%Y年%m月%d日}起算，最迟{limit:%Y年%m月%d日}），除非勾选“另有规定”并写明依据"
        )
    return errors


def default_period(level):
    """DM14 art. 24(4): no period marked → the cap for the level, in years."""
    return {"kind": PeriodKind.TERM, "value": CAP_YEARS[Level(level)], "unit": PeriodUnit.YEAR}


def format_period(*, kind, value=None, unit=None, date=None, condition=""):
    if kind == PeriodKind.TERM and value:
        return f"{value}{PeriodUnit(unit).label}"
    if kind == PeriodKind.DATE and date:
        return f"{date.year}年{date.month}月{date.day}日"
    if kind == PeriodKind.CONDITION:
        return condition or ""
    if kind == PeriodKind.LONG_TERM:
        return "长期"
    return ""


def format_mark(*, level, kind=None, value=None, unit=None, date=None, condition="", declassified=False):
    """The 国家秘密标志 as printed: 机密★10年, 秘密★6个月, 绝密★2031年12月31日, 机密★会议结束后.

    DM14 art. 24: three forms 密级★期限 / 密级★解密时间 / 密级★解密条件; work secrets get no ★.
    DM14 art. 34(2): a declassified item is marked 解密 next to the original mark.
    """
    if level is None:
        return ""
    if not is_state_secret(level):
        return Level(level).label
    mark = f"{Level(level).label}★{format_period(kind=kind, value=value, unit=unit, date=date, condition=condition)}"
    return f"{mark}（已解密）" if declassified else mark


def format_copy_number(number):
    """份号: six digits, zero-padded."""
    if number in (None, ""):
        return ""
    return f"{int(number):06d}"


def highest_level(levels):
    levels = [int(x) for x in levels if x is not None]
    return max(levels) if levels else None


def period_rank(*, level, kind, declassify_on=None):
    """How long a period runs, for choosing the longest of several (a compilation takes the
    longest period of its parts: GWTL 公文管理 chapter; 1990 标志规定 art. 8).

    长期 outlasts everything; a 解密条件 has no known end, so it may outlast any date and ranks
    above dated periods; dated periods compare by their end. Work secrets have no period.
    """
    if not is_state_secret(level):
        return (0, dt.date.min)
    if kind == PeriodKind.LONG_TERM:
        return (3, dt.date.min)
    if kind == PeriodKind.CONDITION or declassify_on is None:
        return (2, dt.date.min)
    return (1, declassify_on)
