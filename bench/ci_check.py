"""The small bench CI runs (issue 12 §7): figures that do not depend on the machine.

    SECRECY_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_ci .venv/bin/python bench/ci_check.py

On a freshly generated PostgreSQL dataset of 20,000 carriers (bench/generate.py) it asserts:
  * the SQL queries of each page — list page 1, a deep page, two searches, the home page, the
    inbox — stay within MAX_QUERIES, and (with --against) equal those of a dataset of another size;
  * the plans of the list page, the count, a rare-term search and a 文号 search read carriers and
    grants through their indexes (EXPLAIN: no sequential scan of documents_carrier or of either grant
    table — but for the count of the registrar who sees the whole table — and the searches use
    carrier_search_grams_idx, the rare term carrier_party_grams_idx (来文/发往单位) too).
Never a wall-clock time. Exits non-zero with the offending plan or count.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup_django  # noqa: E402

setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from documents import selectors  # noqa: E402

ROLES = ["bench_reader", "bench_registrar", "bench_office", "bench_approver"]
PAGES = ["/carriers/", "/carriers/?after=5000", "/carriers/?q=雪龙", "/carriers/?q=通知", "/"]
MAX_QUERIES = 12
TABLES = ("documents_carrier ", "documents_carrieruserscope", "documents_carriergroupscope")
failures = []


def queries_per_page():
    counts = {}
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        for username in ROLES:
            client = Client()
            client.force_login(get_user_model().objects.get(username=username))
            for url in PAGES + (["/approvals/inbox/"] if username == "bench_approver" else []):
                client.get(url)  # first request warms the session
                with CaptureQueriesContext(connection) as ctx:
                    status = client.get(url).status_code
                if status != 200:
                    failures.append(f"{username} {url}: HTTP {status}")
                counts[(username, url)] = len(ctx.captured_queries)
    return counts


def plan_of(run):
    with CaptureQueriesContext(connection) as ctx:
        run()
    plans = []
    for query in ctx.captured_queries:
        if "documents_carrier" not in query["sql"]:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + query["sql"])
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def check_plans():
    users = {name: get_user_model().objects.get(username=name) for name in ROLES}
    cases = []
    for name, user in users.items():
        # The one exception: counting for the registrar who serves every department is reading
        # the whole table, and PostgreSQL may rightly read it in storage order, stopped at the
        # count's cap (a Limit over the scan); an index would only add lookups. The grant tables
        # are never read whole, by anyone.
        whole_table = name == "bench_registrar"
        cases += [(f"page 1 {name}", lambda u=user: selectors.carrier_page_visible_to(user=u), None, TABLES),
                  (f"count {name}", lambda u=user: selectors.carrier_count_visible_to(user=u), None,
                   TABLES[1:] if whole_table else TABLES),
                  # A rare term is looked for in title, 文号, 来文单位 and 发往单位: both grams indexes.
                  (f"rare search {name}", lambda u=user: selectors.carrier_page_visible_to(
                      user=u, filters={"q": "雪龙"}), ("carrier_search_grams_idx", "carrier_party_grams_idx"),
                   TABLES),
                  # A 文号 written with other brackets than stored (基准〔2021〕1234号): the
                  # normalised 文号 through the grams index.
                  (f"doc number search {name}", lambda u=user: selectors.carrier_page_visible_to(
                      user=u, filters={"q": "基准[2021]1234号"}), ("carrier_search_grams_idx",), TABLES)]
    for label, run, must_use, tables in cases:
        for plan in plan_of(run):
            scans = [line.strip() for line in plan.splitlines()
                     if "Seq Scan on" in line and any(f"Seq Scan on {t.strip()} " in line + " " for t in tables)]
            if scans:
                failures.append(f"{label}: sequential scan: {scans}\n{plan}")
            for index in must_use or ():
                if index not in plan:
                    failures.append(f"{label}: {index} not used\n{plan}")
        print(f"plan ok: {label}" if not any(f.startswith(label) for f in failures) else f"PLAN FAILED: {label}")


def main():
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", help="write the query counts to this JSON file")
    parser.add_argument("--against", help="fail unless the query counts equal those saved in this JSON file "
                                          "(made on a dataset of another size)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/ci_check.py needs PostgreSQL (the plans it checks are PostgreSQL's)")
    from documents.models import Carrier

    carriers = Carrier.objects.count()
    counts = {f"{user} {url}": count for (user, url), count in queries_per_page().items()}
    check_plans()
    earlier = json.loads(Path(args.against).read_text()) if args.against else {}
    for key, count in counts.items():
        then = earlier.get("counts", {}).get(key)
        print(f"queries {count:3d}" + (f" (was {then} at {earlier['carriers']:,} carriers)" if then is not None else "")
              + f"  {key}")
        if then is not None and then != count:
            failures.append(f"{key}: {count} queries at {carriers:,} carriers, {then} at {earlier['carriers']:,}")
        if count > MAX_QUERIES:
            failures.append(f"{key}: {count} queries (more than {MAX_QUERIES})")
    if args.save:
        Path(args.save).write_text(json.dumps({"carriers": carriers, "counts": counts}))
    if failures:
        print("\n\n".join(failures), file=sys.stderr)
        sys.exit(1)
    print(f"ci_check: {carriers:,} carriers, {len(counts)} pages within {MAX_QUERIES} queries"
          + (", the same counts as at " + f"{earlier['carriers']:,}" if earlier else "")
          + "; list, count and search plans use their indexes")


if __name__ == "__main__":
    main()
