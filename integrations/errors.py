"""Failures of calls to external systems, told apart by what to do next."""

DUPLICATE_IDEMPOTENCY_KEY = "duplicate_idempotency_key"
SYSTEM_DISABLED = "system_disabled"
NOT_RETRYABLE = "not_retryable"


class DeliveryError(Exception):
    """A call to an external system did not succeed."""

    retryable = True

    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


class RetryableError(DeliveryError):
    """Worth trying again later: connection refused, timeout, 5xx, 429."""

    retryable = True


class PermanentError(DeliveryError):
    """Trying again will not help: the receiver refused the message (4xx)."""

    retryable = False
SERVICEABILITY_UNKNOWN = "serviceability_unknown"
