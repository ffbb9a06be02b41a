"""What `simulate_element_manager` and `simulate_printing_house` share:
their options, reading the registry entry of the system they play, and
serving until Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import signal
import threading
from argparse import ArgumentParser
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from integrations.choices import NETWORK_KINDS, SystemKind
from integrations.simulators.server import SERVICE_KINDS, ElementManagerSimulator
from sesmu.choices import ServiceKind

DEFAULT_SESMU_URL = "http://127.0.0.1:8000"

# Which simulator plays a service management system, by the service it runs.
SIMULATOR_FOR_SERVICE = {
    ServiceKind.TV_PACKAGE: "cas",
    ServiceKind.PAY_PER_VIEW: "cas",
    ServiceKind.IMPULSE_PAY_PER_VIEW: "cas",
    ServiceKind.NEAR_VIDEO_ON_DEMAND: "cas",
    ServiceKind.INTERNET_ACCESS: "isp",
    ServiceKind.EMAIL: "isp",
    ServiceKind.FTP: "isp",
    ServiceKind.WEB_HOSTING: "isp",
    ServiceKind.HOME_BANKING: "banking",
    ServiceKind.HOME_SHOPPING: "shopping",
}


@dataclass(frozen=True)
class SystemSettings:
    """What a registry entry tells a simulator about the system it plays."""

    kind: str
    port: int | None
    accept_token: str
    hmac_secret: str


def simulator_kind_for(system_kind: str, service_kind: str) -> str:
    if system_kind in NETWORK_KINDS:
        return "network"
    if system_kind == SystemKind.PRINTING_HOUSE:
        return "printing"
    if system_kind == SystemKind.EXTERNAL_BILLING:
        return "billing"
    if system_kind == SystemKind.SERVICE_MANAGEMENT:
        return SIMULATOR_FOR_SERVICE.get(service_kind, "cas")
    raise CommandError(f"no simulator plays systems of kind {system_kind!r}")


def settings_from_system(code: str) -> SystemSettings:
    """Read the registry entry `code`: the simulator's kind, its port (from
    the base URL SESMU calls), the bearer token SESMU will present (its
    outbound token) and the HMAC secret of the newest valid inbound
    credential. The inbound token itself is stored hashed and cannot be read
    back: it comes from an option or SESMU_SIM_TOKEN."""
    from integrations.models import ExternalSystem

    system = ExternalSystem.objects.filter(code=code).first()
    if system is None:
        raise CommandError(f"No external system with code {code!r}.")
    credential = (
        system.inbound_credentials
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now()))
        .order_by("-created_at", "-id")
        .first()
    )
    return SystemSettings(
        kind=simulator_kind_for(system.kind, system.service_kind),
        port=urlsplit(system.base_url).port,
        accept_token=system.outbound_token,
        hmac_secret=credential.hmac_secret if credential else "",
    )


def add_simulator_arguments(parser: ArgumentParser, *, kinds: tuple[str, ...] | None) -> None:
    if kinds is not None:
        parser.add_argument("--kind", choices=kinds,
                            help="The system to play (taken from --system when omitted).")
    parser.add_argument("--port", type=int,
                        help="Port to listen on; 0 picks a free one (default: the port of "
                             "the --system base URL).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--sesmu-url", default=os.environ.get("SESMU_URL", DEFAULT_SESMU_URL),
                        help="Where pushed messages go (default: $SESMU_URL or "
                             f"{DEFAULT_SESMU_URL}).")
    parser.add_argument("--system", metavar="CODE",
                        help="Play the registry's external system CODE: its kind, port, "
                             "outbound token and HMAC secret.")
    parser.add_argument("--inbound-token", default=os.environ.get("SESMU_SIM_TOKEN", ""),
                        help="Token presented to SESMU when pushing (default: "
                             "$SESMU_SIM_TOKEN).")
    parser.add_argument("--hmac-secret", default=os.environ.get("SESMU_SIM_SECRET", ""),
                        help="Secret that signs pushed messages (default: $SESMU_SIM_SECRET, "
                             "or the --system's newest valid credential).")
    parser.add_argument("--accept-token", default=os.environ.get("SESMU_SIM_ACCEPT_TOKEN"),
                        help="Bearer token SESMU must present (default: "
                             "$SESMU_SIM_ACCEPT_TOKEN, or the --system's outbound token; "
                             "none: any caller).")


def resolve_options(options: dict[str, Any], *, kind: str | None) -> dict[str, Any]:
    """The simulator's arguments from the command line, the environment and
    the registry entry, in that order of precedence."""
    kind = kind or options.get("kind")
    port = options.get("port")
    accept_token = options.get("accept_token")
    hmac_secret = options.get("hmac_secret") or ""
    if options.get("system"):
        from_registry = settings_from_system(options["system"])
        if kind and kind != from_registry.kind and not (
            kind in SERVICE_KINDS and from_registry.kind in SERVICE_KINDS
        ):
            raise CommandError(f"System {options['system']!r} is played by a "
                               f"{from_registry.kind} simulator, not {kind}.")
        kind = kind or from_registry.kind
        port = from_registry.port if port is None else port
        accept_token = accept_token if accept_token is not None else from_registry.accept_token
        hmac_secret = hmac_secret or from_registry.hmac_secret
    if not kind:
        raise CommandError("Give --kind, or --system to take it from the registry.")
    if port is None:
        raise CommandError("Give --port, or --system whose base URL has a port.")
    return {
        "kind": kind,
        "host": options["host"],
        "port": port,
        "sesmu_url": options.get("sesmu_url") or None,
        "inbound_token": options.get("inbound_token") or None,
        "hmac_secret": hmac_secret or None,
        "accept_token": accept_token or None,
    }


def serve(command: BaseCommand, arguments: dict[str, Any]) -> None:
    """Serve until Ctrl-C or SIGTERM, one log line per request."""
    write_lock = threading.Lock()

    def log(line: str) -> None:
        # Handler threads write concurrently; one line at a time, flushed so
        # honcho shows it at once.
        with write_lock:
            command.stdout.write(line)
            command.stdout.flush()

    simulator = ElementManagerSimulator(**arguments, log=log)
    try:
        simulator.start()
    except OSError as problem:
        raise CommandError(f"Cannot listen on {arguments['host']}:{arguments['port']}: "
                           f"{problem}")
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = {}
    if in_main_thread:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    pushing = (f"pushes to {simulator.sesmu_url}" if simulator.inbound_token
               and simulator.hmac_secret else "pushing off: no inbound token or HMAC secret")
    log(f"{simulator.kind} simulator listening on {simulator.url} ({pushing})")
    try:
        while not stop.wait(0.2):
            pass
    finally:
        simulator.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        log(f"{simulator.kind} simulator stopped")
