"""The audit events notifications' services record (audits.events)."""
from audits.events import declare, declare_group

declare_group("notification", "通知")

READ = declare("notification.read", "阅读通知")
READ_ALL = declare("notification.read_all", "全部通知标为已读")
