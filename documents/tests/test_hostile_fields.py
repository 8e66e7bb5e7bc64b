"""Bad input on the registration and other forms is a field error, never a 500, and changes
nothing (issue 11 §6); what is kept of free text is what prints (no invisible reordering)."""
import datetime as dt

import pytest

from approvals.models import ApprovalRequest
from documents import services
from documents.models import Carrier
from documents.tests.test_views import INCOMING_URL, field_errors, incoming_post
from secrecy.errors import ValidationFailed

HUGE = "99999999999999999999"


@pytest.fixture
def registrar(client, unit):
    client.force_login(unit.mishu)
    return client


def test_a_huge_number_of_copies_is_a_field_error(registrar, unit):
    response = registrar.post(INCOMING_URL, incoming_post(unit, copies=HUGE))
    assert response.status_code == 200 and "2147483647" in field_errors(response, "copies")
    assert not Carrier.objects.exists()


def test_a_service_turns_model_validation_into_field_errors(unit):
    from conftest import carrier_data

    with pytest.raises(ValidationFailed) as refused:
        services.carrier_register_incoming(actor=unit.mishu, data=carrier_data(unit.business, copies=10 ** 20))
    assert "copies" in refused.value.field_errors
    assert not Carrier.objects.exists()


@pytest.mark.parametrize("field, value", [
    ("scope_users", [HUGE]), ("scope_users", ["abc"]), ("scope_users", ["-1"]), ("scope_groups", [HUGE]),
    ("drafter", HUGE), ("department", "１２"),
])
def test_an_id_that_cannot_name_a_row_is_an_invalid_choice(registrar, unit, field, value):
    response = registrar.post(INCOMING_URL, incoming_post(unit, **{field: value}))
    assert response.status_code == 200
    assert "选择的值无效" in field_errors(response, field)
    assert not Carrier.objects.exists()


@pytest.mark.parametrize("field", ["doc_date", "start_date"])
def test_a_document_date_before_1949_10_01_is_refused(registrar, unit, field):
    # Outside any calendar the product computes with: refused by the form itself.
    response = registrar.post(INCOMING_URL, incoming_post(unit, **{field: "0001-01-01"}))
    assert "日期应在1900年1月1日至2999年12月31日之间" in field_errors(response, field)
    # Before the floor of document dates: refused by the service, with the other errors at once.
    response = registrar.post(INCOMING_URL, incoming_post(unit, issuer="", **{field: "1949-09-30"}))
    assert "日期不能早于1949年10月1日" in field_errors(response, field)
    assert "请填写来文单位" in field_errors(response, "issuer")
    assert not Carrier.objects.exists()


def test_the_service_refuses_a_document_date_before_1949_10_01_too(unit):
    from conftest import carrier_data

    with pytest.raises(ValidationFailed) as refused:
        services.carrier_register_incoming(actor=unit.mishu,
                                           data=carrier_data(unit.business, doc_date=dt.date(1, 1, 1)))
    assert refused.value.field_errors["doc_date"] == "日期不能早于1949年10月1日"


def test_a_date_far_in_the_future_is_a_field_error(registrar, unit):
    response = registrar.post(INCOMING_URL, incoming_post(unit, period_kind="date", declassify_date="9999-12-31"))
    assert response.status_code == 200 and field_errors(response, "declassify_date")
    assert not Carrier.objects.exists()


def test_invisible_format_characters_are_removed_and_nul_is_refused(registrar, unit):
    response = registrar.post(INCOMING_URL, incoming_post(unit, title="\u202e关于\u200b保密\u2066检查\u2069的通知",
                                                          notes="备\u200f注"))
    assert response.status_code == 302
    carrier = Carrier.objects.get()
    assert (carrier.title, carrier.notes) == ("关于保密检查的通知", "备注")

    response = registrar.post(INCOMING_URL, incoming_post(unit, title="关于\x00通知", notes="a\x00"))
    assert response.status_code == 200
    assert "空字符" in field_errors(response, "title") and "空字符" in field_errors(response, "notes")
    assert Carrier.objects.count() == 1


def test_a_huge_carrier_id_in_a_destruction_batch_is_refused_with_a_message(registrar, unit, register_carrier):
    from django.urls import reverse

    register_carrier(level=2)
    response = registrar.post(reverse("approvals:destroy_new"), {"carriers": [HUGE], "reason": "过期"})
    assert response.status_code == 200 and "选择的值无效" in response.content.decode()
    assert not ApprovalRequest.objects.exists()


def test_a_huge_department_id_on_a_person_is_an_invalid_choice(client, unit):
    from django.urls import reverse

    from personnel.models import Person

    client.force_login(unit.baomi)
    person = Person.objects.get(user=unit.lisi)
    response = client.post(reverse("personnel:edit", args=[person.pk]),
                           {"full_name": "李四", "department": str(unit.business.pk), "served_departments": [HUGE]})
    assert response.status_code == 200 and "选择的值无效" in response.content.decode()
