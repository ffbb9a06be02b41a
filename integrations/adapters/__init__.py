"""Outbound adapters: one per kind of external system, all built on
`HttpAdapter` (timeouts, bearer token, idempotency key, retryable versus
permanent failures).

`deliver(message)` is the single entry point of the outbox: it picks the
destination's adapter and lets it route the message by its kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from integrations.adapters.external_billing import ExternalBillingAdapter
from integrations.adapters.http import HttpAdapter
from integrations.adapters.network_management import NetworkManagementAdapter
from integrations.adapters.payment_gateway import PaymentGatewayAdapter
from integrations.adapters.printing_house import PrintingHouseAdapter
from integrations.adapters.service_management import ServiceManagementAdapter
from integrations.choices import NETWORK_KINDS, SystemKind
from integrations.errors import PermanentError

if TYPE_CHECKING:
    from integrations.models import ExternalSystem, OutboxMessage

__all__ = [
    "ExternalBillingAdapter", "HttpAdapter", "NetworkManagementAdapter", "PaymentGatewayAdapter",
    "PrintingHouseAdapter", "ServiceManagementAdapter", "adapter_for", "deliver",
]

ADAPTERS: dict[str, type[HttpAdapter]] = {
    **dict.fromkeys(NETWORK_KINDS, NetworkManagementAdapter),
    SystemKind.SERVICE_MANAGEMENT: ServiceManagementAdapter,
    SystemKind.PRINTING_HOUSE: PrintingHouseAdapter,
    SystemKind.EXTERNAL_BILLING: ExternalBillingAdapter,
    SystemKind.PAYMENT_GATEWAY: PaymentGatewayAdapter,
}


def adapter_for(system: ExternalSystem) -> HttpAdapter:
    """A fresh adapter (with its own HTTP session) for the system's kind."""
    adapter_class = ADAPTERS.get(system.kind)
    if adapter_class is None:
        raise PermanentError(f"no adapter for systems of kind {system.kind!r}")
    return adapter_class(system)


def deliver(message: OutboxMessage) -> dict[str, Any]:
    """Make the one call an outbox message stands for and return the
    receiver's answer. Raises RetryableError or PermanentError; never retries
    itself. The message's idempotency key travels with the call, so a retry
    after a lost answer is applied once by the receiver."""
    with adapter_for(message.destination) as adapter:
        return adapter.deliver(message.kind, message.payload or {}, message.idempotency_key)
