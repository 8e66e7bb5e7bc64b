"""SQLite refuses UPDATE and DELETE on the audit log too (issue 11 §4), as PostgreSQL does since
0002: not even a bug or a hand-typed statement rewrites history. RAISE(ABORT) rolls back the
statement and fails it with the message.

Caveat for later migrations: when Django's SQLite schema editor has to rebuild
audits_auditevent (most AlterField/AddField operations), the rebuilt table has no triggers. Such
a migration must run this one's CREATE again afterwards; audits/tests/test_audit_key.py fails
if the triggers are missing from the migrated database.
"""
from django.db import migrations

CREATE = (
    """CREATE TRIGGER IF NOT EXISTS audits_auditevent_no_update BEFORE UPDATE ON audits_auditevent
    BEGIN SELECT RAISE(ABORT, '审计事件只能追加，不能修改或删除 (UPDATE on audits_auditevent)'); END""",
    """CREATE TRIGGER IF NOT EXISTS audits_auditevent_no_delete BEFORE DELETE ON audits_auditevent
    BEGIN SELECT RAISE(ABORT, '审计事件只能追加，不能修改或删除 (DELETE on audits_auditevent)'); END""",
)

DROP = (
    "DROP TRIGGER IF EXISTS audits_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audits_auditevent_no_delete",
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in CREATE:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audits", "0004_audit_chain_keyed")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
