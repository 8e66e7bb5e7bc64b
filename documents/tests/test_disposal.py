"""离库处置: 清退, 归档, 移交 and 报告丢失 (SPEC §3, §5 last row; issue 4 "Leaving the registry
for good"). The registrar does them without approval; each leaves the carrier on record with its
final status, one custody row with receiver and receipt number, and one audit event."""
import datetime as dt

import pytest
from django.urls import reverse

from approvals import services as svc
from approvals.kinds import lend as lending
from approvals.models import RequestState
from audits.models import AuditEvent
from conftest import make_user
from documents import selectors
from documents.models import Carrier, CustodyAction, CustodyEvent, CustodyStatus
from documents.policy import visible_carriers
from documents.services import local_today
from documents.services_disposal import (
    carrier_archive, carrier_report_lost, carrier_return_to_issuer, carrier_transfer,
)
from notifications.models import Notification, OutboxEmail
from personnel.models import Role
from secrecy.errors import InvalidState, NotVisible, PolicyDenied, ValidationFailed


@pytest.fixture
def carrier(unit, register_carrier):
    """A 机密 carrier of 业务一处 with lisi in its 知悉范围."""
    return register_carrier(level=3, title="关于某项目的请示", scope_users=[unit.lisi])


def snapshot(carrier):
    carrier = Carrier.objects.get(pk=carrier.pk)
    return (carrier.custody_status, carrier.custodian_id, CustodyEvent.objects.count(), AuditEvent.objects.count(),
            Notification.objects.count(), OutboxEmail.objects.count(), carrier.history.count())


def lend_out(unit, carrier):
    request = lending.loan_request_create(actor=unit.lisi, carrier=carrier, due_date=local_today() + dt.timedelta(days=1),
                                      reason="起草材料需参阅", submit=True)
    request = svc.request_decide(actor=unit.lingdao, request=request, approve=True, comment="同意")
    return lending.loan_check_out(actor=unit.mishu, request=request)


def do_return(unit, carrier, **kw):
    kw = {"receiver": "市保密局 张某", "receipt_number": "QT-2026-015", **kw}
    return carrier_return_to_issuer(actor=kw.pop("actor", unit.mishu), carrier=carrier, **kw)


def do_archive(unit, carrier, **kw):
    kw = {"archive_number": "WS·2026-Y-0031", "receiver": "档案室", **kw}
    return carrier_archive(actor=kw.pop("actor", unit.mishu), carrier=carrier, **kw)


def do_transfer(unit, carrier, **kw):
    kw = {"receiver": "市发展改革委办公室 李某", "receipt_number": "YJ-2026-007", **kw}
    return carrier_transfer(actor=kw.pop("actor", unit.mishu), carrier=carrier, **kw)


def do_lost(unit, carrier, **kw):
    kw = {"note": "2026年12月1日清查时发现缺失，已组织查找", **kw}
    return carrier_report_lost(actor=kw.pop("actor", unit.mishu), carrier=carrier, **kw)


LEAVING = [
    # (doer, final status, custody action, audit action, receiver, receipt)
    (do_return, CustodyStatus.RETURNED, CustodyAction.RETURNED_TO_ISSUER, "carrier.return_to_issuer",
     "市保密局 张某", "QT-2026-015"),
    (do_archive, CustodyStatus.ARCHIVED, CustodyAction.ARCHIVED, "carrier.archive", "档案室", "WS·2026-Y-0031"),
    (do_transfer, CustodyStatus.TRANSFERRED, CustodyAction.TRANSFERRED, "carrier.transfer",
     "市发展改革委办公室 李某", "YJ-2026-007"),
]


# ------------------------------------------------------------------------------------ services


@pytest.mark.parametrize("doer,status,action,audit_action,receiver,receipt", LEAVING)
def test_leaving_for_good_records_receiver_and_receipt_and_keeps_the_carrier(
        unit, carrier, doer, status, action, audit_action, receiver, receipt):
    events_before = AuditEvent.objects.count()
    doer(unit, carrier)
    carrier.refresh_from_db()
    assert carrier.custody_status == status
    row = CustodyEvent.objects.filter(carrier=carrier).latest("id")
    assert (row.action, row.from_status, row.to_status, row.receiver, row.receipt_number, row.recorded_by) == (
        action, CustodyStatus.IN_REGISTRY, status, receiver, receipt, unit.mishu)
    assert CustodyEvent.objects.filter(carrier=carrier).count() == 2  # registration + this
    events = AuditEvent.objects.order_by("seq")[events_before:]
    assert [e.action for e in events] == [audit_action]
    assert events[0].target_id == carrier.pk and events[0].detail["receipt_number"] == receipt
    # Nothing deleted: the registrar and lisi still find it, with its final status, in the list.
    for user in (unit.mishu, unit.lisi):
        listed = selectors.carrier_list_visible_to(user=user, filters={})
        assert carrier.pk in {c.pk for c in listed}
    assert visible_carriers(unit.mishu).get(pk=carrier.pk).custody_status == status
    # The history records the move as a workflow move by the registrar.
    last = carrier.history.order_by("-history_id").first()
    assert last.history_user == unit.mishu and last.history_change_reason.startswith("流转：")


def test_archive_needs_no_receiver(unit, carrier):
    do_archive(unit, carrier, receiver="")
    row = CustodyEvent.objects.filter(carrier=carrier).latest("id")
    assert (row.receiver, row.receipt_number) == ("", "WS·2026-Y-0031")


@pytest.mark.parametrize("doer,kwargs,field", [
    (do_return, {"receiver": "  "}, "receiver"),
    (do_return, {"receipt_number": ""}, "receipt_number"),
    (do_archive, {"archive_number": " "}, "archive_number"),
    (do_transfer, {"receiver": ""}, "receiver"),
    (do_transfer, {"receipt_number": None}, "receipt_number"),
    (do_lost, {"note": "  "}, "note"),
])
def test_missing_input_is_a_field_error_and_changes_nothing(unit, carrier, doer, kwargs, field):
    before = snapshot(carrier)
    with pytest.raises(ValidationFailed) as error:
        doer(unit, carrier, **kwargs)
    assert field in error.value.field_errors
    assert snapshot(carrier) == before


@pytest.mark.parametrize("doer", [do_return, do_archive, do_transfer, do_lost])
@pytest.mark.parametrize("who", ["lisi", "baomi", "zhuren", "secadmin", "other_registrar", "uncleared_registrar"])
def test_only_the_carriers_registrar_may_dispose(unit, carrier, doer, who):
    if who == "other_registrar":  # serves 办公室 only; the carrier belongs to 业务一处
        actor = make_user("jiyao2", department=unit.office, roles=[Role.REGISTRAR], person_class="core",
                          served=[unit.office])
    elif who == "uncleared_registrar":  # serves 业务一处 but is cleared for 秘密 only
        actor = make_user("jiyao3", department=unit.business, roles=[Role.REGISTRAR], person_class="general",
                          served=[unit.business])
    else:
        actor = unit[who]
    before = snapshot(carrier)
    with pytest.raises(PolicyDenied):
        doer(unit, carrier, actor=actor)
    assert snapshot(carrier) == before


@pytest.mark.parametrize("doer", [do_return, do_archive, do_transfer])
def test_an_open_request_blocks_leaving_and_is_named(unit, carrier, doer):
    request = lending.loan_request_create(actor=unit.lisi, carrier=carrier, due_date=local_today() + dt.timedelta(days=1),
                                      reason="需参阅", submit=True)
    before = snapshot(carrier)
    with pytest.raises(InvalidState) as error:
        doer(unit, carrier)
    assert request.reference in error.value.message and "借阅" in error.value.message
    assert snapshot(carrier) == before
    svc.request_cancel(actor=unit.lisi, request=request)
    doer(unit, carrier)  # once the request is closed, it may leave


@pytest.mark.parametrize("doer", [do_return, do_archive, do_transfer])
def test_a_carrier_out_of_the_registry_cannot_leave(unit, carrier, doer):
    lend_out(unit, carrier)
    before = snapshot(carrier)
    with pytest.raises(InvalidState) as error:
        doer(unit, carrier)
    assert "借出" in error.value.message
    assert snapshot(carrier) == before


@pytest.mark.parametrize("first", [do_return, do_archive, do_transfer, do_lost])
@pytest.mark.parametrize("second", [do_return, do_archive, do_transfer, do_lost])
def test_a_final_status_is_final(unit, carrier, first, second):
    first(unit, carrier)
    before = snapshot(carrier)
    with pytest.raises(InvalidState):
        second(unit, carrier)
    assert snapshot(carrier) == before


def test_a_destroyed_carrier_cannot_be_disposed(unit, carrier):
    Carrier.objects.filter(pk=carrier.pk).update(custody_status=CustodyStatus.DESTROYED)
    for doer in (do_return, do_archive, do_transfer, do_lost):
        with pytest.raises(InvalidState):
            doer(unit, carrier)


def test_an_unknown_carrier_is_not_visible(unit):
    with pytest.raises(NotVisible):
        carrier_transfer(actor=unit.mishu, carrier=999999, receiver="某单位", receipt_number="1")


# ------------------------------------------------------------------------------------ lost


def test_reporting_a_loss_marks_it_and_alerts_secrecy_office_once(unit, carrier):
    unit.baomi.email = "baomi@example.org"
    unit.baomi.save(update_fields=["email"])
    events_before = AuditEvent.objects.count()
    do_lost(unit, carrier)
    carrier.refresh_from_db()
    assert carrier.custody_status == CustodyStatus.LOST
    row = CustodyEvent.objects.filter(carrier=carrier).latest("id")
    assert (row.action, row.from_status, row.to_status, row.from_user) == (
        CustodyAction.REPORTED_LOST, CustodyStatus.IN_REGISTRY, CustodyStatus.LOST, unit.mishu)
    assert "清查时发现缺失" in row.note
    # Two real changes, two events: the 丢失 incident opened for it (SPEC §10) and the report itself.
    assert [e.action for e in AuditEvent.objects.order_by("seq")[events_before:]] == [
        "incident.open_for_lost_carrier", "carrier.report_lost"]
    from oversight.models import Incident
    incident = Incident.objects.get()
    assert incident.kind == "loss" and carrier.serial in [c.serial for c in incident.carriers.all()]
    notices = Notification.objects.filter(kind="carrier_lost")
    assert sorted(n.recipient.username for n in notices) == ["baomi", "mishu"]  # not the 三员 of 保密办
    baomi_notice = notices.get(recipient=unit.baomi)
    # baomi is outside its 知悉范围: the notice names neither the carrier nor its level (SPEC §4,
    # issue 11 §2) and links to the 丢失 incident she must report upward instead of to a 404.
    assert carrier.serial not in baomi_notice.title + baomi_notice.body
    assert carrier.title not in baomi_notice.title + baomi_notice.body
    assert incident.reference in baomi_notice.title and "不在您的知悉范围" in baomi_notice.body
    assert baomi_notice.level is None
    assert baomi_notice.dedupe_key == f"carrier_lost:{carrier.pk}"
    assert baomi_notice.link == incident.get_absolute_url()
    assert notices.get(recipient=unit.mishu).link == carrier.get_absolute_url()
    assert OutboxEmail.objects.filter(recipient=unit.baomi).count() == 1
    # A second report is refused and alerts nobody again.
    with pytest.raises(InvalidState):
        do_lost(unit, carrier)
    assert Notification.objects.filter(kind="carrier_lost").count() == 2
    # Still on record, with its status.
    assert visible_carriers(unit.mishu).get(pk=carrier.pk).custody_status == CustodyStatus.LOST


def test_loss_while_lent_keeps_the_open_loan_and_says_so(unit, carrier):
    request = lend_out(unit, carrier)
    do_lost(unit, carrier, actor=unit.mishu, note="借阅人报告在会议室遗失")
    carrier.refresh_from_db()
    request.refresh_from_db()
    assert carrier.custody_status == CustodyStatus.LOST
    assert carrier.custodian == unit.lisi  # the holder stays accountable
    assert request.state == RequestState.IN_PROGRESS
    row = CustodyEvent.objects.filter(carrier=carrier).latest("id")
    assert row.from_status == CustodyStatus.LENT and row.from_user == unit.lisi
    assert request.reference in row.note and "保持原状" in row.note


def test_a_carrier_in_a_destruction_batch_is_not_reported_lost_before_leaving_the_batch(unit, carrier):
    Carrier.objects.filter(pk=carrier.pk).update(custody_status=CustodyStatus.PENDING_DESTRUCTION)
    before = snapshot(carrier)
    with pytest.raises(InvalidState):
        do_lost(unit, carrier)
    assert snapshot(carrier) == before


# ------------------------------------------------------------------------------------ screens


def url(carrier, action):
    return reverse("disposal:dispose", args=[carrier.pk, action])


def test_the_panel_is_for_the_registrar_only(client, unit, carrier):
    client.force_login(unit.mishu)
    html = client.get(carrier.get_absolute_url()).content.decode()
    assert 'id="disposal-panel"' in html
    for action in ("return", "archive", "transfer", "lost"):
        assert f'href="{url(carrier, action)}"' in html
    client.force_login(unit.lisi)
    response = client.get(carrier.get_absolute_url())
    assert response.status_code == 200 and 'id="disposal-panel"' not in response.content.decode()
    for action in ("return", "lost"):
        assert client.get(url(carrier, action)).status_code == 404
        assert client.post(url(carrier, action), {"note": "x"}).status_code == 404
    assert Carrier.objects.get(pk=carrier.pk).custody_status == CustodyStatus.IN_REGISTRY


def test_the_panel_offers_only_the_loss_report_while_the_carrier_is_out(client, unit, carrier):
    lend_out(unit, carrier)
    client.force_login(unit.mishu)
    html = client.get(carrier.get_absolute_url()).content.decode()
    assert f'href="{url(carrier, "lost")}"' in html and f'href="{url(carrier, "return")}"' not in html
    assert "不在库" in html
    response = client.get(url(carrier, "transfer"))
    assert response.status_code == 200 and 'id="errors-refusal"' in response.content.decode()


def test_an_invisible_carrier_answers_404(client, unit, carrier):
    client.force_login(unit.zhangsan)  # 一般 clearance, not in scope
    for action in ("return", "archive", "transfer", "lost"):
        assert client.get(url(carrier, action)).status_code == 404
    assert client.post(url(carrier, "transfer"), {"receiver": "x", "receipt_number": "y"}).status_code == 404
    assert client.get(reverse("disposal:dispose", args=[999999, "return"])).status_code == 404
    client.force_login(unit.mishu)
    assert client.get(reverse("disposal:dispose", args=[carrier.pk, "burn"])).status_code == 404
    assert Carrier.objects.get(pk=carrier.pk).custody_status == CustodyStatus.IN_REGISTRY


def test_errors_are_shown_next_to_the_fields(client, unit, carrier):
    client.force_login(unit.mishu)
    before = snapshot(carrier)
    response = client.post(url(carrier, "return"), {"receiver": "", "receipt_number": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="errors-receiver"' in html and "请填写接收清退的制发机关" in html
    assert 'id="errors-receipt_number"' in html and "请填写清退回执号" in html
    response = client.post(url(carrier, "archive"), {"receiver": "档案室"})
    assert 'id="errors-archive_number"' in response.content.decode()
    response = client.post(url(carrier, "lost"), {"note": ""})
    assert 'id="errors-note"' in response.content.decode()
    assert snapshot(carrier) == before


def test_an_open_request_is_shown_above_the_form(client, unit, carrier):
    request = lending.loan_request_create(actor=unit.lisi, carrier=carrier, due_date=local_today() + dt.timedelta(days=1),
                                      reason="需参阅", submit=True)
    client.force_login(unit.mishu)
    response = client.post(url(carrier, "archive"), {"archive_number": "WS-1"})
    html = response.content.decode()
    assert response.status_code == 200 and request.reference in html
    assert Carrier.objects.get(pk=carrier.pk).custody_status == CustodyStatus.IN_REGISTRY


@pytest.mark.parametrize("action,data,status", [
    ("return", {"receiver": "市保密局 张某", "receipt_number": "QT-9"}, CustodyStatus.RETURNED),
    ("archive", {"archive_number": "WS-2026-9", "receiver": "档案室"}, CustodyStatus.ARCHIVED),
    ("transfer", {"receiver": "某某单位", "receipt_number": "YJ-9"}, CustodyStatus.TRANSFERRED),
    ("lost", {"note": "清查时发现缺失"}, CustodyStatus.LOST),
])
def test_a_disposal_through_the_form_goes_back_to_the_carrier_page(client, unit, carrier, action, data, status):
    client.force_login(unit.mishu)
    response = client.post(url(carrier, action), data, follow=True)
    assert response.redirect_chain[-1][0] == carrier.get_absolute_url()
    html = response.content.decode()
    assert Carrier.objects.get(pk=carrier.pk).custody_status == status
    assert [str(m) for m in response.context["messages"]]
    assert CustodyStatus(status).label in html
    # The timeline shows the receiver and the receipt; the panel is gone once the carrier left.
    for value in data.values():
        if action != "lost":
            assert value in html
    assert 'id="disposal-panel"' not in html
    # The carrier still lists with its final status.
    listing = client.get(reverse("documents:carrier_list")).content.decode()
    assert carrier.serial in listing
