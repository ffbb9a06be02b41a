"""Signals of the subscriptions app, for billing and the apps above it.
Sent after the transaction that made the change commits. One-off amounts
are in SubscriptionCharge rows; recurring fees follow from the items of an
active subscription."""

from django.dispatch import Signal

# kwargs: subscription (Subscription)
subscription_activated = Signal()
# kwargs: subscription (Subscription)
subscription_terminated = Signal()
# kwargs: order (SubscriptionOrder): every completed order (a change billing may rate)
subscription_order_completed = Signal()
