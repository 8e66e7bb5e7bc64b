"""Issue 11 §4: each event records how its hash was computed. Every existing row keeps its place
and its hash and gets "sha256" (the unkeyed rule it was written with); nothing is rehashed. On
PostgreSQL the column is added with a default, which fills old rows without an UPDATE (the
append-only trigger stays untouched); on SQLite Django copies the table into a new one."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audits', '0003_inspections_incidents'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='alg',
            field=models.CharField(default='sha256', max_length=16, verbose_name='哈希算法'),
        ),
        migrations.AddField(
            model_name='audithead',
            name='last_alg',
            field=models.CharField(default='sha256', max_length=16),
        ),
    ]
