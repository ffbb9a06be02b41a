"""Outbox delivery through the whole stack: a real Celery worker (its own
process, prefork pool) takes the tasks from Redis, reads and writes the test
PostgreSQL database and calls the element-manager simulator over HTTP.

These tests need PostgreSQL and Redis (CI has both) and are skipped on
SQLite or without REDIS_URL. Each starts its own worker, on Redis database
14 (flushed before and after), or on a Redis server of its own when Redis
itself is restarted.

The sweeper is `services.outbox_sweep()` called from the test's wait loop
(every second): the function Celery beat runs every 15 s in production, not
beat itself nor `manage.py sweep_outbox --loop` in another process. So the
test decides when the sweep runs (after the kill, after the Redis restart:
what is delivered then was handed out by the sweep, not by a lucky
redelivery), the short lease the kill test needs is a setting of this process
only, and a 2-core machine runs one process less. What the sweep hands out
still goes through Redis to the worker. The outage test runs no sweeper at
all: no task is lost there, so the delivery path alone (retries that probe,
a successful probe handing out what was held back) must deliver everything.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from integrations import services
from integrations.celery_worker import CeleryWorker, drop_broker_connections, publishing_to
from integrations.models import DeliveryAttempt, ExternalSystem, OutboxMessage
from integrations.simulators.server import ElementManagerSimulator

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL), as in CI",
    ),
]

CONCURRENCY = 4
BROKER_DATABASE = 14
LEASE_SECONDS = 3
FAILURE_THRESHOLD = 5
RESET_SECONDS = 1
# Held back messages wait until the circuit may be probed, plus up to 2 s of
# jitter; the probes' own start times are taken from the attempt rows, which
# are written a few milliseconds after each call ends.
PROBE_SPACING_TOLERANCE = timedelta(milliseconds=250)
COMMANDS = ("enable", "suspend", "resume", "disable")
ROOT = Path(settings.BASE_DIR)


# The worker ---------------------------------------------------------------------


def with_database_index(url: str, index: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{index}", parts.query, parts.fragment))


class RedisServer:
    """A Redis of this test alone, so restarting it harms nobody else."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        self.process = subprocess.Popen(  # noqa: S603 - the redis-server found on PATH
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    return
            time.sleep(0.05)
        pytest.fail(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


# Fixtures -----------------------------------------------------------------------


@pytest.fixture
def lease(settings):
    # Only this process sweeps, so only its settings need the short lease.
    settings.SESMU_OUTBOX_LEASE_SECONDS = LEASE_SECONDS
    return LEASE_SECONDS


@pytest.fixture
def broker(lease) -> Iterator[str]:
    url = with_database_index(settings.REDIS_URL, BROKER_DATABASE)
    client = redis.Redis.from_url(url)
    client.flushdb()
    with publishing_to(url):
        yield url
    client.flushdb()


@pytest.fixture
def start_worker(transactional_db, tmp_path) -> Iterator[Callable[[str], CeleryWorker]]:
    # Asks for the database first so the workers stop before it is flushed.
    workers: list[CeleryWorker] = []

    def start(broker_url: str) -> CeleryWorker:
        worker = CeleryWorker(broker_url=broker_url, queues="provisioning,default",
                              log_path=tmp_path / f"worker-{len(workers)}.log",
                              concurrency=CONCURRENCY, name="outbox-test")
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def simulator() -> Iterator[ElementManagerSimulator]:
    simulator = ElementManagerSimulator(kind="cas")
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def cas(simulator, transactional_db) -> ExternalSystem:
    return ExternalSystem.objects.create(
        code="cas", name="Conditional access", kind="service_management",
        service_kind="tv_package", base_url=simulator.url,
        # Short timeouts and a short circuit so the module stays fast; reads
        # well inside the lease, so the sweeper never takes back a live call.
        connect_timeout_ms=500, read_timeout_ms=2500,
        # High enough that nothing dies during an outage.
        max_attempts=100,
        circuit_failure_threshold=FAILURE_THRESHOLD, circuit_reset_seconds=RESET_SECONDS,
    )


# Helpers ------------------------------------------------------------------------


def enqueue_commands(system: ExternalSystem, count: int, *, prefix: str,
                     subscribers: int | None = None) -> list[str]:
    """`count` commands written in one transaction, as a service would:
    with `subscribers`, each subscriber gets its commands in order."""
    keys = []
    with transaction.atomic():
        for number in range(count):
            subscriber = number % subscribers if subscribers else number
            command = COMMANDS[(number // subscribers) % len(COMMANDS)] if subscribers else (
                "enable")
            key = f"{prefix}-{number:04d}"
            services.outbox_enqueue(
                destination=system, kind=f"service_order.{command}",
                payload={"service_id": f"SVC-{subscriber}", "subscriber": f"C{subscriber:05d}"},
                idempotency_key=key,
                ordering_key=f"subscriber-{subscriber}" if subscribers else "",
            )
            keys.append(key)
    return keys


def status_counts(system: ExternalSystem) -> dict[str, int]:
    return dict(
        OutboxMessage.objects.filter(destination=system).values_list("status")
        .annotate(count=Count("id")).order_by()
    )


def wait_for(system: ExternalSystem, done: Callable[[dict[str, int]], bool], *,
             seconds: float, what: str, worker: CeleryWorker | None = None,
             sweep_every: float | None = None) -> dict[str, int]:
    """Poll the outbox until `done(status counts)`, sweeping every
    `sweep_every` seconds if asked. Returns the totals of the sweeps' results
    with the final counts; fails with the counts, the circuit and the end of
    the worker's log when the time is up."""
    deadline = time.monotonic() + seconds
    next_sweep = time.monotonic() + (sweep_every or 0)
    swept: Counter[str] = Counter()
    while True:
        counts = status_counts(system)
        if done(counts):
            return {**counts, **{f"swept_{key}": value for key, value in swept.items()}}
        now = time.monotonic()
        if now >= deadline:
            system.refresh_from_db()
            pytest.fail(
                f"Timed out after {seconds:g} s waiting for {what}. Outbox: {counts}; "
                f"sweeps: {dict(swept)}; circuit: {system.circuit_state} "
                f"(failures {system.consecutive_failures}, last error {system.last_error!r})"
                + (f"\nWorker log:\n{worker.tail()}" if worker else "")
            )
        if sweep_every is not None and now >= next_sweep:
            swept.update(services.outbox_sweep())
            next_sweep = now + sweep_every
        time.sleep(0.1)


def all_delivered(total: int) -> Callable[[dict[str, int]], bool]:
    return lambda counts: counts.get("delivered", 0) == total


def call_started(attempt: DeliveryAttempt):
    """When the call began, at the latest: the row is written after it ends."""
    return attempt.created_at - timedelta(milliseconds=attempt.duration_ms)


# Tests --------------------------------------------------------------------------


def test_it_delivers_every_command_once_after_the_element_manager_comes_back(
    broker, start_worker, simulator, cas
):
    # Given a worker, and an element manager that refuses connections for 4 s
    worker = start_worker(broker)
    simulator.fail("refuse", seconds=4)

    # When 200 commands for 50 subscribers are written in one transaction,
    # with no sweeper: no task is lost here, so recovery must come from the
    # delivery path itself (retries probe, a probe's success hands out what
    # was held back)
    keys = enqueue_commands(cas, 200, prefix="outage", subscribers=50)
    counts = wait_for(cas, all_delivered(200), seconds=60, what="200 delivered messages",
                      worker=worker)

    # Then all 200 are delivered, and the element manager applied each key once
    assert {key: value for key, value in counts.items() if not key.startswith("swept")} == {
        "delivered": 200}
    state = simulator.state()
    assert state["applied_count"] == 200
    assert len(set(state["applied_keys"])) == 200
    assert set(state["applied_keys"]) == set(keys)
    assert state["replays"] == 0
    # ...each subscriber's commands in the order they were written
    for subscriber in range(50):
        written = [key for number, key in enumerate(keys) if number % 50 == subscriber]
        assert [key for key in state["applied_keys"] if key in written] == written

    attempts = list(DeliveryAttempt.objects.filter(message__destination=cas).order_by("id"))
    failures = [attempt for attempt in attempts if attempt.outcome == "retryable"]
    assert failures, "the outage made no call fail: it started too late"
    assert {attempt.error.split(": ", 1)[1] for attempt in failures} == {
        "connection refused or unreachable"}
    assert Counter(attempt.outcome for attempt in attempts)["delivered"] == 200
    # ...the circuit opened after 5 failures: beyond them, only the calls
    # the other 3 worker processes had already decided on went out unprobed
    unprobed_failures = [attempt for attempt in failures if not attempt.is_probe]
    assert FAILURE_THRESHOLD <= len(unprobed_failures) <= FAILURE_THRESHOLD + CONCURRENCY - 1
    # ...while open, one probe at a time, at most one per reset period, and
    # the one that succeeded closed it
    probes = [attempt for attempt in attempts if attempt.is_probe]
    assert [probe.outcome for probe in probes] == ["retryable"] * (len(probes) - 1) + [
        "delivered"]
    starts = [call_started(probe) for probe in probes]
    spacing = timedelta(seconds=RESET_SECONDS) - PROBE_SPACING_TOLERANCE
    assert all(later - earlier >= spacing for earlier, later in pairwise(starts)), starts
    # ...and no other call succeeded before that probe had
    recovered_at = probes[-1].created_at
    assert all(call_started(attempt) >= recovered_at for attempt in attempts
               if attempt.outcome == "delivered" and not attempt.is_probe)
    cas.refresh_from_db()
    assert (cas.circuit_state, cas.consecutive_failures) == ("closed", 0)


def test_it_retries_a_dropped_response_with_the_same_key_and_applies_it_once(
    broker, start_worker, simulator, cas
):
    # Given a worker, and an element manager that will apply the next command
    # and drop the connection before answering
    worker = start_worker(broker)
    simulator.fail("drop_after_apply", count=1)

    # When one command is written
    [key] = enqueue_commands(cas, 1, prefix="dropped")
    wait_for(cas, all_delivered(1), seconds=20, what="the message delivered", worker=worker)

    # Then the retry carried the same key: applied once, answered as a replay
    state = simulator.state()
    assert (state["applied_count"], state["applied_keys"]) == (1, [key])
    assert (state["requests"], state["replays"]) == (2, 1)
    message = OutboxMessage.objects.get(destination=cas)
    assert (message.status, message.attempts, message.last_error) == ("delivered", 2, "")
    [applied] = simulator.applied()
    assert message.response == applied["response"]
    assert message.response["externalId"] == key
    attempts = list(message.delivery_attempts.order_by("id"))
    assert [attempt.outcome for attempt in attempts] == ["retryable", "delivered"]
    assert "connection lost" in attempts[0].error
    assert not any(attempt.is_probe for attempt in attempts)


def test_it_delivers_what_a_killed_worker_left_through_the_sweeper(
    broker, start_worker, simulator, cas
):
    # Given a worker delivering 40 commands to a slow element manager
    worker = start_worker(broker)
    simulator.fail("slow", seconds=1.0)
    keys = enqueue_commands(cas, 40, prefix="killed")
    wait_for(cas, lambda counts: counts.get("delivered", 0) >= 4
             and counts.get("delivering", 0) >= 1,
             seconds=30, what="deliveries under way", worker=worker)

    # When the worker is killed mid-delivery, and another one starts
    worker.kill()
    stuck = set(OutboxMessage.objects.filter(destination=cas, status="delivering")
                .values_list("idempotency_key", flat=True))
    assert stuck
    simulator.fail("none")
    worker = start_worker(broker)
    result = wait_for(cas, all_delivered(40), seconds=40, what="40 delivered messages",
                      worker=worker, sweep_every=1.0)

    # Then the sweeper took back every message the killed worker held, and
    # nothing was lost or applied twice
    assert result["swept_recovered"] == len(stuck)
    state = simulator.state()
    assert state["applied_count"] == 40
    assert set(state["applied_keys"]) == set(keys)
    # A killed call may have been applied after all: its retry is a replay.
    assert state["replays"] <= len(stuck)
    messages = OutboxMessage.objects.filter(destination=cas)
    assert {message.idempotency_key for message in messages if message.attempts == 2} == stuck
    # A killed call left no attempt row; each message has one delivered call.
    assert Counter(DeliveryAttempt.objects.filter(message__destination=cas)
                   .values_list("outcome", flat=True)) == {"delivered": 40}


@pytest.mark.skipif(shutil.which("redis-server") is None,
                    reason="restarting Redis needs a redis-server of the test's own")
def test_it_delivers_what_a_redis_restart_lost_through_the_sweeper(
    lease, start_worker, simulator, cas, tmp_path
):
    # Given a Redis of the test's own, and a worker delivering 60 commands
    # to a slow element manager through it
    server = RedisServer(tmp_path)
    server.start()
    worker = None
    try:
        with publishing_to(server.url):
            worker = start_worker(server.url)
            simulator.fail("slow", seconds=0.3)
            keys = enqueue_commands(cas, 60, prefix="restart")
            wait_for(cas, lambda counts: counts.get("delivered", 0) >= 8,
                     seconds=30, what="8 delivered messages", worker=worker)

            # When Redis restarts, empty, mid-delivery
            server.stop()
            server.start()
            drop_broker_connections()
            client = redis.Redis.from_url(server.url)
            assert client.llen("provisioning") == 0  # the queued tasks are gone
            waiting = set(OutboxMessage.objects.filter(destination=cas, status="pending")
                          .values_list("idempotency_key", flat=True))
            assert waiting
            simulator.fail("none")
            result = wait_for(cas, all_delivered(60), seconds=40, what="60 delivered messages",
                              worker=worker, sweep_every=1.0)
    finally:
        if worker is not None:
            worker.stop()  # while its broker is up: a warm shutdown
        server.stop()

    # Then the sweeper handed out what the restart lost (all but the few
    # tasks the worker had already taken from Redis before it went down),
    # and each key was applied once
    assert result["swept_scheduled"] >= len(waiting) - CONCURRENCY
    assert set(OutboxMessage.objects.filter(idempotency_key__in=waiting, status="delivered")
               .values_list("idempotency_key", flat=True)) == waiting
    state = simulator.state()
    assert state["applied_count"] == 60
    assert set(state["applied_keys"]) == set(keys)
    assert Counter(DeliveryAttempt.objects.filter(message__destination=cas)
                   .values_list("outcome", flat=True)) == {"delivered": 60}
