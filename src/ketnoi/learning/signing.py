"""Ed25519 signatures on certificates, so a printed certificate cannot be forged or altered.

The key comes from ``settings.LEARNING_SIGNING_KEY`` (environment
``KETNOI_LEARNING_SIGNING_KEY``): the 32-byte private seed in base64, or a PEM
private key. Production must set it. In development and tests, when it is
empty, a key is derived from ``SECRET_KEY`` with HKDF-SHA256 — deterministic,
so certificates stay valid across restarts, and useless once SECRET_KEY is
a real secret that differs per installation.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ketnoi.core.text import nfc

HKDF_INFO = b"ketnoi learning certificates ed25519 v1"


@cache
def _key_from(configured: str, secret_key: str, production: bool) -> Ed25519PrivateKey:
    if configured.strip():
        text = configured.strip()
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ImproperlyConfigured("KETNOI_LEARNING_SIGNING_KEY must be an Ed25519 private key.")
            return key
        try:
            standard = text.replace("-", "+").replace("_", "/")
            seed = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
        except (binascii.Error, ValueError):
            seed = b""
        if len(seed) != 32:
            raise ImproperlyConfigured(
                "KETNOI_LEARNING_SIGNING_KEY must be 32 random bytes in base64 (or an Ed25519 PEM key)."
            )
        return Ed25519PrivateKey.from_private_bytes(seed)
    if production:
        raise ImproperlyConfigured(
            "KETNOI_LEARNING_SIGNING_KEY is required in production: certificates are signed with it."
        )
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret_key.encode())
    return Ed25519PrivateKey.from_private_bytes(seed)


def signing_key() -> Ed25519PrivateKey:
    return _key_from(
        getattr(settings, "LEARNING_SIGNING_KEY", "") or "",
        settings.SECRET_KEY,
        bool(getattr(settings, "PRODUCTION", False)),
    )


def verify_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def canonical(
    *,
    number: str,
    learner_name: str,
    course_slug: str,
    course_title: str,
    score_percent: int,
    issued_at: datetime,
) -> bytes:
    """The signed text: every field a printout shows, in NFC, separated by ``|``."""
    issued = issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = [number, learner_name, course_slug, course_title, str(score_percent), issued]
    return "|".join(nfc(value).replace("|", "/") for value in fields).encode()


def sign(message: bytes) -> str:
    """The signature of ``message``, base64url without padding (86 characters)."""
    return base64.urlsafe_b64encode(signing_key().sign(message)).rstrip(b"=").decode()


def signature_valid(message: bytes, signature: str) -> bool:
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except (binascii.Error, ValueError):
        return False
    if len(raw) != 64:
        return False
    try:
        verify_key().verify(raw, message)
    except InvalidSignature:
        return False
    return True


def public_key_text() -> str:
    """The public key in base64, for anyone who wants to check signatures offline."""
    raw = verify_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()
