"""复制（摘抄）/ 汇编, 外出携带 and 维修 as users meet them: the buttons on the carrier page, the
request forms with their Chinese errors next to the field, the request page with its kind-specific
record, the leader's decision (出境 ticked explicitly) and the registrar's queue."""
import datetime as dt
import re

import pytest
from django.urls import reverse

from approvals import services as sa
from approvals.kinds import carry as sc
from approvals.kinds import repair as repairs
from approvals.kinds import copy as scopy
from approvals.models import ApprovalRequest, RequestKind, RequestState
from audits.models import AuditEvent
from conftest import make_user
from documents.models import Carrier, CustodyStatus
from documents.services import local_today
from personnel.models import Role

INBOX, MINE, QUEUE = reverse("approvals:inbox"), reverse("approvals:mine"), reverse("approvals:queue")
COMPILE = reverse("approvals:compile_request")
TODAY = local_today()


def day(offset):
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def copy_url(carrier):
    return reverse("approvals:copy_request", args=[carrier.pk])


def carry_url(carrier):
    return reverse("approvals:carry_request", args=[carrier.pk])


def repair_url(carrier):
    return reverse("approvals:repair_request", args=[carrier.pk])


def text(fragment):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def field_error(html, name):
    """What the page says under one field ('' when nothing)."""
    found = re.search(rf'<div class="field-errors" id="errors-{name}">(.*?)</div>', html, re.S)
    return text(found.group(1)) if found else ""


def form_error(html):
    found = re.search(r'<div class="form-errors"[^>]*>(.*?)</div>', html, re.S)
    return text(found.group(1)) if found else ""


def banner_level(html):
    return int(re.search(r'data-page-level="(\d)"', html).group(1))


def messages_text(response):
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def counts():
    return ApprovalRequest.objects.count(), AuditEvent.objects.count(), Carrier.objects.count()


def option_ids(html, name):
    """The user ids a <select name=…> offers."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return {int(v) for v in re.findall(r'<option value="(\d+)"', select)}


@pytest.fixture
def paper(unit, register_carrier):
    """A 秘密 paper carrier for the whole 业务一处 (zhangsan, lisi, lingdao, wangwu-without-clearance)."""
    return register_carrier(level=2, copy_number=3, title="业务一处会议纪要", scope_groups=[unit.business.group])


@pytest.fixture
def usb(unit, register_carrier):
    return register_carrier(level=2, copy_number=None, kind="removable", device_serial="USB-0042", pages="32GB",
                            title="项目资料U盘", scope_groups=[unit.business.group])


@pytest.fixture
def hexin(unit):
    """A 核心 reader, cleared for 绝密."""
    return make_user("hexin", department=unit.business, roles=[Role.READER], person_class="core")


# ------------------------------------------------------------------------- the carrier page


def test_request_buttons_appear_only_for_those_who_may_ask(client, unit, paper, usb, register_carrier):
    client.force_login(unit.zhangsan)
    html = client.get(paper.get_absolute_url()).content.decode()
    assert "申请复制（摘抄）" in html and copy_url(paper) in html
    assert "申请外出携带" in html and carry_url(paper) in html
    assert "申请维修" not in html and "申请汇编" in html
    # A reader is never offered a repair, not even of a device.
    assert "申请维修" not in client.get(usb.get_absolute_url()).content.decode()

    client.force_login(unit.mishu)
    html = client.get(usb.get_absolute_url()).content.decode()
    assert "申请维修" in html and repair_url(usb) in html
    assert "申请维修" not in client.get(paper.get_absolute_url()).content.decode()  # paper is not repaired
    computer = register_carrier(level=2, copy_number=None, kind="computer", device_serial="PC-1", title="涉密计算机")
    html = client.get(computer.get_absolute_url()).content.decode()
    assert "申请维修" in html and "申请复制（摘抄）" not in html  # a computer is one object, not copied

    # Once a copy request is open, nobody is offered another one; the trip still may be asked.
    scopy.copy_request_create(actor=unit.zhangsan, carriers=[paper], mode="copy", count=1, reason="会议使用")
    client.force_login(unit.lisi)
    html = client.get(paper.get_absolute_url()).content.decode()
    assert "申请复制（摘抄）" not in html and "申请外出携带" in html
    html = client.get(copy_url(paper)).content.decode()
    assert "该载体已有未办结的复制申请" in form_error(html) and 'id="request-form"' not in html


def test_request_pages_are_404_for_those_who_may_not_see_the_carrier(client, unit, paper, usb, register_carrier):
    only_zhangsan = register_carrier(level=2, copy_number=5, scope_users=[unit.zhangsan])
    before = counts()[0]
    cases = [
        ("wangwu", copy_url(paper)), ("wangwu", carry_url(paper)),  # no clearance: a 秘密 carrier is not there
        ("lisi", copy_url(only_zhangsan)), ("lisi", carry_url(only_zhangsan)),  # not in its 知悉范围
        ("sysadmin", copy_url(paper)), ("auditor", COMPILE),
        ("zhangsan", repair_url(usb)),  # only a registrar asks for repairs; to others the page is not there
    ]
    for username, url in cases:
        client.force_login(unit[username])
        assert client.get(url).status_code == 404, (username, url)
        assert client.post(url, {"copy_mode": "copy", "copy_count": 1, "reason": "x"}).status_code == 404
    assert counts()[0] == before
    assert AuditEvent.objects.filter(action="carrier.denied", actor=unit.lisi).exists()


# ------------------------------------------------------------------------------- 复制 / 摘抄


def test_copy_form_asks_and_goes_to_the_request_page(client, unit, paper):
    client.force_login(unit.zhangsan)
    html = client.get(copy_url(paper)).content.decode()
    assert "申请复制（摘抄）" in html and paper.serial in html and "业务一处会议纪要" in html
    for label in ("复制方式", "份数", "用途", "承制单位", "原定密机关", "同意文件文号", "同意日期"):
        assert label in html, label
    assert "原定密机关同意（绝密级载体必填）" in html and "本载体不是绝密级" in html
    assert banner_level(html) == 2

    response = client.post(copy_url(paper), {"copy_mode": "excerpt", "copy_count": "2", "reason": "起草材料摘录"},
                           follow=True)
    request = ApprovalRequest.objects.get()
    assert response.redirect_chain[-1][0] == request.get_absolute_url()
    assert "复制申请已提交" in messages_text(response)
    assert (request.kind, request.state, request.copy_mode, request.copy_count) == (
        RequestKind.COPY, RequestState.SUBMITTED, "excerpt", 2)
    html = response.content.decode()
    assert "复制方式" in html and "摘抄" in html and "2 份" in html and "—（非绝密级，无需）" in html
    assert banner_level(html) == 2

    html = client.get(MINE).content.decode()
    assert f"复制申请第{request.pk}号" in html and "摘抄 2 份" in html


def test_copy_form_shows_each_mistake_at_its_field_and_changes_nothing(client, unit, paper):
    client.force_login(unit.zhangsan)
    before = counts()
    html = client.post(copy_url(paper), {"copy_mode": "copy", "copy_count": "0", "reason": ""}).content.decode()
    assert "复制份数须为 1 至 50 之间的整数" in field_error(html, "copy_count")
    assert "请填写复制用途" in field_error(html, "reason")
    html = client.post(copy_url(paper), {"copy_mode": "copy", "copy_count": "两份", "reason": "会议"}).content.decode()
    assert "请输入整数" in field_error(html, "copy_count")
    html = client.post(copy_url(paper), {"copy_mode": "copy", "copy_count": "1", "reason": "会议",
                                         "consent_date": "2026-02-31"}).content.decode()
    assert "请输入有效的日期" in field_error(html, "consent_date")
    assert "会议</textarea>" in html  # what was typed stays in the form
    assert counts() == before


def test_top_secret_copy_needs_the_consent_of_the_original_authority(client, unit, hexin, register_carrier):
    secret = register_carrier(level=4, copy_number=1, title="绝密规划", scope_users=[hexin])
    client.force_login(hexin)
    html = client.get(copy_url(secret)).content.decode()
    assert "绝密级载体复制须经主要负责人批准" in html and banner_level(html) == 4
    before = counts()
    html = client.post(copy_url(secret), {"copy_mode": "copy", "copy_count": "1", "reason": "上报"}).content.decode()
    assert "绝密级载体复制须征得原定密机关或其上级机关同意" in field_error(html, "consent_authority")
    assert "请填写原定密机关同意复制的文件文号" in field_error(html, "consent_letter")
    assert "请填写原定密机关同意的日期" in field_error(html, "consent_date")
    assert counts() == before

    response = client.post(copy_url(secret), {
        "copy_mode": "copy", "copy_count": "1", "reason": "上报", "consent_authority": "国家某部",
        "consent_letter": "某密函〔2026〕3号", "consent_date": day(-1)}, follow=True)
    request = ApprovalRequest.objects.get()
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == request.get_absolute_url()
    assert "国家某部 同意，文号 某密函〔2026〕3号" in text(html) and banner_level(html) == 4
    # Only the 主要负责人 decides a 绝密 copy: lingdao does not even find it.
    client.force_login(unit.lingdao)
    assert client.get(request.get_absolute_url()).status_code == 404
    client.force_login(unit.zhuren)
    assert "同意" in client.get(request.get_absolute_url()).content.decode()


def test_the_registrar_makes_the_copies_from_the_queue(client, unit, paper):
    client.force_login(unit.zhangsan)
    client.post(copy_url(paper), {"copy_mode": "copy", "copy_count": "2", "reason": "会议使用",
                                  "copy_maker": "本单位文印室"})
    request = ApprovalRequest.objects.get()

    # The requester may only cancel; the registrar has nothing to do before approval.
    html = client.get(request.get_absolute_url()).content.decode()
    assert "撤销申请" in html and "制作复制件" not in html
    client.force_login(unit.mishu)
    assert "制作复制件" not in client.get(request.get_absolute_url()).content.decode()

    client.force_login(unit.lingdao)
    html = client.get(INBOX).content.decode()
    assert f"复制申请第{request.pk}号" in html and "复制 2 份" in html and "承制：本单位文印室" in html
    client.post(reverse("approvals:decide", args=[request.pk]), {"decision": "approve", "comment": "同意"})
    assert "制作复制件" not in client.get(request.get_absolute_url()).content.decode()

    client.force_login(unit.mishu)
    html = client.get(QUEUE).content.decode()
    assert "待复制（1）" in html and paper.serial in html and "复制 2 份" in html
    assert f'value="{scopy.default_copy_stamp()}"' in html  # the stamp comes pre-filled
    before = counts()
    response = client.post(reverse("approvals:make_copies", args=[request.pk]), {"copy_stamp": " ", "next": "queue"},
                           follow=True)
    assert "请填写加盖的复制戳记" in messages_text(response) and response.redirect_chain[-1][0] == QUEUE
    assert counts() == before

    response = client.post(reverse("approvals:make_copies", args=[request.pk]),
                           {"copy_stamp": "示范单位复制 2026年11月20日", "next": "queue"}, follow=True)
    assert "已制作复制件" in messages_text(response)
    copies = list(Carrier.objects.filter(original=paper).order_by("copy_number"))
    assert [c.copy_number for c in copies] == [4, 5]
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == request.get_absolute_url()
    assert "已复制" in html and "示范单位复制 2026年11月20日" in html
    produced = re.search(r'<ul class="link-list" id="produced-copies">(.*?)</ul>', html, re.S).group(1)
    for copy in copies:
        assert f'href="{copy.get_absolute_url()}"' in produced and copy.serial in produced
    assert "份号 000004" in text(produced) and "份号 000005" in text(produced)
    assert "待复制" not in client.get(QUEUE).content.decode()
    # The requester sees the copies too (same 知悉范围 as the original) and may open them.
    client.force_login(unit.zhangsan)
    html = client.get(request.get_absolute_url()).content.decode()
    assert f'href="{copies[0].get_absolute_url()}"' in html
    assert client.get(copies[0].get_absolute_url()).status_code == 200


def test_produced_copies_the_viewer_may_not_open_show_serial_and_copy_number_only(client, unit, register_carrier):
    carrier = register_carrier(level=2, copy_number=1, scope_users=[unit.zhangsan])
    request = scopy.copy_request_create(actor=unit.zhangsan, carriers=[carrier], mode="copy", count=1, reason="x")
    sa.request_decide(actor=unit.lingdao, request=request, approve=True)
    scopy.copy_make(actor=unit.mishu, request=request, copy_stamp="复制")
    copy = Carrier.objects.get(original=carrier)
    client.force_login(unit.lingdao)  # decided it, but is not in the carrier's 知悉范围
    html = client.get(request.get_absolute_url()).content.decode()
    produced = re.search(r'id="produced-copies">(.*?)</ul>', html, re.S).group(1)
    assert copy.serial in produced and "份号 000002" in text(produced) and "无权查看" in produced
    assert copy.get_absolute_url() not in produced


# ------------------------------------------------------------------------------------ 汇编


def test_compile_page_finds_parts_by_serial_and_asks(client, unit, register_carrier):
    a = register_carrier(level=2, copy_number=1, title="一季度材料", scope_groups=[unit.business.group])
    b = register_carrier(level=3, copy_number=2, title="二季度材料", scope_groups=[unit.business.group])
    client.force_login(unit.lisi)
    assert f'href="{COMPILE}"' in client.get(MINE).content.decode()
    html = client.get(a.get_absolute_url()).content.decode()
    assert f"{COMPILE}?serials={a.serial}" in html
    html = client.get(COMPILE, {"serials": a.serial}).content.decode()
    assert "申请汇编" in html and a.serial in html and "汇编本名称" in html and "原定密机关" in html

    response = client.post(COMPILE, {"serials": f"{a.serial}，{b.serial}\n", "copy_title": "年度材料汇编",
                                     "copy_count": "1", "reason": "年度总结"}, follow=True)
    request = ApprovalRequest.objects.get()
    assert response.redirect_chain[-1][0] == request.get_absolute_url()
    assert "汇编申请已提交" in messages_text(response)
    assert (request.copy_mode, request.copy_title, request.level) == ("compile", "年度材料汇编", 3)
    html = response.content.decode()
    assert "汇编本名称" in html and "年度材料汇编" in html and a.serial in html and b.serial in html
    assert banner_level(html) == 3
    assert "汇编 1 份《年度材料汇编》" in client.get(MINE).content.decode()


def test_compile_with_an_unknown_or_invisible_serial_says_not_found_and_creates_nothing(
        client, unit, register_carrier):
    mine = register_carrier(level=2, copy_number=1, scope_users=[unit.zhangsan])
    hidden = register_carrier(level=2, copy_number=2, title="别人的材料", scope_users=[unit.lisi])
    client.force_login(unit.zhangsan)
    before = counts()
    html = client.post(COMPILE, {"serials": f"{mine.serial} {hidden.serial} NO-SUCH-1", "copy_title": "汇编",
                                 "copy_count": "1", "reason": "总结"}).content.decode()
    errors = field_error(html, "serials")
    assert f"未找到统一编号为 {hidden.serial} 的载体" in errors
    assert "未找到统一编号为 NO-SUCH-1 的载体" in errors
    assert "别人的材料" not in html  # nothing about the invisible one leaks
    assert counts() == before

    html = client.post(COMPILE, {"serials": mine.serial, "copy_count": "1", "reason": "总结"}).content.decode()
    assert "汇编须至少选择两件载体" in field_error(html, "serials")
    assert "请填写汇编本名称" in field_error(html, "copy_title")
    html = client.post(COMPILE, {"serials": "", "copy_count": "1", "reason": "总结"}).content.decode()
    assert "请填写要汇编的载体的统一编号" in field_error(html, "serials")
    assert counts() == before


# ------------------------------------------------------------------------------- 外出携带


def test_carry_form_offers_cleared_companions_and_asks(client, unit, register_carrier):
    carrier = register_carrier(level=3, copy_number=2, title="机密检查方案", scope_groups=[unit.business.group])
    client.force_login(unit.lisi)
    html = client.get(carry_url(carrier)).content.decode()
    for label in ("前往地点", "外出日期", "应返回日期", "外出事由", "携带出境", "同行人员"):
        assert label in html, label
    offered = option_ids(html, "companions")
    cleared = {unit.mishu.pk, unit.zhuren.pk, unit.lingdao.pk, unit.baomi.pk}
    assert cleared <= offered
    # Not the requester, not the un- or under-cleared, never the three administrators.
    for username in ("lisi", "zhangsan", "wangwu", "sysadmin", "secadmin", "auditor"):
        assert unit[username].pk not in offered, username
    assert banner_level(html) == 3

    response = client.post(carry_url(carrier), {
        "destination": "北京", "depart_date": day(1), "due_date": day(3), "reason": "参加检查工作会议",
        "companions": [unit.baomi.pk]}, follow=True)
    request = ApprovalRequest.objects.get()
    assert response.redirect_chain[-1][0] == request.get_absolute_url()
    assert "外出携带申请已提交" in messages_text(response)
    page = text(response.content.decode())
    assert "前往地点 北京" in page and f"外出日期 {day(1)}" in page and f"应返回日期 {day(3)}" in page
    assert "出境 否" in page and "同行人员 baomi（保密办）" in page
    assert f"前往 北京 {day(1)} 至 {day(3)}" in text(client.get(MINE).content.decode())


def test_carry_form_shows_each_mistake_at_its_field_and_changes_nothing(client, unit, register_carrier):
    carrier = register_carrier(level=3, copy_number=2, scope_groups=[unit.business.group])
    client.force_login(unit.lisi)
    before = counts()
    html = client.post(carry_url(carrier), {"destination": "", "depart_date": day(-1), "due_date": day(-3),
                                            "reason": ""}).content.decode()
    assert "请填写前往地点" in field_error(html, "destination")
    assert "外出日期不能早于今天" in field_error(html, "depart_date")
    assert "应返回日期不能早于外出日期" in field_error(html, "due_date")
    assert "请填写外出事由" in field_error(html, "reason")
    # An id that is not offered (zhangsan is not cleared for 机密) is refused before any service.
    html = client.post(carry_url(carrier), {"destination": "北京", "depart_date": day(1), "due_date": day(2),
                                            "reason": "开会", "companions": [unit.zhangsan.pk]}).content.decode()
    assert "选择一个有效的选项" in field_error(html, "companions")
    assert counts() == before


def test_top_secret_carry_needs_two_companions_and_never_goes_abroad(client, unit, hexin, register_carrier):
    secret = register_carrier(level=4, copy_number=1, scope_users=[hexin])
    client.force_login(hexin)
    html = client.get(carry_url(secret)).content.decode()
    assert "绝密级载体外出须两人以上同行" in html and "绝密级载体禁止携带出境" in html
    before = counts()
    html = client.post(carry_url(secret), {"destination": "上海", "depart_date": day(1), "due_date": day(2),
                                           "reason": "汇报", "abroad": "on",
                                           "companions": [unit.mishu.pk]}).content.decode()
    assert "绝密级载体禁止携带出境" in field_error(html, "abroad")
    assert "至少两名具有绝密级涉密资格的同行人员" in field_error(html, "companions")
    assert counts() == before
    response = client.post(carry_url(secret), {"destination": "上海", "depart_date": day(1), "due_date": day(2),
                                               "reason": "汇报", "companions": [unit.mishu.pk, unit.zhuren.pk]})
    assert response.status_code == 302 and ApprovalRequest.objects.get().companions.count() == 2


def test_abroad_needs_the_tick_then_the_registrar_checks_out_and_takes_back(client, unit, paper):
    request = sc.carry_request_create(actor=unit.zhangsan, carrier=paper, destination="香港", depart_date=TODAY,
                                      due_date=TODAY + dt.timedelta(days=2), reason="交流", abroad=True)
    client.force_login(unit.lingdao)
    html = client.get(INBOX).content.decode()
    assert "出境（须单独批准）" in html and 'name="approve_abroad"' in html
    html = client.get(request.get_absolute_url()).content.decode()
    assert "同意携带出境" in html and "出境尚未批准" in html
    decided = AuditEvent.objects.filter(action="request.approve").count()
    response = client.post(reverse("approvals:decide", args=[request.pk]),
                           {"decision": "approve", "comment": "同意"}, follow=True)
    assert "批准时须同时勾选“同意携带出境”" in messages_text(response)
    request.refresh_from_db()
    assert (request.state, request.abroad_approved) == (RequestState.SUBMITTED, False)
    assert AuditEvent.objects.filter(action="request.approve").count() == decided
    client.post(reverse("approvals:decide", args=[request.pk]),
                {"decision": "approve", "comment": "同意", "approve_abroad": "1"})
    request.refresh_from_db()
    assert (request.state, request.abroad_approved) == (RequestState.APPROVED, True)
    assert "出境已批准" in client.get(request.get_absolute_url()).content.decode()

    client.force_login(unit.mishu)
    html = client.get(QUEUE).content.decode()
    assert "待携带外出（1）" in html and "前往 香港" in html and ">携带外出</button>" in html
    html = client.get(request.get_absolute_url()).content.decode()
    assert ">携带外出</button>" in html and ">借出</button>" not in html
    response = client.post(reverse("approvals:check_out", args=[request.pk]), {"next": "queue"}, follow=True)
    assert "已携带外出" in messages_text(response)
    paper.refresh_from_db()
    assert (paper.custody_status, paper.custodian) == (CustodyStatus.CARRIED_OUT, unit.zhangsan)
    html = response.content.decode()
    assert "待返回（1）" in html and ">登记返回</button>" in html

    response = client.post(reverse("approvals:return", args=[request.pk]),
                           {"condition": "damaged", "note": "", "next": "queue"}, follow=True)
    assert "须写明情况" in messages_text(response)
    assert Carrier.objects.get(pk=paper.pk).custody_status == CustodyStatus.CARRIED_OUT
    response = client.post(reverse("approvals:return", args=[request.pk]), {"condition": "intact", "next": "queue"},
                           follow=True)
    assert "已登记返回" in messages_text(response)
    paper.refresh_from_db()
    assert (paper.custody_status, paper.custodian) == (CustodyStatus.IN_REGISTRY, unit.mishu)
    page = text(client.get(request.get_absolute_url()).content.decode())
    assert "已返回" in page and "返回检查 完好" in page and "返回接收人 mishu" in page


# ------------------------------------------------------------------------------------ 维修


def test_repair_form_offers_cleared_supervisors_and_shows_mistakes(client, unit, usb, paper):
    client.force_login(unit.mishu)
    html = client.get(repair_url(usb)).content.decode()
    for label in ("维修方式", "现场维修", "送外维修", "维修单位/人员", "现场监督人", "故障情况和维修事由"):
        assert label in html, label
    offered = option_ids(html, "supervisor")
    assert {unit.zhangsan.pk, unit.lisi.pk, unit.baomi.pk} <= offered
    assert not {unit.wangwu.pk, unit.sysadmin.pk, unit.secadmin.pk, unit.auditor.pk} & offered
    assert banner_level(html) == 2

    before = counts()
    html = client.post(repair_url(usb), {"repair_mode": "on_site", "repairer": "", "reason": ""}).content.decode()
    assert "现场维修须指定现场监督人" in field_error(html, "supervisor")
    assert "请填写维修单位或维修人员" in field_error(html, "repairer")
    assert "请填写故障情况和维修事由" in field_error(html, "reason")
    html = client.post(repair_url(usb), {"repairer": "定点维修单位", "reason": "无法识别"}).content.decode()
    assert "请选择维修方式" in field_error(html, "repair_mode")
    assert counts() == before

    # Paper is not repaired: the page says why and offers no form.
    html = client.get(repair_url(paper)).content.decode()
    assert "只有光盘、磁介质、移动存储和涉密计算机及设备可以申请维修" in form_error(html)
    assert 'id="request-form"' not in html
    html = client.post(repair_url(paper), {"repair_mode": "off_site", "repairer": "某单位", "reason": "坏了"}
                       ).content.decode()
    assert "只有光盘、磁介质、移动存储和涉密计算机及设备可以申请维修" in form_error(html)
    assert counts() == before

    response = client.post(repair_url(usb), {"repair_mode": "on_site", "repairer": "厂家工程师",
                                              "supervisor": unit.lisi.pk, "reason": "接口松动"}, follow=True)
    request = ApprovalRequest.objects.get()
    assert response.redirect_chain[-1][0] == request.get_absolute_url()
    page = text(response.content.decode())
    assert "维修方式 现场维修" in page and "现场监督人 lisi" in page and "—（现场维修）" in page


def test_off_site_repair_records_the_storage_removal_through_the_queue(client, unit, usb):
    client.force_login(unit.mishu)
    client.post(repair_url(usb), {"repair_mode": "off_site", "repairer": "定点维修单位", "reason": "无法识别"})
    request = ApprovalRequest.objects.get()
    html = client.get(MINE).content.decode()
    assert "送外维修 · 定点维修单位" in html
    client.force_login(unit.lingdao)
    client.post(reverse("approvals:decide", args=[request.pk]), {"decision": "approve"})

    client.force_login(unit.mishu)
    html = client.get(QUEUE).content.decode()
    assert "待送修（1）" in html and 'name="storage_removed_note"' in html and ">送修</button>" in html
    before = counts()
    response = client.post(reverse("approvals:check_out", args=[request.pk]), {"next": "queue"}, follow=True)
    assert "送外维修前须拆除信息存储部件" in messages_text(response)
    assert Carrier.objects.get(pk=usb.pk).custody_status == CustodyStatus.IN_REGISTRY
    assert counts() == before

    response = client.post(reverse("approvals:check_out", args=[request.pk]),
                           {"storage_removed_note": "已拆除闪存芯片，存机要室保险柜", "next": "detail"}, follow=True)
    assert "已送修" in messages_text(response)
    assert response.redirect_chain[-1][0] == request.get_absolute_url()
    assert Carrier.objects.get(pk=usb.pk).custody_status == CustodyStatus.IN_REPAIR
    html = response.content.decode()
    assert "已拆除闪存芯片，存机要室保险柜" in html and ">修复入库</button>" in html
    assert "维修中（1）" in client.get(QUEUE).content.decode()

    response = client.post(reverse("approvals:return", args=[request.pk]), {"condition": "intact"}, follow=True)
    assert "已修复入库" in messages_text(response)
    assert Carrier.objects.get(pk=usb.pk).custody_status == CustodyStatus.IN_REGISTRY
    page = text(response.content.decode())
    assert "已修复入库" in page and "入库检查 完好" in page
    assert "维修中（" not in client.get(QUEUE).content.decode()


def test_approve_buttons_follow_the_table_and_the_policy(client, unit, usb):
    request = repairs.repair_request_create(actor=unit.mishu, carrier=usb, mode="off_site", repairer="某单位", reason="坏")
    url = request.get_absolute_url()
    client.force_login(unit.mishu)  # the requester cannot approve their own request
    html = client.get(url).content.decode()
    assert 'value="approve"' not in html and "撤销申请" in html and ">送修</button>" not in html
    client.force_login(unit.lingdao)
    html = client.get(url).content.decode()
    assert 'value="approve"' in html and "同意携带出境" not in html and "撤销申请" not in html
    assert banner_level(html) == 2


def test_a_compilation_page_names_its_visible_parts_stamp_and_request(client, unit, register_carrier):
    from approvals import services as approval_services
    from approvals.kinds import copy as copying

    first = register_carrier(level=2, copy_number=1, title="第一部分", scope_users=[unit.lisi])
    second = register_carrier(level=2, copy_number=2, title="第二部分", scope_users=[unit.lisi])
    request = copying.copy_request_create(actor=unit.lisi, carriers=[first, second], mode="compile", count=1,
                                                reason="汇编备查", copy_title="业务汇编")
    approval_services.request_decide(actor=unit.lingdao, request=request, approve=True, comment="同意")
    copying.copy_make(actor=unit.mishu, request=request, copy_stamp="示范单位汇编 2026年11月")
    book = request.copies_produced.get()
    client.force_login(unit.lisi)
    page = client.get(book.get_absolute_url()).content.decode()
    assert "汇编自" in page and first.serial in page and second.serial in page
    assert "示范单位汇编 2026年11月" in page and request.reference in page
    part_page = client.get(first.get_absolute_url()).content.decode()
    assert "汇编入" in part_page and book.serial in part_page
