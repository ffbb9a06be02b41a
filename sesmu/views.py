from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from sesmu.roles import works_only_in_the_field
from sesmu.services import user_set_language


@require_POST
def set_language(request):
    """Switch the interface language; a logged-in user keeps it on their
    profile, so it follows them to any machine."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language, actor=request.user)
    translation.activate(language)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax",
                        max_age=365 * 24 * 3600)
    return response


@never_cache
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def forbidden(request, exception=None):
    return render(request, "403.html", status=403)


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def start(request):
    """Where "/" and a fresh login lead: a field technician who has no desk
    work goes to their day on the phone page, everyone else to the desk."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if works_only_in_the_field(user):
        return redirect("workforce:today")
    return redirect("callcenter:home")
