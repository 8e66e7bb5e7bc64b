"""Chinese names of audit actions for the auditor's screens and exports.

The log stores the code (`carrier.view`), which is what every service writes and what the filters
match; the auditor reads the name. An action not listed here shows as its code, so a new service
never makes an event disappear from the screens — it only shows less prettily until it is named.
"""

ACTION_LABELS = {
    # Accounts and sign-in (audits.signals)
    "auth.login": "登录",
    "auth.logout": "退出登录",
    "auth.login_failed": "登录失败",
    # Lockout, slow-down and passwords (personnel.auth, personnel.throttle, personnel.services_accounts)
    "auth.locked_out": "账号因登录失败被锁定",
    "auth.unlock": "解锁账号",
    "auth.address_throttled": "来源地址登录限速",
    "auth.login_throttled": "登录尝试过于频繁被拒",
    "account.password_change": "修改密码",
    "account.password_reset": "重置密码",
    # Carriers (documents.services*)
    "carrier.register_in": "收文登记",
    "carrier.register_out": "发文登记",
    "carrier.register_internal": "自产登记",
    "carrier.view": "查看载体",
    "carrier.denied": "拒绝访问载体",
    "carrier.correct": "更正登记",
    "carrier.scope_grant": "扩大知悉范围",
    "carrier.scope_revoke": "缩小知悉范围",
    "carrier.report_lost": "报告丢失",
    "carrier.return_to_issuer": "清退",
    "carrier.archive": "归档",
    "carrier.transfer": "移交",
    "carrier.declassify_expired": "到期自行解密",
    "carrier.declassify_notified": "自行解密汇总通知",
    "carrier.review_keep": "年度审核：维持定密",
    # Requests: lend, copy, carry out, repair, destroy, change of level (documents.services_*)
    "request.create": "提出申请",
    "request.submit": "提交申请",
    "request.cancel": "撤销申请",
    "request.approve": "审批同意",
    "request.reject": "审批驳回",
    "request.check_out": "借出/交付",
    "request.return": "归还登记",
    "request.make_copies": "制作复制件",
    "request.designate": "指定监销人",
    "request.witness_confirm": "确认监销",
    "request.execute": "执行销毁",
    # Circulation (documents.services_circulation)
    "circulation.start": "发起传阅",
    "circulation.hand": "送达阅读人",
    "circulation.sign": "阅签",
    "circulation.return": "传阅交回",
    "circulation.cancel": "撤销传阅",
    # Registers (registers.services)
    "register.print": "打印登记簿",
    "register.export": "导出登记簿",
    # Meetings (meetings.services)
    "meeting.create": "登记涉密会议",
    "meeting.update": "修改涉密会议",
    "meeting.attendee_add": "添加参会人员",
    "meeting.attendee_sign_in": "参会签到",
    "meeting.open": "会议开始",
    "meeting.close": "会议结束",
    "meeting.cancel": "取消会议",
    "meeting.handout_give": "分发会议材料",
    "meeting.handout_recover": "回收会议材料",
    "meeting.handout_report_lost": "会议材料丢失",
    # Personnel (personnel.services)
    "personnel.department_create": "新建部门",
    "personnel.person_save": "保存涉密人员信息",
    "personnel.role_grant": "授予角色",
    "personnel.role_revoke": "撤销角色",
    "personnel.review_record": "登记审查",
    "personnel.training_record": "登记培训",
    "personnel.leave_open": "离岗离职登记",
    "personnel.leave_talk": "离岗谈话",
    "personnel.leave_commitment": "签署离岗承诺书",
    "personnel.leave_approve": "批准离岗",
    "personnel.leave_cancel": "撤销离岗",
    "personnel.declassify_period_end": "脱密期届满",
    "personnel.travel_request": "因私出境申请",
    "personnel.travel_decide": "出境审批",
    "personnel.travel_cancel": "撤销出境申请",
    "personnel.travel_education": "出境前保密教育",
    "personnel.travel_return": "出境返回登记",
    "personnel.travel_document_register": "登记出入境证件",
    "personnel.travel_document_hand_back": "发还出入境证件",
    "personnel.travel_document_cancel": "注销出入境证件",
    # Notifications
    "notification.read": "阅读通知",
    "notification.read_all": "全部通知标为已读",
    # The audit log itself
    "audit.verify": "校验审计日志",
    "audit.export": "导出审计日志",
    "audit.daily_summary": "审计日报",
    "audit.summary_print": "打印审计日报",
    "audit.chain_keyed": "审计链启用密钥",
}

# The part before the first dot groups the actions in the filter's select.
GROUP_LABELS = {
    "auth": "登录",
    "carrier": "载体",
    "request": "审批申请",
    "circulation": "传阅",
    "register": "登记簿",
    "meeting": "涉密会议",
    "personnel": "涉密人员",
    "notification": "通知",
    "audit": "审计",
}


def register_action_labels(labels):
    """An app above audits names its own actions ({code: 中文名}) from its AppConfig.ready(), so
    the log needs no import of it (ARCHITECTURE.md: imports point down)."""
    ACTION_LABELS.update(labels)


def register_action_groups(groups):
    """{group: 中文名} for the part before the first dot of an app's actions, registered the same way."""
    GROUP_LABELS.update(groups)


def action_label(code):
    """The Chinese name of an action, else its code."""
    return ACTION_LABELS.get(code, code)


def action_group(code):
    return code.split(".", 1)[0] if "." in code else ""


def group_label(group):
    return GROUP_LABELS.get(group, group or "其他")
