"""The audit events of printed and exported registers (audits.events)."""
from audits.events import declare, declare_group

declare_group("register", "登记簿")

PRINT = declare("register.print", "打印登记簿")
EXPORT = declare("register.export", "导出登记簿")
