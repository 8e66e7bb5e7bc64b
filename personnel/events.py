"""The audit events personnel's services, sign-in guards and session limits record (audits.events)."""
from audits.events import declare, declare_group

declare_group("account", "账号")
declare_group("personnel", "涉密人员")

# Lockout, slow-down and session limits (personnel.auth, personnel.throttle, personnel.middleware);
# the auth group itself is the audit log's (audits.events).
LOCKED_OUT = declare("auth.locked_out", "账号因登录失败被锁定")
UNLOCK = declare("auth.unlock", "解锁账号")
ADDRESS_THROTTLED = declare("auth.address_throttled", "来源地址登录限速")
LOGIN_THROTTLED = declare("auth.login_throttled", "登录尝试过于频繁被拒")
SESSION_EXPIRED = declare("auth.session_expired", "登录超过最长时限自动退出")
SESSION_IDLE_TIMEOUT = declare("auth.session_idle_timeout", "长时间未操作自动退出")

# Accounts (personnel.services_accounts)
ACCOUNT_CREATE = declare("account.create", "新建账号")
ACCOUNT_DISABLE = declare("account.disable", "停用账号")
ACCOUNT_ENABLE = declare("account.enable", "启用账号")
PASSWORD_CHANGE = declare("account.password_change", "修改密码")
PASSWORD_RESET = declare("account.password_reset", "重置密码")

DEPARTMENT_CREATE = declare("personnel.department_create", "新建部门")
PERSON_SAVE = declare("personnel.person_save", "保存涉密人员信息")
ROLE_GRANT = declare("personnel.role_grant", "授予角色")
ROLE_REVOKE = declare("personnel.role_revoke", "撤销角色")
DESIGNATE = declare("personnel.designate", "指定绝密载体专人或受托审批人")
REVIEW_RECORD = declare("personnel.review_record", "登记审查")
TRAINING_RECORD = declare("personnel.training_record", "登记培训")
LEAVE_OPEN = declare("personnel.leave_open", "离岗离职登记")
LEAVE_TALK = declare("personnel.leave_talk", "离岗谈话")
LEAVE_COMMITMENT = declare("personnel.leave_commitment", "签署离岗承诺书")
LEAVE_APPROVE = declare("personnel.leave_approve", "批准离岗")
LEAVE_CANCEL = declare("personnel.leave_cancel", "撤销离岗")
DECLASSIFY_PERIOD_END = declare("personnel.declassify_period_end", "脱密期届满")
TRAVEL_REQUEST = declare("personnel.travel_request", "因私出境申请")
TRAVEL_DECIDE = declare("personnel.travel_decide", "出境审批")
TRAVEL_CANCEL = declare("personnel.travel_cancel", "撤销出境申请")
TRAVEL_EDUCATION = declare("personnel.travel_education", "出境前保密教育")
TRAVEL_RETURN = declare("personnel.travel_return", "出境返回登记")
TRAVEL_DOCUMENT_REGISTER = declare("personnel.travel_document_register", "登记出入境证件")
TRAVEL_DOCUMENT_HAND_BACK = declare("personnel.travel_document_hand_back", "发还出入境证件")
TRAVEL_DOCUMENT_CANCEL = declare("personnel.travel_document_cancel", "注销出入境证件")
# 待建档 (issue 14 §7): 保密办 makes the 涉密人员 record of an account the 系统管理员 created.
PERSON_ONBOARD = declare("personnel.person_onboard", "建立涉密人员档案")
