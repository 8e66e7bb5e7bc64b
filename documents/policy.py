"""Who may see and do what with carriers: the single place that decides (SPEC §4).

Visibility is a queryset filter, so every list, count, detail page and export is decided inside
one SQL query (no per-row checks in Python, no guardian get_objects_for_user on hot paths).
"""
import contextlib
import contextvars

from django.db.models import Exists, OuterRef, Q

from personnel.models import Role
from personnel.policy import (
    clearance_of, group_ids_of, handling_clearance, has_role, is_admin_role, served_department_ids,
)
from secrecy.levels import Level, is_state_secret

from .models import Carrier, CarrierGroupScope, CarrierUserScope, Circulation, CirculationState, SecrecyStatus

VIEW_CODENAME = "view_carrier"

# The apps above documents add their own "holds it right now" grants here (approvals: an open
# loan, a pending decision, a destruction to witness) as functions user -> Source (or None when it
# cannot apply to this user), through register_need_to_know in their AppConfig.ready(); see
# visibility_sources. documents may not import them (ARCHITECTURE: import direction).
EXTRA_NEED_TO_KNOW = []


def register_need_to_know(source_for):
    """Add one temporary need-to-know source (user -> Source or None); registering it twice is a
    no-op, so a reloaded app does not OR the same source in twice."""
    if source_for not in EXTRA_NEED_TO_KNOW:
        EXTRA_NEED_TO_KNOW.append(source_for)


class Source:
    """One way of being in a carrier's need to know, as a condition over Carrier.

    `q` selects the carriers of this source and `not_q` the rest. The list of sources IS the
    visibility rule: need_to_know_q ORs them for single lookups and whole-set reads, and the list
    and count (documents.selectors) read them one at a time, so every source is answered by its
    own index (issue 12: one OR over all of them made PostgreSQL scan every grant of every user).
    Grants are matched by the user's own id and group ids, resolved in Python, never by a join
    through auth_user_groups or auth_permission, which the planner misestimated by 300×."""

    def __init__(self, name, q, not_q=None):
        self.name, self.q = name, q
        self.not_q = ~q if not_q is None else not_q

    def __repr__(self):
        return f"<Source {self.name}>"


def _view_permission():
    # A scalar subquery (one index lookup per statement) rather than a cached id: permission rows
    # are recreated when a test database is flushed, and a stale id would hide every grant.
    from django.contrib.auth.models import Permission
    from django.db.models import Subquery

    return Subquery(Permission.objects.filter(
        codename=VIEW_CODENAME, content_type__app_label="documents", content_type__model="carrier",
    ).order_by().values("pk")[:1])


def _grant_source(name, model, **owner):
    """知悉范围 grants of one owner (user_id=… or group_id__in=…): positive as a semi-join the
    planner may drive from either side, negative as an anti-join (NOT EXISTS, never NOT IN)."""
    grants = model.objects.filter(permission_id=_view_permission(), **owner)
    correlated = grants.filter(content_object_id=OuterRef("pk"))
    return Source(name, Q(pk__in=grants.values("content_object_id")), ~Exists(correlated))


def visibility_sources(user, *, temporary=True):
    """The ways this user may be in a carrier's need to know (SPEC §4): a personal grant, a grant
    to one of their groups (their department), custody, the departments a registrar serves, and
    with `temporary` the extras (an open loan, a pending decision, a destruction to witness).
    Clearance is not part of it: visible_carriers and the selectors add level ≤ clearance."""
    sources = [_grant_source("user_grant", CarrierUserScope, user_id=user.pk)]
    groups = group_ids_of(user)
    if groups:
        sources.append(_grant_source("group_grant", CarrierGroupScope, group_id__in=groups))
    sources.append(Source("custody", Q(custodian_id=user.pk)))
    departments = served_department_ids(user)
    if departments:
        sources.append(Source("department", Q(department_id__in=departments)))
    for extra in EXTRA_NEED_TO_KNOW if temporary else ():
        source = extra(user)
        if source is not None:
            sources.append(source)
    return sources


def need_to_know_q(user, *, temporary=True):
    """知悉范围 (user or group grant) OR custodian OR registrar of its 管理部门 OR extras.

    temporary=False leaves out the extras (an approver's sight of what they decide, a witness's,
    a borrower's): that is the standing scope SPEC §5 means by "a reader in scope may ask"."""
    def build():
        q = Q(pk__in=[])
        for source in visibility_sources(user, temporary=temporary):
            q |= source.q
        return q

    # A Q is only read when a queryset is filtered by it, so one page may reuse it.
    return _kept_for_the_page(("need_to_know", user.pk, temporary), build)


def visibility_plan(user, *, temporary=True):
    """(clearance, sources) for the selectors, or None when this user sees no carrier at all."""
    clearance = clearance_of(user)
    if clearance <= 0 or is_admin_role(user):
        return None
    return clearance, visibility_sources(user, temporary=temporary)


def visible_carriers(user, queryset=None, *, temporary=True):
    """Carriers this user may see. Clearance ≥ level AND need to know (SPEC §4)."""
    queryset = Carrier.objects.all() if queryset is None else queryset
    clearance = clearance_of(user)
    if clearance <= 0 or is_admin_role(user):
        return queryset.none()
    return queryset.filter(Q(level__lte=clearance) & need_to_know_q(user, temporary=temporary))


def carriers_visible_among(user, ids):
    """The ids among `ids` of carriers this user may see (a notice's target, asked when read)."""
    return set(visible_carriers(user, Carrier.objects.filter(pk__in=list(ids))).values_list("pk", flat=True))


def carrier_notice_recipients(user_ids):
    """Who may be notified about a carrier at all: anyone but the three administrators."""
    from django.contrib.auth import get_user_model

    from personnel.models import ADMIN_ROLES

    admins = set(get_user_model().objects.filter(pk__in=list(user_ids), groups__name__in=ADMIN_ROLES)
                 .values_list("pk", flat=True))
    return set(user_ids) - admins


# Answers kept while one page renders (answers_kept_for_one_page); None everywhere else.
_page_answers = contextvars.ContextVar("secrecy_page_answers", default=None)


@contextlib.contextmanager
def answers_kept_for_one_page():
    """While a read-only page renders, the same policy question asked again gets the first answer.

    The carrier page asks "is this user in the standing scope of this carrier" once per request
    button (借阅, 复制, 外出携带, 扩大知悉范围), and its panels (the carrier itself, its copies,
    its circulations) each built the user's whole need-to-know condition again. Nothing the page
    does changes the answers (its one write is the audit record of the view), so each is worked
    out once. Only inside this block: a service deciding after a change always asks afresh."""
    token = _page_answers.set({})
    try:
        yield
    finally:
        _page_answers.reset(token)


def _kept_for_the_page(key, compute):
    """compute(), or inside answers_kept_for_one_page the answer it gave the first time."""
    answers = _page_answers.get()
    if answers is None:
        return compute()
    if key not in answers:
        answers[key] = compute()
    return answers[key]


def in_standing_scope(user, carrier):
    """SPEC §5 "a reader in scope" asks for a loan, copy or carry-out: the 知悉范围, custody or the
    registrar's department — not the temporary sight of an approver, witness or borrower, which
    must not become a way to take the carrier out or multiply it."""
    return _kept_for_the_page(("standing_scope", user.pk, carrier.pk), lambda: visible_carriers(
        user, Carrier.objects.filter(pk=carrier.pk), temporary=False).exists())


def may_register(user, department, level=None):
    """A registrar serving the department, cleared for the level, may register carriers there."""
    if not has_role(user, Role.REGISTRAR) or is_admin_role(user):
        return False
    if department is not None and department.pk not in served_department_ids(user):
        return False
    # LAW24 art. 26; REG24 art. 29(1): 绝密 only by the registrars designated for it (专人管理).
    return level is None or handling_clearance(user) >= int(level)


def may_manage(user, carrier):
    """Correct a registration or change its scope: a registrar serving its 管理部门."""
    return may_register(user, carrier.department, carrier.level)


def may_be_classifier(user, level):
    """定密责任人 must hold 定密 authority for the level (LAW24 art. 17; REG24 art. 14)."""
    person = getattr(user, "person", None)
    return bool(person) and user.is_active and person.classification_authority >= int(level)


def view_is_recorded(carrier):
    # REG24 art. 20: everyone who knows 机密-level or higher secrets must be recorded.
    return carrier.level >= Level.SECRET


def may_print_registers(user):
    """Any active, signed-in user prints their own visible rows; the three admin roles have no
    carrier content at all (SPEC §1), so they have no registers either."""
    return bool(getattr(user, "is_authenticated", False)) and user.is_active and not is_admin_role(user)


def may_take_inventory(user):
    """The secrecy office prints the unit's every register for 清查 (账物核对, SPEC §4 "清查 prints"):
    a check of every carrier on record against the shelves needs every row, whatever the printer's
    need-to-know; what the carrier says stays masked where they may not see it. Guidance on 保存:
    每年定期清查、核对 (regulations_cn.md §2.5)."""
    return (bool(getattr(user, "is_authenticated", False)) and user.is_active
            and has_role(user, Role.SECRECY_OFFICE) and not is_admin_role(user))


# ------------------------------------------------------------------------- what requests ask
# The request rules themselves live in approvals.policy; these two are facts about the carrier
# that documents' own services need as well.


def circulation_refusal(carrier, what):
    """Between two readers of a 传阅 the carrier is back 在库, but it belongs to the circulation
    until that ends: it may not be lent, carried out, repaired, destroyed or leave meanwhile."""
    open_one = Circulation.objects.filter(carrier_id=carrier.pk, state=CirculationState.OPEN).first()
    if open_one is None:
        return None
    return f"该载体正在传阅（传阅第{open_one.pk}号），传阅结束或撤销前不能{what}"


def scope_widening_needs_approval(carrier):
    """SPEC §5: widening the 知悉范围 of a 秘密/机密/绝密 carrier is approved by the 主要负责人 or
    their delegate; a 内部 (work secret) carrier's scope stays the registrar's to set, and a
    declassified one is no longer a state secret."""
    return is_state_secret(carrier.level) and carrier.secrecy_status == SecrecyStatus.CLASSIFIED
