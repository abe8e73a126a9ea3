"""Forms of the accounts pages. Rules live in ``services``; forms call them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import DomainError
from ketnoi.core.phone import MAX_INPUT_LENGTH, normalize_phone

from .backends import CREDENTIALS_ERROR_ATTR
from .models import Language, User
from .services import display_name_clean


def as_validation_error(error: DomainError) -> ValidationError:
    return ValidationError(str(error.message), code=error.code, params=error.params or None)


class LoginForm(forms.Form):
    phone = forms.CharField(
        label=_("Số điện thoại"),
        help_text=_("Số di động của bạn, ví dụ 0912 345 678."),
        max_length=MAX_INPUT_LENGTH,
        error_messages={"required": _("Hãy nhập số điện thoại.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Mật khẩu"),
        strip=False,
        max_length=4096,
        error_messages={"required": _("Hãy nhập mật khẩu.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user: User | None = None
        self.locked_out = False
        super().__init__(*args, **kwargs)

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        phone, password = cleaned.get("phone"), cleaned.get("password")
        if phone and password:
            user = authenticate(self.request, phone=phone, password=password)
            if user is None:
                error = getattr(self.request, CREDENTIALS_ERROR_ATTR, None)
                if error is None:  # e.g. an inactive account
                    error = DomainError(_("Số điện thoại hoặc mật khẩu không đúng."), code="bad_credentials")
                self.locked_out = error.code == "locked_out"
                raise as_validation_error(error)
            self.user = user  # type: ignore[assignment]
        return cleaned


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=_("Tên hiển thị"),
        help_text=_("Tên người khác thấy, ví dụ: Lò Thị Mai."),
        error_messages={"required": _("Hãy nhập tên hiển thị.")},
        max_length=1000,  # the real limit is the service's, with a clearer message
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    language = forms.ChoiceField(label=_("Ngôn ngữ"), choices=Language.choices, widget=forms.RadioSelect)

    def clean_display_name(self) -> str:
        try:
            return display_name_clean(self.cleaned_data["display_name"])
        except DomainError as error:
            raise as_validation_error(error) from None


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)
    next = forms.CharField(required=False, max_length=2000)


class ConsentForm(forms.Form):
    action = forms.ChoiceField(choices=[("give", "give"), ("withdraw", "withdraw")])
