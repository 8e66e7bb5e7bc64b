"""Driving the people picker (static/js/people_picker.js) as a user does: type into its search box,
pick the first match."""


def pick_person(scope, field, typed, expect=None):
    """Type `typed` (a name, pinyin initials or a department) into the picker of `field` and pick
    the first person offered; `expect` (text) must be in the chip that appears."""
    box = scope.locator(f"#id_{field}").locator("xpath=..")
    search = box.locator("input.pp-search")
    search.fill(typed)
    option = box.locator(".pp-results .pp-option").first
    option.wait_for()
    label = option.inner_text()
    option.dispatch_event("mousedown")
    chip = box.locator(".pp-chosen .pp-chip", has_text=expect or label.split("（")[0])
    chip.wait_for()
    return label
