"""The audit events documents' services record (audits.events)."""
from audits.events import declare, declare_group

declare_group("carrier", "载体")
declare_group("circulation", "传阅")

REGISTER_IN = declare("carrier.register_in", "收文登记")
REGISTER_OUT = declare("carrier.register_out", "发文登记")
REGISTER_INTERNAL = declare("carrier.register_internal", "自产登记")
VIEW = declare("carrier.view", "查看载体")
DENIED = declare("carrier.denied", "拒绝访问载体")
CORRECT = declare("carrier.correct", "更正登记")
SCOPE_GRANT = declare("carrier.scope_grant", "扩大知悉范围")
SCOPE_REVOKE = declare("carrier.scope_revoke", "缩小知悉范围")
REPORT_LOST = declare("carrier.report_lost", "报告丢失")
RETURN_TO_ISSUER = declare("carrier.return_to_issuer", "清退")
ARCHIVE = declare("carrier.archive", "归档")
TRANSFER = declare("carrier.transfer", "移交")
DECLASSIFY_EXPIRED = declare("carrier.declassify_expired", "到期自行解密")
# Closes the reporting part of a declassification run: up to which audit sequence number the
# declassifications have been reported, and to how many people (documents.services_declassify).
DECLASSIFY_NOTIFIED = declare("carrier.declassify_notified", "自行解密汇总通知")
REVIEW_KEEP = declare("carrier.review_keep", "年度审核：维持定密")

# The registration direction (documents.models) names its event.
REGISTER_BY_DIRECTION = {"in": REGISTER_IN, "out": REGISTER_OUT, "internal": REGISTER_INTERNAL}

CIRCULATION_START = declare("circulation.start", "发起传阅")
CIRCULATION_HAND = declare("circulation.hand", "送达阅读人")
CIRCULATION_SIGN = declare("circulation.sign", "阅签")
CIRCULATION_RETURN = declare("circulation.return", "传阅交回")
CIRCULATION_CANCEL = declare("circulation.cancel", "撤销传阅")
