"""传阅 (SPEC §6; issue 4 acceptance 1): every reader must be allowed to see the carrier, the carrier
comes back to the registry between readers (不得横传), every signature is recorded, the 传阅单
shows them all, and overdue readers are reminded once a day."""
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from pypdf import PdfReader

from approvals.kinds import lend as lending
from audits.models import AuditEvent
from documents import services_circulation as circ
from documents.models import (
    Circulation, CirculationState, CirculationStep, CustodyAction, CustodyEvent, CustodyStatus,
)
from documents.services import local_today
from notifications.jobs import run_job
from notifications.models import Notification
from secrecy import printing
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed


def days(n):
    return local_today() + dt.timedelta(days=n)


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def carrier(unit, register_carrier):
    """A 机密 carrier with lingdao, lisi and baomi in its 知悉范围 (zhangsan is only 一般)."""
    return register_carrier(level=3, title="年度保密工作要点", scope_users=[unit.lingdao, unit.lisi, unit.baomi])


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def started(unit, carrier, readers=None):
    return circ.circulation_start(actor=unit.mishu, carrier=carrier, readers=readers or [unit.lisi, unit.lingdao])


# ------------------------------------------------------------------------------ start


def test_start_refuses_a_reader_who_may_not_see_the_carrier_naming_them(unit, carrier, register_carrier):
    other = register_carrier(level=2, title="别的文件", scope_users=[unit.zhangsan])
    before = (Circulation.objects.count(), CustodyEvent.objects.count(), AuditEvent.objects.count())

    # zhangsan is 一般 (cleared for 秘密 only); wangwu has no clearance; baomi is cleared and in
    # scope but zhangsan's scope on another carrier gives nothing here.
    for outsider, why in ((unit.zhangsan, "涉密等级低于载体密级"), (unit.wangwu, "涉密等级低于载体密级")):
        with pytest.raises(ValidationFailed) as refused:
            circ.circulation_start(actor=unit.mishu, carrier=carrier, readers=[unit.lisi, outsider])
        message = refused.value.field_errors["readers"]
        assert outsider.username in message and why in message and "lisi" not in message

    assert (Circulation.objects.count(), CustodyEvent.objects.count(), AuditEvent.objects.count()) == before
    assert fresh(carrier).custody_status == CustodyStatus.IN_REGISTRY
    assert other.pk  # untouched


def test_start_refuses_a_cleared_reader_outside_the_scope(unit, carrier):
    from conftest import make_user
    from personnel.models import Role

    cleared = make_user("zhaoliu", department=unit.business, roles=[Role.READER], person_class="important")
    with pytest.raises(ValidationFailed) as refused:
        circ.circulation_start(actor=unit.mishu, carrier=carrier, readers=[cleared])
    assert "zhaoliu" in refused.value.field_errors["readers"] and "知悉范围" in refused.value.field_errors["readers"]
    assert not Circulation.objects.exists()


def test_start_checks_the_list_and_the_carrier(unit, carrier):
    with pytest.raises(ValidationFailed):
        circ.circulation_start(actor=unit.mishu, carrier=carrier, readers=[])
    with pytest.raises(ValidationFailed) as repeated:
        circ.circulation_start(actor=unit.mishu, carrier=carrier, readers=[unit.lisi, unit.lisi])
    assert "重复" in repeated.value.field_errors["readers"]
    # Only a registrar who manages it.
    with pytest.raises((PolicyDenied, NotVisible)):
        circ.circulation_start(actor=unit.lisi, carrier=carrier, readers=[unit.lingdao])
    # One open circulation per carrier.
    started(unit, carrier)
    with pytest.raises(InvalidState):
        started(unit, carrier)
    assert Circulation.objects.count() == 1


def test_the_database_allows_one_open_circulation_per_carrier(unit, carrier):
    started(unit, carrier)
    with pytest.raises(IntegrityError), transaction.atomic():
        Circulation.objects.create(carrier=carrier, started_by=unit.mishu)


def test_a_carrier_in_an_open_request_is_not_circulated(unit, carrier):
    lending.loan_request_create(actor=unit.lisi, carrier=carrier, due_date=days(3), reason="参阅")
    with pytest.raises(InvalidState):
        started(unit, carrier)


# ------------------------------------------------------------------------ the round


def test_a_full_round_records_every_hand_over_signature_and_return(unit, carrier):
    circulation = started(unit, carrier)
    assert [s.reader for s in circulation.steps.order_by("order")] == [unit.lisi, unit.lingdao]
    assert fresh(carrier).custody_status == CustodyStatus.IN_REGISTRY  # nothing handed yet

    circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)
    c = fresh(carrier)
    assert (c.custody_status, c.custodian) == (CustodyStatus.CIRCULATING, unit.lisi)
    first = CirculationStep.objects.get(circulation=circulation, order=1)
    assert first.deadline == days(7) and first.handed_by == unit.mishu
    # The reader is told (待阅签).
    assert Notification.objects.filter(recipient=unit.lisi, kind="circulation_handed").count() == 1

    circ.circulation_sign(actor=unit.lisi, circulation=circulation, comment="已阅，同意")
    with pytest.raises(InvalidState):
        circ.circulation_sign(actor=unit.lisi, circulation=circulation, comment="再签一次")
    circ.circulation_take_back(actor=unit.mishu, circulation=circulation)
    c = fresh(carrier)
    assert (c.custody_status, c.custodian) == (CustodyStatus.IN_REGISTRY, unit.mishu)

    circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)
    circ.circulation_sign(actor=unit.lingdao, circulation=circulation)
    circ.circulation_take_back(actor=unit.mishu, circulation=circulation)

    circulation = fresh(circulation)
    assert circulation.state == CirculationState.COMPLETED and circulation.completed_at
    steps = list(circulation.steps.order_by("order"))
    assert [(s.reader, s.comment) for s in steps] == [(unit.lisi, "已阅，同意"), (unit.lingdao, "")]
    assert all(s.handed_at and s.signed_at and s.returned_at for s in steps)
    assert fresh(carrier).custody_status == CustodyStatus.IN_REGISTRY

    moves = list(CustodyEvent.objects.filter(carrier=carrier, approval_ref=circulation.reference).order_by("id")
                 .values_list("action", "from_user", "to_user", "from_status", "to_status"))
    assert moves == [
        (CustodyAction.HANDED_OUT, unit.mishu.pk, unit.lisi.pk, CustodyStatus.IN_REGISTRY, CustodyStatus.CIRCULATING),
        (CustodyAction.RETURNED, unit.lisi.pk, unit.mishu.pk, CustodyStatus.CIRCULATING, CustodyStatus.IN_REGISTRY),
        (CustodyAction.HANDED_OUT, unit.mishu.pk, unit.lingdao.pk, CustodyStatus.IN_REGISTRY,
         CustodyStatus.CIRCULATING),
        (CustodyAction.RETURNED, unit.lingdao.pk, unit.mishu.pk, CustodyStatus.CIRCULATING,
         CustodyStatus.IN_REGISTRY),
    ]
    actions = list(AuditEvent.objects.filter(action__startswith="circulation.").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["circulation.start", "circulation.hand", "circulation.sign", "circulation.return",
                       "circulation.hand", "circulation.sign", "circulation.return"]


def test_top_secret_readers_have_three_days(unit, register_carrier):
    top = register_carrier(level=4, scope_users=[unit.zhuren])
    circulation = circ.circulation_start(actor=unit.mishu, carrier=top, readers=[unit.zhuren])
    circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)
    assert circulation.steps.get().deadline == days(3)


def test_no_lateral_passing(unit, carrier):
    circulation = started(unit, carrier)
    circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)

    # The registrar cannot hand it on while the first reader holds it, signed or not.
    with pytest.raises(InvalidState, match="不得横传"):
        circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)
    circ.circulation_sign(actor=unit.lisi, circulation=circulation)
    with pytest.raises(InvalidState, match="不得横传"):
        circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)

    # The next reader cannot sign a carrier they were never handed, and no reader can hand it on
    # or take it back (there is no reader-to-reader service at all).
    with pytest.raises(InvalidState, match="尚未送达"):
        circ.circulation_sign(actor=unit.lingdao, circulation=circulation)
    for reader in (unit.lisi, unit.lingdao):
        with pytest.raises(PolicyDenied):
            circ.circulation_hand_to_next(actor=reader, circulation=circulation)
        with pytest.raises(PolicyDenied):
            circ.circulation_take_back(actor=reader, circulation=circulation)
    # Someone outside the circulation does not find it.
    with pytest.raises(NotVisible):
        circ.circulation_sign(actor=unit.baomi, circulation=circulation)

    c = fresh(carrier)
    assert (c.custody_status, c.custodian) == (CustodyStatus.CIRCULATING, unit.lisi)
    assert CirculationStep.objects.get(circulation=circulation, order=2).handed_at is None


def test_take_back_needs_the_signature_or_a_recorded_reason(unit, carrier):
    circulation = started(unit, carrier)
    with pytest.raises(InvalidState):
        circ.circulation_take_back(actor=unit.mishu, circulation=circulation)
    circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)
    before = CustodyEvent.objects.filter(carrier=carrier).count()
    with pytest.raises(ValidationFailed) as refused:
        circ.circulation_take_back(actor=unit.mishu, circulation=circulation)
    assert "尚未阅签" in refused.value.field_errors["unsigned_reason"]
    assert fresh(carrier).custody_status == CustodyStatus.CIRCULATING
    assert CustodyEvent.objects.filter(carrier=carrier).count() == before
    # A reader who never signs does not keep the carrier: taken back unsigned, with the reason.
    circ.circulation_take_back(actor=unit.mishu, circulation=circulation, unsigned_reason="出差未能阅签")
    assert (fresh(carrier).custody_status, fresh(carrier).custodian) == (CustodyStatus.IN_REGISTRY, unit.mishu)
    last = CustodyEvent.objects.filter(carrier=carrier).order_by("-id").first()
    assert "未阅签" in last.note and "出差未能阅签" in last.note
    assert CirculationStep.objects.get(circulation=circulation, order=1).signed_at is None


def test_a_reader_who_lost_the_scope_is_not_handed_the_carrier(unit, carrier):
    from documents import services

    circulation = started(unit, carrier, readers=[unit.lisi])
    services.carrier_scope_revoke(actor=unit.mishu, carrier=carrier, reason="调离", user_id=unit.lisi.pk)
    with pytest.raises(InvalidState, match="无权知悉"):
        circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)
    assert fresh(carrier).custody_status == CustodyStatus.IN_REGISTRY


def test_cancel_only_from_the_registry(unit, carrier):
    circulation = started(unit, carrier)
    circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)
    with pytest.raises(InvalidState):
        circ.circulation_cancel(actor=unit.mishu, circulation=circulation, reason="不再传阅")
    circ.circulation_sign(actor=unit.lisi, circulation=circulation)
    circ.circulation_take_back(actor=unit.mishu, circulation=circulation)
    with pytest.raises(ValidationFailed):
        circ.circulation_cancel(actor=unit.mishu, circulation=circulation, reason=" ")
    circ.circulation_cancel(actor=unit.mishu, circulation=circulation, reason="不再传阅")
    circulation = fresh(circulation)
    assert circulation.state == CirculationState.CANCELLED and circulation.cancel_reason == "不再传阅"
    with pytest.raises(InvalidState):
        circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)
    # Nothing deleted: the steps stay, and a new circulation may start.
    assert circulation.steps.count() == 2
    started(unit, carrier, readers=[unit.baomi])


# ---------------------------------------------------------------------------- 传阅单


def finished_round(unit, carrier):
    circulation = started(unit, carrier)
    for reader, comment in ((unit.lisi, "已阅，请办公室落实"), (unit.lingdao, "同意")):
        circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)
        circ.circulation_sign(actor=reader, circulation=circulation, comment=comment)
        circ.circulation_take_back(actor=unit.mishu, circulation=circulation)
    return fresh(circulation)


def test_the_slip_shows_every_reader_signature_time_and_comment(unit, carrier):
    from django.utils import timezone

    circulation = finished_round(unit, carrier)
    _, content, content_type = printing.produce(
        user=unit.mishu, name="circulation", fmt="pdf", filters={"circulation": circulation.pk})
    assert content_type == "application/pdf"
    text = pdf_text(content)
    flat = text.replace("\n", "")
    assert "传阅单" in flat and carrier.serial in flat and "年度保密工作要点" in flat and "机密" in flat
    for step in circulation.steps.select_related("reader"):
        assert step.reader.username in flat
        signed = timezone.localtime(step.signed_at).strftime("%Y-%m-%d %H:%M")
        assert signed in text
    assert "已阅，请办公室落实" in flat and "同意" in flat
    assert AuditEvent.objects.filter(action="register.print", detail__register="circulation").count() == 1


def test_the_slip_as_xlsx_and_for_readers_only(unit, carrier):
    from openpyxl import load_workbook

    circulation = finished_round(unit, carrier)
    _, content, _ = printing.produce(
        user=unit.lisi, name="circulation", fmt="xlsx", filters={"circulation": circulation.pk})
    cells = " ".join(str(c.value) for row in load_workbook(io.BytesIO(content)).active.iter_rows() for c in row
                     if c.value is not None)
    assert "lisi" in cells and "lingdao" in cells and "已阅，请办公室落实" in cells
    # baomi may see the carrier but is no reader; zhangsan may not see it at all.
    for outsider in (unit.baomi, unit.zhangsan, unit.auditor):
        with pytest.raises((NotVisible, PolicyDenied)):
            printing.produce(user=outsider, name="circulation", fmt="pdf",
                                       filters={"circulation": circulation.pk})


def test_the_register_command_prints_a_slip(unit, carrier, tmp_path):
    circulation = finished_round(unit, carrier)
    target = tmp_path / "slip.pdf"
    call_command("register", "circulation", "--circulation", str(circulation.pk), "--as", "mishu",
                 "-o", str(target), stdout=io.StringIO())
    assert "已阅，请办公室落实" in pdf_text(target.read_bytes()).replace("\n", "")


# ------------------------------------------------------------------------- overdue job


def test_the_overdue_job_reminds_reader_and_registrar_once_a_day_and_catches_up(unit, carrier):
    circulation = started(unit, carrier)
    circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)
    step = circulation.steps.get(order=1)  # due days(7)

    assert run_job("circulation_overdue", today=days(7)) == {"overdue": 0, "notices": 0}
    # Ten days without a run: one notice each, not ten.
    assert run_job("circulation_overdue", today=days(17)) == {"overdue": 1, "notices": 2}
    assert run_job("circulation_overdue", today=days(17)) == {"overdue": 1, "notices": 0}
    [reader_notice] = Notification.objects.filter(recipient=unit.lisi, kind="circulation_overdue")
    [registrar_notice] = Notification.objects.filter(recipient=unit.mishu, kind="circulation_overdue")
    assert "已逾期 10 天" in reader_notice.body and circulation.reference in reader_notice.title
    assert reader_notice.level == 3 and "年度保密工作要点" not in reader_notice.body + reader_notice.title
    # The registrar's is the day's digest of their overdue steps (issue 12), naming the reader.
    assert registrar_notice.link == "/carriers/?custody_status=circulating" and "lisi" in registrar_notice.body
    assert circulation.reference in registrar_notice.body and "1 件" in registrar_notice.title
    assert step.pk

    # The next day reminds again; once returned, nothing more.
    assert run_job("circulation_overdue", today=days(18))["notices"] == 2
    circ.circulation_sign(actor=unit.lisi, circulation=circulation)
    circ.circulation_take_back(actor=unit.mishu, circulation=circulation)
    assert run_job("circulation_overdue", today=days(19)) == {"overdue": 0, "notices": 0}


def test_the_overdue_job_costs_a_fixed_number_of_queries_per_batch(unit, register_carrier):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def overdue(n):
        for i in range(n):
            c = register_carrier(level=2, copy_number=100 + i + n, scope_users=[unit.lisi])
            circulation = circ.circulation_start(actor=unit.mishu, carrier=c, readers=[unit.lisi])
            circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)

    overdue(2)
    with CaptureQueriesContext(connection) as small:
        run_job("circulation_overdue", today=days(30), batch_size=50)
    overdue(6)
    with CaptureQueriesContext(connection) as large:
        result = run_job("circulation_overdue", today=days(31), batch_size=50)
    assert result["overdue"] == 8
    assert len(large.captured_queries) == len(small.captured_queries)
    # The registrar who handed them out: one digest for the day, not one notice per circulation.
    [digest] = Notification.objects.filter(recipient=unit.mishu, kind="circulation_overdue").order_by("-id")[:1]
    assert digest.dedupe_key == f"circulation_overdue_digest:{days(31).isoformat()}" and "8 件" in digest.title
    assert Notification.objects.filter(recipient=unit.mishu, dedupe_key=digest.dedupe_key).count() == 1
    assert Notification.objects.filter(recipient=unit.mishu, kind="circulation_overdue").count() == 2, "one a day"


def test_between_readers_the_carrier_belongs_to_the_circulation(unit, carrier):
    from approvals.kinds import carry as carrying
    from approvals.kinds import destroy as destroying
    from approvals.policy import destruction_candidates_q
    from documents.policy import visible_carriers

    circulation = started(unit, carrier)
    circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)
    circ.circulation_sign(actor=unit.lisi, circulation=circulation)
    circ.circulation_take_back(actor=unit.mishu, circulation=circulation)
    assert fresh(carrier).custody_status == CustodyStatus.IN_REGISTRY
    with pytest.raises(PolicyDenied, match="正在传阅"):
        lending.loan_request_create(actor=unit.lisi, carrier=carrier, due_date=local_today(), reason="参阅")
    with pytest.raises(PolicyDenied, match="正在传阅"):
        carrying.carry_request_create(actor=unit.lisi, carrier=carrier, destination="北京",
                                            depart_date=local_today(), due_date=local_today(), reason="开会")
    with pytest.raises(PolicyDenied, match="正在传阅"):
        destroying.destruction_batch_create(actor=unit.mishu, carriers=[carrier], reason="清理", method="shred",
                                                  place="机要室", planned_date=local_today())
    assert not visible_carriers(unit.mishu).filter(destruction_candidates_q(unit.mishu), pk=carrier.pk).exists()


def test_between_readers_the_carrier_cannot_leave_the_registry(unit, carrier):
    from documents import services_disposal

    circulation = started(unit, carrier)
    with pytest.raises(InvalidState, match="正在传阅"):
        services_disposal.carrier_archive(actor=unit.mishu, carrier=carrier, archive_number="档-2026-1")
    assert fresh(carrier).custody_status == CustodyStatus.IN_REGISTRY
    circ.circulation_cancel(actor=unit.mishu, circulation=circulation, reason="改为归档")
    services_disposal.carrier_archive(actor=unit.mishu, carrier=carrier, archive_number="档-2026-1")
    assert fresh(carrier).custody_status == CustodyStatus.ARCHIVED
