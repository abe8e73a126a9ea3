"""Citizen ID numbers (CCCD): structure checks, encryption at rest, keyed look-up.

A CCCD has 12 digits: 1–3 the province where the birth was registered,
4 the century and sex (1900s: male 0, female 1; 2000s: 2/3; 2100s: 4/5),
5–6 the last two digits of the birth year, 7–12 random. There is no check
digit, so we check the structure and its agreement with the stated birth
year and sex. The number itself is stored only encrypted (Fernet, keyed by
``settings.FIELD_ENCRYPTION_KEY``); equality look-ups use an HMAC of it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_DATA = Path(__file__).parent / "data" / "citizen_id_provinces.json"

# century digit → (first year of the century, sex)
_CENTURY_SEX = {
    "0": (1900, "male"),
    "1": (1900, "female"),
    "2": (2000, "male"),
    "3": (2000, "female"),
    "4": (2100, "male"),
    "5": (2100, "female"),
}


@cache
def birth_province_codes() -> frozenset[str]:
    """The 3-digit codes of the provinces where births were registered (pre-2025 list)."""
    return frozenset(json.loads(_DATA.read_text(encoding="utf-8"))["codes"])


@dataclass(frozen=True, slots=True)
class CitizenId:
    number: str
    birth_province_code: str
    birth_year: int
    sex: str

    @property
    def masked(self) -> str:
        """``001********5`` style: enough to recognise, not to reuse."""
        return mask(self.number)


def mask(number: str) -> str:
    return f"{number[:3]}{'•' * 6}{number[-3:]}" if len(number) == 12 else "•" * len(number)


def parse(raw: str) -> CitizenId:
    """Check the structure of a CCCD; ``ValidationError`` says what is wrong."""
    number = "".join((raw or "").split())
    if not number.isdigit() or len(number) != 12:
        raise ValidationError(_("Số CCCD phải có đúng 12 chữ số."), code="cccd_length")
    province = number[:3]
    if province not in birth_province_codes():
        raise ValidationError(
            _("Ba số đầu của CCCD (%(code)s) không phải mã tỉnh nơi đăng ký khai sinh."),
            code="cccd_province",
            params={"code": province},
        )
    century = _CENTURY_SEX.get(number[3])
    if century is None:
        raise ValidationError(
            _("Số thứ tư của CCCD (%(digit)s) không đúng quy định về thế kỷ và giới tính."),
            code="cccd_century",
            params={"digit": number[3]},
        )
    start, sex = century
    return CitizenId(
        number=number, birth_province_code=province, birth_year=start + int(number[4:6]), sex=sex
    )


def check_matches(citizen_id: CitizenId, *, birth_date: date | None, sex: str | None) -> None:
    """The CCCD must agree with the person's stated birth year and sex."""
    if birth_date is not None and citizen_id.birth_year != birth_date.year:
        raise ValidationError(
            _("Số CCCD cho năm sinh %(cccd_year)s, nhưng ngày sinh ghi năm %(year)s."),
            code="cccd_birth_year",
            params={"cccd_year": citizen_id.birth_year, "year": birth_date.year},
        )
    if sex is not None and citizen_id.sex != sex:
        raise ValidationError(_("Số CCCD không khớp với giới tính đã ghi."), code="cccd_sex")


def _derived_key(secret: str, purpose: bytes) -> bytes:
    return hashlib.sha256(purpose + b"\x00" + secret.encode("utf-8")).digest()


@cache
def _fernet(current: str, old: tuple[str, ...]) -> MultiFernet:
    keys = [current, *old]
    return MultiFernet(
        [Fernet(base64.urlsafe_b64encode(_derived_key(key, b"ketnoi-cccd-encrypt"))) for key in keys]
    )


def _cipher() -> MultiFernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY, tuple(settings.FIELD_ENCRYPTION_OLD_KEYS))


def encrypt(number: str) -> str:
    return _cipher().encrypt(number.encode("ascii")).decode("ascii")


def decrypt(token: str) -> str:
    """The number back; ``ValueError`` when no configured key can open it."""
    try:
        return _cipher().decrypt(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise ValueError("This citizen ID was encrypted with a key that is no longer configured.") from None


def lookup_hash(number: str) -> str:
    """A keyed hash for equality look-ups; useless without the field key."""
    key = _derived_key(settings.FIELD_ENCRYPTION_KEY, b"ketnoi-cccd-lookup")
    return hmac.new(key, number.encode("ascii"), hashlib.sha256).hexdigest()
