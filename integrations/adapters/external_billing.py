"""Exports to an external billing system, for the services it bills instead
of SESMU (rated records, subscriptions to invoice)."""

from __future__ import annotations

from typing import Any

from integrations.adapters.http import HttpAdapter
from integrations.adapters.kinds import BILLING_EXPORT_SUBMIT

EXPORTS_PATH = "/billing/v1/exports"


class ExternalBillingAdapter(HttpAdapter):
    """Sends billing exports to one external billing system."""

    def export(self, records: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """POST one export; returns its acknowledgement `{"id", "status",
        "recordCount", ...}`. The key keeps a resent export from being billed
        twice."""
        return self.request("POST", EXPORTS_PATH, json=records, idempotency_key=idempotency_key)

    def deliver(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        if kind != BILLING_EXPORT_SUBMIT:
            return super().deliver(kind, payload, idempotency_key)
        return self.export(payload, idempotency_key)
