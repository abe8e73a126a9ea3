"""Form pieces shared by every app: the phone box, the one-time-code box, an amount in đồng."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .money import parse_vnd
from .phone import MAX_INPUT_LENGTH


def phone_field(*, label: Any, help_text: Any) -> forms.CharField:
    """A mobile number box: the phone keypad, the browser's autofill, a plain message when empty."""
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=MAX_INPUT_LENGTH,
        error_messages={"required": _("Hãy nhập số điện thoại.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


class OneTimeCodeForm(forms.Form):
    """The six-digit code from the SMS; the phone offers it from the message by itself."""

    code = forms.CharField(
        label=_("Mã trong tin nhắn"),
        help_text=_("Gồm 6 chữ số, dùng được trong 10 phút."),
        max_length=20,
        error_messages={"required": _("Hãy nhập mã trong tin nhắn.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )


class VndField(forms.CharField):
    """An amount in đồng as people type it (``1.500.000``, ``1500000đ``), cleaned to an ``int``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().clean(value)
        if not text:
            return None
        return parse_vnd(text)
