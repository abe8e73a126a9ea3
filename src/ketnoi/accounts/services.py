"""Every write about accounts: sign-in checks, lock-out, roles, consent, profile."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError
from ketnoi.core.phone import normalize_phone

from .models import LoginFailure, User


class LockedOut(DomainError):
    status = 429


def _bad_credentials() -> DomainError:
    # One message for unknown phone and wrong password: do not reveal which.
    return DomainError(
        _("Số điện thoại hoặc mật khẩu không đúng."), code="bad_credentials", status=401
    )


def _locked_out() -> LockedOut:
    minutes = int(settings.LOGIN_LOCKOUT_WINDOW.total_seconds() // 60)
    return LockedOut(
        _("Đăng nhập sai quá nhiều lần. Hãy thử lại sau %(minutes)s phút."),
        code="locked_out",
        params={"minutes": minutes},
    )


def _failures_since(*, phone: str, ip_address: str | None, since: timedelta) -> tuple[int, int]:
    start = timezone.now() - since
    by_account = LoginFailure.objects.filter(phone=phone, at__gte=start).count()
    by_address = (
        LoginFailure.objects.filter(ip_address=ip_address, at__gte=start).count() if ip_address else 0
    )
    return by_account, by_address


def login_is_locked(*, phone: str, ip_address: str | None) -> bool:
    by_account, by_address = _failures_since(
        phone=phone, ip_address=ip_address, since=settings.LOGIN_LOCKOUT_WINDOW
    )
    return (
        by_account >= settings.LOGIN_MAX_FAILURES_PER_ACCOUNT
        or by_address >= settings.LOGIN_MAX_FAILURES_PER_ADDRESS
    )


def credentials_check(*, phone: str, password: str, ip_address: str | None) -> User:
    """The active user with this phone and password, or a ``DomainError``.

    Used by the sign-in page and the API token endpoint alike. Refuses while
    the account or the address is locked out (``LockedOut``, status 429),
    even with the right password; each failure is recorded and counts
    towards lock-out. A success clears the account's failures.
    """
    try:
        e164 = normalize_phone(phone)
    except ValidationError as error:
        raise DomainError(error.messages[0], code="phone_invalid", status=400) from None

    if login_is_locked(phone=e164, ip_address=ip_address):
        raise _locked_out()

    user = User.objects.filter(phone=e164).first()
    if user is None:
        # Spend the same time hashing as for a real user: no timing oracle.
        User().set_password(password)
        ok = False
    else:
        ok = user.check_password(password) and user.is_active

    if not ok:
        with transaction.atomic():
            LoginFailure.objects.create(phone=e164, ip_address=ip_address)
            if user is not None:
                audit_record(actor=None, action="login_failed", target=user, ip_address=ip_address)
        if login_is_locked(phone=e164, ip_address=ip_address):
            raise _locked_out()
        raise _bad_credentials()

    assert user is not None
    LoginFailure.objects.filter(phone=e164).delete()
    return user
