"""The cast of the demo unit (SPEC §14): three departments and ten accounts, made through the
personnel services with their roles, clearances and authority."""
import datetime as dt

from django.contrib.auth import get_user_model

from personnel import services as personnel_services
from personnel.models import Department, Person, Role

from .base import PASSWORD, SectionResult

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
