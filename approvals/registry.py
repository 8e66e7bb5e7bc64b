"""The request kinds: each kind (借阅, 复制, 外出携带, 维修, 销毁, 密级变更, 知悉范围扩大 …) is a
handler in approvals/kinds/<kind>.py, registered in ApprovalsConfig.ready(). The generic request
services (approvals.services: submit, cancel, decide) ask the handler and never test the kind, so
a new kind is a new module and one line in ready().
"""
import dataclasses
from typing import Callable, Optional


@dataclasses.dataclass(frozen=True)
class KindHandler:
    """What the generic request services need to know about one kind.

    transitions   {(state, action): Move} — the kind's declared table (approvals.workflows.Move).
    held_status   (status its carriers were set aside in when asked, status given back when the
                  request is rejected or cancelled), or None when asking changes no carrier.
    check_carriers(request, carriers) raises InvalidState when the carriers are no longer what was
                  asked for; None means the default: their highest level is still the request's.
    check_approval(request, *, approve_abroad) raises when a rule of the kind forbids approving
                  it; returns extra detail for the decision's audit event ({} usually).
    complete      (*, actor, request, carrier) -> audit detail: what approving does to each
                  carrier, for kinds whose table completes the request on approval (the decision
                  is the change).
    """

    kind: str
    transitions: dict
    held_status: Optional[tuple] = None
    check_carriers: Optional[Callable] = None
    check_approval: Optional[Callable] = None
    complete: Optional[Callable] = None


_HANDLERS = {}


def register_kind(handler):
    """Called once per kind from ApprovalsConfig.ready(); a second registration of a kind is a
    programming error (two tables for one kind would make the documentation lie)."""
    if handler.kind in _HANDLERS and _HANDLERS[handler.kind] is not handler:
        raise RuntimeError(f"request kind {handler.kind!r} is registered twice")
    _HANDLERS[handler.kind] = handler


def handler_for(kind):
    """The handler of a kind, or None when no kind of that name is open for use."""
    return _HANDLERS.get(str(kind))


def registered_kinds():
    return dict(_HANDLERS)
