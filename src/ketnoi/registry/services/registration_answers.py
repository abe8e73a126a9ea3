"""The answers of the self-registration form, step by step: checked, and shaped as the draft keeps them.

Each function takes what a form cleaned (or what an API client sent) and
returns a JSON-ready dict, or raises ``ValidationError`` keyed by the form's
field names, so that the page puts each message next to its field. The
forms call ``birth_date_clean`` too, to say a wrong date at once.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.money import parse_vnd
from ketnoi.core.text import nfc
from ketnoi.places.models import Commune
from ketnoi.poverty.facts import Device

from .. import citizen_id
from ..ethnicity import ethnic_groups
from ..facts import age_on
from ..models import (
    AREA_CHOICES,
    EDUCATION_CHOICES,
    LATRINE_CHOICES,
    MATERIAL_CHOICES,
    MAX_FLOOR_AREA_M2,
    WATER_CHOICES,
    WORK_CHOICES,
    Relation,
    Sex,
)
from .households import MAX_MEMBERS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

HELPER_NAME_MAX = 120
ADDRESS_LINE_MAX = 200
FULL_NAME_MAX = 120
OLDEST_AGE = 120
CHILD_AGE = 16  # child nutrition is asked for members under 16
WORKING_AGE = 15  # work and ability to work are asked from 15
SCHOOL_AGE_MAX = 25  # "is she at school" is asked below this age


def field_error(
    field: str, message: StrOrPromise, *, code: str = "invalid", params: dict[str, Any] | None = None
) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code, params=params)})


def _choice(
    data: dict[str, Any], name: str, choices: list[tuple[str, Any]] | tuple[tuple[str, Any], ...]
) -> str:
    value = str(data.get(name) or "")
    if value not in {code for code, _label in choices}:
        raise field_error(name, _("Hãy chọn một trong các ô."), code="choice")
    return value


def _yes_no(data: dict[str, Any], name: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise field_error(name, _("Hãy chọn Có hoặc Không."), code="yes_no")
    return value


def helper_name_clean(raw: str) -> str:
    name = nfc(raw or "")
    if len(name) > HELPER_NAME_MAX:
        raise field_error(
            "helper_name", _("Tên quá dài (tối đa %(max)s chữ)."), params={"max": HELPER_NAME_MAX}
        )
    return name


def commune_clean(code: Any) -> Commune:
    """The commune with official code ``code``; an unknown code is a field error."""
    text = str(code or "").strip()
    commune = (
        Commune.objects.select_related("province").filter(pk=int(text)).first()
        if text.isascii() and text.isdigit() and len(text) <= 9
        else None
    )
    if commune is None:
        if not text:
            raise field_error("commune", _("Hãy tìm và chọn xã/phường nơi hộ đang ở."), code="required")
        raise field_error(
            "commune",
            _("Không có xã/phường nào mang mã “%(code)s”. Hãy tìm và chọn lại trong danh sách."),
            code="commune_unknown",
            params={"code": text},
        )
    return commune


def place_clean(data: dict[str, Any]) -> dict[str, Any]:
    commune = commune_clean(data.get("commune"))
    address_line = nfc(str(data.get("address_line") or ""))
    if not address_line:
        raise field_error("address_line", _("Hãy ghi tên thôn, bản hoặc tổ dân phố."), code="required")
    if len(address_line) > ADDRESS_LINE_MAX:
        raise field_error(
            "address_line", _("Địa chỉ quá dài (tối đa %(max)s chữ)."), params={"max": ADDRESS_LINE_MAX}
        )
    return {
        "province": commune.province_id,
        "commune": commune.code,
        "commune_label": f"{commune.name}, {commune.province.name}",
        "address_line": address_line,
        "area": _choice(data, "area", AREA_CHOICES),
    }


def birth_date_clean(value: Any, *, today: date | None = None) -> date:
    """A birth date that is neither in the future nor impossibly far back."""
    today = today or timezone.localdate()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, date):
        raise field_error("birth_date", _("Hãy ghi ngày sinh, ví dụ 12/04/1985."), code="required")
    if value > today:
        raise field_error("birth_date", _("Ngày sinh không thể ở tương lai."), code="future")
    if value.year < today.year - OLDEST_AGE:
        raise field_error("birth_date", _("Ngày sinh quá xa, hãy kiểm tra lại năm sinh."), code="too_old")
    return value


def member_clean(data: dict[str, Any], *, today: date | None = None) -> dict[str, Any]:
    """One member's answers, checked, as stored in the draft (the CCCD encrypted).

    Questions that do not apply to her age (work under 15, nutrition from
    16) are not asked and take the answer that fits.
    """
    today = today or timezone.localdate()
    full_name = nfc(str(data.get("full_name") or ""))
    if not full_name:
        raise field_error("full_name", _("Hãy ghi họ và tên."), code="required")
    if len(full_name) > FULL_NAME_MAX:
        raise field_error(
            "full_name", _("Họ tên quá dài (tối đa %(max)s chữ)."), params={"max": FULL_NAME_MAX}
        )
    birth_date = birth_date_clean(data.get("birth_date"), today=today)
    age = age_on(birth_date, today)
    sex = _choice(data, "sex", Sex.choices)
    member: dict[str, Any] = {
        "full_name": full_name,
        "birth_date": birth_date.isoformat(),
        "sex": sex,
        "relation": _choice(data, "relation", Relation.choices),
        "ethnic_group": _choice(data, "ethnic_group", ethnic_groups()),
        "has_health_insurance": _yes_no(data, "has_health_insurance"),
        "has_disability": _yes_no(data, "has_disability"),
        "attending_school": _yes_no(data, "attending_school") if age < SCHOOL_AGE_MAX else False,
        "education": _choice(data, "education", EDUCATION_CHOICES) if age >= 6 else "none",
        "work": _choice(data, "work", WORK_CHOICES) if age >= WORKING_AGE else "not_in_labour_force",
        "able_to_work": _yes_no(data, "able_to_work") if age >= WORKING_AGE else True,
        "stunted_or_underweight": _yes_no(data, "stunted_or_underweight") if age < CHILD_AGE else False,
    }
    number = "".join(str(data.get("citizen_id") or "").split())
    if number:
        try:
            parsed = citizen_id.parse(number)
            citizen_id.check_matches(parsed, birth_date=birth_date, sex=sex)
        except ValidationError as error:
            raise ValidationError({"citizen_id": error.error_list}) from None
        member["citizen_id_encrypted"] = citizen_id.encrypt(parsed.number)
        member["citizen_id_hash"] = citizen_id.lookup_hash(parsed.number)
        member["citizen_id_masked"] = parsed.masked
    return member


def members_check(members: list[dict[str, Any]]) -> None:
    """The whole list: somebody in it, one head, no CCCD twice (a non-field error)."""
    if not members:
        raise ValidationError(_("Hãy thêm ít nhất một người trong hộ."), code="no_members")
    if len(members) > MAX_MEMBERS:
        raise ValidationError(
            _("Một hộ có tối đa %(max)s người."), code="too_many", params={"max": MAX_MEMBERS}
        )
    heads = sum(1 for m in members if m.get("relation") == Relation.HEAD)
    if heads == 0:
        raise ValidationError(_("Hãy cho biết ai là chủ hộ (quan hệ: Chủ hộ)."), code="no_head")
    if heads > 1:
        raise ValidationError(_("Hộ chỉ có một chủ hộ. Hãy sửa quan hệ của một người."), code="two_heads")
    hashes = [m["citizen_id_hash"] for m in members if m.get("citizen_id_hash")]
    if len(hashes) != len(set(hashes)):
        raise ValidationError(_("Hai người trong hộ có cùng số CCCD."), code="same_cccd")


def floor_area_clean(raw: Any) -> Decimal:
    text = str(raw if raw is not None else "").strip().replace(",", ".").replace("m²", "").replace("m2", "")
    try:
        area = Decimal(text.strip()).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise field_error(
            "floor_area_m2", _("Diện tích nhà phải là một số, ví dụ 35 hoặc 35,5."), code="invalid"
        ) from None
    if not area.is_finite() or area <= 0:
        raise field_error("floor_area_m2", _("Diện tích nhà phải lớn hơn 0 m²."), code="too_small")
    if area > MAX_FLOOR_AREA_M2:
        raise field_error(
            "floor_area_m2",
            _("Diện tích %(value)s m² quá lớn. Hãy kiểm tra lại (tối đa %(max)s m²)."),
            code="too_large",
            params={"value": str(area), "max": MAX_FLOOR_AREA_M2},
        )
    return area


def home_clean(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "walls": _choice(data, "walls", MATERIAL_CHOICES),
        "frame": _choice(data, "frame", MATERIAL_CHOICES),
        "roof": _choice(data, "roof", MATERIAL_CHOICES),
        "floor_area_m2": str(floor_area_clean(data.get("floor_area_m2"))),
        "water_source": _choice(data, "water_source", WATER_CHOICES),
        "latrine": _choice(data, "latrine", LATRINE_CHOICES),
    }


def connect_clean(data: dict[str, Any]) -> dict[str, Any]:
    devices = [str(d) for d in data.get("devices") or []]
    known = {d.value for d in Device}
    if any(d not in known for d in devices):
        raise field_error("devices", _("Hãy chọn trong các thiết bị có sẵn."), code="choice")
    return {
        "uses_telecom": _yes_no(data, "uses_telecom"),
        "devices": sorted(set(devices)),
        "waste_collected_or_treated": _yes_no(data, "waste_collected_or_treated"),
    }


def _amount(data: dict[str, Any], name: str) -> int | None:
    raw = data.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, str) and raw.strip().startswith("-"):
        raise field_error(
            name, _("Thu nhập không thể là số âm. Nếu không có thu nhập, ghi 0."), code="negative"
        )
    try:
        return parse_vnd(raw)
    except ValidationError as error:
        raise ValidationError({name: error.error_list}) from None


def income_clean(data: dict[str, Any]) -> dict[str, Any]:
    """A year's income: the 12-month total if given, else "about how much a month" × 12."""
    month = _amount(data, "income_month")
    year = _amount(data, "income_year")
    if month is None and year is None:
        raise field_error(
            "income_month",
            _("Hãy ghi khoảng bao nhiêu tiền một tháng (không có thì ghi 0)."),
            code="required",
        )
    total = year if year is not None else (month or 0) * 12
    return {"income_month": month, "income_year": year, "income_12m_vnd": parse_vnd(total)}


STEP_CLEANERS = {
    "place": place_clean,
    "home": home_clean,
    "connect": connect_clean,
    "income": income_clean,
}
