"""python manage.py seed_demo: the demo unit of SPEC §14, built only through the services.

Everything goes through the same services a click would use (department_create, person_save,
role_grant, carrier_register_incoming/outgoing, carrier_correct, and the approval services of
approvals.services and approvals.kinds), so serials, custody rows, the change
history and the audit log are real.

Idempotent: every section first looks for what it would create and creates only what is missing,
so a second run changes nothing (not even the audit log) and says so. The random generator has a
fixed seed; the carrier plan is rebuilt for the day the demo was first seeded, so a run on a later
day looks for the same carriers. The requests section is all or nothing (one transaction) and is
marked by its requests' reasons; so is the circulation/disposal section (by its circulations' and
custody rows' notes). The expiry job runs as of that first day too, so it is idempotent by itself.

Later issues add sections (a meeting …): write a function `seed_<thing>(ctx)` that returns a
`SectionResult` and append it to SECTIONS.
"""
import dataclasses
import datetime as dt
import random
import time
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from audits.models import AuditEvent
from documents import policy
from documents import services as carrier_services
from approvals import services as approvals
from approvals.kinds import lend as lending
from approvals.kinds import carry
from approvals.kinds import repair as repairs
from approvals.kinds import copy as copying
from documents import services_circulation as circulations
from documents import services_declassify as declassifying
from approvals.kinds import destroy as destroying
from approvals.kinds import reclassify as reclassifying
from approvals.kinds import scope as scoping
from documents import services_disposal as disposal
from documents.models import (
    DEVICE_KINDS, Carrier, CarrierGroupScope, CarrierKind, Circulation, CirculationState, CirculationStep,
    CustodyAction, CustodyEvent, CustodyStatus, Direction, SecrecyStatus, TransmissionMethod,
)
from approvals.models import (
    ApprovalRequest, CopyMode, DestructionMethod, ReclassifyType, RepairMode, RequestItem, RequestKind, RequestState,
    ReturnCondition,
)
from approvals.workflows import state_label
from personnel import services as personnel_services
from personnel.models import Department, Person, Role
from personnel.policy import clearance_of
from secrecy.levels import Level, PeriodKind, PeriodUnit, Urgency, add_years, cap_date

PASSWORD = "Secrecy#2026"
RANDOM_SEED = 20260101
CARRIER_TARGET = 300
FIRST_DOC_DATE = dt.date(2024, 1, 1)

# --------------------------------------------------------------------------- the cast (SPEC §14)

DEPARTMENTS = [
    # code, name, is_secrecy_office
    ("office", "办公室", False),
    ("secrecy", "保密办", True),
    ("biz1", "业务一处", False),
]

PEOPLE = [
    dict(username="mishu", full_name="陈静", post="机要秘书", department="office", roles=[Role.REGISTRAR],
         person_class="core", serves=("office", "secrecy", "biz1")),
    dict(username="zhuren", full_name="赵建国", post="主任（主要负责人）", department="office", roles=[Role.APPROVER],
         person_class="core", approval=4, classification=4, principal=True),
    dict(username="lingdao", full_name="刘志强", post="副主任（分管业务一处）", department="biz1", roles=[Role.APPROVER],
         person_class="important", approval=3),
    dict(username="baomi", full_name="孙丽华", post="保密办干部", department="secrecy", roles=[Role.SECRECY_OFFICE],
         person_class="important"),
    dict(username="lisi", full_name="李思远", post="业务一处副处长", department="biz1", roles=[Role.READER],
         person_class="important"),
    dict(username="zhangsan", full_name="张善文", post="业务一处科员", department="biz1", roles=[Role.READER],
         person_class="general"),
    dict(username="wangwu", full_name="王武军", post="业务一处办事员（非涉密岗位）", department="biz1",
         roles=[Role.READER], person_class=""),
    dict(username="sysadmin", full_name="周海涛", post="系统管理员", department="office", roles=[Role.SYSADMIN],
         person_class=""),
    dict(username="secadmin", full_name="吴晓燕", post="安全保密管理员", department="secrecy",
         roles=[Role.SECURITY_ADMIN], person_class=""),
    dict(username="auditor", full_name="郑永红", post="安全审计员", department="secrecy", roles=[Role.AUDITOR],
         person_class=""),
]


@dataclasses.dataclass
class SectionResult:
    created: int = 0
    existing: int = 0
    note: str = ""


@dataclasses.dataclass
class Context:
    """What sections share: the departments and users by code/username, a seeded generator, today."""

    rng: random.Random
    today: dt.date
    # The day the demo was first seeded (its carriers registered); set by seed_carriers.
    seed_day: dt.date = None
    departments: dict = dataclasses.field(default_factory=dict)
    users: dict = dataclasses.field(default_factory=dict)

    def refresh_user(self, username):
        # Role checks cache on the instance; take a fresh one after roles change.
        self.users[username] = get_user_model().objects.select_related("person").get(username=username)
        return self.users[username]


def seed_departments(ctx):
    result = SectionResult()
    for code, name, is_secrecy_office in DEPARTMENTS:
        department = Department.objects.filter(code=code).first()
        if department is None:
            # 办公室 also does the unit's 组织人事 work (reviews, opinions on travel abroad).
            department = personnel_services.department_create(
                actor=None, name=name, code=code, is_secrecy_office=is_secrecy_office,
                is_personnel_office=(code == "office"))
            result.created += 1
        else:
            result.existing += 1
        ctx.departments[code] = department
    return result


def seed_people(ctx):
    result = SectionResult()
    user_model = get_user_model()
    for spec in PEOPLE:
        user = user_model.objects.filter(username=spec["username"]).first()
        if user is not None and Person.objects.filter(user=user).exists():
            result.existing += 1
            ctx.refresh_user(spec["username"])
            continue
        if user is None:
            user = user_model.objects.create_user(spec["username"], password=PASSWORD)
        personnel_services.person_save(
            actor=None, user=user, full_name=spec["full_name"], post=spec["post"],
            department=ctx.departments[spec["department"]], person_class=spec["person_class"],
            review_passed=True, review_date=dt.date(2025, 3, 1), commitment_signed_on=dt.date(2025, 3, 2),
            approval_authority=spec.get("approval", 0), classification_authority=spec.get("classification", 0),
            is_principal=spec.get("principal", False),
            served_departments=[ctx.departments[code] for code in spec.get("serves", ())],
        )
        for role in spec["roles"]:
            personnel_services.role_grant(actor=None, user=user, role=role)
        ctx.refresh_user(spec["username"])
        result.created += 1
    # LAW24 art. 26; REG24 art. 29(1): zhuren designates mishu as the 绝密 专人 of the 机要室.
    mishu = ctx.users["mishu"]
    if not mishu.person.top_secret_registrar:
        personnel_services.person_designate(actor=ctx.users["zhuren"], user=mishu, field="top_secret_registrar",
                                            designated=True)
        ctx.refresh_user("mishu")
    return result


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


# --------------------------------------------------------------------------- requests (SPEC §5)
# Requests of every kind in every state its transition table reaches, walked through the same
# services a click uses (so the rules hold and every step writes its audit event). Carriers are
# picked deterministically: the first carrier by 统一编号 that satisfies the pick's rules and was not
# used by an earlier entry. "hidden_from" prefers carriers those users cannot see yet, so the
# need-to-know a request brings (an approver's pending decision, a 监销人's batch, a carrier in
# someone's custody) is visible in the demo rather than hidden behind a scope they already have.

D, SUB, APP, RUN, DONE, REJ, CAN = (
    RequestState.DRAFT, RequestState.SUBMITTED, RequestState.APPROVED, RequestState.IN_PROGRESS,
    RequestState.COMPLETED, RequestState.REJECTED, RequestState.CANCELLED,
)
EVERYONE_BUT_MISHU = ("zhuren", "lingdao", "baomi", "lisi", "zhangsan", "wangwu")
ISSUER_PREFIX = dict(INCOMING_ISSUERS)


@dataclasses.dataclass(frozen=True)
class Pick:
    """Which carrier an entry needs. kinds is a strict filter; fallback_kinds is tried (still
    within the rules) only if the data has no carrier of `kinds` left."""

    level: int
    kinds: tuple = (CarrierKind.PAPER,)
    fallback_kinds: tuple = ()
    hidden_from: tuple = ()
    directions: tuple = ()
    scope_group: str = ""
    # 密级变更: a running TERM or DATE period, at least a year from its end and a year below the cap
    # for the level (RequestSeeder.running), so an extension, a shortening or a new level all validate.
    running_period: bool = False


def P(level, *kinds, **options):  # noqa: N802 - short constructor for the plan table below
    return Pick(level=int(level), kinds=tuple(kinds) or (CarrierKind.PAPER,), **options)


OWN = (Direction.OUTGOING, Direction.INTERNAL)  # our own documents: 定密依据、承办人、定密责任人 on record
DEVICES = tuple(DEVICE_KINDS)
L, C, K, R, X = RequestKind.LEND, RequestKind.COPY, RequestKind.CARRY_OUT, RequestKind.REPAIR, RequestKind.DESTROY
Y = RequestKind.RECLASSIFY
S = RequestKind.SCOPE
RT = ReclassifyType

# (kind, target state, requester, approver, carriers, fields). Reasons are unique: they are the
# marker that tells a second run the requests exist already.
REQUEST_PLAN = [
    # 借阅 ---------------------------------------------------------------------------------------
    (L, D, "zhangsan", None, [P(2)], dict(due=5, reason="撰写本处季度保密工作简报，需参阅该文件的有关要求")),
    (L, SUB, "lisi", None, [P(3, hidden_from=("lingdao", "zhuren"))],
     dict(due=7, reason="起草业务一处年度工作总结，需参阅文件中的部署要求")),
    (L, SUB, "zhangsan", None, [P(2, hidden_from=("lingdao", "zhuren"))],
     dict(due=3, reason="办理市保密局来函答复，需核对原文件内容")),
    (L, APP, "zhangsan", "lingdao", [P(2)],
     dict(due=4, reason="准备处务会汇报材料，需借阅参考", comment="同意，阅后按期归还")),
    (L, RUN, "lisi", "lingdao", [P(3)],
     dict(due=10, reason="承办重点项目论证工作，需借阅相关文件", comment="同意，注意妥善保管，按期归还")),
    (L, RUN, "lisi", "zhuren", [P(3)],
     dict(due=0, on_site=True, reason="核对主任办公会议决定事项，在阅文室阅读", comment="同意在阅文室阅读，当日归还")),
    (L, RUN, "zhangsan", "lingdao",
     [P(2, CarrierKind.AUDIOVISUAL, CarrierKind.DISC, fallback_kinds=(CarrierKind.PAPER,))],
     dict(due=3, reason="制作保密警示教育课件，需调阅有关资料", comment="同意，仅限在涉密计算机上使用")),
    (L, DONE, "lisi", "lingdao", [P(3)],
     dict(due=5, reason="参加专项工作协调会前熟悉文件精神", comment="同意")),
    (L, DONE, "zhangsan", "lingdao", [P(2)],
     dict(due=2, reason="整理本处文件目录，需核对文号和份数", comment="同意，当日归还")),
    (L, REJ, "zhangsan", "lingdao", [P(2)],
     dict(due=5, reason="了解相关工作情况", comment="该文件与你当前承办的工作无直接关系，不予借阅")),
    (L, CAN, "lisi", None, [P(3)],
     dict(due=6, reason="参加市里专题会议前查阅背景材料", cancel="会议延期，暂不需要借阅")),
    # 复制 / 摘抄 / 汇编 ---------------------------------------------------------------------------
    (C, D, "lisi", None, [P(3, directions=OWN)],
     dict(mode=CopyMode.COPY, count=2, reason="供处务会集体研究使用，拟复制2份，会后收回")),
    (C, SUB, "mishu", None, [P(4, directions=(Direction.INCOMING,))],
     dict(mode=CopyMode.COPY, count=1, consent=True, maker="本单位机要室",
          reason="按主任批示，复制1份送分管领导阅办")),
    (C, SUB, "zhangsan", None, [P(2, hidden_from=("lingdao",), directions=OWN)],
     dict(mode=CopyMode.EXCERPT, count=1, reason="摘抄有关条款，用于起草本处落实措施")),
    (C, APP, "zhangsan", "lingdao", [P(2, directions=OWN)],
     dict(mode=CopyMode.COPY, count=1, reason="本处工作台账需留存复制件1份", comment="同意复制1份，复制件视同原件管理")),
    (C, DONE, "lisi", "lingdao", [P(3, directions=OWN)],
     dict(mode=CopyMode.COPY, count=2, reason="专题会议参会人员阅研，需复制2份，会后收回", comment="同意，会后及时收回")),
    (C, DONE, "lisi", "zhuren", [P(3, directions=OWN)],
     dict(mode=CopyMode.EXCERPT, count=1, reason="摘抄相关部署要求，用于起草本处实施方案", comment="同意摘抄，摘抄件按原密级管理")),
    (C, DONE, "lisi", "lingdao",
     [P(2, directions=OWN, scope_group="biz1"), P(3, directions=OWN, scope_group="biz1"),
      P(3, directions=OWN, scope_group="biz1")],
     dict(mode=CopyMode.COMPILE, count=2, title="业务一处{year}年度重要文件汇编", maker="本单位机要室",
          reason="汇编本处年度重要文件，供年度工作总结和业务培训使用", comment="同意汇编2份，按汇编后的最高密级和最长期限管理")),
    (C, REJ, "zhangsan", "lingdao", [P(2)],
     dict(mode=CopyMode.COPY, count=5, reason="分发本处人员学习，拟复制5份",
          comment="复制份数超出工作需要，请按最小范围原则组织集中学习")),
    (C, CAN, "lisi", None, [P(3)],
     dict(mode=CopyMode.COPY, count=1, reason="报送材料需附复制件1份", cancel="经核实可直接引用文号，无需复制")),
    # 外出携带 -------------------------------------------------------------------------------------
    (K, D, "lisi", None, [P(3)],
     dict(destination="省发展改革委", depart=3, due=4, reason="赴省发展改革委汇报重点项目进展，需携带相关材料")),
    (K, SUB, "lingdao", None, [P(3)],
     dict(destination="省委办公厅（全省保密工作会议）", depart=1, due=2, reason="参加全省保密工作会议，需携带交流材料")),
    (K, SUB, "zhangsan", None, [P(2, hidden_from=("lingdao",))],
     dict(destination="市档案馆", depart=2, due=2, reason="赴市档案馆核对有关档案资料")),
    (K, APP, "zhangsan", "lingdao", [P(2)],
     dict(destination="市国家安全局", depart=0, due=1, reason="赴市国家安全局对接专项工作",
          comment="同意，专人携带，当日返回")),
    (K, RUN, "lisi", "lingdao", [P(3, CarrierKind.COMPUTER, fallback_kinds=(CarrierKind.PAPER,))],
     dict(destination="市委办公厅", depart=0, due=2, reason="赴市委办公厅汇报重点项目进展，需携带演示材料",
          comment="同意，全程专人保管，不得接入任何网络")),
    (K, DONE, "lisi", "lingdao", [P(2)],
     dict(destination="新加坡（双边经贸合作磋商）", depart=0, due=6, abroad=True,
          reason="随团赴新加坡参加双边经贸合作磋商，需携带谈判预案",
          comment="同意携带出境，须随身携带、专人保管，返回后即时交回")),
    (K, DONE, "zhangsan", "lingdao", [P(2)],
     dict(destination="市保密局", depart=0, due=1, reason="赴市保密局报送年度保密自查材料", comment="同意")),
    (K, REJ, "lisi", "lingdao", [P(3)],
     dict(destination="区政府办公室", depart=1, due=1, reason="赴区政府对接有关工作",
          comment="可通过机要交通传递，不必随身携带")),
    (K, CAN, "zhangsan", None, [P(2)],
     dict(destination="市科技局", depart=2, due=3, reason="赴市科技局参加项目评审会", cancel="评审会改为视频方式召开，取消外出")),
    # 维修（机要秘书申请） -------------------------------------------------------------------------
    (R, D, "mishu", None, [P(2, CarrierKind.MAGNETIC, fallback_kinds=DEVICES)],
     dict(mode=RepairMode.OFF_SITE, repairer="市保密局指定涉密载体维修点",
          reason="移动硬盘无法识别，拟送定点单位检测维修")),
    (R, SUB, "mishu", None, [P(4, CarrierKind.COMPUTER, fallback_kinds=DEVICES)],
     dict(mode=RepairMode.ON_SITE, supervisor="mishu", repairer="涉密专用设备定点维修单位（上门维修）",
          reason="设备无法开机，需定点维修单位技术人员上门维修")),
    (R, SUB, "mishu", None, [P(3, CarrierKind.REMOVABLE, fallback_kinds=DEVICES, hidden_from=("lingdao", "zhuren"))],
     dict(mode=RepairMode.OFF_SITE, repairer="市保密局指定涉密载体维修点",
          reason="接口松动，读写时断时续，拟送定点单位维修")),
    (R, APP, "mishu", "lingdao", [P(3, CarrierKind.COMPUTER, fallback_kinds=DEVICES)],
     dict(mode=RepairMode.OFF_SITE, repairer="市保密局指定涉密载体维修点",
          reason="主板故障，需送定点单位维修", comment="同意，送修前须拆除硬盘并登记")),
    (R, RUN, "mishu", "lingdao", [P(3, CarrierKind.COMPUTER, fallback_kinds=DEVICES, hidden_from=("baomi",))],
     dict(mode=RepairMode.ON_SITE, supervisor="baomi", repairer="涉密专用设备定点维修单位（上门维修）",
          reason="设备运行异常，需上门维修", comment="同意，保密办派人全程现场监督")),
    (R, RUN, "mishu", "lingdao", [P(2, CarrierKind.COMPUTER, fallback_kinds=DEVICES)],
     dict(mode=RepairMode.OFF_SITE, repairer="市保密局指定涉密载体维修点",
          storage="已拆除硬盘1块，交机要室保密柜单独存放，拆除过程由机要秘书登记",
          reason="电源模块损坏，需送定点单位维修", comment="同意")),
    (R, DONE, "mishu", "lingdao", [P(2, CarrierKind.MAGNETIC, CarrierKind.REMOVABLE, fallback_kinds=DEVICES)],
     dict(mode=RepairMode.ON_SITE, supervisor="lisi", repairer="涉密专用设备定点维修单位（上门维修）",
          reason="读写速度异常，需现场检测维修", comment="同意，现场维修须全程监督")),
    (R, REJ, "mishu", "lingdao", [P(3, CarrierKind.COMPUTER, fallback_kinds=DEVICES)],
     dict(mode=RepairMode.OFF_SITE, repairer="市保密局指定涉密载体维修点", reason="显示屏损坏，拟送修",
          comment="该设备已超过使用年限，维修价值不大，建议按规定报废")),
    (R, CAN, "mishu", None, [P(2, CarrierKind.REMOVABLE, fallback_kinds=DEVICES)],
     dict(mode=RepairMode.OFF_SITE, repairer="市保密局指定涉密载体维修点", reason="U盘无法写入，拟送修",
          cancel="经本单位技术人员检测，故障已排除")),
    # 销毁（机要秘书组织，批次） ----------------------------------------------------------------------
    (X, D, "mishu", None, [P(1, hidden_from=EVERYONE_BUT_MISHU), P(1, hidden_from=EVERYONE_BUT_MISHU)],
     dict(method=DestructionMethod.SHRED, place="机要室（经检测合格的碎纸机）", planned=14,
          reason="清理已办结、无保存价值的内部资料")),
    (X, SUB, "mishu", None,
     [P(3, hidden_from=EVERYONE_BUT_MISHU), P(3, hidden_from=EVERYONE_BUT_MISHU), P(2, hidden_from=EVERYONE_BUT_MISHU)],
     dict(method=DestructionMethod.SEND, body="市国家秘密载体销毁中心", place="市国家秘密载体销毁中心", planned=7,
          witnesses=("baomi", "lisi"), reason="清退期满、经审核无保存价值的涉密文件，按规定送销")),
    (X, APP, "mishu", "lingdao",
     [P(3, hidden_from=EVERYONE_BUT_MISHU),
      P(2, CarrierKind.DISC, fallback_kinds=(CarrierKind.PAPER,), hidden_from=EVERYONE_BUT_MISHU)],
     dict(method=DestructionMethod.PULVERIZE, place="机要室（经检测合格的涉密载体粉碎设备）", planned=3,
          witnesses=("baomi", "lisi"), confirmed=("lisi",), reason="销毁已复制留存、原件无需保存的涉密载体",
          comment="同意销毁，严格执行监销程序")),
    (X, DONE, "mishu", "lingdao",
     [P(2, hidden_from=EVERYONE_BUT_MISHU), P(2, hidden_from=EVERYONE_BUT_MISHU),
      P(2, CarrierKind.REMOVABLE, fallback_kinds=(CarrierKind.PAPER,), hidden_from=EVERYONE_BUT_MISHU),
      P(1, hidden_from=EVERYONE_BUT_MISHU)],
     dict(method=DestructionMethod.SEND, body="市国家秘密载体销毁中心", place="市国家秘密载体销毁中心", planned=0,
          first_witnesses=("baomi", "lisi"), witnesses=("baomi", "zhangsan"), confirmed=("baomi", "zhangsan"),
          destroyed_by_name="市国家秘密载体销毁中心 杨建明", reason="年度集中销毁：已过保存期限的涉密载体",
          comment="同意送销")),
    (X, REJ, "mishu", "lingdao", [P(3, hidden_from=EVERYONE_BUT_MISHU), P(3, hidden_from=EVERYONE_BUT_MISHU)],
     dict(method=DestructionMethod.SEND, body="市国家秘密载体销毁中心", place="市国家秘密载体销毁中心", planned=10,
          witnesses=("baomi", "lisi"), reason="销毁业务已办结的涉密文件",
          comment="其中部分载体仍需留存备查，暂缓销毁")),
    (X, CAN, "mishu", None, [P(2, hidden_from=EVERYONE_BUT_MISHU)],
     dict(method=DestructionMethod.SHRED, place="机要室（经检测合格的碎纸机）", planned=5,
          reason="销毁多余的文件副本", cancel="清点发现该载体应先办理归档，撤销本次销毁")),
    # 密级变更 / 延期 / 提前解密（机要秘书申请，定密责任人赵建国审批） ------------------------------------
    (Y, D, "mishu", None, [P(3, directions=OWN, running_period=True)],
     dict(change=RT.EXTEND, basis="《保密工作国家秘密范围的规定》第5条",
          reason="相关工作部署尚未完成，保密期限届满后仍需保密，拟延长保密期限")),
    (Y, SUB, "mishu", None, [P(3, directions=OWN, running_period=True, hidden_from=("zhuren",))],
     dict(change=RT.LEVEL, new_level=Level.CONFIDENTIAL, basis="本单位国家秘密事项一览表第7项（已修订）",
          reason="所涉事项已部分公开，按修订后的事项一览表降为秘密级")),
    (Y, DONE, "mishu", "zhuren", [P(2, directions=OWN, running_period=True)],
     dict(change=RT.EXTEND, basis="《保密工作国家秘密范围的规定》第8条",
          reason="所涉专项工作延期实施，需相应延长保密期限", comment="同意延长，按新标志管理")),
    (Y, DONE, "mishu", "zhuren", [P(2, directions=OWN, running_period=True)],
     dict(change=RT.DECLASSIFY, basis="上级机关关于有关事项已公开的通知",
          reason="文件所涉事项已由上级机关正式公布，经审核拟提前解密",
          comment="同意提前解密；对外提供前仍须经保密审查")),
    (Y, REJ, "mishu", "zhuren", [P(3, directions=OWN, running_period=True)],
     dict(change=RT.SHORTEN, basis="本单位国家秘密事项一览表第4项",
          reason="相关项目已验收，拟缩短保密期限", comment="项目后续工作仍在进行，暂不缩短保密期限")),
    (Y, CAN, "mishu", None, [P(2, directions=OWN, running_period=True)],
     dict(change=RT.EXTEND, basis="《保密工作国家秘密范围的规定》第6条",
          reason="承办处室提出仍需保密，拟延长保密期限", cancel="经核实原保密期限足够，撤销延期申请")),
    # 知悉范围扩大（知悉范围内人员或机要秘书申请，主要负责人赵建国审批；issue 11 §8） -------------------------
    (S, D, "lisi", None, [P(3, hidden_from=("lingdao",))],
     dict(target="lingdao", reason="分管领导需了解该文件部署的重点工作，拟列入知悉范围")),
    (S, SUB, "lisi", None, [P(3, hidden_from=("lingdao", "zhuren"))],
     dict(target="lingdao", reason="分管领导需审定落实方案，拟列入知悉范围")),
    (S, DONE, "mishu", "zhuren", [P(2, hidden_from=("zhangsan",))],
     dict(target="zhangsan", reason="张善文承办该文件所涉具体工作，需知悉文件内容", comment="同意列入")),
    (S, REJ, "lisi", "zhuren", [P(3, hidden_from=("baomi",))],
     dict(target="baomi", reason="保密办拟对文件落实情况进行检查", comment="检查可调阅台账，无需知悉文件内容")),
    (S, CAN, "mishu", None, [P(2, hidden_from=("lingdao",))],
     dict(target="lingdao", reason="拟送分管领导阅知", cancel="改为由处室负责人口头传达要点，撤销申请")),
]


class RequestSeeder:
    def __init__(self, ctx):
        self.ctx = ctx
        self.today = ctx.today
        self.used = set()
        self.made = Counter()
        # Snapshots taken before the first request: who sees what by 知悉范围 and office, and the
        # carriers free for a request (在库, 涉密, registered here rather than copied, no open request,
        # never corrected so their change history stays the registration and its correction). Every
        # carrier a request touches is marked used, so the snapshots stay true for what is left.
        self.visible = {name: set(policy.visible_carriers(user).values_list("pk", flat=True))
                        for name, user in ctx.users.items()}
        busy = RequestItem.objects.filter(is_open=True).values("carrier_id")
        corrected = CustodyEvent.objects.filter(action=CustodyAction.CORRECTED).values("carrier_id")
        self.pool = list(
            Carrier.objects.filter(
                custody_status=CustodyStatus.IN_REGISTRY, secrecy_status=SecrecyStatus.CLASSIFIED,
                original__isnull=True, source_request__isnull=True,
            ).exclude(pk__in=busy).exclude(pk__in=corrected)
            .order_by("serial_year", "serial_number").values(
                "pk", "level", "kind", "direction", "period_kind", "period_special", "declassify_on", "start_date"))
        # 密级变更 candidates (Pick.running_period): a TERM or DATE period running at least a year
        # more, with room for a year's extension under the level's cap.
        self.running = {
            row["pk"] for row in self.pool
            if row["period_kind"] in (PeriodKind.TERM, PeriodKind.DATE) and not row["period_special"]
            and row["declassify_on"] and row["start_date"] and row["level"] >= Level.CONFIDENTIAL
            and row["declassify_on"] >= add_years(self.today, 1)
            and add_years(row["declassify_on"], 1) <= cap_date(row["level"], row["start_date"])}
        self.group_scoped = {
            code: set(CarrierGroupScope.objects.filter(
                group=department.group, permission__codename=policy.VIEW_CODENAME,
            ).values_list("content_object_id", flat=True))
            for code, department in ctx.departments.items()}

    def user(self, name):
        return self.ctx.users[name]

    def days(self, n):
        return self.today + dt.timedelta(days=n)

    # -- picking ---------------------------------------------------------------------------------
    def _fits(self, row, pick, kinds, visible_to):
        return (row["pk"] not in self.used and row["level"] == pick.level and row["kind"] in kinds
                and row["pk"] in self.visible[visible_to]
                and (not pick.directions or row["direction"] in pick.directions)
                and (not pick.scope_group or row["pk"] in self.group_scoped[pick.scope_group])
                and (not pick.running_period or row["pk"] in self.running))

    def pick(self, pick, visible_to):
        """The first free carrier by 统一编号 that fits; among them preferably one that the
        hidden_from users cannot see (yet)."""
        for kinds in (pick.kinds, pick.fallback_kinds):
            fitting = [row["pk"] for row in self.pool if kinds and self._fits(row, pick, kinds, visible_to)]
            hidden = [pk for pk in fitting if not any(pk in self.visible[name] for name in pick.hidden_from)]
            chosen = (hidden or fitting or [None])[0]
            if chosen is not None:
                self.used.add(chosen)
                return Carrier.objects.get(pk=chosen)
        raise CommandError(f"演示数据中没有符合条件的载体：{pick}")

    # -- the walk --------------------------------------------------------------------------------
    def run(self):
        for kind, state, requester, approver, picks, fields in REQUEST_PLAN:
            actor = self.user(requester)
            carriers = [self.pick(p, requester) for p in picks]
            request = getattr(self, f"create_{kind}")(actor, carriers, fields, submit=state != D)
            request = self.bring(request, state, actor, approver and self.user(approver), fields)
            if request.state != state:
                raise CommandError(f"{request} 未能到达“{state.label}”状态")
            self.made[(kind, state)] += 1
        return sum(self.made.values())

    def bring(self, request, target, requester, approver, fields):
        """Walk a created request to `target` the way its table allows."""
        if target in (D, SUB):
            return request
        if target == CAN:
            return approvals.request_cancel(actor=requester, request=request, reason=fields["cancel"])
        if target == REJ:
            return approvals.request_decide(actor=approver, request=request, approve=False, comment=fields["comment"])
        request = approvals.request_decide(actor=approver, request=request, approve=True, comment=fields["comment"],
                                           approve_abroad=bool(fields.get("abroad")))
        mishu = self.user("mishu")
        for name in fields.get("confirmed", ()):
            # Each 监销人 confirms with their own login.
            request = destroying.destruction_witness_confirm(actor=self.user(name), request=request)
        if target == APP or request.state == target:  # 密级变更: approving applies it and completes
            return request
        request = self.execute(request, mishu, fields)
        if request.state == target:
            return request
        return self.finish(request, mishu, fields)

    def execute(self, request, mishu, fields):
        if request.kind == L:
            return lending.loan_check_out(actor=mishu, request=request)
        if request.kind == C:
            return copying.copy_make(actor=mishu, request=request, copy_stamp=copying.default_copy_stamp(self.today))
        if request.kind == K:
            return carry.carry_check_out(actor=mishu, request=request)
        if request.kind == R:
            return repairs.repair_start(actor=mishu, request=request, storage_removed_note=fields.get("storage", ""))
        return destroying.destruction_execute(actor=mishu, request=request, executed_on=self.today,
                                              destroyed_by_name=fields["destroyed_by_name"])

    def finish(self, request, mishu, fields):
        condition = ReturnCondition.INTACT
        if request.kind == L:
            return lending.loan_return(actor=mishu, request=request, condition=condition)
        if request.kind == K:
            return carry.carry_return(actor=mishu, request=request, condition=condition, note="随身携带，未离身")
        return repairs.repair_finish(actor=mishu, request=request, condition=condition, note="修复后检测正常")

    # -- creating, one per kind ------------------------------------------------------------------
    def create_lend(self, actor, carriers, fields, submit):
        return lending.loan_request_create(
            actor=actor, carrier=carriers[0], due_date=self.days(fields["due"]), reason=fields["reason"],
            on_site=fields.get("on_site", False), submit=submit, today=self.today)

    def create_copy(self, actor, carriers, fields, submit):
        consent = {}
        if fields.get("consent"):
            issuer = carriers[0].issuer
            prefix = ISSUER_PREFIX.get(issuer, "")
            prefix = (prefix[:-1] if prefix.endswith(("发", "通")) else prefix) + "函"
            consent = dict(consent_authority=issuer, consent_letter=f"{prefix}〔{self.today.year}〕3号",
                           consent_date=self.days(-3))
        return copying.copy_request_create(
            actor=actor, carriers=carriers, mode=fields["mode"], count=fields["count"], reason=fields["reason"],
            copy_title=fields.get("title", "").format(year=self.today.year), copy_maker=fields.get("maker", ""),
            submit=submit, today=self.today, **consent)

    def create_reclassify(self, actor, carriers, fields, submit):
        carrier, change = carriers[0], fields["change"]
        period = {}
        if change == RT.EXTEND:
            new_date = min(add_years(carrier.declassify_on, 1), cap_date(carrier.level, carrier.start_date))
            period = dict(period_kind=PeriodKind.DATE, declassify_date=new_date)
        elif change == RT.SHORTEN:
            period = dict(period_kind=PeriodKind.DATE, declassify_date=self.days(120))
        elif change == RT.LEVEL:
            cap = cap_date(fields["new_level"], carrier.start_date)
            new_date = min(cap, max(add_years(carrier.start_date, 5), add_years(self.today, 1)))
            period = dict(new_level=int(fields["new_level"]), period_kind=PeriodKind.DATE, declassify_date=new_date)
        return reclassifying.reclassify_request_create(
            actor=actor, carrier=carrier, change_type=change, reason=fields["reason"], change_basis=fields["basis"],
            submit=submit, today=self.today, **period)

    def create_scope(self, actor, carriers, fields, submit):
        return scoping.scope_request_create(
            actor=actor, carrier=carriers[0], user_id=self.user(fields["target"]).pk, reason=fields["reason"],
            submit=submit)

    def create_carry_out(self, actor, carriers, fields, submit):
        return carry.carry_request_create(
            actor=actor, carrier=carriers[0], destination=fields["destination"],
            depart_date=self.days(fields["depart"]), due_date=self.days(fields["due"]), reason=fields["reason"],
            abroad=fields.get("abroad", False),
            submit=submit, today=self.today)

    def create_repair(self, actor, carriers, fields, submit):
        supervisor = fields.get("supervisor")
        return repairs.repair_request_create(
            actor=actor, carrier=carriers[0], mode=fields["mode"], repairer=fields["repairer"], reason=fields["reason"],
            supervisor=self.user(supervisor) if supervisor else None, submit=submit)

    def create_destroy(self, actor, carriers, fields, submit):
        request = destroying.destruction_batch_create(
            actor=actor, carriers=carriers, reason=fields["reason"], method=fields["method"], place=fields["place"],
            destruction_body=fields.get("body", ""), planned_date=self.days(fields["planned"]),
            witnesses=[self.user(n) for n in fields.get("first_witnesses", fields.get("witnesses", ()))],
            submit=submit, today=self.today)
        if "first_witnesses" in fields:
            # A witness replaced before anyone confirmed: the withdrawn designation stays on record.
            request = destroying.destruction_witnesses_set(
                actor=actor, request=request, witnesses=[self.user(n) for n in fields["witnesses"]])
        return request


def seed_requests(ctx):
    """借阅、复制、外出携带、维修、销毁、密级变更 requests in every state; skipped when they exist already
    (the section is one transaction, so they exist either all or not at all)."""
    result = SectionResult()
    reasons = [fields["reason"] for *_, fields in REQUEST_PLAN]
    assert len(set(reasons)) == len(reasons), "REQUEST_PLAN reasons must be unique (they are the marker)"
    existing = ApprovalRequest.objects.filter(reason__in=reasons).count()
    if existing:
        result.existing = existing
        return result
    for name in ctx.users:
        ctx.refresh_user(name)
    result.created = RequestSeeder(ctx).run()
    copies = Carrier.objects.filter(source_request__isnull=False).count()
    result.note = f"复制、摘抄、汇编新登记载体 {copies} 件"
    return result


# --------------------------------------------------------------------------- circulation, leaving, expiry
# 传阅 (SPEC §6) in every state, the four ways out of the registry (清退、归档、移交、丢失), and the
# nightly expiry job as of the day the demo was seeded. Carriers are picked like the requests'
# ones: the first carrier by 统一编号 that is free (在库, 涉密, registered here, never corrected, in
# no request and no circulation, its period not over by the seeding day) and fits the entry.

@dataclasses.dataclass(frozen=True)
class CirculationEntry:
    """One demo 传阅. `note` is unique and marks the section; `walk` is what happens after 发起:
    ("hand",) 送达下一位, ("sign", comment) the holder signs, ("back", unsigned_reason) 交回,
    ("cancel", reason) 撤销."""

    note: str
    level: int
    readers: tuple
    walk: tuple


CIRCULATION_PLAN = [
    # 进行中：载体在第一位阅读人处，尚未阅签。
    CirculationEntry("请阅。阅后签署意见，当日交回机要室。", Level.CONFIDENTIAL, ("zhangsan", "lisi"),
                     (("hand",),)),
    # 进行中：第一位已阅签交回，尚未送达第二位。
    CirculationEntry("请按顺序传阅，阅后交回机要室，不得横传。", Level.CONFIDENTIAL, ("lisi", "zhangsan"),
                     (("hand",), ("sign", "已阅。请业务一处按通知要求抓好落实。"), ("back", ""))),
    # 已完成：两位阅读人均已阅签（附意见）并交回。
    CirculationEntry("送处领导阅示。", Level.SECRET, ("lisi", "lingdao"),
                     (("hand",), ("sign", "已阅，拟由业务一处牵头研究落实措施，报分管领导审定。"), ("back", ""),
                      ("hand",), ("sign", "同意李思远同志意见，请抓紧落实。"), ("back", ""))),
    # 已撤销：第一位阅读人出差未阅签，收回后撤销。
    CirculationEntry("请阅知。", Level.CONFIDENTIAL, ("zhangsan", "lisi"),
                     (("hand",), ("back", "阅读人临时出差，未及阅签"),
                      ("cancel", "来文已明确由处领导组织专题传达，不再逐人传阅"))),
]


@dataclasses.dataclass(frozen=True)
class DisposalEntry:
    """One carrier leaving the registry; `note` is unique and marks the section."""

    action: str  # return_to_issuer | archive | transfer | report_lost
    note: str
    level: int = 0  # preferred; any level if none of it is left
    directions: tuple = ()
    kinds: tuple = ()
    receiver: str = ""  # "{issuer}" stands for the carrier's 制发机关
    receipt: str = ""  # formatted with year= the seeding year


DISPOSAL_ACTIONS = [CustodyAction.RETURNED_TO_ISSUER, CustodyAction.ARCHIVED, CustodyAction.TRANSFERRED,
                    CustodyAction.REPORTED_LOST]
DISPOSAL_PLAN = [
    DisposalEntry("return_to_issuer", "按制发机关通知要求，于限期内清退原件", level=Level.SECRET, directions=(Direction.INCOMING,),
                  kinds=(CarrierKind.PAPER,), receiver="{issuer}", receipt="清退回执〔{year}〕12号"),
    DisposalEntry("archive", "办理完毕，按规定立卷归档", level=Level.CONFIDENTIAL, directions=(Direction.INTERNAL,), kinds=(CarrierKind.PAPER,),
                  receiver="本单位综合档案室", receipt="Z086-WS·{year}-Y-0017"),
    DisposalEntry("transfer", "因职能调整，按规定登记移交，接收单位已签收", level=Level.CONFIDENTIAL, directions=(Direction.OUTGOING,),
                  receiver="市委办公厅机要处（接收人：王立新）", receipt="移交清单〔{year}〕3号"),
    DisposalEntry("report_lost", "年度清查时发现该载体不在保密柜内，经全面查找仍未找到；已封存保密柜，"
                  "并报告保密办和分管领导。", level=Level.CONFIDENTIAL, kinds=(CarrierKind.REMOVABLE,)),
]


def _lifecycle_pool(seed_day):
    in_requests = RequestItem.objects.values("carrier_id")
    circulated = Circulation.objects.values("carrier_id")
    corrected = CustodyEvent.objects.filter(action=CustodyAction.CORRECTED).values("carrier_id")
    return list(
        Carrier.objects.filter(
            custody_status=CustodyStatus.IN_REGISTRY, secrecy_status=SecrecyStatus.CLASSIFIED,
            original__isnull=True, source_request__isnull=True,
        ).exclude(pk__in=in_requests).exclude(pk__in=circulated).exclude(pk__in=corrected)
        .exclude(declassify_on__lt=seed_day)  # keeps the carriers without a date
        .order_by("serial_year", "serial_number"))


def _may_read(user, carrier):
    return user.is_active and clearance_of(user) >= carrier.level and policy.in_standing_scope(user, carrier)


def _pick_first(pool, used, *tries):
    for test in tries:
        for carrier in pool:
            if carrier.pk not in used and test(carrier):
                used.add(carrier.pk)
                return carrier
    return None


def _walk_circulation(ctx, circulation, walk):
    mishu = ctx.users["mishu"]
    for step, *args in walk:
        if step == "hand":
            circulation = circulations.circulation_hand_to_next(actor=mishu, circulation=circulation, today=ctx.today)
        elif step == "sign":
            holder = CirculationStep.objects.get(circulation=circulation, handed_at__isnull=False,
                                                 returned_at__isnull=True)
            circulations.circulation_sign(actor=ctx.users[holder.reader.username], circulation=circulation,
                                          comment=args[0])
        elif step == "back":
            circulation = circulations.circulation_take_back(actor=mishu, circulation=circulation,
                                                             unsigned_reason=args[0])
        else:
            circulation = circulations.circulation_cancel(actor=mishu, circulation=circulation, reason=args[0])
    return circulation


def _dispose(ctx, carrier, entry, year):
    mishu = ctx.users["mishu"]
    receiver = entry.receiver.format(issuer=carrier.issuer)
    receipt = entry.receipt.format(year=year)
    if entry.action == "return_to_issuer":
        return disposal.carrier_return_to_issuer(actor=mishu, carrier=carrier, receiver=receiver,
                                                 receipt_number=receipt, note=entry.note)
    if entry.action == "archive":
        return disposal.carrier_archive(actor=mishu, carrier=carrier, archive_number=receipt, receiver=receiver,
                                        note=entry.note)
    if entry.action == "transfer":
        return disposal.carrier_transfer(actor=mishu, carrier=carrier, receiver=receiver, receipt_number=receipt,
                                         note=entry.note)
    return disposal.carrier_report_lost(actor=mishu, carrier=carrier, note=entry.note)


def seed_lifecycle(ctx):
    """传阅 in every state and one each of 清退、归档、移交、丢失; skipped when they exist already
    (one transaction, marked by the circulations' notes and the disposals' custody notes)."""
    result = SectionResult()
    circulation_notes = [entry.note for entry in CIRCULATION_PLAN]
    disposal_notes = [entry.note for entry in DISPOSAL_PLAN]
    assert len(set(circulation_notes)) == len(circulation_notes) and len(set(disposal_notes)) == len(disposal_notes)
    existing = (Circulation.objects.filter(note__in=circulation_notes).count()
                + CustodyEvent.objects.filter(action__in=DISPOSAL_ACTIONS, note__in=disposal_notes).count())
    if existing:
        result.existing = existing
        return result
    for name in ctx.users:
        ctx.refresh_user(name)
    mishu = ctx.users["mishu"]
    pool, used = _lifecycle_pool(ctx.seed_day), set()
    for entry in CIRCULATION_PLAN:
        readers = [ctx.users[name] for name in entry.readers]

        def fits(carrier, level=None):
            return ((level is None or carrier.level == level) and carrier.level >= Level.CONFIDENTIAL
                    and all(_may_read(user, carrier) for user in readers))

        carrier = _pick_first(pool, used, lambda c: fits(c, entry.level), fits)
        if carrier is None:
            raise CommandError(f"演示数据中没有可供传阅的载体：{entry.readers}")
        circulation = circulations.circulation_start(actor=mishu, carrier=carrier, readers=readers, note=entry.note,
                                                     today=ctx.today)
        _walk_circulation(ctx, circulation, entry.walk)
        result.created += 1
    states = Counter(Circulation.objects.filter(note__in=circulation_notes).values_list("state", flat=True))
    for entry in DISPOSAL_PLAN:
        def fits(carrier, entry=entry, strict=True):
            return ((not entry.directions or carrier.direction in entry.directions)
                    and (not strict or ((not entry.kinds or carrier.kind in entry.kinds)
                                        and (not entry.level or carrier.level == entry.level))))

        carrier = _pick_first(pool, used, fits, lambda c: fits(c, strict=False))
        if carrier is None:
            raise CommandError(f"演示数据中没有可办理{entry.action}的载体")
        _dispose(ctx, carrier, entry, ctx.seed_day.year)
        result.created += 1
    result.note = "传阅 " + "，".join(f"{CirculationState(s).label} {n}" for s, n in sorted(states.items())) + \
        "；清退、归档、移交、丢失各 1 件"
    return result


def seed_declassify(ctx):
    """The nightly 自行解密 job (SPEC §7) as of the day the demo was seeded: carriers whose period
    ended before it become 已解密, with their notices. Idempotent by itself (only carriers still
    涉密 are due, and the day is the seeding day, not today, so a later run finds nothing new)."""
    result = SectionResult()
    totals = declassifying.carriers_declassify_expired(today=ctx.seed_day, batch_size=500)
    result.created = totals["declassified"]
    result.existing = Carrier.objects.filter(secrecy_status=SecrecyStatus.DECLASSIFIED).count() - result.created
    if result.created:
        result.note = f"截至 {ctx.seed_day:%Y-%m-%d}，保密期限届满自行解密，通知 {totals['notices']} 条"
    return result


def seed_personnel(ctx):
    """涉密人员 records (SPEC §8): see personnel/demo.py."""
    from personnel.demo import seed_personnel as seed

    return seed(ctx, PASSWORD, SectionResult())


def seed_meetings(ctx):
    """Classified meetings (SPEC §9): see meetings/demo.py."""
    from meetings.demo import seed_meetings as seed

    return seed(ctx)


def seed_inspections(ctx):
    """保密检查 and 泄密/丢失事件 (SPEC §10): see audits/demo.py."""
    from audits.demo import seed_inspections as seed

    return seed(ctx, SectionResult())


# Order matters: later sections use what earlier ones made.
SECTIONS = [
    ("部门", seed_departments),
    ("人员账号", seed_people),
    ("涉密载体", seed_carriers),
    ("审批申请", seed_requests),
    ("传阅与离库处置", seed_lifecycle),
    ("自行解密", seed_declassify),
    ("涉密人员", seed_personnel),
    ("涉密会议", seed_meetings),
    ("保密检查与泄密事件", seed_inspections),
]


class Command(BaseCommand):
    help = ("创建演示数据（SPEC §14）：部门、演示账号（密码 Secrecy#2026，仅供演示）、约300件涉密载体，"
            "借阅、复制、外出携带、维修、销毁、密级变更（延期、提前解密）、知悉范围扩大各状态的审批申请，各状态的传阅，清退、归档、移交、丢失各一件，"
            "并按初次创建之日执行保密期限届满自行解密。可重复运行。")

    def handle(self, *args, **options):
        started = time.monotonic()
        audit_before = AuditEvent.objects.count()
        ctx = Context(rng=random.Random(RANDOM_SEED), today=timezone.localdate())
        total_created = 0
        for label, section in SECTIONS:
            section_started = time.monotonic()
            # One transaction per section: an interrupted run leaves no half-made section.
            with transaction.atomic():
                result = section(ctx)
            total_created += result.created
            line = f"{label}：新建 {result.created}，已存在 {result.existing}"
            if result.note:
                line += f"（{result.note}）"
            self.stdout.write(f"{line}  [{time.monotonic() - section_started:.1f} s]")
        self._summary()
        elapsed = time.monotonic() - started
        if total_created == 0:
            self.stdout.write(self.style.SUCCESS(f"演示数据已齐全，本次未作任何更改（{elapsed:.1f} s）。"))
        else:
            self.stdout.write(self.style.SUCCESS(
                f"演示数据已创建：新建 {total_created} 项，审计事件 +{AuditEvent.objects.count() - audit_before}"
                f"（{elapsed:.1f} s）。演示账号密码均为 {PASSWORD}，仅供演示使用。"))

    def _summary(self):
        carriers = Carrier.objects.all()
        self.stdout.write(f"涉密载体合计 {carriers.count()} 件")
        for field, labels in (("level", dict(Level.choices)), ("kind", dict(CarrierKind.choices)),
                              ("direction", dict(Direction.choices))):
            counts = Counter({row[field]: row["n"] for row in carriers.values(field).annotate(n=Count("id"))})
            parts = "，".join(f"{labels[value]} {counts.get(value, 0)}" for value in labels)
            self.stdout.write(f"  {carriers.model._meta.get_field(field).verbose_name}：{parts}")
        requests = ApprovalRequest.objects.all()
        counts = Counter(requests.values_list("kind", "state"))
        self.stdout.write(f"审批申请合计 {requests.count()} 件")
        for kind in RequestKind:
            parts = "，".join(f"{state_label(kind, state)} {counts[(kind.value, state.value)]}"
                             for state in RequestState if counts[(kind.value, state.value)])
            self.stdout.write(f"  {kind.label}：{parts or '无'}")
        counts = Counter(Circulation.objects.values_list("state", flat=True))
        self.stdout.write("传阅：" + "，".join(f"{state.label} {counts[state.value]}" for state in CirculationState))
        counts = Counter(carriers.values_list("custody_status", flat=True))
        self.stdout.write("载体状态：" + "，".join(
            f"{status.label} {counts[status.value]}" for status in CustodyStatus if counts[status.value]))
        declassified = carriers.filter(secrecy_status=SecrecyStatus.DECLASSIFIED).count()
        self.stdout.write(f"已解密载体 {declassified} 件")
