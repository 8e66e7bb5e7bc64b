"""The declared audit event types: each action the log may record, with its Chinese name.

Every app declares its own events in `<app>/events.py` (`REGISTER_IN = declare("carrier.register_in",
"收文登记")`) and its services record them (`record_event(actor=…, event=events.REGISTER_IN, …)`); an
events module is a low room (tests/test_architecture.py), so the types carry no writer of their own. Why types rather
than strings: a mistyped string silently created an action no filter and no auditor looks for; a
mistyped name is an AttributeError at import. AuditsConfig.ready() imports every app's events
module (autodiscover_modules), so the registry is complete without audits importing any app
(ARCHITECTURE.md: imports point down).

The stored `action` column keeps the code, so old rows, filters and the chain's hashes are unchanged.
"""
import re
from dataclasses import dataclass

# group.name — the group (before the dot) is how the auditor's select groups the actions.
_CODE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_GROUP = re.compile(r"^[a-z][a-z0-9_]*$")

_types = {}
_groups = {}


class UndeclaredEvent(TypeError):
    """record_event was given something other than a declared EventType."""


@dataclass(frozen=True)
class EventType:
    action: str
    label: str

    @property
    def group(self):
        return self.action.split(".", 1)[0]

    def __str__(self):
        return self.action


def declare(action, label):
    """Register an event type; refuses a malformed or already declared code, so two apps cannot
    share one action by accident and no code without a group reaches the log."""
    if not isinstance(action, str) or not _CODE.match(action):
        raise ValueError(f"audit action {action!r} is not of the form group.name (lower case)")
    if not isinstance(label, str) or not label.strip():
        raise ValueError(f"audit action {action!r} needs a Chinese label")
    if action in _types:
        raise ValueError(f"audit action {action!r} is already declared ({_types[action].label})")
    event = EventType(action, label)
    _types[action] = event
    return event


def declare_group(group, label):
    """The Chinese name of a group of actions (the part before the dot)."""
    if not _GROUP.match(group or ""):
        raise ValueError(f"audit action group {group!r} is malformed")
    if group in _groups and _groups[group] != label:
        raise ValueError(f"audit action group {group!r} is already named {_groups[group]!r}")
    _groups[group] = label
    return group


def is_declared(event):
    """True for the very object declare() returned (an equal copy built by hand is not declared)."""
    return isinstance(event, EventType) and _types.get(event.action) is event


def event_type(code):
    """The declared type of an action code, or None (an old code no longer declared)."""
    return _types.get(code)


def declared_types():
    """Every declared type, by code."""
    return [_types[code] for code in sorted(_types)]


def action_label(code):
    event = _types.get(code)
    return event.label if event is not None else None


def group_label(group):
    return _groups.get(group)


# ------------------------------------------------------------------ the audit log's own events

declare_group("auth", "登录")
declare_group("audit", "审计")

LOGIN = declare("auth.login", "登录")
LOGOUT = declare("auth.logout", "退出登录")
LOGIN_FAILED = declare("auth.login_failed", "登录失败")

VERIFY = declare("audit.verify", "校验审计日志")
EXPORT = declare("audit.export", "导出审计日志")
DAILY_SUMMARY = declare("audit.daily_summary", "审计日报")
SUMMARY_PRINT = declare("audit.summary_print", "打印审计日报")
# Marks where keying starts on a chain upgraded from unkeyed events (audits.chain).
CHAIN_KEYED = declare("audit.chain_keyed", "审计链启用密钥")
