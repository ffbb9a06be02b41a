"""Run a simulated printing house as a real HTTP server, for the demo and for
print-batch delivery tests."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from integrations.simulators.command import add_simulator_arguments, resolve_options, serve


class Command(BaseCommand):
    help = ("Serve a simulated printing house (POST /printing/v1/batches) on --port until "
            "Ctrl-C. Control API under /_sim/.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_simulator_arguments(parser, kinds=None)

    def handle(self, *args: Any, **options: Any) -> None:
        serve(self, resolve_options(options, kind="printing"))
