"""Every URL of the project × the seven roles and anonymous (issue 6 acceptance 3; SPEC §1, §4).

The matrix below is the contract, one row per URL name: the method used and who may reach it.
A meta test fails when a URL is added without a row here, so nobody can ship a page without
deciding who sees it. What the cells mean:
- allowed ("ok"): the role reaches the page — a GET answers 200; an action (POST, empty form)
  answers anything but 403/404/500 (it may redirect, refuse in a message or ask for input);
- object-level ("obj"): the role may use the URL, but whether it reaches *this* object is decided
  by the object rules (a request that is not yours, a carrier outside your scope): 404 or a
  refusal is fine, 403 and 500 never are;
- everyone else: 404 (never 403 — a page one may not see does not exist);
- anonymous: sent to the login page (or 404), never the page itself.
The three administrators get 404 on every carrier page and every page showing carrier content;
only the auditor reads the audit log, and the auditor reads nothing else.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from approvals.models import ApprovalRequest, RequestKind
from audits.models import AuditEvent
from documents.models import Carrier, Circulation
from documents.selectors import carrier_list_visible_to
from meetings.models import Handout
from notifications.models import Notification
from personnel.models import Leave, Person, TravelDocument, Travel
from registers.models import RegisterJob

ROLES = ["mishu", "lingdao", "baomi", "lisi", "sysadmin", "secadmin", "auditor"]
IDENTITIES = ["anonymous"] + ROLES
BUSINESS = {"mishu", "lingdao", "baomi", "lisi"}
ADMINS = {"sysadmin", "secadmin", "auditor"}
EVERYONE = BUSINESS | ADMINS

OK, OBJ = "ok", "obj"

# About 30 s on one worker: handed out before the short files (conftest.py, heavy).
pytestmark = pytest.mark.heavy(seconds=30)


def rule(ok=(), obj=()):
    return {**{u: OK for u in ok}, **{u: OBJ for u in obj}}


# name: (method, {username: "ok" | "obj"}) — anyone not named gets 404.
MATRIX = {
    # --- signing in, home, own notices (everyone with an account)
    "home": ("GET", rule(ok=EVERYONE)),
    "logout": ("POST", rule(ok=EVERYONE)),
    "notifications:inbox": ("GET", rule(ok=EVERYONE)),
    "notifications:mark_read": ("POST", rule(obj=EVERYONE)),
    "notifications:mark_all_read": ("POST", rule(ok=EVERYONE)),
    # --- carriers (SPEC §3, §4): business roles only; the three administrators see none
    "documents:carrier_list": ("GET", rule(ok=BUSINESS)),
    "documents:carrier_detail": ("GET", rule(ok=BUSINESS)),
    "documents:carrier_register_incoming": ("GET", rule(ok={"mishu"})),
    "documents:carrier_register_outgoing": ("GET", rule(ok={"mishu"})),
    "documents:carrier_correct": ("POST", rule(ok={"mishu"})),
    "documents:carrier_scope": ("POST", rule(ok={"mishu"})),
    "disposal:dispose": ("GET", rule(ok={"mishu"})),
    "registers:index": ("GET", rule(ok=BUSINESS)),
    "registers:download": ("POST", rule(ok=BUSINESS)),
    "registers:job": ("GET", rule(obj=BUSINESS)),
    "registers:job_file": ("GET", rule(obj=BUSINESS)),
    # --- approvals (SPEC §5)
    # The inbox opens for approvers, and for anyone with a 监销 task waiting.
    "approvals:inbox": ("GET", rule(ok={"lingdao"}, obj={"mishu", "baomi", "lisi"})),
    "approvals:mine": ("GET", rule(ok=BUSINESS)),
    "approvals:queue": ("GET", rule(ok={"mishu"})),
    "approvals:loan_request": ("POST", rule(obj=BUSINESS)),
    "approvals:copy_request": ("GET", rule(obj=BUSINESS)),
    "approvals:compile_request": ("GET", rule(ok=BUSINESS)),
    "approvals:carry_request": ("GET", rule(obj=BUSINESS)),
    "approvals:repair_request": ("GET", rule(obj={"mishu"})),
    "approvals:reclassify_request": ("GET", rule(obj=BUSINESS)),
    "approvals:scope_request": ("GET", rule(obj=BUSINESS)),
    "approvals:detail": ("GET", rule(obj=BUSINESS)),
    "approvals:submit": ("POST", rule(obj=BUSINESS)),
    "approvals:cancel": ("POST", rule(obj=BUSINESS)),
    "approvals:decide": ("POST", rule(obj=BUSINESS)),
    "approvals:check_out": ("POST", rule(obj=BUSINESS)),
    "approvals:return": ("POST", rule(obj=BUSINESS)),
    "approvals:make_copies": ("POST", rule(obj=BUSINESS)),
    "approvals:copies_hand_over": ("POST", rule(obj=BUSINESS)),
    "approvals:destroy_list": ("GET", rule(ok=BUSINESS)),
    "approvals:destroy_new": ("GET", rule(ok={"mishu"})),
    "approvals:destroy_designate": ("POST", rule(obj=BUSINESS)),
    "approvals:destroy_witness_confirm": ("POST", rule(obj=BUSINESS)),
    "approvals:destroy_execute": ("POST", rule(obj=BUSINESS)),
    "approvals:destroy_list_file": ("POST", rule(obj=BUSINESS)),
    # --- circulation (SPEC §6), annual review (SPEC §7)
    "circulation:mine": ("GET", rule(ok=BUSINESS)),
    "circulation:start": ("GET", rule(obj={"mishu"})),
    "circulation:detail": ("GET", rule(obj=BUSINESS)),
    "circulation:hand": ("POST", rule(obj=BUSINESS)),
    "circulation:sign": ("POST", rule(obj=BUSINESS)),
    "circulation:take_back": ("POST", rule(obj=BUSINESS)),
    "circulation:cancel": ("POST", rule(obj=BUSINESS)),
    "circulation:slip": ("POST", rule(obj=BUSINESS)),
    "review:list": ("GET", rule(ok=BUSINESS)),
    "review:keep": ("POST", rule(obj=BUSINESS)),
    # --- meetings (SPEC §9): their documents are carriers, so no administrator
    "meetings:list": ("GET", rule(ok=BUSINESS)),
    "meetings:create": ("GET", rule(ok={"mishu", "lingdao", "baomi"})),
    "meetings:detail": ("GET", rule(obj=BUSINESS)),
    "meetings:edit": ("GET", rule(obj=BUSINESS)),
    "meetings:attendee_add": ("POST", rule(obj=BUSINESS)),
    "meetings:sign_in": ("POST", rule(obj=BUSINESS)),
    "meetings:open": ("POST", rule(obj=BUSINESS)),
    "meetings:close": ("POST", rule(obj=BUSINESS)),
    "meetings:cancel": ("POST", rule(obj=BUSINESS)),
    "meetings:handout_give": ("POST", rule(obj=BUSINESS)),
    "meetings:handout_recover": ("POST", rule(obj=BUSINESS)),
    "meetings:handout_lost": ("POST", rule(obj=BUSINESS)),
    "meetings:copy_request": ("GET", rule(obj=BUSINESS)),
    "meetings:record": ("POST", rule(obj=BUSINESS)),
    # --- 涉密人员 (SPEC §8): 保密办 and the 安全保密管理员 (clearances); one's own record for all
    "personnel:list": ("GET", rule(ok={"baomi", "secadmin"})),
    "personnel:detail": ("GET", rule(ok={"baomi", "secadmin"})),
    "personnel:edit": ("GET", rule(ok={"baomi", "secadmin"})),
    "personnel:review_add": ("POST", rule(ok={"baomi"}, obj={"secadmin"})),
    "personnel:training_add": ("POST", rule(ok={"baomi"}, obj={"secadmin"})),
    "personnel:document_add": ("POST", rule(ok={"baomi"}, obj={"secadmin"})),
    "personnel:document_hand_back": ("POST", rule(ok={"baomi"}, obj={"secadmin"})),
    "personnel:document_cancel": ("POST", rule(ok={"baomi"}, obj={"secadmin"})),
    "personnel:leave_open": ("POST", rule(ok={"baomi"}, obj={"secadmin"})),
    "personnel:leave_list": ("GET", rule(ok={"baomi", "secadmin", "lingdao"})),
    "personnel:leave_detail": ("GET", rule(ok={"baomi", "secadmin", "lingdao"})),
    "personnel:leave_talk": ("POST", rule(obj={"baomi", "secadmin", "lingdao"})),
    "personnel:leave_commitment": ("POST", rule(obj={"baomi", "secadmin", "lingdao"})),
    "personnel:leave_approve": ("POST", rule(obj={"baomi", "secadmin", "lingdao"})),
    "personnel:leave_cancel": ("POST", rule(obj={"baomi", "secadmin", "lingdao"})),
    "personnel:me": ("GET", rule(obj=EVERYONE)),
    # 待建档 (issue 14 §7): the 保密办 alone creates a new account's 涉密人员 record; not the 三员.
    "personnel:onboarding": ("GET", rule(ok={"baomi"})),
    "personnel:onboard": ("GET", rule(ok={"baomi"})),
    # Only the 主要负责人 (zhuren, not in ROLES) names the 绝密 专人 and the scope delegate.
    "personnel:designations": ("GET", rule()),
    "personnel:travel_request": ("POST", rule(obj=BUSINESS | {"secadmin"})),
    "personnel:travel_list": ("GET", rule(obj=EVERYONE)),
    "personnel:travel_detail": ("GET", rule(obj=EVERYONE)),
    "personnel:travel_decide": ("POST", rule(obj=EVERYONE)),
    "personnel:travel_education": ("POST", rule(obj=EVERYONE)),
    "personnel:travel_return": ("POST", rule(obj=EVERYONE)),
    "personnel:travel_cancel": ("POST", rule(obj=EVERYONE)),
    # --- 三员: accounts for the 系统管理员, roles and unlocking for the 安全保密管理员
    "accounts:list": ("GET", rule(ok={"sysadmin"})),
    "accounts:create": ("GET", rule(ok={"sysadmin"})),
    "accounts:disable": ("POST", rule(ok={"sysadmin"})),
    "accounts:enable": ("POST", rule(ok={"sysadmin"})),
    "accounts:password_reset": ("POST", rule(ok={"sysadmin"})),
    "accounts:settings": ("GET", rule(ok={"sysadmin"})),
    # 修改密码: every account, its own password only.
    "accounts:password_change": ("GET", rule(ok=EVERYONE)),
    "accounts:roles": ("GET", rule(ok={"secadmin"})),
    "accounts:role_detail": ("GET", rule(ok={"secadmin"})),
    "accounts:role_grant": ("POST", rule(ok={"secadmin"})),
    "accounts:role_revoke": ("POST", rule(ok={"secadmin"})),
    "accounts:locked": ("GET", rule(ok={"secadmin"})),
    "accounts:unlock": ("POST", rule(ok={"secadmin"})),
    # --- the audit log: the 安全审计员 and nobody else
    "audits:events": ("GET", rule(ok={"auditor"})),
    "audits:event": ("GET", rule(ok={"auditor"})),
    "audits:export": ("POST", rule(ok={"auditor"})),
    "audits:summary": ("GET", rule(ok={"auditor"})),
    "audits:summary_pdf": ("POST", rule(ok={"auditor"})),
    # --- 保密检查 and 泄密事件 (SPEC §10): 保密办; reporting an incident is for every business role
    "inspections:list": ("GET", rule(ok={"baomi"})),
    "inspections:create": ("GET", rule(ok={"baomi"})),
    "inspections:mine": ("GET", rule(ok=BUSINESS)),
    "inspections:templates": ("GET", rule(ok={"baomi"})),
    "inspections:template_toggle": ("POST", rule(ok={"baomi"})),
    "inspections:detail": ("GET", rule(ok={"baomi"}, obj=BUSINESS)),
    "inspections:finding_record": ("POST", rule(ok={"baomi"}, obj=BUSINESS)),
    "inspections:rectification_add": ("POST", rule(ok={"baomi"}, obj=BUSINESS)),
    "inspections:rectification_complete": ("POST", rule(obj=BUSINESS)),
    "inspections:rectification_verify": ("POST", rule(obj=BUSINESS)),
    "inspections:close": ("POST", rule(ok={"baomi"}, obj=BUSINESS)),
    "incidents:list": ("GET", rule(ok=BUSINESS)),
    "incidents:report": ("GET", rule(ok=BUSINESS)),
    "incidents:detail": ("GET", rule(ok={"baomi"}, obj=BUSINESS)),
    "incidents:upward_report": ("POST", rule(ok={"baomi"}, obj=BUSINESS)),
    "incidents:close": ("POST", rule(ok={"baomi"}, obj=BUSINESS)),
}
# Not in the matrix: the login page (public) and Django's admin (its own test below).
UNLISTED = {"login"}


def all_url_names():
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}{pattern.name}"

    return {name for name in walk(get_resolver().url_patterns) if not name.startswith("admin:")}


def test_every_url_of_the_project_is_in_the_matrix():
    missing = all_url_names() - set(MATRIX) - UNLISTED
    assert not missing, f"URLs without a row in the permission matrix: {sorted(missing)}"
    stale = set(MATRIX) - all_url_names()
    assert not stale, f"matrix rows for URLs that no longer exist: {sorted(stale)}"


# ------------------------------------------------------------------------------ the demo


def _user(username):
    return get_user_model().objects.get(username=username)


def _carrier_for(username):
    """A carrier the business user may see (the admins get mishu's — which they must not see)."""
    who = _user(username if username in BUSINESS else "mishu")
    return carrier_list_visible_to(user=who).order_by("pk").first()


def _first(model, **filters):
    return model.objects.filter(**filters).order_by("pk").first()


def kwargs_for(name, username):
    """Arguments naming real demo objects, so a 404 means 'not for you', not 'no such thing'."""
    pattern_args = {
        "carrier_pk": lambda: _carrier_for(username).pk,
    }
    if name in ("documents:carrier_detail", "documents:carrier_correct", "documents:carrier_scope"):
        return {"pk": _carrier_for(username).pk}
    if name == "disposal:dispose":
        return {"pk": _carrier_for(username).pk, "action": "archive"}
    if name in ("registers:job", "registers:job_file"):
        job = _first(RegisterJob) or RegisterJob.objects.create(requested_by=_user("mishu"), register="ledger",
                                                                file_format="pdf", filters={})
        return {"pk": job.pk}
    if name.startswith("approvals:") and name.endswith("_request") and name != "approvals:compile_request":
        return {"carrier_pk": pattern_args["carrier_pk"]()}
    if name == "approvals:destroy_list_file":
        return {"pk": _first(ApprovalRequest, kind=RequestKind.DESTROY).pk, "fmt": "pdf"}
    if name.startswith("approvals:destroy_") and name not in ("approvals:destroy_list", "approvals:destroy_new"):
        return {"pk": _first(ApprovalRequest, kind=RequestKind.DESTROY).pk}
    if name in ("approvals:detail", "approvals:submit", "approvals:cancel", "approvals:decide", "approvals:check_out",
                "approvals:return", "approvals:make_copies", "approvals:copies_hand_over"):
        return {"pk": _first(ApprovalRequest, kind=RequestKind.LEND).pk}
    if name == "circulation:start":
        return {"carrier_pk": pattern_args["carrier_pk"]()}
    if name == "circulation:slip":
        return {"pk": _first(Circulation).pk, "fmt": "pdf"}
    if name.startswith("circulation:") and name != "circulation:mine":
        return {"pk": _first(Circulation).pk}
    if name == "review:keep":
        return {"pk": _carrier_for(username).pk}
    if name.startswith("meetings:") and name not in ("meetings:list", "meetings:create"):
        handout = _first(Handout)
        meeting = handout.meeting
        extra = {}
        if name == "meetings:sign_in":
            extra = {"attendee_pk": handout.attendee_id}
        elif name in ("meetings:handout_recover", "meetings:handout_lost"):
            extra = {"handout_pk": handout.pk}
        return {"pk": meeting.pk, **extra}
    if name in ("personnel:detail", "personnel:edit", "personnel:review_add", "personnel:training_add",
                "personnel:document_add", "personnel:leave_open", "personnel:travel_request"):
        return {"pk": Person.objects.get(user__username="lisi").pk}
    if name == "personnel:onboard":
        return {"pk": _user("wuxinyu").pk}  # the demo's account waiting in 待建档
    if name in ("personnel:document_hand_back", "personnel:document_cancel"):
        return {"pk": _first(TravelDocument).pk}
    if name.startswith("personnel:leave_") and name not in ("personnel:leave_list", "personnel:leave_open"):
        return {"pk": _first(Leave).pk}
    if name == "personnel:travel_decide":
        return {"pk": _first(Travel).pk, "step": "hr"}
    if name.startswith("personnel:travel_") and name not in ("personnel:travel_list", "personnel:travel_request"):
        return {"pk": _first(Travel).pk}
    if name == "notifications:mark_read":
        return {"pk": _first(Notification).pk}
    if name in ("accounts:disable", "accounts:enable", "accounts:role_detail", "accounts:role_grant",
                "accounts:role_revoke", "accounts:unlock", "accounts:password_reset"):
        return {"pk": _user("zhangsan").pk}
    if name == "audits:event":
        return {"seq": AuditEvent.objects.order_by("seq").first().seq}
    if name.startswith("inspections:") or name.startswith("incidents:"):
        return _audits_kwargs(name)
    return {}


def _audits_kwargs(name):
    from oversight import models

    if name == "inspections:template_toggle":
        return {"pk": _first(models.ChecklistTemplate).pk}
    if name.startswith("inspections:") and name not in ("inspections:list", "inspections:create", "inspections:mine",
                                                        "inspections:templates"):
        inspection = _first(models.Inspection)
        extra = {}
        if name == "inspections:finding_record":
            extra = {"finding_pk": _first(models.Finding, inspection=inspection).pk}
        elif name in ("inspections:rectification_complete", "inspections:rectification_verify"):
            item = _first(models.Rectification) 
            inspection = item.inspection
            extra = {"item_pk": item.pk}
        return {"pk": inspection.pk, **extra}
    if name.startswith("incidents:") and name not in ("incidents:list", "incidents:report"):
        return {"pk": _first(models.Incident).pk}
    return {}


def _login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_url_answers_each_role_as_the_matrix_says(demo, db, name):
    method, allowed = MATRIX[name]
    failures = []
    for identity in IDENTITIES:
        client = Client()
        if identity != "anonymous":
            client.force_login(_user(identity))
        url = reverse(name, kwargs=kwargs_for(name, identity) or None)
        with transaction.atomic():
            # Each call in a savepoint: an allowed action that succeeds does not change the next.
            response = client.post(url, {}) if method == "POST" else client.get(url)
            transaction.set_rollback(True)
        status = response.status_code
        cell = allowed.get(identity)
        if name == "logout" and identity != "anonymous":
            ok = status == 302  # back to the login page, signed out
        elif identity == "anonymous":
            ok = _login_redirect(response) or status == 404 or name == "logout" and status == 302
        elif cell == OK:
            ok = (status == 200 if method == "GET" else status not in (403, 404, 405, 500)) and not _login_redirect(response)
        elif cell == OBJ:
            ok = status not in (403, 405, 500) and not _login_redirect(response)
        else:
            ok = status == 404
        if not ok:
            failures.append(f"{identity}: {method} {url} → {status}")
    assert not failures, f"{name}: " + "; ".join(failures)


def test_the_admins_get_404_on_every_carrier_page(demo, db):
    carrier = Carrier.objects.order_by("pk").first()
    for username in ADMINS:
        client = Client()
        client.force_login(_user(username))
        for url in (reverse("documents:carrier_detail", args=[carrier.pk]), reverse("documents:carrier_list"),
                    reverse("approvals:copy_request", args=[carrier.pk]), reverse("registers:index"),
                    reverse("circulation:mine"), reverse("review:list"), reverse("meetings:list"),
                    reverse("approvals:mine"), reverse("approvals:inbox")):
            assert client.get(url).status_code == 404, (username, url)


def test_only_the_auditor_reads_the_log_and_the_auditor_reads_nothing_else(demo, db):
    readers = {u for u in IDENTITIES[1:] if MATRIX["audits:events"][1].get(u)}
    assert readers == {"auditor"}
    auditor_pages = {name for name, (_, allowed) in MATRIX.items() if allowed.get("auditor") == OK}
    assert auditor_pages - {"home", "logout", "notifications:inbox", "notifications:mark_all_read",
                            "accounts:password_change"} == {
        "audits:events", "audits:event", "audits:export", "audits:summary", "audits:summary_pdf"}


def test_django_admin_is_for_the_sysadmin_only(demo, db):
    for identity in IDENTITIES:
        client = Client()
        if identity != "anonymous":
            client.force_login(_user(identity))
        status = client.get("/admin/").status_code
        if identity == "sysadmin":
            assert status == 200
        elif identity == "anonymous":
            assert status in (302, 404)
        else:
            assert status == 404, identity


def test_the_admins_read_no_carrier_in_their_notices(demo, db):
    """The demo's 提前解密 used to notify its scope, 系统管理员 included (issue 11 §7)."""
    import re

    for username in ADMINS:
        client = Client()
        client.force_login(_user(username))
        html = client.get(reverse("notifications:inbox")).content.decode()
        assert not re.search(r"\b20\d\d-\d{6}\b", html), username
        assert not Notification.objects.filter(recipient__username=username, target_id__isnull=False).exists()


def test_every_admin_url_is_404_for_everyone_but_the_sysadmin(demo, db):
    for identity in ROLES:
        if identity == "sysadmin":
            continue
        client = Client()
        client.force_login(_user(identity))
        for path in ("/admin/", "/admin/login/", "/admin/documents/carrier/", "/admin/auth/user/1/change/",
                     "/admin/no-such-page/", "/admin/jsi18n/", "/admin/password_change/"):
            assert client.get(path).status_code == 404, (identity, path)
            assert client.post(path).status_code == 404, (identity, path)
