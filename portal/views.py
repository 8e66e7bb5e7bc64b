"""The home page, which gathers what concerns each role.

It is the composition root of the apps' selectors, which is why it lives in portal (the top of
the house) and not in secrecy/, which imports no app.
"""
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.shortcuts import render
from django.urls import reverse

from approvals import policy as approval_policy
from approvals import selectors as approval_selectors
from documents import selectors as carrier_selectors
from documents.models import CustodyStatus
from personnel.models import Role
from personnel.policy import clearance_of, is_admin_role, person_of, roles_of
from secrecy.badges import badge_counts
from secrecy.levels import highest_level, level_label

# The statuses a registrar works with every day, in the order of the register.
REGISTRAR_STATUSES = (
    CustodyStatus.IN_REGISTRY, CustodyStatus.CIRCULATING, CustodyStatus.LENT, CustodyStatus.CARRIED_OUT,
    CustodyStatus.IN_REPAIR, CustodyStatus.PENDING_DESTRUCTION,
)
HOME_RECENT = 8
# The home page only needs an order of magnitude; the list gives the exact figure.
HOME_COUNT_CAP = 1000
# A leader's home lists the oldest requests waiting for them; the 待办 page has the rest.
HOME_TO_DECIDE = 10


def _to_decide(request, user):
    """Issue 14 §3: a leader's home shows the requests awaiting their decision (oldest first, with
    links), not only the menu's number. Named by number, kind, requester and level: no carrier
    title, so nothing here depends on the carriers' 知悉范围."""
    if not approval_policy.may_decide_anything(user):
        return None
    rows = list(approval_selectors.requests_inbox(user=user)[:HOME_TO_DECIDE])
    return {"rows": rows, "count": badge_counts(request).get("approvals_to_decide", len(rows))}


@login_required
def home(request):
    user = request.user
    roles = roles_of(user)
    context = {"page_level": None}
    if is_admin_role(user):
        context["admin_home"] = True
        # Each of the 三员 gets the screens of their own duty (SPEC §1), nothing of the others'.
        links = {
            Role.SYSADMIN: [("账号管理", reverse("accounts:list")), ("系统设置", reverse("accounts:settings")),
                            ("系统管理后台", reverse("admin:index"))],
            Role.SECURITY_ADMIN: [("角色授予与撤销", reverse("accounts:roles")), ("已锁定账号", reverse("accounts:locked")),
                                  ("涉密人员档案（涉密等级、审查、承诺书、权限）", reverse("personnel:list"))],
            Role.AUDITOR: [("审计日志", reverse("audits:events")), ("审计日报", reverse("audits:summary"))],
        }
        context["admin_links"] = [link for role in (Role.SYSADMIN, Role.SECURITY_ADMIN, Role.AUDITOR)
                                  if role in roles for link in links[role]]
        return render(request, "home.html", context)
    if not roles:
        context["no_role"] = True
        return render(request, "home.html", context)

    recent = carrier_selectors.carrier_page_visible_to(user=user, size=HOME_RECENT)["rows"]
    prefetch_related_objects(recent, "custodian__person")
    # The total and, for a registrar, the count of each status: one query for the whole row.
    statuses = REGISTRAR_STATUSES if Role.REGISTRAR in roles else ()
    counted = carrier_selectors.carrier_counts_visible_to(
        user=user, filter_sets=[None] + [{"custody_status": status} for status in statuses], cap=HOME_COUNT_CAP)
    total, total_exact = counted[0]
    to_decide = _to_decide(request, user)
    context.update(recent=recent, total=total, total_exact=total_exact, to_decide=to_decide,
                   page_level=highest_level([c.level for c in recent]
                                            + [r.level for r in (to_decide or {}).get("rows", [])]),
                   person=person_of(user), clearance_label=level_label(clearance_of(user) or None))
    if statuses:
        context["status_counts"] = [{"status": status, "label": status.label, "count": count, "exact": exact}
                                    for status, (count, exact) in zip(statuses, counted[1:])]
        context["registrar_home"] = True
    return render(request, "home.html", context)
