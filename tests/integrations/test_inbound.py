"""Inbound messages: authenticated, signed, stored raw before anything else,
answered 202 and processed once."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from integrations import inbound_handlers, services
from integrations.models import InboundMessage
from tests.integrations.conftest import ALARM, SECRET, TOKEN, signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_commit_now")]

URL = "/api/v1/inbound/network-alarms/"


def post(client, body, url=URL, **kwargs):
    raw, headers = signed(body, **kwargs)
    return client.post(url, data=raw, content_type="application/json", **headers)


@pytest.fixture
def alarm_handler():
    seen = []

    def handle(message):
        seen.append(message.message_id)
        return {"alarmed": message.payload["alarmedObject"]["id"]}

    inbound_handlers.register("network_alarm", handle)
    yield seen
    inbound_handlers.unregister("network_alarm")


def test_it_stores_then_processes_a_signed_message(client, cas_system, alarm_handler):
    # When
    response = post(client, ALARM, message_id="m-1")
    # Then
    assert response.status_code == 202
    assert response.json()["message_id"] == "m-1"
    message = InboundMessage.objects.get()
    assert json.loads(message.body) == ALARM
    assert (message.status, message.result) == ("processed", {"alarmed": "OLT-MAD-01"})
    assert alarm_handler == ["m-1"]


def test_it_keeps_messages_nobody_handles_yet(client, cas_system):
    response = post(client, ALARM)
    assert response.status_code == 202
    message = InboundMessage.objects.get()
    assert message.status == "unhandled"
    # Once a handler registers, the sweeper processes it.
    inbound_handlers.register("network_alarm", lambda message: {"ok": True})
    try:
        assert services.inbound_sweep() == 1
        message.refresh_from_db()
        assert message.status == "processed"
    finally:
        inbound_handlers.unregister("network_alarm")


def test_it_keeps_a_failed_message_with_its_error_and_retries_it(client, cas_system):
    calls = []

    def flaky(message):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database of alarms unavailable")
        return {"ok": True}

    inbound_handlers.register("network_alarm", flaky)
    try:
        post(client, ALARM)
        message = InboundMessage.objects.get()
        assert message.status == "failed"
        assert "database of alarms unavailable" in message.error
        assert services.inbound_process(message_id=message.pk) == "processed"
        message.refresh_from_db()
        assert (message.status, message.attempts, message.error) == ("processed", 2, "")
        assert services.inbound_process(message_id=message.pk) is None  # once only
    finally:
        inbound_handlers.unregister("network_alarm")


def test_it_refuses_a_replayed_message_id_as_a_no_op(client, cas_system, alarm_handler):
    assert post(client, ALARM, message_id="same").status_code == 202
    response = post(client, ALARM, message_id="same")
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_message"
    assert InboundMessage.objects.count() == 1
    assert alarm_handler == ["same"]


@pytest.mark.parametrize(
    ("variant", "expected_code"),
    [
        ({"token": "wrong"}, "invalid_token"),
        ({"secret": "wrong"}, "bad_signature"),
        ({"timestamp_offset": -301}, "stale_timestamp"),
        ({"timestamp_offset": 301}, "stale_timestamp"),
    ],
)
def test_it_refuses_forged_or_stale_messages_and_stores_nothing(client, cas_system, variant,
                                                               expected_code, caplog):
    response = post(client, ALARM, **variant)
    assert response.status_code == 401
    assert response.json()["code"] == expected_code
    assert InboundMessage.objects.count() == 0
    assert any("inbound refused" in record.getMessage() and expected_code in record.getMessage()
               for record in caplog.records if record.name == "sesmu.security")


def test_it_refuses_an_unsigned_or_tampered_body(client, cas_system):
    raw, headers = signed(ALARM)
    unsigned = {key: value for key, value in headers.items() if "SIGNATURE" not in key}
    assert client.post(URL, data=raw, content_type="application/json",
                       **unsigned).status_code == 401
    tampered = raw.replace(b"major", b"minor")
    assert client.post(URL, data=tampered, content_type="application/json",
                       **headers).status_code == 401
    no_token = {key: value for key, value in headers.items() if key != "HTTP_AUTHORIZATION"}
    assert client.post(URL, data=raw, content_type="application/json",
                       **no_token).status_code == 401
    assert InboundMessage.objects.count() == 0


def test_it_accepts_old_and_new_credentials_during_a_rotation(client, cas_system):
    credential, token = services.inbound_credential_rotate(system=cas_system, actor=None)
    assert post(client, ALARM).status_code == 202  # the old one, within the window
    assert post(client, ALARM, token=token, secret=credential.hmac_secret).status_code == 202
    # The old token with the new secret is fine too: both secrets are valid now.
    assert post(client, ALARM, token=TOKEN, secret=credential.hmac_secret).status_code == 202
    cas_system.inbound_credentials.exclude(pk=credential.pk).update(valid_until="2000-01-01T00:00Z")
    assert post(client, ALARM).status_code == 401


@pytest.mark.parametrize(
    ("url", "body", "reason"),
    [
        (URL, b"{not json", "not valid JSON"),
        (URL, [1, 2], "must be a JSON object"),
        (URL, {**ALARM, "alarmedObject": {}}, "alarmedObject.id"),
        (URL, {**ALARM, "perceivedSeverity": "apocalyptic"}, "perceivedSeverity"),
        ("/api/v1/inbound/usage-records/", {"records": []}, "non-empty list"),
        ("/api/v1/inbound/deployment-updates/", {"areas": [{}]}, "postal_code"),
    ],
)
def test_it_answers_400_to_a_malformed_body_and_keeps_it(client, cas_system, url, body, reason):
    response = post(client, body, url=url)
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"
    assert reason in response.json()["message"]
    message = InboundMessage.objects.get()
    assert message.status == "rejected"
    assert reason in message.error


def test_it_answers_404_to_an_unknown_kind(client, cas_system):
    assert post(client, ALARM, url="/api/v1/inbound/weather/").status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_processes_a_message_delivered_five_times_at_once_only_once(cas_system):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    processed = []
    lock = threading.Lock()

    def handle(message):
        with lock:
            processed.append(message.message_id)
        return {}

    inbound_handlers.register("network_alarm", handle)
    raw, headers = signed(ALARM, message_id="storm")
    answers: list[int] = []

    def deliver():
        try:
            response = Client().post(URL, data=raw, content_type="application/json", **headers)
            answers.append(response.status_code)
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=deliver) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        inbound_handlers.unregister("network_alarm")
    assert sorted(answers) == [202, 409, 409, 409, 409]
    assert InboundMessage.objects.count() == 1
    assert processed == ["storm"]


def test_signing_constants_are_what_clients_are_told(cas_system):
    # The published scheme: HMAC-SHA256 over "<timestamp>.<body>", hex.
    import hashlib
    import hmac

    expected = "sha256=" + hmac.new(SECRET.encode(), b"1700000000.{}", hashlib.sha256).hexdigest()
    from integrations.signing import signature

    assert signature(SECRET, "1700000000", b"{}") == expected
    assert TOKEN
