"""The demo registry: one simulator per external system, on local ports,
started by `make run` beside the web server (see Procfile)."""

from __future__ import annotations

from integrations import services
from integrations.models import ExternalSystem, OutboxMessage

# code, name, kind, service kind, simulator kind, port
DEMO_SYSTEMS = [
    ("cas", "Conditional access (TV)", "service_management", "tv_package", "cas", 8101),
    ("isp", "ISP platform (Internet, e-mail)", "service_management", "internet", "isp", 8102),
    ("banking", "Home-banking platform", "service_management", "home_banking", "banking", 8103),
    ("shopping", "Home-shopping platform", "service_management", "home_shopping", "shopping",
     8104),
    ("access-network", "Access network manager", "network_access", "", "network", 8105),
    ("printing", "Printing house", "printing_house", "", "printing", 8106),
]


def demo_token(code: str) -> str:
    return f"demo-{code}-inbound-token"


def demo_secret(code: str) -> str:
    return f"demo-{code}-hmac-secret"


def seed_registry() -> list[ExternalSystem]:
    systems = []
    for code, name, kind, service_kind, _simulator, port in DEMO_SYSTEMS:
        system, _created = ExternalSystem.objects.get_or_create(
            code=code,
            defaults={"name": name, "kind": kind, "service_kind": service_kind,
                      "base_url": f"http://127.0.0.1:{port}",
                      "outbound_token": f"demo-{code}-outbound", "circuit_reset_seconds": 10},
        )
        services.inbound_credential_create_known(system=system, token=demo_token(code),
                                                 hmac_secret=demo_secret(code))
        systems.append(system)
    return systems


def seed_outbox(customer_numbers: list[str]) -> int:
    """A few TV enable commands for demo customers, so the supervisor page
    shows real deliveries (they wait while the simulators start)."""
    cas = ExternalSystem.objects.get(code="cas")
    created = 0
    for number in customer_numbers:
        key = f"demo-enable-{number}"
        if OutboxMessage.objects.filter(destination=cas, idempotency_key=key).exists():
            continue
        services.outbox_enqueue(
            destination=cas, kind="service_order.enable",
            payload={"service_id": f"TV-{number}", "subscriber": number,
                     "characteristics": {"package": "basic"}},
            idempotency_key=key, ordering_key=number, source_kind="demo", source_id=number,
        )
        created += 1
    return created
