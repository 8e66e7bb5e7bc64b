"""Shared fixtures: a small unit shaped like the demo (SPEC §14) built through the services."""
import datetime as dt
import functools

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from personnel import services as personnel_services
from personnel.models import Role
from tests.dbstate import ModuleCast, SharedDemo, module_cast_of, module_of, stage_builder, stage_key, wants_module_cast

PASSWORD = "Secrecy#2026"


@pytest.fixture(autouse=True, scope="session")
def _audit_key(tmp_path_factory):
    """A test-only audit key (issue 11 §4) for the whole session, module-scoped fixtures included,
    so no test depends on var/. Its path is also handed to each test by _test_settings."""
    from django.test.utils import override_settings

    from audits.chain import create_key_file

    path = tmp_path_factory.mktemp("audit-key") / "audit.key"
    create_key_file(path)
    with override_settings(SECRECY_AUDIT_KEY_FILE=path,
                           SECRECY_AUDIT_HEADS_FILE=tmp_path_factory.mktemp("audit-heads") / "audit-heads.log"):
        yield path


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test databases on PostgreSQL commit without waiting for the WAL flush: migrating each
    worker's database and flushing after every transactional test are hundreds of commits, and a
    test database that a crash would lose needs no durability. Set on the test connections only
    (libpq options, like settings' jit=off), never on the server. pytest-django's own fixture
    (the per-worker name suffix) still runs first."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].startswith("django.db.backends.postgresql"):
        options = database.setdefault("OPTIONS", {})
        options["options"] = (options.get("options", "") + " -c synchronous_commit=off").strip()


@pytest.fixture(autouse=True, scope="session")
def _sqlite_flush_passes_the_audit_triggers():
    """On SQLite the audit log refuses DELETE (audits migration 0005), and Django's flush, which
    ends every transactional test (live_server, transaction=True), is a DELETE there. PostgreSQL
    flushes with TRUNCATE, which its trigger lets through; to flush SQLite alike, the flush drops
    the two triggers, empties the tables and creates them again, all in the flush's transaction."""
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    # Through the backend's base module: importing sqlite3.operations first is a circular import.
    from django.db.backends.sqlite3.base import DatabaseOperations

    triggers = importlib.import_module("audits.migrations.0005_sqlite_append_only_trigger")
    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        if statements and "audits_auditevent" in tables:
            statements = [*(f"{s};" for s in triggers.DROP), *statements, *(f"{s};" for s in triggers.CREATE)]
        return statements

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


# What every test runs with, and what the module-wide demo cast is built with.
TEST_SETTINGS = dict(
    CELERY_TASK_ALWAYS_EAGER=True,
    # PBKDF2 costs seconds per demo cast; the hasher is not what these tests are about.
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    # Every test client builds its own middleware chain, and WhiteNoise, unless it looks files up
    # per request, indexes all ~800 collected static files when built: 20 ms per client, about
    # half of a short page test. The lookup per request is WhiteNoise's own development mode and
    # serves the same files with the same headers (tests that fetch /static/ still do).
    WHITENOISE_AUTOREFRESH=True,
)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, _audit_key):
    for name, value in TEST_SETTINGS.items():
        setattr(settings, name, value)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    # Each test appends its own daily heads (audits.jobs), so none sees another's.
    settings.SECRECY_AUDIT_KEY_FILE = _audit_key
    settings.SECRECY_AUDIT_HEADS_FILE = tmp_path / "audit-heads.log"


def make_user(username, *, department, roles=(), person_class="", approval=0, classification=0,
              served=(), principal=False, review=True, commitment=True, full_name=None):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    personnel_services.person_save(
        actor=None, user=user, full_name=full_name or username, department=department,
        person_class=person_class, review_passed=review,
        review_date=dt.date(2025, 3, 1) if review else None,
        commitment_signed_on=dt.date(2025, 3, 2) if commitment else None,
        approval_authority=approval, classification_authority=classification, is_principal=principal,
        served_departments=list(served),
    )
    for role in roles:
        personnel_services.role_grant(actor=None, user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


class Unit(dict):
    __getattr__ = dict.__getitem__


DEPARTMENTS = ("office", "secrecy_office", "business")


def build_cast():
    """Departments and the demo cast (SPEC §14), through the services: {name: pk}."""
    office = personnel_services.department_create(actor=None, name="办公室", code="office")
    secrecy_office = personnel_services.department_create(actor=None, name="保密办", code="secrecy", is_secrecy_office=True)
    business = personnel_services.department_create(actor=None, name="业务一处", code="biz1")
    depts = [office, secrecy_office, business]
    people = {
        "mishu": make_user("mishu", department=office, roles=[Role.REGISTRAR], person_class="core", served=depts),
        "zhuren": make_user("zhuren", department=office, roles=[Role.APPROVER], person_class="core",
                            approval=4, classification=4, principal=True),
        "lingdao": make_user("lingdao", department=business, roles=[Role.APPROVER], person_class="important", approval=3),
        "baomi": make_user("baomi", department=secrecy_office, roles=[Role.SECRECY_OFFICE], person_class="important"),
        "lisi": make_user("lisi", department=business, roles=[Role.READER], person_class="important"),
        "zhangsan": make_user("zhangsan", department=business, roles=[Role.READER], person_class="general"),
        "wangwu": make_user("wangwu", department=business, roles=[Role.READER]),
        "sysadmin": make_user("sysadmin", department=office, roles=[Role.SYSADMIN]),
        "secadmin": make_user("secadmin", department=secrecy_office, roles=[Role.SECURITY_ADMIN]),
        "auditor": make_user("auditor", department=secrecy_office, roles=[Role.AUDITOR]),
    }

    # LAW24 art. 26: the 主要负责人 designates the 机要秘书 for 绝密 carriers (专人管理).
    personnel_services.person_designate(actor=people["zhuren"], user=people["mishu"], field="top_secret_registrar",
                                        designated=True)
    return {"office": office.pk, "secrecy_office": secrecy_office.pk, "business": business.pk,
            **{name: user.pk for name, user in people.items()}}


def build_unit(extend=None):
    """build_cast(), then the module's own people (module_cast_of) on top: {name: pk}."""
    pks = build_cast()
    if extend is not None:
        pks.update({name: user.pk for name, user in extend(load_cast(pks)).items()})
    return pks


def load_cast(pks):
    """Fresh instances of the cast, read back from the database: nothing one test sets on an
    instance (a cached role set, an edited field) reaches the next. Departments come with their
    group, as department_create returns them, so query counts stay what they were."""
    from personnel.models import Department

    departments = Department.objects.select_related("group").in_bulk([pks[name] for name in DEPARTMENTS])
    users = get_user_model().objects.in_bulk([pk for name, pk in pks.items() if name not in DEPARTMENTS])
    return Unit({name: (departments if name in DEPARTMENTS else users)[pk] for name, pk in pks.items()})


MODULE_CAST = ModuleCast()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if SHARED_DEMO.is_open and "demo" not in item.fixturenames and touches_database(item):
        SHARED_DEMO.close()
    if MODULE_CAST.stage.key != stage_key(item):
        MODULE_CAST.stage.close()
    if MODULE_CAST.is_open and not (MODULE_CAST.module == module_of(item) and wants_module_cast(item)):
        MODULE_CAST.close()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    # pytest-django's fixture that opens each test's transaction (or flushes after it).
    if fixturedef.argname == "_django_db_helper":
        MODULE_CAST.prepare(request.node, request.getfixturevalue("django_db_blocker"))
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        MODULE_CAST.serving = MODULE_CAST.stage.serving = None
        if nextitem is None or stage_key(nextitem) != MODULE_CAST.stage.key:
            MODULE_CAST.stage.close()
        if nextitem is None or module_of(nextitem) != MODULE_CAST.module:
            MODULE_CAST.close()
        if nextitem is None:
            SHARED_DEMO.close()


@pytest.fixture
def unit(request, db):
    """Departments and the demo cast (SPEC §14): a namespace-like dict.

    A test that runs in a transaction rolled back at its end (pytest-django's `db`) gets the cast
    its module built once (ModuleCast); a transactional test (transaction=True, live_server), whose
    database is flushed rather than rolled back, builds its own, as does a module whose tests run
    inside a transaction of some other module-scoped fixture. A module's own people (its
    `module_cast`, see module_cast_of) are part of the cast, made with it."""
    shared = MODULE_CAST.serving == request.node.nodeid
    return load_cast(MODULE_CAST.pks if shared else build_unit(module_cast_of(request.node)))


# ------------------------------------------------------------------------ the seeded demo (SPEC §14)

# The files whose tests read the unit `seed_demo` builds (the `demo` fixture). pytest-xdist hands
# them to one worker as a single piece of work (pytest_xdist_make_scheduler below), which seeds
# once for all of them (SharedDemo) instead of once per file. A test using `demo` in any other
# file stops the collection (pytest_collection_modifyitems), so the list cannot fall behind.
DEMO_FILES = (
    "tests/test_demo_visibility.py", "tests/test_hostile_input.py", "tests/test_permission_matrix.py",
    "demo/tests/test_approval_requests.py", "demo/tests/test_lifecycle.py", "demo/tests/test_meetings.py",
    "demo/tests/test_seed_demo.py",
)
DEMO_GROUP = "the seeded demo"


SHARED_DEMO = SharedDemo()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo unit of SPEC §14 as `seed_demo` builds it, seeded once for all the consecutive
    files that use it (SharedDemo); the command's output. Tests nest in savepoints of it."""
    return SHARED_DEMO.open(django_db_blocker, MODULE_CAST)


def touches_database(item):
    return bool(item.get_closest_marker("django_db")) or bool(
        {"db", "transactional_db", "live_server", "django_db_reset_sequences",
         "django_db_serialized_rollback"} & set(item.fixturenames))


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's loadfile distribution (the Makefile's and CI's), with DEMO_FILES as one
    piece of work; any other --dist is pytest-xdist's own."""
    from xdist.scheduler import LoadFileScheduling

    if config.getvalue("dist") != "loadfile":
        return None

    class DemoFilesTogether(LoadFileScheduling):
        def _split_scope(self, nodeid):
            path = nodeid.split("::", 1)[0]
            return DEMO_GROUP if path in DEMO_FILES else super()._split_scope(nodeid)

    return DemoFilesTogether(config, log)


@pytest.fixture
def cast(unit):
    """The workflow grids' name for the unit: the cast with the module's own people (module_cast)."""
    return unit


@pytest.fixture
def staged(request, unit):
    """A grid cell's starting point: the primary keys its module's `module_stage(cast, stage)`
    returns for the cell's stage (its STAGED_BY parameter), built once for the consecutive cells
    of that stage (tests.dbstate.ModuleStage), or by this test itself when the cast is its own."""
    stage = MODULE_CAST.stage
    if stage.serving == request.node.nodeid:
        return stage.pks
    return stage_builder(request.node)(unit, stage_key(request.node)[1])


def carrier_data(department, **overrides):
    """A valid incoming 机密 paper carrier; override any field."""
    data = dict(
        title="关于加强保密管理工作的通知", doc_number="某保〔2026〕12号", issuer="市保密局", kind="paper",
        level=3, period_kind="term", period_value=10, period_unit="year", copy_number=7, copies=1, pages="8",
        doc_date=dt.date(2026, 11, 2), signed_by="王机要", department=department, location="机要室A柜",
    )
    data.update(overrides)
    return data


def make_carrier(unit, *, actor=None, scope_users=(), scope_groups=(), outgoing=False, **fields):
    """An incoming carrier (outgoing=True: an outgoing one) registered by mishu: carrier_data's
    fields with any overridden."""
    from documents import services

    data = carrier_data(fields.pop("department", unit.business), **fields)
    if outgoing:
        data.setdefault("basis", "《某事项保密范围》第3条")
        data.setdefault("drafter", unit.lisi)
        data.setdefault("classifier", unit.zhuren)
        data.setdefault("recipients", "各区保密局")
        return services.carrier_register_outgoing(actor=actor or unit.mishu, data=data,
                                                  scope_users=scope_users, scope_groups=scope_groups)
    return services.carrier_register_incoming(actor=actor or unit.mishu, data=data,
                                              scope_users=scope_users, scope_groups=scope_groups)


@pytest.fixture
def register_carrier(unit):
    """register_carrier(level=3, scope_users=[...], **fields) → an incoming carrier by mishu."""
    return functools.partial(make_carrier, unit)


@pytest.fixture
def admin_open_to_staff(monkeypatch, client):
    """The admin site lets in only the 系统管理员 (personnel.admin_site). Tests of the model
    admins' own defences (what a list shows, what can be deleted) open it to staff accounts as a
    misconfigured site would — after checking that, as configured, such an account gets 404."""
    from django.contrib import admin

    def _open(user):
        client.force_login(user)
        assert client.get("/admin/").status_code == 404, "as configured, only the sysadmin opens the admin"
        monkeypatch.setattr(admin.site.__class__, "has_permission",
                            lambda self, request: request.user.is_active and request.user.is_staff)
        return client

    return _open


@pytest.fixture
def clock(monkeypatch):
    """A simulated clock: clock.advance(minutes=…) moves timezone.now() for the whole project."""
    real_now = timezone.now

    class Clock:
        offset = dt.timedelta()

        def now(self):
            return real_now() + self.offset

        def advance(self, **delta):
            self.offset += dt.timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock.now)
    return clock


def pytest_collection_modifyitems(config, items):
    """The files marked `heavy` first, the longest first; every other file after them in its usual
    order. pytest-xdist (--dist loadfile --no-loadscope-reorder) hands files out in this order, one
    at a time as a worker frees up, so the few files that take minutes start at once instead of
    leaving one worker alone with them at the end. A file stays whole and in place within its
    weight: the module-wide demo cast (ModuleCast) is built once per contiguous run of a module.
    DEMO_FILES count as one file weighing what they weigh together, so the seeded demo
    (SharedDemo) is built once for them in a run without pytest-xdist too."""
    strays = sorted({module_of(item) for item in items
                     if "demo" in item.fixturenames and module_of(item) not in DEMO_FILES})
    if strays:
        raise pytest.UsageError(f"tests using the `demo` fixture outside conftest.DEMO_FILES: {strays}")

    def unit_of(item):
        return DEMO_GROUP if module_of(item) in DEMO_FILES else module_of(item)

    weight = {}
    for item in items:
        marker = item.get_closest_marker("heavy")
        seconds = marker.kwargs.get("seconds", 0) if marker else 0
        weight[module_of(item)] = max(weight.get(module_of(item), 0), seconds)
    for module in list(weight):
        if module in DEMO_FILES:
            weight[DEMO_GROUP] = weight.get(DEMO_GROUP, 0) + weight[module]
    first = {}
    for index, item in enumerate(items):
        first.setdefault(unit_of(item), index)
    items.sort(key=lambda item: (-weight[unit_of(item)], first[unit_of(item)]))
