"""A real `celery -A sesmu worker` in a process of its own, and the switch
that makes this process publish tasks to a broker instead of running them
eagerly. Shared by the delivery tests and the outbox benchmark, which both
need a worker on the current database and a broker of their own."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import kombu.pools
from django.conf import settings
from django.db import connection
from django.test import override_settings

from sesmu.celery import app as celery_app

READY_SECONDS = 60


def current_database_url() -> str:
    """The database this process uses (the test or bench one), as a URL for
    a child process's settings."""
    database = connection.settings_dict
    user = quote(database["USER"] or "", safe="")
    password = quote(database["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(str(database['NAME']), safe='')}"


def child_environment(**values: str) -> dict[str, str]:
    """This process's environment for a child, without the test switch that
    would make it run tasks eagerly."""
    environment = {key: value for key, value in os.environ.items() if key != "SESMU_TESTING"}
    environment.update(values, PYTHONUNBUFFERED="1")
    return environment


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def drop_broker_connections() -> None:
    """Forget this process's pooled broker connections: the next publish
    opens one to the broker now configured."""
    # kombu keeps pools per broker URL in a registry of its own: empty it,
    # or the app would be handed the closed pool again.
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def publishing_to(broker_url: str) -> Iterator[None]:
    """This process publishes tasks to the broker, as the web processes do in
    production, instead of running them eagerly (tests, embedded default)."""
    keys = ("broker_url", "task_always_eager")
    # Read first: Celery loads its configuration from the Django settings at
    # the first access, and must not take the override below for good.
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(broker_url=broker_url, task_always_eager=False)
    drop_broker_connections()
    try:
        # services._schedule_delivery reads the Django setting: retries with
        # a countdown are published, not left to the sweeper as when eager.
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
            yield
    finally:
        celery_app.conf.update(saved)
        drop_broker_connections()


class CeleryWorker:
    """`celery -A sesmu worker` in a process group of its own, so it can be
    killed with its pool children like a machine losing the worker."""

    def __init__(self, *, broker_url: str, log_path: Path, queues: str = "provisioning",
                 concurrency: int = 4, loglevel: str = "INFO", name: str = "worker") -> None:
        self.broker_url = broker_url
        self.log_path = log_path
        self.queues = queues
        self.concurrency = concurrency
        self.loglevel = loglevel
        self.hostname = f"{name}-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        self.process: subprocess.Popen | None = None

    def start(self) -> CeleryWorker:
        """Start and wait until it answers a ping; RuntimeError with the end
        of its log if it does not."""
        environment = child_environment(DATABASE_URL=current_database_url(),
                                        REDIS_URL=self.broker_url, DEBUG="true")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-m", "celery", "-A", "sesmu", "worker",
                 "--queues", self.queues, "--concurrency", str(self.concurrency),
                 "--pool", "prefork", "--loglevel", self.loglevel, "--hostname", self.hostname,
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=settings.BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"The worker exited with {self.process.returncode}:\n{self.tail()}")
            if celery_app.control.ping(destination=[self.hostname], timeout=0.5):
                return self
        self.stop()
        raise RuntimeError(f"The worker did not answer a ping in {READY_SECONDS} s:\n"
                           f"{self.tail()}")

    def kill(self) -> None:
        """SIGKILL to the whole group: no warm shutdown, no acknowledgement."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)
        # The pool children die too; wait for them, so that what comes next
        # sees what the dead worker left, not what it still writes.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def stop(self) -> None:
        """A warm shutdown (SIGTERM), then SIGKILL to whatever is left."""
        if self.process is None or self.process.poll() is not None:
            self._signal_group(signal.SIGKILL)  # pool children a killed parent left
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=10)
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, signum: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)
