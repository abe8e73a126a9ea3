"""Sessions end after a spell of inactivity and, at the latest, a fixed time after sign-in.

A phone is easily lost or shared in a family: a session must not stay open
for days. The session keeps two timestamps (seconds since the epoch):
when she signed in and when she was last seen. "Last seen" is written at
most once a minute, so a busy page does not write the session row on every
request.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .network import client_ip
from .services import logout_record

SIGNED_IN_AT = "ketnoi_signed_in_at"
SEEN_AT = "ketnoi_seen_at"
SEEN_WRITE_EVERY_SECONDS = 60

EXPIRED_MESSAGE = _("Phiên làm việc đã hết hạn, hãy đăng nhập lại.")


def _now() -> float:
    return timezone.now().timestamp()


def session_start(request: HttpRequest) -> None:
    """Stamp the session as signed in now; call right after ``auth.login``."""
    now = int(_now())
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


def session_expiry_reason(request: HttpRequest, *, now: float | None = None) -> str:
    """``"idle"``, ``"lifetime"`` or ``""`` (still valid) for a signed-in session."""
    now = _now() if now is None else now
    try:
        signed_in = float(request.session[SIGNED_IN_AT])
        seen = float(request.session[SEEN_AT])
    except (KeyError, TypeError, ValueError):
        return "lifetime"  # stamps missing or tampered with: do not trust the session
    if now - signed_in >= settings.SESSION_ABSOLUTE_LIFETIME.total_seconds():
        return "lifetime"
    if now - seen >= settings.SESSION_IDLE_TIMEOUT.total_seconds():
        return "idle"
    return ""


class SessionLifetimeMiddleware:
    """Log out sessions idle for ``SESSION_IDLE_TIMEOUT`` or older than ``SESSION_ABSOLUTE_LIFETIME``.

    On expiry the session row is deleted (``auth.logout``) and a page request
    is sent to sign in again with a message; an htmx request is told to go
    there (``HX-Redirect``); any other request (the JSON API) goes on as a
    visitor and gets that endpoint's own answer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if auth.SESSION_KEY in session:
            if SIGNED_IN_AT not in session:
                # Signed in through a path that did not stamp it (the admin).
                session_start(request)
            else:
                now = _now()
                reason = session_expiry_reason(request, now=now)
                if reason:
                    return self._expire(request, reason)
                if now - float(session[SEEN_AT]) >= SEEN_WRITE_EVERY_SECONDS:
                    session[SEEN_AT] = int(now)
        return self.get_response(request)

    def _expire(self, request: HttpRequest, reason: str) -> HttpResponse:
        logout_record(user=request.user, ip_address=client_ip(request), reason=f"session_{reason}")
        auth.logout(request)  # flushes the session: its row is deleted
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=200, headers={"HX-Redirect": resolve_url(settings.LOGIN_URL)})
        elif request.accepts("text/html"):
            if request.method == "GET":
                response = redirect_to_login(request.get_full_path())
            else:
                response = HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
        else:
            return self.get_response(request)
        # The messages middleware runs after this one and has not set up its
        # storage yet: store the message straight into the response.
        storage = default_storage(request)
        storage.add(messages.WARNING, str(EXPIRED_MESSAGE))
        storage.update(response)
        return response
