"""Simulated external systems (element managers, printing house, external
billing) as real HTTP servers, for the demo and the tests.

HTTP API of a simulator (JSON in and out; errors are `{"code", "message"}`):

Business endpoints, by kind. Writes need `Idempotency-Key` (400
`idempotency_key_missing` without); a repeated key gets the first answer
again with `Idempotent-Replayed: true`; the same key with another body gets
422 `idempotency_key_reused`. With an accept token, every business call
needs `Authorization: Bearer <token>` (401 otherwise).

- cas, isp, banking, shopping:
  `POST /tmf-api/serviceOrdering/v4/serviceOrder` (TMF641 order) → 201 order
  with `id` SO-nnnnnn and `state: completed`;
  `GET /tmf-api/serviceOrdering/v4/serviceOrder/<id>`;
  `GET /tmf-api/serviceInventory/v4/service/<service id>`.
- network: `GET /tmf-api/serviceability?postalCode=&street=&streetNumber=`,
  `GET /tmf-api/servingElement?postalCode=&medium=`.
- printing: `POST /printing/v1/batches` → 202 `{"id": "PB-nnnnnn", "status":
  "accepted", "documentCount", ...}`; `GET /printing/v1/batches/<id>`.
- billing: `POST /billing/v1/exports` → 202 `{"id": "EX-nnnnnn", "status":
  "accepted", "recordCount", ...}`; `GET /billing/v1/exports/<id>`.

Control API (not counted, not subject to failures):

- `GET /_sim/state` → `{"kind", "applied_count", "applied_keys", "requests",
  "replays", "mode"}`; `GET /_sim/applied` → `{"applied": [{"key", "command",
  "method", "path", "body", "status", "response", "applied_at"}]}`.
- `POST /_sim/reset` → the fresh state.
- `POST /_sim/fail` `{"mode": "none"|"refuse"|"error_503"|"slow"|
  "drop_after_apply", "seconds": float, "count": int}` → the state (for refuse:
  `{"mode": "refuse", "seconds"}`, then the port is closed for `seconds`).
- `POST /_sim/push` `{"kind": "usage_records"|"service_alarm"|"network_alarm"|
  "deployment_update", "body": {...}, "message_id": "optional"}` → SESMU's
  status and body, with the `X-Sesmu-Message-Id` that was sent; 502 when
  SESMU does not answer, 400 without push credentials.
"""

from integrations.simulators.server import FAIL_MODES, KINDS, ElementManagerSimulator

__all__ = ["FAIL_MODES", "KINDS", "ElementManagerSimulator"]
