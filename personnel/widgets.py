"""The people picker: one widget for every form that names people (知悉范围, 监销人, 参会人员, 同行人员,
阅读人, 现场监督人 …), searchable by name, pinyin initials ("wwj" finds 王武军), full pinyin and
department, instead of a Ctrl-multi-select of hundreds of names.

It renders an ordinary <select> (so it works, and is posted, without JavaScript) whose options carry
their search keys; static/js/people_picker.js turns it into a search box with the chosen people as
chips above it. The keys are computed here, server-side, with pypinyin: no dictionary is shipped to
the browser. The options are exactly the form field's choices, so the list holds only people the
form would accept — each form narrows its queryset (or choices) to those, as before.
"""
from functools import lru_cache

from django import forms
from django.core.exceptions import ObjectDoesNotExist
from pypinyin import Style, lazy_pinyin

from .names import person_name


@lru_cache(maxsize=8192)
def pinyin_keys(text):
    """("wwj", "wangwujun") for 王武军: initials and full pinyin, lower case; characters that are not
    Chinese are kept as they are."""
    if not text:
        return "", ""
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default"))
    full = "".join(lazy_pinyin(text, style=Style.NORMAL, errors="default"))
    return initials.lower(), full.lower()


def person_search_text(user):
    """Everything a person may be found by: name, its pinyin initials and full pinyin, department
    (and its initials). Never the login: people are known by name (issue 14 §5)."""
    name = person_name(user)
    try:
        person = user.person
    except (ObjectDoesNotExist, AttributeError):
        person = None
    department = person.department.name if person is not None and person.department_id else ""
    parts = [name, *pinyin_keys(name), department, pinyin_keys(department)[0]]
    return " ".join(p for p in parts if p).lower()


def _pk_of(value):
    return getattr(value, "value", value)


def _user_of(value):
    # ModelChoiceField's options carry their row as value.instance (ModelChoiceIteratorValue).
    return getattr(value, "instance", None)


class PeoplePickerMixin:
    """Adds the search keys to each option and the hook the script finds."""

    placeholder = "输入姓名、拼音首字母或部门搜索"

    def __init__(self, attrs=None, choices=(), *, ordered=False):
        attrs = dict(attrs or {})
        attrs.setdefault("data-people-picker", "multiple" if self.allow_multiple_selected else "single")
        attrs.setdefault("data-placeholder", self.placeholder)
        if ordered:
            # The order of picking is the order posted (传阅 readers are served one after another).
            attrs["data-ordered"] = "1"
        attrs.pop("size", None)
        super().__init__(attrs, choices)

    def optgroups(self, name, value, attrs=None):
        """An ordered picker shown again (after an error) lists the chosen people in the order they
        were posted, so the script numbers and re-posts them in the order the user picked."""
        if self.attrs.get("data-ordered") and value:
            rank = {str(v): i for i, v in enumerate(value)}
            self.choices = sorted(self.choices, key=lambda choice: rank.get(str(_pk_of(choice[0])), len(rank)))
        return super().optgroups(name, value, attrs)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        user = _user_of(value)
        if user is not None:
            option["attrs"]["data-search"] = person_search_text(user)
        elif value not in (None, ""):
            option["attrs"]["data-search"] = " ".join([str(label), *pinyin_keys(str(label))]).lower()
        return option


class PeoplePicker(PeoplePickerMixin, forms.SelectMultiple):
    """Several people (知悉范围, 监销人, 同行人员, 阅读人)."""


class PersonPicker(PeoplePickerMixin, forms.Select):
    """One person (参会人员 one at a time, 拟列入人员, 现场监督人, 销毁人)."""
