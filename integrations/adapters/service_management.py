"""Commands to a service management system (the conditional access system of
TV, the ISP platform, the home-banking and home-shopping platforms), shaped
as TM Forum TMF641 service orders.

One command is one service order with one item. The order's `externalId` is
the outbox idempotency key, so the element manager's own records point back
to SESMU's message. The body is built only from the payload (no clock, no
random id): sending the same message again produces the same bytes, which is
what a receiver comparing a replayed key against its first body expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integrations.adapters.http import HttpAdapter
from integrations.adapters.kinds import SERVICE_ORDER_PREFIX
from integrations.errors import PermanentError

SERVICE_ORDER_PATH = "/tmf-api/serviceOrdering/v4/serviceOrder"


@dataclass(frozen=True)
class CommandShape:
    """How one SESMU command reads as a TMF641 order item."""

    action: str  # TMF641 item action: add, modify, delete
    state: str  # the service state the order asks for
    required: tuple[str, ...] = ()  # payload keys the command cannot do without


DEVICE_KEYS = ("device_serial",)

COMMANDS: dict[str, CommandShape] = {
    "enable": CommandShape("add", "active"),
    "disable": CommandShape("delete", "terminated"),
    "suspend": CommandShape("modify", "suspended"),
    "resume": CommandShape("modify", "active"),
    "degrade": CommandShape("modify", "active"),
    "restore": CommandShape("modify", "active"),
    "change_package": CommandShape("modify", "active", ("package",)),
    "authorise_device": CommandShape("modify", "active", DEVICE_KEYS),
    "blacklist_device": CommandShape("modify", "active", DEVICE_KEYS),
    "unblacklist_device": CommandShape("modify", "active", DEVICE_KEYS),
}

DEVICE_STATUS = {
    "authorise_device": "authorised",
    "blacklist_device": "blacklisted",
    "unblacklist_device": "unblacklisted",
}


def service_order_body(command: str, payload: dict[str, Any], idempotency_key: str,
                       *, service_type: str = "") -> dict[str, Any]:
    """The TMF641 service order for a command.

    Payload keys: `service_id` (required), `subscriber` (the customer's
    reference, optional), `characteristics` (a dict of extra name → value,
    optional), and per command: `package` for change_package, `profile` for
    degrade (optional), `device_serial` and `device_kind` (optional) for the
    device commands. Raises PermanentError for an unknown command or a
    missing key: no retry makes such a message deliverable."""
    shape = COMMANDS.get(command)
    if shape is None:
        raise PermanentError(f"unknown service management command {command!r}")
    missing = [key for key in ("service_id", *shape.required) if not payload.get(key)]
    if missing:
        raise PermanentError(f"command {command!r} needs {', '.join(missing)} in its payload")

    characteristics: list[dict[str, Any]] = []
    if command == "degrade":
        characteristics.append({"name": "degraded", "value": True})
        if payload.get("profile"):
            characteristics.append({"name": "degradedProfile", "value": payload["profile"]})
    elif command == "restore":
        characteristics.append({"name": "degraded", "value": False})
    elif command == "change_package":
        characteristics.append({"name": "package", "value": payload["package"]})
    elif command in DEVICE_STATUS:
        characteristics.append({"name": "deviceSerial", "value": payload["device_serial"]})
        if payload.get("device_kind"):
            characteristics.append({"name": "deviceKind", "value": payload["device_kind"]})
        characteristics.append({"name": "deviceStatus", "value": DEVICE_STATUS[command]})
    extra = payload.get("characteristics") or {}
    if not isinstance(extra, dict):
        raise PermanentError(f"command {command!r}: characteristics must be a name → value map")
    characteristics.extend({"name": name, "value": value} for name, value in sorted(extra.items()))

    service: dict[str, Any] = {"id": str(payload["service_id"]), "state": shape.state}
    if service_type:
        service["serviceType"] = service_type
    if characteristics:
        service["serviceCharacteristic"] = characteristics
    order: dict[str, Any] = {
        "externalId": idempotency_key,
        "category": command,
        "serviceOrderItem": [{"id": "1", "action": shape.action, "service": service}],
    }
    if payload.get("subscriber"):
        order["relatedParty"] = [
            {"id": str(payload["subscriber"]), "role": "customer", "@referredType": "Customer"}
        ]
    return order


class ServiceManagementAdapter(HttpAdapter):
    """Sends provisioning commands (enable, suspend, change package, authorise
    or blacklist a smart card or modem...) to one service's platform."""

    def send_command(self, command: str, payload: dict[str, Any],
                     idempotency_key: str) -> dict[str, Any]:
        """POST the command as a service order; returns the element manager's
        acknowledgement (the order with its id and state)."""
        body = service_order_body(command, payload, idempotency_key,
                                  service_type=self.system.service_kind)
        return self.request("POST", SERVICE_ORDER_PATH, json=body,
                            idempotency_key=idempotency_key)

    def deliver(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        prefix, _, command = kind.partition(".")
        if prefix != SERVICE_ORDER_PREFIX or not command:
            raise PermanentError(f"a service management system cannot take {kind!r}")
        return self.send_command(command, payload, idempotency_key)
