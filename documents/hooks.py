"""Questions documents asks the apps above it, answered by registration in their AppConfig.ready().

documents sits below approvals (and meetings …) in the import direction (ARCHITECTURE), so it may
not import them; yet a carrier with an unfinished request must not start a 传阅 or leave the
registry, the carrier page links to the request a copy came from, and widening a classified
carrier's 知悉范围 is a request. documents names each question here; the higher app registers its
answer. An unanswered question answers "nothing open", except the scope widening, which without a
handler is refused (default deny). The temporary need-to-know sources use the same pattern through
documents.policy.register_need_to_know.
"""
import dataclasses
from typing import Callable

from secrecy.errors import PolicyDenied


@dataclasses.dataclass(frozen=True)
class OpenWork:
    """Unfinished business a higher app keeps on carriers (approvals: a request not yet 办结).

    what        how a refusal names it, e.g. "未办结的申请（借阅、复制、外出携带、维修或销毁）".
    holds       carrier -> bool: is any of it open on this carrier (one EXISTS query).
    reason      carrier -> a short Chinese reason naming the first open one, or None.
    references  carrier -> the references of every open one, oldest first (noted on a loss).
    """

    name: str
    what: str
    holds: Callable
    reason: Callable
    references: Callable


_OPEN_WORK = {}


def register_open_work(work):
    """Registering a name again replaces it (a reloaded app)."""
    _OPEN_WORK[work.name] = work


def open_work():
    return list(_OPEN_WORK.values())


def open_work_holding(carrier):
    """The first kind of open work holding this carrier, or None."""
    return next((work for work in _OPEN_WORK.values() if work.holds(carrier)), None)


# (user, carrier) -> dict merged into the carrier page's context (e.g. whether the request a copy
# came from may be opened by this user); keyed by name so a reloaded app replaces its own.
_CARRIER_PAGE_CONTEXT = {}


def register_carrier_page_context(name, context_for):
    _CARRIER_PAGE_CONTEXT[name] = context_for


def carrier_page_context(user, carrier):
    context = {}
    for context_for in _CARRIER_PAGE_CONTEXT.values():
        context.update(context_for(user, carrier))
    return context


# SPEC §5: widening a 秘密/机密/绝密 carrier's 知悉范围 is a request decided by the 主要负责人 or
# their delegate; the request kind registers the service that asks for it.
_SCOPE_WIDENING = {}


def register_scope_widening(create):
    """create(*, actor, carrier, reason, user_id, group_id) -> the submitted request."""
    _SCOPE_WIDENING["create"] = create


def scope_widening_request(*, actor, carrier, reason, user_id=None, group_id=None):
    create = _SCOPE_WIDENING.get("create")
    if create is None:
        raise PolicyDenied("秘密级以上载体扩大知悉范围须经主要负责人或其委托的审批人批准，当前不能提出申请")
    return create(actor=actor, carrier=carrier, reason=reason, user_id=user_id, group_id=group_id)
