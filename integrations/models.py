"""External systems SESMU talks to, the messages it owes them (outbox) and
the messages they sent it (inbound)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from integrations.choices import (
    AttemptOutcome,
    CircuitState,
    InboundKind,
    InboundStatus,
    OutboxStatus,
    SystemKind,
)
from sesmu.choices import ServiceKind


def mask_secret(value: str) -> str:
    if not value:
        return ""
    return "•" * 8 + value[-4:] if len(value) > 8 else "•" * len(value)


class ExternalSystem(models.Model):
    """A system SESMU does not own: a network or service management system
    (element manager), a printing house, an external billing system, a
    payment gateway. Also keeps its health: last success and failure, and the
    circuit breaker that holds calls back while it is down."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=30, choices=SystemKind.choices)
    service_kind = models.CharField(
        _("service"), max_length=20, choices=ServiceKind.choices, blank=True,
        help_text=_("For service management systems: the service they provision."),
    )
    base_url = models.URLField(_("base URL"), max_length=300)
    outbound_token = models.CharField(
        _("outbound credential"), max_length=300, blank=True,
        help_text=_("Sent as a bearer token. Never shown in full once saved."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    connect_timeout_ms = models.PositiveIntegerField(_("connect timeout (ms)"), default=2000)
    read_timeout_ms = models.PositiveIntegerField(_("read timeout (ms)"), default=10000)
    max_attempts = models.PositiveSmallIntegerField(_("maximum attempts"), default=12)
    circuit_failure_threshold = models.PositiveSmallIntegerField(
        _("failures that open the circuit"), default=5
    )
    circuit_reset_seconds = models.PositiveIntegerField(
        _("seconds before a probe"), default=30
    )
    # Health, written by the delivery path.
    circuit_state = models.CharField(
        _("circuit"), max_length=10, choices=CircuitState.choices, default=CircuitState.CLOSED
    )
    circuit_opened_at = models.DateTimeField(_("circuit opened at"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("external system")
        verbose_name_plural = _("external systems")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def outbound_token_masked(self) -> str:
        return mask_secret(self.outbound_token)


class InboundCredential(models.Model):
    """What an external system presents when it calls SESMU: an API token
    (stored as its SHA-256) and the secret of its HMAC signatures. Rotation
    adds a new credential and lets the old one live until `valid_until`, so
    both are accepted during the change-over."""

    system = models.ForeignKey(
        ExternalSystem, verbose_name=_("system"), on_delete=models.CASCADE,
        related_name="inbound_credentials",
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    token_hint = models.CharField(_("token ends with"), max_length=8)
    hmac_secret = models.CharField(_("HMAC secret"), max_length=128)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inbound credential")
        verbose_name_plural = _("inbound credentials")
        ordering = ["system", "-created_at"]

    def __str__(self) -> str:
        return f"{self.system.code} …{self.token_hint}"


class OutboxMessage(FSMModelMixin, models.Model):
    """Something SESMU must tell an external system, written in the same
    transaction as the change that causes it and delivered by a task: it is
    never lost when the system or the broker is down, and it carries its
    idempotency key so the receiver applies it once."""

    destination = models.ForeignKey(
        ExternalSystem, verbose_name=_("destination"), on_delete=models.PROTECT,
        related_name="outbox_messages",
    )
    kind = models.CharField(_("kind"), max_length=60)
    payload = models.JSONField(_("payload"), default=dict)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120)
    ordering_key = models.CharField(_("ordering key"), max_length=120, blank=True)
    status = FSMField(
        _("status"), max_length=12, choices=OutboxStatus.choices, default=OutboxStatus.PENDING,
        protected=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    response = models.JSONField(_("response"), default=dict, blank=True)
    # What caused the message (a subscription order, a ticket...), by kind and id.
    source_kind = models.CharField(_("source kind"), max_length=40, blank=True)
    source_id = models.CharField(_("source id"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "idempotency_key"], name="outbox_idempotency_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(idempotency_key=""), name="outbox_idempotency_not_empty"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["destination", "ordering_key", "id"], name="outbox_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.destination_id}:{self.kind}:{self.idempotency_key}"

    @transition(field=status, source=[OutboxStatus.PENDING, OutboxStatus.FAILED],
                target=OutboxStatus.DELIVERING)
    def claim(self) -> None:
        """Taken by a worker for one attempt."""

    @transition(field=status, source=OutboxStatus.DELIVERING, target=OutboxStatus.DELIVERED)
    def mark_delivered(self) -> None:
        """The receiver accepted it."""

    @transition(field=status, source=OutboxStatus.DELIVERING, target=OutboxStatus.FAILED)
    def mark_failed(self) -> None:
        """A retryable failure: tried again later."""

    @transition(field=status, source=[OutboxStatus.DELIVERING, OutboxStatus.FAILED,
                                      OutboxStatus.PENDING], target=OutboxStatus.DEAD)
    def mark_dead(self) -> None:
        """A permanent failure, or too many attempts: waits for a person."""

    @transition(field=status, source=[OutboxStatus.DEAD, OutboxStatus.DELIVERING],
                target=OutboxStatus.PENDING)
    def requeue(self) -> None:
        """Retried by hand, or recovered from a lost worker."""


class DeliveryAttempt(models.Model):
    """One HTTP call made for an outbox message: the health of a destination
    and the proof of what was (and was not) sent while its circuit was open."""

    message = models.ForeignKey(
        OutboxMessage, verbose_name=_("message"), on_delete=models.CASCADE,
        related_name="delivery_attempts",
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=AttemptOutcome.choices)
    is_probe = models.BooleanField(_("circuit probe"), default=False)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.outcome}"


class InboundMessage(FSMModelMixin, models.Model):
    """A message an external system sent (usage, alarms, faults, coverage),
    stored raw before anything is done with it and processed once."""

    system = models.ForeignKey(
        ExternalSystem, verbose_name=_("system"), on_delete=models.PROTECT,
        related_name="inbound_messages",
    )
    message_id = models.CharField(_("message id"), max_length=120)
    kind = models.CharField(_("kind"), max_length=30, choices=InboundKind.choices)
    body = models.TextField(_("raw body"))
    payload = models.JSONField(_("parsed body"), null=True, blank=True)
    status = FSMField(
        _("status"), max_length=12, choices=InboundStatus.choices,
        default=InboundStatus.RECEIVED, protected=True,
    )
    attempts = models.PositiveSmallIntegerField(_("processing attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["system", "message_id"],
                                    name="inbound_message_unique"),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="inbound_status_idx")]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.kind}:{self.message_id}"

    @transition(field=status, source=[InboundStatus.RECEIVED, InboundStatus.FAILED,
                                      InboundStatus.UNHANDLED], target=InboundStatus.PROCESSING)
    def start(self) -> None:
        """Claimed by a worker."""

    @transition(field=status, source=InboundStatus.PROCESSING, target=InboundStatus.PROCESSED)
    def finish(self) -> None:
        """Its handler did the work."""

    @transition(field=status, source=InboundStatus.PROCESSING, target=InboundStatus.FAILED)
    def fail(self) -> None:
        """Its handler raised: kept with the error, retryable."""

    @transition(field=status, source=InboundStatus.PROCESSING, target=InboundStatus.UNHANDLED)
    def park(self) -> None:
        """No app handles this kind yet: kept until one does."""


class InboundKindSlug:
    """URL slugs of the inbound endpoints."""

    BY_SLUG = {
        "usage-records": InboundKind.USAGE_RECORDS,
        "service-alarms": InboundKind.SERVICE_ALARM,
        "network-alarms": InboundKind.NETWORK_ALARM,
        "deployment-updates": InboundKind.DEPLOYMENT_UPDATE,
    }


class CoverageRecord(models.Model):
    """What the network management system last said about a postal code:
    an access medium that reaches it and its best speeds. Kept so a new
    subscription can still be checked while the system does not answer."""

    postal_code = models.CharField(_("postal code"), max_length=10)
    medium = models.CharField(_("access medium"), max_length=10)
    max_down_mbps = models.PositiveIntegerField(_("download up to (Mbit/s)"), default=0)
    max_up_mbps = models.PositiveIntegerField(_("upload up to (Mbit/s)"), default=0)
    source = models.ForeignKey(ExternalSystem, verbose_name=_("from"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        verbose_name = _("coverage record")
        verbose_name_plural = _("coverage records")
        ordering = ["postal_code", "medium"]
        constraints = [
            models.UniqueConstraint(fields=["postal_code", "medium"], name="coverage_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.postal_code} {self.medium}"
