from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models

from secrecy.levels import Level


class Role(models.TextChoices):
    """The seven roles, each a Django group of the same name (SPEC §1)."""

    REGISTRAR = "registrar", "机要秘书"
    APPROVER = "approver", "领导"
    SECRECY_OFFICE = "secrecy_office", "保密办"
    READER = "reader", "涉密人员"
    SYSADMIN = "sysadmin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全保密管理员"
    AUDITOR = "auditor", "安全审计员"


# 三员分立 (REG24 art. 32–35, BJ21 18): one account holds at most one of these.
ADMIN_ROLES = (Role.SYSADMIN, Role.SECURITY_ADMIN, Role.AUDITOR)


class Department(models.Model):
    name = models.CharField("部门名称", max_length=100, unique=True)
    code = models.SlugField("部门代码", max_length=30, unique=True)
    # Need-to-know may be granted to a whole department; its members are this group.
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="department")
    is_secrecy_office = models.BooleanField("保密办", default=False)

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["id"]

    def __str__(self):
        return self.name


class PersonClass(models.TextChoices):
    NONE = "", "非涉密人员"
    GENERAL = "general", "一般涉密人员"
    IMPORTANT = "important", "重要涉密人员"
    CORE = "core", "核心涉密人员"


# SPEC §4: 核心 → 绝密, 重要 → 机密, 一般 → 秘密.
CLASS_CLEARANCE = {
    PersonClass.CORE: Level.TOP_SECRET,
    PersonClass.IMPORTANT: Level.SECRET,
    PersonClass.GENERAL: Level.CONFIDENTIAL,
}


class PersonStatus(models.TextChoices):
    ON_POST = "on_post", "在岗"
    DECLASSIFYING = "declassifying", "脱密期"
    CLEARED_OUT = "cleared_out", "已脱密"
    LEFT = "left", "离职"


class AuthorityLevel(models.IntegerChoices):
    NONE = 0, "无"
    CONFIDENTIAL = Level.CONFIDENTIAL, "秘密"
    SECRET = Level.SECRET, "机密"
    TOP_SECRET = Level.TOP_SECRET, "绝密"


class Person(models.Model):
    """The 涉密人员 record of one user (SPEC §8; extended by the personnel issue)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="person")
    full_name = models.CharField("姓名", max_length=50)
    department = models.ForeignKey(Department, verbose_name="部门", on_delete=models.PROTECT, related_name="people")
    post = models.CharField("岗位", max_length=100, blank=True)
    person_class = models.CharField("涉密等级", max_length=12, choices=PersonClass.choices, blank=True, default="")
    review_passed = models.BooleanField("审查通过", default=False)
    review_date = models.DateField("审查日期", null=True, blank=True)
    commitment_signed_on = models.DateField("保密承诺书签订日期", null=True, blank=True)
    approval_authority = models.PositiveSmallIntegerField("审批权限", choices=AuthorityLevel.choices, default=0)
    classification_authority = models.PositiveSmallIntegerField("定密权限", choices=AuthorityLevel.choices, default=0)
    is_principal = models.BooleanField("主要负责人", default=False)
    status = models.CharField("状态", max_length=16, choices=PersonStatus.choices, default=PersonStatus.ON_POST)
    # A registrar serves one or more departments (the 机要室 usually serves the whole unit).
    served_departments = models.ManyToManyField(
        Department, verbose_name="服务部门（机要秘书）", blank=True, related_name="registrars",
    )

    class Meta:
        verbose_name = "涉密人员"
        verbose_name_plural = "涉密人员"
        ordering = ["id"]

    def __str__(self):
        return self.full_name

    @property
    def clearance(self):
        """Clearance is active only with a passed review, a signed commitment and being on post."""
        if (
            self.person_class
            and self.review_passed
            and self.commitment_signed_on
            and self.status == PersonStatus.ON_POST
        ):
            return int(CLASS_CLEARANCE[PersonClass(self.person_class)])
        # Everyone with an account may still see work secrets in their scope; no state secrets.
        return int(Level.WORK)
