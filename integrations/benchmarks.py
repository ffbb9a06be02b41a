"""Benchmarks of the integrations app.

- outbox_delivery: how many messages a second the transactional outbox
  delivers to an element manager, end to end: N commands written in one
  transaction, handed to a real Celery worker through Redis, each claimed,
  sent as a TMF641 service order over HTTP with its idempotency key, and
  marked delivered. The baseline is the element-manager simulator's own
  capacity on this machine now: the same number of raw service orders
  (distinct keys) posted straight at it with `requests` from as many client
  threads as the worker has processes, each thread keeping its connection
  open. `ratio_to_simulator` is the outbox's rate over that one; it is
  steadier than either figure on a shared machine.

The simulator runs in its own process (`manage.py simulate_element_manager`),
not in a thread of this one: during the baseline this process's client
threads would otherwise share one interpreter lock with the server, and make
the baseline look slower than the simulator is. The worker is
`celery -A sesmu worker` on the bench database, with Redis database 13 as
its broker (BENCH_REDIS_URL overrides; it is flushed before and after).

BENCH_OUTBOX_MESSAGES (default 2000), BENCH_OUTBOX_CONCURRENCY (default 4)
and BENCH_OUTBOX_ROUNDS (default 3) change the size; each metric is the
median of the rounds. Only the bench's own external system and its messages
are written, and they are removed at the end."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import redis
import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Count

from integrations import services
from integrations.adapters.http import IDEMPOTENCY_KEY_HEADER
from integrations.adapters.service_management import SERVICE_ORDER_PATH, service_order_body
from integrations.celery_worker import CeleryWorker, child_environment, publishing_to, tail
from integrations.models import ExternalSystem, OutboxMessage
from sesmu.benchmarks import Report, benchmark

DEFAULT_MESSAGES = 2000
DEFAULT_CONCURRENCY = 4
DEFAULT_ROUNDS = 3
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/13"
WARM_UP_MESSAGES = 100
SYSTEM_CODE = "bench-outbox"
START_SECONDS = 60
POLL_SECONDS = 0.05
LISTENING = re.compile(r"listening on (http://\S+)")


def _whole_number(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}.")
    return value


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group (a worker and its pool), then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@contextlib.contextmanager
def _simulator(directory: Path, report: Report) -> Iterator[str]:
    """The cas simulator in a process of its own; yields its URL."""
    log_path = directory / "simulator.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "simulate_element_manager", "--kind", "cas",
             "--port", "0"],
            cwd=settings.BASE_DIR, env=child_environment(), stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        url = None
        while url is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The simulator did not start:\n{tail(log_path)}")
            found = LISTENING.search(log_path.read_text(errors="replace"))
            url = found.group(1) if found else None
            time.sleep(0.05)
        report.progress(f"simulator at {url} (process {process.pid})")
        yield url
    finally:
        _stop(process)


@contextlib.contextmanager
def _worker(directory: Path, broker_url: str, concurrency: int,
            report: Report) -> Iterator[None]:
    """`celery -A sesmu worker` on the bench database and the bench broker."""
    worker = CeleryWorker(broker_url=broker_url, log_path=directory / "worker.log",
                          concurrency=concurrency, loglevel="WARNING", name="bench-outbox")
    worker.start()
    try:
        report.progress(f"worker {worker.hostname} ready, {concurrency} processes")
        yield
    finally:
        worker.stop()


def _bench_system(url: str) -> ExternalSystem:
    system, _created = ExternalSystem.objects.update_or_create(
        code=SYSTEM_CODE,
        defaults={
            "name": "Bench conditional access", "kind": "service_management",
            "service_kind": "tv_package", "base_url": url, "enabled": True,
            "connect_timeout_ms": 2000, "read_timeout_ms": 10000, "max_attempts": 100,
            "circuit_state": "closed", "circuit_opened_at": None, "consecutive_failures": 0,
        },
    )
    _forget_messages(system)
    return system


def _forget_messages(system: ExternalSystem) -> None:
    # Attempts go with their messages (cascade).
    OutboxMessage.objects.filter(destination=system).delete()


def _simulator_call(url: str, path: str, method: str = "GET") -> dict:
    response = requests.request(method, f"{url}{path}", timeout=10)
    response.raise_for_status()
    return response.json()


def _raw_requests_per_second(url: str, count: int, threads: int, round_number: int) -> float:
    """`count` service orders posted straight at the simulator by `threads`
    threads, one kept-alive connection each; the same bodies the adapter
    sends."""
    keys = iter(range(count))
    lock = threading.Lock()
    failures: list[str] = []
    start = threading.Barrier(threads + 1)

    def post_until_done() -> None:
        with requests.Session() as session:
            start.wait()
            while True:
                with lock:
                    number = next(keys, None)
                if number is None:
                    return
                key = f"raw-{round_number}-{number:06d}"
                body = service_order_body("enable", {"service_id": f"SVC-{number}"}, key,
                                          service_type="tv_package")
                response = session.post(f"{url}{SERVICE_ORDER_PATH}", json=body,
                                        headers={IDEMPOTENCY_KEY_HEADER: key}, timeout=10)
                if response.status_code != 201:
                    failures.append(f"{key}: HTTP {response.status_code}")

    workers = [threading.Thread(target=post_until_done) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} raw requests failed, e.g. {failures[0]}")
    return count / seconds


def _outbox_messages_per_second(system: ExternalSystem, count: int, round_number: int,
                                report: Report) -> float:
    """`count` commands written in one transaction; seconds from its commit
    until the last is marked delivered."""
    committed: list[float] = []
    writing = time.perf_counter()
    with transaction.atomic():
        # Registered first, so it runs first after the commit: the clock
        # starts before any task is published.
        transaction.on_commit(lambda: committed.append(time.perf_counter()))
        for number in range(count):
            services.outbox_enqueue(
                destination=system, kind="service_order.enable",
                payload={"service_id": f"SVC-{number}", "subscriber": f"C{number:07d}"},
                idempotency_key=f"outbox-{round_number}-{number:06d}",
            )
        wrote = time.perf_counter()
    published = time.perf_counter()
    report.progress(f"round {round_number}: wrote {count} messages in {wrote - writing:.2f} s, "
                    f"published their tasks in {published - committed[0]:.2f} s")
    deadline = committed[0] + max(120.0, count / 5)
    while True:
        delivered = OutboxMessage.objects.filter(destination=system, status="delivered").count()
        now = time.perf_counter()
        if delivered == count:
            return count / (now - committed[0])
        if now > deadline:
            counts = dict(OutboxMessage.objects.filter(destination=system)
                          .values_list("status").annotate(n=Count("id")).order_by())
            raise RuntimeError(f"Round {round_number}: not all delivered in time: {counts}")
        time.sleep(POLL_SECONDS)


@benchmark("outbox_delivery")
def outbox_delivery(report: Report) -> None:
    """Messages per second through the outbox and a Celery worker to a simulated element manager."""
    count = _whole_number("BENCH_OUTBOX_MESSAGES", DEFAULT_MESSAGES, 1)
    concurrency = _whole_number("BENCH_OUTBOX_CONCURRENCY", DEFAULT_CONCURRENCY, 1)
    rounds = _whole_number("BENCH_OUTBOX_ROUNDS", DEFAULT_ROUNDS, 1)
    broker_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_BROKER_URL)
    broker = redis.Redis.from_url(broker_url)
    try:
        broker.ping()
    except redis.RedisError as error:
        raise RuntimeError(f"The bench needs Redis at {broker_url} (BENCH_REDIS_URL): {error}")
    broker.flushdb()
    system = None
    with tempfile.TemporaryDirectory(prefix="bench-outbox-") as scratch, \
            _simulator(Path(scratch), report) as url, publishing_to(broker_url):
        try:
            system = _bench_system(url)
            with _worker(Path(scratch), broker_url, concurrency, report):
                # Warm up: imports, database connections, HTTP code paths.
                _outbox_messages_per_second(system, WARM_UP_MESSAGES, 0, report)
                _forget_messages(system)
                outbox_rates, raw_rates, ratios = [], [], []
                for round_number in range(1, rounds + 1):
                    _simulator_call(url, "/_sim/reset", "POST")
                    raw = _raw_requests_per_second(url, count, concurrency, round_number)
                    _simulator_call(url, "/_sim/reset", "POST")
                    rate = _outbox_messages_per_second(system, count, round_number, report)
                    state = _simulator_call(url, "/_sim/state")
                    if (state["applied_count"], state["replays"]) != (count, 0):
                        raise RuntimeError(f"Round {round_number}: the simulator applied "
                                           f"{state['applied_count']} keys with "
                                           f"{state['replays']} replays, not {count} once.")
                    _forget_messages(system)
                    report.progress(f"round {round_number}: outbox {rate:.0f} messages/s, "
                                    f"simulator {raw:.0f} requests/s, ratio {rate / raw:.3f}")
                    outbox_rates.append(rate)
                    raw_rates.append(raw)
                    ratios.append(rate / raw)
        finally:
            if system is not None:
                _forget_messages(system)
                system.delete()
            broker.flushdb()
    report.metric(metric="messages_per_s", value=statistics.median(outbox_rates), target=None,
                  higher_is_better=True)
    report.metric(metric="simulator_requests_per_s", kind="simulator_raw_requests",
                  value=statistics.median(raw_rates), target=None, higher_is_better=True)
    report.metric(metric="ratio_to_simulator", value=statistics.median(ratios), target=None,
                  baseline="simulator_raw_requests", higher_is_better=True)
