"""Bad input never answers 500 (issue 11 §6).

Every URL of the project is posted random and hostile values — huge and negative numbers, NUL,
right-to-left overrides, very long strings, ids that are not numbers, dates like 0001-01-01 and
9999-12-31, nothing at all — under the names of every form field the project has, by every demo
account. Whatever the view makes of it (a field error, a refusal, 404, 405), it is never a 5xx and
never an uncaught exception. Each request runs in a savepoint that is rolled back, so an accepted
post does not change the next.
"""
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import get_resolver, reverse
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from secrecy.forms import SafeForm
from tests.test_permission_matrix import MATRIX, ROLES, kwargs_for

HUGE = "99999999999999999999"
HOSTILE = [
    HUGE, "-" + HUGE, "2147483648", "-2147483649", "-1", "0", "1", "\x00", "ab\x00cd", "\u202etxt.exe",
    "\u200b\u2066x\u2069", "长" * 3000, "abc", "1.5", "1e308", "١٢", "²", "0001-01-01",
    "9999-12-31", "0001-01-01T00:00", "9999-12-31T23:59", "", " ", "null", "<script>alert(1)</script>",
    "../../etc/passwd", "' OR 1=1 --", "pdf", "xlsx", "on",
]
# Raw parameters some views read without a form.
EXTRA_NAMES = {"register", "format", "batch", "circulation", "meeting", "after", "before", "next", "q",
               "action", "approve", "decision", "step"}

# About 170 s on one worker: handed out before the short files (conftest.py, heavy).
pytestmark = pytest.mark.heavy(seconds=170)


def _field_names():
    get_resolver().url_patterns  # imports every view module, hence every form
    names = set(EXTRA_NAMES)

    def walk(cls):
        for sub in cls.__subclasses__():
            names.update(getattr(sub, "base_fields", {}))
            walk(sub)

    walk(SafeForm)
    from audits.filters import AuditEventFilter
    from documents.filters import CarrierFilter

    names.update(CarrierFilter.base_filters)
    names.update(AuditEventFilter.base_filters)
    return sorted(names)


FIELD_NAMES = _field_names()
# Everything but signing out (it would end the session the next requests use).
URL_NAMES = sorted(name for name in MATRIX if name != "logout")

# The roles that reach each URL (its matrix cells, in the demo's order: mishu first), and one
# that does not, if any.
PAIRS = []
for _name in URL_NAMES:
    _allowed = [r for r in ROLES if r in MATRIX[_name][1]]
    _denied = [r for r in ROLES if r not in _allowed][:1]
    PAIRS += [(_name, role) for role in _allowed + _denied]

value = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.integers().map(str))


@pytest.fixture(scope="module")
def clients(demo, django_db_blocker):
    with django_db_blocker.unblock():
        signed_in = {}
        for username in ROLES:
            # An uncaught exception becomes the 500 it would be in production, so that every
            # failure is listed, not only the first.
            client = Client(raise_request_exception=False)
            client.force_login(get_user_model().objects.get(username=username))
            signed_in[username] = client
        return signed_in


@pytest.fixture(scope="module")
def urls(demo, django_db_blocker):
    with django_db_blocker.unblock():
        return {(name, role): reverse(name, kwargs=kwargs_for(name, role) or None) for name, role in PAIRS}


@pytest.fixture(scope="module")
def valid(demo, django_db_blocker):
    """Values a registration (and most forms) accepts, so that one hostile field among them
    reaches the service behind the form, not only the form."""
    from personnel.models import Department

    with django_db_blocker.unblock():
        users = {u.username: str(u.pk) for u in get_user_model().objects.filter(
            username__in=["lisi", "zhuren", "lingdao", "mishu", "zhangsan"])}
        office = str(Department.objects.get(code="office").pk)
    return {
        "title": "测试文件", "doc_number": "测〔2026〕1号", "issuer": "市保密局", "recipients": "各区", "kind": "paper",
        "level": "2", "period_kind": "", "period_value": "5", "period_unit": "year", "copy_number": "3",
        "copies": "1", "pages": "3", "urgency": "", "doc_date": "2025-06-01", "start_date": "2025-06-01",
        "signed_by": "王", "transmission": "", "department": office, "location": "A柜", "notes": "备注",
        "scope_note": "处级以上", "scope_users": [users["lisi"]], "scope_groups": [office], "basis": "第3条",
        "drafter": users["mishu"], "classifier": users["zhuren"], "internal": "0", "reason": "工作需要",
        "comment": "同意", "readers": "lisi", "register": "ledger", "format": "pdf", "copy_count": "1",
        "full_name": "测试", "name": "测试会议", "venue": "第一会议室", "content": "内容", "purpose": "工作需要",
    }


def _post(client, url, data):
    with transaction.atomic():
        response = client.post(url, data)
        transaction.set_rollback(True)
    return response.status_code


def _form_field_names(client, url):
    """The names of the inputs on the page, or None if the page does not open for this client."""
    response = client.get(url)
    if response.status_code != 200:
        return None
    html = response.content.decode(errors="replace")
    return sorted(set(re.findall(r'name="([a-z_0-9]+)"', html)) - {"csrfmiddlewaretoken"})


def test_every_field_hostile_at_once_on_every_url(demo, db, clients, urls):
    """Each kind of hostile value in every field name at once: what breaks in a field's own
    cleaning (a huge id in a multi-select, NUL) shows whatever the other fields hold."""
    failures = []
    # One role that reaches the URL and one that does not: the random test below covers the rest.
    pairs = {}
    for name, role in PAIRS:
        allowed = MATRIX[name][1].get(role) is not None
        pairs.setdefault((name, allowed), role)
    for hostile in (HUGE, "\x00\u202e\u200b" + "长" * 600, "0001-01-01", "9999-12-31T23:59"):
        data = {name: hostile for name in FIELD_NAMES}
        for (name, _), role in pairs.items():
            url = urls[(name, role)]
            status = _post(clients[role], url, data)
            if status >= 500:
                failures.append(f"{role} POST {url} {hostile[:20]!r} → {status}")
    assert not failures, failures


def test_one_hostile_field_among_valid_ones_on_every_form_page(demo, db, clients, urls, valid):
    """On every page that shows a form, each of its fields in turn gets a hostile value while the
    others are valid, so the value reaches the service (copies=10**20 used to escape as a model
    ValidationError from full_clean)."""
    failures = []
    for name in URL_NAMES:
        if MATRIX[name][0] != "GET":
            continue
        # The first role (mishu first) that the page opens for.
        for role in (r for r in ROLES if MATRIX[name][1].get(r)):
            url = urls[(name, role)]
            fields = _form_field_names(clients[role], url)
            if fields is not None:
                break
        else:
            continue
        for field in fields:
            for hostile in (HUGE, "0001-01-01", "9999-12-31"):
                status = _post(clients[role], url, {**valid, field: hostile})
                if status >= 500:
                    failures.append(f"{role} POST {url} {field}={hostile!r} → {status}")
    assert not failures, failures


@hsettings(max_examples=150, deadline=None, derandomize=True,
           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_hostile_posts_never_answer_5xx(demo, db, clients, urls, valid, data):
    name, role = data.draw(st.sampled_from(PAIRS), label="url and role")
    hostile = data.draw(st.dictionaries(st.sampled_from(FIELD_NAMES),
                                        st.one_of(value, st.lists(value, min_size=1, max_size=3)),
                                        min_size=1, max_size=6), label="hostile fields")
    base = valid if data.draw(st.booleans(), label="over valid values") else {}
    assert _post(clients[role], urls[(name, role)], {**base, **hostile}) < 500


@pytest.mark.parametrize("path", [
    f"/personnel/{HUGE}/edit/", f"/carriers/{HUGE}/", f"/approvals/{HUGE}/", f"/meetings/{HUGE}/",
    f"/circulation/{HUGE}/", f"/notifications/{HUGE}/read/", f"/registers/jobs/{HUGE}/",
])
def test_a_huge_id_in_a_url_is_404(demo, db, clients, path):
    for role in ("mishu", "baomi"):
        client = clients[role]
        response = client.post(path) if path.endswith("/read/") else client.get(path)
        assert response.status_code == 404, (role, path)


def test_a_huge_cursor_is_ignored(demo, db, clients):
    for url in (reverse("documents:carrier_list"), reverse("notifications:inbox")):
        for cursor in ("after", "before"):
            assert clients["mishu"].get(url, {cursor: HUGE}).status_code == 200
