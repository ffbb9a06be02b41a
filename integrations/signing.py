"""The signature of inbound messages: HMAC-SHA256 over the timestamp and the
raw body, hex-encoded, sent as `X-Sesmu-Signature: sha256=<hex>`.

Used by SESMU to verify and by the simulators (and any client) to sign."""

from __future__ import annotations

import hashlib
import hmac

HEADER_MESSAGE_ID = "X-Sesmu-Message-Id"
HEADER_TIMESTAMP = "X-Sesmu-Timestamp"
HEADER_SIGNATURE = "X-Sesmu-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signature_matches(secret: str, timestamp: str, body: bytes, presented: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp, body), presented or "")


def signed_headers(*, token: str, secret: str, message_id: str, timestamp: str,
                   body: bytes) -> dict[str, str]:
    """Every header an external system sends with a message."""
    return {
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        HEADER_MESSAGE_ID: message_id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_SIGNATURE: signature(secret, timestamp, body),
    }
