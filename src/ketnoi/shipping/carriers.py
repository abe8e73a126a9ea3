"""Carriers behind one small adapter, their tracking-code formats and webhook secrets.

What each carrier is comes from ``data/carriers.json`` (name, hotline, the
format of its tracking codes). Which adapter talks to it is a setting,
``CARRIER_ADAPTERS`` (carrier code → dotted path of a class taking the
carrier's ``CarrierInfo``); the default ``LocalCarrier`` needs no network:
the seller types the code the post office gave her, or it makes a local code
in the carrier's format for the printed label.

Tracking events are signed with HMAC-SHA256 over the raw body, with a secret
per carrier from the ``CARRIER_SECRETS`` setting (``"vnpost:…,viettelpost:…"``
or a dict), else from the environment variable ``KETNOI_CARRIER_SECRETS``;
outside production a public development secret stands in for Vietnam Post.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import Shipment

DATA_FILE = Path(__file__).resolve().parent / "data" / "carriers.json"
DEFAULT_ADAPTER = "ketnoi.shipping.carriers.LocalCarrier"
# Public, for development and the demo only; production must set its own.
DEVELOPMENT_SECRETS = {"vnpost": "dev-only-vnpost-webhook-secret"}
SIGNATURE_PREFIX = "sha256="

_S10 = re.compile(r"^[A-Z]{2}(\d{8})(\d)([A-Z]{2})$")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_DIGITS = re.compile(r"^\d{9,15}$")
_SEPARATORS = re.compile(r"[\s\-.]")


@dataclass(frozen=True)
class CarrierInfo:
    code: str
    name: str
    hotline: str
    tracking_format: str  # "s10" (UPU S10, e.g. EK000012349VN) or "digits"
    tracking_example: str
    local_prefix: str


class CarrierAdapter(Protocol):
    """What the platform asks of a carrier's integration."""

    def create_shipment(self, shipment: Shipment) -> str | None:
        """Book the parcel with the carrier; its tracking code, or ``None`` if the seller will type it."""
        ...

    def label_extra(self, shipment: Shipment) -> list[tuple[str, str]]:
        """Extra lines the carrier wants on the printed label, as (label, value)."""
        ...


class LocalCarrier:
    """No network: a local code in the carrier's format, printed on the label.

    The seller replaces it with the post office's code when she gets one.
    """

    def __init__(self, info: CarrierInfo) -> None:
        self.info = info

    def create_shipment(self, shipment: Shipment) -> str | None:
        return local_tracking_code(self.info, shipment.pk)

    def label_extra(self, shipment: Shipment) -> list[tuple[str, str]]:
        return [(str(_("Tổng đài")), self.info.hotline)]


# --- Carriers as data ---------------------------------------------------------------------


@cache
def _carriers() -> dict[str, CarrierInfo]:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {code: CarrierInfo(code=code, **fields) for code, fields in raw.items()}


def carrier_codes() -> list[str]:
    return list(_carriers())


def carrier_info(code: str) -> CarrierInfo:
    """The carrier ``code`` as the data file describes it; ``ValidationError`` if unknown."""
    info = _carriers().get(code)
    if info is None:
        raise ValidationError(
            _("Không có đơn vị giao hàng “%(code)s”."), code="unknown_carrier", params={"code": code}
        )
    return info


def carrier_choices() -> list[tuple[str, str]]:
    return [(info.code, info.name) for info in _carriers().values()]


def carrier_adapter(code: str) -> CarrierAdapter:
    """The adapter the ``CARRIER_ADAPTERS`` setting names for ``code`` (``LocalCarrier`` by default)."""
    info = carrier_info(code)
    paths: Mapping[str, str] = getattr(settings, "CARRIER_ADAPTERS", {}) or {}
    adapter: CarrierAdapter = import_string(paths.get(code, DEFAULT_ADAPTER))(info)
    return adapter


# --- Tracking codes -----------------------------------------------------------------------


def s10_check_digit(serial: str) -> int:
    """The UPU S10 check digit of an 8-digit serial number."""
    total = sum(int(digit) * weight for digit, weight in zip(serial, _S10_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def local_tracking_code(info: CarrierInfo, number: int) -> str:
    """A code in ``info``'s format built from ``number`` (the shipment's id)."""
    if info.tracking_format == "s10":
        serial = f"{number % 10**8:08d}"
        return f"{info.local_prefix}{serial}{s10_check_digit(serial)}VN"
    return f"{info.local_prefix}{number % 10**10:010d}"


def tracking_code_clean(info: CarrierInfo, raw: str) -> str:
    """``raw`` as stored (upper case, no spaces or dashes) if it fits the carrier's format.

    Raises ``ValidationError`` with an example of the right format otherwise.
    """
    code = _SEPARATORS.sub("", raw or "").upper()
    if info.tracking_format == "s10":
        match = _S10.match(code)
        valid = bool(match) and s10_check_digit(match.group(1)) == int(match.group(2))  # type: ignore[union-attr]
    else:
        valid = bool(_DIGITS.match(code))
    if not valid:
        raise ValidationError(
            _("Mã vận đơn “%(code)s” không đúng dạng của %(carrier)s. Ví dụ đúng: %(example)s."),
            code="bad_tracking_code",
            params={"code": raw, "carrier": info.name, "example": info.tracking_example},
        )
    return code


# --- Signed tracking events ---------------------------------------------------------------


def _parse_secrets(raw: str) -> dict[str, str]:
    secrets: dict[str, str] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        code, sep, secret = item.partition(":")
        if not sep or not code.strip() or not secret.strip():
            raise ImproperlyConfigured(
                "KETNOI_CARRIER_SECRETS must read like 'vnpost:<secret>,viettelpost:<secret>'."
            )
        secrets[code.strip()] = secret.strip()
    return secrets


def carrier_secrets() -> dict[str, str]:
    """Webhook secrets by carrier code, from settings, else the environment, else the dev default."""
    configured = getattr(settings, "CARRIER_SECRETS", None)
    if isinstance(configured, Mapping):
        return {str(k): str(v) for k, v in configured.items()}
    if isinstance(configured, str):
        return _parse_secrets(configured)
    from_env = os.environ.get("KETNOI_CARRIER_SECRETS", "").strip()
    if from_env:
        return _parse_secrets(from_env)
    return {} if getattr(settings, "PRODUCTION", False) else dict(DEVELOPMENT_SECRETS)


def signature_for(secret: str, body: bytes) -> str:
    """The header value a carrier sends: ``sha256=<hex HMAC-SHA256 of body>``."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    """Whether ``header`` is the signature of ``body`` under ``secret`` (constant-time)."""
    if not secret or not header:
        return False
    given = header.strip()
    if not given.lower().startswith(SIGNATURE_PREFIX):
        return False
    given = given[len(SIGNATURE_PREFIX) :]
    expected = signature_for(secret, body)[len(SIGNATURE_PREFIX) :]
    return hmac.compare_digest(expected.encode(), given.lower().encode())
