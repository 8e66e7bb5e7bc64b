"""Inspections, rectifications and incidents leave audits for the oversight app (issue 13), so that
audits keeps only the log. State only: their tables stay as they are, with every row, and
oversight/0001 takes them over under the same names (db_table). Referencing models go first."""

from django.db import migrations

MOVED = ["IncidentCarrier", "Incident", "Rectification", "Finding", "Inspection", "ChecklistItem",
         "ChecklistTemplate"]


class Migration(migrations.Migration):

    dependencies = [
        ('audits', '0005_sqlite_append_only_trigger'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
        ),
    ]
