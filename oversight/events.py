"""The audit events of inspections and incidents (audits.events)."""
from audits.events import declare, declare_group

declare_group("inspection", "保密检查")
declare_group("incident", "泄密事件")

TEMPLATE_CREATE = declare("inspection.template_create", "新建检查表模板")
TEMPLATE_ENABLE = declare("inspection.template_enable", "启用检查表模板")
TEMPLATE_DISABLE = declare("inspection.template_disable", "停用检查表模板")
INSPECTION_CREATE = declare("inspection.create", "登记保密检查")
FINDING_RECORD = declare("inspection.finding_record", "登记检查结果")
RECTIFICATION_ADD = declare("inspection.rectification_add", "下达整改事项")
RECTIFICATION_COMPLETE = declare("inspection.rectification_complete", "登记整改情况")
RECTIFICATION_VERIFY = declare("inspection.rectification_verify", "确认整改")
RECTIFICATION_RETURN = declare("inspection.rectification_return", "退回整改")
INSPECTION_CLOSE = declare("inspection.close", "结束保密检查")

INCIDENT_REPORT = declare("incident.report", "报告泄密事件")
INCIDENT_OPEN_FOR_LOST_CARRIER = declare("incident.open_for_lost_carrier", "载体丢失生成丢失事件")
INCIDENT_LINK_LOST_CARRIER = declare("incident.link_lost_carrier", "丢失载体并入丢失事件")
INCIDENT_RECORD_UPWARD_REPORT = declare("incident.record_upward_report", "登记向上级报告")
INCIDENT_CLOSE = declare("incident.close", "结束泄密事件")
