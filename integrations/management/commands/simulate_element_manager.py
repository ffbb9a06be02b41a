"""Run a simulated element manager (service, network) or external billing
system as a real HTTP server, for the demo and for delivery tests."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from integrations.simulators.command import add_simulator_arguments, resolve_options, serve
from integrations.simulators.server import SERVICE_KINDS

KINDS = (*SERVICE_KINDS, "network", "billing")


class Command(BaseCommand):
    help = ("Serve a simulated element manager (cas, isp, banking, shopping, network) or "
            "external billing system on --port until Ctrl-C. Control API under /_sim/.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_simulator_arguments(parser, kinds=KINDS)

    def handle(self, *args: Any, **options: Any) -> None:
        serve(self, resolve_options(options, kind=None))
