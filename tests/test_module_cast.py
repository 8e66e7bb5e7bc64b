"""The demo cast built once per module (conftest.ModuleCast) isolates tests as a per-test cast did:
what one test writes or sets on an instance never reaches the next, a test without the cast does
not see it, and a transactional test builds its own. The tests run in the order written (a
transactional test after the others, as pytest-django orders them)."""
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

import conftest


def shared(request):
    """Whether this test got the module's cast rather than one of its own."""
    return conftest.MODULE_CAST.serving == request.node.nodeid


def test_a_test_changes_the_cast(unit, request):
    assert shared(request)
    unit.lisi.first_name = "改过"
    unit.lisi.save()
    unit.zhangsan.first_name = "只在内存中"
    get_user_model().objects.create_user("extra")
    cache.set("module-cast-probe", 1)
    assert get_user_model().objects.count() == 11


def test_the_next_test_sees_none_of_it(unit, request):
    assert shared(request)
    assert unit.lisi.first_name == "" and unit.zhangsan.first_name == ""
    assert not get_user_model().objects.filter(username="extra").exists()
    assert unit.mishu.person.top_secret_registrar


@pytest.mark.django_db
def test_a_test_without_the_cast_sees_no_cast():
    assert not conftest.MODULE_CAST.is_open
    assert get_user_model().objects.count() == 0
    assert cache.get("module-cast-probe") is None, "the cache is cleared with the cast's rollback"


def test_after_it_the_cast_is_built_again(unit, request):
    assert shared(request)
    assert get_user_model().objects.count() == 10


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_builds_its_own_cast(unit, request):
    assert not shared(request) and not conftest.MODULE_CAST.is_open
    assert get_user_model().objects.count() == 10
