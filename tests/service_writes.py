"""ARCHITECTURE "One room per job": views, forms, admin, commands, tasks, selectors and policy never
write a domain model; every write goes through a service, so every rule and every audit event
stays in one place.

This plugin holds the whole suite to that. While a test runs, every INSERT, UPDATE or DELETE on a
table of the project's own apps is traced to the innermost frame of project code that issued it
(Django's and other libraries' frames are skipped; so are model methods, which only carry a write
on). That frame must be a service (a `services*.py` module or a `services/` package), a periodic
job (`jobs*.py`, the beat-run services), a request kind's handler (approvals/kinds/, the services
of that kind), a migration, or test code arranging its own data. Anything
else — a view calling .save(), an admin action updating a queryset — fails the test that ran it.
"""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WRITES = ("insert", "update", "delete", "replace")
# Rooms allowed to write; the room is a module's file name up to its first "_" (services_copy →
# services), or the name of the package it sits in (oversight/services/incidents.py → services).
# approvals/kinds/ holds the services of each request kind (ARCHITECTURE "The house").
WRITING_ROOMS = {"services", "kinds", "jobs", "migrations"}
# Modules of the test suite (root tests/, each app's tests/, the conftests) arrange data directly.
TEST_PARTS = {"tests", "conftest.py", "bench"}


def _project_tables():
    from django.apps import apps

    tables = set()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(ROOT) and ".venv" not in path.parts:
            for model in config.get_models(include_auto_created=True):
                tables.add(model._meta.db_table.lower())
    return tables


def _table_written(sql):
    words = sql.lstrip().split(None, 4)
    if not words or words[0].lower() not in WRITES:
        return None
    verb = words[0].lower()
    # INSERT INTO t / REPLACE INTO t / UPDATE t / DELETE FROM t
    name = words[2] if verb in ("insert", "replace", "delete") and len(words) > 2 else words[1]
    return name.strip('"`').lower()


def _room_of(path):
    parts = path.relative_to(ROOT).parts
    if any(part in TEST_PARTS for part in parts):
        return "tests"
    if "migrations" in parts:
        return "migrations"
    package_room = parts[-2] if len(parts) > 2 else ""
    if package_room in WRITING_ROOMS:
        return package_room
    return Path(parts[-1]).stem.split("_")[0]


# co_filename -> its room, or None outside the project. Every write walks some fifty frames, most
# of them Django's: answered from here, the walk costs dict lookups instead of Path arithmetic
# (which made the guard a sixth of the suite's time).
_ROOM_OF_FILE = {}


def _room_of_file(filename):
    try:
        return _ROOM_OF_FILE[filename]
    except KeyError:
        path = Path(filename)
        inside = path.is_absolute() and path.is_relative_to(ROOT) and ".venv" not in path.parts
        room = _ROOM_OF_FILE[filename] = _room_of(path) if inside else None
        return room


def _writer(frame):
    """(room, 'path:line function') of the innermost project frame that is not a model method."""
    while frame is not None:
        code = frame.f_code
        room = _room_of_file(code.co_filename)
        if room is not None and room != "models":
            return room, f"{Path(code.co_filename).relative_to(ROOT)}:{frame.f_lineno} {code.co_name}"
        frame = frame.f_back
    return None, None


class Guard:
    def __init__(self, tables):
        self.tables = tables
        self.offences = []

    def __call__(self, execute, sql, params, many, context):
        table = _table_written(sql) if isinstance(sql, str) else None
        if table in self.tables:
            room, where = _writer(sys._getframe(1))
            if room is not None and room not in WRITING_ROOMS and room != "tests":
                self.offences.append(f"{sql.split(None, 1)[0].upper()} {table} from {where}")
        return execute(sql, params, many, context)


@pytest.fixture(autouse=True)
def _writes_go_through_services():
    from django.db import connections

    guard = Guard(_tables())
    with _wrapped(connections, guard):
        yield guard
    assert not guard.offences, "a domain model was written outside a service:\n" + "\n".join(
        dict.fromkeys(guard.offences))


_TABLES = []


def _tables():
    if not _TABLES:
        _TABLES.append(_project_tables())
    return _TABLES[0]


class _wrapped:
    """execute_wrapper on every configured connection (the test may use any)."""

    def __init__(self, connections, guard):
        self.managers = [connections[alias].execute_wrapper(guard) for alias in connections]

    def __enter__(self):
        for manager in self.managers:
            manager.__enter__()

    def __exit__(self, *exc):
        for manager in reversed(self.managers):
            manager.__exit__(*exc)
