"""Chinese names of audit actions for the auditor's screens and exports.

The log stores the code (`carrier.view`), which is what the filters match; the auditor reads the
name, which each app declares with the event itself (audits.events). A code found in the log but
no longer declared (old data) shows as its code, so an event never disappears from the screens.
"""
from . import events


def action_label(code):
    """The Chinese name of an action, else its code."""
    return events.action_label(code) or code


def action_group(code):
    return code.split(".", 1)[0] if "." in code else ""


def group_label(group):
    return events.group_label(group) or group or "其他"


def declared_action_codes():
    """Every declared action code, for the filter's select (offered even before the log has one)."""
    return [event.action for event in events.declared_types()]
