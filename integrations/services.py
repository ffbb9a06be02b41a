"""Write paths of the integrations app: the registry's credentials, the
transactional outbox and its delivery, and inbound messages."""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import errors, inbound_handlers, signals
from integrations.choices import (
    AttemptOutcome,
    CircuitState,
    InboundStatus,
    OutboxStatus,
    SystemKind,
)
from integrations.errors import DeliveryError, RetryableError
from integrations.models import (
    CoverageRecord,
    DeliveryAttempt,
    ExternalSystem,
    InboundCredential,
    InboundMessage,
    OutboxMessage,
)
from sesmu.audit import audit_record
from sesmu.errors import field_error
from sesmu.models import AuditAction, User

logger = logging.getLogger("sesmu.integrations")

BACKOFF_BASE_SECONDS = 2
BACKOFF_MAX_SECONDS = 15 * 60
# A message claimed longer ago than this lost its worker (killed, restarted):
# the sweeper hands it out again. Longer than any timeout of a single call.
# The setting SESMU_OUTBOX_LEASE_SECONDS overrides it (read at each sweep, so
# the worker tests can use a lease of a few seconds).
DELIVERY_LEASE_SECONDS = 120


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Registry ---------------------------------------------------------------------


@transaction.atomic
def inbound_credential_rotate(
    *, system: ExternalSystem, actor: User | None, overlap_hours: int = 24
) -> tuple[InboundCredential, str]:
    """A new token and HMAC secret for a system. The current ones stay valid
    for `overlap_hours` so the system can switch without losing a message.
    Returns the credential and the token in clear: shown once, never stored."""
    system = ExternalSystem.objects.select_for_update().get(pk=system.pk)
    now = timezone.now()
    until = now + timedelta(hours=overlap_hours)
    InboundCredential.objects.filter(system=system).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=until)
    ).update(valid_until=until)
    token = secrets.token_urlsafe(32)
    credential = InboundCredential.objects.create(
        system=system, token_hash=token_hash(token), token_hint=token[-6:],
        hmac_secret=secrets.token_hex(32),
    )
    audit_record(actor=actor, action=AuditAction.CREATE, target=credential,
                 changes={"valid_until_of_previous": [None, until.isoformat()]})
    return credential, token


def inbound_credential_create_known(
    *, system: ExternalSystem, token: str, hmac_secret: str
) -> InboundCredential:
    """A credential with values agreed beforehand (demo and tests)."""
    credential, _created = InboundCredential.objects.get_or_create(
        token_hash=token_hash(token),
        defaults={"system": system, "token_hint": token[-6:], "hmac_secret": hmac_secret},
    )
    return credential


# Outbox -----------------------------------------------------------------------


def outbox_enqueue(
    *,
    destination: ExternalSystem,
    kind: str,
    payload: dict[str, Any],
    idempotency_key: str,
    ordering_key: str = "",
    source_kind: str = "",
    source_id: str = "",
    actor: User | None = None,
) -> OutboxMessage:
    """Record a message for an external system in the caller's transaction.
    It is delivered after commit, and never if the transaction rolls back."""
    if not idempotency_key:
        raise field_error("idempotency_key", _("A message needs an idempotency key."),
                          code="required")
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                destination=destination, kind=kind, payload=payload,
                idempotency_key=idempotency_key, ordering_key=ordering_key,
                source_kind=source_kind, source_id=str(source_id),
                next_attempt_at=timezone.now(),
                created_by=actor if actor is not None and actor.pk else None,
            )
    except IntegrityError:
        raise field_error(
            "idempotency_key",
            _("A message with this idempotency key was already sent to %(system)s.")
            % {"system": destination.code},
            code=errors.DUPLICATE_IDEMPOTENCY_KEY,
        )
    transaction.on_commit(lambda: _schedule_delivery(message.pk))
    return message


def _schedule_delivery(message_id: int, *, countdown: float = 0) -> None:
    from integrations.tasks import outbox_deliver_task

    if settings.CELERY_TASK_ALWAYS_EAGER and countdown:
        # Eager tasks ignore countdowns: the sweeper picks this one up when due.
        return
    try:
        outbox_deliver_task.apply_async(args=[message_id], countdown=countdown)
    except Exception:  # noqa: BLE001 - the broker is down: the sweeper delivers it later
        logger.warning("Could not queue outbox message %s; the sweeper will.", message_id)


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter: spreads retries of many messages
    so a recovering system is not hit by all of them at once."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


def _blocked_by_earlier(message: OutboxMessage) -> bool:
    """Messages with the same ordering key go out in the order they were
    written: an earlier one not yet delivered (nor given up) holds this one."""
    if not message.ordering_key:
        return False
    return OutboxMessage.objects.filter(
        destination_id=message.destination_id, ordering_key=message.ordering_key,
        id__lt=message.id,
    ).exclude(status__in=[OutboxStatus.DELIVERED, OutboxStatus.DEAD]).exists()


def _claim(message_id: int) -> OutboxMessage | None:
    """Take a due message for one attempt, or None if someone else has it,
    it is not due, or an earlier message of its ordering key comes first."""
    now = timezone.now()
    with transaction.atomic():
        # Lock the message row only (of self): FOR UPDATE on the join would
        # also lock the destination's row, and every concurrent claim for the
        # same destination would then SKIP each other's messages, leaving
        # them pending with no task until the sweeper.
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("destination")
            .filter(pk=message_id, status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED],
                    next_attempt_at__lte=now)
            .first()
        )
        if message is None or _blocked_by_earlier(message):
            return None
        message.claim()
        message.attempts += 1
        message.claimed_at = now
        message.save(update_fields=["status", "attempts", "claimed_at"])
        return message


def _circuit_allows(system: ExternalSystem) -> tuple[bool, bool]:
    """(may call, is a probe). While the circuit is open no call goes out;
    after the reset time exactly one caller wins the probe (compare-and-set)."""
    if system.circuit_state == CircuitState.CLOSED:
        return True, False
    due = timezone.now() - timedelta(seconds=system.circuit_reset_seconds)
    if system.circuit_state == CircuitState.OPEN and system.circuit_opened_at <= due:
        won = ExternalSystem.objects.filter(
            pk=system.pk, circuit_state=CircuitState.OPEN,
            circuit_opened_at=system.circuit_opened_at,
        ).update(circuit_state=CircuitState.HALF_OPEN, circuit_opened_at=timezone.now())
        return bool(won), bool(won)
    if system.circuit_state == CircuitState.HALF_OPEN and system.circuit_opened_at <= due:
        # The probe's worker died: let another probe go.
        won = ExternalSystem.objects.filter(
            pk=system.pk, circuit_state=CircuitState.HALF_OPEN,
            circuit_opened_at=system.circuit_opened_at,
        ).update(circuit_opened_at=timezone.now())
        return bool(won), bool(won)
    return False, False


HEALTH_REFRESH_SECONDS = 10


def _record_success(system: ExternalSystem) -> None:
    """Close the circuit and stamp the success. A healthy system delivering
    a stream of messages is stamped every few seconds, not once per message:
    the row is shared by every worker and this is the delivery's hot path."""
    now = timezone.now()
    if (
        system.circuit_state == CircuitState.CLOSED
        and system.consecutive_failures == 0
        and system.last_success_at is not None
        and now - system.last_success_at < timedelta(seconds=HEALTH_REFRESH_SECONDS)
    ):
        return
    ExternalSystem.objects.filter(pk=system.pk).update(
        circuit_state=CircuitState.CLOSED, circuit_opened_at=None, consecutive_failures=0,
        last_success_at=now,
    )


def _record_failure(system: ExternalSystem, error: str, *, was_probe: bool) -> None:
    now = timezone.now()
    ExternalSystem.objects.filter(pk=system.pk).update(
        consecutive_failures=F("consecutive_failures") + 1, last_failure_at=now,
        last_error=error[:500],
    )
    system.refresh_from_db(fields=["consecutive_failures", "circuit_state"])
    if was_probe or (
        system.circuit_state == CircuitState.CLOSED
        and system.consecutive_failures >= system.circuit_failure_threshold
    ):
        ExternalSystem.objects.filter(pk=system.pk).update(
            circuit_state=CircuitState.OPEN, circuit_opened_at=now
        )
        logger.warning("Circuit of %s opened after: %s", system.code, error)


def _hold_back(message: OutboxMessage, *, until: datetime, reason: str) -> None:
    """Give a claimed message back without counting an attempt."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if message.status != OutboxStatus.DELIVERING:
            return
        message.mark_failed()
        message.attempts = max(message.attempts - 1, 0)
        message.next_attempt_at = until
        message.last_error = reason
        message.save(update_fields=["status", "attempts", "next_attempt_at", "last_error"])


def outbox_deliver(*, message_id: int) -> OutboxStatus | None:
    """One delivery attempt of one message; safe to run twice and from many
    workers at once. Returns the message's new status, or None if it was not
    this caller's to deliver."""
    from integrations.adapters import deliver

    message = _claim(message_id)
    if message is None:
        return None
    system = message.destination
    if not system.enabled:
        _hold_back(message, until=timezone.now() + timedelta(minutes=5),
                   reason=_("The destination is disabled."))
        return OutboxStatus.FAILED
    allowed, is_probe = _circuit_allows(system)
    if not allowed:
        reopen = (system.circuit_opened_at or timezone.now()) + timedelta(
            seconds=system.circuit_reset_seconds)
        _hold_back(message, until=reopen + timedelta(milliseconds=random.randint(0, 2000)),  # noqa: S311
                   reason=_("Held back: the destination's circuit is open."))
        return OutboxStatus.FAILED

    started = time.monotonic()
    try:
        response = deliver(message)
    except Exception as raised:  # noqa: BLE001 - a bug in an adapter must not strand the row
        if isinstance(raised, DeliveryError):
            error = raised
        else:
            logger.exception("Unexpected error delivering outbox message %s", message.pk)
            error = RetryableError(f"{type(raised).__name__}: {raised}")
        duration = int((time.monotonic() - started) * 1000)
        _after_failure(message, error, duration_ms=duration, is_probe=is_probe)
        return OutboxStatus.FAILED if error.retryable else OutboxStatus.DEAD
    duration = int((time.monotonic() - started) * 1000)
    _after_success(message, response, duration_ms=duration, is_probe=is_probe)
    return OutboxStatus.DELIVERED


def _after_success(message: OutboxMessage, response: dict, *, duration_ms: int,
                   is_probe: bool) -> None:
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        DeliveryAttempt.objects.create(message=message, outcome=AttemptOutcome.DELIVERED,
                                       is_probe=is_probe, duration_ms=duration_ms)
        if message.status == OutboxStatus.DELIVERING:
            message.mark_delivered()
            message.delivered_at = timezone.now()
            message.response = response if isinstance(response, dict) else {}
            message.last_error = ""
            message.save(update_fields=["status", "delivered_at", "response", "last_error"])
            delivered = message
            transaction.on_commit(lambda: signals.outbox_message_delivered.send(
                sender=OutboxMessage, message=delivered, response=delivered.response))
        _record_success(message.destination)
        following = _next_in_order(message)
    if following is not None:
        transaction.on_commit(lambda: _schedule_delivery(following))
    if is_probe:
        # The destination is back: send what waited for it now, not at each
        # message's own retry time.
        transaction.on_commit(lambda: outbox_release_held(destination_id=message.destination_id))


def _next_in_order(message: OutboxMessage) -> int | None:
    if not message.ordering_key:
        return None
    return (
        OutboxMessage.objects.filter(
            destination_id=message.destination_id, ordering_key=message.ordering_key,
            id__gt=message.id, status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED],
        ).order_by("id").values_list("id", flat=True).first()
    )


def _after_failure(message: OutboxMessage, error: DeliveryError, *, duration_ms: int,
                   is_probe: bool) -> None:
    text = str(error)[:500]
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().select_related(
            "destination").get(pk=message.pk)
        DeliveryAttempt.objects.create(
            message=message,
            outcome=AttemptOutcome.RETRYABLE if error.retryable else AttemptOutcome.PERMANENT,
            is_probe=is_probe, status_code=error.status_code, error=text,
            duration_ms=duration_ms,
        )
        message.last_error = text
        if message.status != OutboxStatus.DELIVERING:
            return
        if not error.retryable or message.attempts >= message.destination.max_attempts:
            message.mark_dead()
            message.save(update_fields=["status", "last_error"])
            logger.error("Outbox message %s is dead: %s", message.pk, text)
            dead = message
            transaction.on_commit(lambda: signals.outbox_message_dead.send(
                sender=OutboxMessage, message=dead, error=text))
        else:
            message.mark_failed()
            delay = backoff_seconds(message.attempts)
            message.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            message.save(update_fields=["status", "last_error", "next_attempt_at"])
            transaction.on_commit(lambda: _schedule_delivery(message.pk, countdown=delay))
        if error.retryable:
            _record_failure(message.destination, text, was_probe=is_probe)


def outbox_release_held(*, destination_id: int) -> int:
    """Make every waiting message of a destination due now (after recovery)
    and hand it out. Messages held back while the circuit was open have no
    task of their own, including those whose hold already ended: all of them
    are handed out, not only those still in the future."""
    now = timezone.now()
    ids = list(
        OutboxMessage.objects.filter(destination_id=destination_id, status=OutboxStatus.FAILED)
        .values_list("id", flat=True)
    )
    OutboxMessage.objects.filter(pk__in=ids, next_attempt_at__gt=now).update(next_attempt_at=now)
    for message_id in _heads_of_order(ids):
        _schedule_delivery(message_id)
    return len(ids)


def _heads_of_order(ids: list[int]) -> list[int]:
    """Of these messages, the ones that can go now: no earlier undelivered
    message with the same ordering key."""
    earlier = OutboxMessage.objects.filter(
        destination_id=OuterRef("destination_id"), ordering_key=OuterRef("ordering_key"),
        id__lt=OuterRef("id"),
    ).exclude(ordering_key="").exclude(status__in=[OutboxStatus.DELIVERED, OutboxStatus.DEAD])
    return list(
        OutboxMessage.objects.filter(pk__in=ids)
        .annotate(blocked=Exists(earlier)).filter(blocked=False)
        .order_by("id").values_list("id", flat=True)
    )


def delivery_lease_seconds() -> float:
    """How long a claim lasts before the sweeper takes the message back."""
    return float(getattr(settings, "SESMU_OUTBOX_LEASE_SECONDS", DELIVERY_LEASE_SECONDS))


def outbox_sweep(*, limit: int = 1000) -> dict[str, int]:
    """Hand out again what no task will deliver: due messages whose task was
    lost (broker restarted, worker killed, queue purged) and messages claimed
    by a worker that died mid-delivery. Run periodically; safe to overlap."""
    now = timezone.now()
    lease_expired = now - timedelta(seconds=delivery_lease_seconds())
    recovered = 0
    stale = list(
        OutboxMessage.objects.filter(status=OutboxStatus.DELIVERING,
                                     claimed_at__lt=lease_expired)
        .values_list("id", flat=True)[:limit]
    )
    for message_id in stale:
        with transaction.atomic():
            message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
                pk=message_id, status=OutboxStatus.DELIVERING, claimed_at__lt=lease_expired,
            ).first()
            if message is None:
                continue
            message.requeue()
            message.next_attempt_at = now
            message.last_error = _("Recovered from a lost worker.")
            message.save(update_fields=["status", "next_attempt_at", "last_error"])
            recovered += 1
    due = list(
        OutboxMessage.objects.filter(
            status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED], next_attempt_at__lte=now,
        ).order_by("id").values_list("id", flat=True)[:limit]
    )
    heads = _heads_of_order(due)
    for message_id in heads:
        _schedule_delivery(message_id)
    return {"recovered": recovered, "scheduled": len(heads)}


@transaction.atomic
def outbox_retry(*, message: OutboxMessage, actor: User | None) -> OutboxMessage:
    """A supervisor sends a dead message again, with the same idempotency key."""
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != OutboxStatus.DEAD:
        raise ValidationError(_("Only dead messages can be retried by hand."),
                              code=errors.NOT_RETRYABLE)
    message.requeue()
    message.attempts = 0
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit_record(actor=actor, action=AuditAction.TRANSITION, target=message,
                 changes={"status": [OutboxStatus.DEAD, OutboxStatus.PENDING]})
    transaction.on_commit(lambda: _schedule_delivery(message.pk))
    return message


# Inbound ----------------------------------------------------------------------


class InboundRefused(Exception):
    """An inbound call refused before anything is stored."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code


def inbound_authenticate(*, token: str) -> tuple[ExternalSystem, list[InboundCredential]]:
    """The system behind a token and every credential of it valid now (old
    and new during a rotation)."""
    now = timezone.now()
    credential = (
        InboundCredential.objects.select_related("system")
        .filter(token_hash=token_hash(token or ""))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .first()
    )
    if credential is None or not credential.system.enabled:
        raise InboundRefused(401, "invalid_token", _("Unknown or expired token."))
    valid = list(
        InboundCredential.objects.filter(system=credential.system).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gt=now)
        )
    )
    return credential.system, valid


@transaction.atomic
def inbound_store(*, system: ExternalSystem, kind: str, message_id: str, body: bytes,
                  payload: Any, error: str = "") -> InboundMessage:
    """Keep the raw message before anything is done with it. A message id
    already stored is refused (replays are no-ops)."""
    status = InboundStatus.REJECTED if error else InboundStatus.RECEIVED
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                system=system, kind=kind, message_id=message_id, status=status,
                body=body.decode("utf-8", errors="replace"), payload=payload, error=error,
            )
    except IntegrityError:
        raise InboundRefused(409, "duplicate_message",
                             _("This message id was already received; nothing was done."))
    if status == InboundStatus.RECEIVED:
        transaction.on_commit(lambda: _schedule_processing(message.pk))
    return message


def _schedule_processing(message_id: int) -> None:
    from integrations.tasks import inbound_process_task

    try:
        inbound_process_task.delay(message_id)
    except Exception:  # noqa: BLE001 - broker down: the sweeper processes it later
        logger.warning("Could not queue inbound message %s; the sweeper will.", message_id)


def inbound_process(*, message_id: int) -> InboundStatus | None:
    """Run the handler registered for the message's kind, once. Failures keep
    the message with the error; it can be processed again."""
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update(skip_locked=True).filter(
            pk=message_id,
            status__in=[InboundStatus.RECEIVED, InboundStatus.FAILED, InboundStatus.UNHANDLED],
        ).first()
        if message is None:
            return None
        handler = inbound_handlers.handler_for(message.kind)
        message.start()
        message.attempts += 1
        if handler is None:
            message.park()
            message.error = _("No handler is registered for this kind yet.")
            message.save(update_fields=["status", "attempts", "error"])
            return InboundStatus.UNHANDLED
        try:
            with transaction.atomic():
                result = handler(message)
        except Exception as error:  # noqa: BLE001 - kept with the message, retryable
            message.fail()
            message.error = f"{type(error).__name__}: {error}"[:5000]
            message.save(update_fields=["status", "attempts", "error"])
            logger.exception("Inbound message %s failed", message.pk)
            return InboundStatus.FAILED
        message.finish()
        message.result = result if isinstance(result, dict) else {}
        message.error = ""
        message.processed_at = timezone.now()
        message.save(update_fields=["status", "attempts", "result", "error", "processed_at"])
        return InboundStatus.PROCESSED


def inbound_sweep(*, limit: int = 1000) -> int:
    """Process again what was received but never processed (lost task), and
    unhandled messages once a handler exists."""
    kinds = inbound_handlers.registered_kinds()
    ids = list(
        InboundMessage.objects.filter(
            Q(status=InboundStatus.RECEIVED, received_at__lt=timezone.now() - timedelta(seconds=30))
            | Q(status=InboundStatus.UNHANDLED, kind__in=kinds)
        ).values_list("id", flat=True)[:limit]
    )
    for message_id in ids:
        _schedule_processing(message_id)
    return len(ids)


def inbound_reject(*, refusal: InboundRefused, system: ExternalSystem | None,
                   remote: str | None) -> None:
    """Refused calls store nothing: one line in the security log."""
    logging.getLogger("sesmu.security").warning(
        "inbound refused status=%s code=%s system=%s remote=%s",
        refusal.status, refusal.code, system.code if system else "-", remote or "-",
    )



# Serviceability -------------------------------------------------------------------


@dataclass(frozen=True)
class Serviceability:
    """Which access media reach a postal code: `media` maps each medium to
    its (download, upload) Mbit/s; `live` says whether the network
    management system answered now or the kept coverage data was used."""

    postal_code: str
    media: dict[str, tuple[int, int]]
    live: bool
    checked_at: datetime

    def reaches(self, medium: str) -> bool:
        return medium in self.media


def _network_system() -> ExternalSystem | None:
    return (ExternalSystem.objects.filter(kind=SystemKind.NETWORK_ACCESS, enabled=True)
            .order_by("code").first())


def address_serviceability(*, postal_code: str, street: str = "",
                           street_number: str = "") -> Serviceability:
    """Ask the access network's management system which media reach the
    address, and keep the answer. When it cannot answer, the coverage it
    last gave for the postal code is used; with none, the check is refused
    so that nobody sells a service blind."""
    from integrations.adapters import adapter_for

    postal_code = postal_code.strip()
    system = _network_system()
    problem = _("No network management system is registered.")
    if system is not None:
        try:
            with adapter_for(system) as adapter:
                answer = adapter.serviceability(postal_code=postal_code, street=street,
                                                street_number=street_number)
        except DeliveryError as error:
            problem = _("The network management system did not answer (%(error)s).") % {
                "error": str(error)[:200]}
        else:
            return _keep_coverage(system, postal_code, answer)
    kept = list(CoverageRecord.objects.filter(postal_code=postal_code))
    if not kept:
        raise field_error(
            "service_address",
            _("Cannot check coverage at %(code)s: %(problem)s Try again later.")
            % {"code": postal_code, "problem": problem},
            code=errors.SERVICEABILITY_UNKNOWN)
    return Serviceability(
        postal_code=postal_code,
        media={record.medium: (record.max_down_mbps, record.max_up_mbps) for record in kept},
        live=False, checked_at=max(record.checked_at for record in kept))


def _keep_coverage(system: ExternalSystem, postal_code: str, answer: dict) -> Serviceability:
    media: dict[str, tuple[int, int]] = {}
    for entry in answer.get("accessMedia") or []:
        if isinstance(entry, dict) and entry.get("medium"):
            media[str(entry["medium"])] = (int(entry.get("maxDownstreamMbps") or 0),
                                           int(entry.get("maxUpstreamMbps") or 0))
    now = timezone.now()
    with transaction.atomic():
        CoverageRecord.objects.filter(postal_code=postal_code).exclude(
            medium__in=list(media)).delete()
        for medium, (down, up) in media.items():
            CoverageRecord.objects.update_or_create(
                postal_code=postal_code, medium=medium,
                defaults={"max_down_mbps": down, "max_up_mbps": up, "source": system,
                          "checked_at": now})
    return Serviceability(postal_code=postal_code, media=media, live=True, checked_at=now)
