"""RegisterJob moves here from documents with its table (db_table documents_registerjob): the
model is created in the migration state only, since the table and its rows already exist
(documents 0003). Its content type row is renamed rather than recreated, so the audit events that
point at a job (target_type, hashed into the audit chain by its id) still point at it."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if ContentType.objects.using(db).filter(app_label="registers", model="registerjob").exists():
        return
    ContentType.objects.using(db).filter(app_label="documents", model="registerjob").update(app_label="registers")


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if ContentType.objects.using(db).filter(app_label="documents", model="registerjob").exists():
        return
    ContentType.objects.using(db).filter(app_label="registers", model="registerjob").update(app_label="documents")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('documents', '0016_move_registerjob'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RegisterJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('register', models.CharField(max_length=30, verbose_name='登记簿')),
                        ('file_format', models.CharField(choices=[('pdf', 'PDF'), ('xlsx', 'XLSX')], max_length=8, verbose_name='格式')),
                        ('filters', models.JSONField(blank=True, default=dict, verbose_name='筛选条件')),
                        ('status', models.CharField(choices=[('queued', '排队中'), ('running', '生成中'), ('done', '已完成'), ('failed', '失败')], default='queued', max_length=10, verbose_name='状态')),
                        ('progress', models.PositiveSmallIntegerField(default=0, verbose_name='进度（%）')),
                        ('rows', models.PositiveIntegerField(blank=True, null=True, verbose_name='条数')),
                        ('level', models.PositiveSmallIntegerField(blank=True, choices=[(1, '内部'), (2, '秘密'), (3, '机密'), (4, '绝密')], null=True, verbose_name='最高密级')),
                        ('file_path', models.CharField(blank=True, max_length=255, verbose_name='文件')),
                        ('error', models.TextField(blank=True, verbose_name='错误')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='申请时间')),
                        ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='开始时间')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                        ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='register_jobs', to=settings.AUTH_USER_MODEL, verbose_name='申请人')),
                    ],
                    options={
                        'verbose_name': '登记簿生成任务',
                        'verbose_name_plural': '登记簿生成任务',
                        'db_table': 'documents_registerjob',
                        'ordering': ['-id'],
                        'indexes': [models.Index(fields=['requested_by', 'id'], name='register_job_requester_idx')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('progress__lte', 100)), name='register_job_progress_range')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
