"""The append-only audit log (SPEC §10): gapless, hash-chained, never rewritten; logins recorded."""
import json

import pytest
from django.contrib.auth import get_user_model

from audits.models import AuditEvent, AuditResult
from audits.chain import event_hash, event_payload
from audits.services import events_for, record_event
from audits.tests.event_types import declared
from conftest import PASSWORD, make_user
from personnel import services as personnel_services
from personnel.models import Role


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reader(db):
    dept = personnel_services.department_create(actor=None, name="业务一处", code="biz1")
    return make_user("lisi", department=dept, roles=[Role.READER], person_class="important")


def assert_chain_is_whole():
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    previous = "0" * 64
    for event in events:
        assert event.prev_hash == previous, f"event #{event.seq} does not point at #{event.seq - 1}"
        # The stored hash is reproducible from the stored row, so a verifier can check it later.
        assert event.hash == event_hash(event.prev_hash, event_payload(event))
        previous = event.hash
    return events


def test_events_get_gapless_sequence_numbers_and_each_stores_the_previous_hash(reader):
    for n in range(5):
        record_event(actor=reader, event=declared("test.something"), detail={"n": n, "文字": "中文"})
    events = assert_chain_is_whole()
    assert len(events) >= 5
    assert [e.detail["n"] for e in events[-5:]] == [0, 1, 2, 3, 4]


def test_first_event_points_at_the_zero_hash(db):
    event = record_event(actor=None, event=declared("test.first"))
    assert event.seq == 1
    assert event.prev_hash == "0" * 64
    assert len(event.hash) == 64 and event.hash != "0" * 64


def test_an_event_records_who_what_target_level_result(reader):
    event = record_event(actor=reader, event=declared("test.view"), target=reader.person, level=3,
                         result=AuditResult.DENIED, source_ip="192.0.2.7")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor, stored.actor_username, stored.action, stored.target_id, stored.target_repr,
            stored.level, stored.result, stored.source_ip) == (
        reader, "lisi", "test.view", reader.person.pk, "lisi", 3, "denied", "192.0.2.7")
    assert list(events_for(reader.person))[-1] == stored


def test_a_rolled_back_action_leaves_no_event_and_no_gap(reader):
    from django.db import transaction

    class Boom(Exception):
        pass

    record_event(actor=reader, event=declared("test.kept"))
    with pytest.raises(Boom):
        with transaction.atomic():
            record_event(actor=reader, event=declared("test.lost"))
            raise Boom
    record_event(actor=reader, event=declared("test.kept"))
    events = assert_chain_is_whole()
    assert "test.lost" not in [e.action for e in events]


def test_an_event_cannot_be_changed_through_save(reader):
    event = record_event(actor=reader, event=declared("test.original"))
    stored = AuditEvent.objects.get(pk=event.pk)
    stored.action = "test.rewritten"
    with pytest.raises(RuntimeError):
        stored.save()
    with pytest.raises(RuntimeError):
        stored.save(update_fields=["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.original"


def test_an_event_cannot_be_deleted_through_the_model(reader):
    event = record_event(actor=reader, event=declared("test.original"))
    with pytest.raises(RuntimeError):
        AuditEvent.objects.get(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_an_event_cannot_be_rewritten_through_a_queryset_update(reader):
    event = record_event(actor=reader, event=declared("test.original"))
    try:
        AuditEvent.objects.filter(pk=event.pk).update(action="test.rewritten")
    except Exception:
        pass
    assert AuditEvent.objects.get(pk=event.pk).action == "test.original"


def test_an_event_cannot_be_deleted_through_a_queryset(reader):
    event = record_event(actor=reader, event=declared("test.original"))
    try:
        AuditEvent.objects.filter(pk=event.pk).delete()
    except Exception:
        pass
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- logins ----------------------------------------------------------------------------------

def last_event(action):
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


def test_login_is_recorded_with_the_source_ip(client, reader):
    response = client.post("/login/", {"username": "lisi", "password": PASSWORD}, REMOTE_ADDR="10.20.30.40")
    assert response.status_code == 302
    event = last_event("auth.login")
    assert event is not None
    assert (event.actor, event.result, event.source_ip) == (reader, AuditResult.OK, "10.20.30.40")


def test_forwarded_for_header_is_not_trusted_as_the_source_ip(client, reader):
    client.post("/login/", {"username": "lisi", "password": PASSWORD},
                REMOTE_ADDR="10.20.30.40", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert last_event("auth.login").source_ip == "10.20.30.40"


def test_failed_login_is_recorded_with_the_username_tried_but_never_the_password(client, reader):
    response = client.post("/login/", {"username": "lisi", "password": "Wrong#Guess99"}, REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 200  # the form again, not signed in
    assert "_auth_user_id" not in client.session
    event = last_event("auth.login_failed")
    assert event is not None
    assert (event.actor, event.result, event.source_ip) == (None, AuditResult.FAILED, "10.9.8.7")
    assert event.detail.get("username") == "lisi"
    row = json.dumps(event_payload(event), ensure_ascii=False, default=str)
    assert "Wrong#Guess99" not in row


def test_failed_login_for_an_unknown_account_is_recorded_too(client, db):
    client.post("/login/", {"username": "nobody", "password": "Whatever#1"}, REMOTE_ADDR="10.9.8.7")
    event = last_event("auth.login_failed")
    assert event is not None and event.detail.get("username") == "nobody"


def test_logout_is_recorded(client, reader):
    client.post("/login/", {"username": "lisi", "password": PASSWORD}, REMOTE_ADDR="10.20.30.40")
    response = client.post("/logout/", REMOTE_ADDR="10.20.30.41")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    event = last_event("auth.logout")
    assert event is not None
    assert (event.actor, event.source_ip) == (reader, "10.20.30.41")


def test_login_logout_and_failure_extend_one_unbroken_chain(client, reader):
    client.post("/login/", {"username": "lisi", "password": "bad-password-1"})
    client.post("/login/", {"username": "lisi", "password": PASSWORD})
    client.post("/logout/")
    actions = [e.action for e in assert_chain_is_whole()]
    assert actions[-3:] == ["auth.login_failed", "auth.login", "auth.logout"]


def test_deleting_the_actor_account_is_refused_so_the_log_keeps_who_acted(db):
    from django.db.models import ProtectedError
    account = get_user_model().objects.create_user("temp", password=PASSWORD)  # no personnel record
    record_event(actor=account, event=declared("test.something"))
    with pytest.raises(ProtectedError):
        account.delete()
    assert get_user_model().objects.filter(pk=account.pk).exists()
