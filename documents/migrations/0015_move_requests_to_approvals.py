"""The request models now live in the approvals app (approvals/migrations/0001_initial.py).

State only: the documents app forgets them and its carrier's source_request points at
approvals.ApprovalRequest; the tables and the foreign key constraint stay exactly as they are.
"""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('approvals', '0001_initial'),
        ('documents', '0014_search_grams'),
    ]

    state_operations = [
        migrations.RemoveField(
            model_name='requestitem',
            name='request',
        ),
        migrations.RemoveField(
            model_name='destructiondetail',
            name='request',
        ),
        migrations.RemoveField(
            model_name='destructionwitness',
            name='request',
        ),
        migrations.AlterField(
            model_name='historicalcarrier',
            name='source_request',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='approvals.approvalrequest', verbose_name='复制审批'),
        ),
        migrations.RemoveField(
            model_name='approvalstep',
            name='request',
        ),
        migrations.AlterField(
            model_name='carrier',
            name='source_request',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='copies_produced', to='approvals.approvalrequest', verbose_name='复制审批'),
        ),
        migrations.RemoveField(
            model_name='approvalstep',
            name='classifier',
        ),
        migrations.RemoveField(
            model_name='approvalstep',
            name='decided_by',
        ),
        migrations.RemoveField(
            model_name='destructiondetail',
            name='destroyed_by',
        ),
        migrations.RemoveField(
            model_name='destructiondetail',
            name='executed_by',
        ),
        migrations.RemoveField(
            model_name='destructionwitness',
            name='designated_by',
        ),
        migrations.RemoveField(
            model_name='destructionwitness',
            name='user',
        ),
        migrations.RemoveField(
            model_name='requestitem',
            name='carrier',
        ),
        migrations.DeleteModel(
            name='ApprovalRequest',
        ),
        migrations.DeleteModel(
            name='ApprovalStep',
        ),
        migrations.DeleteModel(
            name='DestructionDetail',
        ),
        migrations.DeleteModel(
            name='DestructionWitness',
        ),
        migrations.DeleteModel(
            name='RequestItem',
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
    ]
