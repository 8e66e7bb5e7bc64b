"""The audit events of printed and exported registers (audits.events)."""
from audits.events import declare, declare_group

declare_group("register", "登记簿")

PRINT = declare("register.print", "打印登记簿")
EXPORT = declare("register.export", "导出登记簿")
# A 清查 printout lists carriers beyond the printer's need-to-know (masked): its own events, so the
# auditor finds every one of them.
INVENTORY_PRINT = declare("register.inventory_print", "清查打印登记簿")
INVENTORY_EXPORT = declare("register.inventory_export", "清查导出登记簿")
