"""The 安全审计员's screens (issue 6): the auditor searches, filters and pages the log, opens one
event with its place in the hash chain (a tampered event shows as broken), exports the filtered set
as PDF and XLSX (each export an audit event of its own) and reads the daily summary; nobody else —
not the other two admins, not a superuser, no business role — finds any of these pages."""
import datetime as dt
import io
import re
import zoneinfo
from contextlib import contextmanager
from types import SimpleNamespace
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from audits import selectors
from audits import services as audit_services
from audits.models import AuditEvent, AuditResult
from audits.chain import event_hash_of
from audits.services import record_event
from audits.verify import ROW_FIELDS
from audits.tests.event_types import declared

from .tamper import tamper

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
EVENTS_URL = reverse("audits:events")
EXPORT_URL = reverse("audits:export")
SUMMARY_URL = reverse("audits:summary")
OTHER_ROLES = ("mishu", "zhuren", "lingdao", "baomi", "lisi", "zhangsan", "wangwu", "sysadmin", "secadmin")
# The tampering (audits.tests.tamper) works on both databases; the page's logic once is enough.
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="tampering is shown once, on SQLite")


@contextmanager
def clock(moment):
    """record_event stamps events with this moment. In UTC, as timezone.now() gives it: the hash
    covers at.isoformat(), and the database hands `at` back in UTC."""
    moment = moment.astimezone(dt.timezone.utc)
    with mock.patch.object(audit_services, "timezone", SimpleNamespace(now=lambda: moment)):
        yield


def local(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def seqs_on(response):
    """The sequence numbers of the event rows on a list page, in page order."""
    return [int(s) for s in re.findall(r'<tr id="event-(\d+)">', response.content.decode())]


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def auditor_client(client, unit):
    client.force_login(unit.auditor)
    return client


@pytest.fixture
def sample(unit):
    """Events varied along every filter, on three days of 2031 (later than anything the unit
    fixture wrote, so seq and time grow together as in production)."""
    made = []
    spec = [
        (local(2031, 3, 9, 23, 50), dict(actor=unit.lisi, event=declared("carrier.view"), target_repr="2031-000001 甲文件",
                                          level=3, source_ip="10.1.2.3")),
        (local(2031, 3, 10, 0, 5), dict(actor=unit.zhangsan, event=declared("carrier.denied"), result=AuditResult.DENIED,
                                         target_repr="载体 #77", source_ip="10.1.2.44")),
        (local(2031, 3, 10, 8, 0), dict(actor=None, event=declared("auth.login_failed"), result=AuditResult.FAILED,
                                         target_repr="lisi", source_ip="192.168.0.9")),
        (local(2031, 3, 10, 9, 0), dict(actor=unit.sysadmin, event=declared("personnel.role_grant"), target_repr="wangwu",
                                         source_ip="10.9.9.9")),
        (local(2031, 3, 10, 23, 59), dict(actor=unit.lisi, event=declared("carrier.view"), target_repr="2031-000002 乙文件",
                                           level=4, source_ip="10.1.2.3")),
        (local(2031, 3, 11, 0, 0), dict(actor=unit.mishu, event=declared("carrier.register_in"), target_repr="2031-000003 丙文件",
                                         level=2, source_ip="10.1.3.1")),
    ]
    for moment, kwargs in spec:
        with clock(moment):
            made.append(record_event(**kwargs))
    return made


# ----------------------------------------------------------------------------------- search


def test_the_auditor_sees_the_newest_events_first_with_chinese_labels(auditor_client, sample):
    response = auditor_client.get(EVENTS_URL)
    assert response.status_code == 200
    shown = seqs_on(response)
    assert shown[:6] == [e.seq for e in reversed(sample)]
    body = text(response)
    assert "查看载体" in body and "拒绝访问载体" in body and "登录失败" in body
    assert "2031-03-10 23:59:59" not in body and "2031-03-10 23:59:00" in body  # Beijing time
    # The highest level among the rows (a 绝密 carrier's title is on the page) is in the banner.
    assert 'data-page-level="4"' in response.content.decode()
    assert 'id="nav-audit"' in response.content.decode()


def expected(events, predicate):
    return sorted((e.seq for e in events if predicate(e)), reverse=True)


@pytest.mark.parametrize("params, predicate", [
    ({"actor": "LIS"}, lambda e: "lis" in e.actor_username.lower()),
    ({"action": "carrier.view"}, lambda e: e.action == "carrier.view"),
    ({"action": "carrier.*"}, lambda e: e.action.startswith("carrier.")),
    ({"target": "乙文件"}, lambda e: "乙文件" in e.target_repr),
    ({"level": "3"}, lambda e: e.level == 3),
    ({"result": "denied"}, lambda e: e.result == "denied"),
    ({"date_from": "2031-03-10", "date_to": "2031-03-10"},
     lambda e: local(2031, 3, 10) <= e.at < local(2031, 3, 11)),
    ({"date_from": "2031-03-11"}, lambda e: e.at >= local(2031, 3, 11)),
    ({"source_ip": "10.1.2.3"}, lambda e: e.source_ip == "10.1.2.3"),
    ({"source_ip": "10.1.2."}, lambda e: (e.source_ip or "").startswith("10.1.2.")),
    ({"actor": "lisi", "level": "4"}, lambda e: e.actor_username == "lisi" and e.level == 4),
])
def test_each_filter_narrows_the_list_to_exactly_the_matching_events(auditor_client, sample, params, predicate):
    everything = list(AuditEvent.objects.all())
    want = expected(everything, predicate)
    assert 0 < len(want) < len(everything), "the sample must make the filter matter"
    response = auditor_client.get(EVENTS_URL, params)
    assert response.status_code == 200
    assert seqs_on(response) == want
    assert f"共 {len(want)} 条" in text(response)


def test_the_action_select_lists_the_declared_actions_grouped_with_a_whole_group_choice(auditor_client, sample):
    html = auditor_client.get(EVENTS_URL).content.decode()
    assert '<option value="carrier.*">载体：全部</option>' in html
    assert '<option value="auth.login_failed">登录失败（auth.login_failed）</option>' in html
    # Declared, though the log has none yet: the auditor can look for it before it happens.
    assert '<option value="meeting.create">登记涉密会议（meeting.create）</option>' in html


def test_an_invalid_filter_is_named_and_ignored(auditor_client, sample):
    response = auditor_client.get(EVENTS_URL, {"source_ip": "10.1.2.3; drop", "level": "3"})
    assert "部分筛选条件无效，已忽略" in text(response) and "来源IP" in text(response)
    assert seqs_on(response) == expected(AuditEvent.objects.all(), lambda e: True)[:50]


def test_the_list_pages_by_sequence_50_at_a_time(auditor_client, unit):
    for n in range(120):
        record_event(actor=unit.lisi, event=declared("test.page"), target_repr=f"第{n}条")
    total = AuditEvent.objects.count()
    first = auditor_client.get(EVENTS_URL)
    page1 = seqs_on(first)
    assert len(page1) == 50 and page1 == sorted(page1, reverse=True) and page1[0] == total
    older = re.search(r'href="\?after=(\d+)"', first.content.decode())
    assert older and int(older.group(1)) == page1[-1]
    seen, response = list(page1), first
    while True:
        link = re.search(r'href="\?after=(\d+)"', response.content.decode())
        if not link:
            break
        response = auditor_client.get(EVENTS_URL, {"after": link.group(1)})
        seen += seqs_on(response)
    assert seen == list(range(total, 0, -1))
    second = auditor_client.get(EVENTS_URL, {"after": page1[-1]})
    newer = re.search(r'href="\?before=(\d+)"', second.content.decode())
    assert seqs_on(auditor_client.get(EVENTS_URL, {"before": newer.group(1)})) == page1


def test_paging_keeps_the_filters(auditor_client, unit):
    for n in range(60):
        record_event(actor=unit.lisi, event=declared("test.keep"), target_repr=f"{n}")
        record_event(actor=unit.lisi, event=declared("test.other"), target_repr=f"{n}")
    first = auditor_client.get(EVENTS_URL, {"action": "test.keep"})
    link = re.search(r'href="\?([^"]*after=\d+[^"]*)"', first.content.decode()).group(1).replace("&amp;", "&")
    assert "action=test.keep" in link
    rest = seqs_on(auditor_client.get(f"{EVENTS_URL}?{link}"))
    assert len(seqs_on(first)) + len(rest) == 60
    assert set(rest) <= set(AuditEvent.objects.filter(action="test.keep").values_list("seq", flat=True))


def test_the_list_costs_the_same_queries_for_a_few_rows_and_a_full_page(auditor_client, unit):
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert auditor_client.get(EVENTS_URL, {"actor": "i"}).status_code == 200
        return len(captured)

    record_event(actor=unit.lisi, event=declared("test.few"))
    few = queries()
    for n in range(60):
        record_event(actor=[unit.lisi, unit.mishu, unit.zhangsan][n % 3], event=declared(f"test.many{n % 7}"))
    assert queries() == few


# ----------------------------------------------------------------------------------- one event


def test_the_event_page_shows_every_field_and_its_verified_chain_position(auditor_client, sample):
    event = AuditEvent.objects.get(seq=sample[1].seq)
    response = auditor_client.get(reverse("audits:event", args=[event.seq]))
    assert response.status_code == 200
    body = text(response)
    assert "校验通过" in body and "校验未通过" not in body
    for value in (event.prev_hash, event.hash, "carrier.denied", "拒绝访问载体", "载体 #77", "10.1.2.44", "拒绝",
                  "2031-03-10 00:05:00"):
        assert value in body
    html = response.content.decode()
    assert f'href="{reverse("audits:event", args=[event.seq - 1])}"' in html
    assert f'href="{reverse("audits:event", args=[event.seq + 1])}"' in html
    assert AuditEvent.objects.get(seq=event.seq - 1).hash == event.prev_hash
    assert "与第 %d 号事件的哈希一致" % (event.seq - 1) in body


def test_the_event_page_pretty_prints_the_detail(auditor_client, unit):
    event = record_event(actor=unit.lisi, event=declared("test.detail"), detail={"serial": "2031-000009", "份数": 2})
    html = auditor_client.get(reverse("audits:event", args=[event.seq])).content.decode()
    assert '{\n  &quot;serial&quot;: &quot;2031-000009&quot;,\n  &quot;份数&quot;: 2\n}' in html


def test_the_first_event_links_to_the_genesis_hash(auditor_client, unit):
    response = auditor_client.get(reverse("audits:event", args=[1]))
    assert "第 1 号事件，前一事件哈希为链起点" in text(response) and "校验通过" in text(response)


def test_an_unknown_event_is_404(auditor_client, unit):
    assert auditor_client.get(reverse("audits:event", args=[999999])).status_code == 404


@sqlite_only
def test_an_event_edited_in_the_database_shows_as_broken(auditor_client, sample):
    target = sample[2]
    tamper("UPDATE audits_auditevent SET target_repr = %s WHERE seq = %s", params=["zhangsan", target.seq])
    response = auditor_client.get(reverse("audits:event", args=[target.seq]))
    body = text(response)
    assert "校验未通过" in body and "事件内容与其哈希不符" in body
    # Its successor still names the stored hash, so that link holds; the content check failed.
    assert "校验通过" in text(auditor_client.get(reverse("audits:event", args=[target.seq + 1])))


@sqlite_only
def test_an_event_rewritten_with_a_fresh_hash_breaks_the_link_to_the_next(auditor_client, sample):
    target = sample[2]
    row = AuditEvent.objects.filter(seq=target.seq).values(*ROW_FIELDS).get()
    row["target_repr"] = "zhangsan"
    forged = event_hash_of(row["prev_hash"], row)
    tamper("UPDATE audits_auditevent SET target_repr = %s, hash = %s WHERE seq = %s",
           params=["zhangsan", forged, target.seq])
    own = text(auditor_client.get(reverse("audits:event", args=[target.seq])))
    assert "校验未通过" in own and "记录的前一事件哈希与本事件不一致" in own
    following = text(auditor_client.get(reverse("audits:event", args=[target.seq + 1])))
    assert "校验未通过" in following and "的哈希不一致" in following


@sqlite_only
def test_a_deleted_event_shows_on_both_neighbours(auditor_client, sample):
    gone = sample[2].seq
    tamper("DELETE FROM audits_auditevent WHERE seq = %s", params=[gone])
    assert auditor_client.get(reverse("audits:event", args=[gone])).status_code == 404
    after = text(auditor_client.get(reverse("audits:event", args=[gone + 1])))
    assert "校验未通过" in after and f"第 {gone} 号事件缺失（被删除）" in after
    before = text(auditor_client.get(reverse("audits:event", args=[gone - 1])))
    assert "校验未通过" in before and f"第 {gone} 号事件缺失（被删除），其后是第 {gone + 1} 号" in before


# ----------------------------------------------------------------------------------- exports


def test_the_pdf_export_holds_the_filtered_events_and_is_itself_audited(auditor_client, sample):
    before = AuditEvent.objects.filter(action="audit.export").count()
    response = auditor_client.post(EXPORT_URL, {"format": "pdf", "action": "carrier.*", "source_ip": ""})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    pdf = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    wanted = AuditEvent.objects.filter(action__startswith="carrier.", seq__lte=sample[-1].seq)
    for event in wanted:
        assert event.action in pdf and event.target_repr.split()[0] in pdf
    assert "personnel.role_grant" not in pdf and "auth.login_failed" not in pdf
    assert "绝密" in pdf  # the highest level of the rows heads the page
    exports = AuditEvent.objects.filter(action="audit.export")
    assert exports.count() == before + 1
    event = exports.latest("seq")
    assert event.actor_username == "auditor"
    assert event.detail == {"filters": {"action": "carrier.*"}, "format": "pdf", "rows": wanted.count()}
    assert event.level == 4


def test_the_xlsx_export_rows_equal_the_filtered_events(auditor_client, sample):
    from openpyxl import load_workbook

    params = {"format": "xlsx", "date_from": "2031-03-10", "date_to": "2031-03-10"}
    response = auditor_client.post(EXPORT_URL, params)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c or "" for c in row] for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert rows[0] == ["序号", "时间", "操作人", "动作", "对象", "密级", "结果", "来源IP"]
    day = [e for e in sample if local(2031, 3, 10) <= e.at < local(2031, 3, 11)]
    assert [r[0] for r in rows[1:]] == [str(e.seq) for e in day]
    by_seq = {r[0]: r for r in rows[1:]}
    denied = by_seq[str(sample[1].seq)]
    assert denied == [str(sample[1].seq), "2031-03-10 00:05:00", "zhangsan", "拒绝访问载体（carrier.denied）",
                      "载体 #77", "", "拒绝", "10.1.2.44"]
    assert by_seq[str(sample[2].seq)][2] == "未登录用户"
    assert by_seq[str(sample[4].seq)][5] == "绝密"
    event = AuditEvent.objects.filter(action="audit.export").latest("seq")
    assert event.detail == {"filters": {"date_from": "2031-03-10", "date_to": "2031-03-10"}, "format": "xlsx",
                            "rows": len(day)}


def test_an_export_past_the_cap_is_refused_with_a_message_and_writes_nothing(auditor_client, sample, monkeypatch):
    matching = AuditEvent.objects.filter(actor_username__icontains="lisi").count()
    monkeypatch.setitem(selectors.EXPORT_MAX_ROWS, "xlsx", matching - 1)
    before = AuditEvent.objects.count()
    response = auditor_client.post(EXPORT_URL, {"format": "xlsx", "actor": "lisi"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{EVENTS_URL}?actor=lisi"
    assert f"超过 {matching - 1} 条" in text(response) and "请缩小时间范围" in text(response)
    assert AuditEvent.objects.count() == before
    # Exactly at the cap is fine.
    monkeypatch.setitem(selectors.EXPORT_MAX_ROWS, "xlsx", matching)
    assert auditor_client.post(EXPORT_URL, {"format": "xlsx", "actor": "lisi"}).status_code == 200


def test_an_export_with_an_invalid_filter_is_refused(auditor_client, sample):
    before = AuditEvent.objects.count()
    response = auditor_client.post(EXPORT_URL, {"format": "pdf", "level": "9"}, follow=True)
    assert "筛选条件无效，未导出" in text(response)
    assert AuditEvent.objects.count() == before


def test_a_get_on_the_export_exports_nothing(auditor_client, sample):
    before = AuditEvent.objects.count()
    response = auditor_client.get(EXPORT_URL, {"format": "pdf", "level": "3"})
    assert response.status_code == 302 and response["Location"] == f"{EVENTS_URL}?level=3"
    assert AuditEvent.objects.count() == before


def test_the_export_needs_the_csrf_token(unit, sample):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(unit.auditor)
    assert client.post(EXPORT_URL, {"format": "pdf"}).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.export").exists()


# ----------------------------------------------------------------------------------- summary page


def test_the_summary_page_counts_the_day_and_shows_both_heads(auditor_client, unit, sample):
    response = auditor_client.get(SUMMARY_URL, {"date": "2031-03-10"})
    assert response.status_code == 200
    html = response.content.decode()
    body = text(response)
    day = [e for e in sample if local(2031, 3, 10) <= e.at < local(2031, 3, 11)]
    assert re.search(r'id="count-total"><a [^>]*>%d<' % len(day), html)
    assert re.search(r'id="count-denied"><a [^>]*>1<', html)
    assert re.search(r'id="count-failed"><a [^>]*>1<', html)
    assert 'id="count-admin">1<' in html
    last = day[-1]
    assert f"第 {last.seq} 号" in body and last.hash in body
    head = AuditEvent.objects.latest("seq")
    assert head.hash in body
    assert "该日尚无日报记录" in body
    admin_rows = re.search(r'id="admin-table".*?</table>', html, re.S).group(0)
    assert f'id="event-{sample[3].seq}"' in admin_rows and "授予角色" in admin_rows


def test_the_summary_defaults_to_yesterday(auditor_client, unit):
    from django.utils import timezone

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = auditor_client.get(SUMMARY_URL)
    assert response.status_code == 200
    assert f"{yesterday.year}年{yesterday.month}月{yesterday.day}日" in text(response)


# ----------------------------------------------------------------------------------- who may not


def every_audit_request(sample):
    seq = sample[0].seq
    return [
        ("get", EVENTS_URL, {}), ("get", EVENTS_URL, {"action": "carrier.view"}),
        ("get", reverse("audits:event", args=[seq]), {}), ("get", SUMMARY_URL, {}),
        ("get", EXPORT_URL, {}), ("post", EXPORT_URL, {"format": "pdf"}), ("post", EXPORT_URL, {"format": "xlsx"}),
        ("post", EVENTS_URL, {}), ("post", SUMMARY_URL, {}),
    ]


@pytest.mark.parametrize("who", OTHER_ROLES + ("superuser",))
def test_nobody_but_the_auditor_finds_the_audit_pages(client, unit, sample, who):
    user = (get_user_model().objects.create_superuser("root", password="Secrecy#2026")
            if who == "superuser" else unit[who])
    client.force_login(user)
    for method, url, data in every_audit_request(sample):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (who, method, url)
    assert not AuditEvent.objects.filter(action="audit.export").exists()
    assert 'id="nav-audit"' not in client.get(reverse("home")).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, sample):
    for method, url, data in every_audit_request(sample):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), (method, url)
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_the_auditor_still_cannot_open_a_carrier(auditor_client, register_carrier):
    carrier = register_carrier(level=2)
    assert auditor_client.get(carrier.get_absolute_url()).status_code == 404
    listing = auditor_client.get(reverse("documents:carrier_list"))
    assert listing.status_code == 404 or carrier.serial not in listing.content.decode()


def test_the_auditor_pages_change_nothing(auditor_client, sample):
    before = AuditEvent.objects.count()
    for url in (EVENTS_URL, reverse("audits:event", args=[sample[0].seq]), SUMMARY_URL):
        assert auditor_client.get(url).status_code == 200
    assert AuditEvent.objects.count() == before
