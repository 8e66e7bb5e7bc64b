"""Page rows of the issue-12 table: whole requests through Django (middleware, view, template), as
the named bench users of bench/generate.py, plus the guardian baseline on the same rows."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, setup_django, table, timed  # noqa: E402

setup_django()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from guardian.shortcuts import get_objects_for_user  # noqa: E402

from approvals import selectors as approval_selectors  # noqa: E402
from documents import selectors  # noqa: E402
from documents.models import Carrier  # noqa: E402
from personnel.policy import clearance_of  # noqa: E402

USERS = {"reader": "bench_reader", "registrar": "bench_registrar", "office": "bench_office", "approver": "bench_approver"}
COMMON, RARE = "通知", "雪龙"


def _client(username):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _get(client, url):
    def run():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        return response
    return run


def _last_page_cursor(user):
    """The `after` cursor that opens the last page of this user's list (the oldest carriers)."""
    size = settings.SECRECY["LIST_PAGE_SIZE"]
    oldest = list(selectors.carrier_list_visible_to(user=user).order_by("id").values_list("id", flat=True)[: size + 1])
    return oldest[-1] if len(oldest) > size else None


def _guardian(user, *, count):
    """The library's way: get_objects_for_user over the same grants, clearance applied, same page."""
    def run():
        queryset = get_objects_for_user(user, "documents.view_carrier", klass=Carrier, accept_global_perms=False)
        queryset = queryset.filter(level__lte=clearance_of(user)).order_by("-id")
        if count:
            return Carrier.objects.filter(id__in=queryset.values("id")[: settings.SECRECY["LIST_COUNT_CAP"] + 1]).count()
        return list(queryset[: settings.SECRECY["LIST_PAGE_SIZE"] + 1])
    return run


def rows(*, repeat):
    out = []
    # Whole requests: the test client goes through every middleware, as a browser's request does,
    # minus the network. DEBUG stays off, so nothing is kept per query.
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        clients = {role: _client(name) for role, name in USERS.items()}
        users = {role: get_user_model().objects.get(username=name) for role, name in USERS.items()}
        for role, label in (("reader", "reader seeing 15.5 %"), ("registrar", "registrar seeing all"),
                            ("office", "保密办 seeing 1.5 %")):
            samples, queries = timed(_get(clients[role], "/carriers/"), repeat=repeat)
            out.append(Row(f"/carriers/ page 1 + count, {label}", samples, "≤ 150 ms", queries))
        for term, label in ((COMMON, "common (通知, 1 in 8)"), (RARE, "rare (雪龙, 1 in 9,973)")):
            for role in ("reader", "registrar"):
                samples, queries = timed(_get(clients[role], f"/carriers/?q={term}"), repeat=repeat)
                out.append(Row(f"title search {label}, {role}", samples, "≤ 300 ms", queries))
        for role in ("reader", "office"):
            page1 = timed(_get(clients[role], "/carriers/"), repeat=repeat)
            cursor = _last_page_cursor(users[role])
            samples, queries = timed(_get(clients[role], f"/carriers/?after={cursor}"), repeat=repeat)
            ratio = sorted(samples)[len(samples) // 2] / sorted(page1[0])[len(page1[0]) // 2]
            out.append(Row(f"last page (keyset, after={cursor}), {role}", samples, "≤ 1.2× page 1", queries,
                           f"{ratio:.2f}× page 1's median"))
        for role in ("reader", "office"):
            user = users[role]
            ours_page = timed(lambda u=user: selectors.carrier_page_visible_to(user=u), repeat=repeat)[0]
            theirs_page = timed(_guardian(user, count=False), repeat=repeat)[0]
            ours_count = timed(lambda u=user: selectors.carrier_count_visible_to(user=u), repeat=repeat)[0]
            theirs_count = timed(_guardian(user, count=True), repeat=repeat)[0]
            med = lambda s: sorted(s)[len(s) // 2]  # noqa: E731
            out.append(Row(f"page 1 selector, {role} (guardian: {med(theirs_page) * 1000:.0f} ms)", ours_page,
                           "≥ 5× faster than guardian", None, f"{med(theirs_page) / med(ours_page):.1f}× faster"))
            out.append(Row(f"capped count selector, {role} (guardian: {med(theirs_count) * 1000:.0f} ms)", ours_count,
                           "≥ 5× faster than guardian", None, f"{med(theirs_count) / med(ours_count):.1f}× faster"))
        for role in ("reader", "registrar", "office", "approver"):
            samples, queries = timed(_get(clients[role], "/"), repeat=repeat)
            out.append(Row(f"home page, {role}", samples, "≤ 150 ms", queries))
        samples, queries = timed(_get(clients["approver"], "/approvals/inbox/"), repeat=repeat)
        pending = approval_selectors.requests_inbox_count(user=users["approver"])
        out.append(Row(f"待办 inbox, {pending} pending, page 1 (50 a page)", samples, "≤ 200 ms", queries))
    return out


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    print(table(rows(repeat=parser.parse_args().repeat)))
