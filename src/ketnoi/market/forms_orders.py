"""Forms of the cart, the checkout and the order pages.

No form carries a price or a total: those come from the database in the
services, so a tampered field in a POST changes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ketnoi.core.phone import PhoneFormField
from ketnoi.places.models import Commune, Province
from ketnoi.places.selectors import MAX_LIMIT, commune_search

from .models import OrderState, PaymentMethod
from .services.cart import MAX_QUANTITY, MIN_QUANTITY
from .services.orders import CheckoutDetails

_QUANTITY_ERROR = _("Số lượng phải là số nguyên từ 1 đến 999, ví dụ 2.")


class QuantityField(forms.IntegerField):
    """A whole number 1–999 typed as digits only: "2" yes; "2.5", "-1", "1e3", "0" no."""

    default_error_messages = {
        "invalid": _QUANTITY_ERROR,
        "required": _QUANTITY_ERROR,
        "min_value": _QUANTITY_ERROR,
        "max_value": _QUANTITY_ERROR,
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Số lượng"))
        super().__init__(min_value=MIN_QUANTITY, max_value=MAX_QUANTITY, **kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "pattern": "[0-9]*", "step": "1"})

    def to_python(self, value: Any) -> int | None:
        text = str(value if value is not None else "").strip()
        if not text:
            return None
        if not (text.isascii() and text.isdigit()) or len(text) > 4:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)


class QuantityForm(forms.Form):
    quantity = QuantityField()


S = OrderState
# The moves the order pages offer as buttons, with their words. The others go
# through the app that owns them, so that money and parcels stay in step with
# the order: payment confirmation and refunds through payments (the payment
# block), sending the parcel through shipping, "delivered" from the carrier.
MOVE_LABELS: dict[str, Any] = {
    S.COD_CONFIRMED: _("Nhận đơn (trả khi nhận hàng)"),
    S.PACKED: _("Đã đóng gói xong"),
    S.COMPLETED: _("Tôi đã nhận được hàng"),
    S.CANCELLED: _("Huỷ đơn"),
}


class MoveForm(forms.Form):
    """One of the moves in ``MOVE_LABELS`` (whether she may make it is the service's business)."""

    to = forms.ChoiceField(
        choices=[(state, S(state).label) for state in MOVE_LABELS],
        error_messages={
            "invalid_choice": _("Thao tác không hợp lệ."),
            "required": _("Thao tác không hợp lệ."),
        },
    )
    note = forms.CharField(label=_("Lý do (nếu có)"), required=False, max_length=500)


class CheckoutForm(forms.Form):
    """Who receives the parcels, where, and how she pays.

    The commune list depends on the province chosen: the form is built with
    ``province`` (from the data or the initial values) and offers that
    province's communes; a commune of another province is refused.
    """

    buyer_name = forms.CharField(
        label=_("Tên người nhận"),
        max_length=120,
        error_messages={"required": _("Hãy ghi tên người nhận.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    buyer_phone = PhoneFormField(
        label=_("Số điện thoại người nhận"),
        help_text=_("Số di động, ví dụ 0912 345 678. Người giao hàng gọi số này."),
        error_messages={"required": _("Hãy nhập số điện thoại.")},
    )
    province = forms.TypedChoiceField(
        label=_("Tỉnh/thành phố"),
        coerce=int,
        error_messages={
            "required": _("Hãy chọn tỉnh/thành phố."),
            "invalid_choice": _("Hãy chọn tỉnh/thành phố."),
        },
    )
    commune = forms.TypedChoiceField(
        label=_("Xã/phường"),
        coerce=int,
        help_text=_("Chọn tỉnh trước, rồi chọn xã hoặc phường."),
        error_messages={
            "required": _("Hãy chọn xã/phường."),
            "invalid_choice": _("Hãy chọn xã/phường trong danh sách."),
        },
    )
    delivery_line = forms.CharField(
        label=_("Số nhà, đường, thôn/bản"),
        max_length=200,
        error_messages={"required": _("Hãy ghi số nhà, đường hoặc thôn, bản.")},
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    payment_method = forms.ChoiceField(
        label=_("Cách trả tiền"),
        choices=PaymentMethod.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Hãy chọn cách trả tiền."),
            "invalid_choice": _("Hãy chọn cách trả tiền."),
        },
    )
    note = forms.CharField(
        label=_("Ghi chú cho người bán (nếu có)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, provinces: list[Province], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        province_field = self.fields["province"]
        commune_field = self.fields["commune"]
        assert isinstance(province_field, forms.ChoiceField) and isinstance(commune_field, forms.ChoiceField)
        province_field.choices = [("", _("— Chọn tỉnh/thành phố —"))] + [(p.code, p.name) for p in provinces]
        self.commune_options = self._communes_of(self.province_code())
        commune_field.choices = [("", _("— Chọn xã/phường —"))] + [
            (c.code, c.name) for c in self.commune_options
        ]
        self.chosen_commune: Commune | None = None

    def province_code(self) -> int | None:
        raw = self.data.get("province") if self.is_bound else self.initial.get("province")
        text = str(raw or "").strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else None

    @staticmethod
    def _communes_of(province_code: int | None) -> list[Commune]:
        return commune_search("", province_code=province_code, limit=MAX_LIMIT) if province_code else []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The choices are the chosen province's communes, so a valid code is one of them.
        code = cleaned.get("commune")
        self.chosen_commune = (
            next((c for c in self.commune_options if c.code == code), None) if code else None
        )
        return cleaned

    def details(self) -> CheckoutDetails:
        """The answers for ``order_place``; call after ``is_valid()``."""
        assert self.chosen_commune is not None
        data = self.cleaned_data
        return CheckoutDetails(
            buyer_name=data["buyer_name"],
            buyer_phone=data["buyer_phone"],
            commune=self.chosen_commune,
            delivery_line=data["delivery_line"],
            payment_method=data["payment_method"],
            note=data.get("note") or "",
        )
