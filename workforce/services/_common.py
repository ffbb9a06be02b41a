"""What the workforce write paths share: locking an order, applying one
transition with its event row, and zone lookup."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from sesmu.audit import audit_record
from sesmu.errors import field_error
from sesmu.models import AuditAction, User
from workforce import errors
from workforce.availability import postcode_number, zone_for_postcode  # noqa: F401
from workforce.choices import WorkOrderState
from workforce.models import WorkOrder, WorkOrderEvent


def lock_order(order: WorkOrder | int) -> WorkOrder:
    order_id = order.pk if isinstance(order, WorkOrder) else order
    return WorkOrder.objects.select_for_update(of=("self",)).select_related(
        "service_address").get(pk=order_id)


def target_state(transition_name: str) -> str:
    meta = getattr(WorkOrder, transition_name)._django_fsm
    return next(iter(meta.transitions.values())).target


def illegal(order: WorkOrder, transition_name: str) -> ValidationError:
    return field_error(
        "state",
        _("Work order %(number)s is “%(state)s”: it cannot become “%(target)s” from there.")
        % {"number": order.number, "state": WorkOrderState(order.state).label,
           "target": WorkOrderState(target_state(transition_name)).label},
        code=errors.ILLEGAL_TRANSITION,
    )


def submitted_before(order: WorkOrder, submission_id: str) -> bool:
    """The same form arrived again (a retry after a dropped connection)."""
    return bool(submission_id) and WorkOrderEvent.objects.filter(
        work_order=order, submission_id=submission_id[:64]).exists()


def apply(order: WorkOrder, transition_name: str, *, actor: User | None, action: str = "",
          reason: str = "", payload: dict[str, Any] | None = None, submission_id: str = "",
          fields: tuple[str, ...] = ()) -> WorkOrderEvent:
    """Run one transition on a locked order, save it with `fields`, and
    record the event (and the audit row)."""
    transition = getattr(order, transition_name)
    if not can_proceed(transition):
        raise illegal(order, transition_name)
    from_state = order.state
    transition()
    order.save(update_fields=["state", "updated_at", *fields])
    return event(order, actor=actor, action=action or transition_name, from_state=from_state,
                 reason=reason, payload=payload, submission_id=submission_id)


def event(order: WorkOrder, *, actor: User | None, action: str, from_state: str | None = None,
          reason: str = "", payload: dict[str, Any] | None = None,
          submission_id: str = "") -> WorkOrderEvent:
    recorded = WorkOrderEvent.objects.create(
        work_order=order, action=action,
        from_state=order.state if from_state is None else from_state, to_state=order.state,
        reason=reason[:300], payload=payload or {}, submission_id=submission_id[:64],
        actor=actor if actor is not None and actor.pk else None,
    )
    audit_record(actor=actor, action=AuditAction.TRANSITION, target=order,
                 customer_id=order.customer_id,
                 changes={"state": [recorded.from_state, recorded.to_state], "action": action,
                          **({"details": payload} if payload else {})})
    return recorded
