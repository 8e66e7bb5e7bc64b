"""Audit events are declared types (audits.events), not free strings: a typo can no longer make a
new action that no filter and no auditor looks for.

What is held here: every declared type is well formed and unique and has its Chinese name; the log
refuses anything else and then writes nothing; no project source hands record_event a string (read
from the source, like tests/test_architecture.py); the auditor's select offers every declared
action by name, and an old code no longer declared still shows; everything the demo data and the
test cast write is declared."""
import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from audits import events, labels
from audits.events import EventType, UndeclaredEvent, declare, declare_group, declared_types
from audits.models import AuditEvent, AuditHead
from audits.services import append_events, record_event
from audits.tests.event_types import declared

from .tamper import tamper

ROOT = Path(settings.BASE_DIR)
EVENTS_URL = reverse("audits:events")
CODE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
CJK = re.compile(r"[\u4e00-\u9fff]")

# The names the auditor read before the events were typed (audits/labels.py until 2026-12): the
# stored codes and their names must not change under existing data, filters and signed summaries.
LABELS_BEFORE_TYPED_EVENTS = {
    "auth.login": "登录", "auth.logout": "退出登录", "auth.login_failed": "登录失败",
    "auth.locked_out": "账号因登录失败被锁定", "auth.unlock": "解锁账号", "auth.address_throttled": "来源地址登录限速",
    "auth.login_throttled": "登录尝试过于频繁被拒", "account.password_change": "修改密码",
    "account.password_reset": "重置密码", "carrier.register_in": "收文登记", "carrier.register_out": "发文登记",
    "carrier.register_internal": "自产登记", "carrier.view": "查看载体", "carrier.denied": "拒绝访问载体",
    "carrier.correct": "更正登记", "carrier.scope_grant": "扩大知悉范围", "carrier.scope_revoke": "缩小知悉范围",
    "carrier.report_lost": "报告丢失", "carrier.return_to_issuer": "清退", "carrier.archive": "归档",
    "carrier.transfer": "移交", "carrier.declassify_expired": "到期自行解密",
    "carrier.declassify_notified": "自行解密汇总通知", "carrier.review_keep": "年度审核：维持定密",
    "request.create": "提出申请", "request.submit": "提交申请", "request.cancel": "撤销申请",
    "request.approve": "审批同意", "request.reject": "审批驳回", "request.check_out": "借出/交付",
    "request.return": "归还登记", "request.make_copies": "制作复制件", "request.designate": "指定监销人",
    "request.witness_confirm": "确认监销", "request.execute": "执行销毁", "circulation.start": "发起传阅",
    "circulation.hand": "送达阅读人", "circulation.sign": "阅签", "circulation.return": "传阅交回",
    "circulation.cancel": "撤销传阅", "register.print": "打印登记簿", "register.export": "导出登记簿",
    "meeting.create": "登记涉密会议", "meeting.update": "修改涉密会议", "meeting.attendee_add": "添加参会人员",
    "meeting.attendee_sign_in": "参会签到", "meeting.open": "会议开始", "meeting.close": "会议结束",
    "meeting.cancel": "取消会议", "meeting.handout_give": "分发会议材料", "meeting.handout_recover": "回收会议材料",
    "meeting.handout_report_lost": "会议材料丢失", "personnel.department_create": "新建部门",
    "personnel.person_save": "保存涉密人员信息", "personnel.role_grant": "授予角色",
    "personnel.role_revoke": "撤销角色", "personnel.review_record": "登记审查",
    "personnel.training_record": "登记培训", "personnel.leave_open": "离岗离职登记",
    "personnel.leave_talk": "离岗谈话", "personnel.leave_commitment": "签署离岗承诺书",
    "personnel.leave_approve": "批准离岗", "personnel.leave_cancel": "撤销离岗",
    "personnel.declassify_period_end": "脱密期届满", "personnel.travel_request": "因私出境申请",
    "personnel.travel_decide": "出境审批", "personnel.travel_cancel": "撤销出境申请",
    "personnel.travel_education": "出境前保密教育", "personnel.travel_return": "出境返回登记",
    "personnel.travel_document_register": "登记出入境证件",
    "personnel.travel_document_hand_back": "发还出入境证件", "personnel.travel_document_cancel": "注销出入境证件",
    "notification.read": "阅读通知", "notification.read_all": "全部通知标为已读", "audit.verify": "校验审计日志",
    "audit.export": "导出审计日志", "audit.daily_summary": "审计日报", "audit.summary_print": "打印审计日报",
    "audit.chain_keyed": "审计链启用密钥",
}


def _registry_state():
    return dict(events._types), dict(events._groups)  # noqa: SLF001 - the registry under test


# --------------------------------------------------------------------------- the declarations


def test_every_declared_event_is_well_formed_unique_and_named_in_chinese():
    types = declared_types()
    assert len(types) >= len(LABELS_BEFORE_TYPED_EVENTS)
    assert len({t.action for t in types}) == len(types)
    for event in types:
        assert CODE.match(event.action), event
        assert CJK.search(event.label), event
        assert labels.group_label(event.group) != event.group, f"group {event.group!r} has no Chinese name"
    business = [t for t in types if t.group != "test"]
    # Two actions under one name could not be told apart in the select.
    assert len({t.label for t in business}) == len(business)


def test_every_action_named_before_keeps_its_code_and_name():
    for code, label in LABELS_BEFORE_TYPED_EVENTS.items():
        assert events.event_type(code) is not None, f"{code} is no longer declared"
        assert labels.action_label(code) == label


def test_declare_refuses_a_duplicate_or_malformed_code_and_keeps_the_registry():
    before = _registry_state()
    for code in ("carrier.view", "carrier", "Carrier.view", "carrier.view.more", "carrier.", ".view", "", None):
        with pytest.raises(ValueError):
            declare(code, "重复或格式错误")
    with pytest.raises(ValueError):
        declare("carrier.something_new", "  ")
    with pytest.raises(ValueError):
        declare_group("carrier", "另一个名字")
    assert _registry_state() == before


def test_old_codes_no_longer_declared_show_as_their_code():
    assert labels.action_label("legacy.gone") == "legacy.gone"
    assert labels.group_label("legacy") == "legacy"
    assert labels.group_label("") == "其他"
    assert labels.action_label("carrier.view") == "查看载体" and labels.group_label("carrier") == "载体"


# ------------------------------------------------------------------------------- the writer


def test_an_event_type_records_its_code(db):
    view = declared("carrier.view")
    event = record_event(actor=None, event=view, target_repr="2026-000001", level=3)
    stored = AuditEvent.objects.get(seq=event.seq)
    assert stored.action == "carrier.view" and stored.level == 3 and stored.target_repr == "2026-000001"


@pytest.mark.parametrize("event", [
    "carrier.view",                              # the old way: a string
    EventType("carrier.view", "查看载体"),        # equal to the declared one, but not declared
    EventType("carrier.veiw", "查看载体"),        # a typo never declared
    None,
])
def test_record_event_refuses_anything_but_a_declared_type_and_writes_nothing(db, event):
    count, head = AuditEvent.objects.count(), AuditHead.objects.filter(pk=1).values().first()
    with pytest.raises(UndeclaredEvent):
        record_event(actor=None, event=event)
    assert AuditEvent.objects.count() == count
    assert AuditHead.objects.filter(pk=1).values().first() == head


def test_record_event_no_longer_takes_an_action_string(db):
    count = AuditEvent.objects.count()
    with pytest.raises(TypeError):
        record_event(actor=None, action="carrier.view")
    assert AuditEvent.objects.count() == count


def test_a_bulk_writer_cannot_append_an_undeclared_action(db):
    count = AuditEvent.objects.count()
    rows = [AuditEvent(actor=None, actor_username="", action=declared("test.event").action, target_repr="a"),
            AuditEvent(actor=None, actor_username="", action="carrier.veiw", target_repr="b")]
    with pytest.raises(UndeclaredEvent):
        append_events(rows)
    assert AuditEvent.objects.count() == count


# ---------------------------------------------------------------- no strings in the source

# Project apps: installed apps whose package is a folder of this repository.
PROJECT_APPS = sorted({app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()})
SKIP_PARTS = {"tests", "migrations", ".venv"}


def _is_text(node):
    """A string written in the source: a literal, an f-string, or a sum or format of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) or _is_text(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _is_text(node.func.value)
    return False


def _called(node):
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _string_events(root):
    """Calls that give the audit log a written string instead of a declared EventType:
    record_event with action=, without event=, with positional arguments or with a string as
    event=; any call with a string as event=; an audit helper (…audit…) or a hand-built
    AuditEvent with a string as action=."""
    found = []
    for app in PROJECT_APPS:
        for path in sorted((root / app).rglob("*.py")) if (root / app).is_dir() else ():
            if SKIP_PARTS.intersection(path.relative_to(root).parts):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name, where = _called(node), f"{path.relative_to(root)}:{node.lineno}"
                keywords = {k.arg: k.value for k in node.keywords}
                if name == "record_event":
                    if node.args:
                        found.append(f"{where} record_event with positional arguments")
                    if "action" in keywords:
                        found.append(f"{where} record_event(action=…)")
                    elif "event" not in keywords and None not in keywords:
                        found.append(f"{where} record_event without event=")
                if "event" in keywords and _is_text(keywords["event"]):
                    found.append(f"{where} {name}(event=<string>)")
                if ("action" in keywords and _is_text(keywords["action"])
                        and (name == "AuditEvent" or "audit" in name.lower() or name == "record_event")):
                    found.append(f"{where} {name}(action=<string>)")
    return found


def test_no_project_source_gives_the_audit_log_a_string():
    offences = _string_events(ROOT)
    assert not offences, "audit events written from strings (declare them in <app>/events.py):\n" + "\n".join(offences)


def test_the_source_check_reports_a_planted_offence(tmp_path):
    """The check above must be able to fail: each way of writing a string is reported, the typed
    calls and a test folder are not."""
    app = tmp_path / PROJECT_APPS[0]
    (app / "tests").mkdir(parents=True)
    (app / "services.py").write_text(
        "record_event(actor=a, action='carrier.view')\n"
        "record_event(actor=a, event=f'meeting.{action}')\n"
        "_audit(actor=a, action='create' + suffix, meeting=m)\n"
        "AuditEvent(actor=a, action='carrier.view')\n"
        "record_event(actor=a, target=t)\n"
        "record_event(a, events.VIEW)\n"
        "record_event(actor=a, event=events.VIEW)\n"
        "_audit(actor=a, event=events.CREATE if ok else events.UPDATE, meeting=m)\n"
        "AuditEvent(actor=a, action=events.VIEW.action)\n"
        "record_event(**kwargs)\n"
        "custody_record(carrier=c, action='registered')\n")
    (app / "tests" / "test_x.py").write_text("record_event(actor=a, action='test.x')\n")
    offences = _string_events(tmp_path)
    where = f"{PROJECT_APPS[0]}/services.py"
    assert offences == [
        f"{where}:1 record_event(action=…)",
        f"{where}:1 record_event(action=<string>)",
        f"{where}:2 record_event(event=<string>)",
        f"{where}:3 _audit(action=<string>)",
        f"{where}:4 AuditEvent(action=<string>)",
        f"{where}:5 record_event without event=",
        f"{where}:6 record_event with positional arguments",
        f"{where}:6 record_event without event=",
    ]


# ------------------------------------------------------------------- the auditor's screens


@pytest.fixture
def auditor_client(client, unit):
    client.force_login(unit.auditor)
    return client


def test_the_auditors_action_filter_offers_every_declared_event_by_its_chinese_name(auditor_client):
    html = auditor_client.get(EVENTS_URL).content.decode()
    for event in declared_types():
        assert f'<option value="{event.action}">{event.label}（{event.action}）</option>' in html, event
        assert f'<option value="{event.group}.*">{labels.group_label(event.group)}：全部</option>' in html


def test_an_old_code_no_longer_declared_still_shows_and_can_be_filtered(auditor_client, unit):
    event = record_event(actor=unit.lisi, event=declared("test.event"), target_repr="旧数据")
    tamper("UPDATE audits_auditevent SET action = %s WHERE seq = %s", params=["legacy.gone", event.seq])
    html = auditor_client.get(EVENTS_URL, {"action": "legacy.gone"}).content.decode()
    assert '<option value="legacy.gone" selected>legacy.gone</option>' in html
    assert 'title="legacy.gone">legacy.gone</td>' in html and "旧数据" in html


# ------------------------------------------------------------- what the fixtures and demo write


def test_everything_the_test_cast_writes_is_declared(unit):
    codes = set(AuditEvent.objects.values_list("action", flat=True).distinct())
    assert codes and all(events.event_type(code) is not None for code in codes), codes
