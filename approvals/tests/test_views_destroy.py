"""销毁 screens as users meet them (acceptance 5 of the approvals issue, as a client test): mishu
builds a batch on the 组织销毁 page, zhuren approves in the inbox, baomi and lingdao each confirm
as 监销人 with their own login, mishu executes, and baomi downloads the 销毁清单."""
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm
from openpyxl import load_workbook
from pypdf import PdfReader

from approvals.models import ApprovalRequest, DestructionWitness, RequestKind, RequestState
from audits.models import AuditEvent
from conftest import make_user
from documents.models import Carrier, CustodyStatus
from documents.services import local_today
from personnel.models import Role

NEW, LIST, INBOX = reverse("approvals:destroy_new"), reverse("approvals:destroy_list"), reverse("approvals:inbox")


def messages_text(response):
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def banner_level(html):
    return int(re.search(r'data-page-level="(\d)"', html).group(1))


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def carriers(unit, register_carrier):
    """Several carriers of different kinds; baomi and lingdao in their 知悉范围."""
    seen = [unit.baomi, unit.lingdao]
    return [
        register_carrier(level=3, copy_number=5, copies=3, title="年度保密检查报告", scope_users=seen),
        register_carrier(level=2, copy_number=2, copies=2, title="业务一处会议纪要", scope_users=seen),
        register_carrier(level=2, kind="removable", device_serial="USB-0099", copy_number=None, pages="32GB",
                         title="项目资料U盘", scope_users=seen),
        register_carrier(level=2, kind="disc", device_serial="CD-7", copy_number=None, pages="700MB",
                         title="项目资料光盘", scope_users=seen),
    ]


def batch_payload(unit, carriers, **overrides):
    data = {
        "carriers": [c.pk for c in carriers], "reason": "超过保存期限，清理销毁", "method": "send",
        "place": "市保密局销毁中心", "destruction_body": "市涉密载体销毁中心",
        "planned_date": (local_today() + dt.timedelta(days=2)).isoformat(),
        "witnesses": [unit.baomi.pk, unit.lingdao.pk], "action": "submit",
    }
    data.update(overrides)
    return data


def test_the_whole_destruction_through_the_screens(client, unit, carriers):
    # mishu builds the batch from the candidates page.
    client.force_login(unit.mishu)
    html = client.get(NEW).content.decode()
    for carrier in carriers:
        assert f'id="pick-{carrier.pk}"' in html
    assert banner_level(html) == 3
    html = client.get(NEW, {"kind": "removable"}).content.decode()
    assert f'id="pick-{carriers[2].pk}"' in html and f'id="pick-{carriers[0].pk}"' not in html
    response = client.post(NEW, batch_payload(unit, carriers), follow=True)
    batch = ApprovalRequest.objects.get(kind=RequestKind.DESTROY)
    assert "已建立并提交" in messages_text(response)
    assert response.redirect_chain[-1][0] == batch.get_absolute_url()
    assert batch.state == RequestState.SUBMITTED and batch.level == 3
    assert {c.custody_status for c in Carrier.objects.all()} == {CustodyStatus.PENDING_DESTRUCTION}
    # No longer offered for another batch.
    assert f'id="pick-{carriers[0].pk}"' not in client.get(NEW).content.decode()

    # zhuren approves in the inbox.
    client.force_login(unit.zhuren)
    html = client.get(INBOX).content.decode()
    assert f"销毁申请第{batch.pk}号" in html
    client.post(reverse("approvals:decide", args=[batch.pk]),
                {"decision": "approve", "comment": "同意销毁", "next": "inbox"})
    batch.refresh_from_db()
    assert batch.state == RequestState.APPROVED

    # The registrar cannot execute before the witnesses confirm.
    client.force_login(unit.mishu)
    html = client.get(batch.get_absolute_url()).content.decode()
    assert "执行销毁" in html and "确认监销" not in html
    response = client.post(reverse("approvals:destroy_execute", args=[batch.pk]),
                           {"destroyed_by_name": "张师傅"}, follow=True)
    assert "监销人确认不足" in messages_text(response)
    batch.refresh_from_db()
    assert batch.state == RequestState.APPROVED

    # baomi (not an approver) finds the batch in their inbox and confirms with their own login.
    for witness in (unit.baomi, unit.lingdao):
        client.force_login(witness)
        html = client.get(INBOX).content.decode()
        assert 'id="witness-table"' in html and f"销毁申请第{batch.pk}号" in html
        html = client.get(batch.get_absolute_url()).content.decode()
        assert "确认监销" in html and "执行销毁" not in html
        response = client.post(reverse("approvals:destroy_witness_confirm", args=[batch.pk]), follow=True)
        assert "已确认监销" in messages_text(response)
    assert DestructionWitness.objects.filter(request=batch, confirmed_at__isnull=False).count() == 2
    # A reader who is not a witness has no inbox and cannot confirm.
    client.force_login(unit.lisi)
    assert client.get(INBOX).status_code == 404
    assert client.post(reverse("approvals:destroy_witness_confirm", args=[batch.pk])).status_code == 404

    # mishu executes.
    client.force_login(unit.mishu)
    response = client.post(reverse("approvals:destroy_execute", args=[batch.pk]),
                           {"executed_on": local_today().isoformat(), "destroyed_by_name": "张师傅"}, follow=True)
    assert "已执行销毁" in messages_text(response)
    batch.refresh_from_db()
    assert batch.state == RequestState.COMPLETED
    assert {c.custody_status for c in Carrier.objects.all()} == {CustodyStatus.DESTROYED}
    assert "已销毁" in client.get(carriers[0].get_absolute_url()).content.decode()

    # baomi downloads the 销毁清单.
    client.force_login(unit.baomi)
    html = client.get(batch.get_absolute_url()).content.decode()
    pdf_url = reverse("approvals:destroy_list_file", args=[batch.pk, "pdf"])
    assert pdf_url in html
    response = client.post(pdf_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    compact = re.sub(r"\s+", "", text)
    for carrier in carriers:
        assert carrier.serial in compact and re.sub(r"\s+", "", carrier.title) in compact
    assert "纸质文件资料5份" in compact and "光盘1张" in compact and "移动存储1个" in compact
    for name in ("baomi", "lingdao", "mishu", "zhuren", "张师傅"):
        assert name in compact
    for label in ("申请人", "批准人", "销毁人", "监销人", "送销", "市保密局销毁中心", "市涉密载体销毁中心"):
        assert label in compact
    assert AuditEvent.objects.filter(action="register.print", actor=unit.baomi).count() == 1

    response = client.post(reverse("approvals:destroy_list_file", args=[batch.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert all(c.serial in cells for c in carriers) and "纸质文件资料 5 份" in cells and "lingdao" in cells


def test_the_list_is_404_for_those_who_may_not_print_it(client, unit, carriers):
    client.force_login(unit.mishu)
    client.post(NEW, batch_payload(unit, carriers))
    batch = ApprovalRequest.objects.get(kind=RequestKind.DESTROY)
    url = reverse("approvals:destroy_list_file", args=[batch.pk, "pdf"])
    for outsider in (unit.lisi, unit.zhangsan, unit.secadmin):
        client.force_login(outsider)
        assert client.post(url).status_code == 404
        assert client.get(batch.get_absolute_url()).status_code == 404


def test_the_list_holds_only_rows_the_printer_may_see(client, unit, register_carrier, carriers):
    hidden = register_carrier(level=2, copy_number=9, title="不在保密办知悉范围的文件")
    client.force_login(unit.mishu)
    client.post(NEW, batch_payload(unit, carriers + [hidden]))
    batch = ApprovalRequest.objects.get(kind=RequestKind.DESTROY)
    # Another 保密办 member, not a witness of this batch, with only carriers[0] in scope.
    colleague = make_user("baomi2", department=unit.secrecy_office, roles=[Role.SECRECY_OFFICE],
                          person_class="important")
    assign_perm("documents.view_carrier", colleague, carriers[0])
    client.force_login(colleague)
    compact = re.sub(r"\s+", "", pdf_text(client.post(
        reverse("approvals:destroy_list_file", args=[batch.pk, "pdf"])).content))
    assert hidden.serial not in compact and carriers[1].serial not in compact and carriers[0].serial in compact
    # The witness checked every carrier against the list she signs: hers is complete.
    client.force_login(unit.baomi)
    compact = re.sub(r"\s+", "", pdf_text(client.post(
        reverse("approvals:destroy_list_file", args=[batch.pk, "pdf"])).content))
    assert hidden.serial in compact
    client.force_login(unit.mishu)
    compact = re.sub(r"\s+", "", pdf_text(client.post(
        reverse("approvals:destroy_list_file", args=[batch.pk, "pdf"])).content))
    assert hidden.serial in compact and "纸质文件资料6份" in compact


def test_building_a_batch_with_bad_input_shows_why_and_changes_nothing(client, unit, carriers):
    client.force_login(unit.mishu)
    # Every problem at once, each at its field (issue 14 §4), not one round at a time in a banner.
    response = client.post(NEW, batch_payload(unit, carriers, place="", witnesses=[unit.baomi.pk]), follow=True)
    html = response.content.decode()
    assert "请填写销毁地点" in html and 'id="errors-place"' in html
    assert "至少两名不同的监销人" in html and 'id="errors-witnesses"' in html
    response = client.post(NEW, batch_payload(unit, [], witnesses=[]), follow=True)
    assert "请至少选择一件载体" in response.content.decode()
    assert not ApprovalRequest.objects.exists()
    assert {c.custody_status for c in Carrier.objects.all()} == {CustodyStatus.IN_REGISTRY}


def test_only_registrars_build_batches(client, unit):
    for user in (unit.lisi, unit.zhuren, unit.baomi, unit.secadmin):
        client.force_login(user)
        assert client.get(NEW).status_code == 404
    client.force_login(unit.baomi)
    assert client.get(LIST).status_code == 200


def test_printing_the_list_is_a_post_and_a_get_prints_nothing(client, unit, carriers):
    client.force_login(unit.mishu)
    client.post(NEW, batch_payload(unit, carriers))
    batch = ApprovalRequest.objects.get(kind=RequestKind.DESTROY)
    url = reverse("approvals:destroy_list_file", args=[batch.pk, "pdf"])
    assert client.get(url).status_code == 405
    assert not AuditEvent.objects.filter(action="register.print").exists()
    assert client.post(url).status_code == 200
    assert AuditEvent.objects.filter(action="register.print", actor=unit.mishu).count() == 1
