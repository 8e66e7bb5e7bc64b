"""RegisterJob now belongs to the registers app (registers/migrations/0001_initial.py). Only
Django's idea of which app owns the model changes: the table documents_registerjob stays as it
is, with its rows, so no database operation runs here."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("documents", "0015_move_requests_to_approvals"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='RegisterJob')],
            database_operations=[],
        ),
    ]
