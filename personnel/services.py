from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from audits.services import record_event
from secrecy.errors import DomainError, PolicyDenied, full_clean_or_refuse
from secrecy.levels import Level

from . import events
from .models import ADMIN_ROLES, Department, Person, PersonStatus, Role
from .policy import may_edit_clearance, may_grant_roles


def _lock_user(user_id):
    return get_user_model().objects.select_for_update().get(pk=user_id)


def _check_granter(actor):
    # actor=None is the system itself (seed_demo, management commands run by the operator);
    # every request goes through a real user.
    if actor is not None and not may_grant_roles(actor):
        raise PolicyDenied("只有安全保密管理员可以授予或撤销角色")


def _check_not_self(actor, user):
    # Nobody changes their own roles (三员分立 would mean nothing if one could).
    if actor is not None and actor.pk == user.pk:
        raise PolicyDenied("不能修改本人的角色，请由其他安全保密管理员办理")


@transaction.atomic
def role_grant(*, actor, user, role):
    """Give `user` a role. 三员分立: never two of sysadmin / security_admin / auditor."""
    _check_granter(actor)
    _check_not_self(actor, user)
    if role not in Role.values:
        raise DomainError(f"未知角色：{role}")
    user = _lock_user(user.pk)
    current = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    if role in current:
        return user
    if role in ADMIN_ROLES and current & set(ADMIN_ROLES):
        held = Role(next(iter(current & set(ADMIN_ROLES)))).label
        raise PolicyDenied(f"三员分立：该账号已是{held}，不能再授予{Role(role).label}")
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    record_event(actor=actor, event=events.ROLE_GRANT, target=user, detail={"role": role})
    return user


@transaction.atomic
def role_revoke(*, actor, user, role):
    _check_granter(actor)
    _check_not_self(actor, user)
    user = _lock_user(user.pk)
    group = Group.objects.filter(name=role).first()
    if group is None or not user.groups.filter(pk=group.pk).exists():
        return user
    user.groups.remove(group)
    record_event(actor=actor, event=events.ROLE_REVOKE, target=user, detail={"role": role})
    return user


@transaction.atomic
def department_create(*, actor, name, code, is_secrecy_office=False, is_personnel_office=False):
    if actor is not None and not may_grant_roles(actor):
        raise PolicyDenied("只有安全保密管理员可以设置部门")
    group, _ = Group.objects.get_or_create(name=f"dept:{code}")
    department = Department.objects.create(name=name, code=code, group=group, is_secrecy_office=is_secrecy_office,
                                           is_personnel_office=is_personnel_office)
    record_event(actor=actor, event=events.DEPARTMENT_CREATE, target=department)
    return department


PERSON_FIELDS = (
    "full_name", "department", "post", "person_class", "review_passed", "review_date",
    "commitment_signed_on", "approval_authority", "classification_authority", "is_principal", "status",
    "secret_post_since",
)


@transaction.atomic
def person_save(*, actor, user, served_departments=None, **fields):
    """Create or update the 涉密人员 record; keeps department group membership in step."""
    if actor is not None and not may_edit_clearance(actor):
        raise PolicyDenied("只有保密办或安全保密管理员可以修改涉密人员档案")
    if actor is not None and actor.pk == user.pk:
        # Nobody raises their own clearance or authority.
        raise PolicyDenied("不能修改本人的涉密人员档案，请由其他保密办人员办理")
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise DomainError(f"未知字段：{', '.join(sorted(unknown))}")
    user = _lock_user(user.pk)
    person = Person.objects.select_for_update().filter(user=user).first()
    old_department = person.department if person else None
    before = {f: getattr(person, f if f != "department" else "department_id") for f in PERSON_FIELDS} if person else {}
    if person is None:
        person = Person(user=user, **fields)
    else:
        for key, value in fields.items():
            setattr(person, key, value)
    full_clean_or_refuse(person, exclude=["user"])
    person.save()
    if old_department and old_department != person.department:
        user.groups.remove(old_department.group)
    user.groups.add(person.department.group)
    if served_departments is not None:
        person.served_departments.set(served_departments)
    for cached in ("_secrecy_served", "_secrecy_groups", "_secrecy_roles"):
        user.__dict__.pop(cached, None)
    after = {f: getattr(person, f if f != "department" else "department_id") for f in PERSON_FIELDS}
    changed = {k: [str(before.get(k)), str(v)] for k, v in after.items() if before.get(k) != v}
    record_event(actor=actor, event=events.PERSON_SAVE, target=person, detail={"changed": changed})
    return person


# The two designations only the 主要负责人 makes, with what each needs of the person named.
DESIGNATIONS = {
    # LAW24 art. 26; REG24 art. 29(1): 绝密 carriers under 专人管理.
    "top_secret_registrar": "绝密载体专人",
    # SPEC §5: 知悉范围扩大 is decided by the 主要负责人 or their delegate.
    "scope_delegate": "知悉范围扩大受托审批人",
}


def _designation_refusal(field, user, person):
    from .policy import clearance_of, has_role

    if not user.is_active or person.status != PersonStatus.ON_POST:
        return "该人员账号已停用或不在岗，不能指定"
    if field == "top_secret_registrar":
        if not has_role(user, Role.REGISTRAR):
            return "只有机要秘书可以指定为绝密载体专人"
        if clearance_of(user) < Level.TOP_SECRET:
            return "绝密载体专人须具有绝密级涉密资格（核心涉密人员，审查通过并签订保密承诺书）"
    if field == "scope_delegate":
        if person.is_principal:
            return "主要负责人本人即可审批，无需委托"
        if not has_role(user, Role.APPROVER):
            return "只有领导（审批人）可以受托审批知悉范围扩大"
    return None


@transaction.atomic
def person_designate(*, actor, user, field, designated):
    """The 主要负责人 names (or withdraws) a 绝密载体专人 or a 知悉范围扩大 delegate; audited."""
    from secrecy.errors import ValidationFailed

    from .policy import is_principal

    if actor is None or not is_principal(actor):
        raise PolicyDenied("只有主要负责人可以指定绝密载体专人和知悉范围扩大的受托审批人")
    if field not in DESIGNATIONS:
        raise DomainError("未知的指定事项")
    user = _lock_user(user.pk)
    person = Person.objects.select_for_update().filter(user=user).first()
    if person is None:
        raise ValidationFailed({field: "该账号没有涉密人员档案，不能指定"})
    designated = bool(designated)
    if getattr(person, field) == designated:
        raise ValidationFailed({field: f"{person.full_name}{'已是' if designated else '不是'}{DESIGNATIONS[field]}"})
    if designated:
        refusal = _designation_refusal(field, user, person)
        if refusal:
            raise ValidationFailed({field: refusal})
    setattr(person, field, designated)
    person.save(update_fields=[field])
    record_event(actor=actor, event=events.DESIGNATE, target=person,
                 detail={"field": field, "designated": designated, "user": user.pk})
    return person
