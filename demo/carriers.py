"""About 300 carriers registered by mishu through the registration services (统一编号, custody
rows, change history and audit events are real), a few of them corrected. The plan is drawn from a
seeded generator for the day the demo was first seeded, so a later run looks for the same carriers."""
import datetime as dt

from django.db.models import Min
from django.utils import timezone

from documents import services as carrier_services
from documents.models import Carrier, CarrierKind, Direction, TransmissionMethod
from secrecy.levels import Level, PeriodKind, PeriodUnit, Urgency, add_years

from .base import SectionResult
from .cast import DEPARTMENTS, PEOPLE

CARRIER_TARGET = 300
FIRST_DOC_DATE = dt.date(2024, 1, 1)

# --------------------------------------------------------------------------- carrier vocabulary

INCOMING_ISSUERS = [
    # issuer, 文号 prefix
    ("国家保密局", "国保发"),
    ("省保密局", "省保发"),
    ("省委办公厅", "省委办发"),
    ("省政府办公厅", "省政办发"),
    ("省委组织部", "省组通"),
    ("省发展改革委", "省发改"),
    ("省委机要局", "省机要发"),
    ("市委办公厅", "市委办发"),
    ("市政府办公厅", "市政办发"),
    ("市保密局", "市保发"),
    ("市公安局", "市公发"),
    ("市国家安全局", "市安发"),
    ("市委政法委", "市政法发"),
    ("市自然资源局", "市自然资发"),
    ("市科技局", "市科发"),
]

# Our own unit (示范单位) numbers its documents by department.
OUTGOING_PREFIX = {"office": "示办发", "secrecy": "示保发", "biz1": "示业一发"}
INTERNAL_PREFIX = {"office": "示办纪", "secrecy": "示保字", "biz1": "示业一字"}

RECIPIENTS = [
    "省保密局", "市委办公厅", "市政府办公厅", "市保密局", "各区县保密局", "各直属单位",
    "市委办公厅；市政府办公厅", "市国家安全局", "市档案馆", "省发展改革委",
]

# Topics by the kind of body that writes about them, so a 保密局 does not send a grain-reserve plan.
TOPICS = {
    "secrecy": [
        "做好年度保密自查自评工作", "加强涉密载体管理", "开展保密宣传教育月活动", "进一步规范定密工作",
        "涉密人员出境管理", "防范网络窃密攻击", "涉密会议保密管理", "保密要害部门部位专项检查",
        "核心涉密人员年度审查", "涉密计算机违规外联问题整改", "国家秘密事项目录修订", "涉密信息系统分级保护测评",
        "保密技术防护设备配备", "近期泄密案件", "保密检查发现问题整改", "年度保密工作考核",
    ],
    "security": [
        "重大活动安全保卫工作", "专项执法行动部署", "边境管控形势分析", "重点人员动态管控",
        "反恐怖防范工作", "关键信息基础设施保护", "重要基础设施安全防护", "数据出境安全评估",
    ],
    "general": [
        "重点项目选址论证", "全市国土空间规划调整", "应急物资储备布局", "经济运行风险研判",
        "科技攻关项目保密管理", "某型装备试验任务保障", "重大决策事项会商", "干部任免事项",
        "机构编制调整", "对口支援项目推进", "安全生产重大隐患排查", "粮食安全储备调整",
    ],
}
ISSUER_TOPICS = {"保密": "secrecy", "机要": "secrecy", "公安": "security", "安全": "security", "政法": "security"}
DEPARTMENT_TOPICS = {"office": "general", "secrecy": "secrecy", "biz1": "general"}
DEPARTMENT_NAMES = {code: name for code, name, _ in DEPARTMENTS}
PAPER_DOCTYPES = ["通知", "通报", "意见", "报告", "请示", "批复", "实施方案", "工作要点", "函"]
INTERNAL_PAPER_TITLES = [
    "{year}年度保密工作总结", "{year}年度保密自查报告", "主任办公会议纪要（{year}年第{n}次）",
    "党组会议纪要（{year}年第{n}次）", "{department}{topic}工作方案", "{topic}专题调研报告（送审稿）",
    "{topic}情况汇报（内部）", "{year}年第{q}季度重点工作进展情况",
]

DEVICE_TITLES = {
    CarrierKind.DISC: ["{topic}资料光盘", "{year}年度业务数据备份光盘", "{topic}会议材料光盘", "涉密图纸光盘（{topic}）"],
    CarrierKind.MAGNETIC: ["涉密数据备份移动硬盘", "业务数据备份磁带", "{topic}数据硬盘", "报废涉密计算机拆卸硬盘"],
    CarrierKind.REMOVABLE: ["涉密专用U盘", "涉密移动硬盘（专用）", "{topic}数据U盘", "机要文件交换U盘"],
    CarrierKind.COMPUTER: ["涉密便携式计算机", "涉密台式计算机", "涉密打印机", "涉密单机（{topic}）", "涉密扫描仪"],
    CarrierKind.OBJECT: ["某型设备关键部件样件", "加密模块样品", "{topic}实物模型", "专用密码装置（退役）"],
    CarrierKind.AUDIOVISUAL: ["{topic}会议录像", "{topic}专题片", "{year}年度保密警示教育片", "{topic}现场录音"],
}
SERIAL_PREFIX = {
    CarrierKind.DISC: "GP", CarrierKind.MAGNETIC: "WD-WX", CarrierKind.REMOVABLE: "SMU",
    CarrierKind.COMPUTER: "PC", CarrierKind.OBJECT: "MP", CarrierKind.AUDIOVISUAL: "YX",
}
CAPACITY = {
    CarrierKind.DISC: ["700MB", "4.7GB", "25GB"], CarrierKind.MAGNETIC: ["1TB", "2TB", "12TB"],
    CarrierKind.REMOVABLE: ["16GB", "32GB", "64GB", "1TB"], CarrierKind.COMPUTER: ["512GB", "1TB", "—"],
    CarrierKind.OBJECT: ["1件", "2件"], CarrierKind.AUDIOVISUAL: ["45分钟", "90分钟", "120分钟"],
}
LOCATIONS = {
    "office": ["机要室A柜", "机要室B柜", "机要室保密柜3号"],
    "secrecy": ["保密办保密柜1号", "保密办保密柜2号"],
    "biz1": ["业务一处保密柜", "业务一处涉密机房"],
}
SIGNERS = ["陈静", "陈静", "陈静", "刘洋"]
BASES = [
    "《保密工作国家秘密范围的规定》第{n}条",
    "《发展改革工作国家秘密范围的规定》第{n}条",
    "《公安工作国家秘密范围的规定》第{n}条",
    "《自然资源工作国家秘密范围的规定》第{n}条",
    "《科学技术工作国家秘密范围的规定》第{n}条",
    "本单位国家秘密事项一览表第{n}项",
]
CONDITIONS = ["会议结束后", "项目验收后", "正式公布后", "任务完成后", "工程竣工后"]
LONG_TERM_BASIS = "《保密工作国家秘密范围的规定》第3条第（一）项：保密期限为长期"
ATTACHMENTS = ["附件：1.名单；2.统计表", "附件：实施细则", "附件：检查情况汇总表", "附件：1.任务分工；2.时间安排"]

# 知悉范围 options: (name, highest level it may cover, users, department codes, scope note)
SCOPES = [
    ("lisi", Level.SECRET, ["lisi"], [], "李思远（业务一处）"),
    ("zhangsan", Level.CONFIDENTIAL, ["zhangsan"], [], "张善文（业务一处）"),
    ("biz1", Level.TOP_SECRET, [], ["biz1"], "业务一处全体涉密人员"),
    ("nobody", Level.TOP_SECRET, [], [], "限机要室"),
    ("lisi+zhangsan", Level.CONFIDENTIAL, ["lisi", "zhangsan"], [], "李思远、张善文"),
    ("leaders", Level.SECRET, ["zhuren", "lingdao"], [], "主任、分管领导"),
    ("zhuren", Level.TOP_SECRET, ["zhuren"], [], "限主要负责人"),
    ("baomi", Level.SECRET, ["baomi"], ["secrecy"], "保密办"),
    ("office", Level.TOP_SECRET, [], ["office"], "办公室"),
]
SCOPE_WEIGHTS = [22, 14, 20, 14, 6, 8, 6, 6, 4]

# Usual terms per level (the cap most often); months only below 绝密.
TERM_YEARS = {Level.TOP_SECRET: [30, 30, 20, 15], Level.SECRET: [20, 20, 10, 5], Level.CONFIDENTIAL: [10, 10, 5, 3, 2]}
# Period options for state secrets (weights for the random fill).
PERIODS = ["years", "months", "date", "condition", "unmarked", "long"]
PERIOD_WEIGHTS = [55, 10, 12, 10, 8, 5]

CORRECTIONS = [
    ({"location": "机要室B柜"}, "载体已调整至机要室B柜存放，更正存放位置"),
    ({"urgency": Urgency.URGENT}, "来文标注“加急”，登记时漏填"),
    ({"copies": 2}, "清点时实收2份，原登记为1份"),
    ({"signed_by": "刘洋"}, "签收人登记错误，实际由刘洋签收"),
    ({"scope_note": "业务一处处级以上干部"}, "按来文要求明确知悉范围"),
    ({"notes": "来文附光盘1张已单独登记"}, "补记附件情况"),
    ({"period": 5}, "核对定密依据，保密期限应为5年"),
    ({"pages_fix": True}, "页数登记有误（含附件）"),
]


DRAFTERS = {"office": ["mishu", "zhuren"], "secrecy": ["baomi"], "biz1": ["lisi", "zhangsan", "lingdao"]}
CLEARANCE = {"core": Level.TOP_SECRET, "important": Level.SECRET, "general": Level.CONFIDENTIAL, "": Level.WORK}
CLEARANCE = {p["username"]: CLEARANCE[p["person_class"]] for p in PEOPLE}


def _weighted(rng, options, weights):
    return rng.choices(options, weights=weights, k=1)[0]


class CarrierPlanner:
    """Draws the carriers; every draw uses the seeded generator, never today's date, so the
    plan (and each carrier's identity) is the same on every run and every day."""

    def __init__(self, rng, today):
        self.rng = rng
        self.today = today
        self.span_days = max((today - FIRST_DOC_DATE).days, 0)
        self.used_numbers = set()
        self.used_serials = set()
        self.used_keys = set()

    def doc_date(self):
        fraction = self.rng.random()
        return FIRST_DOC_DATE + dt.timedelta(days=int(fraction * self.span_days))

    def doc_number(self, prefix, year):
        while True:
            number = self.rng.randint(1, 180)
            if (prefix, year, number) not in self.used_numbers:
                self.used_numbers.add((prefix, year, number))
                return f"{prefix}〔{year}〕{number}号"

    def device_serial(self, kind):
        while True:
            serial = f"{SERIAL_PREFIX[kind]}{self.rng.randint(10000, 99999)}{self.rng.choice('ABCDEFGHJK')}"
            if serial not in self.used_serials:
                self.used_serials.add(serial)
                return serial

    def title(self, kind, direction, doc_date, *, topics, department):
        rng = self.rng
        topic = rng.choice(TOPICS[topics])
        if kind == CarrierKind.PAPER:
            if direction == Direction.INTERNAL:
                template = rng.choice(INTERNAL_PAPER_TITLES)
                return template.format(year=doc_date.year, n=rng.randint(1, 24), q=(doc_date.month - 1) // 3 + 1,
                                       topic=topic, department=DEPARTMENT_NAMES[department])
            return f"关于{topic}的{rng.choice(PAPER_DOCTYPES)}"
        template = rng.choice(DEVICE_TITLES.get(kind, ["{topic}资料"]))
        return template.format(topic=topic, year=doc_date.year)

    def period(self, level, choice):
        """Period fields for a state secret; `choice` is one of PERIODS."""
        rng = self.rng
        if choice == "long" and level < Level.SECRET:
            choice = "years"
        if choice == "months" and level == Level.TOP_SECRET:
            choice = "years"
        if choice == "years":
            value = rng.choice(TERM_YEARS[level])
            return dict(period_kind=PeriodKind.TERM, period_value=value, period_unit=PeriodUnit.YEAR)
        if choice == "months":
            return dict(period_kind=PeriodKind.TERM, period_value=rng.choice([6, 18, 24, 36]),
                        period_unit=PeriodUnit.MONTH)
        if choice == "date":
            return dict(period_kind=PeriodKind.DATE, years_ahead=rng.randint(3, 8))
        if choice == "condition":
            return dict(period_kind=PeriodKind.CONDITION, declassify_condition=rng.choice(CONDITIONS))
        if choice == "long":
            return dict(period_kind=PeriodKind.LONG_TERM, long_term_basis=LONG_TERM_BASIS)
        return {}  # unmarked: the service applies the cap for the level (DM14 art. 24(4))

    def carrier(self, *, level, kind, direction, scope, period_choice, department):
        rng = self.rng
        doc_date = self.doc_date()
        data = dict(kind=kind, level=int(level), doc_date=doc_date, department=department)
        issuer, prefix = rng.choice(INCOMING_ISSUERS)
        if direction == Direction.INCOMING:
            topics = next((t for word, t in ISSUER_TOPICS.items() if word in issuer), "general")
        else:
            topics = DEPARTMENT_TOPICS[department]
        data["title"] = self.title(kind, direction, doc_date, topics=topics, department=department)
        if kind != CarrierKind.PAPER:
            data["device_serial"] = self.device_serial(kind)
            data["pages"] = rng.choice(CAPACITY.get(kind, ["—"]))
        else:
            data["pages"] = f"{rng.randint(2, 60)}页"
            if rng.random() < 0.2:
                data["attachments"] = rng.choice(ATTACHMENTS)
        if direction == Direction.INCOMING:
            data["issuer"] = issuer
            # The 制发日 comes a few days before the carrier reaches us.
            data["start_date"] = doc_date - dt.timedelta(days=rng.randint(0, 6))
            data["doc_number"] = self.doc_number(prefix, data["start_date"].year)
            data["signed_by"] = rng.choice(SIGNERS)
        elif direction == Direction.OUTGOING:
            data["doc_number"] = self.doc_number(OUTGOING_PREFIX[department], doc_date.year)
            data["issuer"] = "示范单位"
            data["recipients"] = rng.choice(RECIPIENTS)
        else:
            data["issuer"] = "示范单位" + DEPARTMENT_NAMES[department]
            if kind == CarrierKind.PAPER and (rng.random() < 0.6 or (data["title"], "", "") in self.used_keys):
                data["doc_number"] = self.doc_number(INTERNAL_PREFIX[department], doc_date.year)
        if direction != Direction.INTERNAL:
            data["transmission"] = (
                TransmissionMethod.CONFIDENTIAL_COURIER if level >= Level.SECRET
                else rng.choice([TransmissionMethod.CONFIDENTIAL_MAIL, TransmissionMethod.CONFIDENTIAL_COURIER,
                                 TransmissionMethod.BY_HAND])
            )
        if level >= Level.CONFIDENTIAL:
            data.update(self.period(level, period_choice))
        if level >= Level.SECRET or (level == Level.CONFIDENTIAL and rng.random() < 0.5):
            # 份号 is required for 机密/绝密 and common on 秘密.
            data["copy_number"] = rng.randint(1, 120)
        data["copies"] = 1 if level >= Level.SECRET else rng.choice([1, 1, 1, 2, 3])
        urgency = rng.random()
        data["urgency"] = Urgency.EXTRA_URGENT if urgency < 0.05 else Urgency.URGENT if urgency < 0.15 else Urgency.NONE
        data["location"] = rng.choice(LOCATIONS[department])
        data["scope_note"] = scope[4]
        drafter = ""
        if direction != Direction.INCOMING and level >= Level.CONFIDENTIAL:
            data["basis"] = rng.choice(BASES).format(n=rng.randint(2, 12))
            # 承办人: someone of the department cleared for the level.
            drafter = rng.choice([name for name in DRAFTERS[department] if CLEARANCE[name] >= level] or ["mishu"])
        self.used_keys.add(_key(data))
        return dict(direction=direction, data=data, scope=scope, drafter=drafter)


def _pick_scope(rng, level, rotate=None):
    allowed = [(s, w) for s, w in zip(SCOPES, SCOPE_WEIGHTS) if s[1] >= level]
    if rotate is not None:
        return allowed[rotate % len(allowed)][0]
    return _weighted(rng, [s for s, _ in allowed], [w for _, w in allowed])


def build_carrier_plan(rng, today, target=CARRIER_TARGET):
    """The list of carriers to register, each a dict(direction, data, scope, correction).

    The first entries walk every (level, kind, direction) so coverage never depends on luck;
    the rest are drawn with realistic weights (more 收文 and 纸质, few 绝密).
    """
    planner = CarrierPlanner(rng, today)
    departments = [code for code, _, _ in DEPARTMENTS]
    plan = []
    combos = [(level, kind, direction) for level in Level for kind in CarrierKind for direction in Direction]
    for i, (level, kind, direction) in enumerate(combos):
        plan.append(planner.carrier(
            level=level, kind=kind, direction=direction, scope=_pick_scope(rng, level, rotate=i),
            period_choice=PERIODS[i % len(PERIODS)], department=departments[i % len(departments)],
        ))
    levels, level_weights = list(Level), [15, 42, 31, 12]
    kinds = list(CarrierKind)
    kind_weights = [{CarrierKind.PAPER: 62, CarrierKind.DISC: 7, CarrierKind.MAGNETIC: 5, CarrierKind.REMOVABLE: 9,
                     CarrierKind.COMPUTER: 5, CarrierKind.OBJECT: 4, CarrierKind.AUDIOVISUAL: 8}.get(k, 5)
                    for k in kinds]
    directions, direction_weights = list(Direction), [50, 30, 20]
    while len(plan) < target:
        level = _weighted(rng, levels, level_weights)
        direction = _weighted(rng, directions, direction_weights)
        department = "office" if direction == Direction.INCOMING and rng.random() < 0.5 else rng.choice(departments)
        plan.append(planner.carrier(
            level=level, kind=_weighted(rng, kinds, kind_weights), direction=direction,
            scope=_pick_scope(rng, level), period_choice=_weighted(rng, PERIODS, PERIOD_WEIGHTS),
            department=department,
        ))
    # One 绝密 carrier whose period exceeds the cap under "另有规定" (LAW24 art. 20(2)).
    special = next(p for p in plan if p["data"]["level"] == Level.TOP_SECRET and p["data"]["kind"] == CarrierKind.PAPER
                   and p["data"].get("period_kind") == PeriodKind.TERM)
    special["data"].update(period_value=40, period_unit=PeriodUnit.YEAR, period_special=True,
                           period_special_reason="依据《保密工作国家秘密范围的规定》另有规定")
    # A handful of registrations get corrected so the change history has something to show.
    for index, correction in zip(range(5, len(plan), 37), CORRECTIONS):
        plan[index]["correction"] = correction
    for entry in plan:
        entry["key"] = _key(entry["data"])
    return plan


def _key(data):
    """A planned carrier's identity: fields that corrections never touch."""
    return (data["title"], data.get("doc_number", ""), data.get("device_serial", ""))


def _resolve_period_dates(data):
    years_ahead = data.pop("years_ahead", None)
    if years_ahead is not None:
        start = data.get("start_date") or data["doc_date"]
        data["declassify_date"] = dt.date(add_years(start, years_ahead).year, 12, 31)
        if data["declassify_date"] > add_years(start, {4: 30, 3: 20, 2: 10}[data["level"]]):
            data["declassify_date"] = add_years(start, years_ahead)
    return data


def _correction_changes(carrier, correction):
    changes, reason = correction
    changes = dict(changes)
    if "period" in changes:
        # A correction never changes the 保密期限 (issue 11 §1: only 密级变更 does); the registrar
        # records that the period was checked against the original instead.
        changes.pop("period")
        changes["notes"] = f"{carrier.notes}经核对保密期限与原件一致".strip()
    if changes.pop("pages_fix", False):
        changes["pages"] = f"{carrier.pages}（含附件）"
    if "signed_by" in changes and carrier.direction != Direction.INCOMING:
        changes, reason = {"location": "机要室保密柜3号"}, "存放位置登记错误"
    for field in ("location", "signed_by", "copies", "urgency"):
        if field in changes and getattr(carrier, field) == changes[field]:
            # Already right: record the check instead, so the correction is never empty.
            label = Carrier._meta.get_field(field).verbose_name
            changes["notes"] = f"{carrier.notes}经核对{label}无误".strip()
            changes.pop(field)
    return changes, reason


def seed_carriers(ctx):
    result = SectionResult()
    mishu = ctx.refresh_user("mishu")
    # The plan spreads document dates up to its day; a later run rebuilds it for the day the demo
    # was first seeded, so the carriers it looks for are exactly the ones registered then.
    first = Carrier.objects.filter(registered_by=mishu).aggregate(first=Min("registered_at"))["first"]
    ctx.seed_day = timezone.localdate(first) if first else ctx.today
    plan = build_carrier_plan(ctx.rng, ctx.seed_day)
    existing = set(
        Carrier.objects.filter(registered_by=mishu).values_list("title", "doc_number", "device_serial")
    )
    corrected = 0
    for entry in plan:
        if entry["key"] in existing:
            result.existing += 1
            continue
        data = _resolve_period_dates(dict(entry["data"]))
        code = data["department"]
        data["department"] = ctx.departments[code]
        _, _, user_names, group_codes, _ = entry["scope"]
        scope_users = [ctx.users[name] for name in user_names]
        scope_groups = [ctx.departments[c].group for c in group_codes]
        if entry["direction"] == Direction.INCOMING:
            carrier = carrier_services.carrier_register_incoming(
                actor=mishu, data=data, scope_users=scope_users, scope_groups=scope_groups)
        else:
            if entry["drafter"]:
                data["drafter"] = ctx.users[entry["drafter"]]
                # zhuren is the unit's only official with 定密 authority (up to 绝密).
                data["classifier"] = ctx.users["zhuren"]
            carrier = carrier_services.carrier_register_outgoing(
                actor=mishu, data=data, internal=entry["direction"] == Direction.INTERNAL,
                scope_users=scope_users, scope_groups=scope_groups)
        result.created += 1
        if entry.get("correction"):
            changes, reason = _correction_changes(carrier, entry["correction"])
            carrier_services.carrier_correct(actor=mishu, carrier=carrier, changes=changes, reason=reason)
            corrected += 1
    if corrected:
        result.note = f"其中 {corrected} 件做了更正登记"
    return result
