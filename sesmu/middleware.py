from __future__ import annotations

import uuid

from django.utils import translation

from sesmu import request_context


class UserLanguageMiddleware:
    """A logged-in user works in the language saved on their profile."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class RequestContextMiddleware:
    """Remember where this request comes from, for the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith("/api/") else "web"
        if request.path.startswith("/admin/"):
            channel = "admin"
        request_id = request.headers.get("X-Request-Id", "")[:40] or uuid.uuid4().hex
        token = request_context.activate(
            request_context.RequestContext(
                channel=channel,
                ip_address=request.META.get("REMOTE_ADDR") or None,
                request_id=request_id,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            request_context.deactivate(token)
        response["X-Request-Id"] = request_id
        return response
