"""Phone numbers: parsed with ``phonenumbers`` (region VN), stored in E.164."""

from __future__ import annotations

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .text import nfc

REGION = "VN"
MAX_INPUT_LENGTH = 32

_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def normalize_phone(raw: str, *, mobile_only: bool = True) -> str:
    """``"090 000 0001"`` → ``"+84900000001"``.

    Accepts the national form, spaces, dots and dashes, and ``+84``. Refuses
    foreign numbers and, by default, numbers that cannot receive an SMS.
    """
    text = nfc(raw or "")
    if not text:
        raise ValidationError(_("Hãy nhập số điện thoại."), code="phone_required")
    if len(text) > MAX_INPUT_LENGTH:
        raise ValidationError(_("Số điện thoại quá dài."), code="phone_too_long")
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("“%(value)s” không phải là số điện thoại. Ví dụ đúng: 0912 345 678."),
            code="phone_invalid",
            params={"value": text},
        ) from None
    if phonenumbers.region_code_for_number(number) != REGION:
        raise ValidationError(_("Chỉ nhận số điện thoại Việt Nam (+84)."), code="phone_foreign")
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("Số điện thoại “%(value)s” không đúng: số di động Việt Nam có 10 chữ số, bắt đầu bằng 0."),
            code="phone_invalid",
            params={"value": text},
        )
    if mobile_only and phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise ValidationError(_("Hãy dùng số di động để nhận tin nhắn."), code="phone_not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """``"+84900000001"`` → ``"090 000 0001"`` (national form for display)."""
    try:
        number = phonenumbers.parse(e164, REGION)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def mask_phone(e164: str | None) -> str:
    """``"+84900000001"`` → ``"090 *** 0001"``: enough to tell people apart, not to call them."""
    if not e164:
        return ""
    try:
        national = str(phonenumbers.parse(e164, REGION).national_number)
    except phonenumbers.NumberParseException:
        return "***"
    digits = "0" + national
    return f"{digits[:3]} *** {digits[-4:]}" if len(digits) >= 8 else "***"


class PhoneNumberField(models.CharField):
    """A Vietnamese mobile number, always stored in E.164."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("max_length", 16)
        super().__init__(*args, **kwargs)

    def to_python(self, value):  # type: ignore[no-untyped-def]
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return normalize_phone(value)

    def formfield(self, **kwargs):  # type: ignore[no-untyped-def]
        return super().formfield(**{"form_class": PhoneFormField, **kwargs})


class PhoneFormField(forms.CharField):
    """Form field that answers a typed phone number with its E.164 form."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["max_length"] = MAX_INPUT_LENGTH
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})

    def to_python(self, value):  # type: ignore[no-untyped-def]
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return normalize_phone(value)
