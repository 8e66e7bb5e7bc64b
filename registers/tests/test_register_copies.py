"""复制登记簿 (SPEC §11, regulations_cn.md §8.4): one row per completed 复制/摘抄/汇编 request, built
from copies made through the services, holding exactly what the printing user may see (SPEC §4).

The rule under test (documents/registers/approvals.py, above COPY_COLUMNS): a request is a row only if the
user may see every original of it; in the row only the copies the user may see are named. The
expected rows below are written out by hand per user from the scenario, and cross-checked
against a per-carrier recomputation, so a wrong SQL filter fails either way.
"""
import datetime as dt
import io
import re
import zoneinfo
from urllib.parse import unquote

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from pypdf import PdfReader

from approvals import services as sa
from approvals.kinds import copy as scopy
from approvals.models import ApprovalRequest, RequestState
from audits.models import AuditEvent
from documents import services
from documents.models import Carrier
from documents.policy import visible_carriers
from approvals import registers as approval_registers
from registers import services as register_services
from registers.tests.test_registers import table_body
from registers.models import RegisterJob, RegisterJobStatus
from secrecy import printing
from secrecy.errors import PolicyDenied

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
SERIAL = re.compile(r"\d{4}-\d{6}")
XLSX_HEADER_ROW = 5
HEADERS = ["序号", "复制日期", "原件统一编号", "文件资料名称", "原件文号/份号", "密级", "保密期限", "复制方式", "份数",
           "复制件统一编号及份号", "复制戳记", "用途", "承制单位", "申请人", "批准人", "原定密机关同意", "经办人"]
STAMP = "示范单位复制 2026年3月2日"


# ------------------------------------------------------------------------------------ helpers

# About 47 s on one worker: handed out before the short files (conftest.py, heavy).
pytestmark = pytest.mark.heavy(seconds=47)


def pdf_pages(content):
    return PdfReader(io.BytesIO(content)).pages


def pdf_text(content):
    return "\n".join(page.extract_text() for page in pdf_pages(content))


def top_of_page_texts(page):
    """Text drawn in the top margin of a page (where the running level mark is)."""
    height = float(page.mediabox.height)
    found = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip() and tm[5] * cm[3] + cm[5] > height - 45:
            found.append(text.strip())

    page.extract_text(visitor_text=visit)
    return found


def xlsx_table(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return rows[:XLSX_HEADER_ROW - 1], rows[XLSX_HEADER_ROW - 1], table_body(rows[XLSX_HEADER_ROW:])


def xlsx_rows(content):
    """Data rows as {header: cell} dicts."""
    _, header, rows = xlsx_table(content)
    assert header == HEADERS
    return [dict(zip(header, row)) for row in rows]


def download(client, user, fmt, **filters):
    client.force_login(user)
    return client.post(reverse("registers:download"), {"register": "copies", "format": fmt, **filters})


def print_events():
    return AuditEvent.objects.filter(action__in=["register.print", "register.export"]).order_by("seq")


def copy_serials_of(row):
    """The 统一编号 in the 复制件 cell of an XLSX row."""
    return SERIAL.findall(row["复制件统一编号及份号"])


def make_copies(unit, request, approver, *, registrar=None):
    sa.request_decide(actor=approver, request=request, approve=True, comment="同意")
    return scopy.copy_make(actor=registrar or unit.mishu, request=request, copy_stamp=STAMP)


def produced(request):
    return list(Carrier.objects.filter(source_request=request).order_by("serial"))


# ----------------------------------------------------------------------------------- scenario


@pytest.fixture
def book(unit, register_carrier):
    """Five completed copy requests and two that are not, with every title distinct.

    r1 复制 ×2 of a 秘密 carrier (业务一处 in scope), asked by lisi; one of its copies is later also
       put in baomi's scope (baomi may see that copy, never the original).
    r2 摘抄 ×1 of a 机密 carrier (lisi and baomi in scope, 办公室), asked by baomi, 定点复制单位.
    r3 汇编 ×2 of a 秘密 and a 机密 carrier (业务一处), asked by lisi: a 机密 compilation.
    r4 复制 ×1 of a 绝密 carrier with the consent of the original classifying authority, asked by
       mishu and approved by the 主要负责人.
    r5 复制 ×1 of a 秘密 carrier in lisi's scope only; afterwards the original (not the copy) is put
       in zhangsan's scope.
    pending: a request approved but not made; rejected: a rejected one — neither is a row.
    """
    group = unit.business.group
    s1 = register_carrier(level=2, title="秘密级会议纪要甲", doc_number="某办〔2026〕1号", copy_number=3,
                          scope_groups=[group])
    c1 = register_carrier(level=3, title="机密级调研报告乙", doc_number="某研〔2026〕2号", copy_number=5,
                          department=unit.office, scope_users=[unit.lisi, unit.baomi])
    part_a = register_carrier(level=2, title="汇编部分秘密篇丙", doc_number="某汇〔2026〕3号", copy_number=1,
                              period_value=5, scope_groups=[group])
    part_b = register_carrier(level=3, title="汇编部分机密篇丁", doc_number="某汇〔2026〕4号", copy_number=2,
                              period_value=8, scope_groups=[group])
    t1 = register_carrier(level=4, title="绝密级战略规划戊", doc_number="某绝〔2026〕5号", copy_number=1,
                          period_value=30, scope_users=[unit.zhuren])
    s4 = register_carrier(level=2, title="李四专阅秘密件己", doc_number="某专〔2026〕6号", copy_number=2,
                          scope_users=[unit.lisi])
    s5 = register_carrier(level=2, title="尚未复制的秘密件庚", doc_number="某未〔2026〕7号", copy_number=4,
                          scope_groups=[group])
    s6 = register_carrier(level=2, title="复制被驳回的秘密件辛", doc_number="某驳〔2026〕8号", copy_number=6,
                          scope_groups=[group])

    r1 = make_copies(unit, scopy.copy_request_create(
        actor=unit.lisi, carriers=[s1], mode="copy", count=2, reason="处务会传达学习"), unit.lingdao)
    r2 = make_copies(unit, scopy.copy_request_create(
        actor=unit.baomi, carriers=[c1], mode="excerpt", count=1, reason="保密检查备查", copy_maker="定点复制单位"),
        unit.lingdao)
    r3 = make_copies(unit, scopy.copy_request_create(
        actor=unit.lisi, carriers=[part_a, part_b], mode="compile", count=2, reason="年度工作总结",
        copy_title="年度保密工作汇编壬"), unit.lingdao)
    r4 = make_copies(unit, scopy.copy_request_create(
        actor=unit.mishu, carriers=[t1], mode="copy", count=1, reason="上报上级机关",
        consent_authority="国家某局", consent_letter="国某函〔2026〕9号", consent_date=dt.date(2026, 1, 20)),
        unit.zhuren)
    r5 = make_copies(unit, scopy.copy_request_create(
        actor=unit.lisi, carriers=[s4], mode="copy", count=1, reason="个人研读"), unit.lingdao)

    pending = scopy.copy_request_create(actor=unit.zhangsan, carriers=[s5], mode="copy", count=1, reason="待制作")
    sa.request_decide(actor=unit.lingdao, request=pending, approve=True)
    rejected = scopy.copy_request_create(actor=unit.zhangsan, carriers=[s6], mode="copy", count=1, reason="被驳回")
    sa.request_decide(actor=unit.lingdao, request=rejected, approve=False, comment="不同意")

    copies = {name: produced(r) for name, r in dict(r1=r1, r2=r2, r3=r3, r4=r4, r5=r5).items()}
    from documents.tests.factories import widen_scope
    widen_scope(carrier=copies["r1"][0], registrar=unit.mishu, principal=unit.zhuren, user=unit.baomi,
                reason="保密办检查")
    widen_scope(carrier=s4, registrar=unit.mishu, principal=unit.zhuren, user=unit.zhangsan)

    # Made in this order, on these (Beijing) days: r1 early in January, r2 on the last evening of
    # January, r3 just after midnight on 1 February, r4 and r5 in March. Register order is this order.
    made_at = {
        "r1": dt.datetime(2026, 1, 10, 9, 0, tzinfo=SHANGHAI),
        "r2": dt.datetime(2026, 1, 31, 23, 30, tzinfo=SHANGHAI),
        "r3": dt.datetime(2026, 2, 1, 0, 10, tzinfo=SHANGHAI),
        "r4": dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI),
        "r5": dt.datetime(2026, 3, 5, 15, 0, tzinfo=SHANGHAI),
    }
    requests = dict(r1=r1, r2=r2, r3=r3, r4=r4, r5=r5)
    for name, moment in made_at.items():
        ApprovalRequest.objects.filter(pk=requests[name].pk).update(executed_at=moment, completed_at=moment)
    assert ApprovalRequest.objects.get(pk=pending.pk).state == RequestState.APPROVED
    assert ApprovalRequest.objects.get(pk=rejected.pk).state == RequestState.REJECTED
    return dict(
        requests=requests, copies=copies, pending=pending, rejected=rejected,
        originals=dict(r1=[s1], r2=[c1], r3=[part_a, part_b], r4=[t1], r5=[s4]),
        untouched=[s5, s6],
    )


# What each user's register must hold, written out from the scenario above: request → the copies
# named in its row. (Index into book["copies"][request].)
EXPECTED = {
    # registrar of every department, 核心: everything.
    "mishu": {"r1": [0, 1], "r2": [0], "r3": [0, 1], "r4": [0], "r5": [0]},
    # 重要 (机密), 业务一处, in c1's and s4's scope; not cleared for 绝密.
    "lisi": {"r1": [0, 1], "r2": [0], "r3": [0, 1], "r5": [0]},
    # 一般 (秘密): may see s1 and its copies; part_b of the compilation is 机密, so r3 is not a row;
    # s4 was put in her scope after copying, its copy was not.
    "zhangsan": {"r1": [0, 1], "r5": []},
    # 保密办, in c1's scope; may see one copy of r1 but not its original, so r1 is not a row.
    "baomi": {"r2": [0]},
    "wangwu": {},
}
LEVEL_LABELS = {1: "内部", 2: "秘密", 3: "机密", 4: "绝密"}


def expected_rows(book, username):
    """[(request, [originals], [copies named])] in register order."""
    order = ["r1", "r2", "r3", "r4", "r5"]
    return [(book["requests"][r], book["originals"][r], [book["copies"][r][i] for i in EXPECTED[username][r]])
            for r in order if r in EXPECTED[username]]


def all_carriers(book):
    everything = [c for cs in book["originals"].values() for c in cs] + list(book["untouched"])
    return everything + [c for cs in book["copies"].values() for c in cs]


def recomputed_rows(book, user):
    """The same expectation recomputed carrier by carrier (another path than the register's SQL)."""
    def may_see(carrier):
        return visible_carriers(user).filter(pk=carrier.pk).exists()

    rows = []
    for name in ["r1", "r2", "r3", "r4", "r5"]:
        if all(may_see(o) for o in book["originals"][name]):
            rows.append((name, [c.serial for c in book["copies"][name] if may_see(c)]))
    return rows


def test_the_scenario_matches_the_written_expectation(unit, book):
    """Guards the hand-written table: it must agree with the carriers' visibility one by one."""
    for username, expected in EXPECTED.items():
        written = [(name, [book["copies"][name][i].serial for i in idx]) for name, idx in expected.items()]
        assert recomputed_rows(book, unit[username]) == written, username
    assert [len(book["copies"][r]) for r in ["r1", "r2", "r3", "r4", "r5"]] == [2, 1, 2, 1, 1]


# --------------------------------------------------------------------------- rows per user


def assert_register_holds_exactly(book, content_pdf, content_xlsx, username):
    expected = expected_rows(book, username)
    visible_serials = [s for _, originals, copies in expected for s in [o.serial for o in originals]
                       + [c.serial for c in copies]]
    hidden = [c for c in all_carriers(book) if c.serial not in visible_serials]

    # XLSX: the rows, in order, with exactly these originals and copies.
    rows = xlsx_rows(content_xlsx)
    assert [r["原件统一编号"].split("\n") for r in rows] == [[o.serial for o in originals] for _, originals, _ in expected]
    assert [copy_serials_of(r) for r in rows] == [[c.serial for c in copies] for _, _, copies in expected]
    assert [r["序号"] for r in rows] == [str(n) for n in range(1, len(expected) + 1)]
    # PDF: the same serials in the same order, and nothing else that looks like a serial.
    text = pdf_text(content_pdf)
    assert SERIAL.findall(text) == visible_serials
    # No invisible carrier leaks its serial or title anywhere in either file.
    sheet_text = "\n".join("\t".join(r.values()) for r in rows)
    visible_titles = {c.title for _, originals, copies in expected for c in originals + copies}
    for carrier in hidden:
        assert carrier.serial not in text and carrier.serial not in sheet_text
        if carrier.title not in visible_titles:
            flat = re.sub(r"\s+", "", text)
            assert carrier.title not in flat and carrier.title not in sheet_text, (username, carrier.title)
    return rows, text


@pytest.mark.parametrize("username", ["mishu", "lisi", "zhangsan", "baomi", "wangwu"])
def test_each_user_gets_exactly_the_rows_and_copies_they_may_see(client, unit, book, username):
    user = unit[username]
    pdf = download(client, user, "pdf")
    xlsx = download(client, user, "xlsx")
    assert pdf.status_code == 200 and xlsx.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"

    assert_register_holds_exactly(book, pdf.content, xlsx.content, username)
    expected = expected_rows(book, username)
    # The count the web page uses to choose inline or worker agrees with the rows.
    assert register_services.register_row_count(user=user, name="copies") == len(expected)
    assert register_services.register_row_count(user=user, name="copies", cap=1) == min(len(expected), 2)


def test_the_compilation_is_left_out_for_a_user_who_may_not_see_every_part(client, unit, book):
    """zhangsan may see the 秘密 part of the 汇编 but not the 机密 one: the compilation's name,
    copies and other part must not appear, not even the part she may see as a compiled part."""
    rows = xlsx_rows(download(client, unit.zhangsan, "xlsx").content)
    text = "\n".join("\t".join(r.values()) for r in rows)

    assert "年度保密工作汇编壬" not in text and "汇编" not in text
    part_a, part_b = book["originals"]["r3"]
    assert part_a.serial not in text and part_b.serial not in text and part_b.title not in text


def test_a_row_whose_copies_the_user_may_not_see_names_none_of_them(client, unit, book):
    rows = xlsx_rows(download(client, unit.zhangsan, "xlsx").content)
    row = next(r for r in rows if r["原件统一编号"] == book["originals"]["r5"][0].serial)

    assert row["复制件统一编号及份号"] == "" and row["份数"] == "1"
    assert book["copies"]["r5"][0].serial not in "\t".join(r for x in rows for r in x.values())


def test_a_compilation_whose_copies_the_user_may_not_see_keeps_its_name_to_itself(client, unit, book):
    """The 汇编本名称 is the title of the compiled copies: with them out of lisi's scope, the row
    (lisi may still see both parts) names the parts but neither the compilation nor its copies."""
    for made in book["copies"]["r3"]:
        services.carrier_scope_revoke(actor=unit.mishu, carrier=made, reason="收回", group_id=unit.business.group.pk)
    part_a, part_b = book["originals"]["r3"]

    rows = xlsx_rows(download(client, unit.lisi, "xlsx").content)
    row = next(r for r in rows if r["原件统一编号"] == f"{part_a.serial}\n{part_b.serial}")

    assert row["文件资料名称"] == "汇编本\n汇编自：汇编部分秘密篇丙；汇编部分机密篇丁"
    assert row["复制件统一编号及份号"] == "" and row["密级"] == "机密"
    text = pdf_text(download(client, unit.lisi, "pdf").content)
    assert "年度保密工作汇编壬" not in re.sub(r"\s+", "", text)
    assert not {c.serial for c in book["copies"]["r3"]} & set(SERIAL.findall(text))
    # The registrar still sees the whole row.
    mishu_rows = xlsx_rows(download(client, unit.mishu, "xlsx").content)
    assert any(r["文件资料名称"].startswith("《年度保密工作汇编壬》") for r in mishu_rows)


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_the_admin_roles_are_refused_everywhere(client, unit, book, role, tmp_path):
    user = unit[role]
    with pytest.raises(PolicyDenied):
        printing.produce(user=user, name="copies", fmt="pdf")
    with pytest.raises(PolicyDenied):
        register_services.register_row_count(user=user, name="copies")
    client.force_login(user)
    assert client.post(reverse("registers:download"), {"register": "copies", "format": "pdf"}).status_code == 404
    with pytest.raises(CommandError):
        call_command("register", "copies", "--as", role, "-o", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()
    assert not print_events().exists()
    # The builder itself returns nothing for them (visible_carriers is empty for the admins).
    assert approval_registers.copies(user=user).rows == []


# ------------------------------------------------------------------------------- the columns


def test_the_registrar_sees_every_column_filled_as_recorded(client, unit, book):
    rows = {r["原件统一编号"]: r for r in xlsx_rows(download(client, unit.mishu, "xlsx").content)}
    r1, r2, r3, r4 = (book["requests"][k] for k in ("r1", "r2", "r3", "r4"))
    s1, c1, t1 = book["originals"]["r1"][0], book["originals"]["r2"][0], book["originals"]["r4"][0]
    part_a, part_b = book["originals"]["r3"]

    copy = rows[s1.serial]
    first, second = book["copies"]["r1"]
    assert copy == {
        "序号": "1", "复制日期": "2026-01-10", "原件统一编号": s1.serial, "文件资料名称": "秘密级会议纪要甲",
        "原件文号/份号": "某办〔2026〕1号／份号 000003", "密级": "秘密", "保密期限": "秘密★10年", "复制方式": "复制",
        "份数": "2",
        "复制件统一编号及份号": f"{first.serial} 份号 000004\n{second.serial} 份号 000005",
        "复制戳记": STAMP, "用途": "处务会传达学习", "承制单位": "本单位", "申请人": "lisi", "批准人": "lingdao",
        "原定密机关同意": "—", "经办人": "mishu",
    }
    assert r1.copy_count == 2

    excerpt = rows[c1.serial]
    assert (excerpt["复制方式"], excerpt["承制单位"], excerpt["申请人"], excerpt["密级"]) == (
        "摘抄", "定点复制单位", "baomi", "机密")
    assert excerpt["复制日期"] == "2026-01-31" and r2.copy_mode == "excerpt"

    compiled = rows[f"{part_a.serial}\n{part_b.serial}"]
    assert compiled["复制方式"] == "汇编" and compiled["份数"] == "2"
    assert compiled["文件资料名称"] == "《年度保密工作汇编壬》（汇编本）\n汇编自：汇编部分秘密篇丙；汇编部分机密篇丁"
    # The compilation takes the highest level and the longest period of its parts.
    assert (compiled["密级"], compiled["保密期限"]) == ("机密", "机密★8年")
    assert compiled["原件文号/份号"] == "某汇〔2026〕3号／份号 000001\n某汇〔2026〕4号／份号 000002"
    assert copy_serials_of(compiled) == [c.serial for c in book["copies"]["r3"]]
    assert compiled["复制日期"] == "2026-02-01" and r3.copy_title == "年度保密工作汇编壬"
    assert all(c.level == 3 for c in book["copies"]["r3"])

    top = rows[t1.serial]
    assert (top["密级"], top["保密期限"], top["批准人"], top["申请人"]) == ("绝密", "绝密★30年", "zhuren", "mishu")
    assert top["原定密机关同意"] == "国家某局\n国某函〔2026〕9号\n2026-01-20"
    assert r4.consent_letter == "国某函〔2026〕9号"


def test_the_pdf_has_the_headers_title_page_numbers_printer_and_the_highest_level(client, unit, book):
    response = download(client, unit.mishu, "pdf")

    disposition = response["Content-Disposition"]
    assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith("复制登记簿")
    pages = pdf_pages(response.content)
    text = pdf_text(response.content)
    compact = re.sub(r"\s+", "", text)
    for header in HEADERS:
        assert header in compact
    assert "复制登记簿" in text and "共 5 条" in text
    assert f"第 1 页 共 {len(pages)} 页" in pages[0].extract_text()
    assert "mishu" in pages[-1].extract_text() and "北京时间" in pages[-1].extract_text()
    assert len(pages) == 1
    assert "绝密" in top_of_page_texts(pages[0])


@pytest.mark.parametrize("username, level", [("lisi", "机密"), ("zhangsan", "秘密"), ("baomi", "机密"),
                                             ("wangwu", "非密")])
def test_the_page_is_marked_with_the_highest_level_the_user_sees(client, unit, book, username, level):
    pages = pdf_pages(download(client, unit[username], "pdf").content)

    assert len(pages) == 1
    marks = top_of_page_texts(pages[0])
    assert level in marks
    assert not {"绝密", "机密", "秘密", "非密"} - {level} & set(marks)


def test_each_page_carries_the_highest_level_of_its_own_rows(client, unit, register_carrier):
    """Long 用途 make tall rows: four 秘密 copies fill the first pages, the 绝密 copy comes last."""
    long_reason = "为落实上级关于进一步加强涉密载体管理的工作部署，组织处室人员集中学习传达" * 3
    made = []
    for i in range(4):
        original = register_carrier(level=2, title=f"秘密级通知第{i}号", doc_number=f"某发〔2026〕{i}号",
                                    copy_number=1, scope_groups=[unit.business.group])
        made.append(make_copies(unit, scopy.copy_request_create(
            actor=unit.lisi, carriers=[original], mode="copy", count=1, reason=long_reason), unit.lingdao))
    top = register_carrier(level=4, title="绝密级文件", doc_number="某绝〔2026〕1号", copy_number=1)
    make_copies(unit, scopy.copy_request_create(
        actor=unit.mishu, carriers=[top], mode="copy", count=1, reason=long_reason, consent_authority="国家某局",
        consent_letter="国某函〔2026〕1号", consent_date=dt.date(2026, 1, 5)), unit.zhuren)

    pages = pdf_pages(download(client, unit.mishu, "pdf").content)

    assert len(pages) >= 2
    page_of_top = next(i for i, page in enumerate(pages) if top.serial in page.extract_text())
    assert page_of_top > 0
    for number, page in enumerate(pages):
        marks = top_of_page_texts(page)
        if number == page_of_top:
            assert "绝密" in marks
        elif SERIAL.findall(page.extract_text()):
            assert "秘密" in marks and "绝密" not in marks
        assert f"第 {number + 1} 页 共 {len(pages)} 页" in page.extract_text()
        assert "复制件统一编号及份号" in re.sub(r"\s+", "", page.extract_text())  # header repeats


# ----------------------------------------------------------------------------------- filters


def registrar_rows(client, unit, **filters):
    response = download(client, unit.mishu, "xlsx", **filters)
    assert response.status_code == 200, response.content[:500]
    top, _, _ = xlsx_table(response.content)
    return [r["原件统一编号"] for r in xlsx_rows(response.content)], top


def originals_of(book, *names):
    return ["\n".join(o.serial for o in book["originals"][n]) for n in names]


def test_the_date_range_is_on_the_copy_date_in_beijing_time(client, unit, book):
    january, top = registrar_rows(client, unit, date_from="2026-01-01", date_to="2026-01-31")
    assert january == originals_of(book, "r1", "r2")  # r2 at 23:30 on 31 January is in, r3 at 00:10 is not
    assert "复制日期：2026-01-01 至 2026-01-31" in top[2][0]
    assert registrar_rows(client, unit, date_from="2026-02-01")[0] == originals_of(book, "r3", "r4", "r5")
    assert registrar_rows(client, unit, date_to="2026-01-09")[0] == []
    assert register_services.register_row_count(user=unit.mishu, name="copies",
                                        filters={"date_from": "2026-02-01", "date_to": "2026-03-02"}) == 2


def test_the_level_filter_is_the_level_of_the_copies(client, unit, book):
    # The 汇编 of a 秘密 and a 机密 part is 机密: it is listed under 机密 only.
    assert registrar_rows(client, unit, level="2")[0] == originals_of(book, "r1", "r5")
    secret, top = registrar_rows(client, unit, level="3")
    assert secret == originals_of(book, "r2", "r3")
    assert "密级：机密" in top[2][0]
    assert registrar_rows(client, unit, level="4")[0] == originals_of(book, "r4")
    assert register_services.register_row_count(user=unit.mishu, name="copies", filters={"level": "3"}) == 2


def test_the_department_and_search_filters_match_the_originals(client, unit, book):
    assert registrar_rows(client, unit, department=str(unit.office.pk))[0] == originals_of(book, "r2")
    # Either part of a compilation finds it.
    assert registrar_rows(client, unit, q="汇编部分机密篇丁")[0] == originals_of(book, "r3")
    # Filters never widen what a user sees: lisi searching for the 绝密 original gets nothing.
    client.force_login(unit.lisi)
    response = client.post(reverse("registers:download"), {"register": "copies", "format": "xlsx",
                                                           "q": book["originals"]["r4"][0].serial})
    assert xlsx_rows(response.content) == []


def test_an_invalid_date_is_refused(client, unit, book):
    response = download(client, unit.mishu, "pdf", date_from="2026-13-40")
    assert response.status_code == 400
    assert not print_events().exists()


# ------------------------------------------------------------------------------------- audit


def test_printing_and_exporting_are_audited_with_the_rows_and_level(client, unit, book):
    download(client, unit.lisi, "pdf", level="3")
    download(client, unit.zhangsan, "xlsx")

    printed, exported = print_events()
    assert (printed.action, printed.actor, printed.level) == ("register.print", unit.lisi, 3)
    assert printed.detail == {"register": "copies", "format": "pdf", "filters": {"level": "3"}, "rows": 2}
    assert (exported.action, exported.actor, exported.level) == ("register.export", unit.zhangsan, 2)
    assert exported.detail["rows"] == 2 and exported.detail["register"] == "copies"


# ----------------------------------------------------------------------------------- command


def test_the_command_writes_the_users_register_and_audits_it(client, unit, book, tmp_path):
    pdf_path, xlsx_path = tmp_path / "out" / "copies.pdf", tmp_path / "out" / "copies.xlsx"
    call_command("register", "copies", "--format", "pdf", "--as", "lisi", "-o", str(pdf_path))
    call_command("register", "copies", "--format", "xlsx", "--as", "lisi", "-o", str(xlsx_path))

    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert_register_holds_exactly(book, pdf_path.read_bytes(), xlsx_path.read_bytes(), "lisi")
    assert "lisi" in pdf_text(pdf_path.read_bytes())
    assert [(e.action, e.actor) for e in print_events()] == [("register.print", unit.lisi),
                                                             ("register.export", unit.lisi)]


def test_the_command_filters_by_copy_date_and_level(unit, book, tmp_path):
    path = tmp_path / "x.xlsx"
    call_command("register", "copies", "--format", "xlsx", "--as", "mishu", "-o", str(path),
                 "--from", "2026-01-01", "--to", "2026-02-28", "--level", "3")

    top, _, _ = xlsx_table(path.read_bytes())
    assert [r["原件统一编号"] for r in xlsx_rows(path.read_bytes())] == originals_of(book, "r2", "r3")
    assert "复制日期：2026-01-01 至 2026-02-28" in top[2][0] and "密级：机密" in top[2][0]


# -------------------------------------------------------------------------------- page and job


def test_the_register_page_offers_the_copy_register(client, unit):
    client.force_login(unit.baomi)
    html = client.get(reverse("registers:index")).content.decode()

    assert 'value="copies"' in html and "复制登记簿" in html


@pytest.fixture
def small_inline_limit(settings):
    settings.SECRECY = {**settings.SECRECY, "REGISTER_INLINE_MAX_ROWS": 2}


def test_a_large_copy_register_renders_in_the_worker_with_the_same_rows(
        client, unit, book, small_inline_limit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = download(client, unit.lisi, "pdf", date_from="2026-01-01")

    job = RegisterJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("registers:job", args=[job.pk])
    assert (job.register, job.status, job.rows, job.level) == ("copies", RegisterJobStatus.DONE, 4, 3)
    page = client.get(reverse("registers:job", args=[job.pk])).content.decode()
    assert "复制登记簿" in page and "复制日期：2026-01-01 至 不限" in page
    content = b"".join(client.get(reverse("registers:job_file", args=[job.pk])).streaming_content)
    xlsx = printing.produce(user=unit.lisi, name="copies", fmt="xlsx")[1]
    assert_register_holds_exactly(book, content, xlsx, "lisi")
    event = print_events().first()
    assert (event.actor, event.level, event.detail["job"], event.detail["rows"]) == (unit.lisi, 3, job.pk, 4)


def test_building_the_copy_register_runs_a_fixed_number_of_queries(unit, register_carrier):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def one_more_copy(i):
        original = register_carrier(level=2, title=f"第{i}份", copy_number=1, scope_groups=[unit.business.group])
        make_copies(unit, scopy.copy_request_create(
            actor=unit.lisi, carriers=[original], mode="copy", count=2, reason="学习"), unit.lingdao)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            register = approval_registers.copies(user=unit.lisi, filters={})
        return len(captured), len(register.rows)

    one_more_copy(0)
    few, rows_few = queries()
    for i in range(1, 6):
        one_more_copy(i)
    many, rows_many = queries()

    assert (rows_few, rows_many) == (1, 6)
    assert many == few
