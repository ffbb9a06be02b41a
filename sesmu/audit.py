"""The audit trail: one append-only row per view or change worth recording."""

from __future__ import annotations

from typing import Any

from django.db import models

from sesmu import request_context
from sesmu.models import AuditAction, AuditEvent, User


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value changed."""
    return {
        field: [_plain(before.get(field)), _plain(value)]
        for field, value in after.items()
        if _plain(before.get(field)) != _plain(value)
    }


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model,
    customer_id: int | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    context = request_context.current()
    actor_label = actor.get_username() if actor is not None else "system"
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor_label,
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        object_label=str(target)[:200],
        customer_id=customer_id,
        changes=changes or {},
        channel=context.channel,
        ip_address=context.ip_address,
        request_id=context.request_id,
    )


def audit_view(*, actor: User, target: models.Model, customer_id: int | None = None) -> None:
    audit_record(actor=actor, action=AuditAction.VIEW, target=target, customer_id=customer_id)
