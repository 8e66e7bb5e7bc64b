"""每年审核 (SPEC §7; issue 4): the 定密责任人 keeps a carrier once a year (review row + audit
event, nothing else), others and declassified carriers are refused without a trace; the page
lists exactly the signed-in classifier's classified carriers; the yearly job notifies each
classifier once per year and catches up."""
import datetime as dt

import pytest
from django.urls import reverse

from audits.models import AuditEvent
from conftest import make_user
from documents.events import REVIEW_KEEP
from documents.models import Carrier, CarrierReview, CustodyEvent, SecrecyStatus
from documents.services import local_today
from documents.services_review import review_keep
from notifications.jobs import run_job
from notifications.models import Notification
from personnel.models import Role
from secrecy.errors import InvalidState, NotVisible, PolicyDenied

YEAR = local_today().year


@pytest.fixture
def other_classifier(unit):
    return make_user("dingmi2", department=unit.business, roles=[Role.APPROVER], person_class="core",
                     approval=4, classification=4)


@pytest.fixture
def carriers(unit, register_carrier, other_classifier):
    mine = register_carrier(outgoing=True, title="甲", scope_users=[unit.zhuren])
    mine2 = register_carrier(outgoing=True, title="乙", level=2, scope_users=[unit.zhuren])
    theirs = register_carrier(outgoing=True, title="丙", classifier=other_classifier, scope_users=[other_classifier])
    gone = register_carrier(outgoing=True, title="丁", scope_users=[unit.zhuren])
    Carrier.objects.filter(pk=gone.pk).update(secrecy_status=SecrecyStatus.DECLASSIFIED)
    return dict(mine=mine, mine2=mine2, theirs=theirs, gone=Carrier.objects.get(pk=gone.pk))


def footprint():
    return (CarrierReview.objects.count(), AuditEvent.objects.filter(action=REVIEW_KEEP.action).count(),
            CustodyEvent.objects.count(), Carrier.history.count())


def test_keep_records_once_and_refuses_second(unit, carriers):
    carrier = carriers["mine"]
    before = footprint()
    review = review_keep(actor=unit.zhuren, carrier=carrier, year=YEAR, note=" 仍需保密 ")
    assert (review.reviewer, review.year, review.decision, review.note) == (unit.zhuren, YEAR, "keep", "仍需保密")
    after = footprint()
    # One review row, one audit event; no custody row, the carrier itself unchanged.
    assert after == (before[0] + 1, before[1] + 1, before[2], before[3])
    event = AuditEvent.objects.get(action=REVIEW_KEEP.action)
    assert event.detail["year"] == YEAR and event.detail["serial"] == carrier.serial
    with pytest.raises(InvalidState, match="已经完成"):
        review_keep(actor=unit.zhuren, carrier=carrier, year=YEAR)
    assert footprint() == after
    # Next year is a new review.
    review_keep(actor=unit.zhuren, carrier=carrier, year=YEAR + 1)
    assert CarrierReview.objects.filter(carrier=carrier).count() == 2


def test_keep_refused_for_non_classifier_and_declassified(unit, carriers, other_classifier):
    before = footprint()
    # Sees it (registrar), but is not its 定密责任人.
    with pytest.raises(PolicyDenied, match="定密责任人"):
        review_keep(actor=unit.mishu, carrier=carriers["mine"], year=YEAR)
    # Another classifier who may not even see it: a 404, not a hint.
    with pytest.raises(NotVisible):
        review_keep(actor=other_classifier, carrier=carriers["mine"], year=YEAR)
    with pytest.raises(InvalidState, match="已解密"):
        review_keep(actor=unit.zhuren, carrier=carriers["gone"], year=YEAR)
    assert footprint() == before


def test_page_lists_exactly_my_classified_carriers(client, unit, carriers):
    client.force_login(unit.zhuren)
    response = client.get(reverse("review:list"))
    assert response.status_code == 200
    assert [c.pk for c in response.context["rows"]] == [carriers["mine"].pk, carriers["mine2"].pk]
    assert response.context["page_level"] == 3
    html = response.content.decode()
    assert carriers["mine"].mark in html
    assert reverse("approvals:reclassify_request", args=[carriers["mine"].pk]) in html
    assert reverse("review:keep", args=[carriers["mine"].pk]) in html

    response = client.post(reverse("review:keep", args=[carriers["mine"].pk]), {"note": "保持"})
    assert response.status_code == 302
    rows = client.get(reverse("review:list")).context["rows"]
    assert [(c.pk, c.reviewed) for c in rows] == [(carriers["mine"].pk, True), (carriers["mine2"].pk, False)]
    # A second POST is refused with a message, nothing written.
    response = client.post(reverse("review:keep", args=[carriers["mine"].pk]), follow=True)
    assert "不能重复审核" in response.content.decode()
    assert CarrierReview.objects.count() == 1


def test_page_empty_for_nobodys_classifier_and_404_for_unseen(client, unit, carriers):
    client.force_login(unit.zhangsan)
    response = client.get(reverse("review:list"))
    assert response.status_code == 200 and response.context["rows"] == []
    assert "没有需要年度审核" in response.content.decode()
    assert client.post(reverse("review:keep", args=[carriers["theirs"].pk])).status_code == 404
    assert client.get(reverse("review:keep", args=[carriers["mine"].pk])).status_code == 405
    assert CarrierReview.objects.count() == 0


def test_job_notifies_once_per_classifier_per_year_and_catches_up(unit, carriers, other_classifier):
    day = dt.date(YEAR, 1, 5)
    result = run_job("annual_review", today=day, batch_size=1)
    assert result == {"classifiers": 2, "notices": 2}
    mine = Notification.objects.get(recipient=unit.zhuren, kind="annual_review")
    assert "共 2 件" in mine.body and mine.link == reverse("review:list")
    assert mine.dedupe_key == f"annual_review:{YEAR}"
    assert Notification.objects.filter(recipient=other_classifier, kind="annual_review").count() == 1
    count = Notification.objects.count()
    # Rerun, and a later run in the same year (catch-up day): nothing twice.
    assert run_job("annual_review", today=day, batch_size=1)["notices"] == 0
    assert run_job("annual_review", today=dt.date(YEAR, 1, 20), batch_size=10)["notices"] == 0
    assert Notification.objects.count() == count
    # A job missed until February still notifies, once; next year notifies again.
    Notification.objects.filter(kind="annual_review").delete()
    assert run_job("annual_review", today=dt.date(YEAR, 2, 10), batch_size=10)["notices"] == 2
    assert run_job("annual_review", today=dt.date(YEAR + 1, 1, 5), batch_size=10)["notices"] == 2


def test_job_skips_inactive_classifier(unit, carriers, other_classifier):
    other_classifier.is_active = False
    other_classifier.save(update_fields=["is_active"])
    assert run_job("annual_review", today=dt.date(YEAR, 1, 5), batch_size=10) == {"classifiers": 1, "notices": 1}


def test_the_classifier_may_ask_for_a_change_from_the_review_but_not_decide_it(unit, register_carrier):
    from approvals import services as approval_services
    from approvals.kinds import reclassify as reclassifying
    from secrecy.errors import PolicyDenied

    carrier = register_carrier(level=3, outgoing=True, classifier=unit.zhuren, period_value=10,
                               scope_users=[unit.zhuren])
    request = reclassifying.reclassify_request_create(
        actor=unit.zhuren, carrier=carrier, change_type="declassify", reason="年度审核：已公开发布",
        change_basis="年度审核")
    assert request.requester_id == unit.zhuren.pk
    with pytest.raises(PolicyDenied, match="本人"):
        approval_services.request_decide(actor=unit.zhuren, request=request, approve=True, comment="同意")
