"""The menu's numbers (待办, 待阅签, 通知, 我的整改 …) come from one query per page, whoever asks."""
import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from notifications.services import Message, notify_many
from secrecy.badges import badge_counts


@pytest.fixture
def ask(unit):
    def _ask(user):
        request = RequestFactory().get("/")
        request.user = user
        with CaptureQueriesContext(connection) as ctx:
            counts = badge_counts(request)
        # Asked again on the same page (another app's menu entry): no query more.
        with CaptureQueriesContext(connection) as again:
            assert badge_counts(request) is counts
        assert len(again.captured_queries) == 0
        # Only the counting is measured: who the user is (roles, person) is known by then on a page.
        return counts, sum("COUNT(" in q["sql"] for q in ctx.captured_queries)
    return _ask


def test_every_badge_of_a_user_is_counted_in_one_query(unit, ask):
    notify_many([Message(recipient_id=unit.lingdao.pk, kind="test", title="测试通知", body="内容") for _ in range(3)])
    counts, queries = ask(unit.lingdao)
    assert queries == 1
    assert counts["notifications_unread"] == 3
    assert counts["approvals_to_decide"] == 0


def test_badges_that_do_not_apply_cost_nothing_and_show_zero(unit, ask):
    counts, queries = ask(unit.sysadmin)
    assert counts["approvals_to_decide"] == 0 and counts["my_rectifications"] == 0
    assert queries == 1  # the 通知 badge applies to everyone signed in
