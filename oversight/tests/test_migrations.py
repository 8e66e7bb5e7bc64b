"""Issue 13: inspections and incidents left audits for oversight with their rows. A database at the
migrations before the move, holding an inspection and an incident, is migrated forward: the rows
are read through the oversight models, and the content types keep their ids under the new label,
so permissions and the audit log's references (target_type + id) still point at the same rows."""
import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from oversight.models import ChecklistTemplate, Incident

BEFORE = [("audits", "0005_sqlite_append_only_trigger")]


@pytest.mark.django_db(transaction=True)
def test_the_move_keeps_rows_and_content_type_ids():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        old_type = old.get_model("contenttypes", "ContentType")
        user = old.get_model("auth", "User").objects.create(username="baomi")
        template = old.get_model("audits", "ChecklistTemplate").objects.create(name="季度保密检查表", created_by=user)
        now = dt.datetime(2026, 3, 1, 8, tzinfo=dt.timezone.utc)
        incident = old.get_model("audits", "Incident").objects.create(
            kind="loss", discovered_at=now, place="306 室", level=2, description="x", reported_by=user,
            reported_at=now, report_deadline=now + dt.timedelta(hours=24))
        # Rebuilt by post_migrate when the test database was made; the move back relabelled it.
        type_ids = {model: old_type.objects.get(app_label="audits", model=model).pk
                    for model in ("incident", "checklisttemplate")}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()
    assert ChecklistTemplate.objects.get(pk=template.pk).name == "季度保密检查表"
    assert Incident.objects.get(pk=incident.pk).place == "306 室"
    incident_type = ContentType.objects.get_for_model(Incident)
    assert incident_type.pk == type_ids["incident"] and incident_type.app_label == "oversight"
    assert ContentType.objects.get_for_model(ChecklistTemplate).pk == type_ids["checklisttemplate"]
    assert not ContentType.objects.filter(app_label="audits", model__in=["incident", "checklisttemplate"]).exists()
    assert Permission.objects.filter(content_type=incident_type, codename="view_incident").exists()
