"""Hand out due outbox and inbound messages again: what Celery beat runs
every few seconds in production, as a loop for the embedded demo (where
tasks run in-process and nothing else would retry)."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from integrations import services


class Command(BaseCommand):
    help = "Deliver due outbox messages and process waiting inbound messages."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep sweeping until stopped.")
        parser.add_argument("--interval", type=float, default=2.0,
                            help="Seconds between sweeps with --loop (default 2).")

    def handle(self, *args, loop: bool, interval: float, **options):
        if interval <= 0:
            self.stderr.write("--interval must be positive.")
            return
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            close_old_connections()
            outbox = services.outbox_sweep()
            inbound = services.inbound_sweep()
            if outbox["recovered"] or outbox["scheduled"] or inbound or not loop:
                self.stdout.write(
                    f"outbox: {outbox['scheduled']} handed out, {outbox['recovered']} recovered; "
                    f"inbound: {inbound} handed out"
                )
            if not loop or stopping:
                return
            time.sleep(interval)
            if stopping:
                return
