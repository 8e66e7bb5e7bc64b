"""Forms say everything at once, at the field (issue 14 §1): one submit of a 收文/发文登记 shows
every problem — the form's own (empty, unparsable) and the service's rules (来文单位, 签收人, 份号,
定密依据 …) — each next to its field, and an error belongs only to the field whose value is wrong."""
import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.models import AuditEvent
from documents import services
from documents.models import Carrier
from secrecy.errors import ValidationFailed

INCOMING_URL = reverse("documents:carrier_register_incoming")
OUTGOING_URL = reverse("documents:carrier_register_outgoing")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def errors_by_field(response):
    """{field: its messages} as shown on the page, one entry per red field."""
    html = response.content.decode()
    shown = {}
    for name, body in re.findall(r'<div class="field-errors" id="errors-([a-z_]+)">(.*?)</div>', html, re.S):
        shown[name] = re.findall(r"<p>(.*?)</p>", body)
    return shown


def red_fields(response):
    return set(re.findall(r'class="field has-error[^"]*" id="field-([a-z_]+)"', response.content.decode()))


def tomorrow():
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


def post(client, url, data):
    carriers, events = Carrier.objects.count(), AuditEvent.objects.count()
    response = client.post(url, data)
    assert response.status_code == 200
    assert (Carrier.objects.count(), AuditEvent.objects.count()) == (carriers, events), "nothing is saved"
    return response


def test_an_empty_incoming_registration_shows_every_missing_field_in_one_round(client, unit):
    client.force_login(unit.mishu)
    response = post(client, INCOMING_URL, {"copies": "1"})
    shown = errors_by_field(response)
    assert shown == {
        "title": ["请填写文件标题/名称"], "kind": ["请选择载体类别"],
        "level": ["请选择有效的密级（绝密、机密、秘密或内部）"], "doc_date": ["请填写收文/发文日期"],
        "department": ["请选择管理部门"], "issuer": ["请填写来文单位"], "signed_by": ["请填写签收人"],
    }
    assert red_fields(response) == set(shown)


def test_a_secret_carrier_without_copy_number_is_told_so_with_the_other_errors(client, unit):
    """机密 chosen, everything else empty: 份号 is flagged in the same round as 标题 and 签收人."""
    client.force_login(unit.mishu)
    shown = errors_by_field(post(client, INCOMING_URL, {"copies": "1", "level": "3"}))
    assert shown["copy_number"] == ["绝密、机密载体必须标注份号"]
    assert {"title", "kind", "doc_date", "department", "issuer", "signed_by"} <= set(shown)
    assert "level" not in shown


def test_an_unparsable_field_and_the_service_rules_are_reported_together(client, unit):
    """A date the form cannot read is the form's error; 来文单位 and 份号 are the service's: one round."""
    client.force_login(unit.mishu)
    shown = errors_by_field(post(client, INCOMING_URL, {
        "title": "关于开展保密检查的通知", "kind": "paper", "level": "4", "copies": "1", "doc_date": "2026-02-31",
        "department": str(unit.business.pk)}))
    assert set(shown) == {"doc_date", "issuer", "signed_by", "copy_number"}
    assert shown["copy_number"] == ["绝密、机密载体必须标注份号"]


def test_an_empty_outgoing_registration_of_a_secret_carrier_shows_every_rule_at_once(client, unit):
    client.force_login(unit.mishu)
    shown = errors_by_field(post(client, OUTGOING_URL, {"copies": "1", "level": "3", "internal": "0"}))
    assert {"title", "kind", "doc_date", "department", "recipients", "copy_number", "basis", "drafter",
            "classifier"} <= set(shown)
    assert shown["recipients"] == ["请填写发往单位"]
    assert "issuer" not in shown and "signed_by" not in shown


def test_a_future_receipt_date_marks_only_that_field(client, unit):
    from documents.tests.test_views import incoming_post

    client.force_login(unit.mishu)
    response = post(client, INCOMING_URL, incoming_post(unit, doc_date=tomorrow(), start_date=""))
    assert errors_by_field(response) == {"doc_date": ["收文/发文日期不能晚于今天"]}
    assert red_fields(response) == {"doc_date"}


def test_a_future_start_date_typed_in_is_still_that_fields_error(client, unit):
    from documents.tests.test_views import incoming_post

    client.force_login(unit.mishu)
    response = post(client, INCOMING_URL, incoming_post(unit, start_date=tomorrow()))
    assert errors_by_field(response) == {"start_date": ["制发日（起算日）不能晚于今天"]}


def test_the_service_refuses_every_broken_rule_in_one_refusal(unit):
    """The service alone (no form): 标题, 来文单位, 签收人, 份号 and a department the registrar does
    not serve are all in the one ValidationFailed."""
    from conftest import carrier_data, make_user
    from personnel.models import Role

    clerk = make_user("jiyao_b", department=unit.office, roles=[Role.REGISTRAR], person_class="core",
                      served=[unit.office])
    data = carrier_data(unit.business, title=" ", issuer="", signed_by="", copy_number=None)
    with pytest.raises(ValidationFailed) as refused:
        services.carrier_register_incoming(actor=clerk, data=data)
    assert set(refused.value.field_errors) == {"title", "issuer", "signed_by", "copy_number", "department"}
    assert not Carrier.objects.exists()


def test_a_future_receipt_date_without_start_date_is_refused_at_the_receipt_date_only(unit):
    from conftest import carrier_data

    for level in (1, 3):
        data = carrier_data(unit.business, level=level, doc_date=timezone.localdate() + dt.timedelta(days=3))
        with pytest.raises(ValidationFailed) as refused:
            services.carrier_register_incoming(actor=unit.mishu, data=data)
        assert set(refused.value.field_errors) == {"doc_date"}, level


def test_conditionally_required_fields_say_on_what_they_depend(client, unit):
    """The red * of 份号 follows 密级 (static/js/app.js reads data-required-if); 来文单位 and 签收人
    of a 收文 are always required and marked so from the start."""
    client.force_login(unit.mishu)
    html = client.get(INCOMING_URL).content.decode()
    assert re.search(r'<input[^>]*name="copy_number"[^>]*data-required-if="level:3,4"', html)
    assert re.search(r'<input[^>]*name="device_serial"[^>]*data-required-if="kind:magnetic,removable,computer"',
                     html)
    for name in ("issuer", "signed_by", "title"):
        assert re.search(rf'class="field required[^"]*" id="field-{name}"', html), name
    assert not re.search(r'class="field required[^"]*" id="field-copy_number"', html)
    html = client.get(OUTGOING_URL).content.decode()
    assert re.search(r'name="recipients"[^>]*data-required-if="internal:0"', html)
    assert re.search(r'name="basis"[^>]*data-required-if="level:2,3,4"', html)
