"""A designated 监销人 checks every carrier of the batch against the list they sign, so they see
the batch's carriers even outside their 知悉范围 (clearance still applies), and the 销毁清单 they
print holds every carrier of the batch."""
import datetime as dt
import io

import pytest
from pypdf import PdfReader

from approvals import services as approval_services
from approvals.kinds import destroy as destroying
from documents.selectors import carrier_get_for_user, carrier_list_visible_to
from documents.services import local_today
from secrecy import printing
from secrecy.errors import NotVisible


@pytest.fixture
def batch(unit, register_carrier):
    # Nobody but the registrar has these in scope.
    carriers = [register_carrier(level=3, title="不在监销人知悉范围的机密文件", copy_number=4),
                register_carrier(level=2, title="不在监销人知悉范围的秘密文件", copy_number=5)]
    request = destroying.destruction_batch_create(
        actor=unit.mishu, carriers=carriers, reason="超过保存期限", method="send", place="市保密局销毁中心",
        destruction_body="市涉密载体销毁中心", planned_date=local_today() + dt.timedelta(days=1),
        witnesses=[unit.baomi, unit.lingdao], submit=True,
    )
    return request, carriers


def test_a_witness_sees_the_batch_carriers_and_a_non_witness_does_not(unit, batch):
    request, carriers = batch
    for witness in (unit.baomi, unit.lingdao):
        assert set(carrier_list_visible_to(user=witness)) >= set(carriers)
        for carrier in carriers:
            assert carrier_get_for_user(user=witness, pk=carrier.pk) == carrier
    # lisi is cleared for 机密 but is neither witness nor in scope.
    assert not set(carrier_list_visible_to(user=unit.lisi)) & set(carriers)
    with pytest.raises(NotVisible):
        carrier_get_for_user(user=unit.lisi, pk=carriers[0].pk)


def test_the_witness_list_holds_every_carrier_after_destruction(unit, batch):
    request, carriers = batch
    approval_services.request_decide(actor=unit.zhuren, request=request, approve=True, comment="同意")
    for witness in (unit.baomi, unit.lingdao):
        destroying.destruction_witness_confirm(actor=witness, request=request)
    destroying.destruction_execute(actor=unit.mishu, request=request, destroyed_by_name="张师傅")
    _, pdf, _ = printing.produce(user=unit.baomi, name="destruction", fmt="pdf", filters={"batch": request.pk})
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    for carrier in carriers:
        assert carrier.serial in text


def test_replacing_a_witness_keeps_the_old_designation_on_record_and_ends_its_visibility(unit, batch):
    from approvals.models import DestructionWitness

    request, carriers = batch
    # lisi (重要, cleared for 机密) has no other way to these carriers: not in scope, not an approver.
    destroying.destruction_witnesses_set(actor=unit.mishu, request=request, witnesses=[unit.baomi, unit.lisi])
    assert carrier_get_for_user(user=unit.lisi, pk=carriers[0].pk) == carriers[0]
    destroying.destruction_witnesses_set(actor=unit.mishu, request=request, witnesses=[unit.baomi, unit.lingdao])
    # Nothing is deleted: lisi's designation stays on record, marked withdrawn.
    lisi_rows = DestructionWitness.all_objects.filter(request=request, user=unit.lisi)
    assert lisi_rows.count() == 1 and lisi_rows.get().withdrawn_at is not None
    assert sorted(w.user.username for w in request.witnesses.all()) == ["baomi", "lingdao"]
    assert DestructionWitness.all_objects.filter(request=request).count() == 4
    with pytest.raises(NotVisible):
        carrier_get_for_user(user=unit.lisi, pk=carriers[0].pk)
    # Designating lisi again gives a fresh current row beside the withdrawn one.
    destroying.destruction_witnesses_set(actor=unit.mishu, request=request, witnesses=[unit.baomi, unit.lisi])
    assert DestructionWitness.all_objects.filter(request=request, user=unit.lisi).count() == 2
    assert carrier_get_for_user(user=unit.lisi, pk=carriers[0].pk) == carriers[0]
