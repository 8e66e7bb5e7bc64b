"""The moved models' content types change app label in place (audits → oversight), keeping their
ids: permissions (auth_permission) and the audit log's generic references (target_type + id)
point at content type ids, so they keep naming the same rows, and no second content type for the
same table appears. A database created after the move has no audits rows to rename."""

from django.db import migrations

MODELS = ["checklisttemplate", "checklistitem", "inspection", "finding", "rectification", "incident",
          "incidentcarrier"]


def _relabel(apps, source, target):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        old = content_type.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        if content_type.objects.filter(app_label=target, model=model).exists():
            # Both exist only if someone created the new one by hand; merging them would mean
            # rewriting audit events, which are append-only. Stop and let a person decide.
            raise RuntimeError(f"content type {target}.{model} already exists next to {source}.{model}")
        content_type.objects.filter(pk=old.pk).update(app_label=target)


def forwards(apps, schema_editor):
    _relabel(apps, "audits", "oversight")


def backwards(apps, schema_editor):
    _relabel(apps, "oversight", "audits")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('oversight', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
