"""Who may open which page of the accounts app, declared in one place.

Pages that any signed-in person may open (her own profile) use
``login_required``; pages for some roles use ``role_required`` with the
roles listed in ``PAGE_ROLES``. What a permitted user then sees is narrowed
to her areas by the selectors, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .models import Role
from .selectors import AREA_OFFICER_ROLES, user_has_role

# URL name → the roles that may open it.
PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "accounts:area_people": AREA_OFFICER_ROLES,
}

# Roles that may manage other people's roles (see ``services.role_assign``).
ROLE_MANAGER_ROLES: tuple[str, ...] = (Role.ADMINISTRATOR,)


def forbidden(request: HttpRequest, message: Any = None) -> HttpResponse:
    """The 403 page, with a message the person can act on."""
    text = message or _(
        "Trang này chỉ dành cho cán bộ có vai trò phù hợp. Nếu bạn cần vào, hãy hỏi quản trị viên."
    )
    return render(request, "403.html", {"exception": text}, status=403)


def role_required(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Let in only signed-in users who hold one of ``roles``.

    A visitor is sent to the sign-in page (and back here afterwards); a
    signed-in user without the role gets the 403 page.
    """
    if not roles:
        raise ValueError("role_required needs at least one role")

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_role(request.user, *roles):
                return forbidden(request)
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapper

    return decorator


def page_required(url_name: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """``role_required`` with the roles ``PAGE_ROLES`` declares for ``url_name``."""
    return role_required(*PAGE_ROLES[url_name])
