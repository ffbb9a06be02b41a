"""Domain errors shared by every app."""

from django.core.exceptions import ValidationError
from django.http import Http404


class NotFound(Http404):
    """Raised by access_* functions alike for what does not exist and what the
    actor may not see, so that a refusal never reveals that something exists."""


def field_error(field: str, message: str, *, code: str) -> ValidationError:
    """A ValidationError on one field that keeps its code (a dict passed to
    ValidationError drops the `code` argument)."""
    return ValidationError({field: ValidationError(message, code=code)})
