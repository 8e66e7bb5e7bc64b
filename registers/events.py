"""The audit events of printed and exported registers (audits.events)."""
from audits.events import declare, declare_group

declare_group("register", "登记簿")

PRINT = declare("register.print", "打印登记簿")
EXPORT = declare("register.export", "导出登记簿")
# Issue 14 §7: a rendered file is fetched once and then removed; one left behind goes after the TTL.
DOWNLOAD = declare("register.download", "下载登记簿文件")
FILE_REMOVE = declare("register.file_remove", "删除服务器上的登记簿文件")
# A 清查 printout lists carriers beyond the printer's need-to-know (masked): its own events, so the
# auditor finds every one of them.
INVENTORY_PRINT = declare("register.inventory_print", "清查打印登记簿")
INVENTORY_EXPORT = declare("register.inventory_export", "清查导出登记簿")
