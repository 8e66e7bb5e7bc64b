"""The approval screens as users meet them: 申请借阅 on the carrier page, the leader's inbox with its
count in the navigation bar, 我的申请, the registrar's queue and a request's own page."""
import datetime as dt
import re

import pytest
from django.urls import reverse

from approvals import services as svc
from approvals.kinds import lend as lending
from approvals.models import ApprovalRequest, RequestState
from audits.models import AuditEvent
from conftest import make_user
from documents.models import Carrier, CustodyStatus
from documents.services import local_today
from personnel.models import Role

INBOX, MINE, QUEUE = reverse("approvals:inbox"), reverse("approvals:mine"), reverse("approvals:queue")


@pytest.fixture
def carrier(unit, register_carrier):
    return register_carrier(level=2, copy_number=3, title="业务一处会议纪要", scope_groups=[unit.business.group])


def banner_level(html):
    return int(re.search(r'data-page-level="(\d)"', html).group(1))


def messages_text(response):
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def ask(client, carrier, **data):
    payload = {"due_date": (local_today() + dt.timedelta(days=3)).isoformat(), "reason": "起草总结需参阅"}
    payload.update(data)
    return client.post(reverse("approvals:loan_request", args=[carrier.pk]), payload, follow=True)


def test_the_request_button_appears_only_for_those_who_may_ask(client, unit, carrier):
    client.force_login(unit.zhangsan)
    html = client.get(carrier.get_absolute_url()).content.decode()
    assert "申请借阅" in html and reverse("approvals:loan_request", args=[carrier.pk]) in html
    client.force_login(unit.mishu)  # the custodian: nothing to borrow
    assert "申请借阅" not in client.get(carrier.get_absolute_url()).content.decode()
    # Once a loan request is open, nobody else is offered the button.
    lending.loan_request_create(actor=unit.zhangsan, carrier=carrier, due_date=local_today(), reason="参阅")
    client.force_login(unit.lisi)
    assert "申请借阅" not in client.get(carrier.get_absolute_url()).content.decode()


def test_top_secret_request_form_says_reading_room_same_day(client, unit, register_carrier):
    reader = make_user("hexin", department=unit.business, roles=[Role.READER], person_class="core")
    carrier = register_carrier(level=4, copy_number=1, scope_users=[reader])
    client.force_login(reader)
    html = client.get(carrier.get_absolute_url()).content.decode()
    assert "阅文室" in html and "当日归还" in html
    response = ask(client, carrier, due_date=(local_today() + dt.timedelta(days=5)).isoformat())
    request = ApprovalRequest.objects.get()
    assert request.on_site and request.due_date == local_today()
    assert response.redirect_chain[-1][0] == request.get_absolute_url()


def test_asking_without_reason_or_with_a_past_date_shows_the_reason_and_creates_nothing(client, unit, carrier):
    client.force_login(unit.zhangsan)
    response = ask(client, carrier, reason="", due_date=(local_today() - dt.timedelta(days=1)).isoformat())
    text = messages_text(response)
    assert "请填写借阅事由" in text and "应还日期不能早于今天" in text
    assert ApprovalRequest.objects.count() == 0


def test_the_whole_loan_through_the_screens(client, unit, carrier):
    client.force_login(unit.zhangsan)
    response = ask(client, carrier)
    assert "借阅申请已提交" in messages_text(response)
    request = ApprovalRequest.objects.get()
    assert request.state == RequestState.SUBMITTED

    html = client.get(MINE).content.decode()
    assert f"借阅申请第{request.pk}号" in html and "待审批" in html and banner_level(html) == 2

    # lingdao sees it in the inbox, with the count in the navigation bar; zhuren too; fuzhuren not.
    client.force_login(unit.lingdao)
    html = client.get(INBOX).content.decode()
    assert carrier.serial in html and "业务一处会议纪要" in html and "起草总结需参阅" in html
    assert re.search(r'id="nav-inbox"[^>]*>待办审批<span class="nav-count"[^>]*>1</span>', html)
    assert banner_level(html) == 2
    response = client.post(reverse("approvals:decide", args=[request.pk]),
                           {"decision": "approve", "comment": "同意", "next": "inbox"}, follow=True)
    assert response.redirect_chain[-1][0] == INBOX
    assert "nav-count" not in response.content.decode()
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED

    client.force_login(unit.mishu)
    html = client.get(QUEUE).content.decode()
    assert "待借出（1）" in html and carrier.serial in html
    client.post(reverse("approvals:check_out", args=[request.pk]), {"next": "queue"})
    carrier.refresh_from_db()
    assert (carrier.custody_status, carrier.custodian) == (CustodyStatus.LENT, unit.zhangsan)
    html = client.get(QUEUE).content.decode()
    assert "待归还（1）" in html and "已逾期" not in html

    response = client.post(reverse("approvals:return", args=[request.pk]),
                           {"condition": "damaged", "note": "", "next": "queue"}, follow=True)
    assert "须写明情况" in messages_text(response)
    client.post(reverse("approvals:return", args=[request.pk]), {"condition": "intact", "next": "queue"})
    carrier.refresh_from_db()
    assert (carrier.custody_status, carrier.custodian) == (CustodyStatus.IN_REGISTRY, unit.mishu)

    html = client.get(request.get_absolute_url()).content.decode()
    assert "已归还" in html and "同意" in html and "完好" in html
    html = client.get(carrier.get_absolute_url()).content.decode()
    assert html.count(f"借阅申请第{request.pk}号") >= 2  # 借出 and 归还 rows of the timeline


def test_overdue_loans_show_as_overdue(client, unit, carrier):
    request = lending.loan_request_create(actor=unit.zhangsan, carrier=carrier, due_date=local_today(), reason="参阅")
    svc.request_decide(actor=unit.lingdao, request=request, approve=True)
    lending.loan_check_out(actor=unit.mishu, request=request)
    ApprovalRequest.objects.filter(pk=request.pk).update(due_date=local_today() - dt.timedelta(days=2))
    client.force_login(unit.mishu)
    assert "已逾期" in client.get(QUEUE).content.decode()
    client.force_login(unit.zhangsan)
    assert "已逾期" in client.get(MINE).content.decode()


def test_refused_decision_shows_a_chinese_message_and_changes_nothing(client, unit, register_carrier):
    carrier = register_carrier(level=3, copy_number=4, scope_users=[unit.lisi])
    weak = make_user("weak", department=unit.business, roles=[Role.APPROVER], person_class="important", approval=2)
    request = lending.loan_request_create(actor=unit.lisi, carrier=carrier, due_date=local_today(), reason="研究")
    events = AuditEvent.objects.count()
    client.force_login(weak)
    assert f"request-{request.pk}" not in client.get(INBOX).content.decode()
    # Not an eligible decider: the request does not exist for them.
    assert client.post(reverse("approvals:decide", args=[request.pk]), {"decision": "approve"}).status_code == 404
    # lingdao may see it but zhuren's rejection without comment is refused with a message.
    client.force_login(unit.zhuren)
    response = client.post(reverse("approvals:decide", args=[request.pk]), {"decision": "reject", "comment": ""},
                           follow=True)
    assert "驳回申请时请填写意见" in messages_text(response)
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED
    assert AuditEvent.objects.filter(action__startswith="request.").count() == 1  # the creation only
    assert AuditEvent.objects.count() >= events


def test_request_page_is_404_for_everyone_else(client, unit, carrier):
    request = lending.loan_request_create(actor=unit.zhangsan, carrier=carrier, due_date=local_today(), reason="参阅")
    url = request.get_absolute_url()
    for username in ("zhangsan", "lingdao", "zhuren", "mishu"):
        client.force_login(unit[username])
        assert client.get(url).status_code == 200, username
    for username in ("lisi", "baomi", "wangwu", "sysadmin", "secadmin", "auditor"):
        client.force_login(unit[username])
        assert client.get(url).status_code == 404, username
        assert client.post(reverse("approvals:cancel", args=[request.pk])).status_code == 404, username
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED


def test_requester_cancels_from_my_requests(client, unit, carrier):
    request = lending.loan_request_create(actor=unit.zhangsan, carrier=carrier, due_date=local_today(), reason="参阅")
    client.force_login(unit.zhangsan)
    response = client.post(reverse("approvals:cancel", args=[request.pk]), {"next": "mine"}, follow=True)
    assert response.redirect_chain[-1][0] == MINE and "申请已撤销" in messages_text(response)
    request.refresh_from_db()
    assert request.state == RequestState.CANCELLED
    assert Carrier.objects.get(pk=carrier.pk).custody_status == CustodyStatus.IN_REGISTRY


def test_screens_are_closed_to_the_wrong_roles(client, unit):
    for username, url in [("zhangsan", INBOX), ("mishu", INBOX), ("zhangsan", QUEUE), ("lingdao", QUEUE),
                          ("sysadmin", MINE), ("auditor", INBOX)]:
        client.force_login(unit[username])
        assert client.get(url).status_code == 404, (username, url)
    client.force_login(unit.zhangsan)
    html = client.get(MINE).content.decode()
    assert "我的申请" in html and banner_level(html) == 0
    assert 'id="nav-inbox"' not in html


def test_borrower_sees_the_carrier_page_while_out_and_404_after(client, unit, register_carrier):
    from documents.services import carrier_scope_revoke
    from documents.tests.factories import widen_scope
    carrier = register_carrier(level=2, copy_number=2)
    widen_scope(carrier=carrier, registrar=unit.mishu, principal=unit.zhuren, user=unit.zhangsan, reason="借阅")
    request = lending.loan_request_create(actor=unit.zhangsan, carrier=carrier, due_date=local_today(), reason="参阅")
    svc.request_decide(actor=unit.lingdao, request=request, approve=True)
    carrier_scope_revoke(actor=unit.mishu, carrier=carrier, reason="仅借阅期间", user_id=unit.zhangsan.pk)
    client.force_login(unit.zhangsan)
    assert client.get(carrier.get_absolute_url()).status_code == 404
    lending.loan_check_out(actor=unit.mishu, request=request)
    assert client.get(carrier.get_absolute_url()).status_code == 200
    lending.loan_return(actor=unit.mishu, request=request, condition="intact")
    assert client.get(carrier.get_absolute_url()).status_code == 404
    # His request page still opens (it is his), but the carrier's title is not shown there.
    html = client.get(request.get_absolute_url()).content.decode()
    assert carrier.serial in html and carrier.title not in html and "无权查看" in html


# -------------------------------------------------------------------------------- 借阅登记簿

@pytest.fixture
def loans(unit, register_carrier):
    """zhangsan borrowed and returned a 秘密 carrier; lisi has a 机密 one out."""
    open_to_all = register_carrier(level=2, copy_number=3, title="业务一处会议纪要", scope_groups=[unit.business.group])
    lisi_only = register_carrier(level=3, copy_number=8, title="机密检查方案", scope_users=[unit.lisi])
    first = lending.loan_request_create(actor=unit.zhangsan, carrier=open_to_all, due_date=local_today(), reason="写总结")
    svc.request_decide(actor=unit.lingdao, request=first, approve=True)
    lending.loan_check_out(actor=unit.mishu, request=first)
    lending.loan_return(actor=unit.mishu, request=first, condition="missing_pages", note="缺第2页")
    second = lending.loan_request_create(actor=unit.lisi, carrier=lisi_only, due_date=local_today(), reason="准备检查")
    svc.request_decide(actor=unit.zhuren, request=second, approve=True)
    lending.loan_check_out(actor=unit.mishu, request=second)
    # Asked but never handed out: not a loan, not in the register.
    lending.loan_request_create(actor=unit.zhangsan, carrier=open_to_all, due_date=local_today(), reason="未借出")
    return dict(open_to_all=open_to_all, lisi_only=lisi_only, first=first, second=second)


def loan_rows(user):
    from approvals.registers import loans
    register = loans(user=user)
    return register, [dict(zip(register.headers, row)) for row in register.rows]


def test_loan_register_has_the_columns_of_the_paper_book(unit, loans):
    register, rows = loan_rows(unit.mishu)
    assert register.headers == ["序号", "借阅日期", "借阅人", "部门", "统一编号", "文件名称", "文号", "密级", "份号",
                                "借阅事由", "批准人", "应还日期", "实际归还日期", "归还检查", "经手人", "备注"]
    assert [r["统一编号"] for r in rows] == [loans["open_to_all"].serial, loans["lisi_only"].serial]
    first, second = rows
    assert (first["借阅人"], first["部门"], first["批准人"], first["经手人"]) == ("zhangsan", "业务一处", "lingdao", "mishu")
    assert first["归还检查"] == "缺页：缺第2页" and first["实际归还日期"] and first["份号"] == "000003"
    assert second["批准人"] == "zhuren" and second["实际归还日期"] == "" and "借出中" in second["备注"]
    assert register.highest_level == 3


@pytest.mark.parametrize("username,expected", [
    ("zhangsan", ["open_to_all"]), ("lisi", ["open_to_all", "lisi_only"]), ("baomi", []),
    ("lingdao", ["open_to_all"]), ("mishu", ["open_to_all", "lisi_only"]),
])
def test_loan_register_holds_exactly_what_the_printing_user_may_see(unit, loans, username, expected):
    _, rows = loan_rows(unit[username])
    assert [r["统一编号"] for r in rows] == [loans[key].serial for key in expected]
    titles = " ".join(r["文件名称"] for r in rows)
    if "lisi_only" not in expected:
        assert "机密检查方案" not in titles


def test_loan_register_downloads_and_counts_loans_not_carriers(client, unit, loans):
    from registers.services import register_row_count
    assert register_row_count(user=unit.mishu, name="loans") == 2
    assert register_row_count(user=unit.zhangsan, name="loans") == 1
    client.force_login(unit.mishu)
    response = client.post(reverse("registers:download"), {"register": "loans", "format": "xlsx"})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="register.export", detail__register="loans").count() == 1
    client.force_login(unit.secadmin)
    assert client.post(reverse("registers:download"), {"register": "loans", "format": "pdf"}).status_code == 404


def test_the_inbox_shows_fifty_requests_a_page_oldest_first(client, unit, register_carrier, monkeypatch):
    from approvals import views as approval_views
    from approvals.kinds.lend import loan_request_create

    monkeypatch.setattr(approval_views, "INBOX_PAGE_SIZE", 3)
    asked = []
    for _ in range(4):
        carrier = register_carrier(level=2, scope_users=[unit.lisi])
        asked.append(loan_request_create(actor=unit.lisi, carrier=carrier, due_date=local_today() + dt.timedelta(days=3),
                                         reason="查阅"))
    client.force_login(unit.lingdao)
    first = client.get(INBOX).content.decode()
    assert "共 4 件待审批" in first and "第 1 / 2 页" in first
    assert [f'id="request-{r.pk}"' in first for r in asked] == [True, True, True, False]
    second = client.get(INBOX + "?page=2").content.decode()
    assert f'id="request-{asked[3].pk}"' in second and f'id="request-{asked[0].pk}"' not in second
    # A page number that is not one shows the last or first page, never an error.
    assert client.get(INBOX + "?page=99").status_code == 200
    assert client.get(INBOX + "?page=abc").status_code == 200
