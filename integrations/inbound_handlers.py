"""Who handles each kind of inbound message. The app that owns the meaning
registers its handler in its AppConfig.ready() (billing: usage records,
tickets: faults); until then messages are kept as unhandled, never dropped.

A handler receives the stored InboundMessage (its `payload` is the parsed
JSON body), runs inside a transaction, must be idempotent for the message,
and returns a small dict describing what it did."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[Any], dict]

_handlers: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    _handlers[kind] = handler


def unregister(kind: str) -> None:
    _handlers.pop(kind, None)


def handler_for(kind: str) -> Handler | None:
    return _handlers.get(kind)


def registered_kinds() -> list[str]:
    return list(_handlers)
