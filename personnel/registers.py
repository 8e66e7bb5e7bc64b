"""涉密人员台账 (SPEC §8, §11; regulations_cn.md §8.7), and the derived facts about a person the
screens show with it (next 复审, training hours, why a clearance is not active).

The builder returns a `secrecy.printing.Register` and is declared in `REGISTERS` below, which the
registers app finds (personnel never imports it — ARCHITECTURE "The house"), so the web page, the
`register` command and the worker produce it the same way and audit it the same way.
"""
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from secrecy.errors import PolicyDenied, ValidationFailed
from secrecy.levels import Level
from secrecy.printing import Column, Register, RegisterSpec

from .jobs import hours_this_year
from .models import AuthorityLevel, Department, Person, PersonClass, PersonStatus, TravelDocument, TravelDocumentStatus
from .policy import may_view_personnel
from .services_records import add_years

TITLE = "涉密人员台账"
REFUSAL = "只有保密办或安全保密管理员可以打印涉密人员台账"

# The short words the 台账 and the list use (核心 / 重要 / 一般).
CLASS_SHORT = {PersonClass.CORE: "核心", PersonClass.IMPORTANT: "重要", PersonClass.GENERAL: "一般"}


# ------------------------------------------------------------------------ facts about a person


def class_short(person_class):
    return CLASS_SHORT.get(person_class, "非涉密")


def next_review_due(person):
    """The day the next 定期复审 is due (REG24 art. 50; interval by class is cfg), None when the
    person is not on a secret post or was never reviewed."""
    if not person.person_class or person.review_date is None or person.status != PersonStatus.ON_POST:
        return None
    years = int(settings.SECRECY["REVIEW_INTERVAL_YEARS"][str(person.person_class)])
    return add_years(person.review_date, years)


def required_training_hours():
    return Decimal(str(settings.SECRECY["TRAINING_HOURS_PER_YEAR"]))


def clearance_gaps(person):
    """Why the clearance is not active — empty when it is (SPEC §8: a passed review and a signed
    commitment, on post, with a class)."""
    gaps = []
    if not person.person_class:
        gaps.append("未确定涉密等级")
    if person.review_date is None:
        gaps.append("未经保密审查")
    elif not person.review_passed:
        gaps.append("保密审查未通过")
    if not person.commitment_signed_on:
        gaps.append("未签订保密承诺书")
    if person.status != PersonStatus.ON_POST:
        gaps.append(f"不在涉密岗位（{person.get_status_display()}）")
    return gaps


def review_label(person):
    if person.review_date is None:
        return "未审查"
    return f"{'通过' if person.review_passed else '未通过'} {person.review_date.isoformat()}"


def hours_label(hours):
    return f"{(hours or Decimal('0')).normalize():f}"


# ------------------------------------------------------------------------------------ register


def _department_filter(filters):
    """The register takes one filter, the department (the carrier filters do not apply to
    people); anything else is refused rather than silently printing an unfiltered register."""
    filters = dict(filters or {})
    unknown = sorted(key for key, value in filters.items() if key != "department" and value not in (None, ""))
    if unknown:
        raise ValidationFailed({"register": f"涉密人员台账只能按部门筛选（不支持：{'、'.join(unknown)}）"})
    value = filters.get("department")
    if value in (None, ""):
        return None
    department = Department.objects.filter(pk=str(value)).first() if str(value).isdigit() else None
    if department is None:
        raise ValidationFailed({"department": "部门不存在"})
    return department


def _people(department, year):
    # The register lists 涉密人员: everyone given a class, whatever their status now (脱密期 and
    # those who left stay on it — BJ21 art. 24 keeps their 档案).
    queryset = Person.objects.exclude(person_class="").select_related("department").annotate(
        hours=hours_this_year(year))
    if department is not None:
        queryset = queryset.filter(department=department)
    return queryset.prefetch_related(Prefetch(
        "travel_documents", to_attr="kept_documents",
        queryset=TravelDocument.objects.exclude(status=TravelDocumentStatus.CANCELLED).order_by("id"),
    )).order_by("department_id", "id")


def personnel_count(*, user, filters=None, cap=None):
    if not may_view_personnel(user):
        raise PolicyDenied(REFUSAL)
    return _people(_department_filter(filters), timezone.localdate().year).order_by().count()


def _date(value):
    return value.isoformat() if value else ""


def _documents(person):
    # 集中登记保管 (regulations §6 证件): what the unit holds, and what is out with the person.
    return "\n".join(
        f"{d.get_kind_display()} {d.number}" + ("（本人领用）" if d.status == TravelDocumentStatus.ISSUED else "")
        for d in person.kept_documents)


def _hours(person, required):
    text = hours_label(person.hours)
    if person.status == PersonStatus.ON_POST and person.hours < required:
        text += f"（不足{hours_label(required)}）"
    return text


def _declassify(person):
    if not person.declassify_starts_on:
        return ""
    return f"{_date(person.declassify_starts_on)}至{_date(person.declassify_ends_on)}"


# (header, width in mm on A4 landscape, cell(person, number))
COLUMNS = [
    ("序号", 8, lambda p, n, r: str(n)),
    ("姓名", 15, lambda p, n, r: p.full_name),
    ("部门", 17, lambda p, n, r: p.department.name),
    ("岗位", 18, lambda p, n, r: p.post),
    ("涉密等级", 12, lambda p, n, r: class_short(p.person_class)),
    ("确定涉密日期", 17, lambda p, n, r: _date(p.secret_post_since)),
    ("审查结论及日期", 22, lambda p, n, r: review_label(p)),
    ("下次复审", 17, lambda p, n, r: _date(next_review_due(p))),
    ("保密承诺书", 17, lambda p, n, r: _date(p.commitment_signed_on) or "未签订"),
    ("本年培训学时", 14, lambda p, n, r: _hours(p, r)),
    ("审批权限", 12, lambda p, n, r: AuthorityLevel(p.approval_authority).label),
    ("定密权限", 12, lambda p, n, r: AuthorityLevel(p.classification_authority).label),
    ("状态", 10, lambda p, n, r: p.get_status_display()),
    ("脱密期", 20, lambda p, n, r: _declassify(p)),
    ("出入境证件（单位保管）", 30, lambda p, n, r: _documents(p)),
    ("离岗承诺书", 17, lambda p, n, r: _date(p.leaving_commitment_signed_on)),
]


def _summary(people):
    counts = {cls: 0 for cls in CLASS_SHORT}
    for person in people:
        counts[PersonClass(person.person_class)] += 1
    parts = "，".join(f"{CLASS_SHORT[cls]} {counts[cls]} 人" for cls in (PersonClass.CORE, PersonClass.IMPORTANT,
                                                                      PersonClass.GENERAL))
    on_post = sum(1 for p in people if p.status == PersonStatus.ON_POST)
    return [f"合计 {len(people)} 人（{parts}）；在岗 {on_post} 人"]


def _intervals():
    years = settings.SECRECY["REVIEW_INTERVAL_YEARS"]
    return "、".join(f"{CLASS_SHORT[cls]} {years[str(cls)]} 年"
                    for cls in (PersonClass.CORE, PersonClass.IMPORTANT, PersonClass.GENERAL))


def personnel(*, user, filters=None, progress=None, today=None):
    """涉密人员台账: one row per 涉密人员 (regulations_cn.md §8.7 plus REG24 art. 50, 53 fields).

    A personnel list is a 工作秘密, not a state secret, so every row is 内部 and so is every page.
    """
    if not may_view_personnel(user):
        raise PolicyDenied(REFUSAL)
    department = _department_filter(filters)
    today = today or timezone.localdate()
    required = required_training_hours()
    people = list(_people(department, today.year))
    rows = []
    for number, person in enumerate(people, start=1):
        rows.append([cell(person, number, required) for _, _, cell in COLUMNS])
        if progress and number % 500 == 0:
            progress(number / len(people))
    return Register(
        name="personnel", title=TITLE,
        columns=[Column(header, width) for header, width, _ in COLUMNS],
        rows=rows, levels=[int(Level.WORK)] * len(rows),
        filters_description=f"部门：{department.name}" if department else "",
        unit_name=settings.SECRECY.get("UNIT_NAME", ""),
        header_lines=[
            f"筛选条件：{'部门：' + department.name if department else '全部'}",
            f"本年培训学时为 {today.year} 年度，应不少于 {hours_label(required)} 学时；下次复审按{_intervals()}推算。",
        ],
        summary_lines=_summary(people),
    )


__all__ = ["personnel", "personnel_count", "TITLE", "REFUSAL", "next_review_due", "clearance_gaps"]

# 保密办's book, not a carrier register: off the generic registers page (listed=False) and printable
# only by those who may view personnel.
REGISTERS = (
    RegisterSpec(name="personnel", title=TITLE, build=personnel, count=personnel_count, listed=False,
                 may_print=may_view_personnel, refusal=REFUSAL),
)
