"""Tampering as an attacker with write access to the database would: the append-only triggers
(PostgreSQL since audits 0002, SQLite since 0005) refuse UPDATE and DELETE, so the attacker first
takes them out of the way — dropping them on SQLite, switching ordinary triggers off for the
transaction on PostgreSQL (`SET LOCAL session_replication_role = replica`, as a superuser can).
Both happen inside the test's transaction, which is rolled back afterwards, so the next test
finds the triggers in place again."""
import importlib

from django.db import connection

SQLITE_TRIGGERS = importlib.import_module("audits.migrations.0005_sqlite_append_only_trigger")


def disable_append_only_triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for statement in SQLITE_TRIGGERS.DROP:
                cursor.execute(statement)
        elif connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")


def tamper(*statements, params=None):
    """Run raw statements against the audit table past its triggers."""
    disable_append_only_triggers()
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)
