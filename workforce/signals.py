"""Signals of the workforce app, for the apps above it (subscriptions,
tickets). Sent after the transaction that changed the order commits."""

from django.dispatch import Signal

# kwargs: work_order (WorkOrder)
work_order_completed = Signal()
# kwargs: work_order (WorkOrder), reason (str)
work_order_failed = Signal()
