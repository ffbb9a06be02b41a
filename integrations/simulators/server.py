"""Simulators of the systems SESMU talks to: real HTTP servers, so the demo
and the tests go through sockets, timeouts and dropped connections exactly
as they would with a real element manager.

One `ElementManagerSimulator` plays one system:

- `cas`, `isp`, `banking`, `shopping`: a service management system taking
  TMF641 service orders, with a small service inventory;
- `network`: a network management system answering serviceability and
  serving-element queries from a built-in coverage table;
- `printing`: a printing house taking print batches;
- `billing`: an external billing system taking exports.

Every write needs an `Idempotency-Key` and is applied once per key: a repeat
gets the first answer again with `Idempotent-Replayed: true`. A control API
under `/_sim/` shows what was applied, resets, injects failures (refused
connections, 503, slow answers, responses dropped after applying) and pushes
signed messages to SESMU's inbound endpoints.

Only the standard library serves HTTP here: no Django request handling, so
the simulator behaves the same whether or not SESMU is up.
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from integrations.adapters.http import IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER
from integrations.adapters.kinds import SERVICE_COMMANDS
from integrations.signing import signed_headers
from integrations.simulators import coverage

SERVICE_KINDS = ("cas", "isp", "banking", "shopping")
KINDS = (*SERVICE_KINDS, "network", "printing", "billing")
FAIL_MODES = ("none", "refuse", "error_503", "slow", "drop_after_apply")
PUSH_SLUGS = {
    "usage_records": "usage-records",
    "service_alarm": "service-alarms",
    "network_alarm": "network-alarms",
    "deployment_update": "deployment-updates",
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SERVICE_ORDER_PATH = "/tmf-api/serviceOrdering/v4/serviceOrder"
SERVICE_PATH = "/tmf-api/serviceInventory/v4/service"
BATCHES_PATH = "/printing/v1/batches"
EXPORTS_PATH = "/billing/v1/exports"
ORDER_ACTIONS = {"add", "modify", "delete"}
PUSH_TIMEOUT = (2.0, 10.0)
REBIND_ATTEMPTS = 50


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


@dataclass
class Reply:
    """What the handler writes back: a status and a body, or nothing at all
    (`drop`) when the simulator plays a connection lost after applying."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is (a pushed message's answer from SESMU)
    content_type: str = "application/json"
    drop: bool = False
    close: bool = False  # close the connection after the answer
    note: str = ""  # shown in the request log line

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body).encode()


def error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"code": code, "message": message})


@dataclass
class Applied:
    """A write the simulator applied, kept to answer its key's repeats."""

    key: str
    command: str
    method: str
    path: str
    body: Any
    fingerprint: str
    status: int
    response: bytes
    applied_at: str

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "command": self.command, "method": self.method,
                "path": self.path, "body": self.body, "status": self.status,
                "response": json.loads(self.response), "applied_at": self.applied_at}


class LocalHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that skips the reverse DNS look-up
    `HTTPServer.server_bind` makes (slow on a machine without a resolver, and
    useless here) and queues bursts of connections instead of resetting them."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class SimulatorHTTPServer(LocalHTTPServer):
    """The server of one simulator."""

    def __init__(self, address: tuple[str, int], simulator: ElementManagerSimulator) -> None:
        self.simulator = simulator
        super().__init__(address, SimulatorRequestHandler)


class SimulatorRequestHandler(BaseHTTPRequestHandler):
    """Parses one request, asks the simulator for the reply, writes it."""

    protocol_version = "HTTP/1.1"  # keep-alive, like a real element manager
    server_version = "SESMU-simulator/1"
    timeout = 60  # an idle keep-alive connection does not hold a thread forever
    # Headers and body go out in two writes: with Nagle's algorithm the body
    # waits for the client's delayed ACK, 40 ms per answer on keep-alive.
    disable_nagle_algorithm = True
    server: SimulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.simulator.track_connection(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.simulator.untrack_connection(self.connection)

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self.dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self.dispatch()

    def do_PUT(self) -> None:  # noqa: N802
        self.dispatch()

    def do_PATCH(self) -> None:  # noqa: N802
        self.dispatch()

    def do_DELETE(self) -> None:  # noqa: N802
        self.dispatch()

    def dispatch(self) -> None:
        simulator = self.server.simulator
        started = time.monotonic()
        target = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            reply = error(400, "bad_content_length", "Content-Length is not a number")
            reply.close = True
        else:
            raw = self.rfile.read(length) if length else b""
            if target.path.startswith("/_sim/"):
                reply = simulator.control(self.command, target.path, raw,
                                          current=self.connection)
            else:
                reply = simulator.handle_business(
                    self.command, target.path, parse_qs(target.query),
                    {name.lower(): value for name, value in self.headers.items()}, raw,
                )
        if reply.drop:
            # Close without a byte of answer: the client sees the connection
            # end after its request was sent, as when a proxy or the element
            # manager dies between applying and answering.
            self.close_connection = True
            simulator.log_request(self.command, self.path, None, self.headers, started, reply)
            return
        body = reply.payload()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            # The client went away (it gave up on a slow answer): nothing to
            # tell it, and the work is already done or deliberately skipped.
            self.close_connection = True
        simulator.log_request(self.command, self.path, reply.status, self.headers, started, reply)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request is written by the simulator instead."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        self.server.simulator.log(f"[{self.server.simulator.kind}] {format % args}")


class ElementManagerSimulator:
    """One simulated external system, serving in a daemon thread.

    Thread-safe: every request runs in its own thread and all state lives
    behind one lock, held while a write is checked and applied so two
    requests with the same key cannot both apply it."""

    def __init__(
        self,
        kind: str,
        host: str = "127.0.0.1",
        port: int = 0,
        sesmu_url: str | None = None,
        inbound_token: str | None = None,
        hmac_secret: str | None = None,
        *,
        accept_token: str | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown simulator kind {kind!r}; one of {', '.join(KINDS)}")
        self.kind = kind
        self.host = host
        self.port = port
        self.sesmu_url = sesmu_url.rstrip("/") if sesmu_url else None
        self.inbound_token = inbound_token
        self.hmac_secret = hmac_secret
        # The bearer token SESMU must present (the system's outbound token);
        # None accepts any caller.
        self.accept_token = accept_token
        self._log = log
        self._lock = threading.Lock()
        self._server_lock = threading.Lock()
        self._server: SimulatorHTTPServer | None = None
        self._serve_thread: threading.Thread | None = None
        self._reopen_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._wake = threading.Event()  # cuts a slow answer short on reset or stop
        self._connections: set[socket.socket] = set()
        self._reset_state()

    # -- life cycle -------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> int:
        """Bind and serve in a daemon thread; returns the bound port."""
        with self._server_lock:
            if self._server is not None:
                raise RuntimeError(f"the {self.kind} simulator is already running")
            self._stopping.clear()
            with self._lock:
                self._wake = threading.Event()  # stop() set the old one for good
            self._serve(SimulatorHTTPServer((self.host, self.port), self))
        return self.port

    def stop(self) -> None:
        """Stop serving and close every connection; safe to call twice."""
        self._stopping.set()
        self._wake.set()
        with self._server_lock:
            self._close_server(spare=None)
        reopen = self._reopen_thread
        if reopen is not None and reopen is not threading.current_thread():
            reopen.join(timeout=5)

    def _serve(self, server: SimulatorHTTPServer) -> None:
        self._server = server
        self.port = server.server_port
        # A short poll interval: shutdown() (on stop and on refuse) waits for
        # the loop to notice, and tests should not wait half a second for it.
        self._serve_thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"simulator-{self.kind}-{self.port}", daemon=True,
        )
        self._serve_thread.start()

    def _close_server(self, *, spare: socket.socket | None) -> None:
        """Stop accepting and cut the open connections (all but `spare`, the
        one asking for it), so a keep-alive client cannot slip past a
        refusal on a connection it opened before."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        with self._lock:
            connections = [conn for conn in self._connections if conn is not spare]
        for conn in connections:
            with contextlib.suppress(OSError):  # already closed by its client
                conn.shutdown(socket.SHUT_RDWR)

    def track_connection(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def untrack_connection(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    # -- state ------------------------------------------------------------

    def _reset_state(self) -> None:
        self._applied: dict[str, Applied] = {}
        self._services: dict[str, dict[str, Any]] = {}
        self._resources: dict[str, dict[str, Any]] = {}  # by id: orders, batches, exports
        self._sequence = 0
        self._requests = 0
        self._replays = 0
        self._set_mode("none")

    def _set_mode(self, mode: str, seconds: float | None = None, count: int | None = None) -> None:
        self._mode = mode
        self._mode_seconds = seconds or 0.0
        self._mode_count = count
        self._mode_until: float | None = None
        # For slow, seconds is the delay of each answer, not how long it lasts.
        if seconds and mode not in ("none", "slow"):
            self._mode_until = time.monotonic() + seconds

    def _current_mode(self) -> str:
        if self._mode_until is not None and time.monotonic() >= self._mode_until:
            self._set_mode("none")
        return self._mode

    def _take_mode(self) -> tuple[str, float]:
        """The failure this request gets, counting it against `count`."""
        mode = self._current_mode()
        if mode == "none":
            return mode, 0.0
        seconds = self._mode_seconds
        if self._mode_count is not None:
            self._mode_count -= 1
            if self._mode_count <= 0:
                self._set_mode("none")
        return mode, seconds

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "kind": self.kind,
                "applied_count": len(self._applied),
                "applied_keys": list(self._applied),
                "requests": self._requests,
                "replays": self._replays,
                "mode": self._current_mode(),
            }

    def applied(self) -> list[dict[str, Any]]:
        with self._lock:
            return [entry.as_json() for entry in self._applied.values()]

    def reset(self) -> None:
        """Forget everything applied and stop failing."""
        with self._lock:
            self._reset_state()
            self._wake_sleepers()

    def fail(self, mode: str, *, seconds: float | None = None, count: int | None = None,
             current: socket.socket | None = None) -> None:
        """Start failing. `seconds` is how long (for refuse, error_503 and
        drop_after_apply; required for refuse) or the delay of each answer
        (for slow); `count` limits the failure to the next N requests."""
        if mode not in FAIL_MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(FAIL_MODES)}")
        if seconds is not None and seconds < 0:
            raise ValueError("seconds cannot be negative")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1")
        if mode == "refuse":
            if not seconds:
                raise ValueError("refuse needs seconds: the control API is down meanwhile")
            if count is not None:
                raise ValueError("refuse lasts seconds; refused connections cannot be counted")
            self._refuse(seconds, current=current)
            return
        if mode == "slow" and not seconds:
            raise ValueError("slow needs seconds: the delay of each answer")
        with self._lock:
            self._set_mode(mode, seconds, count)
            if mode == "none":
                self._wake_sleepers()

    def _wake_sleepers(self) -> None:
        """Cut short the answers held back by slow mode (under the lock)."""
        self._wake.set()
        self._wake = threading.Event()

    def _refuse(self, seconds: float, *, current: socket.socket | None) -> None:
        with self._server_lock:
            if self._server is None:
                raise ValueError("the simulator is not serving")
            with self._lock:
                self._set_mode("refuse")
            self._close_server(spare=current)
        self.log(f"[{self.kind}] refusing connections on port {self.port} for {seconds:g} s")
        self._reopen_thread = threading.Thread(
            target=self._reopen_after, args=(seconds,), name=f"simulator-{self.kind}-reopen",
            daemon=True,
        )
        self._reopen_thread.start()

    def _reopen_after(self, seconds: float) -> None:
        if self._stopping.wait(seconds):
            return
        # SO_REUSEADDR lets the same port bind again at once despite the
        # connections left in TIME_WAIT; retry a little in case the kernel
        # has not released it yet.
        for _ in range(REBIND_ATTEMPTS):
            try:
                server = SimulatorHTTPServer((self.host, self.port), self)
            except OSError as bind_error:
                last_error = bind_error
                if self._stopping.wait(0.1):
                    return
                continue
            with self._server_lock:
                if self._stopping.is_set():
                    server.server_close()
                    return
                with self._lock:
                    self._set_mode("none")
                self._serve(server)
            self.log(f"[{self.kind}] accepting connections again on port {self.port}")
            return
        self.log(f"[{self.kind}] could not listen on port {self.port} again: {last_error}")

    # -- logging ----------------------------------------------------------

    def log(self, line: str) -> None:
        if self._log is not None:
            self._log(line)

    def log_request(self, method: str, path: str, status: int | None, headers: Any,
                    started: float, reply: Reply) -> None:
        if self._log is None:
            return
        key = headers.get(IDEMPOTENCY_KEY_HEADER)
        parts = [f"[{self.kind}]", method, path, "dropped" if status is None else str(status)]
        if key:
            parts.append(f"key={key}")
        if REPLAYED_HEADER in reply.headers:
            parts.append("replayed")
        if reply.note:
            parts.append(reply.note)
        parts.append(f"{(time.monotonic() - started) * 1000:.0f}ms")
        self._log(" ".join(parts))

    # -- control API ------------------------------------------------------

    def control(self, method: str, path: str, raw: bytes, *,
                current: socket.socket | None = None) -> Reply:
        """`/_sim/...`: state, applied, reset, fail, push."""
        routes: dict[tuple[str, str], Callable[[Any, socket.socket | None], Reply]] = {
            ("GET", "/_sim/state"): lambda body, conn: Reply(200, self.state()),
            ("GET", "/_sim/applied"): lambda body, conn: Reply(200, {"applied": self.applied()}),
            ("POST", "/_sim/reset"): self._control_reset,
            ("POST", "/_sim/fail"): self._control_fail,
            ("POST", "/_sim/push"): self._control_push,
        }
        route = routes.get((method, path))
        if route is None:
            known = {route_path for _, route_path in routes}
            if path in known:
                return error(405, "method_not_allowed", f"{method} is not allowed on {path}")
            return error(404, "not_found", f"no control endpoint {path}")
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return error(400, "malformed_json", "the body is not JSON")
        if not isinstance(body, dict):
            return error(400, "malformed_json", "the body must be a JSON object")
        return route(body, current)

    def _control_reset(self, body: dict[str, Any], current: socket.socket | None) -> Reply:
        self.reset()
        return Reply(200, self.state())

    def _control_fail(self, body: dict[str, Any], current: socket.socket | None) -> Reply:
        mode = body.get("mode")
        seconds = body.get("seconds")
        count = body.get("count")
        if seconds is not None and (isinstance(seconds, bool)
                                    or not isinstance(seconds, int | float)):
            return error(400, "invalid", "seconds must be a number")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
            return error(400, "invalid", "count must be a whole number")
        try:
            self.fail(str(mode), seconds=seconds, count=count, current=current)
        except ValueError as problem:
            return error(400, "invalid", str(problem))
        if mode == "refuse":
            # This connection was spared to carry the answer; close it after.
            return Reply(200, {"mode": "refuse", "seconds": seconds}, close=True)
        return Reply(200, self.state())

    def _control_push(self, body: dict[str, Any], current: socket.socket | None) -> Reply:
        kind = body.get("kind")
        message = body.get("body")
        message_id = body.get("message_id")
        if not isinstance(message, dict | list):
            return error(400, "invalid", "body must be a JSON object or list")
        if message_id is not None and not isinstance(message_id, str):
            return error(400, "invalid", "message_id must be a string")
        try:
            status, content_type, raw, sent_id = self._push_raw(str(kind), message, message_id)
        except ValueError as problem:
            return error(400, "invalid", str(problem))
        except requests.RequestException as problem:
            return error(502, "sesmu_unreachable", f"SESMU did not answer: {problem}")
        return Reply(status, raw=raw, content_type=content_type,
                     headers={"X-Sesmu-Message-Id": sent_id}, note=f"pushed {kind} {sent_id}")

    # -- pushing to SESMU -------------------------------------------------

    def push(self, kind: str, body: Any, message_id: str | None = None) -> tuple[int, Any]:
        """Post a signed message to SESMU's inbound endpoint for `kind`;
        returns SESMU's status and body (parsed JSON, or text)."""
        status, _, raw, _ = self._push_raw(kind, body, message_id)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def _push_raw(self, kind: str, body: Any,
                  message_id: str | None) -> tuple[int, str, bytes, str]:
        slug = PUSH_SLUGS.get(kind)
        if slug is None:
            raise ValueError(f"unknown push kind {kind!r}; one of {', '.join(PUSH_SLUGS)}")
        if not (self.sesmu_url and self.inbound_token and self.hmac_secret):
            raise ValueError("pushing needs sesmu_url, inbound_token and hmac_secret")
        message_id = message_id or f"{self.kind}-{uuid.uuid4().hex}"
        raw = json.dumps(body, separators=(",", ":")).encode()
        headers = signed_headers(token=self.inbound_token, secret=self.hmac_secret,
                                 message_id=message_id, timestamp=str(int(time.time())),
                                 body=raw)
        response = requests.post(f"{self.sesmu_url}/api/v1/inbound/{slug}/", data=raw,
                                 headers=headers, timeout=PUSH_TIMEOUT, allow_redirects=False)
        content_type = response.headers.get("Content-Type", "application/json")
        return response.status_code, content_type, response.content, message_id

    # -- business endpoints -----------------------------------------------

    def handle_business(self, method: str, path: str, query: dict[str, list[str]],
                        headers: dict[str, str], raw: bytes) -> Reply:
        """Everything outside `/_sim/`: counted, subject to the failure mode,
        then routed by the simulator's kind. `headers` have lower-case names."""
        with self._lock:
            self._requests += 1
            mode, seconds = self._take_mode()
            wake = self._wake
        if mode == "error_503":
            return Reply(503, {"code": "unavailable", "message": "simulated outage"},
                         headers={"Retry-After": "1"}, note="mode=error_503")
        if mode == "slow" and (wake.wait(seconds) and self._stopping.is_set()):
            return Reply(drop=True, note="stopping")
        reply = self._route(method, path.rstrip("/") or "/", query, headers, raw)
        if mode == "drop_after_apply":
            return Reply(drop=True, note="mode=drop_after_apply")
        if mode == "slow":
            reply.note = "mode=slow"
        return reply

    def _route(self, method: str, path: str, query: dict[str, list[str]],
               headers: dict[str, str], raw: bytes) -> Reply:
        if self.accept_token is not None and (
            headers.get("authorization") != f"Bearer {self.accept_token}"
        ):
            return error(401, "unauthorised", "a valid bearer token is required")
        if method in WRITE_METHODS:
            writes = self._writes()
            apply = writes.get(path)
            if apply is None:
                return self._not_found(method, path)
            key = headers.get(IDEMPOTENCY_KEY_HEADER.lower(), "").strip()
            if not key:
                return error(400, "idempotency_key_missing",
                             f"writes need an {IDEMPOTENCY_KEY_HEADER} header")
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return error(400, "malformed_json", "the body is not JSON")
            return self._apply_once(key, method, path, body, apply)
        if method == "GET":
            return self._read(path, {name: values[0] for name, values in query.items()})
        return error(405, "method_not_allowed", f"{method} is not allowed")

    def _not_found(self, method: str, path: str) -> Reply:
        return error(404, "not_found", f"a {self.kind} simulator has no {method} {path}")

    def _writes(self) -> dict[str, Callable[[str, Any], tuple[int, dict[str, Any], str]]]:
        if self.kind in SERVICE_KINDS:
            return {SERVICE_ORDER_PATH: self._apply_service_order}
        if self.kind == "printing":
            return {BATCHES_PATH: self._apply_print_batch}
        if self.kind == "billing":
            return {EXPORTS_PATH: self._apply_billing_export}
        return {}

    def _apply_once(self, key: str, method: str, path: str, body: Any,
                    apply: Callable[[str, Any], tuple[int, dict[str, Any], str]]) -> Reply:
        fingerprint = f"{method} {path} {canonical(body)}"
        # The lock is held from the look-up to the store: two requests with
        # the same key at once must not both apply it.
        with self._lock:
            earlier = self._applied.get(key)
            if earlier is not None:
                if earlier.fingerprint != fingerprint:
                    return error(422, "idempotency_key_reused",
                                 f"key {key!r} was used for a different request")
                self._replays += 1
                return Reply(earlier.status, raw=earlier.response,
                             headers={REPLAYED_HEADER: "true"})
            try:
                status, response, command = apply(key, body)
            except ValueError as problem:
                # Refused requests are not kept: the same key may come back
                # corrected.
                return error(400, "invalid", str(problem))
            encoded = json.dumps(response).encode()
            self._applied[key] = Applied(key=key, command=command, method=method, path=path,
                                         body=body, fingerprint=fingerprint, status=status,
                                         response=encoded, applied_at=now_iso())
        return Reply(status, raw=encoded)

    def _next_id(self, prefix: str) -> str:
        self._sequence += 1
        return f"{prefix}-{self._sequence:06d}"

    def _apply_service_order(self, key: str, body: Any) -> tuple[int, dict[str, Any], str]:
        if not isinstance(body, dict):
            raise ValueError("a service order is a JSON object")
        category = body.get("category")
        if category not in SERVICE_COMMANDS:
            raise ValueError(f"unknown category {category!r}")
        items = body.get("serviceOrderItem")
        if not isinstance(items, list) or not items:
            raise ValueError("serviceOrderItem must be a non-empty list")
        for item in items:
            if not isinstance(item, dict) or item.get("action") not in ORDER_ACTIONS:
                raise ValueError("each item needs an action: add, modify or delete")
            service = item.get("service")
            if not isinstance(service, dict) or not service.get("id"):
                raise ValueError("each item needs a service with an id")
        order_id = self._next_id("SO")
        done_items = []
        for item in items:
            service = item["service"]
            record = self._services.setdefault(
                str(service["id"]), {"id": str(service["id"]), "state": "inactive",
                                     "serviceCharacteristic": {}},
            )
            record["state"] = "terminated" if item["action"] == "delete" else service.get(
                "state", record["state"])
            if service.get("serviceType"):
                record["serviceType"] = service["serviceType"]
            for characteristic in service.get("serviceCharacteristic") or []:
                record["serviceCharacteristic"][characteristic["name"]] = characteristic["value"]
            done_items.append({**item, "state": "completed"})
        order = {
            "id": order_id,
            "href": f"{SERVICE_ORDER_PATH}/{order_id}",
            "externalId": body.get("externalId", key),
            "category": category,
            "state": "completed",
            "completionDate": now_iso(),
            "serviceOrderItem": done_items,
        }
        self._resources[order_id] = order
        return 201, order, str(category)

    def _apply_print_batch(self, key: str, body: Any) -> tuple[int, dict[str, Any], str]:
        if not isinstance(body, dict):
            raise ValueError("a print batch is a JSON object")
        documents = body.get("documents", [])
        if not isinstance(documents, list):
            raise ValueError("documents must be a list")
        batch_id = self._next_id("PB")
        acknowledgement = {"id": batch_id, "href": f"{BATCHES_PATH}/{batch_id}",
                           "status": "accepted", "documentCount": len(documents),
                           "receivedAt": now_iso()}
        self._resources[batch_id] = acknowledgement
        return 202, acknowledgement, "print_batch"

    def _apply_billing_export(self, key: str, body: Any) -> tuple[int, dict[str, Any], str]:
        if not isinstance(body, dict):
            raise ValueError("an export is a JSON object")
        records = body.get("records", [])
        if not isinstance(records, list):
            raise ValueError("records must be a list")
        export_id = self._next_id("EX")
        acknowledgement = {"id": export_id, "href": f"{EXPORTS_PATH}/{export_id}",
                           "status": "accepted", "recordCount": len(records),
                           "receivedAt": now_iso()}
        self._resources[export_id] = acknowledgement
        return 202, acknowledgement, "billing_export"

    def _read(self, path: str, params: dict[str, str]) -> Reply:
        if self.kind == "network":
            if path in ("/tmf-api/serviceability", "/tmf-api/servingElement"):
                postal_code = params.get("postalCode", "").strip()
                if not postal_code:
                    return error(400, "invalid", "postalCode is required")
                if path == "/tmf-api/serviceability":
                    return Reply(200, coverage.serviceability(postal_code))
                return Reply(200, coverage.serving_element(postal_code, params.get("medium", "")))
            return self._not_found("GET", path)
        collections = {
            **dict.fromkeys(SERVICE_KINDS, SERVICE_ORDER_PATH),
            "printing": BATCHES_PATH,
            "billing": EXPORTS_PATH,
        }
        parent, _, identifier = path.rpartition("/")
        with self._lock:
            if parent == collections[self.kind] and identifier in self._resources:
                return Reply(200, self._resources[identifier])
            if self.kind in SERVICE_KINDS and parent == SERVICE_PATH and (
                identifier in self._services
            ):
                record = self._services[identifier]
                characteristics = [{"name": name, "value": value} for name, value
                                   in record["serviceCharacteristic"].items()]
                return Reply(200, {**record, "serviceCharacteristic": characteristics})
        return self._not_found("GET", path)
