"""The transactional outbox, with the adapter replaced by a recorder: the
real HTTP path is tested against the simulators elsewhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from integrations import adapters, services
from integrations.errors import PermanentError, RetryableError
from integrations.models import DeliveryAttempt, ExternalSystem, OutboxMessage

pytestmark = pytest.mark.django_db


class Recorder:
    """Stands in for the adapter: records calls, fails as told."""

    def __init__(self):
        self.calls: list[str] = []
        self.failures: list[Exception] = []

    def __call__(self, message):
        self.calls.append(message.idempotency_key)
        if self.failures:
            raise self.failures.pop(0)
        return {"id": f"ack-{message.idempotency_key}"}


@pytest.fixture
def adapter(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(adapters, "deliver", recorder)
    return recorder


@pytest.fixture
def system(db):
    return ExternalSystem.objects.create(
        code="isp", name="ISP platform", kind="service_management", service_kind="internet",
        base_url="http://127.0.0.1:9", max_attempts=3, circuit_failure_threshold=2,
        circuit_reset_seconds=30,
    )


def enqueue(system, key, ordering_key=""):
    return services.outbox_enqueue(destination=system, kind="service_order.enable",
                                   payload={"service_id": key}, idempotency_key=key,
                                   ordering_key=ordering_key)


def deliver(message):
    return services.outbox_deliver(message_id=message.pk)


def test_it_delivers_after_commit_with_the_key(system, adapter, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(system, "k-1")
        assert adapter.calls == []  # nothing leaves before the commit
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("delivered", 1)
    assert message.response == {"id": "ack-k-1"}
    assert adapter.calls == ["k-1"]
    system.refresh_from_db()
    assert system.last_success_at is not None


@pytest.mark.django_db(transaction=True)
def test_it_publishes_nothing_when_the_transaction_rolls_back(system, adapter):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        enqueue(system, "k-rolled-back")
        raise Abort
    assert OutboxMessage.objects.count() == 0
    assert adapter.calls == []
    services.outbox_sweep()
    assert adapter.calls == []


def test_it_refuses_a_second_message_with_the_same_key(system, adapter):
    enqueue(system, "k-1")
    with pytest.raises(ValidationError) as raised:
        enqueue(system, "k-1")
    assert raised.value.error_dict["idempotency_key"][0].code == "duplicate_idempotency_key"
    assert OutboxMessage.objects.count() == 1


def test_it_backs_off_then_gives_up_on_retryable_failures(system, adapter):
    message = enqueue(system, "k-1")
    adapter.failures = [RetryableError("connection refused")] * 3
    before = timezone.now()
    assert deliver(message) == "failed"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        "failed", 1, "connection refused")
    assert before + timedelta(seconds=1) <= message.next_attempt_at <= (
        timezone.now() + timedelta(seconds=2))
    assert deliver(message) is None  # not due yet: nobody calls
    assert adapter.calls == ["k-1"]
    for _ in range(2):
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        system.refresh_from_db()
        ExternalSystem.objects.filter(pk=system.pk).update(circuit_state="closed",
                                                           consecutive_failures=0)
        deliver(message)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("dead", 3)
    assert list(DeliveryAttempt.objects.values_list("outcome", flat=True)) == ["retryable"] * 3


def test_it_kills_a_message_the_receiver_refuses(system, adapter):
    message = enqueue(system, "k-1")
    adapter.failures = [PermanentError("400 unknown service", status_code=400)]
    assert deliver(message) == "dead"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("dead", 1)
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.outcome, attempt.status_code) == ("permanent", 400)
    system.refresh_from_db()
    assert system.consecutive_failures == 0  # the system answered: it is up


def test_it_opens_the_circuit_and_holds_calls_back_until_a_probe(system, adapter):
    first, second, third = (enqueue(system, f"k-{n}") for n in (1, 2, 3))
    adapter.failures = [RetryableError("503", status_code=503)] * 2
    deliver(first)
    deliver(second)
    system.refresh_from_db()
    assert system.circuit_state == "open"
    # While open, a due message makes no call.
    assert deliver(third) == "failed"
    assert adapter.calls == ["k-1", "k-2"]
    third.refresh_from_db()
    assert third.attempts == 0
    assert third.next_attempt_at >= system.circuit_opened_at + timedelta(seconds=30)
    # After the reset time one probe goes out; its success closes the circuit.
    ExternalSystem.objects.filter(pk=system.pk).update(
        circuit_opened_at=timezone.now() - timedelta(seconds=31))
    OutboxMessage.objects.filter(pk=third.pk).update(next_attempt_at=timezone.now())
    assert deliver(third) == "delivered"
    assert DeliveryAttempt.objects.get(message=third).is_probe is True
    system.refresh_from_db()
    assert (system.circuit_state, system.consecutive_failures) == ("closed", 0)


def test_it_reopens_the_circuit_when_the_probe_fails(system, adapter):
    message = enqueue(system, "k-1")
    ExternalSystem.objects.filter(pk=system.pk).update(
        circuit_state="open", circuit_opened_at=timezone.now() - timedelta(seconds=31))
    adapter.failures = [RetryableError("connection refused")]
    deliver(message)
    system.refresh_from_db()
    assert system.circuit_state == "open"
    assert system.circuit_opened_at > timezone.now() - timedelta(seconds=5)


def test_it_delivers_messages_of_one_ordering_key_in_order(system, adapter,
                                                           django_capture_on_commit_callbacks):
    first = enqueue(system, "k-1", ordering_key="subscriber-7")
    second = enqueue(system, "k-2", ordering_key="subscriber-7")
    other = enqueue(system, "k-3", ordering_key="subscriber-8")
    adapter.failures = [RetryableError("timeout")]
    deliver(first)
    assert deliver(second) is None  # waits behind the first
    assert deliver(other) == "delivered"  # another subscriber is not held
    OutboxMessage.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        deliver(first)  # its success hands the next one out
    second.refresh_from_db()
    assert second.status == "delivered"
    assert adapter.calls == ["k-1", "k-3", "k-1", "k-2"]


def test_it_sweeps_up_what_a_lost_worker_left(system, adapter):
    pending = enqueue(system, "k-pending")  # its task was lost with the broker
    stuck = enqueue(system, "k-stuck")
    OutboxMessage.objects.filter(pk=stuck.pk).update(
        status="delivering", attempts=1,
        claimed_at=timezone.now() - timedelta(seconds=services.DELIVERY_LEASE_SECONDS + 1))
    result = services.outbox_sweep()
    assert result == {"recovered": 1, "scheduled": 2}
    pending.refresh_from_db()
    stuck.refresh_from_db()
    assert (pending.status, stuck.status) == ("delivered", "delivered")
    assert sorted(adapter.calls) == ["k-pending", "k-stuck"]


def test_it_lets_a_supervisor_retry_a_dead_message_with_the_same_key(system, adapter,
                                                                      supervisor):
    message = enqueue(system, "k-1")
    adapter.failures = [PermanentError("400")]
    deliver(message)
    delivered = enqueue(system, "k-2")
    deliver(delivered)
    with pytest.raises(ValidationError):
        services.outbox_retry(message=delivered, actor=supervisor)
    services.outbox_retry(message=message, actor=supervisor)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 0)
    deliver(message)
    assert adapter.calls == ["k-1", "k-2", "k-1"]


def test_it_spreads_retries_with_jitter_under_a_ceiling():
    for attempts in range(1, 20):
        delay = services.backoff_seconds(attempts)
        exponential = services.BACKOFF_BASE_SECONDS * 2 ** (attempts - 1)
        ceiling = min(services.BACKOFF_MAX_SECONDS, exponential)
        assert ceiling / 2 <= delay <= ceiling


def test_it_holds_messages_for_a_disabled_system(system, adapter):
    message = enqueue(system, "k-1")
    ExternalSystem.objects.filter(pk=system.pk).update(enabled=False)
    assert deliver(message) == "failed"
    assert adapter.calls == []
    message.refresh_from_db()
    assert message.attempts == 0


def test_it_treats_an_unexpected_adapter_error_as_retryable(system, adapter):
    message = enqueue(system, "k-1")
    adapter.failures = [TypeError("bug in an adapter")]
    assert deliver(message) == "failed"
    message.refresh_from_db()
    assert (message.status, message.last_error) == ("failed", "TypeError: bug in an adapter")
