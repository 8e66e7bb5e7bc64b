"""The state × action × role grid harness shared by the workflow tests (documents' request kinds,
meetings): one way to say "this move is refused in Chinese and changes nothing", and one way to let
every role meet the same starting point without rebuilding it."""
import pytest
from django.db import transaction

from secrecy.errors import DomainError


def has_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def refusal_text(error):
    """The refusal's message and the messages next to its fields."""
    return error.message + "".join(
        m if isinstance(m, str) else "".join(str(x) for x in m) for m in error.field_errors.values())


def assert_refused(call, *, world, error=DomainError, expect=None, field=None, message_only=False):
    """The call is refused with a Chinese message (next to `field` when given; `message_only`: in the
    message itself, not only next to a field) and `world()` — whatever the call could have touched —
    is the same afterwards. Returns the refusal for further checks."""
    before = world()
    with pytest.raises(error) as refused:
        call()
    text = refused.value.message if message_only else refusal_text(refused.value)
    assert text and has_chinese(text), text
    if expect:
        assert expect in text, text
    if field:
        assert field in refused.value.field_errors, refused.value.field_errors
    assert world() == before, "a refused move changes nothing"
    return refused.value


def check_every_role(roles, check, *, world, cell, start="the same request"):
    """check(role) for each role, each inside a savepoint rolled back afterwards, so every role
    meets the same starting point built once; all failing roles are reported together."""
    before = world()
    failures = []
    for role in roles:
        with transaction.atomic():
            try:
                check(role)
            except AssertionError as failure:
                failures.append(f"[{cell} × {role}] {failure}")
            transaction.set_rollback(True)
        assert world() == before, f"each role meets {start}"
    assert not failures, "\n".join(failures)


def request_stage(make_subject, make_request):
    """A grid module's `module_stage` (tests.dbstate.ModuleStage) for cells that start from one
    request on one carrier: the carrier made by make_subject(cast), the request brought to the
    cell's state by make_request(cast, carrier, state); their primary keys."""
    def module_stage(cast, state):
        carrier = make_subject(cast)
        return {"request": make_request(cast, carrier, state).pk, "carrier": carrier.pk}

    return module_stage
