"""The machinery every subscription order shares: numbering, milestones,
commands to element managers through the outbox, and completion when every
command is applied and every visit done. The outbox and the work orders
report back through signals (see subscriptions.receivers)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from integrations.adapters.kinds import service_order_kind
from integrations.models import ExternalSystem, OutboxMessage
from integrations.selectors import service_management_system_for
from integrations.services import outbox_enqueue, outbox_retry
from sesmu.audit import audit_record
from sesmu.errors import field_error
from sesmu.models import AuditAction, User
from sesmu.numbering import series_next
from subscriptions import errors, signals
from subscriptions.choices import (
    Channel,
    Initiator,
    ItemState,
    OrderAction,
    OrderState,
    StepStatus,
)
from subscriptions.models import (
    CatalogService,
    OrderMilestone,
    ProvisioningStep,
    Subscription,
    SubscriptionItem,
    SubscriptionOrder,
)
from subscriptions.terms import DEGRADE_PROFILES, command_label

STEP_SOURCE = "subscription_step"
# The state an item is in once the element manager applied each command.
ITEM_STATE_AFTER = {
    "enable": ItemState.ACTIVE, "resume": ItemState.ACTIVE, "suspend": ItemState.SUSPENDED,
    "disable": ItemState.REMOVED,
}


def actor_or_none(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


def lock_subscription(subscription: Subscription | int) -> Subscription:
    pk = subscription.pk if isinstance(subscription, Subscription) else subscription
    return (Subscription.objects.select_for_update(of=("self",))
            .select_related("offer_version__offer", "customer", "billing_account",
                            "service_address").get(pk=pk))


def lock_order(order: SubscriptionOrder | int) -> SubscriptionOrder:
    pk = order.pk if isinstance(order, SubscriptionOrder) else order
    return SubscriptionOrder.objects.select_for_update(of=("self",)).select_related(
        "subscription").get(pk=pk)


def illegal(subscription: Subscription, what: str) -> ValidationError:
    return field_error(
        "state",
        _("Subscription %(number)s is “%(state)s”: it cannot be %(what)s.")
        % {"number": subscription.number, "state": subscription.state_label, "what": what},
        code=errors.ILLEGAL_TRANSITION)


def transition(subscription: Subscription, name: str, *, order: SubscriptionOrder,
               actor: User | None, what: str, fields: tuple[str, ...] = ()) -> None:
    """Move a locked subscription through one transition, save it with
    `fields`, and record it on the order and in the audit trail."""
    method = getattr(subscription, name)
    if not can_proceed(method):
        raise illegal(subscription, what)
    before = subscription.state
    method()
    subscription.save(update_fields=["state", "updated_at", *fields])
    milestone(order, f"subscription_{subscription.state}",
              _("Subscription %(state)s.") % {"state": subscription.state_label.lower()},
              actor=actor)
    audit_record(actor=actor_or_none(actor), action=AuditAction.TRANSITION, target=subscription,
                 customer_id=subscription.customer_id,
                 changes={"state": [before, subscription.state], "order": order.number})


def order_open(*, subscription: Subscription, action: str, actor: User | None,
               initiator: str = Initiator.CUSTOMER, modify_kind: str = "", reason: str = "",
               due_on=None, details: dict[str, Any] | None = None,
               channel: str = Channel.DESK, external_id: str = "") -> SubscriptionOrder:
    """Record a new order: acknowledged, and due now unless `due_on` is later."""
    today = timezone.localdate()
    external_id = external_id.strip()[:80]
    duplicate = field_error("external_id", _("An order with this external id was already "
                                             "received."), code=errors.DUPLICATE_EXTERNAL_ID)
    if external_id and SubscriptionOrder.objects.filter(channel=channel,
                                                        external_id=external_id).exists():
        raise duplicate
    try:
        with transaction.atomic():
            order = SubscriptionOrder.objects.create(
                number=series_next(name="subscription_order"), subscription=subscription,
                action=action, modify_kind=modify_kind, initiator=initiator,
                reason=reason[:300], due_on=due_on if due_on and due_on > today else None,
                details=details or {}, channel=channel, external_id=external_id,
                created_by=actor_or_none(actor),
            )
    except IntegrityError:
        # The same external order placed at the same moment by another call.
        raise duplicate
    text = _("%(action)s acknowledged.") % {"action": order.action_label}
    if order.due_on:
        text = _("%(action)s acknowledged, effective on %(date)s.") % {
            "action": order.action_label, "date": order.due_on.isoformat()}
    milestone(order, "acknowledged", text, actor=actor, to_state=order.state)
    audit_record(actor=actor_or_none(actor), action=AuditAction.CREATE, target=order,
                 customer_id=subscription.customer_id,
                 changes={"subscription": subscription.number, "action": str(order.action_label),
                          "initiator": initiator, "reason": reason[:300],
                          **({"due_on": order.due_on.isoformat()} if order.due_on else {})})
    return order


def milestone(order: SubscriptionOrder, code: str, text: str, *, actor: User | None = None,
              from_state: str = "", to_state: str = "") -> OrderMilestone:
    return OrderMilestone.objects.create(order=order, code=code[:40], text=text[:300],
                                         from_state=from_state, to_state=to_state,
                                         actor=actor_or_none(actor))


def _order_transition(order: SubscriptionOrder, name: str, *, actor: User | None, code: str,
                      text: str, fields: tuple[str, ...] = ()) -> None:
    method = getattr(order, name)
    if not can_proceed(method):
        raise field_error("state", _("Order %(number)s is “%(state)s”: it cannot be changed.")
                          % {"number": order.number, "state": order.state_label},
                          code=errors.ILLEGAL_TRANSITION)
    before = order.state
    method()
    order.save(update_fields=["state", "updated_at", *fields])
    milestone(order, code, text, actor=actor, from_state=before, to_state=order.state)
    audit_record(actor=actor_or_none(actor), action=AuditAction.TRANSITION, target=order,
                 customer_id=order.subscription.customer_id,
                 changes={"state": [before, order.state], "note": text[:300]})


def order_start(order: SubscriptionOrder, *, actor: User | None) -> None:
    _order_transition(order, "start", actor=actor, code="in_progress", text=_("In progress."))


def order_hold(order: SubscriptionOrder, *, reason: str, actor: User | None = None) -> None:
    """Stop an order for an operator to look at, keeping the reason."""
    if order.state == OrderState.HELD:
        order.held_reason = reason[:500]
        order.save(update_fields=["held_reason", "updated_at"])
        milestone(order, "held", _("Held: %(reason)s") % {"reason": reason}, actor=actor)
        return
    order.held_reason = reason[:500]
    _order_transition(order, "hold", actor=actor, code="held",
                      text=_("Held: %(reason)s") % {"reason": reason}, fields=("held_reason",))


def order_cancel_row(order: SubscriptionOrder, *, actor: User | None, reason: str) -> None:
    _order_transition(order, "cancel", actor=actor, code="cancelled",
                      text=_("Cancelled: %(reason)s") % {"reason": reason} if reason
                      else _("Cancelled."))


def element_manager_for(service: CatalogService) -> ExternalSystem:
    system = service.provisioning_system or service_management_system_for(service.kind)
    if system is None or not system.enabled:
        raise field_error(
            "offer_version",
            _("No element manager provisions %(service)s; ask the back office to register one.")
            % {"service": service.name}, code=errors.NO_ELEMENT_MANAGER)
    return system


def check_element_managers(services: list[CatalogService]) -> None:
    for service in services:
        element_manager_for(service)


def command(order: SubscriptionOrder, item: SubscriptionItem, name: str, *,
            actor: User | None, characteristics: dict[str, Any] | None = None,
            device_serial: str = "") -> ProvisioningStep:
    """Send one command for one service of the subscription through the
    outbox, in the caller's transaction. Commands for one service reach its
    element manager in the order they were sent (ordering key)."""
    subscription = order.subscription
    service = item.service
    system = element_manager_for(service)
    step = ProvisioningStep.objects.create(order=order, item=item, command=name)
    payload: dict[str, Any] = {
        "service_id": item.network_id,
        "subscriber": subscription.customer.number,
        "characteristics": {
            "subscription": subscription.number,
            "offer": subscription.offer_version.offer.code,
            "accessMedium": subscription.access_medium,
            "postalCode": subscription.service_address.postal_code,
            **({"package": service.package_code} if service.package_code else {}),
            **({"downstreamMbps": service.speed_down_mbps} if service.speed_down_mbps else {}),
            **({"upstreamMbps": service.speed_up_mbps} if service.speed_up_mbps else {}),
            **(characteristics or {}),
        },
    }
    if name == "degrade":
        payload["profile"] = DEGRADE_PROFILES.get(service.kind, "")
    if name == "enable" and service.kind in DEGRADE_PROFILES:
        # Enabled (again, under an id it had before) it starts with its full
        # profile: said outright, or the element manager may keep an old
        # degrade. A degrade still due follows as its own command.
        payload["characteristics"]["degraded"] = False
    if device_serial:
        payload["device_serial"] = device_serial
    step.message = outbox_enqueue(
        destination=system, kind=service_order_kind(name), payload=payload,
        idempotency_key=f"{order.number}/{item.network_id}/{name}/{step.pk}",
        ordering_key=item.network_id, source_kind=STEP_SOURCE, source_id=str(step.pk),
        actor=actor,
    )
    step.save(update_fields=["message"])
    new_state = ITEM_STATE_AFTER.get(name)
    changed = []
    if new_state is not None and item.state != new_state:
        item.state = new_state
        changed.append("state")
        if new_state == ItemState.REMOVED:
            item.removed_at = timezone.now()
            changed.append("removed_at")
    if name in ("degrade", "restore"):
        item.degraded = name == "degrade"
        changed.append("degraded")
    if changed:
        item.save(update_fields=changed)
    milestone(order, "command_sent",
              _("%(command)s sent to %(system)s for %(service)s.")
              % {"command": command_label(name), "system": system.name,
                 "service": service.name}, actor=actor)
    return step


# What happens when the outside world reports back --------------------------------


@transaction.atomic
def step_applied(*, message: OutboxMessage) -> ProvisioningStep | None:
    step = (ProvisioningStep.objects.select_for_update().select_related("item__service")
            .filter(pk=_step_id(message)).first())
    if step is None or step.status == StepStatus.APPLIED:
        return step
    step.status, step.applied_at, step.error = StepStatus.APPLIED, timezone.now(), ""
    step.save(update_fields=["status", "applied_at", "error"])
    order = lock_order(step.order_id)
    milestone(order, "command_applied",
              _("%(command)s applied for %(service)s.")
              % {"command": command_label(step.command), "service": step.item.service.name})
    order_try_complete(order)
    return step


@transaction.atomic
def step_failed(*, message: OutboxMessage, error: str) -> ProvisioningStep | None:
    step = (ProvisioningStep.objects.select_for_update().select_related("item__service")
            .filter(pk=_step_id(message)).first())
    if step is None or step.status != StepStatus.WAITING:
        return step
    step.status, step.error = StepStatus.FAILED, error[:500]
    step.save(update_fields=["status", "error"])
    order = lock_order(step.order_id)
    if order.is_open:
        order_hold(order, reason=_("the element manager refused %(command)s for %(service)s: "
                                   "%(error)s")
                   % {"command": command_label(step.command), "service": step.item.service.name,
                      "error": error[:200]})
    return step


def _step_id(message: OutboxMessage) -> int | None:
    if message.source_kind != STEP_SOURCE or not str(message.source_id).isdigit():
        return None
    return int(message.source_id)


@transaction.atomic
def order_retry(*, order: SubscriptionOrder, actor: User | None) -> SubscriptionOrder:
    """An operator dealt with what held the order: send refused commands
    again (same idempotency keys, so nothing is applied twice) and go on."""
    order = lock_order(order)
    if order.state != OrderState.HELD:
        raise field_error("state", _("Only a held order can be retried."),
                          code=errors.ILLEGAL_TRANSITION)
    from subscriptions.services import lifecycle

    never_started = not order.milestones.filter(code="in_progress").exists()
    for step in order.steps.filter(status=StepStatus.FAILED).select_related("message"):
        if step.message is not None:
            outbox_retry(message=step.message, actor=actor)
        step.status, step.error = StepStatus.WAITING, ""
        step.save(update_fields=["status", "error"])
    order.held_reason = ""
    order.save(update_fields=["held_reason", "updated_at"])
    if never_started:
        # Held when its date came and it could not be carried out: try now.
        lifecycle.execute(order, actor=actor)
        return order
    order_start(order, actor=actor)
    lifecycle.replan_failed_visit(order, actor=actor)
    order_try_complete(order)
    return order


def order_try_complete(order: SubscriptionOrder) -> bool:
    """Complete a locked order whose commands are all applied and whose
    visit is done, with what completion means for its action."""
    if order.state != OrderState.IN_PROGRESS:
        return False
    if order.steps.exclude(status=StepStatus.APPLIED).exists():
        return False
    if order.needs_visit and not order.visit_done:
        return False
    order.completed_at = timezone.now()
    _order_transition(order, "complete", actor=None, code="completed", text=_("Completed."),
                      fields=("completed_at",))
    if order.action == OrderAction.NEW:
        from subscriptions.services.lifecycle import activate

        activate(order)
    from subscriptions.services.lifecycle import install_self_service_equipment

    install_self_service_equipment(order)
    completed = order
    transaction.on_commit(lambda: signals.subscription_order_completed.send(
        sender=SubscriptionOrder, order=completed))
    return True
