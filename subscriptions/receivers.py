"""What the subscriptions app does when the layers below report back: an
element manager applied or refused a command (outbox), a technician
finished or could not finish a visit (work orders)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from integrations.models import OutboxMessage
from integrations.signals import outbox_message_dead, outbox_message_delivered
from subscriptions.choices import OrderState
from subscriptions.models import SubscriptionOrder
from subscriptions.services import orders
from workforce.choices import FailureReason
from workforce.models import WorkOrder
from workforce.signals import work_order_completed, work_order_failed


def on_delivered(sender, message: OutboxMessage, **kwargs) -> None:
    if message.source_kind == orders.STEP_SOURCE:
        orders.step_applied(message=message)


def on_dead(sender, message: OutboxMessage, error: str = "", **kwargs) -> None:
    if message.source_kind == orders.STEP_SOURCE:
        orders.step_failed(message=message, error=error or message.last_error)


def _open_orders_of(work_order: WorkOrder):
    return SubscriptionOrder.objects.select_for_update().filter(
        work_order_ref=work_order.number,
        state__in=[OrderState.IN_PROGRESS, OrderState.HELD, OrderState.ACKNOWLEDGED])


def on_work_order_completed(sender, work_order: WorkOrder, **kwargs) -> None:
    with transaction.atomic():
        for order in _open_orders_of(work_order):
            order.visit_done = True
            order.save(update_fields=["visit_done", "updated_at"])
            orders.milestone(order, "visit_done",
                             _("Work order %(number)s completed by the technician.")
                             % {"number": work_order.number})
            if order.state == OrderState.HELD and not order.steps.filter(
                    status="failed").exists():
                orders.order_start(order, actor=None)
            orders.order_try_complete(order)


def on_work_order_failed(sender, work_order: WorkOrder, reason: str = "", **kwargs) -> None:
    if reason in FailureReason.values:
        reason = str(FailureReason(reason).label)
    with transaction.atomic():
        for order in _open_orders_of(work_order):
            orders.order_hold(order, reason=_("the visit of work order %(number)s failed: "
                                              "%(reason)s")
                              % {"number": work_order.number, "reason": reason})


def connect() -> None:
    outbox_message_delivered.connect(on_delivered, dispatch_uid="subscriptions.delivered")
    outbox_message_dead.connect(on_dead, dispatch_uid="subscriptions.dead")
    work_order_completed.connect(on_work_order_completed,
                                 dispatch_uid="subscriptions.work_order_completed")
    work_order_failed.connect(on_work_order_failed,
                              dispatch_uid="subscriptions.work_order_failed")
