"""Print batches sent to a printing house: bills and letters to be printed
and posted. The printing house acknowledges a batch with its own id; the
printing itself happens later on its side."""

from __future__ import annotations

from typing import Any

from integrations.adapters.http import HttpAdapter
from integrations.adapters.kinds import PRINT_BATCH_SUBMIT

BATCHES_PATH = "/printing/v1/batches"


class PrintingHouseAdapter(HttpAdapter):
    """Submits print batches to one printing house."""

    def submit_batch(self, batch: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """POST the batch; returns the acknowledgement `{"id", "status",
        "documentCount", ...}`. The key keeps a resent batch from being
        printed (and posted to customers) twice."""
        return self.request("POST", BATCHES_PATH, json=batch, idempotency_key=idempotency_key)

    def deliver(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        if kind != PRINT_BATCH_SUBMIT:
            return super().deliver(kind, payload, idempotency_key)
        return self.submit_batch(payload, idempotency_key)
