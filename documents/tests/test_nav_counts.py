"""The 待办 count in the navigation bar: what an approver may decide plus the destruction batches
waiting for the user's own 监销 confirmation (a 保密办 witness is not an approver)."""
import datetime as dt
import re

from django.urls import reverse

from approvals import services as approval_services
from approvals.kinds import destroy as destroying
from documents.services import local_today


def nav_count(client, user):
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    found = re.search(r'id="nav-inbox"[^>]*>待办审批(?:<span class="nav-count"[^>]*>(\d+)</span>)?', html)
    return None if found is None else int(found.group(1) or 0)


def test_a_witness_sees_the_batch_waiting_for_them_in_the_nav_count(client, unit, register_carrier):
    carrier = register_carrier(level=2, copy_number=1, scope_users=[unit.baomi, unit.lingdao])
    assert nav_count(client, unit.baomi) is None, "保密办 without anything to do has no 待办 entry"
    batch = destroying.destruction_batch_create(
        actor=unit.mishu, carriers=[carrier], reason="清理", method="shred", place="机要室",
        planned_date=local_today() + dt.timedelta(days=1), witnesses=[unit.baomi, unit.lingdao], submit=True)
    assert nav_count(client, unit.baomi) is None, "nothing to confirm before approval"
    assert nav_count(client, unit.lingdao) == 1, "lingdao may decide the batch"
    approval_services.request_decide(actor=unit.zhuren, request=batch, approve=True, comment="同意")
    assert nav_count(client, unit.baomi) == 1
    assert nav_count(client, unit.lingdao) == 1, "now waiting for lingdao's own 监销 confirmation"
    inbox = client.get(reverse("approvals:inbox")).content.decode()
    assert batch.reference in inbox or f"#{batch.pk}" in inbox
    destroying.destruction_witness_confirm(actor=unit.baomi, request=batch)
    assert nav_count(client, unit.baomi) is None
    assert nav_count(client, unit.zhangsan) is None
