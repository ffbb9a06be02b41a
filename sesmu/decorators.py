from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django_htmx.http import HttpResponseClientRedirect

from sesmu.choices import UserKind


def staff_view(*permissions: str):
    """A page for staff holding all these permissions: anonymous users go to
    the login page, portal customers and other roles get 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                htmx = getattr(request, "htmx", None)
                if htmx:
                    # A panel or the call form asked after the session ended:
                    # a plain redirect would swap the login page into the
                    # panel, so send the whole browser there, and back to the
                    # page it was on afterwards.
                    back_to = htmx.current_url_abs_path or request.get_full_path()
                    return HttpResponseClientRedirect(redirect_to_login(back_to).url)
                return redirect_to_login(request.get_full_path())
            if user.kind != UserKind.STAFF or not user.has_perms(permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
