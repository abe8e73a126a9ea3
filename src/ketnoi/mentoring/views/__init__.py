"""Pages of the 4M cycle, one module per step: ``meet``, ``match``, ``mentor``, ``move``, ``dashboard``.

Views stay thin: a selector finds what the user may see, a form reads the
input, one service call does the work; a refusal (``DomainError``) comes back
as a message on the page it came from, a 403 page or a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from ketnoi.accounts.permissions import forbidden
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied


def refused(request: HttpRequest, error: DomainError, *, back: str) -> HttpResponse:
    """The answer to a refused action: 404, the 403 page, or back to ``back`` with the message."""
    if isinstance(error, NotFound):
        raise Http404(str(error))
    if isinstance(error, PermissionDenied):
        return forbidden(request, str(error))
    messages.error(request, str(error))
    return redirect(back)


def found[T](read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``read(*args)``, with ``NotFound`` turned into a 404."""
    try:
        result: T = read(*args, **kwargs)
    except NotFound as error:
        raise Http404(str(error)) from None
    return result


def next_or(request: HttpRequest, default: str) -> str:
    """The safe ``next`` of the form (same site only), or ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default
