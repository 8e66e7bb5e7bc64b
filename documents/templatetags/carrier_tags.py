"""Presentation helpers for carriers: level colours, labels and people's names."""
from django import template

from personnel.names import person_name
from secrecy.levels import Level, level_label as _level_label

register = template.Library()

LEVEL_CSS = {
    Level.TOP_SECRET: "lv-4",
    Level.SECRET: "lv-3",
    Level.CONFIDENTIAL: "lv-2",
    Level.WORK: "lv-1",
}


@register.filter
def level_class(level):
    """CSS class for a level (lv-4 绝密 … lv-1 内部); lv-0 when the page has nothing classified."""
    try:
        return LEVEL_CSS.get(Level(int(level)), "lv-0")
    except (TypeError, ValueError):
        return "lv-0"


@register.filter
def level_label(level):
    try:
        return _level_label(int(level))
    except (TypeError, ValueError):
        return ""


@register.filter
def user_display(user):
    """A person's name as staff know it: the 涉密人员 record's name, else the account's.

    Callers that show many users prefetch `person` (one query for the page), so this never
    queries per row there.
    """
    return person_name(user)


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
