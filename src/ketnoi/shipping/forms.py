"""Forms of the seller's shipping pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .carriers import carrier_choices


class ShipmentCreateForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Đơn vị giao hàng"), choices=carrier_choices, initial="vnpost")
    tracking_code = forms.CharField(
        label=_("Mã vận đơn (nếu bưu điện đã cho)"),
        max_length=40,
        required=False,
        help_text=_("Để trống: Kết Nối tạo một mã để in lên nhãn. Bạn sửa lại sau khi bưu điện cho mã."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class TrackingCodeForm(forms.Form):
    tracking_code = forms.CharField(
        label=_("Mã vận đơn của bưu điện"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
