"""传阅 in every state, the four ways out of the registry, and the nightly expiry job as of the
day the demo was seeded."""
import dataclasses
from collections import Counter

from django.core.management.base import CommandError

from documents import policy
from documents import services_circulation as circulations
from documents import services_declassify as declassifying
from documents import services_disposal as disposal
from documents.models import (
    Carrier, CarrierKind, Circulation, CirculationState, CirculationStep, CustodyAction, CustodyEvent,
    CustodyStatus, Direction, SecrecyStatus,
)
from approvals.models import RequestItem
from personnel.policy import clearance_of
from secrecy.levels import Level

from .base import SectionResult

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
