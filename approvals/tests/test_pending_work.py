"""Issue 14 §3: pending work is visible and nobody waits unknowingly — the 审批办理 badge, the
requester's notices, the 领取签收 of copies, the leaders' 待办 list on their home page and the
approval step naming who will decide."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from approvals import services as svc
from approvals.kinds import copy as copying
from approvals.kinds import copy_pickup
from approvals.kinds import lend as lending
from approvals.models import ApprovalRequest
from audits.models import AuditEvent
from conftest import make_carrier, make_user
from documents.models import Carrier, CustodyAction, CustodyEvent, CustodyStatus
from documents.services import local_today
from notifications.models import Notification
from personnel.models import Role
from secrecy.errors import InvalidState, PolicyDenied

HOME = "/"


@pytest.fixture
def original(unit):
    """A 秘密 document, 份号 3, in scope of all of 业务一处 (lisi, zhangsan, lingdao)."""
    return make_carrier(unit, level=2, copy_number=3, title="业务一处会议纪要", scope_groups=[unit.business.group])


def ask_copy(unit, carrier, count=2):
    return copying.copy_request_create(actor=unit.lisi, carriers=[carrier], mode="copy", count=count,
                                       reason="分送处室学习")


def notices_of(user):
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("kind", "title", "body"))


def queue_badge(client, user):
    client.force_login(user)
    html = client.get(HOME).content.decode()
    found = re.search(r'id="nav-queue">审批办理(?:<span class="nav-count"[^>]*>(\d+)</span>)?</a>', html)
    assert found, "the registrar's menu has 审批办理"
    return int(found.group(1) or 0)


def test_the_queue_badge_counts_what_waits_for_the_registrar(client, unit, original):
    assert queue_badge(client, unit.mishu) == 0
    loan = lending.loan_request_create(actor=unit.zhangsan, carrier=original, due_date=local_today(), reason="参阅")
    copy = ask_copy(unit, original)
    assert queue_badge(client, unit.mishu) == 0, "submitted, not approved yet: nothing to carry out"
    svc.request_decide(actor=unit.lingdao, request=loan, approve=True)
    svc.request_decide(actor=unit.lingdao, request=copy, approve=True)
    assert queue_badge(client, unit.mishu) == 2
    copying.copy_make(actor=unit.mishu, request=copy, copy_stamp="复制戳记")
    lending.loan_check_out(actor=unit.mishu, request=loan)
    assert queue_badge(client, unit.mishu) == 1, "the copies wait to be collected; the loan is out"
    copy_pickup.copy_hand_over(actor=unit.mishu, request=copy)
    assert queue_badge(client, unit.mishu) == 0
    # Nobody else has the entry.
    for name in ("lingdao", "lisi", "baomi"):
        client.force_login(unit[name])
        assert 'id="nav-queue"' not in client.get(HOME).content.decode(), name


def test_the_requester_hears_of_approval_copies_made_and_collection(unit, original):
    request = ask_copy(unit, original)
    assert notices_of(unit.lisi) == []
    svc.request_decide(actor=unit.lingdao, request=request, approve=True, comment="同意")
    copying.copy_make(actor=unit.mishu, request=request, copy_stamp="复制戳记")
    copy_pickup.copy_hand_over(actor=unit.mishu, request=request)
    kinds = [kind for kind, _, _ in notices_of(unit.lisi)]
    assert kinds == ["request_approved", "request_ready", "copies_collected"]
    approved, ready, collected = notices_of(unit.lisi)
    assert approved[1] == f"复制申请第{request.pk}号已批准"
    assert "请到机要室领取" in ready[1] and "2 份复制件已制作完成" in ready[2]
    assert "mishu" in collected[2] and "领取签收" in collected[1]
    serials = list(Carrier.objects.values_list("serial", flat=True))
    for _, title, body in notices_of(unit.lisi):
        # A notice names the request, never a carrier (the requester may leave its scope).
        assert not any(serial in title or serial in body for serial in serials)
        assert "会议纪要" not in title + body
    link = Notification.objects.filter(recipient=unit.lisi).values_list("link", flat=True).first()
    assert link == request.get_absolute_url()
    assert notices_of(unit.mishu) == [] and notices_of(unit.lingdao) == []


def test_a_rejected_requester_is_told_without_the_comment(unit, original):
    request = lending.loan_request_create(actor=unit.zhangsan, carrier=original, due_date=local_today(),
                                          reason="参阅")
    svc.request_decide(actor=unit.lingdao, request=request, approve=False, comment="涉及业务一处会议纪要，暂不借阅")
    [(kind, title, body)] = notices_of(unit.zhangsan)
    assert kind == "request_rejected" and title == f"借阅申请第{request.pk}号被驳回"
    assert "会议纪要" not in body and "申请页面" in body


def test_an_approved_loan_tells_the_borrower_to_come_and_collect(unit, original):
    request = lending.loan_request_create(actor=unit.zhangsan, carrier=original, due_date=local_today(),
                                          reason="参阅")
    svc.request_decide(actor=unit.lingdao, request=request, approve=True)
    [(kind, _, body)] = notices_of(unit.zhangsan)
    assert kind == "request_approved" and "请到机要室办理借出" in body


def made_copies(unit, original):
    request = ask_copy(unit, original)
    svc.request_decide(actor=unit.lingdao, request=request, approve=True)
    copying.copy_make(actor=unit.mishu, request=request, copy_stamp="复制戳记")
    return request, list(Carrier.objects.filter(source_request=request).order_by("id"))


def test_pickup_moves_the_copies_to_the_requester_with_custody_rows_and_an_audit_event(unit, original):
    request, copies = made_copies(unit, original)
    assert [(c.custody_status, c.custodian_id) for c in copies] == [(CustodyStatus.IN_REGISTRY, unit.mishu.pk)] * 2
    copy_pickup.copy_hand_over(actor=unit.mishu, request=request)
    for copy in copies:
        copy.refresh_from_db()
        assert (copy.custody_status, copy.custodian_id) == (CustodyStatus.LENT, unit.lisi.pk)
        row = CustodyEvent.objects.filter(carrier=copy).order_by("id").last()
        assert (row.action, row.from_user_id, row.to_user_id) == (CustodyAction.HANDED_OUT, unit.mishu.pk, unit.lisi.pk)
        assert row.approval_ref == request.reference and "领取签收" in row.note
    event = AuditEvent.objects.filter(action="request.copies_collected").get()
    assert event.actor_id == unit.mishu.pk and sorted(event.detail["copies"]) == [c.pk for c in copies]
    request.refresh_from_db()
    assert request.copies_collected_at is not None and request.copies_handed_by == unit.mishu
    # The original stays where it was.
    original.refresh_from_db()
    assert (original.custody_status, original.custodian_id) == (CustodyStatus.IN_REGISTRY, unit.mishu.pk)


def test_pickup_is_the_registrars_and_happens_once(unit, original):
    request, copies = made_copies(unit, original)
    before = (CustodyEvent.objects.count(), AuditEvent.objects.filter(action="request.copies_collected").count())
    for name in ("lisi", "lingdao", "baomi", "zhangsan"):
        with pytest.raises(PolicyDenied) as refused:
            copy_pickup.copy_hand_over(actor=unit[name], request=request)
        assert "机要秘书" in refused.value.message
    assert (CustodyEvent.objects.count(),
            AuditEvent.objects.filter(action="request.copies_collected").count()) == before
    copy_pickup.copy_hand_over(actor=unit.mishu, request=request)
    rows = CustodyEvent.objects.count()
    with pytest.raises(InvalidState) as refused:
        copy_pickup.copy_hand_over(actor=unit.mishu, request=request)
    assert "已于" in refused.value.message and "领取签收" in refused.value.message
    assert CustodyEvent.objects.count() == rows


def test_pickup_before_the_copies_are_made_is_refused(unit, original):
    request = ask_copy(unit, original)
    svc.request_decide(actor=unit.lingdao, request=request, approve=True)
    with pytest.raises(InvalidState, match="尚未制作"):
        copy_pickup.copy_hand_over(actor=unit.mishu, request=request)


def held_by_registrar(copies):
    return all(Carrier.objects.get(pk=c.pk).custody_status == CustodyStatus.IN_REGISTRY for c in copies)


def test_pickup_is_refused_when_the_requester_may_no_longer_hold_the_copies(unit, original):
    """Custody shows a carrier to its holder: a requester taken out of the copies' 知悉范围, or whose
    account was disabled since asking, does not get them (SPEC §4)."""
    request, copies = made_copies(unit, original)
    unit.business.group.user_set.remove(unit.lisi)
    with pytest.raises(InvalidState, match="不在复制件"):
        copy_pickup.copy_hand_over(actor=unit.mishu, request=request)
    assert held_by_registrar(copies)
    unit.business.group.user_set.add(unit.lisi)
    get_user_model().objects.filter(pk=unit.lisi.pk).update(is_active=False)
    with pytest.raises(InvalidState, match="已停用"):
        copy_pickup.copy_hand_over(actor=unit.mishu, request=request)
    assert held_by_registrar(copies)


def test_pickup_is_only_for_copy_requests_and_never_for_top_secret_or_busy_copies(unit, original):
    loan = lending.loan_request_create(actor=unit.lisi, carrier=original, due_date=local_today(), reason="参阅")
    with pytest.raises(InvalidState, match="不是复制申请"):
        copy_pickup.copy_hand_over(actor=unit.mishu, request=loan)
    svc.request_cancel(actor=unit.lisi, request=loan)
    request, copies = made_copies(unit, original)
    # A copy already asked for elsewhere (here: lent to zhangsan) is not handed to the requester.
    lending.loan_request_create(actor=unit.zhangsan, carrier=copies[0], due_date=local_today(), reason="参阅")
    with pytest.raises(InvalidState, match="已有未办结的借阅申请"):
        copy_pickup.copy_hand_over(actor=unit.mishu, request=request)
    assert held_by_registrar(copies)
    # REG24 art. 29(3): a 绝密 copy is read on the premises, never collected to a desk.
    ApprovalRequest.objects.filter(pk=request.pk).update(level=4)
    with pytest.raises(InvalidState, match="绝密级复制件不领取带离"):
        copy_pickup.copy_hand_over(actor=unit.mishu, request=request)


def test_the_registrar_hands_over_on_the_request_page_and_the_copies_show_the_requester(client, unit, original):
    request, copies = made_copies(unit, original)
    client.force_login(unit.lisi)
    page = client.get(request.get_absolute_url()).content.decode()
    assert "待申请人到机要室领取" in page and "hand-over-form" not in page
    assert client.post(reverse("approvals:copies_hand_over", args=[request.pk])).status_code == 302
    assert Carrier.objects.get(pk=copies[0].pk).custodian_id == unit.mishu.pk, "the requester cannot sign alone"

    client.force_login(unit.mishu)
    queue = client.get(reverse("approvals:queue")).content.decode()
    assert "复制件待领取（1）" in queue and reverse("approvals:copies_hand_over", args=[request.pk]) in queue
    page = client.get(request.get_absolute_url()).content.decode()
    assert "hand-over-form" in page
    response = client.post(reverse("approvals:copies_hand_over", args=[request.pk]), follow=True)
    assert "复制件已交申请人领取签收" in response.content.decode()
    assert "hand-over-form" not in response.content.decode() and "lisi 于" in response.content.decode()
    detail = client.get(copies[0].get_absolute_url()).content.decode()
    assert "lisi" in detail and "领取签收" in detail
    listing = client.get(reverse("documents:carrier_list"), {"q": copies[0].serial}, follow=True).content.decode()
    assert "lisi" in listing
    assert "复制件待领取" not in client.get(reverse("approvals:queue")).content.decode()


def test_a_leaders_home_lists_the_requests_awaiting_them(client, unit, original):
    request = ask_copy(unit, original)
    client.force_login(unit.lingdao)
    home = client.get(HOME).content.decode()
    assert 'id="home-to-decide"' in home and "待我审批（1 件）" in home
    assert f'href="{request.get_absolute_url()}">{request.reference}</a>' in home
    svc.request_decide(actor=unit.lingdao, request=request, approve=True)
    home = client.get(HOME).content.decode()
    assert "目前没有等待您审批的申请" in home and request.reference not in home
    # Readers and registrars decide nothing: no such panel.
    for name in ("lisi", "mishu"):
        client.force_login(unit[name])
        assert 'id="home-to-decide"' not in client.get(HOME).content.decode(), name


def test_each_waiting_step_names_who_will_decide(client, unit, original):
    request = ask_copy(unit, original)
    client.force_login(unit.lisi)
    steps = client.get(request.get_absolute_url()).content.decode()
    cell = re.search(r'<td class="step-decider">(.*?)</td>', steps, re.S).group(1)
    # Both leaders may decide a 秘密 copy; lisi (the requester) and mishu may not.
    assert "lingdao" in cell and "zhuren" in cell and "lisi" not in cell and "mishu" not in cell
    core = make_user("hexin", department=unit.business, roles=[Role.READER], person_class="core")
    top = make_carrier(unit, level=4, copy_number=1, scope_users=[core])
    loan = lending.loan_request_create(actor=core, carrier=top, due_date=local_today(), reason="阅文室阅读")
    client.force_login(core)
    cell = re.search(r'<td class="step-decider">(.*?)</td>',
                     client.get(loan.get_absolute_url()).content.decode(), re.S).group(1)
    assert "zhuren" in cell and "lingdao" not in cell, "绝密 loans: the 主要负责人 only"
    svc.request_decide(actor=unit.lingdao, request=request, approve=True)
    client.force_login(unit.lisi)
    cell = re.search(r'<td class="step-decider">(.*?)</td>',
                     client.get(request.get_absolute_url()).content.decode(), re.S).group(1)
    assert cell.strip() == "lingdao"
    assert ApprovalRequest.objects.get(pk=request.pk).state == "approved"
