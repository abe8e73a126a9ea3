"""One-time codes sent by SMS to prove a phone number.

Six digits drawn with ``secrets``; only a keyed hash is stored (HMAC with
``SECRET_KEY``: a leaked table alone does not give the codes back, and 10⁶
plain hashes would be quick to try). A code lasts ten minutes and allows
five tries; a new one can be asked for after a short wait, a few times an
hour. The console adapter prints the SMS in development.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import DomainError
from ketnoi.core.notify import message_send
from ketnoi.core.phone import normalize_phone

from ..models import OneTimeCode

OTP_DIGITS = 6
OTP_LIFETIME = timedelta(minutes=10)
OTP_MAX_ATTEMPTS = 5
OTP_COOLDOWN = timedelta(seconds=60)
OTP_MAX_PER_HOUR = 5

_SMS_CODE = _(
    "Kết Nối: mã xác nhận của bạn là %(code)s, dùng được trong %(minutes)s phút. Đừng đưa mã này cho ai."
)


def _code_hash(phone: str, purpose: str, code: str) -> str:
    return salted_hmac("ketnoi.registry.otp", f"{phone}|{purpose}|{code}", algorithm="sha256").hexdigest()


@transaction.atomic
def otp_issue(*, phone: str, purpose: str, deliver: bool = True) -> OneTimeCode:
    """Make a new code for ``phone`` and ``purpose`` and send it by SMS (after commit).

    The new code replaces any earlier one. Refused (``DomainError``, 429)
    within ``OTP_COOLDOWN`` of the last send, or after ``OTP_MAX_PER_HOUR``
    sends in an hour. With ``deliver=False`` the code is made and counted
    but not sent: the caller answers exactly as if it had been, so that a
    page reveals nothing about a number it has nothing for.
    """
    number = normalize_phone(phone)
    purpose = purpose.strip()
    if not purpose or len(purpose) > 30:
        raise DomainError(_("Mục đích của mã không hợp lệ."), code="otp_purpose")
    now = timezone.now()
    recent = list(
        OneTimeCode.objects.select_for_update()
        .filter(phone=number, purpose=purpose, created_at__gte=now - timedelta(hours=1))
        .order_by("-created_at", "-id")
    )
    if recent and now - recent[0].created_at < OTP_COOLDOWN:
        wait = int((OTP_COOLDOWN - (now - recent[0].created_at)).total_seconds()) + 1
        raise DomainError(
            _("Mã vừa được gửi. Hãy chờ %(seconds)s giây rồi xin mã mới."),
            code="otp_cooldown",
            params={"seconds": wait},
            status=429,
        )
    if len(recent) >= OTP_MAX_PER_HOUR:
        raise DomainError(
            _("Đã gửi mã quá nhiều lần trong một giờ. Hãy thử lại sau."), code="otp_too_many", status=429
        )
    OneTimeCode.objects.filter(
        phone=number, purpose=purpose, used_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    code = f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"
    record = OneTimeCode.objects.create(
        phone=number,
        purpose=purpose,
        code_hash=_code_hash(number, purpose, code),
        expires_at=now + OTP_LIFETIME,
    )
    if deliver:
        minutes = int(OTP_LIFETIME.total_seconds() // 60)
        message_send(to=number, text=str(_SMS_CODE) % {"code": code, "minutes": minutes})
    return record


def otp_verify(*, phone: str, purpose: str, code: str) -> None:
    """Check ``code`` against the newest code sent to ``phone`` for ``purpose``; use it up if right.

    ``DomainError`` when there is none or it expired ("otp_expired"), after
    ``OTP_MAX_ATTEMPTS`` wrong tries ("otp_locked", even for the right code),
    or when wrong ("otp_wrong", the try is counted). Not wrapped in one
    transaction on purpose: a wrong try must stay counted when the error is raised.
    """
    number = normalize_phone(phone)
    typed = "".join((code or "").split())
    now = timezone.now()
    latest = (
        OneTimeCode.objects.filter(phone=number, purpose=purpose.strip(), used_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None or latest.expires_at <= now:
        raise DomainError(_("Mã đã hết hạn hoặc chưa được gửi. Hãy xin mã mới."), code="otp_expired")
    if latest.attempts >= OTP_MAX_ATTEMPTS:
        raise DomainError(
            _("Bạn đã nhập sai %(max)s lần nên mã này bị khoá. Hãy xin mã mới."),
            code="otp_locked",
            params={"max": OTP_MAX_ATTEMPTS},
            status=429,
        )
    right = typed.isascii() and typed.isdigit() and len(typed) == OTP_DIGITS
    right = right and hmac.compare_digest(latest.code_hash, _code_hash(number, purpose.strip(), typed))
    if not right:
        OneTimeCode.objects.filter(pk=latest.pk).update(attempts=F("attempts") + 1)
        left = OTP_MAX_ATTEMPTS - latest.attempts - 1
        if left <= 0:
            raise DomainError(
                _("Bạn đã nhập sai %(max)s lần nên mã này bị khoá. Hãy xin mã mới."),
                code="otp_locked",
                params={"max": OTP_MAX_ATTEMPTS},
                status=429,
            )
        raise DomainError(
            _("Mã không đúng. Bạn còn %(left)s lần thử."), code="otp_wrong", params={"left": left}
        )
    used = OneTimeCode.objects.filter(pk=latest.pk, used_at__isnull=True).update(used_at=now)
    if not used:  # the same code used at the same moment by another request
        raise DomainError(_("Mã đã hết hạn hoặc chưa được gửi. Hãy xin mã mới."), code="otp_expired")
