"""The kinds of outbox message the adapters know how to deliver.

An outbox row's `kind` names what to do at its destination: services write
these strings, `integrations.adapters.deliver` routes on them.
"""

from __future__ import annotations

SERVICE_ORDER_PREFIX = "service_order"
SERVICE_COMMANDS = (
    "enable", "disable", "suspend", "resume", "degrade", "restore", "change_package",
    "authorise_device", "blacklist_device", "unblacklist_device",
)
PRINT_BATCH_SUBMIT = "print_batch.submit"
BILLING_EXPORT_SUBMIT = "billing_export.submit"
PAYMENT_REFUND = "payment.refund"
PAYMENT_MANDATE = "payment.mandate"


def service_order_kind(command: str) -> str:
    """`service_order.<command>`, e.g. `service_order.suspend`."""
    if command not in SERVICE_COMMANDS:
        raise ValueError(f"unknown service management command {command!r}")
    return f"{SERVICE_ORDER_PREFIX}.{command}"
