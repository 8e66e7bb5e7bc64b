"""Database state built once and held open across tests (conftest.py wires it to pytest):

- ModuleCast: the demo cast, once per test module;
- ModuleStage: on top of it, what the cells of one stage of a workflow grid start from, once per
  consecutive run of that stage's cells;
- SharedDemo: `seed_demo`, once for the consecutive files that read it.

Each is a transaction (or savepoint) left open while the tests that share it run, each test still
in its own savepoint of it (pytest-django's `db`), so no test sees another's writes; it is rolled
back before the first test that must not see it. They are opened just before pytest-django starts
a test's transaction (conftest.pytest_fixture_setup), so they enclose it."""
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import override_settings


def roll_back_held(atomic, blocker, depth, what):
    """Roll back a transaction held open across tests, and forget what was cached while it was
    open. It must be the innermost one: a test's own is over by now."""
    with blocker.unblock():
        if len(connection.atomic_blocks) != depth:
            raise RuntimeError(f"{what}'s transaction is not the innermost one")
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
        cache.clear()


class Held:
    """One transaction held open across tests: `open_with(build)` runs build() inside it."""

    what = "held state"

    def __init__(self):
        self._atomic = self._blocker = None
        self._depth = 0

    @property
    def is_open(self):
        return self._atomic is not None

    def open_with(self, blocker, build):
        self._blocker = blocker
        with blocker.unblock():
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            self._depth = len(connection.atomic_blocks)
            try:
                return build()
            except BaseException:
                self.close()
                raise

    def serves(self):
        """Whether the test's transaction, about to open, will sit directly on this one."""
        return self.is_open and len(connection.atomic_blocks) == self._depth

    def forget(self):
        """What the held state knew, dropped as it is rolled back."""

    def close(self):
        if not self.is_open:
            return
        atomic, self._atomic = self._atomic, None
        self.forget()
        roll_back_held(atomic, self._blocker, self._depth, self.what)


def module_of(item):
    return item.nodeid.split("::")[0]


def is_transactional(item):
    """pytest-django's own rule for a test whose database is flushed instead of rolled back."""
    from pytest_django.plugin import validate_django_db

    marker = item.get_closest_marker("django_db")
    if marker:
        transactional, reset_sequences, *_ = validate_django_db(marker)
        if transactional or reset_sequences:
            return True
    return bool({"transactional_db", "live_server", "django_db_reset_sequences",
                 "django_db_serialized_rollback"} & set(item.fixturenames))


def wants_module_cast(item):
    return "unit" in item.fixturenames and not is_transactional(item)


def module_cast_of(node):
    """The test module's own people, if it declares them: a function `module_cast(unit)` returning
    {name: user}, made with the cast, once per module like the cast itself (the workflow grids
    add the same few approvers and readers to every one of their hundreds of cells)."""
    module = getattr(node, "module", None)
    return getattr(module, "module_cast", None)


class ModuleStage(Held):
    """What every cell of one stage of a workflow grid starts from (a request brought to a state,
    its carriers), built once per consecutive run of the stage's cells instead of once per cell,
    in a savepoint of the module's cast; rolled back when the next test is of another stage.

    A grid module opts in with `module_stage(cast, stage)`, which builds the stage through the
    services and returns the primary keys the cells need, and, unless it is `state`, STAGED_BY,
    the name of the parameter that says a cell's stage; its cells ask for the `staged` fixture, which hands them
    those keys (and builds the stage inside the test itself whenever the module's cast is not
    shared: a transactional test, a run of one cell)."""

    what = "the grid stage"

    def __init__(self):
        super().__init__()
        self.key = self.serving = self.pks = None

    def forget(self):
        self.key = self.serving = self.pks = None

    def prepare(self, item, blocker, cast):
        self.serving = None
        key = stage_key(item)
        if self.is_open and self.key != key:
            self.close()
        if key is None or cast.serving != item.nodeid:
            return
        if not self.is_open:
            from conftest import TEST_SETTINGS, load_cast

            def build():
                with override_settings(**TEST_SETTINGS):
                    return stage_builder(item)(load_cast(cast.pks), key[1])

            self.pks = self.open_with(blocker, build)
            self.key = key
        if self.serves():
            self.serving = item.nodeid


def stage_builder(node):
    return getattr(getattr(node, "module", None), "module_stage", None)


def stage_key(item):
    """(module, stage) for a grid cell that asks for `staged`; None for any other test."""
    build = stage_builder(item)
    callspec = getattr(item, "callspec", None)
    if build is None or callspec is None or "staged" not in item.fixturenames:
        return None
    return module_of(item), callspec.params[getattr(item.module, "STAGED_BY", "state")]


class ModuleCast(Held):
    """The demo cast built once per test module, inside a transaction rolled back when the module's
    last test is done. Each test still runs in its own savepoint of it (pytest-django's `db`), so
    no test sees another's writes, and reads the cast back as fresh instances (load_cast).

    Opened only for a test that asks for `unit` and runs in a rolled-back transaction; closed
    before any other test of the module (a transactional one is flushed, which cannot happen inside
    an open transaction; one without the cast must not see it) and after the module's last test. It
    is never opened inside a transaction of another fixture (a module-scoped seed_demo): those
    tests build their cast per test, as before. A grid stage (ModuleStage) sits on top of it."""

    what = "the module's demo cast"

    def __init__(self):
        super().__init__()
        self.module = self.serving = self.pks = None
        self.stage = ModuleStage()

    def forget(self):
        self.module = self.serving = self.pks = None

    def prepare(self, item, blocker):
        """Before the test's own transaction: make the module's cast ready if this test wants it,
        and the cell's stage on top of it if it is a grid cell."""
        self.serving = None
        if wants_module_cast(item):
            if self.is_open and self.module != module_of(item):
                self.close()
            if self.stage.key != stage_key(item):
                self.stage.close()
            if not self.is_open and not connection.in_atomic_block:  # else another fixture's encloses it
                from conftest import TEST_SETTINGS, build_unit

                def build():
                    with override_settings(**TEST_SETTINGS):
                        return build_unit(module_cast_of(item))

                self.pks = self.open_with(blocker, build)
                self.module = module_of(item)
            # The test's transaction sits on the cast, or on the stage (of this cell) built on it.
            if self.is_open and len(connection.atomic_blocks) == self._depth + self.stage.is_open:
                self.serving = item.nodeid
        self.stage.prepare(item, blocker, self)

    def close(self):
        """The stage on top first: a savepoint of this transaction."""
        self.stage.close()
        super().close()


class SharedDemo(Held):
    """`seed_demo` run once inside a transaction that stays open while consecutive tests use the
    `demo` fixture, across files, and is rolled back before the first test that touches the
    database without it (or after the worker's last test). A file's own module-wide additions (a
    savepoint of their own) are rolled back when the file ends."""

    what = "the seeded demo"

    def __init__(self):
        super().__init__()
        self.output = None

    def forget(self):
        self.output = None

    def open(self, blocker, module_cast):
        from io import StringIO

        from django.core.management import call_command

        if self.is_open:
            return self.output
        module_cast.close()

        def build():
            # The demo's ten password hashes would otherwise dominate the seeding.
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                out = StringIO()
                call_command("seed_demo", stdout=out)
            return out.getvalue()

        self.output = self.open_with(blocker, build)
        return self.output
