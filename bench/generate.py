"""Generate the issue-12 dataset: a ministry's carriers, people, 知悉范围 grants and pending requests.

    SECRECY_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/generate.py --carriers 1000000
    SECRECY_DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/generate.py --carriers 100000

At 1,000,000 carriers (every figure scales with --carriers):
  * 100 departments (each with its group, as personnel.services.department_create makes them);
  * 10,000 people (carriers / 100) with roles, department groups and 涉密人员 records: every
    department has a registrar (custodian of its carriers) and a leader (定密责任人 of its own
    carriers); the named users of bench/README.md have the figures the issue measures with;
  * the carriers, spread over the years 2017–2026 with gapless 统一编号 per year (the serial
    counters are advanced so registration goes on after them), one registration history row and one
    登记 流转记录 each; of the 2017–2019 ones about 1 in 25 归档, 清退 or 移交 (with its history row
    and 流转记录); titles built from a vocabulary with a common term (通知, ~1 in 8) and a rare
    one (雪龙, 1 in 9,973);
  * 3.05M personal grants (bench_reader 15 % of all carriers, bench_office 1 %, every other person
    290) and 515,000 department grants (0.515 % of the carriers per department);
  * 2,000 submitted 借阅 requests waiting for bench_approver, made through the real service.

Rows are written by set-based SQL (INSERT … SELECT over a series) into the project's own tables,
with column names taken from the models and checked against them, so the database's own constraints
(unique serials, foreign keys, checks) vet every row; people and requests go through the ORM and the
request service. What the generator does NOT write: audit events for the bulk rows (the audit log is
an HMAC chain whose every link is computed in order; nothing measured reads it).

The script refuses a database that already holds carriers of another origin; re-running it on a
finished bench database only re-analyses it.
"""
import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_django  # noqa: E402

setup_django()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from approvals.models import ApprovalRequest, RequestState  # noqa: E402
from documents.models import (  # noqa: E402
    Carrier, CarrierGroupScope, CarrierUserScope, CustodyEvent, SerialCounter,
)
from personnel.models import Department, PasswordState, Person, Role  # noqa: E402

PASSWORD = "Bench#2026x"
DEPARTMENTS = 100
YEARS = range(2017, 2027)
RARE_EVERY = 9973
PER_PERSON_GRANTS = 290
REQUESTS = 2000

# Named users (index in the people series -> what they are for).
REGISTRAR, READER, OFFICE, APPROVER = 0, 1, 2, 3
NAMED = {REGISTRAR: "bench_registrar", READER: "bench_reader", OFFICE: "bench_office", APPROVER: "bench_approver"}
FIRST_DEPT_REGISTRAR = 10      # people 10..109: the registrar of department (index - 10)
FIRST_DEPT_LEADER = 10 + DEPARTMENTS  # people 110..209: the leader of department (index - 110)
FIRST_ORDINARY = FIRST_DEPT_LEADER + DEPARTMENTS

TITLE_HEADS = ["关于", "关于进一步加强", "关于做好", "关于印发", "关于开展", "关于调整", "关于落实", "关于转发"]
TITLE_TOPICS = ["保密工作", "涉密载体管理", "年度预算", "干部任免", "安全生产", "科研项目", "网络安全", "信息化建设",
                "应急演练", "重点工程", "对外合作", "装备采购", "档案清理", "专项检查", "人才引进", "规划编制",
                "统计数据", "考核评价", "督查督办", "技术标准"]
TITLE_KINDS = ["通知", "报告", "请示", "意见", "方案", "纪要", "函", "批复"]
RARE_TERM = "雪龙"
COMMON_TERM = "通知"


def log(message, started=[time.monotonic()]):  # noqa: B006 — one clock for the whole run
    print(f"[{time.monotonic() - started[0]:7.1f} s] {message}", flush=True)


def is_pg():
    return connection.vendor == "postgresql"


def series_select(n, name="i"):
    """A SELECT yielding rows 1..n in a column `name` (generate_series, or a recursive CTE on SQLite)."""
    if is_pg():
        return f"SELECT {name} FROM generate_series(1, {int(n)}) AS g({name})"
    return (f"WITH RECURSIVE r({name}) AS (SELECT 1 UNION ALL SELECT {name} + 1 FROM r WHERE {name} < {int(n)}) "
            f"SELECT {name} FROM r")


def series(n, name="i", alias="s"):
    return f"({series_select(n, name)}) AS {alias}"


def case(expr, values):
    """CASE expr WHEN 0 THEN values[0] … END, for picking from a vocabulary."""
    whens = " ".join(f"WHEN {k} THEN '{v}'" for k, v in enumerate(values))
    return f"(CASE {expr} {whens} END)"


def lpad6(expr):
    return f"lpad(({expr})::text, 6, '0')" if is_pg() else f"substr('000000' || ({expr}), -6)"


def as_text(expr):
    return f"({expr})::text" if is_pg() else f"CAST(({expr}) AS TEXT)"


def plus_days(date_expr, days_expr):
    return f"({date_expr} + ({days_expr})::int)" if is_pg() else f"date({date_expr}, '+' || ({days_expr}) || ' days')"


def plus_years(date_expr, years_expr):
    if is_pg():
        return f"({date_expr} + make_interval(years => ({years_expr})::int))::date"
    return f"date({date_expr}, '+' || ({years_expr}) || ' years')"


def year_start(year_expr):
    return f"make_date(({year_expr})::int, 1, 1)" if is_pg() else f"(({year_expr}) || '-01-01')"


def to_timestamp(date_expr):
    return f"(({date_expr})::timestamp AT TIME ZONE 'UTC')" if is_pg() else f"(({date_expr}) || ' 01:00:00')"


def execute(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def check_columns(model, columns):
    """Every concrete column of the model is written, and nothing else: a model change that adds a
    NOT NULL column fails here, not as a half-made dataset."""
    expected = {f.column for f in model._meta.concrete_fields}
    if set(columns) != expected:
        raise SystemExit(f"{model.__name__}: generator columns differ from the model: "
                         f"missing {sorted(expected - set(columns))}, unknown {sorted(set(columns) - expected)}")


# ------------------------------------------------------------------------------------ people


def make_people(n_people):
    User = get_user_model()
    if User.objects.filter(username="bench_registrar").exists():
        log("people exist; keeping them")
        return
    now = timezone.now()
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
    departments = []
    for d in range(DEPARTMENTS):
        code = "bench-office" if d == 0 else f"bench-{d:03d}"
        name = "保密办公室" if d == 0 else f"第{d:03d}业务司"
        group, _ = Group.objects.get_or_create(name=f"dept:{code}")
        departments.append(Department(name=name, code=code, group=group, is_secrecy_office=d == 0,
                                      is_personnel_office=d == 1))
    departments = Department.objects.bulk_create(departments)
    password = make_password(PASSWORD)
    users = []
    for u in range(n_people):
        username = NAMED.get(u, f"bench_u{u:05d}")
        users.append(User(username=username, password=password, is_active=True, date_joined=now))
    users = User.objects.bulk_create(users, batch_size=2000)
    users = list(User.objects.filter(username__in=[u.username for u in users]).order_by("id"))
    by_name = {u.username: u for u in users}
    users = [by_name[NAMED.get(u, f"bench_u{u:05d}")] for u in range(n_people)]
    classes = ["core", "core", "important", "important", "important", "important",
               "general", "general", "general", "general"]
    people, memberships, served = [], [], []
    Membership = User.groups.through
    Served = Person.served_departments.through

    def dept_of(u):
        if u in (REGISTRAR, OFFICE):
            return 0
        if FIRST_DEPT_REGISTRAR <= u < FIRST_DEPT_LEADER:
            return u - FIRST_DEPT_REGISTRAR
        if FIRST_DEPT_LEADER <= u < FIRST_ORDINARY:
            return u - FIRST_DEPT_LEADER
        return u % DEPARTMENTS

    for u, user in enumerate(users):
        roles = [Role.READER]
        person_class = classes[u % 10]
        authority = classification = 0
        if u in (REGISTRAR, READER, OFFICE, APPROVER) or FIRST_DEPT_REGISTRAR <= u < FIRST_ORDINARY:
            person_class = "core"
        if u == REGISTRAR or FIRST_DEPT_REGISTRAR <= u < FIRST_DEPT_LEADER:
            roles.append(Role.REGISTRAR)
        if u == OFFICE:
            roles.append(Role.SECRECY_OFFICE)
        if u == APPROVER or FIRST_DEPT_LEADER <= u < FIRST_ORDINARY:
            roles.append(Role.APPROVER)
            authority = classification = 4
        department = departments[dept_of(u)]
        full_name = {REGISTRAR: "基准机要秘书", READER: "基准阅文人", OFFICE: "基准保密办", APPROVER: "基准领导"}.get(
            u, f"人员{u:05d}")
        people.append(Person(
            user=user, full_name=full_name, department=department, post="", person_class=person_class,
            review_passed=True, review_date=dt.date(2025, 6, 1), commitment_signed_on=dt.date(2025, 6, 1),
            approval_authority=authority, classification_authority=classification, status="on_post",
            secret_post_since=dt.date(2020, 1, 1), top_secret_registrar=Role.REGISTRAR in roles,
        ))
        memberships.append(Membership(user_id=user.pk, group_id=department.group_id))
        memberships.extend(Membership(user_id=user.pk, group_id=groups[r].pk) for r in roles)
    people = Person.objects.bulk_create(people, batch_size=2000)
    people = {p.user_id: p for p in Person.objects.filter(user__in=users)}
    served.extend(Served(person_id=people[users[REGISTRAR].pk].pk, department_id=d.pk) for d in departments)
    for d, department in enumerate(departments):
        served.append(Served(person_id=people[users[FIRST_DEPT_REGISTRAR + d].pk].pk, department_id=department.pk))
    Membership.objects.bulk_create(memberships, batch_size=5000)
    Served.objects.bulk_create(served)
    PasswordState.objects.bulk_create([PasswordState(user=u, changed_at=now, must_change=False) for u in users],
                                      batch_size=5000)
    log(f"{len(users)} people in {len(departments)} departments")


def people_ids():
    """(user ids by people index, department ids by index, registrar ids by department, leader ids by department)."""
    User = get_user_model()
    users = dict(User.objects.filter(username__startswith="bench_").values_list("username", "id"))
    n = len(users)
    ids = [users[NAMED.get(u, f"bench_u{u:05d}")] for u in range(n)]
    departments = list(Department.objects.filter(code__startswith="bench-").order_by("id").values_list("id", flat=True))
    return ids, departments


def contiguous(ids, what):
    if ids != list(range(ids[0], ids[0] + len(ids))):
        raise SystemExit(f"{what} ids are not contiguous; generate into a fresh database")
    return ids[0]


# ---------------------------------------------------------------------------------- carriers


def make_carriers(n, user_ids, dept_ids):
    table = Carrier._meta.db_table
    if Carrier.objects.exists():
        if Carrier.objects.filter(registry=settings.SECRECY["REGISTRY_CODE"], title__startswith="关于").count() >= n:
            log("carriers exist; keeping them")
            return
        raise SystemExit("this database already holds other carriers; generate into a fresh database")
    user0 = contiguous(user_ids, "user")
    dept0 = contiguous(dept_ids, "department")
    per_year = -(-n // len(YEARS))
    h = "(CAST(i AS BIGINT) * 2654435761 % 1000003)"   # a fixed scramble of i, the same on both databases
    level = f"(CASE WHEN {h} % 20 < 4 THEN 1 WHEN {h} % 20 < 11 THEN 2 WHEN {h} % 20 < 18 THEN 3 ELSE 4 END)"
    year = f"({YEARS.start} + (i - 1) / {per_year})"
    number = f"((i - 1) % {per_year} + 1)"
    dept = f"(i % {DEPARTMENTS})"
    direction = "(CASE i % 3 WHEN 0 THEN 'in' WHEN 1 THEN 'out' ELSE 'internal' END)"
    registrar = f"({user0} + {FIRST_DEPT_REGISTRAR} + {dept})"
    leader = f"({user0} + {FIRST_DEPT_LEADER} + {dept})"
    start = plus_days(year_start(year), f"((i - 1) % {per_year}) * 330 / {per_year}")
    title = (f"{case(f'{h} % {len(TITLE_HEADS)}', TITLE_HEADS)} || {case(f'(i / 7) % {len(TITLE_TOPICS)}', TITLE_TOPICS)}"
             f" || (CASE WHEN i % {RARE_EVERY} = 0 THEN '{RARE_TERM}专项' ELSE '' END) || '的'"
             f" || {case(f'(i / 3) % {len(TITLE_KINDS)}', TITLE_KINDS)}")
    years_of_level = "(CASE lvl WHEN 2 THEN 10 WHEN 3 THEN 20 ELSE 30 END)"
    columns = {
        "serial": f"{as_text(year)} || '-' || {lpad6(number)}",
        "registry": f"'{settings.SECRECY['REGISTRY_CODE']}'",
        "serial_year": year, "serial_number": number, "direction": direction, "title": title,
        "doc_number": f"'基准〔' || {as_text(year)} || '〕' || {as_text(number)} || '号'",
        # documents.search.normalize_doc_number of the 文号 above, as Carrier.save() would store it.
        "doc_number_norm": f"'基准(' || {as_text(year)} || ')' || {as_text(number)} || '号'",
        "issuer": f"(CASE i % 3 WHEN 0 THEN '上级机关办公厅' ELSE '' END)",
        "recipients": "(CASE i % 3 WHEN 1 THEN '各司局' ELSE '' END)",
        "kind": "(CASE i % 20 WHEN 0 THEN 'disc' WHEN 1 THEN 'removable' ELSE 'paper' END)",
        "device_serial": f"(CASE WHEN i % 20 < 2 THEN 'SN' || {as_text('i')} ELSE '' END)",
        "attachments": "''", "level": "lvl",
        "period_kind": "(CASE WHEN lvl > 1 THEN 'term' ELSE '' END)",
        "period_value": f"(CASE WHEN lvl > 1 THEN {years_of_level} END)",
        "period_unit": "(CASE WHEN lvl > 1 THEN 'year' ELSE '' END)",
        "declassify_date": "NULL", "declassify_condition": "''", "period_defaulted": "FALSE" if is_pg() else "0",
        "period_special": "FALSE" if is_pg() else "0", "period_special_reason": "''", "long_term_basis": "''",
        "start_date": "start_on",
        "declassify_on": f"(CASE WHEN lvl > 1 THEN {plus_years('start_on', years_of_level)} END)",
        "scope_note": "''", "basis": f"(CASE WHEN lvl > 1 THEN '保密事项范围第' || {as_text('i % 30 + 1')} || '项' ELSE '' END)",
        "drafter_id": f"(CASE WHEN i % 3 = 0 THEN NULL ELSE {user0} + {FIRST_ORDINARY} + (i % {len(user_ids) - FIRST_ORDINARY}) END)",
        "classifier_id": f"(CASE WHEN i % 3 = 0 OR lvl = 1 THEN NULL ELSE {leader} END)",
        "copy_number": "(i % 50 + 1)", "copies": "1", "pages": f"{as_text('i % 40 + 1')} || '页'", "urgency": "''",
        "doc_date": "start_on", "signed_by": "(CASE i % 3 WHEN 0 THEN '收文人' ELSE '' END)",
        "transmission": "(CASE i % 3 WHEN 0 THEN 'jiyao_tongxin' ELSE '' END)",
        "department_id": f"({dept0} + {dept})", "location": "'机要室'", "custodian_id": registrar,
        "custody_status": "'in_registry'", "secrecy_status": "'classified'", "notes": "''", "original_id": "NULL",
        "source_request_id": "NULL", "copy_stamp": "''", "registered_at": to_timestamp("start_on"),
        "registered_by_id": registrar,
    }
    columns = {"id": "i", **columns}
    check_columns(Carrier, columns)
    # Inner select computes level and start date once per row; ids are the series so grants can
    # address carriers arithmetically.
    inner = f"SELECT i, {level} AS lvl, {start} AS start_on FROM {series(n)}"
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
           f"SELECT {', '.join(columns.values())} FROM ({inner}) AS g")
    with transaction.atomic():
        execute(sql)
        if is_pg():
            execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n})")
        for offset, y in enumerate(YEARS):
            last = max(0, min(per_year, n - offset * per_year))
            if last:
                SerialCounter.objects.update_or_create(registry=settings.SECRECY["REGISTRY_CODE"], year=y,
                                                       defaults={"last_value": last})
    log(f"{n} carriers")
    history = Carrier.history.model
    not_in_history = ("registered_at", "doc_number_norm")
    carrier_cols = [f.column for f in Carrier._meta.concrete_fields if f.column not in not_in_history]
    hist_columns = {c: c for c in carrier_cols}
    hist_columns.update({"history_date": "registered_at", "history_change_reason": "NULL", "history_type": "'+'",
                         "history_user_id": "registered_by_id"})
    hist_columns["history_id"] = "id"
    check_columns(history, hist_columns)
    with transaction.atomic():
        execute(f"INSERT INTO {history._meta.db_table} ({', '.join(hist_columns)}) "
                f"SELECT {', '.join(hist_columns.values())} FROM {table}")
        if is_pg():
            execute(f"SELECT setval(pg_get_serial_sequence('{history._meta.db_table}', 'history_id'), {n})")
    log(f"{n} registration history rows")
    custody = {"id": "id", "carrier_id": "id", "action": "'registered'", "at": "registered_at",
               "from_user_id": "NULL", "to_user_id": "registered_by_id", "from_status": "''",
               "to_status": "'in_registry'", "recorded_by_id": "registered_by_id", "approval_ref": "''",
               "receiver": "''", "receipt_number": "''", "note": "''"}
    check_columns(CustodyEvent, custody)
    with transaction.atomic():
        execute(f"INSERT INTO {CustodyEvent._meta.db_table} ({', '.join(custody)}) "
                f"SELECT {', '.join(custody.values())} FROM {table}")
        if is_pg():
            execute(f"SELECT setval(pg_get_serial_sequence('{CustodyEvent._meta.db_table}', 'id'), {n})")
    log(f"{n} 登记 custody events")


# Carriers that have left the registry, as a unit's 台账 holds them: 归档, 清退 (incoming ones) and
# 移交, from the early years. (id remainder, status, custody action, word, receiver)
DISPOSITIONS = [
    (7, "archived", "archived", "归档", "档案室"),
    (11, "returned", "returned_to_issuer", "清退", "上级机关办公厅"),
    (13, "transferred", "transferred", "移交", "某某部机要局"),
]


def later(timestamp):
    """The moment 400 days after a timestamp column (when an early carrier left the registry)."""
    return f"({timestamp} + interval '400 days')" if is_pg() else f"datetime({timestamp}, '+400 days')"


def make_dispositions(n):
    """Some early carriers 归档 / 清退 / 移交, each with the history row and 流转记录 the services
    write (documents.services_disposal._leave): the statuses a register filters on are then spread
    as in a real 台账, not all 在库."""
    table, history = Carrier._meta.db_table, Carrier.history.model
    if Carrier.objects.exclude(custody_status="in_registry").exists():
        log("dispositions exist; keeping them")
        return
    not_in_history = ("registered_at", "doc_number_norm")
    carrier_cols = [f.column for f in Carrier._meta.concrete_fields if f.column not in not_in_history]
    total = 0
    with transaction.atomic():
        for remainder, status, action, word, receiver in DISPOSITIONS:
            where = f"id % 25 = {remainder} AND serial_year <= 2019" + (" AND direction = 'in'" if status == "returned" else "")
            total += execute(f"UPDATE {table} SET custody_status = '{status}' WHERE {where}")
            receipt = f"'{word}' || {as_text('id')}"
            hist = {c: c for c in carrier_cols}
            hist.update({"history_date": later("registered_at"),
                         "history_change_reason": f"'移出：{word}（{receiver}，' || {receipt} || '）'",
                         "history_type": "'~'", "history_user_id": "registered_by_id"})
            execute(f"INSERT INTO {history._meta.db_table} ({', '.join(hist)}) "
                    f"SELECT {', '.join(hist.values())} FROM {table} WHERE {where}")
            custody = {"carrier_id": "id", "action": f"'{action}'",
                       "at": later("registered_at"),
                       "from_user_id": "custodian_id", "to_user_id": "NULL", "from_status": "'in_registry'",
                       "to_status": f"'{status}'", "recorded_by_id": "registered_by_id", "approval_ref": "''",
                       "receiver": f"'{receiver}'", "receipt_number": receipt, "note": "''"}
            execute(f"INSERT INTO {CustodyEvent._meta.db_table} ({', '.join(custody)}) "
                    f"SELECT {', '.join(custody.values())} FROM {table} WHERE {where}")
    log(f"{total} carriers 归档, 清退 or 移交")


def make_grants(n, user_ids, dept_ids):
    if CarrierUserScope.objects.exists():
        log("grants exist; keeping them")
        return
    user0 = contiguous(user_ids, "user")
    perm = Permission.objects.get(codename="view_carrier", content_type__app_label="documents").pk
    users_table, groups_table = CarrierUserScope._meta.db_table, CarrierGroupScope._meta.db_table
    check_columns(CarrierUserScope, ["id", "permission_id", "user_id", "content_object_id"])
    check_columns(CarrierGroupScope, ["id", "permission_id", "group_id", "content_object_id"])
    with transaction.atomic():
        # bench_reader: 15 % of all carriers; bench_office: 1 %.
        made = execute(f"INSERT INTO {users_table} (permission_id, user_id, content_object_id) "
                       f"SELECT {perm}, {user_ids[READER]}, i FROM {series(n)} WHERE i % 20 IN (3, 9, 15)")
        made += execute(f"INSERT INTO {users_table} (permission_id, user_id, content_object_id) "
                        f"SELECT {perm}, {user_ids[OFFICE]}, i FROM {series(n)} WHERE i % 100 = 17")
        # Everyone from the department registrars on: 290 carriers each, spread over the table
        # (k * step < n keeps one person's carriers distinct).
        people = len(user_ids) - FIRST_DEPT_REGISTRAR
        per, step = person_grants(n)
        pairs = f"SELECT u, k - 1 AS k FROM {series(people, 'u', 'su')} CROSS JOIN {series(per, 'k', 'sk')}"
        made += execute(f"INSERT INTO {users_table} (permission_id, user_id, content_object_id) "
                        f"SELECT {perm}, {user0} + {FIRST_DEPT_REGISTRAR} - 1 + u, "
                        f"(CAST(u AS BIGINT) * 7919 + k * {step}) % {n} + 1 FROM ({pairs}) AS p")
    log(f"{made} personal grants")
    groups = list(Department.objects.filter(pk__in=dept_ids).order_by("id").values_list("group_id", flat=True))
    per_dept = n * 515 // 100000
    with transaction.atomic():
        made = 0
        for d, group in enumerate(groups):
            made += execute(f"INSERT INTO {groups_table} (permission_id, group_id, content_object_id) "
                            f"SELECT {perm}, {group}, ((CAST(i AS BIGINT) - 1) * 193 + {d} * 104729) % {n} + 1 "
                            f"FROM {series(per_dept)}")
    log(f"{made} department grants")


def person_grants(n):
    """(grants per person, stride between their carriers) for a dataset of n carriers."""
    per = min(PER_PERSON_GRANTS, n)
    return per, max(1, n // per)


def person_grant(n, index, k):
    """The id of the k-th carrier granted to the person at `index` (the formula of make_grants)."""
    per, step = person_grants(n)
    u = index - FIRST_DEPT_REGISTRAR + 1
    return (u * 7919 + k * step) % n + 1


def make_requests(count, user_ids):
    from approvals.kinds.lend import loan_request_create
    from secrecy.errors import DomainError

    pending = ApprovalRequest.objects.filter(state=RequestState.SUBMITTED).count()
    if pending >= count:
        log(f"{pending} pending requests exist; keeping them")
        return
    User = get_user_model()
    n = Carrier.objects.count()
    per, _ = person_grants(n)
    due = timezone.localdate() + dt.timedelta(days=3650)
    made = pending
    ordinary = [User.objects.get(pk=user_ids[u]) for u in range(FIRST_ORDINARY, len(user_ids))]
    for k in range(per):
        for index, actor in enumerate(ordinary, start=FIRST_ORDINARY):
            if made >= count:
                break
            # Not 绝密: a 绝密 loan is read on site the same day and would fall due at once.
            carrier = Carrier.objects.filter(pk=person_grant(n, index, k), level__lte=3).first()
            if carrier is None:
                continue
            try:
                loan_request_create(actor=actor, carrier=carrier, due_date=due, reason="基准测试借阅")
            except DomainError:  # the service's refusal (clearance, an open loan): try the next one
                continue
            made += 1
            if made % 500 == 0:
                log(f"{made} requests")
    log(f"{made} submitted loan requests")


def analyse():
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if is_pg() else "ANALYZE")
    log("analysed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carriers", type=int, default=1000000)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    args = parser.parse_args()
    log(f"database {connection.vendor} {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)
    log("migrated")
    make_people(max(400, args.carriers // 100))
    user_ids, dept_ids = people_ids()
    make_carriers(args.carriers, user_ids, dept_ids)
    make_dispositions(args.carriers)
    make_grants(args.carriers, user_ids, dept_ids)
    make_requests(args.requests, user_ids)
    analyse()
    log(f"done: {Carrier.objects.count()} carriers, {CarrierUserScope.objects.count()} personal and "
        f"{CarrierGroupScope.objects.count()} department grants, "
        f"{ApprovalRequest.objects.filter(state=RequestState.SUBMITTED).count()} submitted requests")


if __name__ == "__main__":
    main()
