"""The top menu, grouped (issue 14 §8): at 1366 px the flat bar of 13 entries wrapped to two lines
for the 机要秘书. Entries are grouped into a few drop-downs (载体 / 审批 / 人员 / 会议 / 检查 /
登记簿); a group with one entry is a plain link, a group with none is not shown.

Built from the flags every app's context processor already puts in the context (settings
TEMPLATES): whether an entry is shown is decided there, by the same predicate its view checks
(portal.context_processors, meetings/personnel/oversight/audits context processors). This tag only
arranges them.
"""
from dataclasses import dataclass, field

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@dataclass
class Entry:
    id: str
    label: str
    url: str
    active: bool = False
    count: int = 0
    count_label: str = ""

    @property
    def count_text(self):
        return "99+" if self.count > 99 else str(self.count)


@dataclass
class Group:
    key: str
    label: str
    entries: list = field(default_factory=list)

    @property
    def active(self):
        return any(e.active for e in self.entries)

    @property
    def count(self):
        return sum(e.count for e in self.entries)


def _url(name):
    try:
        return reverse(name)
    except NoReverseMatch:  # a trimmed URLconf in a test
        return None


def _entries(ctx, here, namespace):
    """(group key, Entry) for every entry this user may use, in menu order."""
    g = ctx.get
    rows = []

    def add(group, entry_id, label, url, active=False, count=0, count_label=""):
        if url:
            rows.append((group, Entry(entry_id, label, url, active, int(count or 0), count_label)))

    if g("sees_carriers"):
        add("carriers", "nav-carriers", "载体台账", _url("documents:carrier_list"),
            here in ("documents:carrier_list", "documents:carrier_detail"))
    if g("is_registrar"):
        add("carriers", "nav-incoming", "收文登记", _url("documents:carrier_register_incoming"),
            here == "documents:carrier_register_incoming")
        add("carriers", "nav-outgoing", "发文登记", _url("documents:carrier_register_outgoing"),
            here == "documents:carrier_register_outgoing")
    count = g("circulation_to_sign_count")
    if count:
        add("carriers", "nav-circulation", "待阅签", _url("circulation:mine"), here == "circulation:mine",
            count, f"待阅签 {count} 件")
    if g("sees_destruction"):
        add("carriers", "nav-destroy", "销毁", _url("approvals:destroy_list"),
            here in ("approvals:destroy_list", "approvals:destroy_new"))
    if g("sees_inbox"):
        count = g("approvals_inbox_count")
        add("approvals", "nav-inbox", "待办审批", _url("approvals:inbox"), here == "approvals:inbox",
            count, f"待办 {count} 项")
    if g("sees_my_requests"):
        add("approvals", "nav-mine", "我的申请", _url("approvals:mine"), here == "approvals:mine")
    if g("sees_queue"):
        count = g("queue_count")
        add("approvals", "nav-queue", "审批办理", _url("approvals:queue"), here == "approvals:queue",
            count, f"待办理 {count} 件")
    if g("sees_personnel"):
        count = g("awaiting_record_count")
        add("people", "nav-personnel", "涉密人员", _url("personnel:list"),
            namespace == "personnel" and "personnel:travel" not in here
            and here not in ("personnel:me", "personnel:designations"),
            count, f"待建档 {count} 个账号")
    if g("sees_travel_queue"):
        count = g("travel_waiting_count")
        add("people", "nav-travel", "出境审批", _url("personnel:travel_list"), "personnel:travel" in here,
            count, f"待审批 {count} 件")
    if g("designates"):
        add("people", "nav-designations", "专人指定", _url("personnel:designations"), here == "personnel:designations")
    add("meetings", "nav-meetings", "涉密会议", g("meetings_url"), namespace == "meetings")
    add("oversight", "nav-inspections", "保密检查", g("inspections_nav_url"),
        namespace == "inspections" and here != "inspections:mine")
    count = g("my_rectifications_count")
    if count:
        add("oversight", "nav-rectifications", "我的整改", _url("inspections:mine"), here == "inspections:mine",
            count, f"待整改 {count} 项")
    count = g("incidents_open_count")
    add("oversight", "nav-incidents", "泄密事件", g("incidents_nav_url"), namespace == "incidents",
        count, f"待上报 {count} 件")
    add("registers", "nav-registers", "登记簿打印", g("registers_url"), namespace == "registers")
    # The 三员's own screens: few entries each, never grouped with carrier work.
    if g("is_auditor"):
        add("", "nav-audit", "审计日志", _url("audits:events"), namespace == "audits")
    if g("manages_accounts"):
        add("", "nav-accounts", "账号管理", _url("accounts:list"), namespace == "accounts")
    if g("manages_roles"):
        count = g("locked_accounts_count")
        add("", "nav-roles", "角色与解锁", _url("accounts:roles"), namespace == "accounts",
            count, f"已锁定 {count} 个账号")
    return rows


GROUPS = (("carriers", "载体"), ("approvals", "审批"), ("people", "人员"), ("meetings", "会议"),
          ("oversight", "检查"), ("registers", "登记簿"))


@register.inclusion_tag("includes/main_menu.html", takes_context=True)
def main_menu(context):
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    here = getattr(match, "view_name", "") or ""
    namespace = getattr(match, "namespace", "") or ""
    rows = _entries(context, here, namespace)
    groups = {key: Group(key, label) for key, label in GROUPS}
    loose = []
    for key, entry in rows:
        (groups[key].entries if key else loose).append(entry)
    items = [g for g in groups.values() if g.entries] + [Group("", "", [e]) for e in loose]
    unread = int(context.get("notifications_unread_count") or 0)
    notices = Entry("nav-notifications", "通知", reverse("notifications:inbox"), namespace == "notifications",
                    unread, f"未读通知 {unread} 条")
    return {"home_active": here == "home", "items": items, "notices": notices}
