"""The search box finds exactly the carriers whose serial is the term or whose title or 文号
contains it, on every database — on PostgreSQL through the grams index (migration 0014), whose
candidates must never add a carrier (a 3-character term's pieces can all appear apart) nor lose
one (a 1- or 2-character term, a term in the 文号, a common term that skips the index)."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from documents import search
from documents.selectors import carrier_count_visible_to, carrier_list_visible_to, carrier_page_visible_to

User = get_user_model()


@pytest.fixture
def titled(unit, register_carrier):
    def make(title, doc_number="", level=2):
        return register_carrier(level=level, title=title, doc_number=doc_number, scope_users=[unit.lisi])
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
