"""The carrier list costs a fixed number of SQL queries however many carriers and grants exist,
and visibility is decided inside the one query that reads the carriers (SPEC §4; issue 2 point 4)."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_user
from documents.selectors import (
    carrier_count_visible_to, carrier_get_for_user, carrier_list_visible_to, carrier_page_visible_to,
)
from documents.models import Carrier
from documents.tests.factories import CarrierFactory, bulk_group_grants, bulk_user_grants
from personnel.models import Role

User = get_user_model()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def populate(unit, n, extra_readers):
    """n carriers spread over levels and departments, with many personal and group grants."""
    departments = [unit.office, unit.secrecy_office, unit.business]
    carriers = Carrier.objects.bulk_create([
        CarrierFactory.build(department=departments[i % 3], registered_by=unit.mishu, level=1 + i % 4)
        for i in range(n)
    ])
    grants = []
    for i, carrier in enumerate(carriers):
        grants.append((unit.lisi if i % 2 else unit.zhangsan, carrier))
        grants += [(reader, carrier) for reader in extra_readers[i % 3::3]]
    bulk_user_grants(grants)
    bulk_group_grants([(unit.business.group, c) for c in carriers[::4]] +
                      [(unit.office.group, c) for c in carriers[1::5]])
    return carriers


def measure(user_pk):
    """Queries for the list (evaluated), the count and the first page, as one request would run them."""
    user = User.objects.get(pk=user_pk)
    with CaptureQueriesContext(connection) as ctx:
        rows = list(carrier_list_visible_to(user=user))
        count, exact = carrier_count_visible_to(user=user)
        page = carrier_page_visible_to(user=user, size=50)
    assert exact and count == len(rows)
    assert page["rows"] == rows[:50]
    return len(ctx.captured_queries), len(rows)


@pytest.mark.parametrize("name", ["lisi", "zhangsan", "mishu", "lingdao", "wangwu", "sysadmin"])
def test_list_count_and_page_cost_the_same_with_10_and_500_carriers(unit, name):
    readers = [make_user(f"reader{i}", department=unit.business, roles=[Role.READER], person_class="important")
               for i in range(6)]
    populate(unit, 10, readers)
    small_queries, small_rows = measure(unit[name].pk)
    populate(unit, 490, readers)
    big_queries, big_rows = measure(unit[name].pk)

    assert big_queries == small_queries
    if name != "sysadmin":
        assert big_rows > small_rows  # the user really sees more rows, not an empty list twice
    assert small_queries <= 8


def test_detail_lookup_costs_the_same_whatever_the_table_size(unit):
    carriers = populate(unit, 10, [])
    target = carriers[1]  # granted to lisi

    def detail_queries():
        user = User.objects.get(pk=unit.lisi.pk)
        with CaptureQueriesContext(connection) as ctx:
            carrier_get_for_user(user=user, pk=target.pk)
        return len(ctx.captured_queries)

    small = detail_queries()
    populate(unit, 490, [])
    assert detail_queries() == small


@pytest.mark.parametrize("name, served", [("lisi", False), ("mishu", True)])
def test_visibility_is_decided_inside_the_one_query_that_reads_the_carriers(unit, name, served):
    populate(unit, 40, [])
    user = User.objects.get(pk=unit[name].pk)
    queryset = carrier_list_visible_to(user=user)  # resolving roles and clearance happens here

    with CaptureQueriesContext(connection) as ctx:
        rows = list(queryset)

    assert rows, "the user should see some of the carriers"
    assert len(ctx.captured_queries) == 1
    sql = ctx.captured_queries[0]["sql"]
    # clearance comparison, user grant and group grant subqueries, custodian, registrar departments
    assert re.search(r'"documents_carrier"\."level" <= \d', sql), sql
    # The grants are matched on the user's own id and group ids, never by joining the auth tables.
    assert "documents_carrieruserscope" in sql and "documents_carriergroupscope" in sql
    assert f'"user_id" = {user.pk}' in sql and "auth_user_groups" not in sql, sql
    assert '"documents_carrier"."custodian_id"' in sql
    assert ('"documents_carrier"."department_id" IN' in sql) == served


def test_count_is_one_query_and_page_is_one_query(unit):
    populate(unit, 40, [])
    user = User.objects.get(pk=unit.lisi.pk)
    list(carrier_list_visible_to(user=user))  # warm the per-request caches (roles, person)
    with CaptureQueriesContext(connection) as count_ctx:
        carrier_count_visible_to(user=user)
    with CaptureQueriesContext(connection) as page_ctx:
        carrier_page_visible_to(user=user, size=10)
    assert len(count_ctx.captured_queries) == 1
    assert len(page_ctx.captured_queries) == 1
    assert "EXISTS" in count_ctx.captured_queries[0]["sql"]
    assert "OFFSET" not in page_ctx.captured_queries[0]["sql"].upper()
