"""复制 / 摘抄 / 汇编 (copy) writes, SPEC §5 and REG24 art. 27(5), 29(4), on the shared approval
mechanism (submit, cancel, approve and reject are the generic services of approvals.services).

A copy is a new carrier: its own 统一编号 and 份号, linked to its original, with the original's
level, period and 知悉范围, and the 复制戳记 recorded ("视同原件进行管理"). A compilation (汇编)
of several carriers takes the highest level and the longest period of its parts.
Same rules as every workflow write: one transaction, one audit event, carriers locked by id
before the request row.
"""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from guardian.shortcuts import assign_perm

from documents import policy as carrier_policy
from documents.models import Carrier, CarrierGroupScope, CarrierKind, CarrierUserScope, CustodyAction, CustodyStatus, Direction, SerialCounter
from documents.services import VIEW_PERM, custody_record, local_today, next_serial
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed
from secrecy.levels import Level, highest_level, is_state_secret, period_rank

from .. import events, policy
from ..models import ApprovalRequest, CopyMode, RequestItem, RequestKind
from ..notices import notify_copies_ready
from ..registry import KindHandler
from ..services import (
    add_steps, approvers_of, audit, check_carriers_unchanged, check_party, close_items, lock_request, submit_if_asked,
)
from ..workflows import ASK_AND_DECIDE, CopyAction, Move, Party, RequestState, move_for

# 复制 / 摘抄 / 汇编: asked and decided as above; the registrar then makes the copies in one step
# (new carriers linked to the original), which completes the request.
COPY_TRANSITIONS = {
    **ASK_AND_DECIDE,
    (RequestState.APPROVED, CopyAction.MAKE_COPIES): Move(RequestState.COMPLETED, Party.REGISTRAR),
}

# At most this many copies in one request; more is a print run for a 定点复制单位, not a copy.
MAX_COPIES = 50

NOT_COPYABLE_KINDS = policy.NOT_COPYABLE_KINDS

# What the copy keeps of its original (REG24 art. 27(5): level, period and scope unchanged).
COPIED_FIELDS = (
    "title", "doc_number", "issuer", "kind", "attachments", "level", "period_kind", "period_value", "period_unit",
    "declassify_date", "declassify_condition", "period_defaulted", "period_special", "period_special_reason",
    "long_term_basis", "start_date", "declassify_on", "scope_note", "basis", "drafter", "classifier", "pages",
    "urgency", "department", "location",
)
PERIOD_FIELDS = (
    "period_kind", "period_value", "period_unit", "declassify_date", "declassify_condition", "period_defaulted",
    "period_special", "period_special_reason", "long_term_basis", "start_date", "declassify_on",
)


def _resolve(actor, carriers):
    """Lock the chosen carriers by id and make sure every one is visible to the actor."""
    ids = sorted({c.pk if isinstance(c, Carrier) else int(c) for c in carriers})
    locked = list(Carrier.objects.select_for_update().filter(pk__in=ids).order_by("id"))
    visible = set(carrier_policy.visible_carriers(actor).filter(pk__in=ids).values_list("pk", flat=True))
    if len(locked) != len(ids) or visible != set(ids):
        raise NotVisible()
    return locked


def _clean_request(*, mode, carriers, count, reason, title, consent, today):
    errors = {}
    if mode not in CopyMode.values:
        errors["copy_mode"] = "请选择复制方式（复制、摘抄或汇编）"
    elif mode == CopyMode.COMPILE and len(carriers) < 2:
        errors["carriers"] = "汇编须至少选择两件载体"
    elif mode != CopyMode.COMPILE and len(carriers) != 1:
        errors["carriers"] = f"{CopyMode(mode).label}只能针对一件载体"
    if mode == CopyMode.COMPILE and not title:
        errors["copy_title"] = "请填写汇编本名称"
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= MAX_COPIES:
        errors["copy_count"] = f"复制份数须为 1 至 {MAX_COPIES} 之间的整数"
    if not reason:
        errors["reason"] = "请填写复制用途"
    for carrier in carriers:
        if carrier.kind in NOT_COPYABLE_KINDS:
            errors["carriers"] = f"载体 {carrier.serial}（{CarrierKind(carrier.kind).label}）不能复制"
    if highest_level(c.level for c in carriers) == Level.TOP_SECRET:
        # REG24 art. 29(4); LAW24 art. 26: 绝密 may be copied only with the consent of the original
        # classifying authority (or its superior), recorded with its letter number and date.
        authority, letter, date = consent
        if not authority:
            errors["consent_authority"] = "绝密级载体复制须征得原定密机关或其上级机关同意，请填写原定密机关"
        if not letter:
            errors["consent_letter"] = "请填写原定密机关同意复制的文件文号"
        if not date:
            errors["consent_date"] = "请填写原定密机关同意的日期"
        elif date > today:
            errors["consent_date"] = "同意日期不能晚于今天"
    if errors:
        raise ValidationFailed(errors)
    return count


@transaction.atomic
def copy_request_create(*, actor, carriers, mode, count, reason, copy_title="", copy_maker="",
                        consent_authority="", consent_letter="", consent_date=None, submit=True, today=None):
    """复制/摘抄 of one carrier or 汇编 of several. With submit (the usual click) it goes to the
    leaders at once."""
    today = today or local_today()
    locked = _resolve(actor, carriers)
    if not locked:
        raise ValidationFailed({"carriers": "请至少选择一件载体"})
    for carrier in locked:
        refusal = policy.copy_request_refusal(actor, carrier)
        if refusal:
            raise PolicyDenied(refusal)
    reason, copy_title, copy_maker = ((reason or "").strip(), (copy_title or "").strip(), (copy_maker or "").strip())
    consent = ((consent_authority or "").strip(), (consent_letter or "").strip(), consent_date)
    count = _clean_request(mode=mode, carriers=locked, count=count, reason=reason, title=copy_title,
                           consent=consent, today=today)
    level = highest_level(c.level for c in locked)
    top_secret = level >= Level.TOP_SECRET
    request = ApprovalRequest.objects.create(
        kind=RequestKind.COPY, requester=actor, reason=reason, level=level, copy_mode=mode, copy_count=count,
        copy_title=copy_title if mode == CopyMode.COMPILE else "", copy_maker=copy_maker,
        consent_authority=consent[0] if top_secret else "", consent_letter=consent[1] if top_secret else "",
        consent_date=consent[2] if top_secret else None,
    )
    try:
        with transaction.atomic():
            RequestItem.objects.bulk_create(
                [RequestItem(request=request, carrier=c, kind=RequestKind.COPY) for c in locked])
    except IntegrityError:
        busy = RequestItem.objects.filter(carrier__in=locked, kind=RequestKind.COPY, is_open=True).select_related(
            "carrier").first()
        serial = busy.carrier.serial if busy else ""
        raise InvalidState(f"载体 {serial} 已有未办结的复制申请，不能重复申请") from None
    add_steps(request, level=level)
    submit_if_asked(request, submit)
    audit(actor=actor, event=events.CREATE, request=request, carriers=locked, mode=mode, count=count,
          submitted=bool(submit), consent_letter=request.consent_letter)
    return request


def default_copy_stamp(today=None):
    """The wording the registrar stamps on each copy (复制机关、单位戳记), pre-filled in the form."""
    today = today or local_today()
    unit = settings.SECRECY.get("UNIT_NAME", "") or "本单位"
    return f"{unit}复制 {today.year}年{today.month}月{today.day}日"


def _document_family_ids(original):
    """The ids of every carrier of this document made by copying: its root original and all copies
    at any depth (a copy of a copy is copied from the same document)."""
    root = original
    while root.original_id:
        root = Carrier.objects.only("id", "original_id").get(pk=root.original_id)
    ids, frontier = {root.pk}, [root.pk]
    while frontier:
        frontier = list(Carrier.objects.filter(original_id__in=frontier).exclude(pk__in=ids)
                        .values_list("pk", flat=True))
        ids.update(frontier)
    return ids


def _lock_copy_numbering():
    """Serialise the choice of new 份号 between concurrent copy_make calls.

    Bug fix (found by approvals/tests/test_concurrency_copy_pg.py): two registrars copying two
    different 份 of one document (same 文号) each lock only their own original, so both read the
    same highest 份号 and handed out the same new numbers. Every copy_make takes the serial counter
    row lock anyway (next_serial, for the 统一编号); taking it before reading the highest 份号 makes
    the read see the other's committed copies. Lock order stays carriers → request → counter → audit.
    """
    registry, year = settings.SECRECY["REGISTRY_CODE"], local_today().year
    SerialCounter.objects.bulk_create([SerialCounter(registry=registry, year=year, last_value=0)],
                                      ignore_conflicts=True)
    SerialCounter.objects.select_for_update().get(registry=registry, year=year)


def _next_copy_numbers(original, count):
    """New 份号 after the highest one in use for this document: the original, its earlier copies
    and any other registered copy of the same 文号 from the same issuer.

    Bug fix (found by test_workflow_copy.py::test_a_copy_of_a_copy_continues_the_numbering_of_the_whole_document):
    the family was only the original and its direct copies, so copying a copy of a document without
    a 文号 handed out a 份号 a sibling copy already had. The family is now the whole copy tree."""
    _lock_copy_numbering()
    family = Q(pk__in=_document_family_ids(original))
    if original.doc_number:
        family |= Q(doc_number=original.doc_number, issuer=original.issuer)
    highest = Carrier.objects.filter(family).aggregate(m=Max("copy_number"))["m"] or 0
    return list(range(highest + 1, highest + 1 + count))


def _compiled_values(parts, title, today):
    """汇编本: highest level, longest period of its parts (with that part's start date)."""
    level = highest_level(p.level for p in parts)
    values = {f: getattr(parts[0], f) for f in COPIED_FIELDS}
    values.update(level=level, title=title, doc_number="", issuer=settings.SECRECY.get("UNIT_NAME", ""),
                  kind=CarrierKind.PAPER, attachments="", pages="",
                  scope_note="；".join(dict.fromkeys(p.scope_note for p in parts if p.scope_note))[:300],
                  basis=f"汇编自 {'、'.join(p.serial for p in parts)}"[:300])
    secret_parts = [p for p in parts if is_state_secret(p.level)]
    if secret_parts:
        longest = max(secret_parts, key=lambda p: (period_rank(
            level=p.level, kind=p.period_kind, declassify_on=p.declassify_on), p.pk))
        values.update({f: getattr(longest, f) for f in PERIOD_FIELDS})
    else:
        values.update(period_kind="", period_value=None, period_unit="", declassify_date=None,
                      declassify_condition="", period_defaulted=False, period_special=False, period_special_reason="",
                      long_term_basis="", start_date=today, declassify_on=None)
    return values


def _scope_of(parts):
    """The 知悉范围 of the copy: the original's grants as they are. For a compilation, only who
    may know every part: the groups granted on every part, plus each person who is in every
    part's scope whether by name or through a granted group (and not already covered by a
    common group)."""
    if len(parts) == 1:
        part = parts[0]
        return (sorted(CarrierUserScope.objects.filter(content_object=part, permission__codename=carrier_policy.VIEW_CODENAME)
                       .values_list("user_id", flat=True)),
                sorted(CarrierGroupScope.objects.filter(content_object=part, permission__codename=carrier_policy.VIEW_CODENAME)
                       .values_list("group_id", flat=True)))
    people = groups = None
    for part in parts:
        part_groups = set(CarrierGroupScope.objects.filter(
            content_object=part, permission__codename=carrier_policy.VIEW_CODENAME).values_list("group_id", flat=True))
        part_people = set(CarrierUserScope.objects.filter(
            content_object=part, permission__codename=carrier_policy.VIEW_CODENAME).values_list("user_id", flat=True))
        part_people |= set(get_user_model().objects.filter(groups__in=part_groups).values_list("pk", flat=True))
        people = part_people if people is None else people & part_people
        groups = part_groups if groups is None else groups & part_groups
    covered = set(get_user_model().objects.filter(groups__in=groups).values_list("pk", flat=True))
    return sorted(people - covered), sorted(groups)


def _make_carrier(*, actor, values, copy_number, original, request, stamp, note, scope):
    registry = settings.SECRECY["REGISTRY_CODE"]
    today = local_today()
    number = next_serial(registry, today.year)
    carrier = Carrier(
        serial=f"{today.year}-{number:06d}", registry=registry, serial_year=today.year, serial_number=number,
        direction=Direction.INTERNAL, registered_by=actor, custodian=actor, custody_status=CustodyStatus.IN_REGISTRY,
        doc_date=today, copies=1, copy_number=copy_number, original=original, source_request=request,
        copy_stamp=stamp, notes=note, **values,
    )
    carrier._history_user = actor
    carrier._change_reason = f"复制登记（{request.reference}）"
    carrier.save()
    users, groups = scope
    for user in get_user_model().objects.filter(pk__in=users):
        assign_perm(VIEW_PERM, user, carrier)
    for group in Group.objects.filter(pk__in=groups):
        assign_perm(VIEW_PERM, group, carrier)
    custody_record(carrier=carrier, action=CustodyAction.REGISTERED, actor=actor, to_user=actor,
                   to_status=CustodyStatus.IN_REGISTRY, approval_ref=request.reference, note=note)
    return carrier


@transaction.atomic
def copy_make(*, actor, request, copy_stamp):
    """制作复制件: the registrar makes the approved copies from the originals in the registry,
    registers each as a new carrier and records the 复制戳记; the request is complete."""
    request, originals = lock_request(request)
    if request.kind != RequestKind.COPY:
        raise InvalidState("该申请不是复制申请")
    move = move_for(request.kind, request.state, CopyAction.MAKE_COPIES)
    check_party(move, actor=actor, request=request, carriers=originals)
    check_carriers_unchanged(request, originals)
    stamp = (copy_stamp or "").strip()
    if not stamp:
        # REG24 art. 27(5): 复制件应当加盖复制机关、单位戳记.
        raise ValidationFailed({"copy_stamp": "请填写加盖的复制戳记"})
    for original in originals:
        if original.custody_status != CustodyStatus.IN_REGISTRY:
            raise InvalidState(f"原件 {original.serial} 当前为“{CustodyStatus(original.custody_status).label}”，"
                               "须在库时才能复制")
    if request.level >= Level.TOP_SECRET and not request.consent_letter:
        raise InvalidState("绝密级载体的复制须先登记原定密机关的同意文件，不能制作复制件")
    approvers = approvers_of(request)
    mode = CopyMode(request.copy_mode)
    made = []
    if mode == CopyMode.COMPILE:
        values = _compiled_values(originals, request.copy_title, local_today())
        scope = _scope_of(originals)
        parts = "、".join(o.serial for o in originals)
        for number in range(1, request.copy_count + 1):
            made.append(_make_carrier(
                actor=actor, values=values, copy_number=number, original=None, request=request, stamp=stamp,
                scope=scope, note=f"汇编本，汇编自 {parts}，经{approvers}批准（{request.reference}）"))
    else:
        original = originals[0]
        values = {f: getattr(original, f) for f in COPIED_FIELDS}
        if mode == CopyMode.EXCERPT:
            values["title"] = f"{original.title}（摘抄）"[:300]
            values["pages"] = ""
        scope = _scope_of([original])
        for number in _next_copy_numbers(original, request.copy_count):
            made.append(_make_carrier(
                actor=actor, values=values, copy_number=number, original=original, request=request, stamp=stamp,
                scope=scope, note=f"{mode.label}件，原件 {original.serial}"
                                  f"（份号 {original.copy_number_display or '无'}），经{approvers}批准"))
    serials = "、".join(c.serial for c in made)
    for original in originals:
        custody_record(carrier=original, action=CustodyAction.COPIED, actor=actor, from_user=original.custodian,
                       to_user=original.custodian, approval_ref=request.reference,
                       note=f"{mode.label} {len(made)} 份，新载体 {serials}；复制戳记：{stamp}")
    now = timezone.now()
    request.state = move.to
    request.copy_stamp = stamp
    request.executed_at = request.completed_at = now
    request.checked_out_by = actor
    request.save(update_fields=["state", "copy_stamp", "executed_at", "completed_at", "checked_out_by"])
    close_items(request)
    audit(actor=actor, event=events.MAKE_COPIES, request=request, carriers=originals,
          copies=[c.pk for c in made], serials=[c.serial for c in made], stamp=stamp)
    notify_copies_ready(request, count=len(made))
    return request


def check_approval(request, *, approve_abroad):
    """A 绝密 copy is approved only once the original authority's consent is on record."""
    if request.level >= Level.TOP_SECRET and not (
            request.consent_letter and request.consent_date and request.consent_authority):
        # REG24 art. 29(4); LAW24 art. 26: no 绝密 copy without the original authority's consent.
        raise InvalidState("绝密级载体的复制须先登记原定密机关的同意文件（文号和日期），不能批准")
    return {}


HANDLER = KindHandler(kind=RequestKind.COPY, transitions=COPY_TRANSITIONS, check_approval=check_approval)
