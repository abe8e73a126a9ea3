"""Money is a whole number of đồng (VND has no minor unit).

Amounts are plain ``int``; this module only parses and displays them so
that every page writes ``1.500.000 ₫`` the same way.
"""

from __future__ import annotations

import re

from babel.numbers import format_currency
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

MAX_VND = 10**15  # a quadrillion đồng: far above any amount the platform moves

_BABEL_LOCALES = {"vi": "vi_VN", "en": "en_US"}
_GROUPING = re.compile(r"[.,\s\u00a0\u202f_]")


def format_vnd(amount: int, *, language: str | None = None) -> str:
    """``1500000`` → ``1.500.000 ₫`` in Vietnamese (``₫1,500,000`` in English)."""
    lang = (language or get_language() or "vi").split("-")[0]
    return format_currency(amount, "VND", locale=_BABEL_LOCALES.get(lang, "vi_VN"))


def parse_vnd(raw: str | int) -> int:
    """Read an amount a person typed: ``1.500.000``, ``1,500,000 ₫``, ``1500000đ``.

    Raises ``ValidationError`` for anything that is not a whole, non-negative
    amount within range.
    """
    if isinstance(raw, int):
        amount = raw
    else:
        text = str(raw).strip().lower().replace("₫", "").replace("vnd", "").replace("đ", "")
        digits = _GROUPING.sub("", text)
        if not digits.isdigit():
            raise ValidationError(
                _("Số tiền “%(value)s” không hợp lệ: hãy nhập số tiền bằng chữ số, ví dụ 1.500.000."),
                code="invalid_amount",
                params={"value": raw},
            )
        amount = int(digits)
    if amount < 0 or amount > MAX_VND:
        raise ValidationError(
            _("Số tiền phải từ 0 đến %(max)s đồng."), code="amount_range", params={"max": MAX_VND}
        )
    return amount


class MoneyField(models.BigIntegerField):
    """A VND amount: a non-negative whole number of đồng."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.validators.append(_validate_amount)


def _validate_amount(value: int) -> None:
    parse_vnd(value)
