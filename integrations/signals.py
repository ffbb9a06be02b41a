"""Signals of the integrations app, for the apps above it. Sent after the
transaction that recorded the outcome commits; receivers look at the
message's `source_kind` and `source_id` to find what it was sent for."""

from django.dispatch import Signal

# kwargs: message (OutboxMessage), response (dict)
outbox_message_delivered = Signal()
# kwargs: message (OutboxMessage), error (str)
outbox_message_dead = Signal()
