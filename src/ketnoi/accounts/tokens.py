"""Bearer tokens for the API: issue, authenticate, revoke.

Only the SHA-256 of a token is stored, so a copy of the database does not
hand out working tokens; the first characters (``prefix``) are kept so a
person can tell her tokens apart. A token is looked up by its hash, never
compared character by character, so there is no timing oracle on its value.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ketnoi.core.audit import audit_record

from .models import ApiToken, User

# Recognisable in logs and by secret scanners; not part of the secret.
TOKEN_TAG = "kn_"  # noqa: S105 - a public marker, not a secret
PREFIX_LENGTH = 8
MAX_TOKEN_LENGTH = 128
# Writing ``last_used_at`` on every call would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_issue(*, user: User, label: str = "", ip_address: str | None = None) -> tuple[str, ApiToken]:
    """A new token for ``user``: the raw value (shown once, never stored) and its row.

    It expires after ``settings.API_TOKEN_LIFETIME``.
    """
    raw = TOKEN_TAG + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            key_hash=token_hash(raw),
            prefix=raw[:PREFIX_LENGTH],
            label=label[: ApiToken._meta.get_field("label").max_length],
            expires_at=timezone.now() + settings.API_TOKEN_LIFETIME,
        )
        audit_record(
            actor=user,
            action="api_token_issued",
            target=token,
            changes={"expires_at": (None, token.expires_at)},
            ip_address=ip_address,
        )
    return raw, token


def token_find(raw: str) -> ApiToken | None:
    """The live token with this raw value (with its user), or ``None``.

    ``None`` for an unknown, expired or revoked token or an inactive user.
    Marks the token as used, at most once per ``LAST_USED_RESOLUTION``.
    """
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(raw)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_authenticate(raw: str) -> User | None:
    """The user a raw bearer token belongs to, or ``None`` if it does not let anyone in."""
    token = token_find(raw)
    return token.user if token is not None else None


def token_revoke(*, token: ApiToken, actor: User | None = None, ip_address: str | None = None) -> None:
    """End ``token`` now. Idempotent: revoking a revoked token changes nothing."""
    with transaction.atomic():
        now = timezone.now()
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        if not updated:
            return
        token.revoked_at = now
        audit_record(
            actor=actor,
            action="api_token_revoked",
            target=token,
            changes={"revoked_at": (None, now)},
            ip_address=ip_address,
        )


def token_revoke_all(*, user: User, actor: User | None = None, ip_address: str | None = None) -> int:
    """End every live token of ``user`` (after a password change, or when she leaves); the count."""
    with transaction.atomic():
        now = timezone.now()
        live = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
        for token in live:
            token.revoked_at = now
        ApiToken.objects.filter(pk__in=[t.pk for t in live]).update(revoked_at=now)
        for token in live:
            audit_record(
                actor=actor,
                action="api_token_revoked",
                target=token,
                changes={"revoked_at": (None, now)},
                ip_address=ip_address,
            )
    return len(live)
