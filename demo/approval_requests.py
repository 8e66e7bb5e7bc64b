"""借阅、复制、外出携带、维修、销毁、密级变更、知悉范围扩大 requests in every state (SPEC §5)."""
import dataclasses
import datetime as dt
from collections import Counter

from django.core.management.base import CommandError

from documents import policy
from approvals import services as approvals
from approvals.kinds import lend as lending
from approvals.kinds import repair as repairs
from approvals.kinds import carry
from approvals.kinds import copy as copying
from approvals.kinds import copy_pickup
from approvals.kinds import destroy as destroying
from approvals.kinds import reclassify as reclassifying
from approvals.kinds import scope as scoping
from documents.models import (
    DEVICE_KINDS, Carrier, CarrierGroupScope, CarrierKind, CustodyAction, CustodyEvent, CustodyStatus, Direction,
    SecrecyStatus,
)
from approvals.models import (
    ApprovalRequest, CopyMode, DestructionMethod, ReclassifyType, RepairMode, RequestItem, RequestKind,
    RequestState, ReturnCondition,
)
from secrecy.levels import Level, PeriodKind, add_years, cap_date

from .base import SectionResult
from .carriers import INCOMING_ISSUERS

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
     dict(mode=CopyMode.COPY, count=2, reason="专题会议参会人员阅研，需复制2份，会后收回", comment="同意，会后及时收回",
          collected=True)),
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
          destroyed_by_name="杨建明", reason="年度集中销毁：已过保存期限的涉密载体",
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
        if request.kind == C and fields.get("collected"):
            # Issue 14 §3: these copies were collected (领取签收); the others wait at the registry.
            request = copy_pickup.copy_hand_over(actor=mishu, request=request)
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
