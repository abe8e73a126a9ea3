"""Every write about accounts: sign-in checks, lock-out, profile, consent, roles."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record, changes_between, snapshot
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.notify import message_send
from ketnoi.core.phone import normalize_phone
from ketnoi.core.text import nfc
from ketnoi.places.models import Commune, Province

from .consents import CONSENT_TEXTS
from .models import (
    SCOPE_LEVEL,
    ConsentPurpose,
    ConsentRecord,
    Language,
    LoginFailure,
    Role,
    RoleAssignment,
    User,
)

DISPLAY_NAME_MAX = User._meta.get_field("display_name").max_length or 120


class LockedOut(DomainError):
    status = 429


# --- Sign-in and lock-out ----------------------------------------------------


def _bad_credentials() -> DomainError:
    # One message for unknown phone and wrong password: do not reveal which.
    return DomainError(_("Số điện thoại hoặc mật khẩu không đúng."), code="bad_credentials", status=401)


def _locked_out(*, phone: str, ip_address: str | None) -> LockedOut:
    return LockedOut(
        _("Đăng nhập sai quá nhiều lần. Hãy thử lại sau %(minutes)s phút."),
        code="locked_out",
        params={"minutes": lockout_minutes_left(phone=phone, ip_address=ip_address)},
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


def lockout_minutes_left(*, phone: str, ip_address: str | None) -> int:
    """Whole minutes (at least 1) until neither the account nor the address is locked.

    A lock lifts when the failures inside the window drop below the limit,
    that is when the limit-th most recent failure leaves the window.
    """
    window = settings.LOGIN_LOCKOUT_WINDOW
    now = timezone.now()
    lifts_at: list[datetime] = []
    counters: list[tuple[dict[str, Any], int]] = [({"phone": phone}, settings.LOGIN_MAX_FAILURES_PER_ACCOUNT)]
    if ip_address:
        counters.append(({"ip_address": ip_address}, settings.LOGIN_MAX_FAILURES_PER_ADDRESS))
    for lookup, limit in counters:
        nth_latest = (
            LoginFailure.objects.filter(**lookup, at__gte=now - window)
            .order_by("-at")
            .values_list("at", flat=True)[limit - 1 : limit]
        )
        lifts_at.extend(at + window for at in nth_latest)
    if not lifts_at:
        return max(1, math.ceil(window.total_seconds() / 60))
    return max(1, math.ceil((max(lifts_at) - now).total_seconds() / 60))


def _lockout_notice_send(user: User) -> None:
    minutes = math.ceil(settings.LOGIN_LOCKOUT_WINDOW.total_seconds() / 60)
    with translation.override(user.language):
        text = str(
            _(
                "Kết Nối: có người đã đăng nhập sai vào tài khoản của bạn nhiều lần. "
                "Tài khoản tạm khoá %(minutes)s phút. Đừng cho ai biết mật khẩu của bạn."
            )
        ) % {"minutes": minutes}
    message_send(to=user.phone, text=text)


def _failure_record(*, phone: str, ip_address: str | None, user: User | None) -> None:
    with transaction.atomic():
        if user is not None:
            # Serialise the failures of one account, so that exactly one of
            # them sees the count reach the limit and warns the owner once.
            list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
        LoginFailure.objects.create(phone=phone, ip_address=ip_address)
        if user is None:
            return
        audit_record(actor=None, action="login_failed", target=user, ip_address=ip_address)
        by_account = LoginFailure.objects.filter(
            phone=phone, at__gte=timezone.now() - settings.LOGIN_LOCKOUT_WINDOW
        ).count()
        if by_account == settings.LOGIN_MAX_FAILURES_PER_ACCOUNT:
            audit_record(actor=None, action="login_locked_out", target=user, ip_address=ip_address)
            _lockout_notice_send(user)


def credentials_check(*, phone: str, password: str, ip_address: str | None) -> User:
    """The active user with this phone and password, or a ``DomainError``.

    Used by the sign-in page and the API token endpoint alike. Refuses while
    the account or the address is locked out (``LockedOut``, status 429),
    even with the right password; each failure is recorded and counts
    towards lock-out. The failure that locks an account sends its owner one
    SMS. A success clears the account's failures.
    """
    try:
        e164 = normalize_phone(phone)
    except ValidationError as error:
        raise DomainError(error.messages[0], code="phone_invalid", status=400) from None

    if login_is_locked(phone=e164, ip_address=ip_address):
        raise _locked_out(phone=e164, ip_address=ip_address)

    user = User.objects.filter(phone=e164).first()
    if user is None:
        # Spend the same time hashing as for a real user: no timing oracle.
        User().set_password(password)
        ok = False
    else:
        ok = user.check_password(password) and user.is_active

    if not ok:
        _failure_record(phone=e164, ip_address=ip_address, user=user)
        if login_is_locked(phone=e164, ip_address=ip_address):
            raise _locked_out(phone=e164, ip_address=ip_address)
        raise _bad_credentials()

    assert user is not None
    LoginFailure.objects.filter(phone=e164).delete()
    return user


def login_record(*, user: User, ip_address: str | None) -> None:
    """Audit a sign-in to a page session (the session itself is Django's)."""
    audit_record(actor=user, action="login", target=user, ip_address=ip_address)


def logout_record(*, user: Any, ip_address: str | None, reason: str = "") -> None:
    """Audit the end of a session: by the user, or by expiry (``reason``)."""
    if getattr(user, "is_authenticated", False):
        audit_record(actor=user, action="logout", target=user, reason=reason, ip_address=ip_address)


# --- Users and profile ---------------------------------------------------------


def display_name_clean(value: str) -> str:
    """``value`` in NFC, trimmed; ``DomainError`` if empty, too long or with control characters."""
    name = nfc(value or "")
    if not name:
        raise DomainError(_("Hãy nhập tên hiển thị."), code="display_name_required")
    if len(name) > DISPLAY_NAME_MAX:
        raise DomainError(
            _("Tên hiển thị dài quá: tối đa %(max)s ký tự, bạn đã nhập %(length)s."),
            code="display_name_too_long",
            params={"max": DISPLAY_NAME_MAX, "length": len(name)},
        )
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise DomainError(
            _("Tên hiển thị có ký tự không hợp lệ (xuống dòng, ký tự điều khiển)."),
            code="display_name_invalid",
        )
    return name


def language_clean(value: str) -> str:
    """A supported language code, or ``DomainError``."""
    if value not in Language.values:
        raise DomainError(
            _("Ngôn ngữ “%(value)s” không được hỗ trợ. Hãy chọn Tiếng Việt hoặc English."),
            code="language_invalid",
            params={"value": str(value)[:20]},
        )
    return value


def user_create(
    *,
    phone: str,
    display_name: str,
    password: str | None = None,
    language: str = Language.VI,
    home_commune: Commune | None = None,
    actor: User | None = None,
    ip_address: str | None = None,
) -> User:
    """Create an active user; ``password=None`` gives one who cannot sign in yet.

    ``DomainError`` if the phone is invalid or already has an account.
    """
    try:
        e164 = normalize_phone(phone)
    except ValidationError as error:
        raise DomainError(error.messages[0], code="phone_invalid") from None
    user = User(
        phone=e164,
        display_name=display_name_clean(display_name),
        language=language_clean(language),
        home_commune=home_commune,
    )
    user.set_password(password)
    with transaction.atomic():
        if User.objects.filter(phone=e164).exists():
            raise DomainError(_("Số điện thoại này đã có tài khoản."), code="phone_taken")
        user.save()
        audit_record(
            actor=actor,
            action="user_created",
            target=user,
            changes={"phone": (None, e164), "display_name": (None, user.display_name)},
            ip_address=ip_address,
        )
    return user


# Fields whose changes by staff (the admin) are written to the audit trail.
USER_AUDITED_FIELDS = (
    "phone",
    "display_name",
    "language",
    "home_commune_id",
    "is_active",
    "is_staff",
    "is_superuser",
)


def user_account_save(
    *, actor: User, user: User, before: Mapping[str, Any] | None, ip_address: str | None = None
) -> User:
    """Save ``user`` as edited by staff and audit old → new.

    ``before`` is ``snapshot(user, USER_AUDITED_FIELDS)`` taken before the
    edit, or ``None`` for a user being created. Validates the whole row.
    """
    user.display_name = display_name_clean(user.display_name)
    language_clean(user.language)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        raise DomainError("; ".join(error.messages), code="user_invalid") from None
    with transaction.atomic():
        user.save()
        after = snapshot(user, USER_AUDITED_FIELDS)
        audit_record(
            actor=actor,
            action="user_created" if before is None else "user_changed",
            target=user,
            changes=changes_between(before or {}, after),
            ip_address=ip_address,
        )
    return user


def user_language_set(*, user: User, language: str) -> User:
    """Remember the language ``user`` reads in. No write if it is already hers."""
    language = language_clean(language)
    if user.language == language:
        return user
    with transaction.atomic():
        old = user.language
        user.language = language
        user.save(update_fields=["language", "updated_at"])
        audit_record(actor=user, action="language_set", target=user, changes={"language": (old, language)})
    return user


def profile_update(*, user: User, display_name: str, language: str) -> User:
    """Change what ``user`` may change about herself; audited old → new.

    The name is stored in NFC and trimmed; an empty or too long name, or an
    unknown language, is refused and nothing is written.
    """
    name = display_name_clean(display_name)
    language = language_clean(language)
    before = snapshot(user, ["display_name", "language"])
    after = {"display_name": name, "language": language}
    changes = changes_between(before, after)
    if not changes:
        return user
    with transaction.atomic():
        user.display_name = name
        user.language = language
        user.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=user, action="profile_updated", target=user, changes=changes)
    return user


# --- Consent ---------------------------------------------------------------------


def _purpose_clean(purpose: str) -> str:
    if purpose not in ConsentPurpose.values:
        raise DomainError(_("Không có mục đích này."), code="purpose_invalid", status=404)
    return purpose


def _consent_latest(*, user: User, purpose: str) -> ConsentRecord | None:
    return ConsentRecord.objects.filter(user=user, purpose=purpose).order_by("-at", "-pk").first()


def _user_lock(user: User) -> None:
    # Serialise a person's consent changes: a double tap records one act.
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


def consent_give(*, user: User, purpose: str, ip_address: str | None = None) -> ConsentRecord:
    """Record that ``user`` agrees to the current text of ``purpose``.

    Idempotent: if her latest act already gives consent to the current
    version, that record is returned and nothing is written.
    """
    purpose = _purpose_clean(purpose)
    version = CONSENT_TEXTS[purpose].version
    with transaction.atomic():
        _user_lock(user)
        latest = _consent_latest(user=user, purpose=purpose)
        if (
            latest is not None
            and latest.action == ConsentRecord.Action.GIVEN
            and latest.text_version == version
        ):
            return latest
        record = ConsentRecord.objects.create(
            user=user,
            purpose=purpose,
            action=ConsentRecord.Action.GIVEN,
            text_version=version,
            ip_address=ip_address,
        )
        audit_record(
            actor=user,
            action="consent_given",
            target=user,
            changes={purpose: (None, version)},
            ip_address=ip_address,
        )
    return record


def consent_withdraw(*, user: User, purpose: str, ip_address: str | None = None) -> ConsentRecord:
    """Record that ``user`` withdraws her consent to ``purpose``.

    ``DomainError`` if she has not given it (or has already withdrawn it).
    """
    purpose = _purpose_clean(purpose)
    with transaction.atomic():
        _user_lock(user)
        latest = _consent_latest(user=user, purpose=purpose)
        if latest is None or latest.action != ConsentRecord.Action.GIVEN:
            raise DomainError(
                _("Bạn chưa đồng ý mục này nên không có gì để rút lại."), code="consent_not_given"
            )
        record = ConsentRecord.objects.create(
            user=user,
            purpose=purpose,
            action=ConsentRecord.Action.WITHDRAWN,
            text_version=latest.text_version,
            ip_address=ip_address,
        )
        audit_record(
            actor=user,
            action="consent_withdrawn",
            target=user,
            changes={purpose: (latest.text_version, None)},
            ip_address=ip_address,
        )
    return record


# --- Roles -----------------------------------------------------------------------


def _administrator_check(actor: Any) -> None:
    allowed = (
        getattr(actor, "is_authenticated", False)
        and actor.is_active
        and (
            actor.is_superuser or RoleAssignment.objects.filter(user=actor, role=Role.ADMINISTRATOR).exists()
        )
    )
    if not allowed:
        raise PermissionDenied(
            _("Chỉ quản trị viên mới được giao hoặc thu hồi vai trò."), code="not_administrator"
        )


def role_scope_clean(
    *, role: str, province: Province | None = None, commune: Commune | None = None
) -> tuple[Province | None, Commune | None]:
    """The ``(province, commune)`` a ``role`` is held for, checked against ``SCOPE_LEVEL``.

    A commune implies its province. ``DomainError`` when the area does not
    fit the role: a commune officer or health worker needs a commune, a
    programme officer or doctor a province, an administrator no area (she
    acts for the whole country), and other roles no area.
    """
    if role not in Role.values:
        raise DomainError(_("Không có vai trò “%(role)s”."), code="role_invalid", params={"role": role})
    level = SCOPE_LEVEL.get(role)
    label = Role(role).label
    if commune is not None:
        if province is not None and province.pk != commune.province_id:
            raise DomainError(
                _("Xã/phường %(commune)s không thuộc %(province)s."),
                code="area_mismatch",
                params={"commune": commune.name, "province": province.name},
            )
        province = commune.province
    if level == "commune":
        if commune is None:
            raise DomainError(
                _("Vai trò %(role)s cần chọn một xã/phường."), code="commune_required", params={"role": label}
            )
        return province, commune
    if level == "province":
        if commune is not None or province is None:
            raise DomainError(
                _("Vai trò %(role)s cần chọn một tỉnh/thành phố (không chọn xã/phường)."),
                code="province_required",
                params={"role": label},
            )
        return province, None
    if province is not None:
        raise DomainError(
            _("Vai trò %(role)s không gắn với tỉnh hay xã nào: hãy bỏ trống khu vực."),
            code="area_not_allowed",
            params={"role": label},
        )
    return None, None


def role_assign(
    *,
    actor: User,
    user: User,
    role: str,
    province: Province | None = None,
    commune: Commune | None = None,
) -> RoleAssignment:
    """Give ``user`` the ``role`` for an area; only administrators may.

    ``PermissionDenied`` (403) for anyone else; ``DomainError`` if the area
    does not fit the role or she already holds that role there.
    """
    _administrator_check(actor)
    province, commune = role_scope_clean(role=role, province=province, commune=commune)
    with transaction.atomic():
        _user_lock(user)
        held = RoleAssignment.objects.filter(user=user, role=role, province=province, commune=commune)
        if held.exists():
            raise DomainError(
                _("%(user)s đã có vai trò này ở khu vực này."), code="role_held", params={"user": str(user)}
            )
        assignment = RoleAssignment(user=user, role=role, province=province, commune=commune)
        assignment.save()
        audit_record(
            actor=actor,
            action="role_assigned",
            target=user,
            changes={"role": (None, str(assignment))},
        )
    return assignment


def role_revoke(*, actor: User, assignment: RoleAssignment) -> None:
    """Take a role away; only administrators may.

    Refuses to remove the last administrator, so that somebody can always
    manage roles.
    """
    _administrator_check(actor)
    with transaction.atomic():
        if (
            assignment.role == Role.ADMINISTRATOR
            and not RoleAssignment.objects.filter(role=Role.ADMINISTRATOR, user__is_active=True)
            .exclude(pk=assignment.pk)
            .exists()
        ):
            raise DomainError(
                _("Không thể thu hồi: đây là quản trị viên cuối cùng."), code="last_administrator"
            )
        label = str(assignment)
        user = assignment.user
        deleted, _counts = RoleAssignment.objects.filter(pk=assignment.pk).delete()
        if deleted:
            audit_record(actor=actor, action="role_revoked", target=user, changes={"role": (label, None)})
