"""待建档 (issue 14 §7): the 保密办 creates the 涉密人员 record of an account the 系统管理员 made.

Until then the account holds no class, so its owner sees nothing classified (SPEC §4, §8). The
record is the one piece the 保密办 adds: roles stay with the 安全保密管理员 (三员分立, SPEC §1), and
an account that holds one of the 三员's roles gets no sight of carriers from a record either
(personnel.policy.clearance_of answers 0 for them).
"""
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from audits.services import record_event
from secrecy.errors import InvalidState, PolicyDenied, ValidationFailed

from . import events
from .models import Person, PersonClass, PersonReview, ReviewKind
from .policy import may_manage_personnel

NAME_MAX = Person._meta.get_field("full_name").max_length
POST_MAX = Person._meta.get_field("post").max_length


def _problems(*, full_name, department, person_class, post, review_passed, review_date, commitment_signed_on,
              today):
    """Every problem of the input at once, by field (empty: none)."""
    errors = {}
    if not full_name:
        errors["full_name"] = "请填写姓名"
    elif len(full_name) > NAME_MAX:
        errors["full_name"] = f"姓名不能超过 {NAME_MAX} 个字"
    if len(post) > POST_MAX:
        errors["post"] = f"岗位不能超过 {POST_MAX} 个字"
    if department is None:
        errors["department"] = "请选择部门"
    if person_class is None or person_class not in PersonClass.values:
        errors["person_class"] = "请选择人员类别"
    secret = bool(person_class) and "person_class" not in errors
    if secret and not review_passed:
        # REG24 art. 50: 上岗前保密审查; 未通过不得任用 — no class without a passed review.
        errors["review_passed"] = "确定为涉密人员须经上岗前保密审查并通过；未通过的不得确定为涉密人员"
    if review_date is None:
        if secret:
            errors["review_date"] = "请填写审查日期"
    elif review_date > today:
        errors["review_date"] = "审查日期不能晚于今天"
    if commitment_signed_on is None:
        if secret:
            # LAW24 art. 43(3): 涉密人员 sign a 保密承诺书 on taking the post.
            errors["commitment_signed_on"] = "请填写保密承诺书签订日期（未签订的不能知悉国家秘密）"
    elif commitment_signed_on > today:
        errors["commitment_signed_on"] = "保密承诺书签订日期不能晚于今天"
    return errors


@transaction.atomic
def person_onboard(*, actor, user, full_name, department, person_class, post="", review_passed=False,
                   review_date=None, commitment_signed_on=None, today=None):
    """Create the 涉密人员 record of `user` (an account without one): name, department, class and,
    for a 涉密 class, the passed 上岗审查 with its date and the signed 保密承诺书 — which make the
    clearance active at once (Person.clearance). `person_class` "" is 非涉密人员. Audited; the
    review is kept as the record's first 保密审查 (上岗审查)."""
    today = today or timezone.localdate()
    if not may_manage_personnel(actor):
        raise PolicyDenied("只有保密办可以建立涉密人员档案")
    if actor.pk == user.pk:
        raise PolicyDenied("不能为本人建立涉密人员档案，请由其他保密办人员办理")
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise InvalidState("该账号已停用，不能建立涉密人员档案")
    if Person.objects.filter(user=user).exists():
        raise InvalidState("该账号已有涉密人员档案，请在涉密人员档案中修改")
    full_name, post = (full_name or "").strip(), (post or "").strip()
    errors = _problems(full_name=full_name, department=department, person_class=person_class, post=post,
                       review_passed=review_passed, review_date=review_date,
                       commitment_signed_on=commitment_signed_on, today=today)
    if errors:
        raise ValidationFailed(errors)
    person = Person.objects.create(
        user=user, full_name=full_name, department=department, post=post, person_class=person_class,
        review_passed=bool(review_passed and review_date), review_date=review_date,
        commitment_signed_on=commitment_signed_on,
        # BJ21 art. 24 / regulations §8.7: 何时确定为涉密人员 — the day the record makes them one.
        secret_post_since=today if person_class else None,
    )
    if review_date is not None:
        PersonReview.objects.create(person=person, kind=ReviewKind.ON_POST, reviewed_on=review_date,
                                    passed=bool(review_passed), recorded_by=actor)
    # Need-to-know granted to the department reaches its members through this group.
    user.groups.add(department.group)
    for cached in ("_secrecy_groups", "_secrecy_roles"):
        user.__dict__.pop(cached, None)
    record_event(actor=actor, event=events.PERSON_ONBOARD, target=person, detail={
        "user": user.pk, "department": department.pk, "person_class": person_class,
        "review_passed": person.review_passed,
        "review_date": review_date.isoformat() if review_date else None,
        "commitment_signed_on": commitment_signed_on.isoformat() if commitment_signed_on else None,
    })
    return person
