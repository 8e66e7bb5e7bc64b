"""The request models, moved here from the documents app with their tables (issue 13).

State only: the tables documents_approvalrequest, documents_requestitem, documents_approvalstep,
documents_destructiondetail, documents_destructionwitness and documents_approvalrequest_companions
already exist with every row (documents/migrations/0004…0013) and keep their names (db_table), so
nothing is created, copied or dropped in the database.
"""
import django.db.models.deletion
import django.db.models.manager
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('documents', '0014_search_grams'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name='ApprovalRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('lend', '借阅'), ('copy', '复制'), ('carry_out', '外出携带'), ('repair', '维修'), ('destroy', '销毁'), ('reclassify', '密级变更'), ('scope', '知悉范围扩大')], max_length=16, verbose_name='申请类型')),
                ('state', models.CharField(choices=[('draft', '草稿'), ('submitted', '待审批'), ('approved', '已批准'), ('in_progress', '执行中'), ('completed', '已完成'), ('rejected', '已驳回'), ('cancelled', '已撤销')], default='draft', max_length=16, verbose_name='状态')),
                ('reason', models.TextField(verbose_name='申请事由')),
                ('level', models.PositiveSmallIntegerField(choices=[(1, '内部'), (2, '秘密'), (3, '机密'), (4, '绝密')], verbose_name='密级')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('submitted_at', models.DateTimeField(blank=True, null=True, verbose_name='提交时间')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='审批完成时间')),
                ('executed_at', models.DateTimeField(blank=True, null=True, verbose_name='办理时间')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                ('cancelled_at', models.DateTimeField(blank=True, null=True, verbose_name='撤销时间')),
                ('due_date', models.DateField(blank=True, null=True, verbose_name='应还日期')),
                ('on_site', models.BooleanField(default=False, verbose_name='在阅文室阅读')),
                ('return_condition', models.CharField(blank=True, choices=[('intact', '完好'), ('missing_pages', '缺页'), ('damaged', '损坏')], max_length=16, verbose_name='归还检查')),
                ('return_note', models.TextField(blank=True, verbose_name='归还检查说明')),
                ('copy_mode', models.CharField(blank=True, choices=[('copy', '复制'), ('excerpt', '摘抄'), ('compile', '汇编')], max_length=10, verbose_name='复制方式')),
                ('copy_count', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='复制份数')),
                ('copy_title', models.CharField(blank=True, max_length=300, verbose_name='汇编本名称')),
                ('copy_maker', models.CharField(blank=True, max_length=200, verbose_name='承制单位')),
                ('consent_authority', models.CharField(blank=True, max_length=200, verbose_name='原定密机关')),
                ('consent_letter', models.CharField(blank=True, max_length=100, verbose_name='同意复制文件文号')),
                ('consent_date', models.DateField(blank=True, null=True, verbose_name='同意日期')),
                ('copy_stamp', models.CharField(blank=True, max_length=200, verbose_name='复制戳记')),
                ('destination', models.CharField(blank=True, max_length=200, verbose_name='前往地点')),
                ('depart_date', models.DateField(blank=True, null=True, verbose_name='外出日期')),
                ('abroad', models.BooleanField(default=False, verbose_name='出境')),
                ('abroad_approved', models.BooleanField(default=False, verbose_name='已批准出境')),
                ('repair_mode', models.CharField(blank=True, choices=[('on_site', '现场维修'), ('off_site', '送外维修')], max_length=10, verbose_name='维修方式')),
                ('repairer', models.CharField(blank=True, max_length=200, verbose_name='维修单位/人员')),
                ('storage_removed_note', models.TextField(blank=True, verbose_name='存储部件拆除情况')),
                ('storage_removed_at', models.DateTimeField(blank=True, null=True, verbose_name='存储部件拆除登记时间')),
                ('change_type', models.CharField(blank=True, choices=[('level', '变更密级'), ('extend', '延长保密期限'), ('shorten', '缩短保密期限'), ('declassify', '提前解密')], max_length=12, verbose_name='变更事项')),
                ('from_level', models.PositiveSmallIntegerField(blank=True, choices=[(1, '内部'), (2, '秘密'), (3, '机密'), (4, '绝密')], null=True, verbose_name='原密级')),
                ('from_mark', models.CharField(blank=True, max_length=120, verbose_name='原标志')),
                ('new_level', models.PositiveSmallIntegerField(blank=True, choices=[(1, '内部'), (2, '秘密'), (3, '机密'), (4, '绝密')], null=True, verbose_name='新密级')),
                ('new_period_kind', models.CharField(blank=True, choices=[('term', '保密期限'), ('date', '解密时间'), ('condition', '解密条件'), ('long', '长期')], max_length=10, verbose_name='新保密期限类型')),
                ('new_period_value', models.PositiveIntegerField(blank=True, null=True, verbose_name='新期限数值')),
                ('new_period_unit', models.CharField(blank=True, choices=[('day', '日'), ('month', '个月'), ('year', '年')], max_length=6, verbose_name='新期限单位')),
                ('new_declassify_date', models.DateField(blank=True, null=True, verbose_name='新解密时间')),
                ('new_declassify_condition', models.CharField(blank=True, max_length=200, verbose_name='新解密条件')),
                ('new_period_special', models.BooleanField(default=False, verbose_name='新期限另有规定')),
                ('new_period_special_reason', models.CharField(blank=True, max_length=300, verbose_name='另有规定依据')),
                ('new_long_term_basis', models.CharField(blank=True, max_length=300, verbose_name='长期依据')),
                ('change_basis', models.CharField(blank=True, max_length=300, verbose_name='变更依据')),
                ('to_mark', models.CharField(blank=True, max_length=120, verbose_name='新标志')),
                ('checked_out_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='借出经手人')),
                ('companions', models.ManyToManyField(blank=True, db_table='documents_approvalrequest_companions', related_name='carry_companion_of', to=settings.AUTH_USER_MODEL, verbose_name='同行人员')),
                ('requester', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='approval_requests', to=settings.AUTH_USER_MODEL, verbose_name='申请人')),
                ('returned_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='归还接收人')),
                ('scope_group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='auth.group', verbose_name='拟列入部门')),
                ('scope_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='拟列入人员')),
                ('supervisor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='repairs_supervised', to=settings.AUTH_USER_MODEL, verbose_name='现场监督人')),
            ],
            options={
                'verbose_name': '审批申请',
                'verbose_name_plural': '审批申请',
                'db_table': 'documents_approvalrequest',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='ApprovalStep',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('order', models.PositiveSmallIntegerField(verbose_name='顺序')),
                ('min_authority', models.PositiveSmallIntegerField(choices=[(1, '内部'), (2, '秘密'), (3, '机密'), (4, '绝密')], verbose_name='所需审批权限')),
                ('requires_principal', models.BooleanField(default=False, verbose_name='须主要负责人')),
                ('requires_classification_authority', models.BooleanField(default=False, verbose_name='须定密权限')),
                ('requires_scope_authority', models.BooleanField(default=False, verbose_name='须主要负责人或受托人')),
                ('decision', models.CharField(blank=True, choices=[('', '待审批'), ('approve', '同意'), ('reject', '不同意')], default='', max_length=10, verbose_name='审批意见')),
                ('comment', models.TextField(blank=True, verbose_name='意见说明')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='审批时间')),
                ('classifier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='定密责任人')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='approval_decisions', to=settings.AUTH_USER_MODEL, verbose_name='审批人')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='steps', to='approvals.approvalrequest')),
            ],
            options={
                'verbose_name': '审批步骤',
                'verbose_name_plural': '审批步骤',
                'db_table': 'documents_approvalstep',
                'ordering': ['request', 'order'],
            },
        ),
        migrations.CreateModel(
            name='DestructionDetail',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('method', models.CharField(choices=[('send', '送销'), ('shred', '碎纸'), ('pulverize', '粉碎'), ('degauss', '消磁'), ('physical', '物理破坏')], max_length=16, verbose_name='销毁方式')),
                ('place', models.CharField(max_length=200, verbose_name='销毁地点')),
                ('destruction_body', models.CharField(blank=True, max_length=200, verbose_name='承销单位')),
                ('planned_date', models.DateField(verbose_name='计划销毁日期')),
                ('executed_on', models.DateField(blank=True, null=True, verbose_name='销毁日期')),
                ('destroyed_by_name', models.CharField(blank=True, max_length=100, verbose_name='销毁人姓名')),
                ('destroyed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='销毁人')),
                ('executed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='执行登记人')),
                ('request', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='destruction', to='approvals.approvalrequest')),
            ],
            options={
                'verbose_name': '销毁批次信息',
                'verbose_name_plural': '销毁批次信息',
                'db_table': 'documents_destructiondetail',
            },
        ),
        migrations.CreateModel(
            name='DestructionWitness',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('designated_at', models.DateTimeField(auto_now_add=True, verbose_name='指定时间')),
                ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='确认时间')),
                ('withdrawn_at', models.DateTimeField(blank=True, null=True, verbose_name='撤换时间')),
                ('designated_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='指定人')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='witnesses', to='approvals.approvalrequest')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='destruction_witnessing', to=settings.AUTH_USER_MODEL, verbose_name='监销人')),
            ],
            options={
                'verbose_name': '监销人',
                'verbose_name_plural': '监销人',
                'db_table': 'documents_destructionwitness',
                'ordering': ['id'],
                'base_manager_name': 'all_objects',
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('all_objects', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='RequestItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('lend', '借阅'), ('copy', '复制'), ('carry_out', '外出携带'), ('repair', '维修'), ('destroy', '销毁'), ('reclassify', '密级变更'), ('scope', '知悉范围扩大')], max_length=16, verbose_name='申请类型')),
                ('is_open', models.BooleanField(default=True, verbose_name='未办结')),
                ('carrier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='request_items', to='documents.carrier', verbose_name='载体')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='items', to='approvals.approvalrequest')),
            ],
            options={
                'verbose_name': '申请载体',
                'verbose_name_plural': '申请载体',
                'db_table': 'documents_requestitem',
                'ordering': ['id'],
            },
        ),
        migrations.AddIndex(
            model_name='approvalrequest',
            index=models.Index(fields=['state', 'kind', 'id'], name='request_state_idx'),
        ),
        migrations.AddIndex(
            model_name='approvalrequest',
            index=models.Index(fields=['requester', 'id'], name='request_requester_idx'),
        ),
        migrations.AddIndex(
            model_name='approvalrequest',
            index=models.Index(fields=['kind', 'state', 'due_date'], name='request_due_idx'),
        ),
        migrations.AddConstraint(
            model_name='approvalrequest',
            constraint=models.CheckConstraint(condition=models.Q(('level__gte', 1), ('level__lte', 4)), name='request_level_valid'),
        ),
        migrations.AddIndex(
            model_name='approvalstep',
            index=models.Index(fields=['decided_by', 'request'], name='approval_step_decider_idx'),
        ),
        migrations.AddConstraint(
            model_name='approvalstep',
            constraint=models.UniqueConstraint(fields=('request', 'order'), name='approval_step_order_unique'),
        ),
        migrations.AddIndex(
            model_name='destructionwitness',
            index=models.Index(fields=['user', 'request'], name='destruction_witness_user_idx'),
        ),
        migrations.AddConstraint(
            model_name='destructionwitness',
            constraint=models.UniqueConstraint(condition=models.Q(('withdrawn_at__isnull', True)), fields=('request', 'user'), name='destruction_witness_unique'),
        ),
        migrations.AddConstraint(
            model_name='requestitem',
            constraint=models.UniqueConstraint(condition=models.Q(('is_open', True)), fields=('carrier', 'kind'), name='one_open_request_per_kind'),
        ),
        migrations.AddConstraint(
            model_name='requestitem',
            constraint=models.UniqueConstraint(fields=('request', 'carrier'), name='request_item_unique'),
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
    ]
