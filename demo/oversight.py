"""Demo 保密检查 and 泄密/丢失事件 (SPEC §14: "so that every screen has something to show").

`seed_inspections(ctx, result)` is a section of `python manage.py seed_demo` (demo/management/
commands/seed_demo.py; demo.base.Context with .users by username, .departments by code, .today). It goes
through oversight.services.inspections / incidents like a click would, so notices and audit
events are real. Idempotent: the section is marked by its checklist template; when that exists it
changes nothing.

- a checklist template of eight everyday items;
- a closed inspection of 办公室 (every item 符合);
- an inspection of 业务一处 in 整改中 with two rectification items: one done and confirmed by
  保密办, one overdue (its owner and 保密办 are reminded by rectification_reminders);
- a 丢失 incident discovered 30 hours ago and not yet reported upward (past its 24-hour deadline,
  REG24 art. 61), and a 泄密 incident reported upward in time and closed.
"""
import datetime as dt

from django.utils import timezone

from secrecy.levels import Level

from oversight.models import ChecklistTemplate, FindingResult, IncidentKind
from oversight.services import incidents, inspections

TEMPLATE_NAME = "涉密载体和涉密计算机保密检查表"
CHECKLIST = [
    "涉密载体台账是否齐全，账物是否相符",
    "涉密载体的复制、摘抄是否经过审批并登记",
    "是否存在涉密载体私自留存、个人保存的情况",
    "涉密载体借阅是否履行审批手续，是否按期归还",
    "涉密载体是否存放在符合要求的保密柜内",
    "涉密计算机是否违规连接互联网或其他公共信息网络",
    "涉密计算机是否违规使用非涉密移动存储介质",
    "涉密载体销毁是否经过审批、清点登记并送指定机构销毁",
]
# Item (1-based) → (result, note) for the 业务一处 inspection; the rest are 符合.
BIZ_FINDINGS = {
    3: (FindingResult.NONCONFORM, "一名科员办公桌抽屉内存放秘密级文件一份，未按规定交回机要室。"),
    7: (FindingResult.NONCONFORM, "一台涉密计算机的使用记录显示曾接入未登记的移动存储介质。"),
    8: (FindingResult.NOT_APPLICABLE, "本季度该处无销毁事项。"),
}


def seed_inspections(ctx, result):
    if ChecklistTemplate.objects.filter(name=TEMPLATE_NAME).exists():
        result.existing += ChecklistTemplate.objects.filter(name=TEMPLATE_NAME).count()
        return result
    users, departments, today = ctx.users, ctx.departments, ctx.today
    office = users["baomi"]
    template = inspections.checklist_template_create(actor=office, name=TEMPLATE_NAME, items=CHECKLIST)
    result.created += 1

    # A closed inspection of 办公室 two months ago: everything in order.
    closed = inspections.inspection_create(
        actor=office, department=departments["office"], inspected_on=today - dt.timedelta(days=60), template=template,
        other_inspectors="业务一处 李思远", summary="对办公室机要室的涉密载体管理和涉密计算机进行全面检查。", today=today)
    for finding in closed.findings.order_by("order"):
        inspections.finding_record(actor=office, finding=finding, result=FindingResult.CONFORM)
    inspections.inspection_close(actor=office, inspection=closed,
                                 closing_note="机要室台账齐全、账物相符，涉密计算机管理规范，未发现问题。")
    result.created += 1

    # 业务一处 three weeks ago: two problems, two rectification items.
    started = today - dt.timedelta(days=20)
    running = inspections.inspection_create(
        actor=office, department=departments["biz1"], inspected_on=started, template=template,
        summary="季度保密检查：抽查业务一处办公室、保密柜和涉密计算机。", today=started)
    findings = {f.order: f for f in running.findings.order_by("order")}
    for order, finding in findings.items():
        outcome, note = BIZ_FINDINGS.get(order, (FindingResult.CONFORM, ""))
        inspections.finding_record(actor=office, finding=finding, result=outcome, note=note)
    done = inspections.rectification_add(
        actor=office, inspection=running, finding=findings[3], owner=users["lisi"],
        description="将私自留存的文件交回机要室登记，并在处内开展一次保密提醒教育。",
        deadline=started + dt.timedelta(days=30), today=started)
    inspections.rectification_complete(
        actor=users["lisi"], rectification=done,
        evidence="文件已于检查次日交回机要室（机要室签收登记）；已组织全处保密提醒教育，签到表存档。")
    inspections.rectification_verify(actor=office, rectification=done)
    inspections.rectification_add(
        actor=office, inspection=running, finding=findings[7], owner=users["mishu"],
        description="核查该涉密计算机接入的移动存储介质来源，登记或收缴，并重新检查其他涉密计算机。",
        deadline=started + dt.timedelta(days=14), today=started)  # overdue since six days
    result.created += 3

    # Incidents: one past its 24-hour deadline (REG24 art. 61) and not reported yet, and one
    # found this morning, reported upward in time and closed (its record time precedes the report).
    now = timezone.now()
    incidents.incident_report(
        actor=users["zhangsan"], kind=IncidentKind.LOSS, level=Level.CONFIDENTIAL,
        discovered_at=now - dt.timedelta(hours=30), occurred_at=now - dt.timedelta(hours=50),
        place="业务一处 306 办公室", involved_persons="张善文",
        description="整理文件时发现借阅的一份秘密级纸质文件不在文件夹内，已查找办公室和会议室，未找到。",
        measures="已封存办公室文件柜，询问了同室人员，并报告处领导。")
    reported = incidents.incident_report(
        actor=users["lisi"], kind=IncidentKind.LEAK, level=Level.CONFIDENTIAL,
        discovered_at=now - dt.timedelta(hours=5), place="业务一处 302 办公室",
        description="检查发现一名工作人员在非涉密计算机上起草了含秘密级内容的材料。",
        harm="文件未外发，该计算机未接入互联网。",
        measures="已将该计算机封存，硬盘按涉密载体管理，材料转入涉密计算机处理。")
    incidents.incident_record_upward_report(
        actor=office, incident=reported, reported_at=timezone.now(),
        note="市国家保密局、上级主管部门办公厅，书面报告。")
    incidents.incident_close(
        actor=office, incident=reported,
        closing_note="经鉴定未造成泄密；对当事人进行批评教育，全处开展非涉密计算机专项检查。")
    result.created += 2
    return result
