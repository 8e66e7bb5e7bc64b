"""The search box finds exactly the carriers whose serial (or its 3–6 digit tail) is the term or
whose title, 文号 (normalised: 〔〕[]（）… and full/half width alike), 来文单位 or 发往单位 contains
it, on every database — on PostgreSQL through the grams indexes (migrations 0014, 0017), whose
candidates must never add a carrier (a 3-character term's pieces can all appear apart) nor lose
one (a 1- or 2-character term, a term in the 文号, a common term that skips the index)."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from documents import search
from documents.selectors import carrier_count_visible_to, carrier_list_visible_to, carrier_page_visible_to

User = get_user_model()


@pytest.fixture
def titled(unit, register_carrier):
    # The issuer is searched too: one that holds none of the terms below.
    def make(title, doc_number="", level=2, issuer="上级机关"):
        return register_carrier(level=level, title=title, doc_number=doc_number, issuer=issuer,
                                scope_users=[unit.lisi])
    return make


def found(user, term):
    user = User.objects.get(pk=user.pk)
    listed = {c.title for c in carrier_list_visible_to(user=user, filters={"q": term})}
    paged = {c.title for c in carrier_page_visible_to(user=user, filters={"q": term}, size=100)["rows"]}
    counted = carrier_count_visible_to(user=user, filters={"q": term})
    assert listed == paged and counted == (len(listed), True), term
    return listed


def test_a_term_matches_titles_and_document_numbers_that_contain_it_and_nothing_else(unit, titled):
    titled("关于保密工作的通知")
    titled("工作保密密工检查")            # holds 保密, 密工 and 工作, but not 保密工作
    titled("年度预算报告", doc_number="国保〔2026〕7号")
    titled("Network Plan")
    assert found(unit.lisi, "保密工作") == {"关于保密工作的通知"}
    assert found(unit.lisi, "保密") == {"关于保密工作的通知", "工作保密密工检查"}
    assert found(unit.lisi, "密") == {"关于保密工作的通知", "工作保密密工检查"}
    assert found(unit.lisi, "2026〕7") == {"年度预算报告"}
    assert found(unit.lisi, "network") == {"Network Plan"}
    assert found(unit.lisi, "没有的词") == set()


def test_search_never_shows_what_the_user_may_not_see(unit, register_carrier, titled):
    titled("雪龙专项报告")
    register_carrier(level=2, title="雪龙专项纪要", department=unit.office)  # not in lisi's scope
    assert found(unit.lisi, "雪龙") == {"雪龙专项报告"}


def test_a_common_term_gives_the_same_rows_as_a_rare_one_would(unit, titled, monkeypatch):
    """The plan choice (index for rare terms, newest-first walk for common ones) changes no row."""
    for i in range(6):
        titled(f"关于印发第{i}号方案的通知")
    titled("关于调整方案的函")
    rare = found(unit.lisi, "方案的通知")
    monkeypatch.setattr(search, "COMMON_TERM_ROWS", 2)
    search._common_terms.clear()
    assert found(unit.lisi, "方案的通知") == rare and len(rare) == 6


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the grams index is PostgreSQL's")
def test_the_grams_of_a_row_are_its_lower_cased_one_and_two_character_pieces(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrecy_grams(%s, %s)", ["保密AB", "X1"])
        grams = set(cursor.fetchone()[0])
    assert grams == {"保", "密", "a", "b", "保密", "密a", "ab", "b ", " x", "x", "1", "x1"}
    assert set(search.term_grams("保密A")) == {"保密", "密a"} <= grams


def test_a_search_counts_its_matches_up_to_its_own_cap(unit, titled, client, settings):
    settings.SECRECY = {**settings.SECRECY, "SEARCH_COUNT_CAP": 2}
    for i in range(3):
        titled(f"第{i}号保密检查通知")
    client.force_login(unit.lisi)
    html = client.get("/carriers/", {"q": "保密检查"}).content.decode()
    assert "超过 2 条" in html
    # Without a term the list counts as before.
    assert "超过" not in client.get("/carriers/").content.decode()


# ----------------------------------------------------------------- search forgives (issue 14 §2)

DOC_NUMBER = "国保发〔2026〕135802号"
DOC_NUMBER_VARIANTS = [
    "国保发〔2026〕135802号", "国保发[2026]135802号", "国保发（2026）135802号", "国保发(2026)135802号",
    "国保发［2026］135802号", "国保发【2026】135802号", "国保发〔２０２６〕１３５８０２号", "国保发 [2026] 135802 号",
    "[2026]135802", "（2026）1358",
]


@pytest.mark.parametrize("term", DOC_NUMBER_VARIANTS)
def test_every_way_of_writing_a_document_number_finds_the_carrier(unit, register_carrier, titled, term):
    titled("关于开展年度保密检查的通知", doc_number=DOC_NUMBER)
    titled("其他来文", doc_number="国保发〔2025〕135802号")
    register_carrier(level=2, title="看不见的同号来文", doc_number=DOC_NUMBER, department=unit.office)
    assert found(unit.lisi, term) == {"关于开展年度保密检查的通知"}
    assert found(unit.mishu, term) >= {"关于开展年度保密检查的通知", "看不见的同号来文"}


def test_full_width_letters_in_a_document_number_match_half_width_ones_and_any_case(unit, titled):
    titled("字母文号的来文", doc_number="GBF[2026]7号")
    for term in ("ｇｂｆ（2026）7号", "gbf〔2026〕7", "ＧＢＦ［２０２６］７号"):
        assert found(unit.lisi, term) == {"字母文号的来文"}, term


def test_the_issuer_and_the_recipients_are_searched(unit, register_carrier):
    register_carrier(level=2, title="年度检查通知", issuer="国家保密局", scope_users=[unit.lisi])
    register_carrier(level=2, title="工作简报", issuer="市委办公厅", scope_users=[unit.lisi])
    register_carrier(level=2, title="情况报告", outgoing=True, recipients="国家保密局、省保密局",
                     scope_users=[unit.lisi])
    register_carrier(level=2, title="不在知悉范围的来文", issuer="国家保密局", department=unit.office)
    assert found(unit.lisi, "国家保密局") == {"年度检查通知", "情况报告"}
    assert found(unit.lisi, "省保密局") == {"情况报告"}
    assert found(unit.lisi, "办公厅") == {"工作简报"}


def test_a_serial_tail_of_three_to_six_digits_finds_the_carrier(unit, titled):
    from django.conf import settings

    from documents.models import SerialCounter
    from documents.services import local_today

    # The unit has registered 312 carriers this year; the next is number 313.
    SerialCounter.objects.update_or_create(registry=settings.SECRECY["REGISTRY_CODE"], year=local_today().year,
                                           defaults={"last_value": 312})
    carrier = titled("第三百一十三号载体")
    titled("第三百一十四号载体")
    assert carrier.serial.endswith("-000313")
    for term in ("313", "0313", "000313", "３１３"):
        assert found(unit.lisi, term) == {"第三百一十三号载体"}, term
    # Two digits or seven are not a tail (too many carriers, or not a serial at all).
    assert found(unit.lisi, "13") == set()
    assert found(unit.lisi, "0000313") == set()


def test_a_serial_tail_of_an_invisible_carrier_finds_nothing(unit, register_carrier):
    hidden = register_carrier(level=2, title="看不见的载体", department=unit.office)
    tail = str(hidden.serial_number).zfill(6)
    assert found(unit.lisi, tail) == set()
    assert found(unit.lisi, hidden.serial) == set()
    assert "看不见的载体" in found(unit.mishu, tail)


def test_a_corrected_document_number_is_found_under_its_new_writing_only(unit, titled):
    from documents.services import carrier_correct

    carrier = titled("更正文号的来文", doc_number="旧字〔2026〕1号")
    carrier_correct(actor=unit.mishu, carrier=carrier, changes={"doc_number": "新字〔2026〕2号"}, reason="文号登记错误")
    assert found(unit.lisi, "新字[2026]2号") == {"更正文号的来文"}
    assert found(unit.lisi, "旧字[2026]1号") == set()


def test_the_stored_document_number_is_normalised_once_for_every_way_of_writing_it():
    from documents.search import normalize_doc_number

    assert {normalize_doc_number(term) for term in DOC_NUMBER_VARIANTS[:8]} == {"国保发(2026)135802号"}


def test_carriers_registered_before_the_migration_get_their_normalised_document_number(unit, titled):
    """Migration 0017 fills doc_number_norm of existing rows (in batches), so old carriers are
    found by every writing of their 文号 as new ones are."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    from documents.models import Carrier

    migration = importlib.import_module("documents.migrations.0017_search_forgives")
    titled("迁移前登记的来文", doc_number="京保〔２０１９〕 ８号")
    titled("没有文号的载体")
    Carrier.objects.update(doc_number_norm="")  # as the rows were before the column existed
    assert found(unit.lisi, "京保[2019]8号") == set()
    migration.fill(apps, SimpleNamespace(connection=connection))
    assert found(unit.lisi, "京保[2019]8号") == {"迁移前登记的来文"}
    assert set(Carrier.objects.values_list("doc_number_norm", flat=True)) == {"京保(2019)8号", ""}


def test_a_nul_byte_in_the_search_box_is_no_error(client, unit):
    """The list's scanner jump looks the term up as a 统一编号 only when it is shaped like one: a NUL
    byte reached PostgreSQL as a literal and answered 500 (run on PostgreSQL in CI)."""
    client.force_login(unit.mishu)
    assert client.get(reverse("documents:carrier_list"), {"q": "\x00\u202e2026-000001"}).status_code == 200
