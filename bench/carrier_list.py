"""Benchmark: the carrier list, count and detail lookup at scale (ARCHITECTURE.md, "a million carriers").

Generates N carriers with bulk inserts (the read path is what is measured), then times the
first page, the capped count, a deep keyset page and a detail lookup for a registrar, a reader
with grants and a reader without. Prints figures; asserts nothing.

    SECRECY_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \
        .venv/bin/python bench/carrier_list.py --carriers 100000

Use a throwaway database: the script migrates it and adds rows.
"""
import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secrecy.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Permission  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from documents import selectors  # noqa: E402
from documents.models import Carrier, CarrierGroupScope, CarrierUserScope  # noqa: E402
from personnel import services as personnel_services  # noqa: E402
from personnel.models import Department, Role  # noqa: E402


def ensure_people():
    User = get_user_model()
    if Department.objects.filter(code="bench-a").exists():
        return User.objects.get(username="bench_registrar"), User.objects.get(username="bench_reader"), \
            User.objects.get(username="bench_outsider"), list(Department.objects.filter(code__startswith="bench-"))
    depts = [personnel_services.department_create(actor=None, name=f"基准部门{c}", code=f"bench-{c}") for c in "abcd"]

    def person(username, cls, dept, roles, served=()):
        user = User.objects.create_user(username, password="Bench#2026x")
        personnel_services.person_save(actor=None, user=user, full_name=username, department=dept, person_class=cls,
                                       review_passed=True, commitment_signed_on=dt.date(2025, 1, 1),
                                       served_departments=list(served))
        for role in roles:
            personnel_services.role_grant(actor=None, user=user, role=role)
        return User.objects.get(pk=user.pk)

    registrar = person("bench_registrar", "core", depts[0], [Role.REGISTRAR], served=depts[:2])
    reader = person("bench_reader", "important", depts[2], [Role.READER])
    outsider = person("bench_outsider", "general", depts[3], [Role.READER])
    return registrar, reader, outsider, depts


def generate(n, registrar, reader, depts, batch=5000):
    rng = random.Random(7)
    start = Carrier.objects.count()
    perm = Permission.objects.get(codename="view_carrier")
    year = 2000 + (start // 900000)
    made = 0
    while made < n:
        size = min(batch, n - made)
        rows = []
        for i in range(size):
            number = start + made + i + 1
            level = rng.choice([1, 2, 2, 3, 3, 4])
            rows.append(Carrier(
                serial=f"B{number:09d}", registry="bench", serial_year=year, serial_number=number,
                direction=rng.choice(["in", "out", "internal"]), title=f"基准载体{number}", kind="paper",
                level=level, period_kind="term" if level > 1 else "", period_value=5 if level > 1 else None,
                period_unit="year" if level > 1 else "", start_date=dt.date(2024, 1, 1), doc_date=dt.date(2024, 1, 1),
                department=rng.choice(depts), custodian=registrar if rng.random() < 0.3 else None,
                registered_by=registrar, copy_number=number % 999999 + 1,
            ))
        created = Carrier.objects.bulk_create(rows)
        grants = [CarrierUserScope(user=reader, permission=perm, content_object=c) for c in created if rng.random() < 0.05]
        CarrierUserScope.objects.bulk_create(grants)
        groups = [CarrierGroupScope(group=depts[2].group, permission=perm, content_object=c)
                  for c in created if rng.random() < 0.05]
        CarrierGroupScope.objects.bulk_create(groups)
        made += size
        print(f"  generated {start + made} carriers", flush=True)


def timed(fn, repeat=5):
    samples = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1000)
        queries = len(ctx.captured_queries)
    return statistics.median(samples), queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carriers", type=int, default=20000, help="carriers to add before measuring")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    registrar, reader, outsider, depts = ensure_people()
    if args.carriers:
        generate(args.carriers, registrar, reader, depts)
    total = Carrier.objects.count()
    print(f"database: {connection.vendor}, carriers: {total}")
    for label, user in (("registrar", registrar), ("reader with grants", reader), ("reader without", outsider)):
        first = lambda u=user: selectors.carrier_page_visible_to(user=u)  # noqa: E731
        count = lambda u=user: selectors.carrier_count_visible_to(user=u)  # noqa: E731
        page = selectors.carrier_page_visible_to(user=user)
        cursor = page["older_cursor"]
        deep = lambda u=user, c=cursor: selectors.carrier_page_visible_to(user=u, after=(c or 0) // 2)  # noqa: E731
        filtered = lambda u=user: selectors.carrier_page_visible_to(user=u, filters={"level": "3", "q": "基准载体1"})  # noqa: E731
        some = Carrier.objects.order_by("?").values_list("pk", flat=True).first()

        def detail(u=user, pk=some):
            try:
                selectors.carrier_get_for_user(user=u, pk=pk)
            except Exception:
                pass

        for name, fn in (("first page", first), ("capped count", count), ("deep keyset page", deep),
                         ("filtered page", filtered), ("detail lookup", detail)):
            ms, queries = timed(fn)
            print(f"{label:20} {name:18} {ms:9.1f} ms  {queries} queries")


if __name__ == "__main__":
    main()
