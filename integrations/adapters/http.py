"""The one way SESMU calls an external system over HTTP.

Every adapter inherits from `HttpAdapter`, so every outbound call has explicit
connect and read timeouts, carries the system's bearer token, sends its
idempotency key on writes, and ends either in a JSON dict or in one of two
exceptions that tell the outbox what to do next:

- `RetryableError`: the system may not have seen the call, or may have applied
  it without our knowing (a dropped response). Sending the same message again
  with the same idempotency key is safe and may succeed later.
- `PermanentError`: the system understood the call and said no (a 4xx), or the
  call cannot even be made (a malformed URL). Sending it again will not help.

The adapter never retries by itself: the outbox owns retries, backoff and the
circuit breaker, and counts every attempt.
"""

from __future__ import annotations

import json as jsonlib
from types import TracebackType
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter as TransportAdapter
from urllib3.exceptions import NewConnectionError
from urllib3.util.retry import Retry

from integrations.errors import PermanentError, RetryableError

if TYPE_CHECKING:
    from integrations.models import ExternalSystem

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
USER_AGENT = "SESMU-integrations/1"

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Statuses that mean "not now" rather than "no": the receiver is overloaded,
# down behind a proxy, or timed out waiting for our body.
RETRYABLE_STATUSES = frozenset({408, 429})
ERROR_BODY_EXCERPT = 200


class HttpAdapter:
    """A JSON-over-HTTP client of one external system.

    One `requests.Session` per adapter keeps the connection open across the
    calls one delivery makes; close it (or use the adapter as a context
    manager) when done so no socket outlives the delivery."""

    def __init__(self, system: ExternalSystem) -> None:
        self.system = system
        self.base_url = system.base_url.rstrip("/")
        self.timeout = (system.connect_timeout_ms / 1000, system.read_timeout_ms / 1000)
        self.session = requests.Session()
        # requests already makes no retries by default; saying so here keeps a
        # future default or an environment from retrying a non-idempotent POST
        # behind the outbox's back (and outside its attempt count).
        no_retries = TransportAdapter(max_retries=Retry(total=0, read=False, redirect=False))
        self.session.mount("http://", no_retries)
        self.session.mount("https://", no_retries)
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        if system.outbound_token:
            self.session.headers["Authorization"] = f"Bearer {system.outbound_token}"
        self.last_response: requests.Response | None = None

    def __enter__(self) -> HttpAdapter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def deliver(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """Deliver one outbox message of `kind`. Each adapter knows its own
        kinds; anything else can never be delivered to this system."""
        raise PermanentError(f"{self.system.get_kind_display()} systems take no {kind!r} messages")

    def url_for(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Make one call and return its JSON body as a dict.

        Writes must carry an idempotency key: it is what lets the outbox send
        the same message again after a timeout or a dropped response without
        the receiver applying it twice. Without one the call is not made: a
        PermanentError, so an outbox row missing its key ends dead with the
        reason rather than being sent unprotected."""
        method = method.upper()
        headers: dict[str, str] = {}
        if method not in READ_METHODS:
            if not idempotency_key:
                raise PermanentError(f"{method} {path}: a write needs an idempotency key")
            headers[IDEMPOTENCY_KEY_HEADER] = idempotency_key
        url = self.url_for(path)
        self.last_response = None
        try:
            response = self.session.request(
                method, url, json=json, params=params, headers=headers,
                timeout=self.timeout, allow_redirects=False,
            )
        except requests.ConnectTimeout:
            raise RetryableError(f"{method} {url}: connect timeout after {self.timeout[0]:g} s")
        except requests.ReadTimeout:
            # The request was sent: the receiver may apply it after we gave up.
            raise RetryableError(f"{method} {url}: read timeout after {self.timeout[1]:g} s")
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            raise RetryableError(f"{method} {url}: {describe_connection_error(error)}")
        except requests.RequestException as error:
            # A malformed URL or header: a configuration problem that no retry
            # fixes until a person corrects the system's registry entry.
            raise PermanentError(f"{method} {url}: cannot make the call: {error}")
        self.last_response = response
        return self.read(response, f"{method} {url}")

    def read(self, response: requests.Response, call: str) -> dict[str, Any]:
        """The JSON body of a successful answer, or the error that says what
        to do next."""
        status = response.status_code
        if status >= 500 or status in RETRYABLE_STATUSES:
            raise RetryableError(
                f"{call}: HTTP {status} {excerpt(response)}".rstrip(), status_code=status
            )
        if status >= 400:
            raise PermanentError(
                f"{call}: HTTP {status} {excerpt(response)}".rstrip(), status_code=status
            )
        if status >= 300:
            # Redirects are not followed: a POST would turn into a GET, and a
            # moved element manager is a registry change, not a retry.
            location = response.headers.get("Location", "")
            raise PermanentError(f"{call}: unexpected redirect {status} to {location!r}",
                                 status_code=status)
        if not response.content:
            return {}
        try:
            body = response.json()
        except (ValueError, jsonlib.JSONDecodeError):
            # The receiver (or a proxy in front of it) said 2xx but its answer
            # cannot be read: we cannot tell whether the command was applied.
            # Sending it again with the same key is safe, and if the answer
            # stays unreadable the outbox gives up after its maximum attempts.
            raise RetryableError(f"{call}: unreadable response (HTTP {status}, not JSON) "
                                 f"{excerpt(response)}".rstrip(), status_code=status)
        if isinstance(body, list):
            return {"items": body}
        if not isinstance(body, dict):
            return {"value": body}
        return body


def describe_connection_error(error: requests.RequestException) -> str:
    """Tell a connection that never opened from one lost after the request
    was sent: in the second case the receiver may have applied the command,
    which is why both are retryable with the same idempotency key."""
    cause: BaseException | None = error
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, NewConnectionError | ConnectionRefusedError):
            return "connection refused or unreachable"
        reason = getattr(cause, "reason", None)
        cause = reason if isinstance(reason, BaseException) else (
            cause.args[0] if cause.args and isinstance(cause.args[0], BaseException)
            else cause.__context__
        )
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "connection lost while reading the response (the call may have been applied)"
    return "connection lost before a response (the call may have been applied)"


def excerpt(response: requests.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    if len(text) > ERROR_BODY_EXCERPT:
        text = text[:ERROR_BODY_EXCERPT] + "…"
    return text
