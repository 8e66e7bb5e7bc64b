"""汇编 (compilation), the copy workflow's third mode: the compilation takes the highest level and
the longest period of its parts and only the 知悉范围 common to all of them (SPEC §5; REG24 art.
27(5)); every part records that it was compiled and none of them moves."""
import datetime as dt

import pytest
from guardian.shortcuts import assign_perm

from approvals import services as svc
from approvals.kinds import copy as scopy
from conftest import make_user
from documents.models import Carrier, CarrierGroupScope, CarrierUserScope, CustodyAction, CustodyEvent, CustodyStatus
from documents.policy import visible_carriers
from personnel.models import Role


def _part(register_carrier, cast, level, *, start=None, **period):
    fields = dict(level=level, copy_number=1, scope_groups=[cast.business.group])
    if start:
        fields["doc_date"] = start
    if period:
        fields.update({"period_value": None, "period_unit": "", **period})
    return register_carrier(**fields)


def _compile(cast, parts, *, count=1):
    request = scopy.copy_request_create(actor=cast.lisi, carriers=parts, mode="compile", count=count,
                                        reason="会议材料需复制分发", copy_title="年度汇编")
    svc.request_decide(actor=cast.lingdao if request.level < 4 else cast.zhuren, request=request, approve=True)
    done = scopy.copy_make(actor=cast.mishu, request=request, copy_stamp="示范单位汇编")
    return done, list(Carrier.objects.filter(source_request=done).order_by("copy_number"))


LONG = dict(period_kind="long", long_term_basis="《某事项保密范围》第5条")
COND = dict(period_kind="condition", declassify_condition="会议结束后")


@pytest.mark.parametrize("parts,level,mark", [
    # The classic: a 秘密 5-year part and a 机密 8-year part → 机密 8 years.
    ([(2, None, dict(period_kind="term", period_value=5, period_unit="year")),
      (3, None, dict(period_kind="term", period_value=8, period_unit="year"))], 3, "机密★8年"),
    # Longest means the latest end, not the biggest number: 10 years from 2020 end before 8 from 2026.
    ([(2, dt.date(2020, 1, 1), dict(period_kind="term", period_value=10, period_unit="year")),
      (3, None, dict(period_kind="term", period_value=8, period_unit="year"))], 3, "机密★8年"),
    # The level comes from one part and the period from another.
    ([(2, None, dict(period_kind="term", period_value=10, period_unit="year")),
      (3, None, dict(period_kind="term", period_value=5, period_unit="year"))], 3, "机密★10年"),
    # A 解密时间 later than every term wins.
    ([(2, None, dict(period_kind="date", declassify_date=dt.date(2036, 6, 30))),
      (3, None, dict(period_kind="term", period_value=8, period_unit="year"))], 3, "机密★2036年6月30日"),
    # 长期 outlasts every dated period, and a 解密条件 too.
    ([(2, None, LONG), (3, None, dict(period_kind="term", period_value=20, period_unit="year"))], 3, "机密★长期"),
    ([(3, None, COND), (2, None, LONG)], 3, "机密★长期"),
    # A 解密条件 has no known end: it outlasts dated periods.
    ([(2, None, COND), (3, None, dict(period_kind="term", period_value=20, period_unit="year"))], 3, "机密★会议结束后"),
    ([(2, None, dict(period_kind="term", period_value=3, period_unit="month")),
      (2, None, dict(period_kind="term", period_value=6, period_unit="month")),
      (2, None, dict(period_kind="term", period_value=1, period_unit="year"))], 2, "秘密★1年"),
], ids=["5y+8y", "latest-end-not-biggest-number", "level-and-period-from-different-parts", "date-beats-term",
        "long-beats-term", "long-beats-condition", "condition-beats-term", "three-parts-months-and-year"])
def test_a_compilation_takes_the_highest_level_and_the_longest_period(cast, register_carrier, parts, level, mark):
    carriers = [_part(register_carrier, cast, lvl, start=start, **period) for lvl, start, period in parts]
    request, (made,) = _compile(cast, carriers)
    assert request.level == level
    assert (made.level, made.mark) == (level, mark)
    assert made.title == "年度汇编" and made.original_id is None and made.copy_number == 1
    assert made.copy_stamp == "示范单位汇编" and all(c.serial in made.basis for c in carriers)
    # Every part records that it was compiled; none of them moves.
    for part in carriers:
        last = CustodyEvent.objects.filter(carrier=part).last()
        assert last.action == CustodyAction.COPIED and made.serial in last.note
        assert Carrier.objects.get(pk=part.pk).custody_status == CustodyStatus.IN_REGISTRY


def test_a_compilation_keeps_the_period_start_of_the_part_it_takes_it_from(cast, register_carrier):
    early = _part(register_carrier, cast, 2, start=dt.date(2024, 1, 1), period_kind="term", period_value=10,
                  period_unit="year")
    late = _part(register_carrier, cast, 3, period_kind="term", period_value=5, period_unit="year")
    _, (made,) = _compile(cast, [late, early])
    assert (made.level, made.mark, made.start_date, made.declassify_on) == (
        3, "机密★10年", early.start_date, early.declassify_on)


def test_a_compilation_is_known_only_to_those_who_may_know_every_part(cast, register_carrier):
    both = dict(period_kind="term", period_value=5, period_unit="year")
    first = _part(register_carrier, cast, 2, **both)
    second = _part(register_carrier, cast, 3, **both)
    # baomi may know both parts; zhangsan only the first one (and is not cleared for 机密 anyway);
    # the 保密办 group is in scope of the second part only.
    for part in (first, second):
        assign_perm("documents.view_carrier", cast.baomi, part)
    assign_perm("documents.view_carrier", cast.zhangsan, first)
    assign_perm("documents.view_carrier", cast.secrecy_office.group, second)
    _, made = _compile(cast, [first, second], count=2)
    assert [c.copy_number for c in made] == [1, 2]
    for copy in made:
        assert set(CarrierUserScope.objects.filter(content_object=copy).values_list("user", flat=True)) == {
            cast.baomi.pk}
        assert set(CarrierGroupScope.objects.filter(content_object=copy).values_list("group", flat=True)) == {
            cast.business.group.pk}
    outsider = make_user("baomi2", department=cast.secrecy_office, roles=[Role.SECRECY_OFFICE],
                         person_class="important")
    assert visible_carriers(outsider).filter(pk=second.pk).exists()
    assert not visible_carriers(outsider).filter(pk__in=[c.pk for c in made]).exists()
    assert visible_carriers(cast.baomi).filter(pk__in=[c.pk for c in made]).count() == 2
    assert visible_carriers(cast.lisi).filter(pk__in=[c.pk for c in made]).count() == 2


def test_a_person_in_every_part_by_name_or_by_group_keeps_the_compilation(cast, register_carrier):
    both = dict(period_kind="term", period_value=5, period_unit="year")
    first = register_carrier(level=2, copy_number=1, scope_users=[cast.lisi], **both)
    second = register_carrier(level=2, copy_number=2, scope_groups=[cast.secrecy_office.group], **both)
    assign_perm("documents.view_carrier", cast.baomi, first)  # by name in the first, by group in the second
    assign_perm("documents.view_carrier", cast.lisi, second)  # by name in both
    _, made = _compile(cast, [first, second])
    copy = made[0]
    assert set(CarrierUserScope.objects.filter(content_object=copy).values_list("user", flat=True)) == {
        cast.baomi.pk, cast.lisi.pk}
    assert not CarrierGroupScope.objects.filter(content_object=copy).exists(), "no group was granted on both"
    outsider = make_user("baomi2", department=cast.secrecy_office, roles=[Role.SECRECY_OFFICE],
                         person_class="important")
    assert visible_carriers(outsider).filter(pk=second.pk).exists()
    assert not visible_carriers(outsider).filter(pk=copy.pk).exists()
    assert visible_carriers(cast.baomi).filter(pk=copy.pk).exists()
