"""The moved models keep their content types: the rows of django_content_type are relabelled
from documents to approvals in place, so everything that points at a content type by id — the
auth permissions (and so every user's and group's grants), guardian's generic object permissions,
the audit log's and the notices' targets (content type + object id), the admin log — keeps
pointing at the same rows, and post_migrate finds them instead of adding duplicates.

On a new database the rows do not exist yet (post_migrate creates them under approvals).
"""
from django.db import migrations

MOVED_MODELS = ("approvalrequest", "requestitem", "approvalstep", "destructiondetail", "destructionwitness")


def relabel(apps, schema_editor, *, old, new):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    rows = content_type.objects.using(db)
    for model in MOVED_MODELS:
        if rows.filter(app_label=new, model=model).exists():
            # Only if post_migrate ran between the two migrations; the rows are not merged here
            # (nothing is deleted), so the existing one keeps its label.
            continue
        rows.filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    relabel(apps, schema_editor, old="documents", new="approvals")


def backwards(apps, schema_editor):
    relabel(apps, schema_editor, old="approvals", new="documents")


class Migration(migrations.Migration):

    dependencies = [
        ("approvals", "0001_initial"),
        ("documents", "0015_move_requests_to_approvals"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
