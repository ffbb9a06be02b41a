"""A receiver that records every request and answers with a reply set in
advance: it stands in for SESMU's inbound endpoints when a simulator pushes,
or for an external system answering a status the simulators never give
(429, 408, a 2xx that is not JSON), so what goes over the wire can be
checked byte for byte."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from integrations.simulators.server import LocalHTTPServer


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names as sent
    body: bytes


@dataclass
class CannedReply:
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class RecordingReceiver:
    """Records requests; answers each with `reply` (or with what
    `respond(request)` returns, when set)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.reply = CannedReply()
        self.respond: Callable[[RecordedRequest], CannedReply] | None = None
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: _RecorderServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> int:
        self._server = _RecorderServer((self.host, 0), self)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         name="recording-receiver", daemon=True).start()
        return self.port

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def record(self, request: RecordedRequest) -> CannedReply:
        with self._lock:
            self.requests.append(request)
        return self.respond(request) if self.respond else self.reply


class _RecorderHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see SimulatorRequestHandler
    server: _RecorderServer

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self.answer()

    def do_POST(self) -> None:  # noqa: N802
        self.answer()

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.receiver.record(
            RecordedRequest(self.command, self.path, dict(self.headers.items()), body)
        )
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: the recorded requests are the log."""


class _RecorderServer(LocalHTTPServer):
    def __init__(self, address: tuple[str, int], receiver: RecordingReceiver) -> None:
        self.receiver = receiver
        super().__init__(address, _RecorderHandler)
