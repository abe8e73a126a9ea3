"""Sign-in with a mobile number and a password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from ketnoi.core.errors import DomainError

from .models import User
from .network import client_ip
from .services import credentials_check

# The refusal (wrong password, locked out, bad phone) is left on the request
# under this name, so the sign-in page can say why; a backend itself may
# only answer "no" (None).
CREDENTIALS_ERROR_ATTR = "credentials_error"


class PhoneBackend(ModelBackend):
    """``authenticate(request, phone=..., password=...)`` through ``credentials_check``.

    Also accepts ``username=`` (the admin's sign-in form passes the phone
    under that name). Lock-out and failure counting are the service's.
    """

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        phone: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        phone = phone or kwargs.get(User.USERNAME_FIELD) or kwargs.get("username")
        if not phone or password is None:
            return None
        try:
            user = credentials_check(
                phone=phone, password=password, ip_address=client_ip(request) if request else None
            )
        except DomainError as error:
            if request is not None:
                setattr(request, CREDENTIALS_ERROR_ATTR, error)
            return None
        return user if self.user_can_authenticate(user) else None
