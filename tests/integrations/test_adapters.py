"""The outbound adapters against real HTTP servers: the simulators, and a
recording receiver for what the simulators never answer (429, redirects, a
2xx that is not JSON)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from integrations.adapters import (
    ExternalBillingAdapter,
    NetworkManagementAdapter,
    PaymentGatewayAdapter,
    PrintingHouseAdapter,
    ServiceManagementAdapter,
    adapter_for,
    deliver,
)
from integrations.adapters.http import HttpAdapter
from integrations.adapters.kinds import SERVICE_COMMANDS, service_order_kind
from integrations.adapters.service_management import COMMANDS
from integrations.choices import SystemKind
from integrations.errors import PermanentError, RetryableError
from integrations.models import ExternalSystem, OutboxMessage
from integrations.simulators import ElementManagerSimulator
from integrations.simulators.recorder import CannedReply, RecordingReceiver

ORDER_PATH = "/tmf-api/serviceOrdering/v4/serviceOrder"


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
def receiver():
    recording = RecordingReceiver()
    recording.start()
    yield recording
    recording.stop()


def system_at(url: str, kind: str = SystemKind.SERVICE_MANAGEMENT, *, token: str = "",
              service_kind: str = "", read_timeout_ms: int = 2000) -> ExternalSystem:
    """An unsaved registry entry: the adapters only read its fields."""
    return ExternalSystem(code="em", name="Element manager", kind=kind, base_url=url,
                          service_kind=service_kind, outbound_token=token,
                          connect_timeout_ms=500, read_timeout_ms=read_timeout_ms)


def service_adapter(server: ElementManagerSimulator | RecordingReceiver,
                    **options: Any) -> ServiceManagementAdapter:
    adapter = adapter_for(system_at(server.url, **options))
    assert isinstance(adapter, ServiceManagementAdapter)
    return adapter


COMMAND_CASES = [
    ("enable", {}, "add", "active", None),
    ("disable", {}, "delete", "terminated", None),
    ("suspend", {}, "modify", "suspended", None),
    ("resume", {}, "modify", "active", None),
    ("degrade", {"profile": "2-mbps"}, "modify", "active",
     [{"name": "degraded", "value": True}, {"name": "degradedProfile", "value": "2-mbps"}]),
    ("restore", {}, "modify", "active", [{"name": "degraded", "value": False}]),
    ("change_package", {"package": "PREMIUM"}, "modify", "active",
     [{"name": "package", "value": "PREMIUM"}]),
    ("authorise_device", {"device_serial": "SC-0001", "device_kind": "smart_card"}, "modify",
     "active", [{"name": "deviceSerial", "value": "SC-0001"},
                {"name": "deviceKind", "value": "smart_card"},
                {"name": "deviceStatus", "value": "authorised"}]),
    ("blacklist_device", {"device_serial": "SC-0001"}, "modify", "active",
     [{"name": "deviceSerial", "value": "SC-0001"},
      {"name": "deviceStatus", "value": "blacklisted"}]),
    ("unblacklist_device", {"device_serial": "SC-0001"}, "modify", "active",
     [{"name": "deviceSerial", "value": "SC-0001"},
      {"name": "deviceStatus", "value": "unblacklisted"}]),
]


@pytest.mark.parametrize(("command", "extra", "action", "state", "characteristics"),
                         COMMAND_CASES, ids=[case[0] for case in COMMAND_CASES])
def test_it_sends_each_command_as_a_tmf641_service_order(
    cas, command, extra, action, state, characteristics
):
    # given a conditional access system behind its simulator
    adapter = service_adapter(cas, service_kind="tv_package")

    # when the command is sent
    answer = adapter.send_command(command, {"service_id": "SVC-1", **extra}, f"key-{command}")

    # then the simulator received one TMF641 order with one item
    service = {"id": "SVC-1", "state": state, "serviceType": "tv_package"}
    if characteristics:
        service["serviceCharacteristic"] = characteristics
    expected_order = {
        "externalId": f"key-{command}",
        "category": command,
        "serviceOrderItem": [{"id": "1", "action": action, "service": service}],
    }
    [applied] = cas.applied()
    assert (applied["key"], applied["command"], applied["path"]) == (
        f"key-{command}", command, ORDER_PATH)
    assert applied["body"] == expected_order
    assert answer["state"] == "completed"
    assert answer["serviceOrderItem"] == [
        {"id": "1", "action": action, "service": service, "state": "completed"}
    ]


def test_it_knows_the_same_commands_as_the_outbox_kinds():
    assert sorted(COMMANDS) == sorted(SERVICE_COMMANDS)
    assert service_order_kind("blacklist_device") == "service_order.blacklist_device"


def test_it_returns_the_acknowledgement_of_the_order(cas):
    # given
    adapter = service_adapter(cas)

    # when
    answer = adapter.send_command("suspend", {"service_id": "SVC-9"}, "key-1")

    # then the answer is the element manager's order, with its own id
    completion_date = answer.pop("completionDate")
    assert completion_date.endswith("Z")
    assert answer == {
        "id": "SO-000001",
        "href": f"{ORDER_PATH}/SO-000001",
        "externalId": "key-1",
        "category": "suspend",
        "state": "completed",
        "serviceOrderItem": [{"id": "1", "action": "modify", "state": "completed",
                              "service": {"id": "SVC-9", "state": "suspended"}}],
    }


def test_it_names_the_subscriber_and_adds_extra_characteristics(cas):
    # given
    adapter = service_adapter(cas)

    # when
    adapter.send_command("enable", {"service_id": 42, "subscriber": "C00000001",
                                    "characteristics": {"zone": "MAD", "bandwidth": 300}},
                         "key-1")

    # then
    [applied] = cas.applied()
    assert applied["body"] == {
        "externalId": "key-1",
        "category": "enable",
        "serviceOrderItem": [{"id": "1", "action": "add", "service": {
            "id": "42", "state": "active",
            "serviceCharacteristic": [{"name": "bandwidth", "value": 300},
                                      {"name": "zone", "value": "MAD"}],
        }}],
        "relatedParty": [{"id": "C00000001", "role": "customer", "@referredType": "Customer"}],
    }


def test_it_refuses_an_unknown_command_without_a_call(cas):
    # given
    adapter = service_adapter(cas)

    # when / then
    with pytest.raises(PermanentError) as raised:
        adapter.send_command("teleport", {"service_id": "SVC-1"}, "key-1")
    assert str(raised.value) == "unknown service management command 'teleport'"
    assert cas.state()["requests"] == 0


@pytest.mark.parametrize(("command", "payload", "message"), [
    ("enable", {}, "command 'enable' needs service_id in its payload"),
    ("change_package", {"service_id": "SVC-1"},
     "command 'change_package' needs package in its payload"),
    ("blacklist_device", {"service_id": "SVC-1"},
     "command 'blacklist_device' needs device_serial in its payload"),
])
def test_it_refuses_a_command_missing_its_payload_without_a_call(cas, command, payload, message):
    # given
    adapter = service_adapter(cas)

    # when / then
    with pytest.raises(PermanentError) as raised:
        adapter.send_command(command, payload, "key-1")
    assert str(raised.value) == message
    assert cas.state()["requests"] == 0


def test_it_sends_the_outbound_token_as_a_bearer_with_the_key_and_json(receiver):
    # given a system with an outbound token
    receiver.reply = CannedReply(201, b'{"id": "SO-1"}')
    adapter = service_adapter(receiver, token="tok-cas-0001")

    # when
    answer = adapter.send_command("enable", {"service_id": "SVC-1"}, "key-1")

    # then
    assert answer == {"id": "SO-1"}
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", ORDER_PATH)
    assert request.headers["Authorization"] == "Bearer tok-cas-0001"
    assert request.headers["Idempotency-Key"] == "key-1"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"


def test_it_is_let_in_by_a_system_expecting_its_token(start_simulator):
    # given a simulator that expects the token
    simulator = start_simulator("isp", accept_token="tok-isp-0001")

    # when / then: the right token is let in, none is refused for good
    service_adapter(simulator, token="tok-isp-0001").send_command(
        "enable", {"service_id": "SVC-1"}, "key-1")
    with pytest.raises(PermanentError) as raised:
        service_adapter(simulator).send_command("enable", {"service_id": "SVC-2"}, "key-2")
    assert raised.value.status_code == 401
    assert simulator.state()["applied_keys"] == ["key-1"]


def test_it_sends_no_authorization_and_no_key_on_a_read_without_token(receiver):
    # given
    adapter = adapter_for(system_at(receiver.url, SystemKind.NETWORK_ACCESS))

    # when
    adapter.serviceability(postal_code="28013")

    # then
    [request] = receiver.requests
    assert "Authorization" not in request.headers
    assert "Idempotency-Key" not in request.headers


def test_it_refuses_a_write_without_an_idempotency_key(receiver):
    adapter = HttpAdapter(system_at(receiver.url))

    with pytest.raises(PermanentError) as raised:
        adapter.request("POST", "/anything", json={})
    assert str(raised.value) == "POST /anything: a write needs an idempotency key"
    assert receiver.requests == []


def test_it_uses_the_systems_timeouts():
    adapter = HttpAdapter(system_at("http://127.0.0.1:9", read_timeout_ms=300))

    assert adapter.timeout == (0.5, 0.3)


def test_it_applies_a_key_once(cas):
    # given a command already delivered
    adapter = service_adapter(cas)
    first = adapter.send_command("enable", {"service_id": "SVC-1"}, "key-1")
    assert adapter.last_response.headers.get("Idempotent-Replayed") is None

    # when it is delivered again with the same key
    second = adapter.send_command("enable", {"service_id": "SVC-1"}, "key-1")

    # then it was applied once and the repeat got the first answer
    assert second == first
    assert adapter.last_response.headers["Idempotent-Replayed"] == "true"
    state = cas.state()
    assert (state["applied_count"], state["replays"], state["requests"]) == (1, 1, 2)


def test_it_classifies_a_refused_connection_as_retryable_at_once(cas):
    # given a system that refuses connections, after one call kept the
    # connection alive
    adapter = service_adapter(cas)
    adapter.send_command("enable", {"service_id": "SVC-1"}, "key-1")
    cas.fail("refuse", seconds=5)

    # when
    started = time.monotonic()
    with pytest.raises(RetryableError) as raised:
        adapter.send_command("suspend", {"service_id": "SVC-1"}, "key-2")

    # then the adapter did not wait for its connect timeout (0.5 s)
    assert time.monotonic() - started < 0.5
    assert str(raised.value) == (
        f"POST {cas.url}{ORDER_PATH}: connection refused or unreachable")
    assert raised.value.status_code is None
    assert cas.state()["applied_keys"] == ["key-1"]


def test_it_classifies_a_503_as_retryable_with_its_status(cas):
    # given
    cas.fail("error_503", count=1)
    adapter = service_adapter(cas)

    # when
    with pytest.raises(RetryableError) as raised:
        adapter.send_command("enable", {"service_id": "SVC-1"}, "key-1")

    # then
    assert raised.value.status_code == 503
    assert str(raised.value) == (f"POST {cas.url}{ORDER_PATH}: HTTP 503 "
                                 '{"code": "unavailable", "message": "simulated outage"}')
    assert cas.state()["applied_count"] == 0


def test_it_classifies_a_slow_answer_as_a_retryable_read_timeout(cas):
    # given a system slower than the read timeout
    cas.fail("slow", seconds=1.5, count=1)
    adapter = service_adapter(cas, read_timeout_ms=300)

    # when
    started = time.monotonic()
    with pytest.raises(RetryableError) as raised:
        adapter.send_command("enable", {"service_id": "SVC-1"}, "key-1")

    # then
    assert time.monotonic() - started < 1.0
    assert str(raised.value) == f"POST {cas.url}{ORDER_PATH}: read timeout after 0.3 s"
    assert raised.value.status_code is None


def test_it_classifies_a_dropped_response_as_retryable_and_the_retry_gets_the_first_answer(cas):
    # given a system that applies the next command and drops its answer
    cas.fail("drop_after_apply", count=1)
    adapter = service_adapter(cas)

    # when the command is sent, and sent again with the same key
    with pytest.raises(RetryableError) as raised:
        adapter.send_command("suspend", {"service_id": "SVC-1"}, "key-1")
    assert cas.state()["applied_count"] == 1
    answer = adapter.send_command("suspend", {"service_id": "SVC-1"}, "key-1")

    # then the first failed retryably and the retry got the first answer
    assert str(raised.value) == (f"POST {cas.url}{ORDER_PATH}: connection lost before a "
                                 "response (the call may have been applied)")
    assert adapter.last_response.headers["Idempotent-Replayed"] == "true"
    assert answer["id"] == "SO-000001"
    assert answer["externalId"] == "key-1"
    state = cas.state()
    assert (state["applied_count"], state["replays"]) == (1, 1)


def test_it_classifies_a_refused_body_as_permanent(cas):
    # given a body the element manager does not accept
    adapter = service_adapter(cas)

    # when
    with pytest.raises(PermanentError) as raised:
        adapter.request("POST", ORDER_PATH, json={"category": "enable"}, idempotency_key="key-1")

    # then
    assert raised.value.status_code == 400
    assert "serviceOrderItem must be a non-empty list" in str(raised.value)
    assert cas.state()["applied_count"] == 0


def test_it_classifies_an_unknown_path_as_permanent(cas):
    # given a printing-house call sent to a conditional access system
    adapter = PrintingHouseAdapter(system_at(cas.url, SystemKind.PRINTING_HOUSE))

    # when / then
    with pytest.raises(PermanentError) as raised:
        adapter.submit_batch({"documents": []}, "key-1")
    assert raised.value.status_code == 404
    assert cas.state()["applied_count"] == 0


@pytest.mark.parametrize(("status", "error_class"), [
    (408, RetryableError), (429, RetryableError), (500, RetryableError),
    (502, RetryableError), (503, RetryableError), (504, RetryableError),
    (400, PermanentError), (401, PermanentError), (403, PermanentError),
    (404, PermanentError), (409, PermanentError), (422, PermanentError),
])
def test_it_classifies_each_error_status(receiver, status, error_class):
    # given
    receiver.reply = CannedReply(status, b'{"code": "nope"}')
    adapter = HttpAdapter(system_at(receiver.url))

    # when
    with pytest.raises(error_class) as raised:
        adapter.request("POST", "/x", json={}, idempotency_key="key-1")

    # then
    assert type(raised.value) is error_class
    assert raised.value.status_code == status
    assert str(raised.value) == f'POST {receiver.url}/x: HTTP {status} {{"code": "nope"}}'


def test_it_classifies_a_redirect_as_permanent_without_following_it(receiver):
    receiver.reply = CannedReply(302, b"", headers={"Location": "http://elsewhere/"})
    adapter = HttpAdapter(system_at(receiver.url))

    with pytest.raises(PermanentError) as raised:
        adapter.request("POST", "/x", json={}, idempotency_key="key-1")

    assert str(raised.value) == (
        f"POST {receiver.url}/x: unexpected redirect 302 to 'http://elsewhere/'")
    assert len(receiver.requests) == 1


def test_it_classifies_a_2xx_that_is_not_json_as_retryable(receiver):
    # given a proxy answering an HTML page: whether the command arrived is
    # unknown, and sending it again with its key is safe
    receiver.reply = CannedReply(200, b"<html>ok</html>", content_type="text/html")
    adapter = HttpAdapter(system_at(receiver.url))

    with pytest.raises(RetryableError) as raised:
        adapter.request("POST", "/x", json={}, idempotency_key="key-1")

    assert raised.value.status_code == 200
    assert str(raised.value) == (
        f"POST {receiver.url}/x: unreadable response (HTTP 200, not JSON) <html>ok</html>")


def test_it_reads_an_empty_answer_as_an_empty_dict(receiver):
    receiver.reply = CannedReply(204, b"")
    adapter = HttpAdapter(system_at(receiver.url))

    assert adapter.request("POST", "/x", json={}, idempotency_key="key-1") == {}


def test_it_classifies_a_malformed_base_url_as_permanent():
    adapter = HttpAdapter(system_at("http://"))

    with pytest.raises(PermanentError, match="cannot make the call"):
        adapter.request("GET", "/x")


def test_it_answers_serviceability_by_postal_code(start_simulator):
    # given a network management system
    network = start_simulator("network")
    adapter = adapter_for(system_at(network.url, SystemKind.NETWORK_ACCESS))
    assert isinstance(adapter, NetworkManagementAdapter)

    # when
    madrid = adapter.serviceability(postal_code="28013", street="Gran Vía", street_number="1")
    abroad = adapter.serviceability(postal_code="SW1A 1AA")

    # then
    assert madrid == {"postalCode": "28013", "serviceable": True, "accessMedia": [
        {"medium": "cable", "maxDownstreamMbps": 1000, "maxUpstreamMbps": 100},
        {"medium": "copper", "maxDownstreamMbps": 20, "maxUpstreamMbps": 1},
        {"medium": "satellite", "maxDownstreamMbps": 50, "maxUpstreamMbps": 5},
    ]}
    assert abroad == {"postalCode": "SW1A 1AA", "serviceable": False, "accessMedia": []}
    assert network.state()["requests"] == 2


def test_it_finds_the_element_serving_an_address(start_simulator):
    # given
    network = start_simulator("network")
    adapter = NetworkManagementAdapter(system_at(network.url, SystemKind.NETWORK_ACCESS))

    # when
    best = adapter.serving_element(postal_code="08001")
    over_satellite = adapter.serving_element(postal_code="08001", medium="satellite")
    over_cable = adapter.serving_element(postal_code="08001", medium="cable")

    # then
    assert best == {"postalCode": "08001", "medium": "copper", "element": {
        "id": "DSLAM-BCN-08", "kind": "dslam", "name": "Barcelona exchange"}}
    assert over_satellite["element"]["id"] == "SAT-BEAM-ES1"
    assert over_cable == {"postalCode": "08001", "medium": "cable", "element": None}


def test_it_classifies_a_query_without_postal_code_as_permanent(start_simulator):
    network = start_simulator("network")
    adapter = NetworkManagementAdapter(system_at(network.url, SystemKind.NETWORK_ACCESS))

    with pytest.raises(PermanentError) as raised:
        adapter.serviceability(postal_code=" ")

    assert raised.value.status_code == 400


def test_it_submits_a_print_batch_and_gets_an_acknowledgement(start_simulator):
    # given a printing house
    printing = start_simulator("printing")
    adapter = adapter_for(system_at(printing.url, SystemKind.PRINTING_HOUSE))
    assert isinstance(adapter, PrintingHouseAdapter)

    # when
    answer = adapter.submit_batch({"batch": "B-2026-11", "documents": [{"invoice": "F1"},
                                                                       {"invoice": "F2"}]},
                                  "print-1")

    # then
    assert answer.pop("receivedAt").endswith("Z")
    assert answer == {"id": "PB-000001", "href": "/printing/v1/batches/PB-000001",
                      "status": "accepted", "documentCount": 2}
    assert printing.state()["applied_keys"] == ["print-1"]


def test_it_exports_to_external_billing(start_simulator):
    # given an external billing system
    billing = start_simulator("billing")
    adapter = adapter_for(system_at(billing.url, SystemKind.EXTERNAL_BILLING))
    assert isinstance(adapter, ExternalBillingAdapter)

    # when
    answer = adapter.export({"period": "2026-11", "records": [{"subscription": 1}]}, "export-1")

    # then
    assert answer.pop("receivedAt").endswith("Z")
    assert answer == {"id": "EX-000001", "href": "/billing/v1/exports/EX-000001",
                      "status": "accepted", "recordCount": 1}
    [applied] = billing.applied()
    assert (applied["command"], applied["body"]) == (
        "billing_export", {"period": "2026-11", "records": [{"subscription": 1}]})


@pytest.mark.parametrize(("kind", "adapter_class"), [
    (SystemKind.NETWORK_ACCESS, NetworkManagementAdapter),
    (SystemKind.NETWORK_TRANSPORT, NetworkManagementAdapter),
    (SystemKind.NETWORK_HEADEND, NetworkManagementAdapter),
    (SystemKind.SERVICE_MANAGEMENT, ServiceManagementAdapter),
    (SystemKind.PRINTING_HOUSE, PrintingHouseAdapter),
    (SystemKind.EXTERNAL_BILLING, ExternalBillingAdapter),
    (SystemKind.PAYMENT_GATEWAY, PaymentGatewayAdapter),
])
def test_it_picks_the_adapter_by_the_kind_of_system(kind, adapter_class):
    assert type(adapter_for(system_at("http://127.0.0.1:9", kind))) is adapter_class


def test_it_refuses_a_system_of_no_known_kind():
    with pytest.raises(PermanentError, match="no adapter for systems of kind 'fax'"):
        adapter_for(system_at("http://127.0.0.1:9", "fax"))


@pytest.mark.parametrize(("simulator_kind", "system_kind", "message_kind", "payload",
                          "command"), [
    ("cas", SystemKind.SERVICE_MANAGEMENT, "service_order.blacklist_device",
     {"service_id": "SVC-1", "device_serial": "SC-1"}, "blacklist_device"),
    ("printing", SystemKind.PRINTING_HOUSE, "print_batch.submit", {"documents": []},
     "print_batch"),
    ("billing", SystemKind.EXTERNAL_BILLING, "billing_export.submit", {"records": []},
     "billing_export"),
])
def test_it_delivers_an_outbox_message_by_its_kind(
    start_simulator, simulator_kind, system_kind, message_kind, payload, command
):
    # given an outbox message for a simulated system
    simulator = start_simulator(simulator_kind)
    message = OutboxMessage(destination=system_at(simulator.url, system_kind), kind=message_kind,
                            payload=payload, idempotency_key="msg-1")

    # when
    answer = deliver(message)

    # then it was applied under the message's key
    [applied] = simulator.applied()
    assert (applied["key"], applied["command"]) == ("msg-1", command)
    assert answer["id"].endswith("-000001")


def test_it_delivers_a_refund_to_the_payment_gateway(receiver):
    receiver.reply = CannedReply(201, b'{"id": "RF-1", "status": "pending"}')
    message = OutboxMessage(destination=system_at(receiver.url, SystemKind.PAYMENT_GATEWAY),
                            kind="payment.refund", payload={"amount": "12.50"},
                            idempotency_key="refund-1")

    assert deliver(message) == {"id": "RF-1", "status": "pending"}
    [request] = receiver.requests
    assert (request.path, request.headers["Idempotency-Key"], request.body) == (
        "/payments/v1/refunds", "refund-1", b'{"amount": "12.50"}')


@pytest.mark.parametrize(("simulator_kind", "system_kind", "message_kind", "message"), [
    ("cas", SystemKind.SERVICE_MANAGEMENT, "print_batch.submit",
     "a service management system cannot take 'print_batch.submit'"),
    ("cas", SystemKind.SERVICE_MANAGEMENT, "service_order.teleport",
     "unknown service management command 'teleport'"),
    ("printing", SystemKind.PRINTING_HOUSE, "service_order.enable",
     "Printing house systems take no 'service_order.enable' messages"),
    ("network", SystemKind.NETWORK_ACCESS, "service_order.enable",
     "Network management: access network systems take no 'service_order.enable' messages"),
])
def test_it_refuses_a_kind_the_destination_does_not_take_without_a_call(
    start_simulator, simulator_kind, system_kind, message_kind, message
):
    # given
    simulator = start_simulator(simulator_kind)
    outbox_message = OutboxMessage(destination=system_at(simulator.url, system_kind),
                                   kind=message_kind, payload={"service_id": "SVC-1"},
                                   idempotency_key="msg-1")

    # when / then
    with pytest.raises(PermanentError) as raised:
        deliver(outbox_message)
    assert str(raised.value) == message
    assert simulator.state()["requests"] == 0
