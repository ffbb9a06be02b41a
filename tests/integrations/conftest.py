from __future__ import annotations

import json
import time
import uuid

import pytest

from integrations import services
from integrations.models import ExternalSystem
from integrations.signing import signed_headers

TOKEN = "cas-inbound-token-0123456789"
SECRET = "cas-hmac-secret-abcdef"


@pytest.fixture
def cas_system(db):
    system = ExternalSystem.objects.create(
        code="cas", name="Conditional access", kind="service_management",
        service_kind="tv_package", base_url="http://127.0.0.1:9", outbound_token="out-secret",
    )
    services.inbound_credential_create_known(system=system, token=TOKEN, hmac_secret=SECRET)
    return system


@pytest.fixture
def on_commit_now(monkeypatch):
    """Run on_commit callbacks at once: the test's transaction never commits."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit",
                        lambda func, using=None, robust=False: func())


def signed(body: dict | bytes | list, *, token: str = TOKEN, secret: str = SECRET,
           message_id: str | None = None, timestamp_offset: int = 0) -> tuple[bytes, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = signed_headers(token=token, secret=secret,
                             message_id=message_id or uuid.uuid4().hex,
                             timestamp=str(int(time.time()) + timestamp_offset), body=raw)
    return raw, {f"HTTP_{key.upper().replace('-', '_')}": value for key, value in headers.items()
                 if key != "Content-Type"}


ALARM = {
    "id": "ALM-1", "alarmType": "communicationsAlarm", "perceivedSeverity": "major",
    "state": "raised", "alarmedObject": {"id": "OLT-MAD-01"}, "probableCause": "lossOfSignal",
}
