"""The audit events meetings' services record (audits.events)."""
from audits.events import declare, declare_group

declare_group("meeting", "涉密会议")

CREATE = declare("meeting.create", "登记涉密会议")
UPDATE = declare("meeting.update", "修改涉密会议")
ATTENDEE_ADD = declare("meeting.attendee_add", "添加参会人员")
ATTENDEE_SIGN_IN = declare("meeting.attendee_sign_in", "参会签到")
OPEN = declare("meeting.open", "会议开始")
CLOSE = declare("meeting.close", "会议结束")
CANCEL = declare("meeting.cancel", "取消会议")
HANDOUT_GIVE = declare("meeting.handout_give", "分发会议材料")
HANDOUT_RECOVER = declare("meeting.handout_recover", "回收会议材料")
HANDOUT_REPORT_LOST = declare("meeting.handout_report_lost", "会议材料丢失")
