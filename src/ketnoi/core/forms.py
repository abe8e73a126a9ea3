"""Form pieces every flow that proves a phone number uses: the phone box and the one-time-code box."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

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
