"""The carrier screens as a user meets them: list, search, registration forms, detail page."""
import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits.models import AuditEvent
from conftest import PASSWORD, make_user
from documents.forms import CarrierCorrectionForm
from documents.models import Carrier, CarrierGroupScope, CarrierUserScope, CustodyAction, Direction
from personnel.models import Role

LIST_URL = reverse("documents:carrier_list")
INCOMING_URL = reverse("documents:carrier_register_incoming")
OUTGOING_URL = reverse("documents:carrier_register_outgoing")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The unit fixture creates ten accounts; the production hasher makes that take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def field_errors(response, field):
    """The text inside one field's error container, '' when the field has no error."""
    html = response.content.decode()
    match = re.search(rf'<div class="field-errors" id="errors-{re.escape(field)}">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


def banner(response):
    html = response.content.decode()
    match = re.search(r'<div class="level-banner[^"]*"[^>]*data-page-level="(\d)">(.*?)</div>', html, re.S)
    assert match, "every page carries the level banner"
    return int(match.group(1)), re.sub(r"<[^>]+>", "", match.group(2))


def today():
    return timezone.localdate()


def incoming_post(unit, **overrides):
    data = {
        "title": "关于开展保密检查的通知", "doc_number": "市保〔2026〕31号", "issuer": "市保密局", "kind": "paper",
        "device_serial": "", "attachments": "检查表2份", "level": "3", "period_kind": "term", "period_value": "5",
        "period_unit": "year", "declassify_date": "", "declassify_condition": "", "long_term_basis": "",
        "period_special_reason": "", "start_date": "2026-11-01", "scope_note": "业务一处全体",
        "drafter": str(unit.lisi.pk), "copy_number": "12", "copies": "1", "pages": "9", "urgency": "urgent",
        "doc_date": "2026-11-03", "signed_by": "王机要", "transmission": "jiyao_tongxin",
        "department": str(unit.business.pk), "location": "机要室A柜", "notes": "原件一份",
        "scope_users": [str(unit.lisi.pk)], "scope_groups": [str(unit.business.pk)],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def outgoing_post(unit, **overrides):
    data = incoming_post(unit)
    data.update({
        "internal": "0", "title": "关于报送保密自查情况的报告", "doc_number": "某单位〔2026〕7号", "issuer": "本单位",
        "recipients": "市保密局", "basis": "《某工作国家秘密范围的规定》第5条", "drafter": str(unit.lisi.pk),
        "classifier": str(unit.zhuren.pk), "signed_by": "", "transmission": "jiyao_jiaotong",
    })
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ------------------------------------------------------------------------------------------ list

def test_list_shows_only_the_carriers_the_user_may_see_with_their_count(client, unit, register_carrier):
    in_scope = register_carrier(level=3, title="机密甲件", scope_users=[unit.lisi])
    not_in_scope = register_carrier(level=3, title="机密乙件")
    department_scope = register_carrier(level=2, title="秘密丙件", copy_number=None,
                                        scope_groups=[unit.business.group])

    client.force_login(unit.lisi)
    html = client.get(LIST_URL).content.decode()
    assert in_scope.serial in html and "机密甲件" in html
    assert department_scope.serial in html
    assert not_in_scope.serial not in html and "机密乙件" not in html
    assert "共 2 条" in html

    client.force_login(unit.zhangsan)  # 一般 → 秘密 only
    html = client.get(LIST_URL).content.decode()
    assert department_scope.serial in html
    assert in_scope.serial not in html and not_in_scope.serial not in html
    assert "共 1 条" in html

    client.force_login(unit.mishu)  # registrar serving every department
    html = client.get(LIST_URL).content.decode()
    assert all(c.serial in html for c in (in_scope, not_in_scope, department_scope))
    assert "共 3 条" in html


@pytest.mark.parametrize("username", ["sysadmin", "secadmin", "auditor"])
def test_the_carrier_list_does_not_exist_for_the_admin_roles(client, unit, register_carrier, username):
    carrier = register_carrier(level=2, copy_number=None, scope_groups=[unit.business.group])
    client.force_login(unit[username])
    response = client.get(LIST_URL)
    assert response.status_code == 404
    html = response.content.decode()
    assert carrier.serial not in html and carrier.title not in html


def test_uncleared_people_see_an_empty_list(client, unit, register_carrier):
    carrier = register_carrier(level=2, copy_number=None, scope_groups=[unit.business.group])
    client.force_login(unit.wangwu)
    html = client.get(LIST_URL).content.decode()
    assert carrier.serial not in html and carrier.title not in html
    assert "共 0 条" in html


def test_filters_narrow_the_list_and_pagination_keeps_them(client, unit, register_carrier, settings):
    settings.SECRECY = {**settings.SECRECY, "LIST_PAGE_SIZE": 2}
    secret = [register_carrier(level=3, title=f"机密件{i}") for i in range(3)]
    confidential = register_carrier(level=2, title="秘密件", copy_number=None)
    client.force_login(unit.mishu)

    response = client.get(LIST_URL, {"level": "3"})
    html = response.content.decode()
    assert confidential.serial not in html
    assert secret[2].serial in html and secret[1].serial in html and secret[0].serial not in html
    assert "共 3 条" in html
    older = re.search(r'href="(\?[^"]*after=\d+[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "level=3" in older

    html = client.get(LIST_URL + older).content.decode()
    assert secret[0].serial in html and secret[2].serial not in html and confidential.serial not in html
    newer = re.search(r'href="(\?[^"]*before=\d+[^"]*)"', html).group(1).replace("&amp;", "&")
    html = client.get(LIST_URL + newer).content.decode()
    assert secret[2].serial in html and secret[1].serial in html


def test_scanner_typing_a_serial_jumps_to_the_carrier(client, unit, register_carrier):
    carrier = register_carrier(level=3, scope_users=[unit.lisi])
    client.force_login(unit.lisi)
    response = client.get(LIST_URL, {"q": f" {carrier.serial} "})
    assert response.status_code == 302
    assert response["Location"] == carrier.get_absolute_url()


def test_searching_for_a_serial_the_user_may_not_see_reveals_nothing(client, unit, register_carrier):
    hidden = register_carrier(level=3, title="不应出现的标题")
    client.force_login(unit.zhangsan)
    response = client.get(LIST_URL, {"q": hidden.serial})
    assert response.status_code == 200
    html = response.content.decode()
    assert "不应出现的标题" not in html
    assert hidden.get_absolute_url() not in html
    assert "共 0 条" in html


def _list_query_count(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("username", ["mishu", "lisi"])
def test_the_list_runs_the_same_number_of_queries_for_10_and_60_carriers(client, unit, register_carrier, username):
    def add(n):
        for i in range(n):
            register_carrier(level=(2, 3)[i % 2], copy_number=i + 1, title=f"载体{i}",
                             scope_users=[unit.lisi] if i % 3 else [], scope_groups=[unit.business.group])

    client.force_login(unit[username])
    add(10)
    few = _list_query_count(client)
    add(50)
    many = _list_query_count(client)
    assert few == many


# ---------------------------------------------------------------------------------- the banner

def test_the_banner_shows_the_highest_level_on_the_page(client, unit, register_carrier):
    register_carrier(level=2, copy_number=None, scope_groups=[unit.business.group])
    secret = register_carrier(level=3, scope_users=[unit.lisi])
    top = register_carrier(level=4, copy_number=1)

    client.force_login(unit.lisi)
    assert banner(client.get(LIST_URL)) == (3, "本页最高密级：机密")
    assert banner(client.get(LIST_URL, {"level": "2"})) == (2, "本页最高密级：秘密")
    assert banner(client.get(secret.get_absolute_url())) == (3, "本页最高密级：机密")

    client.force_login(unit.mishu)
    assert banner(client.get(LIST_URL)) == (4, "本页最高密级：绝密")
    assert banner(client.get(top.get_absolute_url()))[0] == 4
    assert banner(client.get(INCOMING_URL)) == (0, "本页不含涉密内容")

    client.logout()
    assert banner(client.get(reverse("login"))) == (0, "本页不含涉密内容")


# ------------------------------------------------------------------------- registration forms

def test_the_incoming_form_saves_a_carrier_with_every_column(client, unit):
    client.force_login(unit.mishu)
    response = client.post(INCOMING_URL, incoming_post(unit))
    carrier = Carrier.objects.get()
    assert response.status_code == 302 and response["Location"] == carrier.get_absolute_url()
    assert carrier.direction == Direction.INCOMING
    expected = {
        "title": "关于开展保密检查的通知", "doc_number": "市保〔2026〕31号", "issuer": "市保密局", "kind": "paper",
        "attachments": "检查表2份", "level": 3, "period_kind": "term", "period_value": 5, "period_unit": "year",
        "start_date": dt.date(2026, 11, 1), "scope_note": "业务一处全体", "drafter": unit.lisi, "copy_number": 12,
        "copies": 1, "pages": "9", "urgency": "urgent", "doc_date": dt.date(2026, 11, 3), "signed_by": "王机要",
        "transmission": "jiyao_tongxin", "department": unit.business, "location": "机要室A柜", "notes": "原件一份",
    }
    assert {k: getattr(carrier, k) for k in expected} == expected
    assert carrier.mark == "机密★5年"
    assert CarrierUserScope.objects.filter(content_object=carrier, user=unit.lisi).exists()
    assert CarrierGroupScope.objects.filter(content_object=carrier, group=unit.business.group).exists()
    page = client.get(response["Location"]).content.decode()
    assert f"登记成功，统一编号：{carrier.serial}" in page


def test_the_incoming_form_registers_a_device_with_its_serial_number(client, unit):
    client.force_login(unit.mishu)
    client.post(INCOMING_URL, incoming_post(unit, kind="removable", device_serial="USB-2026-0001", pages="64GB",
                                            level="2", copy_number="", period_kind="", period_value=""))
    carrier = Carrier.objects.get()
    assert (carrier.kind, carrier.device_serial, carrier.pages) == ("removable", "USB-2026-0001", "64GB")
    # An unmarked period gets the cap for the level (DM14 art. 24(4)).
    assert carrier.mark == "秘密★10年" and carrier.period_defaulted


@pytest.mark.parametrize("internal, direction", [("0", Direction.OUTGOING), ("1", Direction.INTERNAL)])
def test_the_outgoing_form_saves_a_carrier_with_every_column(client, unit, internal, direction):
    client.force_login(unit.mishu)
    response = client.post(OUTGOING_URL, outgoing_post(
        unit, internal=internal, period_kind="date", period_value="", declassify_date="2031-12-31",
        urgency="extra_urgent", signed_by="李收发"))
    carrier = Carrier.objects.get()
    assert response.status_code == 302 and response["Location"] == carrier.get_absolute_url()
    expected = {
        "direction": direction, "title": "关于报送保密自查情况的报告", "doc_number": "某单位〔2026〕7号",
        "issuer": "本单位", "recipients": "市保密局", "basis": "《某工作国家秘密范围的规定》第5条",
        "drafter": unit.lisi, "classifier": unit.zhuren, "declassify_date": dt.date(2031, 12, 31),
        "transmission": "jiyao_jiaotong", "urgency": "extra_urgent", "signed_by": "李收发", "copy_number": 12,
    }
    assert {k: getattr(carrier, k) for k in expected} == expected
    assert carrier.mark == "机密★2031年12月31日"


def _cap_error():
    return "机密级事项的保密期限不得超过20年"


BAD_INPUT = [
    pytest.param("in", {"period_value": "25"}, "period_value", _cap_error(), id="term beyond the cap"),
    pytest.param("in", {"period_kind": "date", "period_value": "", "declassify_date": "2050-01-01"},
                 "declassify_date", _cap_error(), id="date beyond the cap"),
    pytest.param("in", {"copy_number": ""}, "copy_number", "绝密、机密载体必须标注份号", id="机密 without 份号"),
    pytest.param("in", {"level": "4", "copy_number": ""}, "copy_number", "绝密、机密载体必须标注份号",
                 id="绝密 without 份号"),
    pytest.param("in", {"start_date": "future"}, "start_date", "制发日（起算日）不能晚于今天", id="start in future"),
    pytest.param("out", {"basis": ""}, "basis", "发文/自产涉密载体必须填写定密依据", id="outgoing without basis"),
    pytest.param("in", {"level": "9"}, "level", "请选择有效的密级（绝密、机密、秘密或内部）", id="unknown level"),
    pytest.param("out", {"level": "abc"}, "level", "请选择有效的密级（绝密、机密、秘密或内部）", id="garbage level"),
    pytest.param("out", {"classifier": str(0)}, "classifier", "", id="unknown classifier"),
]


@pytest.mark.parametrize("form, overrides, field, message", BAD_INPUT)
def test_bad_input_shows_a_chinese_message_at_the_field_and_saves_nothing(client, unit, form, overrides, field,
                                                                         message):
    if overrides.get("start_date") == "future":
        overrides = {**overrides, "start_date": (today() + dt.timedelta(days=2)).isoformat()}
    client.force_login(unit.mishu)
    carriers, events = Carrier.objects.count(), AuditEvent.objects.count()
    url, data = (INCOMING_URL, incoming_post(unit, **overrides)) if form == "in" else \
        (OUTGOING_URL, outgoing_post(unit, **overrides))
    response = client.post(url, data)
    assert response.status_code == 200
    errors = field_errors(response, field)
    assert errors, f"an error is shown at {field}"
    assert re.search(r"[\u4e00-\u9fff]", errors), "the message is in Chinese"
    if message:
        assert message in errors
    # The rest of the input is kept so the registrar only fixes the field.
    assert data["title"] in response.content.decode()
    assert (Carrier.objects.count(), AuditEvent.objects.count()) == (carriers, events)


def test_a_registrar_can_only_register_for_departments_they_serve(client, unit):
    clerk = make_user("jiyao2", department=unit.office, roles=[Role.REGISTRAR], person_class="core",
                      served=[unit.office])
    client.force_login(clerk)
    html = client.get(INCOMING_URL).content.decode()
    assert f'<option value="{unit.office.pk}">办公室</option>' in html
    assert f'<option value="{unit.business.pk}">业务一处</option>' not in html
    response = client.post(INCOMING_URL, incoming_post(unit, department=str(unit.business.pk)))
    assert field_errors(response, "department")
    assert not Carrier.objects.exists()


@pytest.mark.parametrize("username", ["lisi", "zhuren", "baomi", "sysadmin", "secadmin", "auditor"])
@pytest.mark.parametrize("url", [INCOMING_URL, OUTGOING_URL])
def test_only_registrars_get_the_registration_forms(client, unit, username, url):
    client.force_login(unit[username])
    assert client.get(url).status_code == 404
    assert client.post(url, incoming_post(unit)).status_code == 404
    assert not Carrier.objects.exists()


def test_anonymous_users_are_sent_to_the_login_page(client, unit, register_carrier):
    carrier = register_carrier()
    for url in (reverse("home"), LIST_URL, INCOMING_URL, carrier.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# ------------------------------------------------------------------------------------ detail

@pytest.mark.parametrize("username", ["zhangsan", "wangwu", "sysadmin", "secadmin", "auditor", "baomi"])
def test_the_detail_page_is_404_for_users_who_may_not_see_the_carrier(client, unit, register_carrier, username):
    carrier = register_carrier(level=3, title="机密标题不得泄露", scope_users=[unit.lisi])
    client.force_login(unit[username])
    response = client.get(carrier.get_absolute_url())
    assert response.status_code == 404
    assert "机密标题不得泄露" not in response.content.decode()
    assert AuditEvent.objects.filter(action="carrier.denied", actor=unit[username]).exists()


def test_a_carrier_id_that_does_not_exist_looks_the_same_as_an_invisible_one(client, unit, register_carrier):
    carrier = register_carrier(level=3)
    client.force_login(unit.zhangsan)
    invisible = client.get(carrier.get_absolute_url())
    missing = client.get(reverse("documents:carrier_detail", kwargs={"pk": carrier.pk + 1000}))
    assert invisible.status_code == missing.status_code == 404
    def without_csrf(response):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())

    assert without_csrf(invisible) == without_csrf(missing)


def test_viewing_a_secret_carrier_is_recorded(client, unit, register_carrier):
    secret = register_carrier(level=3, scope_users=[unit.lisi])
    confidential = register_carrier(level=2, copy_number=None, scope_users=[unit.lisi])
    client.force_login(unit.lisi)
    assert client.get(secret.get_absolute_url()).status_code == 200
    assert client.get(confidential.get_absolute_url()).status_code == 200
    views = AuditEvent.objects.filter(action="carrier.view", actor=unit.lisi)
    assert [(e.target_id, e.level) for e in views] == [(secret.pk, 3)]


def test_the_detail_page_shows_the_header_all_fields_and_the_timeline(client, unit, register_carrier):
    carrier = register_carrier(level=3, outgoing=True, urgency="extra_urgent", copy_number=7, attachments="附表1份",
                               notes="送市保密局", scope_users=[unit.lisi])
    client.force_login(unit.lisi)
    html = client.get(carrier.get_absolute_url()).content.decode()
    # Print order top-left: 份号, then the mark, then 紧急程度.
    header = re.search(r'<div class="print-header[^"]*"[^>]*>(.*?)</div>\s*<div class="detail-title">', html, re.S)
    lines = re.findall(r'<div class="ph-\w+">(.*?)</div>', header.group(1))
    assert lines == ["000007", "机密★10年", "特急"]
    for text in ("定密依据", "《某事项保密范围》第3条", "定密责任人", "zhuren", "承办人", "发往单位", "各区保密局",
                 "附表1份", "送市保密局", "流转记录", "发文登记", "变更历史"):
        assert text in html
    # lisi is in scope but does not manage the carrier: no management forms.
    assert reverse("documents:carrier_correct", kwargs={"pk": carrier.pk}) not in html
    assert reverse("documents:carrier_scope", kwargs={"pk": carrier.pk}) not in html


def test_timeline_times_are_shown_in_beijing_time(client, unit, register_carrier):
    carrier = register_carrier(level=2, copy_number=None)
    event = carrier.custody_events.get()
    client.force_login(unit.mishu)
    html = client.get(carrier.get_absolute_url()).content.decode()
    assert timezone.localtime(event.at, timezone.get_fixed_timezone(8 * 60)).strftime("%Y-%m-%d %H:%M") in html


# ----------------------------------------------------------------------- correction and scope

def correction_post(carrier, user, **changes):
    """The correction form as the page shows it (current values), with some fields changed."""
    form = CarrierCorrectionForm(carrier=carrier, registrar=user, prefix="fix")
    data = {}
    for bound in form:
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        data[bound.html_name] = "" if value is None else str(value)
    data.update({f"fix-{k}": v for k, v in changes.items()})
    return data


def test_a_correction_is_saved_and_shows_in_history_and_timeline(client, unit, register_carrier):
    carrier = register_carrier(level=3, location="机要室A柜")
    client.force_login(unit.mishu)
    detail = client.get(carrier.get_absolute_url()).content.decode()
    assert 'name="fix-location" value="机要室A柜"' in detail

    url = reverse("documents:carrier_correct", kwargs={"pk": carrier.pk})
    response = client.post(url, correction_post(carrier, unit.mishu, location="机要室B柜", reason="存放位置登记错误"))
    assert response.status_code == 302
    carrier.refresh_from_db()
    assert carrier.location == "机要室B柜"
    assert carrier.period_defaulted is False and carrier.mark == "机密★10年"
    html = client.get(carrier.get_absolute_url()).content.decode()
    assert "存放位置登记错误" in html
    assert re.search(r'<td class="old">机要室A柜</td><td class="new">机要室B柜</td>', html)
    event = carrier.custody_events.get(action=CustodyAction.CORRECTED)
    assert "存放位置" in event.note and event.note in html
    assert AuditEvent.objects.filter(action="carrier.correct", target_id=carrier.pk).count() == 1


def test_a_correction_without_reason_or_breaking_a_rule_changes_nothing(client, unit, register_carrier):
    carrier = register_carrier(level=3)
    client.force_login(unit.mishu)
    url = reverse("documents:carrier_correct", kwargs={"pk": carrier.pk})

    response = client.post(url, correction_post(carrier, unit.mishu, location="别处"))
    assert response.status_code == 200
    assert "请填写更正原因" in field_errors(response, "fix-reason")

    response = client.post(url, correction_post(carrier, unit.mishu, copy_number="", reason="删份号"))
    assert "份号" in field_errors(response, "fix-copy_number")

    response = client.post(url, correction_post(carrier, unit.mishu, reason="无变化"))
    assert "没有需要更正的内容" in response.content.decode()

    carrier.refresh_from_db()
    assert carrier.location == "机要室A柜" and carrier.period_value == 10
    assert not AuditEvent.objects.filter(action="carrier.correct").exists()
    assert carrier.history.count() == 1


def test_posting_a_lower_level_to_the_correction_changes_no_classification(client, unit, register_carrier):
    """Issue 11 §1: a 绝密 carrier corrected to 内部 by the registrar alone would open it to the
    uncleared; the correction form has no level, and a forged one changes nothing."""
    carrier = register_carrier(level=4, title="绝密文件", scope_groups=[unit.business.group])
    client.force_login(unit.mishu)
    form_html = client.get(carrier.get_absolute_url()).content.decode()
    assert 'name="fix-level"' not in form_html and 'name="fix-period_value"' not in form_html
    assert "提出密级变更申请" in form_html
    url = reverse("documents:carrier_correct", kwargs={"pk": carrier.pk})
    data = correction_post(carrier, unit.mishu, reason="改密级")
    data.update({"fix-level": "1", "fix-period_kind": "", "fix-period_value": "", "fix-basis": "无"})
    response = client.post(url, data)
    assert response.status_code == 200 and "没有需要更正的内容" in response.content.decode()
    carrier.refresh_from_db()
    assert carrier.level == 4 and carrier.history.count() == 1
    client.force_login(unit.wangwu)
    assert client.get(carrier.get_absolute_url()).status_code == 404


def test_scope_can_be_granted_and_revoked_and_shows_in_the_timeline(client, unit, register_carrier):
    carrier = register_carrier(level=3)
    url = reverse("documents:carrier_scope", kwargs={"pk": carrier.pk})
    client.force_login(unit.lingdao)
    assert client.get(carrier.get_absolute_url()).status_code == 404

    client.force_login(unit.mishu)
    response = client.post(url, {"scope-action": "grant", "scope-user": unit.lingdao.pk, "scope-reason": "分管工作需要"})
    assert response.status_code == 302
    # 机密: the widening waits for the 主要负责人 (issue 11 §8).
    client.force_login(unit.lingdao)
    assert client.get(carrier.get_absolute_url()).status_code == 404
    from approvals import services as approval_services
    from approvals.models import ApprovalRequest, RequestKind
    approval_services.request_decide(actor=unit.zhuren, request=ApprovalRequest.objects.get(kind=RequestKind.SCOPE),
                                      approve=True)
    client.force_login(unit.mishu)
    html = client.get(carrier.get_absolute_url()).content.decode()
    assert "扩大知悉范围" in html and "分管工作需要" in html
    assert re.search(r'<ul class="scope-list">.*lingdao.*</ul>', html, re.S)
    client.force_login(unit.lingdao)
    assert client.get(carrier.get_absolute_url()).status_code == 200

    client.force_login(unit.mishu)
    response = client.post(url, {"scope-action": "grant", "scope-group": unit.office.pk, "scope-reason": "办公室办理"})
    assert response.status_code == 302
    approval_services.request_decide(actor=unit.zhuren, request=ApprovalRequest.objects.filter(
        kind=RequestKind.SCOPE).latest("id"), approve=True)
    assert CarrierGroupScope.objects.filter(content_object=carrier, group=unit.office.group).exists()

    response = client.post(url, {"scope-action": "revoke", "scope-user": unit.lingdao.pk, "scope-reason": "工作调整"})
    assert response.status_code == 302
    assert "缩小知悉范围" in client.get(carrier.get_absolute_url()).content.decode()
    client.force_login(unit.lingdao)
    assert client.get(carrier.get_absolute_url()).status_code == 404


def test_scope_refusals_are_shown_at_the_field(client, unit, register_carrier):
    carrier = register_carrier(level=3)
    url = reverse("documents:carrier_scope", kwargs={"pk": carrier.pk})
    client.force_login(unit.mishu)
    response = client.post(url, {"scope-action": "grant", "scope-user": unit.zhangsan.pk, "scope-reason": "需要"})
    assert "涉密等级低于载体密级" in field_errors(response, "scope-user")
    response = client.post(url, {"scope-action": "grant", "scope-user": unit.lisi.pk, "scope-reason": ""})
    assert "请填写扩大知悉范围的理由" in field_errors(response, "scope-reason")
    response = client.post(url, {"scope-action": "grant", "scope-reason": "需要"})
    assert "请选择一名人员或一个部门" in response.content.decode()
    assert not CarrierUserScope.objects.filter(content_object=carrier).exists()


@pytest.mark.parametrize("name", ["documents:carrier_correct", "documents:carrier_scope"])
def test_people_who_do_not_manage_the_carrier_cannot_post_changes(client, unit, register_carrier, name):
    carrier = register_carrier(level=3, scope_users=[unit.lisi])
    url = reverse(name, kwargs={"pk": carrier.pk})
    for user in (unit.lisi, unit.zhangsan, unit.secadmin):
        client.force_login(user)
        assert client.post(url, {"scope-action": "grant", "scope-user": user.pk, "scope-reason": "x",
                                 "fix-reason": "x", "fix-location": "x"}).status_code == 404
    carrier.refresh_from_db()
    assert carrier.location == "机要室A柜"
    client.force_login(unit.mishu)
    assert client.get(url).status_code == 405


# ------------------------------------------------------------------------------ home and login

def test_home_shows_each_role_what_concerns_it(client, unit, register_carrier):
    register_carrier(level=2, title="业务秘密件", copy_number=None, scope_groups=[unit.business.group])
    register_carrier(level=3, title="机密件")

    client.force_login(unit.mishu)
    html = client.get(reverse("home")).content.decode()
    assert INCOMING_URL in html and OUTGOING_URL in html
    assert "最近登记" in html and "机密件" in html and "在库" in html

    client.force_login(unit.zhangsan)
    html = client.get(reverse("home")).content.decode()
    assert "业务秘密件" in html and "机密件" not in html.replace("业务秘密件", "")
    assert INCOMING_URL not in html
    assert "一般涉密人员" in html

    for admin in (unit.sysadmin, unit.secadmin, unit.auditor):
        client.force_login(admin)
        html = client.get(reverse("home")).content.decode()
        assert "不能查看涉密载体" in html
        assert "秘密件" not in html and LIST_URL not in html
        assert banner(client.get(reverse("home")))[0] == 0


def test_login_and_logout(client, unit):
    html = client.get(reverse("login")).content.decode()
    assert "涉密载体管理系统" in html and 'name="password"' in html
    response = client.post(reverse("login"), {"username": "mishu", "password": "wrong-password-1"})
    assert "用户名或密码不正确" in response.content.decode()
    response = client.post(reverse("login"), {"username": "mishu", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("logout")).status_code == 405  # Django 5: logout is a POST
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302
