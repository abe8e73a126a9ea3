"""Forms of the payments pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ketnoi.market.models import Seller

from .statement_files import MAX_STATEMENT_BYTES


class StatementForm(forms.Form):
    seller = forms.TypedChoiceField(label=_("Tài khoản của nhóm"), coerce=int)
    file = forms.FileField(
        label=_("Tệp sao kê (.xlsx hoặc .csv)"),
        help_text=_("Tải sao kê từ ứng dụng hoặc trang web của ngân hàng. Tối đa %(max)s MB.")
        % {"max": MAX_STATEMENT_BYTES // (1024 * 1024)},
    )

    def __init__(self, *args: Any, sellers: list[Seller], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["seller"]
        field.choices = [(s.pk, s.name) for s in sellers]  # type: ignore[attr-defined]
        self._only = sellers[0].pk if len(sellers) == 1 else None
        if self._only is not None:
            field.initial = self._only
            field.required = False
            field.widget = forms.HiddenInput()
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.csv"

    def clean_seller(self) -> int:
        chosen = self.cleaned_data.get("seller")
        return self._only if chosen in (None, "") and self._only is not None else chosen  # type: ignore[return-value]
