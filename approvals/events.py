"""The audit events of requests (approvals' services and each kind's handler), see audits.events."""
from audits.events import declare, declare_group

declare_group("request", "审批申请")

CREATE = declare("request.create", "提出申请")
SUBMIT = declare("request.submit", "提交申请")
CANCEL = declare("request.cancel", "撤销申请")
APPROVE = declare("request.approve", "审批同意")
REJECT = declare("request.reject", "审批驳回")
CHECK_OUT = declare("request.check_out", "借出/交付")
RETURN = declare("request.return", "归还登记")
MAKE_COPIES = declare("request.make_copies", "制作复制件")
DESIGNATE = declare("request.designate", "指定监销人")
WITNESS_CONFIRM = declare("request.witness_confirm", "确认监销")
EXECUTE = declare("request.execute", "执行销毁")
COPIES_COLLECTED = declare("request.copies_collected", "复制件领取签收")
