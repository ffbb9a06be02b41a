"""The simulators as HTTP servers: idempotency, the control API, injected
failures, signed pushes to SESMU and the management commands."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from integrations import services
from integrations.choices import SystemKind
from integrations.models import ExternalSystem, InboundCredential
from integrations.signing import (
    HEADER_MESSAGE_ID,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    signature_matches,
)
from integrations.simulators import ElementManagerSimulator
from integrations.simulators.command import resolve_options
from integrations.simulators.recorder import CannedReply, RecordingReceiver

ORDER_PATH = "/tmf-api/serviceOrdering/v4/serviceOrder"
TOKEN = "inbound-token-cas-0001"
SECRET = "hmac-secret-cas-0001"


@pytest.fixture
def start_simulator():
    started: list[ElementManagerSimulator] = []

    def start(kind: str, **options: Any) -> ElementManagerSimulator:
        simulator = ElementManagerSimulator(kind, **options)
        simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


@pytest.fixture
def cas(start_simulator) -> ElementManagerSimulator:
    return start_simulator("cas")


@pytest.fixture
def sesmu():
    """A stand-in for SESMU's inbound endpoints that records what it gets."""
    receiver = RecordingReceiver()
    receiver.reply = CannedReply(202, b'{"status": "accepted"}')
    receiver.start()
    yield receiver
    receiver.stop()


def order(command: str = "enable", service_id: str = "SVC-1", key: str = "key-1") -> dict:
    return {"externalId": key, "category": command, "serviceOrderItem": [
        {"id": "1", "action": "add", "service": {"id": service_id, "state": "active"}}]}


def post_order(simulator: ElementManagerSimulator, body: dict | None = None, *,
               key: str | None = "key-1", timeout: float = 2) -> requests.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return requests.post(simulator.url + ORDER_PATH, json=body or order(key=key or "none"),
                         headers=headers, timeout=timeout)


def control(simulator: ElementManagerSimulator, path: str, body: dict | None = None
            ) -> requests.Response:
    if body is None:
        return requests.get(f"{simulator.url}/_sim/{path}", timeout=2)
    return requests.post(f"{simulator.url}/_sim/{path}", json=body, timeout=5)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_it_reports_its_state_over_http(cas):
    # given one applied command and one repeat
    post_order(cas)
    post_order(cas)

    # when
    response = control(cas, "state")

    # then
    assert response.status_code == 200
    assert response.json() == {"kind": "cas", "applied_count": 1, "applied_keys": ["key-1"],
                               "requests": 2, "replays": 1, "mode": "none"}


def test_it_lists_what_it_applied(cas):
    # given
    post_order(cas, order("suspend"))

    # when
    [entry] = control(cas, "applied").json()["applied"]

    # then
    assert entry.pop("applied_at").endswith("Z")
    assert entry.pop("response")["id"] == "SO-000001"
    assert entry == {"key": "key-1", "command": "suspend", "method": "POST", "path": ORDER_PATH,
                     "body": order("suspend"), "status": 201}


def test_it_refuses_a_write_without_an_idempotency_key(cas):
    # when
    response = post_order(cas, key=None)

    # then
    assert response.status_code == 400
    assert response.json() == {"code": "idempotency_key_missing",
                               "message": "writes need an Idempotency-Key header"}
    assert cas.state()["applied_count"] == 0


def test_it_answers_a_repeated_key_with_the_first_response(cas):
    # given
    first = post_order(cas)

    # when
    second = post_order(cas)

    # then
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.content == first.content
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    state = cas.state()
    assert (state["applied_count"], state["replays"]) == (1, 1)


def test_it_applies_a_key_once_when_it_arrives_concurrently(cas):
    # given eight deliveries of the same message at the same moment
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def send() -> None:
        barrier.wait()
        statuses.append(post_order(cas).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]

    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    # then
    assert statuses == [201] * 8
    state = cas.state()
    assert (state["applied_count"], state["replays"], state["requests"]) == (1, 7, 8)


def test_it_refuses_a_key_reused_for_another_request(cas):
    # given
    post_order(cas, order("enable"))

    # when
    response = post_order(cas, order("disable"))

    # then
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert [entry["command"] for entry in cas.applied()] == ["enable"]


def test_it_does_not_keep_a_refused_write_under_its_key(cas):
    # given a malformed order
    refused = post_order(cas, {"category": "enable"})

    # when the same key comes back corrected
    accepted = post_order(cas, order())

    # then
    assert refused.status_code == 400
    assert refused.json() == {"code": "invalid",
                              "message": "serviceOrderItem must be a non-empty list"}
    assert accepted.status_code == 201
    assert cas.state()["applied_count"] == 1


def test_it_keeps_the_orders_and_the_services_they_changed(cas):
    # given a service enabled, degraded, then with its package changed
    post_order(cas, order("enable"), key="k1")
    degrade = order("degrade", key="k2")
    degrade["serviceOrderItem"][0].update(action="modify")
    degrade["serviceOrderItem"][0]["service"]["serviceCharacteristic"] = [
        {"name": "degraded", "value": True}]
    post_order(cas, degrade, key="k2")

    # when
    service = requests.get(f"{cas.url}/tmf-api/serviceInventory/v4/service/SVC-1", timeout=2)
    second_order = requests.get(f"{cas.url}{ORDER_PATH}/SO-000002", timeout=2)
    unknown = requests.get(f"{cas.url}/tmf-api/serviceInventory/v4/service/SVC-9", timeout=2)

    # then
    assert service.json() == {"id": "SVC-1", "state": "active",
                              "serviceCharacteristic": [{"name": "degraded", "value": True}]}
    assert (second_order.json()["category"], second_order.json()["externalId"]) == (
        "degrade", "k2")
    assert unknown.status_code == 404


def test_it_answers_404_on_the_paths_of_another_kind_of_system(cas):
    response = requests.post(f"{cas.url}/printing/v1/batches", json={},
                             headers={"Idempotency-Key": "k1"}, timeout=2)

    assert response.status_code == 404
    assert response.json() == {"code": "not_found",
                               "message": "a cas simulator has no POST /printing/v1/batches"}


def test_it_refuses_a_caller_without_the_expected_bearer_token(start_simulator):
    # given
    simulator = start_simulator("banking", accept_token="tok-bank-0001")

    # when
    response = post_order(simulator)

    # then
    assert response.status_code == 401
    assert simulator.state()["applied_count"] == 0


def test_it_forgets_everything_on_reset(cas):
    # given
    post_order(cas)
    control(cas, "fail", {"mode": "error_503"})

    # when
    response = control(cas, "reset", {})

    # then
    assert response.json() == {"kind": "cas", "applied_count": 0, "applied_keys": [],
                               "requests": 0, "replays": 0, "mode": "none"}
    assert post_order(cas).status_code == 201


def test_it_really_refuses_connections_then_listens_again_on_the_same_port(cas):
    # given a client holding a keep-alive connection
    session = requests.Session()
    assert session.get(f"{cas.url}/_sim/state", timeout=2).status_code == 200
    port = cas.port

    # when told to refuse for 0.5 s
    response = session.post(f"{cas.url}/_sim/fail", json={"mode": "refuse", "seconds": 0.5},
                            timeout=2)

    # then new and kept-alive connections are refused, until it listens again
    assert response.json() == {"mode": "refuse", "seconds": 0.5}
    with pytest.raises(ConnectionRefusedError), socket.create_connection(
        ("127.0.0.1", port), timeout=1
    ):
        pass
    with pytest.raises(requests.ConnectionError):
        session.get(f"{cas.url}/_sim/state", timeout=2)
    deadline = time.monotonic() + 5
    while True:
        try:
            state = requests.get(f"{cas.url}/_sim/state", timeout=1).json()
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "the simulator did not listen again"
            time.sleep(0.05)
    assert cas.port == port
    assert state["mode"] == "none"
    assert post_order(cas).status_code == 201


@pytest.mark.parametrize(("body", "message"), [
    ({"mode": "refuse"}, "refuse needs seconds: the control API is down meanwhile"),
    ({"mode": "refuse", "seconds": 1, "count": 2},
     "refuse lasts seconds; refused connections cannot be counted"),
    ({"mode": "slow"}, "slow needs seconds: the delay of each answer"),
    ({"mode": "explode"},
     "unknown mode 'explode'; one of none, refuse, error_503, slow, drop_after_apply"),
    ({"mode": "error_503", "count": 0}, "count must be at least 1"),
    ({"mode": "error_503", "seconds": "soon"}, "seconds must be a number"),
])
def test_it_refuses_a_failure_it_cannot_play(cas, body, message):
    # when
    response = control(cas, "fail", body)

    # then
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": message}
    assert cas.state()["mode"] == "none"


def test_it_fails_only_the_next_requests_when_given_a_count(cas):
    # given
    control(cas, "fail", {"mode": "error_503", "count": 2})

    # when
    statuses = [post_order(cas).status_code for _ in range(3)]

    # then
    assert statuses == [503, 503, 201]
    state = cas.state()
    assert (state["applied_count"], state["requests"], state["mode"]) == (1, 3, "none")


def test_it_fails_for_the_seconds_it_was_told(cas):
    # given
    assert control(cas, "fail", {"mode": "error_503", "seconds": 0.6}).json()["mode"] == (
        "error_503")
    during = post_order(cas)

    # when
    time.sleep(0.65)
    after = post_order(cas)

    # then
    assert (during.status_code, during.headers["Retry-After"]) == (503, "1")
    assert after.status_code == 201


def test_it_stops_failing_when_told_none(cas):
    control(cas, "fail", {"mode": "error_503"})
    assert post_order(cas).status_code == 503

    control(cas, "fail", {"mode": "none"})

    assert post_order(cas).status_code == 201


def test_it_answers_slowly_then_applies(cas):
    # given
    control(cas, "fail", {"mode": "slow", "seconds": 0.2, "count": 1})

    # when
    started = time.monotonic()
    response = post_order(cas)

    # then
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 201
    assert cas.state()["applied_count"] == 1


def test_it_drops_the_response_after_applying(cas):
    # given
    control(cas, "fail", {"mode": "drop_after_apply", "count": 1})

    # when / then
    with pytest.raises(requests.ConnectionError):
        post_order(cas)
    assert cas.state()["applied_keys"] == ["key-1"]
    replayed = post_order(cas)
    assert (replayed.status_code, replayed.headers["Idempotent-Replayed"]) == (201, "true")


def test_it_pushes_a_signed_message_to_sesmu(start_simulator, sesmu):
    # given an element manager that knows SESMU's address and its credentials
    simulator = start_simulator("isp", sesmu_url=sesmu.url + "/", inbound_token=TOKEN,
                                hmac_secret=SECRET)
    records = {"records": [{"service_id": "SVC-1", "octets": 1024}]}

    # when
    status, body = simulator.push("usage_records", records, message_id="usage-0001")

    # then SESMU got the body, signed over timestamp and body
    assert (status, body) == (202, {"status": "accepted"})
    [request] = sesmu.requests
    assert (request.method, request.path) == ("POST", "/api/v1/inbound/usage-records/")
    assert json.loads(request.body) == records
    assert request.headers["Authorization"] == f"Token {TOKEN}"
    assert request.headers[HEADER_MESSAGE_ID] == "usage-0001"
    assert abs(int(request.headers[HEADER_TIMESTAMP]) - time.time()) < 5
    assert signature_matches(SECRET, request.headers[HEADER_TIMESTAMP], request.body,
                             request.headers[HEADER_SIGNATURE])
    assert not signature_matches("another-secret", request.headers[HEADER_TIMESTAMP],
                                 request.body, request.headers[HEADER_SIGNATURE])


@pytest.mark.parametrize(("kind", "path"), [
    ("usage_records", "/api/v1/inbound/usage-records/"),
    ("service_alarm", "/api/v1/inbound/service-alarms/"),
    ("network_alarm", "/api/v1/inbound/network-alarms/"),
    ("deployment_update", "/api/v1/inbound/deployment-updates/"),
])
def test_it_pushes_each_kind_through_its_control_api(start_simulator, sesmu, kind, path):
    # given
    sesmu.reply = CannedReply(409, b'{"code": "replayed"}')
    simulator = start_simulator("network", sesmu_url=sesmu.url, inbound_token=TOKEN,
                                hmac_secret=SECRET)

    # when
    response = control(simulator, "push", {"kind": kind, "body": {"alarm": 1}})

    # then SESMU's answer comes back as it was
    assert (response.status_code, response.content) == (409, b'{"code": "replayed"}')
    [request] = sesmu.requests
    assert request.path == path
    assert request.headers[HEADER_MESSAGE_ID] == response.headers["X-Sesmu-Message-Id"]
    assert request.headers[HEADER_MESSAGE_ID].startswith("network-")


def test_it_refuses_to_push_an_unknown_kind(start_simulator, sesmu):
    simulator = start_simulator("cas", sesmu_url=sesmu.url, inbound_token=TOKEN,
                                hmac_secret=SECRET)

    response = control(simulator, "push", {"kind": "gossip", "body": {}})

    assert response.status_code == 400
    assert response.json()["message"] == (
        "unknown push kind 'gossip'; one of usage_records, service_alarm, network_alarm, "
        "deployment_update")
    assert sesmu.requests == []


def test_it_refuses_to_push_without_credentials(start_simulator, sesmu):
    simulator = start_simulator("cas", sesmu_url=sesmu.url)

    response = control(simulator, "push", {"kind": "service_alarm", "body": {}})

    assert response.status_code == 400
    assert response.json()["message"] == (
        "pushing needs sesmu_url, inbound_token and hmac_secret")
    assert sesmu.requests == []


def test_it_answers_502_when_sesmu_does_not_answer(start_simulator):
    simulator = start_simulator("cas", sesmu_url=f"http://127.0.0.1:{free_port()}",
                                inbound_token=TOKEN, hmac_secret=SECRET)

    response = control(simulator, "push", {"kind": "service_alarm", "body": {}})

    assert response.status_code == 502
    assert response.json()["code"] == "sesmu_unreachable"


def test_it_refuses_an_unknown_kind_of_simulator():
    with pytest.raises(ValueError, match="unknown simulator kind 'fax'"):
        ElementManagerSimulator("fax")


def test_it_answers_slowly_again_after_a_restart():
    # given a simulator stopped and started again (stopping wakes the slow
    # answers for good: a restart must not inherit that)
    simulator = ElementManagerSimulator("cas")
    simulator.start()
    simulator.stop()
    simulator.start()
    try:
        simulator.fail("slow", seconds=0.2, count=1)

        # when
        started = time.monotonic()
        response = post_order(simulator)

        # then
        assert time.monotonic() - started >= 0.2
        assert response.status_code == 201
    finally:
        simulator.stop()


def test_it_stops_and_frees_its_port():
    # given
    simulator = ElementManagerSimulator("billing")
    port = simulator.start()

    # when
    simulator.stop()

    # then
    with pytest.raises(ConnectionRefusedError), socket.create_connection(
        ("127.0.0.1", port), timeout=1
    ):
        pass


def test_it_runs_as_a_command_and_stops_on_sigterm():
    # given the command started in its own process
    environment = {**os.environ, "SESMU_TESTING": "true", "DEBUG": "true"}
    process = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "simulate_printing_house", "--port", "0"],
        cwd=settings.BASE_DIR, env=environment, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "the simulator did not start"
        first_line = process.stdout.readline()
        assert first_line.startswith("printing simulator listening on http://127.0.0.1:")
        url = first_line.split()[4]

        # when it gets a request and then SIGTERM
        state = requests.get(f"{url}/_sim/state", timeout=5).json()
        process.send_signal(signal.SIGTERM)
        output, errors = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()

    # then it answered, logged the request and stopped cleanly
    assert state["kind"] == "printing"
    assert process.returncode == 0, errors
    assert output.splitlines()[0].startswith("[printing] GET /_sim/state 200 ")
    assert output.splitlines()[-1] == "printing simulator stopped"


@pytest.fixture
def registry_system(db) -> tuple[ExternalSystem, str]:
    """A conditional access system whose credentials were rotated once, and
    a later credential that has already expired; returns the system and the
    HMAC secret of its newest valid credential."""
    system = ExternalSystem.objects.create(
        code="cas-demo", name="Conditional access", kind=SystemKind.SERVICE_MANAGEMENT,
        service_kind="ppv", base_url="http://127.0.0.1:8101/", outbound_token="outbound-cas",
    )
    services.inbound_credential_create_known(system=system, token="old-token",
                                             hmac_secret="old-secret")
    rotated, _token = services.inbound_credential_rotate(system=system, actor=None)
    expired = services.inbound_credential_create_known(system=system, token="expired-token",
                                                       hmac_secret="expired-secret")
    InboundCredential.objects.filter(pk=expired.pk).update(
        valid_until=timezone.now() - timedelta(minutes=1))
    return system, rotated.hmac_secret


def command_options(**options: Any) -> dict[str, Any]:
    return {"kind": None, "port": None, "host": "127.0.0.1", "sesmu_url": "http://sesmu",
            "system": None, "inbound_token": "", "hmac_secret": "", "accept_token": None,
            **options}


def test_it_plays_the_system_of_the_registry(registry_system):
    # given the inbound token from the environment (the registry keeps a hash)
    options = command_options(system="cas-demo", inbound_token="plain-token")

    # when
    arguments = resolve_options(options, kind=None)

    # then kind, port, accepted token and newest valid secret come from the registry
    _system, newest_secret = registry_system
    assert arguments == {"kind": "cas", "host": "127.0.0.1", "port": 8101,
                         "sesmu_url": "http://sesmu", "inbound_token": "plain-token",
                         "hmac_secret": newest_secret, "accept_token": "outbound-cas"}


def test_it_prefers_the_command_line_to_the_registry(registry_system):
    options = command_options(system="cas-demo", port=0, hmac_secret="given",
                              accept_token="")

    arguments = resolve_options(options, kind=None)

    assert (arguments["port"], arguments["hmac_secret"], arguments["accept_token"]) == (
        0, "given", None)


def test_it_refuses_to_play_a_system_of_another_kind(registry_system):
    with pytest.raises(CommandError, match="played by a cas simulator, not printing"):
        resolve_options(command_options(system="cas-demo"), kind="printing")


def test_it_refuses_an_unknown_system_code(db):
    with pytest.raises(CommandError, match="No external system with code 'nowhere'"):
        resolve_options(command_options(system="nowhere"), kind=None)


def test_it_needs_a_kind_and_a_port_without_a_system():
    with pytest.raises(CommandError, match="Give --port"):
        resolve_options(command_options(kind="cas"), kind=None)
    with pytest.raises(CommandError, match="Give --kind"):
        resolve_options(command_options(port=0), kind=None)
