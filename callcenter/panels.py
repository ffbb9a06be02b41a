"""Panels of the customer 360 page. Each app registers the panels it owns;
the desk renders them in order. A lazy panel is fetched by htmx after the page
so a slow source never holds the first answer back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sesmu.models import User


@dataclass(frozen=True)
class Panel:
    key: str
    title: Any  # a lazy translation
    template: str
    context: Callable[..., dict[str, Any]]  # context(customer=..., actor=...)
    order: int = 100
    column: str = "main"  # "main" or "side"
    lazy: bool = False
    permission: str = ""


_panels: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _panels[panel.key] = panel


def panels_for(actor: User) -> list[Panel]:
    visible = [
        panel for panel in _panels.values()
        if not panel.permission or actor.has_perm(panel.permission)
    ]
    return sorted(visible, key=lambda panel: (panel.order, panel.key))


def get(key: str) -> Panel | None:
    return _panels.get(key)
