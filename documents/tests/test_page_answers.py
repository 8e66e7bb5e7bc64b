"""documents.policy.answers_kept_for_one_page: a page asks each visibility question once, and only
inside that block; everywhere else (a service deciding after a change) the answer is fresh."""
from guardian.shortcuts import assign_perm

from documents import policy


def test_answers_are_kept_inside_the_page_block_and_fresh_outside(unit, register_carrier):
    carrier = register_carrier(level=2)
    assert not policy.in_standing_scope(unit.lisi, carrier)
    assert policy.need_to_know_q(unit.lisi) is not policy.need_to_know_q(unit.lisi)

    with policy.answers_kept_for_one_page():
        condition = policy.need_to_know_q(unit.lisi)
        assert policy.need_to_know_q(unit.lisi) is condition
        assert policy.need_to_know_q(unit.zhangsan) is not condition
        assert not policy.in_standing_scope(unit.lisi, carrier)
        assign_perm("documents.view_carrier", unit.lisi, carrier)
        # Within one page the first answer stands …
        assert not policy.in_standing_scope(unit.lisi, carrier)

    # … and the next question, outside it, sees the grant.
    assert policy.in_standing_scope(unit.lisi, carrier)
    assert policy.visible_carriers(unit.lisi).filter(pk=carrier.pk).exists()
