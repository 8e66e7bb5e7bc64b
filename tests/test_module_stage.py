"""A grid stage built once for the consecutive cells that start from it (tests.dbstate.ModuleStage)
isolates the cells as a build per cell did: what one cell writes never reaches the next, the next
stage starts without the previous one, and a test after the grid sees neither. The tests run in
the order written (the transactional cell last, as pytest-django orders it)."""
import pytest

import conftest
from conftest import make_carrier
from documents.models import Carrier

BUILDS = []
STAGED_BY = "stage"


def module_stage(cast, stage):
    """One carrier titled after the stage; each build is counted."""
    BUILDS.append(stage)
    return {"carrier": make_carrier(cast, level=2, copy_number=1, title=f"阶段{stage}").pk}


def served(request):
    return conftest.MODULE_CAST.stage.serving == request.node.nodeid


@pytest.mark.parametrize("stage,cell", [("一", 1), ("一", 2), ("二", 1)])
def test_the_cells_of_a_stage_share_one_build(staged, stage, cell, request):
    assert served(request) and conftest.MODULE_CAST.serving == request.node.nodeid
    assert BUILDS.count(stage) == 1, "built once for all the cells of the stage"
    carrier = Carrier.objects.get(pk=staged["carrier"])
    assert carrier.title == f"阶段{stage}", "a cell meets the stage as built, not as the last cell left it"
    assert Carrier.objects.count() == 1, "the previous stage was rolled back"
    Carrier.objects.filter(pk=carrier.pk).update(title="单元格改过")


def test_a_test_after_the_grid_sees_no_stage(unit, request):
    assert not conftest.MODULE_CAST.stage.is_open
    assert conftest.MODULE_CAST.serving == request.node.nodeid, "the module's cast is still shared"
    assert not Carrier.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stage", ["三"])
def test_a_transactional_cell_builds_its_own_stage(staged, stage, request):
    assert not served(request) and not conftest.MODULE_CAST.is_open
    assert Carrier.objects.get(pk=staged["carrier"]).title == "阶段三"
