"""Every write on carriers: one function per business action, each in one transaction with its
audit event (ARCHITECTURE.md)."""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from audits.models import AuditResult
from audits.services import record_event
from personnel.models import Department, Role
from personnel.names import person_name
from personnel.policy import clearance_of, handling_clearance, has_role
from secrecy.errors import DomainError, PolicyDenied, ValidationFailed, full_clean_or_refuse
from secrecy.levels import (
    Level, PeriodKind, compute_declassify_on, default_period, is_state_secret, validate_period,
)
from secrecy.validators import EARLIEST_DOCUMENT_DATE

from . import events, policy
from .models import (
    Carrier, CarrierKind, CustodyAction, CustodyEvent, CustodyStatus, Direction, SerialCounter,
)

VIEW_PERM = "documents.view_carrier"

# Fields a registration form may set; everything else (serial, status, registrar) is the system's.
REGISTRATION_FIELDS = (
    "title", "doc_number", "issuer", "recipients", "kind", "device_serial", "attachments", "level",
    "period_kind", "period_value", "period_unit", "declassify_date", "declassify_condition",
    "period_special", "period_special_reason", "long_term_basis", "start_date", "scope_note", "basis",
    "drafter", "classifier", "copy_number", "copies", "pages", "urgency", "doc_date", "signed_by",
    "transmission", "department", "location", "notes",
)
# Devices and media record their serial number (SPEC §3).
SERIAL_REQUIRED_KINDS = (CarrierKind.MAGNETIC, CarrierKind.REMOVABLE, CarrierKind.COMPUTER)


def local_today():
    return timezone.localdate()


def next_serial(registry, year):
    """Take the next gapless number for (registry, year) under a row lock.

    ignore_conflicts makes the first registration of a year race-free; select_for_update then
    serialises every other registration on the counter row until its transaction ends, so a
    rolled-back registration gives its number back and no number is skipped.
    """
    SerialCounter.objects.bulk_create(
        [SerialCounter(registry=registry, year=year, last_value=0)], ignore_conflicts=True,
    )
    counter = SerialCounter.objects.select_for_update().get(registry=registry, year=year)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return counter.last_value


def _clean_registration(values, *, direction, today):
    """Check a registration (or a corrected one) against the rules; return field errors."""
    errors = {}
    level = values.get("level")
    try:
        level = Level(int(level)) if level not in (None, "") else None
    except (TypeError, ValueError):
        level = None
    if level is None:
        errors["level"] = "请选择有效的密级（绝密、机密、秘密或内部）"
    values["level"] = level
    if not (values.get("title") or "").strip():
        errors["title"] = "请填写文件标题/名称"
    if values.get("kind") not in CarrierKind.values:
        errors["kind"] = "请选择载体类别"
    elif values["kind"] in SERIAL_REQUIRED_KINDS and not (values.get("device_serial") or "").strip():
        errors["device_serial"] = "磁介质、移动存储和涉密计算机必须登记序列号"
    if not values.get("department"):
        errors["department"] = "请选择管理部门"
    copies = values.get("copies") or 1
    if int(copies) < 1:
        errors["copies"] = "份数至少为 1"
    # An empty 起算日 follows the 收文/发文日期: a wrong date is then that field's error alone, never
    # also the untouched 制发日（起算日）'s (issue 14 §1).
    start_given = bool(values.get("start_date"))
    doc_date = values.get("doc_date")
    if not doc_date:
        errors["doc_date"] = "请填写收文/发文日期"
    elif doc_date > today:
        errors["doc_date"] = "收文/发文日期不能晚于今天"
    for name in ("doc_date", "start_date", "declassify_date"):
        if name not in errors and values.get(name) and values[name] < EARLIEST_DOCUMENT_DATE:
            errors[name] = "日期不能早于1949年10月1日"
    if direction == Direction.INCOMING:
        if not (values.get("issuer") or "").strip():
            errors["issuer"] = "请填写来文单位"
        if not (values.get("signed_by") or "").strip():
            # REG24 art. 27(2): 收发 requires 清点、编号、登记、签收.
            errors["signed_by"] = "请填写签收人"
    elif direction == Direction.OUTGOING and not (values.get("recipients") or "").strip():
        errors["recipients"] = "请填写发往单位"

    if level is not None and is_state_secret(level):
        # Practice (REG24 art. 27(2) 编号) and SPEC §2: 绝密 and 机密 carriers are numbered.
        if level >= Level.SECRET and not values.get("copy_number"):
            errors["copy_number"] = "绝密、机密载体必须标注份号"
        if direction in (Direction.OUTGOING, Direction.INTERNAL):
            # DM14 art. 21: the record shows 承办人、定密责任人、定密依据.
            if not (values.get("basis") or "").strip():
                errors["basis"] = "发文/自产涉密载体必须填写定密依据"
            if not values.get("drafter"):
                errors["drafter"] = "请选择承办人"
            classifier = values.get("classifier")
            if not classifier:
                errors["classifier"] = "请选择定密责任人"
            elif not policy.may_be_classifier(classifier, level):
                errors["classifier"] = f"该定密责任人没有{level.label}级定密权限"
        if not values.get("start_date"):
            values["start_date"] = values.get("doc_date") or today
        if not values.get("period_kind"):
            # DM14 art. 24(4): no period marked → the cap for the level.
            period = default_period(level)
            values.update(period_kind=period["kind"], period_value=period["value"], period_unit=period["unit"],
                          period_defaulted=True)
        else:
            values["period_defaulted"] = values.get("period_defaulted", False) and values["period_kind"] == PeriodKind.TERM
        period_errors = validate_period(
            level=level, kind=values.get("period_kind"), start=values.get("start_date"),
            value=values.get("period_value"), unit=values.get("period_unit"), date=values.get("declassify_date"),
            condition=values.get("declassify_condition"), special=values.get("period_special"),
            special_reason=values.get("period_special_reason"),
            long_term_allowed=bool((values.get("long_term_basis") or "").strip()), today=today,
        )
        if not start_given:
            period_errors.pop("start_date", None)
        errors.update(period_errors)
    elif level is not None:
        # Work secrets carry no ★ mark and no state-secret period (LAW24 art. 22(3)).
        values.update(period_kind="", period_value=None, period_unit="", declassify_date=None,
                      declassify_condition="", period_special=False, period_defaulted=False)
        if not values.get("start_date"):
            values["start_date"] = values.get("doc_date") or today
        if start_given and values["start_date"] > today:
            errors["start_date"] = "制发日（起算日）不能晚于今天"
    # Keep only the fields of the chosen period kind, so a stale value cannot change the mark.
    kind = values.get("period_kind")
    if kind != PeriodKind.TERM:
        values.update(period_value=None, period_unit="")
    if kind != PeriodKind.DATE:
        values["declassify_date"] = None
    if kind != PeriodKind.CONDITION:
        values["declassify_condition"] = ""
    if kind != PeriodKind.LONG_TERM:
        values["long_term_basis"] = ""
    return errors


def _declassify_on(values):
    return compute_declassify_on(
        level=values["level"], kind=values.get("period_kind"), start=values.get("start_date"),
        value=values.get("period_value"), unit=values.get("period_unit"), date=values.get("declassify_date"),
    )


# The change history of a carrier labels a record whose reason starts with this as 流转 (a
# workflow moved it), not 更正 (templates/documents/carrier_detail.html).
CUSTODY_MOVE_PREFIX = "流转："


def custody_record(*, carrier, action, actor, note="", from_user=None, to_user=None,
                   from_status="", to_status="", approval_ref="", receiver="", receipt_number=""):
    """Write one row of the carrier's 流转记录 for an event that does not move it (registration,
    correction, a scope change, a copy made from it, a change of its mark). A move — a change of
    status or custodian — goes through carrier_move, which writes its row itself."""
    return CustodyEvent.objects.create(
        carrier=carrier, action=action, recorded_by=actor, note=note, from_user=from_user, to_user=to_user,
        from_status=from_status, to_status=to_status, approval_ref=approval_ref, receiver=receiver,
        receipt_number=receipt_number,
    )


def carrier_move(*, actor, carrier, to_status, to_user, request, note, action=CustodyAction.STATUS_CHANGED,
                 word="", why=None, approval_ref="", receiver="", receipt_number="", department=None):
    """The one way a carrier changes hands or status: the carrier row (with its change-history
    reason, marked as 流转) and its custody row, together. Returns the custody row.

    The caller is a service that has locked the carrier row and checked state and policy; it
    writes the audit event of its business action. to_user is the new custodian, or None when the
    accountable person stays (it leaves the registry, goes out for repair, is destroyed or lost):
    the custody row then names nobody as receiver. request is whatever the move is made under —
    an approval request, a circulation, a meeting — anything with a `reference` ("借阅申请第3号"),
    or None; documents does not know the apps above it. why overrides the change-history text
    ("<word>（<reference>）" by default); department moves the carrier to another managing
    department in the same write (a meeting copy taken back by another unit's registry)."""
    reference = request.reference if request is not None else approval_ref
    previous_status, previous_user = carrier.custody_status, carrier.custodian
    carrier.custody_status = to_status
    fields = ["custody_status"]
    if to_user is not None:
        carrier.custodian = to_user
        fields.append("custodian")
    if department is not None and department.pk != carrier.department_id:
        carrier.department = department
        fields.append("department")
    if why is None:
        why = f"{word}（{reference}）" if reference else word
    carrier._history_user = actor
    carrier._change_reason = f"{CUSTODY_MOVE_PREFIX}{why}"
    carrier.save(update_fields=fields)
    return custody_record(carrier=carrier, action=action, actor=actor, from_user=previous_user, to_user=to_user,
                          from_status=previous_status, to_status=to_status, approval_ref=reference, note=note,
                          receiver=receiver, receipt_number=receipt_number)


def grant_scope(carrier, *, user=None, group=None):
    """Add a person or a group to the carrier's 知悉范围 (the caller checks, records and audits)."""
    assign_perm(VIEW_PERM, user or group, carrier)


# Field validation only. The serial is unique by construction (next_serial, under its counter's
# lock); the table's CHECK constraints (level 1–4, copies at least 1) are the database's backstop
# for rules _clean_registration has already refused at their fields, and Django would test each of
# them again with a query of its own on every registration (most of full_clean's cost).
CARRIER_CLEAN = {"validate_unique": False, "validate_constraints": False}


def _registration_problems(*, actor, direction, values, scope_users):
    """Every rule a registration breaks, in one pass, each at its field (issue 14 §1): the record's
    own rules (_clean_registration, which also completes `values`), then who may register it
    where, and who may be in its 知悉范围. A field already wrong is not judged again."""
    errors = _clean_registration(values, direction=direction, today=local_today())
    department = values.get("department")
    if department is not None and "department" not in errors and not policy.may_register(actor, department):
        errors["department"] = "您不负责该部门的机要工作，不能在此登记"
    level = values.get("level")
    if level is None:
        return errors
    if clearance_of(actor) < level:
        errors.setdefault("level", "您的涉密等级低于该密级，不能登记")
    elif handling_clearance(actor) < level:
        # LAW24 art. 26; REG24 art. 29(1): 绝密 is received and kept only by its designated 专人.
        errors.setdefault("level", "绝密级载体只能由主要负责人指定的绝密载体专人签收登记")
    uncleared = [u for u in scope_users if not u.is_active or clearance_of(u) < level]
    if uncleared:
        # Same rule as carrier_scope_grant: the 知悉范围 lists only people who may know it.
        names = "、".join(person_name(u) for u in uncleared)
        errors["scope_users"] = f"以下人员的涉密等级低于载体密级或账号已停用，不能列入知悉范围：{names}"
    return errors


def carrier_registration_problems(*, actor, direction, data, scope_users=()):
    """What a registration form must say when its own syntax check already failed: the
    service's rules on the fields that did parse (`data` holds only those), so the user reads
    every problem in one round. Reads only; the registration itself checks everything again."""
    values = {k: v for k, v in data.items() if k in REGISTRATION_FIELDS}
    department = values.get("department")
    if department is not None and not isinstance(department, Department):
        values["department"] = None
    return _registration_problems(actor=actor, direction=direction, values=values, scope_users=scope_users)


def _register(*, actor, direction, data, scope_users=(), scope_groups=()):
    unknown = set(data) - set(REGISTRATION_FIELDS)
    if unknown:
        raise DomainError(f"未知字段：{', '.join(sorted(unknown))}")
    values = {k: v for k, v in data.items()}
    for key in ("title", "doc_number", "issuer", "recipients", "device_serial", "basis", "scope_note", "signed_by"):
        if isinstance(values.get(key), str):
            values[key] = values[key].strip()
    department = values.get("department")
    if department is not None and not isinstance(department, Department):
        raise DomainError("管理部门无效")
    if not has_role(actor, Role.REGISTRAR):
        raise PolicyDenied("只有机要秘书可以登记涉密载体")
    errors = _registration_problems(actor=actor, direction=direction, values=values, scope_users=scope_users)
    if errors:
        raise ValidationFailed(errors)

    registry = settings.SECRECY["REGISTRY_CODE"]
    year = local_today().year
    number = next_serial(registry, year)
    carrier = Carrier(
        serial=f"{year}-{number:06d}", registry=registry, serial_year=year, serial_number=number,
        direction=direction, registered_by=actor, custodian=actor, custody_status=CustodyStatus.IN_REGISTRY,
        declassify_on=_declassify_on(values), **values,
    )
    carrier._history_user = actor
    full_clean_or_refuse(carrier, **CARRIER_CLEAN)
    carrier.save()
    for user in scope_users:
        grant_scope(carrier, user=user)
    for group in scope_groups:
        grant_scope(carrier, group=group)
    custody_record(carrier=carrier, action=CustodyAction.REGISTERED, actor=actor, to_user=actor,
                   to_status=CustodyStatus.IN_REGISTRY, note=f"{Direction(direction).label}登记")
    record_event(actor=actor, event=events.REGISTER_BY_DIRECTION[direction], target=carrier, level=carrier.level,
                 detail={"serial": carrier.serial, "scope_users": [u.pk for u in scope_users],
                         "scope_groups": [g.pk for g in scope_groups]})
    return carrier


@transaction.atomic
def carrier_register_incoming(*, actor, data, scope_users=(), scope_groups=()):
    """收文登记: REG24 art. 27(2) 清点、编号、登记、签收."""
    return _register(actor=actor, direction=Direction.INCOMING, data=data,
                     scope_users=scope_users, scope_groups=scope_groups)


@transaction.atomic
def carrier_register_outgoing(*, actor, data, internal=False, scope_users=(), scope_groups=()):
    """发文登记 (or 自产 when internal): records 承办人、定密责任人、定密依据 (DM14 art. 21)."""
    return _register(actor=actor, direction=Direction.INTERNAL if internal else Direction.OUTGOING, data=data,
                     scope_users=scope_users, scope_groups=scope_groups)


# A correction (更正登记) fixes what was typed wrong; it never decides who may see the carrier or
# for how long. 密级, 保密期限, 定密责任人 and 定密依据 change only through the 密级变更 approval
# (LAW24 art. 23, 24; REG24 art. 21; SPEC §4 "Corrections"), and the 管理部门 (which decides which
# registrars see and hold it) only through 移交. Everything else a registration set is correctable.
CLASSIFICATION_FIELDS = (
    "level", "period_kind", "period_value", "period_unit", "declassify_date", "declassify_condition",
    "period_special", "period_special_reason", "long_term_basis", "start_date", "basis", "classifier",
)
CORRECTABLE_FIELDS = tuple(f for f in REGISTRATION_FIELDS if f not in CLASSIFICATION_FIELDS + ("department",))
CLASSIFICATION_CHANGE_REFUSAL = "密级、保密期限、定密责任人和定密依据不能通过更正登记修改，请提出密级变更申请"
DEPARTMENT_CHANGE_REFUSAL = "管理部门不能通过更正登记修改；须变更管理部门的，请办理移交"


def _same(old, new):
    return (old in (None, "") and new in (None, "")) or old == new


@transaction.atomic
def carrier_correct(*, actor, carrier, changes, reason):
    """更正登记: the old values stay in the change history, the correction is a custody row.

    A change to a field that decides visibility or the period is refused at that field, all at
    once, and changes nothing (issue 11 §1)."""
    carrier = Carrier.objects.select_for_update().get(pk=carrier.pk)
    if not policy.may_manage(actor, carrier):
        raise PolicyDenied("只有负责该部门的机要秘书可以更正登记")
    unknown = set(changes) - set(REGISTRATION_FIELDS)
    if unknown:
        raise DomainError(f"这些字段不能更正：{', '.join(sorted(unknown))}")
    errors = {}
    for field in sorted(set(changes) - set(CORRECTABLE_FIELDS)):
        if _same(getattr(carrier, field), changes[field]):
            continue
        errors[field] = DEPARTMENT_CHANGE_REFUSAL if field == "department" else CLASSIFICATION_CHANGE_REFUSAL
    if not (reason or "").strip():
        errors["reason"] = "请填写更正原因"
    values = {f: getattr(carrier, f) for f in REGISTRATION_FIELDS}
    values.update({f: v for f, v in changes.items() if f in CORRECTABLE_FIELDS})
    if carrier.period_defaulted:
        # The period was never marked and follows the level's cap (DM14 art. 24(4)); the level
        # cannot change here, so the cap stays what it was.
        values.update(period_kind="", period_value=None, period_unit="")
    errors.update({k: v for k, v in _clean_registration(values, direction=carrier.direction,
                                                          today=local_today()).items() if k not in errors})
    if errors:
        raise ValidationFailed(errors)
    changed = {}
    for field in CORRECTABLE_FIELDS:
        old, value = getattr(carrier, field), values[field]
        if old != value:
            changed[field] = [str(old) if old is not None else "", str(value) if value is not None else ""]
            setattr(carrier, field, value)
    if not changed:
        raise ValidationFailed({"__all__": "没有需要更正的内容"})
    carrier._history_user = actor
    carrier._change_reason = reason.strip()
    full_clean_or_refuse(carrier, **CARRIER_CLEAN)
    carrier.save()
    labels = ", ".join(str(Carrier._meta.get_field(f).verbose_name) for f in changed)
    custody_record(carrier=carrier, action=CustodyAction.CORRECTED, actor=actor,
                   note=f"更正：{labels}；原因：{reason.strip()}")
    record_event(actor=actor, event=events.CORRECT, target=carrier, level=carrier.level,
                 detail={"changed": changed, "reason": reason.strip()})
    return carrier


def _scope_target(user_id, group_id):
    if bool(user_id) == bool(group_id):
        raise ValidationFailed({"__all__": "请指定一个人员或一个部门"})
    if user_id:
        target = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if target is None:
            raise ValidationFailed({"user": "人员不存在或已停用"})
        return target, None
    target = Group.objects.filter(pk=group_id).first()
    if target is None:
        raise ValidationFailed({"group": "部门不存在"})
    return None, target


@transaction.atomic
def carrier_scope_grant(*, actor, carrier, reason, user_id=None, group_id=None):
    """Add a person or department to the 知悉范围, recorded with its reason (DM14 art. 28)."""
    carrier = Carrier.objects.select_for_update().get(pk=carrier.pk)
    if not policy.may_manage(actor, carrier):
        raise PolicyDenied("只有负责该部门的机要秘书可以调整知悉范围")
    if not (reason or "").strip():
        raise ValidationFailed({"reason": "请填写调整知悉范围的理由"})
    if policy.scope_widening_needs_approval(carrier):
        # SPEC §5: widening the scope of a 秘密/机密/绝密 carrier is decided by the 主要负责人 or
        # their delegate (approvals.kinds.scope.scope_request_create), never on the registrar's word.
        raise PolicyDenied("秘密级以上载体扩大知悉范围须经主要负责人或其委托的审批人批准，请提出知悉范围扩大申请")
    user, group = _scope_target(user_id, group_id)
    if user is not None and clearance_of(user) < carrier.level:
        # Granting scope to someone not cleared would be a record that cannot be used; refuse it
        # so the register of who may know stays truthful.
        raise ValidationFailed({"user": "该人员的涉密等级低于载体密级，不能列入知悉范围"})
    grant_scope(carrier, user=user, group=group)
    who = person_name(user) if user else group.name
    custody_record(carrier=carrier, action=CustodyAction.SCOPE_GRANTED, actor=actor,
                   note=f"列入知悉范围：{who}；理由：{reason.strip()}")
    record_event(actor=actor, event=events.SCOPE_GRANT, target=carrier, level=carrier.level,
                 detail={"user": user.pk if user else None, "group": group.pk if group else None,
                         "reason": reason.strip()})
    return carrier


@transaction.atomic
def carrier_scope_revoke(*, actor, carrier, reason, user_id=None, group_id=None):
    carrier = Carrier.objects.select_for_update().get(pk=carrier.pk)
    if not policy.may_manage(actor, carrier):
        raise PolicyDenied("只有负责该部门的机要秘书可以调整知悉范围")
    if not (reason or "").strip():
        raise ValidationFailed({"reason": "请填写调整知悉范围的理由"})
    if user_id:
        target = get_user_model().objects.filter(pk=user_id).first()
        user, group = (target, None) if target else _scope_target(user_id, None)
    else:
        user, group = _scope_target(None, group_id)
    remove_perm(VIEW_PERM, user or group, carrier)
    who = person_name(user) if user else group.name
    custody_record(carrier=carrier, action=CustodyAction.SCOPE_REVOKED, actor=actor,
                   note=f"移出知悉范围：{who}；理由：{reason.strip()}")
    record_event(actor=actor, event=events.SCOPE_REVOKE, target=carrier, level=carrier.level,
                 detail={"user": user.pk if user else None, "group": group.pk if group else None,
                         "reason": reason.strip()})
    return carrier


@transaction.atomic
def carrier_record_view(*, user, carrier):
    """REG24 art. 20: record everyone who looks at a 机密/绝密 carrier."""
    if policy.view_is_recorded(carrier):
        record_event(actor=user, event=events.VIEW, target=carrier, level=carrier.level)


@transaction.atomic
def carrier_record_denied(*, user, requested):
    """A carrier URL answered 404 for this user (SPEC §10: denials are events)."""
    record_event(actor=user, event=events.DENIED, result=AuditResult.DENIED,
                 target_repr=f"carrier:{requested}"[:300], detail={"requested": str(requested)[:100]})
