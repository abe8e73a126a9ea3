"""Geographic points and their shareable digital address (Open Location Code).

A plus code such as ``7PH6QVRX+CG`` names a 14 m square anywhere on earth,
works offline and needs no street names, which many villages lack.
Encoding the centre of a decoded code gives the same code back.
"""

from __future__ import annotations

from dataclasses import dataclass

import openlocationcode.openlocationcode as olc
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CODE_LENGTH = 10  # ≈ 14 m × 14 m
MAX_CODE_LENGTH = 20  # 15 digits, "+", and room for typing slips

# Mainland Viet Nam and its islands, generously: a point outside is a typo.
VN_BOUNDS = {"lat": (8.0, 23.5), "lng": (102.0, 117.5)}


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise ValidationError(_("Toạ độ nằm ngoài trái đất."), code="point_range")

    @property
    def plus_code(self) -> str:
        return plus_code_encode(self.latitude, self.longitude)

    @property
    def in_viet_nam(self) -> bool:
        lat_lo, lat_hi = VN_BOUNDS["lat"]
        lng_lo, lng_hi = VN_BOUNDS["lng"]
        return lat_lo <= self.latitude <= lat_hi and lng_lo <= self.longitude <= lng_hi


def plus_code_encode(latitude: float, longitude: float) -> str:
    return str(olc.encode(latitude, longitude, CODE_LENGTH))


def plus_code_decode(code: str, *, near: GeoPoint | None = None) -> GeoPoint:
    """The centre of the area a plus code names.

    A shortened code (``QVRX+CG``) needs ``near``, a point within ~40 km,
    such as the centre of the commune it was given for.
    """
    area = olc.decode(plus_code_full(code, near=near))
    return GeoPoint(latitude=area.latitudeCenter, longitude=area.longitudeCenter)


def plus_code_full(code: str, *, near: GeoPoint | None = None) -> str:
    """``code`` in its full, upper-case form; a short code is recovered near ``near``."""
    text = (code or "").strip().upper().replace(" ", "")
    if len(text) > MAX_CODE_LENGTH or not olc.isValid(text):
        raise ValidationError(
            _("“%(code)s” không phải là mã địa chỉ số hợp lệ."),
            code="plus_code_invalid",
            params={"code": (code or "")[:MAX_CODE_LENGTH]},
        )
    if olc.isShort(text):
        if near is None:
            raise ValidationError(_("Mã địa chỉ số rút gọn cần kèm tên xã/phường."), code="plus_code_short")
        text = olc.recoverNearest(text, near.latitude, near.longitude)
    return str(text)


def plus_code_shorten(code: str, *, near: GeoPoint) -> str:
    """The short form of ``code`` to read out to someone who knows the area.

    At most the first four digits are dropped (``7PH72VH3+CM`` → ``2VH3+CM``),
    so the code can be recovered from any reference point within ~40 km,
    such as the commune's centre. (``olc.shorten`` alone drops six digits
    when ``near`` is very close, and that form is recovered correctly only
    within ~2 km.)
    """
    full = plus_code_full(code)
    short = str(olc.shorten(full, near.latitude, near.longitude))
    if len(full) - len(short) > 4:
        return full[4:]
    return short
