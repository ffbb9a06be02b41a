"""Domain errors shared by every app."""

from django.http import Http404


class NotFound(Http404):
    """Raised by access_* functions alike for what does not exist and what the
    actor may not see, so that a refusal never reveals that something exists."""
