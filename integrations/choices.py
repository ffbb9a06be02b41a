from django.db import models
from django.utils.translation import gettext_lazy as _


class SystemKind(models.TextChoices):
    NETWORK_ACCESS = "network_access", _("Network management: access network")
    NETWORK_TRANSPORT = "network_transport", _("Network management: transport network")
    NETWORK_HEADEND = "network_headend", _("Network management: head-end")
    SERVICE_MANAGEMENT = "service_management", _("Service management")
    PRINTING_HOUSE = "printing_house", _("Printing house")
    EXTERNAL_BILLING = "external_billing", _("External billing")
    PAYMENT_GATEWAY = "payment_gateway", _("Payment gateway")


NETWORK_KINDS = (
    SystemKind.NETWORK_ACCESS, SystemKind.NETWORK_TRANSPORT, SystemKind.NETWORK_HEADEND,
)


class CircuitState(models.TextChoices):
    CLOSED = "closed", _("Closed (calls flow)")
    OPEN = "open", _("Open (calls held back)")
    HALF_OPEN = "half_open", _("Half-open (probing)")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERING = "delivering", _("Delivering")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Dead")


class AttemptOutcome(models.TextChoices):
    DELIVERED = "delivered", _("Delivered")
    RETRYABLE = "retryable", _("Retryable failure")
    PERMANENT = "permanent", _("Permanent failure")


class InboundKind(models.TextChoices):
    USAGE_RECORDS = "usage_records", _("Usage records")
    SERVICE_ALARM = "service_alarm", _("Service alarm")
    NETWORK_ALARM = "network_alarm", _("Network fault or clear")
    DEPLOYMENT_UPDATE = "deployment_update", _("Network deployment update")


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSING = "processing", _("Processing")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed, can be retried")
    UNHANDLED = "unhandled", _("Waiting for a handler")
    REJECTED = "rejected", _("Rejected (malformed)")
