from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models

from secrecy.levels import Level
from secrecy.workflow import Move, from_states


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
    # REG24 art. 50, art. 52: 组织人事部门 reviews people and gives its opinion on travel abroad.
    is_personnel_office = models.BooleanField("组织人事部门", default=False)

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
    # LAW24 art. 26; REG24 art. 29(1): 绝密 carriers are received, kept and handed out only by
    # people the 主要负责人 designates for them (专人管理). Set only by person_designate.
    top_secret_registrar = models.BooleanField("绝密载体专人", default=False)
    # SPEC §5: widening a 知悉范围 is decided by the 主要负责人 or the delegate named here by them.
    scope_delegate = models.BooleanField("知悉范围扩大受托审批人", default=False)
    status = models.CharField("状态", max_length=16, choices=PersonStatus.choices, default=PersonStatus.ON_POST)
    # BJ21 art. 24 / regulations §8.7: 何时确定为涉密人员.
    secret_post_since = models.DateField("确定为涉密人员日期", null=True, blank=True)
    # REG24 art. 53: 离岗离职前签订离岗离职保密承诺书; the 脱密期 runs from the approval of the leave.
    leaving_commitment_signed_on = models.DateField("离岗离职保密承诺书签订日期", null=True, blank=True)
    declassify_starts_on = models.DateField("脱密期开始", null=True, blank=True)
    declassify_ends_on = models.DateField("脱密期结束", null=True, blank=True)
    # A registrar serves one or more departments (the 机要室 usually serves the whole unit).
    served_departments = models.ManyToManyField(
        Department, verbose_name="服务部门（机要秘书）", blank=True, related_name="registrars",
    )

    class Meta:
        verbose_name = "涉密人员"
        verbose_name_plural = "涉密人员"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status", "review_date"], name="person_status_review_idx"),
            models.Index(fields=["status", "declassify_ends_on"], name="person_status_declass_idx"),
        ]

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


class ReviewKind(models.TextChoices):
    ON_POST = "on_post", "上岗审查"
    PERIODIC = "periodic", "定期复审"


class PersonReview(models.Model):
    """One 保密审查 of a person (REG24 art. 50: 上岗前审查, 定期复审). The latest one decides
    Person.review_passed / review_date; the rows are the history for the 涉密人员档案."""

    person = models.ForeignKey(Person, verbose_name="涉密人员", on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField("审查类型", max_length=12, choices=ReviewKind.choices, default=ReviewKind.PERIODIC)
    reviewed_on = models.DateField("审查日期")
    passed = models.BooleanField("审查通过")
    reviewer = models.CharField("审查部门", max_length=100, blank=True)
    note = models.CharField("审查意见", max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "保密审查记录"
        verbose_name_plural = "保密审查记录"
        ordering = ["-reviewed_on", "-id"]


class Training(models.Model):
    """One 保密教育培训 attended (LAW24 art. 44, REG24 art. 9); yearly hours are checked (cfg)."""

    person = models.ForeignKey(Person, verbose_name="涉密人员", on_delete=models.PROTECT, related_name="trainings")
    trained_on = models.DateField("培训日期")
    hours = models.DecimalField("学时", max_digits=4, decimal_places=1)
    topic = models.CharField("培训内容", max_length=200)
    organiser = models.CharField("组织单位", max_length=100)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "保密教育培训记录"
        verbose_name_plural = "保密教育培训记录"
        ordering = ["-trained_on", "-id"]
        indexes = [models.Index(fields=["person", "trained_on"], name="training_person_date_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(hours__gt=0), name="training_hours_positive")]


class TravelDocumentKind(models.TextChoices):
    PASSPORT = "passport", "普通护照"
    OFFICIAL_PASSPORT = "official_passport", "公务护照"
    HK_MACAO = "hk_macao", "往来港澳通行证"
    TAIWAN = "taiwan", "往来台湾通行证"


class TravelDocumentStatus(models.TextChoices):
    HELD = "held", "单位保管"
    ISSUED = "issued", "本人领用"
    CANCELLED = "cancelled", "已注销"


class TravelDocument(models.Model):
    """出入境证件 the unit keeps for a person (集中登记保管, regulations §6 证件)."""

    person = models.ForeignKey(Person, verbose_name="涉密人员", on_delete=models.PROTECT, related_name="travel_documents")
    kind = models.CharField("证件类型", max_length=20, choices=TravelDocumentKind.choices)
    number = models.CharField("证件号码", max_length=30)
    valid_until = models.DateField("有效期至", null=True, blank=True)
    status = models.CharField("保管状态", max_length=12, choices=TravelDocumentStatus.choices,
                              default=TravelDocumentStatus.HELD)
    handed_in_on = models.DateField("交存日期")
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "出入境证件"
        verbose_name_plural = "出入境证件"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="travel_document_unique_number")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"


class LeaveKind(models.TextChoices):
    LEAVE_POST = "leave_post", "离岗"
    LEAVE_UNIT = "leave_unit", "离职"


class LeaveState(models.TextChoices):
    OPEN = "open", "办理中"
    APPROVED = "approved", "已批准"
    CANCELLED = "cancelled", "已撤销"


# LeaveState transitions: the table is the documentation (ARCHITECTURE "State changes").
LEAVE_TRANSITIONS = from_states({
    # action: (from states, Move(to state))
    "record_talk": ((LeaveState.OPEN,), Move(LeaveState.OPEN)),
    "sign_commitment": ((LeaveState.OPEN,), Move(LeaveState.OPEN)),
    "approve": ((LeaveState.OPEN,), Move(LeaveState.APPROVED)),
    "cancel": ((LeaveState.OPEN,), Move(LeaveState.CANCELLED)),
}, refusal=lambda state, action: f"离岗离职当前为“{LeaveState(state).label}”，不能办理此项")


class Leave(models.Model):
    """离岗离职 (REG24 art. 53): 保密提醒谈话 → 离岗离职保密承诺书 → 清退载体 → approval, which
    revokes system access and starts the 脱密期."""

    person = models.ForeignKey(Person, verbose_name="涉密人员", on_delete=models.PROTECT, related_name="leaves")
    kind = models.CharField("类型", max_length=12, choices=LeaveKind.choices)
    reason = models.CharField("原因", max_length=300)
    planned_on = models.DateField("拟离岗日期")
    state = models.CharField("状态", max_length=12, choices=LeaveState.choices, default=LeaveState.OPEN)
    talk_on = models.DateField("保密提醒谈话日期", null=True, blank=True)
    talk_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="谈话人", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    talk_note = models.CharField("谈话要点", max_length=500, blank=True)
    commitment_signed_on = models.DateField("离岗离职保密承诺书签订日期", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="批准人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField("批准时间", null=True, blank=True)
    approval_comment = models.CharField("批准意见", max_length=300, blank=True)
    declassify_starts_on = models.DateField("脱密期开始", null=True, blank=True)
    declassify_ends_on = models.DateField("脱密期结束", null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField("撤销时间", null=True, blank=True)
    cancel_reason = models.CharField("撤销原因", max_length=300, blank=True)

    class Meta:
        verbose_name = "离岗离职"
        verbose_name_plural = "离岗离职"
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["person"], condition=models.Q(state="open"),
                                               name="leave_one_open_per_person")]

    @property
    def reference(self):
        return f"离岗 {self.created_at:%Y}-{self.pk:04d}" if self.created_at and self.pk else "离岗（新）"


class TravelKind(models.TextChoices):
    OFFICIAL = "official", "因公出境"
    PRIVATE = "private", "因私出境"


class TravelState(models.TextChoices):
    SUBMITTED = "submitted", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "未批准"
    CANCELLED = "cancelled", "已撤销"
    RETURNED = "returned", "已回国报告"


class Opinion(models.TextChoices):
    PENDING = "", "待审批"
    APPROVE = "approve", "同意"
    REJECT = "reject", "不同意"


TRAVEL_TRANSITIONS = from_states({
    # action: (from states, Move(to state, or None when the two opinions decide it))
    "hr_decide": ((TravelState.SUBMITTED,), Move(None)),
    "secrecy_decide": ((TravelState.SUBMITTED,), Move(None)),
    "record_education": ((TravelState.APPROVED,), Move(TravelState.APPROVED)),
    "report_return": ((TravelState.APPROVED,), Move(TravelState.RETURNED)),
    "cancel": ((TravelState.SUBMITTED, TravelState.APPROVED), Move(TravelState.CANCELLED)),
}, refusal=lambda state, action: f"出境申请当前为“{TravelState(state).label}”，不能办理此项")


class Travel(models.Model):
    """因公/因私出境 of a 涉密人员 (LAW24 art. 45, REG24 art. 52): opinions of 组织人事部门 and
    保密办, 行前保密教育, report on return. Asked during the 脱密期 it is flagged (LAW24 art. 46)."""

    person = models.ForeignKey(Person, verbose_name="涉密人员", on_delete=models.PROTECT, related_name="travels")
    kind = models.CharField("类型", max_length=12, choices=TravelKind.choices)
    destination = models.CharField("前往国家（地区）", max_length=200)
    purpose = models.CharField("事由", max_length=300)
    departs_on = models.DateField("出发日期")
    returns_on = models.DateField("返回日期")
    travel_document = models.ForeignKey(TravelDocument, verbose_name="使用证件", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="travels")
    in_declassify_period = models.BooleanField("脱密期内", default=False)
    state = models.CharField("状态", max_length=12, choices=TravelState.choices, default=TravelState.SUBMITTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    hr_opinion = models.CharField("组织人事部门意见", max_length=8, choices=Opinion.choices, blank=True, default="")
    hr_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    hr_at = models.DateTimeField(null=True, blank=True)
    hr_comment = models.CharField("组织人事部门意见说明", max_length=300, blank=True)
    secrecy_opinion = models.CharField("保密办意见", max_length=8, choices=Opinion.choices, blank=True, default="")
    secrecy_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    secrecy_at = models.DateTimeField(null=True, blank=True)
    secrecy_comment = models.CharField("保密办意见说明", max_length=300, blank=True)
    education_on = models.DateField("行前保密教育日期", null=True, blank=True)
    education_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    education_note = models.CharField("教育内容", max_length=300, blank=True)
    returned_on = models.DateField("实际返回日期", null=True, blank=True)
    return_report = models.TextField("回国（境）报告", blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField("撤销原因", max_length=300, blank=True)

    class Meta:
        verbose_name = "出境审批"
        verbose_name_plural = "出境审批"
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "returns_on"], name="travel_state_return_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(returns_on__gte=models.F("departs_on")),
                                              name="travel_returns_after_departure")]

    @property
    def reference(self):
        return f"出境 {self.requested_at:%Y}-{self.pk:04d}" if self.requested_at and self.pk else "出境（新）"


class LoginSession(models.Model):
    """Which Django sessions belong to which account, so revoking access (离岗离职, disabling an
    account) can end them at once — Django's session table cannot be searched by user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="login_sessions")
    session_key = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = "登录会话"
        verbose_name_plural = "登录会话"
        indexes = [models.Index(fields=["user", "ended_at"], name="loginsession_user_open_idx")]


class PasswordState(models.Model):
    """When an account's password was last set (SPEC §12: rotation reminder after 30 days, cfg).
    Django keeps no such date; personnel.validators.PasswordAgeRecorder writes it whenever a
    password is set through the validators (set_password + save)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="password_state")
    changed_at = models.DateTimeField("密码修改时间")
    # Set when the 系统管理员 creates the account or resets its password (he knows that password):
    # personnel.middleware.PasswordChangeRequiredMiddleware then allows only the change page.
    must_change = models.BooleanField("须修改密码", default=False)

    class Meta:
        verbose_name = "密码状态"
        verbose_name_plural = "密码状态"
        indexes = [models.Index(fields=["changed_at"], name="passwordstate_changed_idx")]


class LoginThrottle(models.Model):
    """Failed logins from one client address across all accounts (issue 11 §3; personnel.throttle).
    One row per address, reset in place when the address has been quiet for the window, never
    deleted. Kept in the database rather than the cache so every web process sees the same count."""

    ip_address = models.GenericIPAddressField("来源IP", unique=True)
    failures = models.PositiveIntegerField("窗口内失败次数", default=0)
    last_failure_at = models.DateTimeField("最近失败时间")
    blocked_until = models.DateTimeField("暂停登录至", null=True, blank=True)

    class Meta:
        verbose_name = "登录限速"
        verbose_name_plural = "登录限速"


class PasswordHistory(models.Model):
    """The hash of every password an account has had (issue 11 §5), so a change can refuse the
    last few (PASSWORD_HISTORY_COUNT). Written by personnel.validators.PasswordAgeRecorder whenever
    a password is saved; only hashes, never the password. Rows are kept, not deleted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="password_history")
    password = models.CharField("密码哈希", max_length=128)
    set_at = models.DateTimeField("设置时间")

    class Meta:
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"
        indexes = [models.Index(fields=["user", "-set_at"], name="passwordhistory_user_idx")]
