"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit log (SPEC §10,
issue 6), so not even a bug or a hand-typed SQL statement of the application's role can rewrite
history. TRUNCATE is left to the head-hash comparison of verify_audit (a statement trigger on
TRUNCATE would also stop the test database from being flushed). SQLite has no such wall; the
model and queryset guards apply there."""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audits_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '审计事件只能追加，不能修改或删除 (% on audits_auditevent)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audits_auditevent_append_only ON audits_auditevent;
CREATE TRIGGER audits_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audits_auditevent
    FOR EACH ROW EXECUTE FUNCTION audits_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS audits_auditevent_append_only ON audits_auditevent;
DROP FUNCTION IF EXISTS audits_refuse_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audits", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
