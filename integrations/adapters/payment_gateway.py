"""Requests to a payment gateway that SESMU starts itself (refunds, direct
debit mandates). Card payments arriving from the gateway come in through the
inbound endpoints, not here."""

from __future__ import annotations

from typing import Any

from integrations.adapters.http import HttpAdapter
from integrations.adapters.kinds import PAYMENT_MANDATE, PAYMENT_REFUND

PATHS = {
    PAYMENT_REFUND: "/payments/v1/refunds",
    PAYMENT_MANDATE: "/payments/v1/mandates",
}


class PaymentGatewayAdapter(HttpAdapter):
    """A generic JSON POST to the gateway; the key keeps a resent refund from
    paying out twice."""

    def post(self, path: str, body: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        return self.request("POST", path, json=body, idempotency_key=idempotency_key)

    def deliver(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        path = PATHS.get(kind)
        if path is None:
            return super().deliver(kind, payload, idempotency_key)
        return self.post(path, payload, idempotency_key)
