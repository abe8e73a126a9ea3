"""Every write about places: structured addresses."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ketnoi.core.text import nfc

from .geo import GeoPoint
from .models import Address, Commune

LINE_MAX_LENGTH = Address._meta.get_field("line").max_length or 200
_MICRODEGREE = Decimal("0.000001")  # ≈ 11 cm, the precision of the columns


def address_create(
    *,
    commune_code: int | str,
    line: str = "",
    latitude: float | Decimal | str | None = None,
    longitude: float | Decimal | str | None = None,
) -> Address:
    """Save an address in a commune, with an optional point (both coordinates or neither).

    Raises ``ValidationError`` keyed by field (``commune_code``, ``line``,
    ``latitude``) and saves nothing when any part is wrong: an unknown
    commune code, a line too long, or a point outside Viet Nam. The caller
    records the audit entry for the object the address belongs to.
    """
    errors: dict[str, ValidationError] = {}

    commune = _commune_or_none(commune_code)
    if commune is None:
        errors["commune_code"] = ValidationError(
            _("Không có xã/phường nào mang mã “%(code)s”. Hãy chọn lại xã/phường trong danh sách."),
            code="commune_unknown",
            params={"code": str(commune_code)[:20]},
        )

    text = nfc(line or "")
    if "\x00" in text:
        errors["line"] = ValidationError(_("Địa chỉ có ký tự không hợp lệ."), code="line_invalid")
    elif len(text) > LINE_MAX_LENGTH:
        errors["line"] = ValidationError(
            _("Địa chỉ dài quá: tối đa %(max)s ký tự (đang có %(length)s)."),
            code="line_too_long",
            params={"max": LINE_MAX_LENGTH, "length": len(text)},
        )

    lat, lng = None, None
    try:
        lat, lng = _point(latitude, longitude)
    except ValidationError as error:
        errors["latitude"] = error

    if errors:
        raise ValidationError(errors)

    assert commune is not None
    address = Address(commune=commune, line=text, latitude=lat, longitude=lng)
    address.full_clean()
    with transaction.atomic():
        address.save()
    return address


def _commune_or_none(code: int | str) -> Commune | None:
    text = str(code).strip() if code is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return None
    return Commune.objects.select_related("province").filter(code=int(text)).first()


def _point(
    latitude: float | Decimal | str | None, longitude: float | Decimal | str | None
) -> tuple[Decimal | None, Decimal | None]:
    blank = (None, "")
    if latitude in blank and longitude in blank:
        return None, None
    if latitude in blank or longitude in blank:
        raise ValidationError(_("Cần cả vĩ độ và kinh độ, hoặc bỏ trống cả hai."), code="point_incomplete")
    try:
        lat = Decimal(str(latitude).strip())
        lng = Decimal(str(longitude).strip())
    except InvalidOperation:
        raise ValidationError(
            _("Vĩ độ và kinh độ phải là số, ví dụ 21.3256 và 103.9188."), code="point_invalid"
        ) from None
    if not (lat.is_finite() and lng.is_finite()):
        raise ValidationError(
            _("Vĩ độ và kinh độ phải là số, ví dụ 21.3256 và 103.9188."), code="point_invalid"
        )
    point = GeoPoint(latitude=float(lat), longitude=float(lng))  # raises for a point off the earth
    if not point.in_viet_nam:
        raise ValidationError(
            _("Vị trí này nằm ngoài Việt Nam. Hãy kiểm tra lại vĩ độ và kinh độ (có thể đã bị đảo chỗ)."),
            code="point_outside_viet_nam",
        )
    return lat.quantize(_MICRODEGREE, rounding=ROUND_HALF_EVEN), lng.quantize(
        _MICRODEGREE, rounding=ROUND_HALF_EVEN
    )
