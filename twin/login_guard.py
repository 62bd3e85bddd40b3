"""Sign-in under attack: the client address, the lockout answer, and the password forms django-axes cannot see."""

from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

LOCKED_OUT_FR = "Trop d’essais de connexion manqués : ce compte est bloqué depuis cette adresse pendant {minutes} min."
LOCKED_OUT_EN = "Too many failed sign-in attempts: this account is locked from this address for {minutes} min."


def client_ip(request: HttpRequest) -> str:
    """The client's address, by the rule the API throttles use (JUMEAU_TRUSTED_PROXIES, DRF's NUM_PROXIES).

    Behind nginx the last X-Forwarded-For entry is the address nginx saw; with no proxy the socket's.
    Lockouts and throttles agree on who a client is, and neither reads what a client wrote itself.
    """
    return BaseThrottle().get_ident(request)


class RequestBoundAxesBackend(AxesStandaloneBackend):
    """Axes' lockout check on every sign-in made through a request.

    `authenticate()` called by code with no request (a management command, a shell) has no client to
    lock out: axes would raise; here the next backend simply checks the password.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _cool_off_seconds(request: HttpRequest) -> int:
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds())) if cool_off else 3600


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return (
        request.path.startswith("/api/")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or ("application/json" in accept and "text/html" not in accept)
    )


def lockout_response(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """429 with Retry-After, in French and English: a page for a browser, JSON for the app and the API."""
    seconds = _cool_off_seconds(request)
    minutes = math.ceil(seconds / 60)
    fr, en = LOCKED_OUT_FR.format(minutes=minutes), LOCKED_OUT_EN.format(minutes=minutes)
    if _wants_json(request):
        response = JsonResponse(
            {"detail": f"{fr} / {en}", "detail_fr": fr, "detail_en": en, "retry_after_s": seconds}, status=429
        )
    else:
        response = render(request, "registration/locked_out.html", {"message_fr": fr, "message_en": en}, status=429)
    response["Retry-After"] = str(seconds)
    return response


class GuardedPasswordChangeView(auth_views.PasswordChangeView):
    """Password change whose wrong "old password" counts as a failed sign-in.

    The form checks the old password with `check_password`, which axes never sees: without this a
    stolen session could guess the password it would then change, at any speed.
    """

    def _credentials(self) -> dict:
        return {settings.AXES_USERNAME_FORM_FIELD: self.request.user.get_username()}

    def post(self, request, *args, **kwargs):
        if AxesProxyHandler.is_locked(request, self._credentials()):
            return lockout_response(request, None, self._credentials())
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if "old_password" in form.errors:
            user_login_failed.send(sender=type(self), credentials=self._credentials(), request=self.request)
            if getattr(self.request, "axes_locked_out", False):
                return lockout_response(self.request, None, self._credentials())
        return super().form_invalid(form)


class PasswordResetThrottle(SimpleRateThrottle):
    """Reset e-mails asked per client address ('password_reset' rate): a form must not flood a mailbox."""

    scope = "password_reset"

    def get_rate(self):
        return settings.JUMEAU_PASSWORD_RESET_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    def post(self, request, *args, **kwargs):
        throttle = PasswordResetThrottle()
        if not throttle.allow_request(request, self):
            wait = max(1, math.ceil(throttle.wait() or 1))
            response = HttpResponse(
                "Trop de demandes de réinitialisation depuis cette adresse : réessayez plus tard. / "
                "Too many password reset requests from this address: try again later.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)
