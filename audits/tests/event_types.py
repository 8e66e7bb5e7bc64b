"""Event types for tests that need an event of no business meaning, and a lookup of declared ones.

Tests pass declared EventTypes to record_event like every service (audits.events); a test that
needs "some event" declares it here once, under the test group, instead of inventing a string."""
from audits.events import declare, declare_group, event_type

declare_group("test", "测试")

_TEST_ACTIONS = (
    "event", "something", "first", "view", "kept", "lost", "original", "page", "keep", "other", "few",
    "detail", "concurrent", "after_upgrade", "later", "before", "after", "business_action",
    *(f"many{n}" for n in range(7)),
)
for _name in _TEST_ACTIONS:
    declare(f"test.{_name}", f"测试事件（{_name}）")


def declared(code):
    """The declared type of an action code; fails the test when nobody declared it."""
    event = event_type(code)
    assert event is not None, f"audit action {code!r} is not declared"
    return event
