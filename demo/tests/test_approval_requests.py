"""`seed_demo` fills every request table (SPEC §5, §14): every kind in every state its transition
table reaches, made through the services, so that every screen has something to show; and a second
run — on the same day or a later one — changes nothing."""
import datetime as dt
import io

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from approvals.models import ApprovalRequest, ApprovalStep, DestructionDetail, DestructionWitness, RequestItem
from approvals.workflows import all_transitions
from audits.models import AuditEvent
from approvals import selectors
from documents.models import Carrier, Circulation, CustodyEvent
from notifications.models import Notification
from registers.services import register_row_count

# What the tables reach, written out (草稿 … 已撤销); checked against the tables themselves below.
REACHED = {
    "lend": {"draft", "submitted", "approved", "in_progress", "completed", "rejected", "cancelled"},
    "copy": {"draft", "submitted", "approved", "completed", "rejected", "cancelled"},
    "carry_out": {"draft", "submitted", "approved", "in_progress", "completed", "rejected", "cancelled"},
    "repair": {"draft", "submitted", "approved", "in_progress", "completed", "rejected", "cancelled"},
    "destroy": {"draft", "submitted", "approved", "completed", "rejected", "cancelled"},
    "reclassify": {"draft", "submitted", "completed", "rejected", "cancelled"},
    "scope": {"draft", "submitted", "completed", "rejected", "cancelled"},
}


def _seed():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _users():
    return {u.username: u for u in get_user_model().objects.select_related("person")}


def _counts():
    return {
        "requests": ApprovalRequest.objects.count(),
        "items": RequestItem.objects.count(),
        "steps": ApprovalStep.objects.count(),
        "decided steps": ApprovalStep.objects.exclude(decision="").count(),
        "witnesses": DestructionWitness.all_objects.count(),
        "destruction details": DestructionDetail.objects.count(),
        "carriers": Carrier.objects.count(),
        "custody rows": CustodyEvent.objects.count(),
        "history rows": Carrier.history.count(),
        "audit events": AuditEvent.objects.count(),
        "circulations": Circulation.objects.count(),
        "notifications": Notification.objects.count(),
    }


def test_the_tables_reach_exactly_the_states_written_above():
    for kind, table in all_transitions().items():
        states = {"draft"} | {state for state, _ in table} | {move.to for move in table.values()}
        assert states == REACHED[kind], kind


def test_every_kind_is_seeded_in_every_state_its_table_reaches(demo, db):
    seeded = set(ApprovalRequest.objects.values_list("kind", "state"))
    expected = {(kind, state) for kind, states in REACHED.items() for state in states}
    assert seeded == expected, (expected - seeded, seeded - expected)


def test_the_demo_requests_have_what_the_screens_need(demo, db):
    users = _users()
    requests = ApprovalRequest.objects.all()

    # 复制: a 汇编 and a 摘抄 among the copies made, each a new carrier linked to its request.
    made = requests.filter(kind="copy", state="completed")
    assert {r.copy_mode for r in made} >= {"copy", "excerpt", "compile"}
    for request in made:
        assert Carrier.objects.filter(source_request=request).count() == request.copy_count
    # 领取签收 (issue 14 §3): one request's copies are with lisi, the others wait at the registry.
    collected = made.filter(copies_collected_at__isnull=False)
    assert collected.count() == 1 and made.filter(copies_collected_at__isnull=True).exists()
    held = Carrier.objects.filter(source_request__in=collected)
    assert {(c.custody_status, c.custodian.username) for c in held} == {("lent", "lisi")}
    # A 绝密 copy waits for the 主要负责人 with the original authority's consent on record.
    top_secret_copy = requests.get(kind="copy", level=4)
    assert top_secret_copy.consent_letter and top_secret_copy.consent_date and top_secret_copy.consent_authority
    # 外出携带: one carried abroad with the 出境 approved.
    assert requests.filter(kind="carry_out", abroad=True, abroad_approved=True).exists()
    # 维修: on site (under a supervisor) and off site (storage removed first), both handed out.
    repairs = requests.filter(kind="repair", state__in=["in_progress", "completed"])
    assert {r.repair_mode for r in repairs} == {"on_site", "off_site"}
    assert all(r.supervisor_id for r in repairs if r.repair_mode == "on_site")
    assert all(r.storage_removed_note for r in repairs if r.repair_mode == "off_site")

    # Nobody approved their own request; every decision was made by someone with the authority.
    for step in ApprovalStep.objects.exclude(decision="").select_related("request", "decided_by__person"):
        assert step.decided_by_id != step.request.requester_id
        assert step.decided_by.person.approval_authority >= step.min_authority
        assert not step.requires_principal or step.decided_by.person.is_principal

    # 待办: both leaders have something to decide, and zhuren has something only zhuren may decide.
    lingdao_inbox = set(selectors.requests_inbox(user=users["lingdao"]).values_list("pk", flat=True))
    zhuren_inbox = set(selectors.requests_inbox(user=users["zhuren"]).values_list("pk", flat=True))
    assert lingdao_inbox and zhuren_inbox - lingdao_inbox
    # The registrar's queue has approved requests to carry out and carriers out to take back.
    queue = list(selectors.requests_queue(user=users["mishu"]))
    # and copies waiting to be collected (领取签收, issue 14 §3).
    assert {r.state for r in queue} == {"approved", "in_progress", "completed"}
    assert all(r.kind == "copy" and r.copies_collected_at is None for r in queue if r.state == "completed")
    # baomi has an approved batch to witness; every designated batch has a 保密办 witness.
    assert selectors.requests_to_witness_count(user=users["baomi"]) >= 1
    for batch in requests.filter(kind="destroy", witnesses__isnull=False).distinct():
        assert any(w.user.person.department.is_secrecy_office
                   for w in DestructionWitness.objects.filter(request=batch).select_related("user__person__department"))
    # Every requester has something under 我的申请.
    for name in ("lisi", "zhangsan", "lingdao", "mishu"):
        assert selectors.requests_mine(user=users[name]).exists(), name

    # The registers show rows.
    for name in ("loans", "copies"):
        assert register_row_count(user=users["mishu"], name=name) > 0, name
    executed = requests.get(kind="destroy", state="completed")
    assert register_row_count(user=users["mishu"], name="destruction", filters={"batch": executed.pk}) > 0


def test_a_second_run_changes_nothing_not_even_the_audit_log(demo, db):
    before = _counts()
    assert before["requests"] >= 33 and before["carriers"] > 300
    second = _seed()
    assert _counts() == before
    assert "未作任何更改" not in demo
    assert "未作任何更改" in second


def test_a_run_on_a_later_day_changes_nothing_either(demo, db, monkeypatch):
    """The carrier plan depends on the day it is drawn for; a later run must still find the demo."""
    before = _counts()
    real_localdate = timezone.localdate
    later = real_localdate() + dt.timedelta(days=200)

    def localdate(value=None, timezone=None):
        return later if value is None else real_localdate(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    output = _seed()
    assert _counts() == before
    assert "未作任何更改" in output
