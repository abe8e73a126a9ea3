"""The seller's voucher page: type (or scan) the buyer's code, see its value, confirm.

Two steps on one page so that nothing is taken by a single tap: "check"
shows what the voucher is worth, "redeem" takes it. A seller scanning the
QR with a scanner app gets the code typed for her; no camera script is needed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ketnoi.accounts.permissions import forbidden
from ketnoi.core.errors import DomainError
from ketnoi.core.money import format_vnd
from ketnoi.market.models import Seller
from ketnoi.market.selectors import sellers_of_user

from .vouchers import code_format, code_normalize, voucher_check, voucher_redeem

NOT_A_SELLER = _("Trang này dành cho người bán. Bạn chưa là thành viên của nhóm bán hàng nào.")


class VoucherCodeForm(forms.Form):
    seller = forms.TypedChoiceField(label=_("Nhận phiếu cho cửa hàng"), coerce=int)
    code = forms.CharField(
        label=_("Mã phiếu"),
        help_text=_("12 chữ và số in trên phiếu hoặc trong tin nhắn của người mua, ví dụ 7K2M-9QXD-4T8B."),
        max_length=40,
        error_messages={"required": _("Hãy nhập mã phiếu.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, sellers: list[Seller], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["seller"]
        field.choices = [(s.pk, s.name) for s in sellers]  # type: ignore[attr-defined]
        self.sellers = {s.pk: s for s in sellers}
        if len(sellers) == 1:
            field.initial = sellers[0].pk
            field.required = False
            field.widget = forms.HiddenInput()

    def chosen_seller(self) -> Seller:
        chosen = self.cleaned_data.get("seller")
        if chosen is None or chosen == "":
            return next(iter(self.sellers.values()))  # the only one (the field is required otherwise)
        return self.sellers[int(chosen)]


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def voucher_redeem_view(request: HttpRequest) -> HttpResponse:
    """Check a code (shows the value), then redeem it (the value goes to the seller's sales account)."""
    sellers = list(sellers_of_user(request.user))
    if not sellers:
        return forbidden(request, NOT_A_SELLER)
    form = VoucherCodeForm(request.POST or None, sellers=sellers)
    context: dict[str, Any] = {"form": form, "voucher": None}
    if request.method != "POST":
        return render(request, "payments/vouchers/redeem.html", context)
    if not form.is_valid():
        return render(request, "payments/vouchers/redeem.html", context, status=400)
    seller, code = form.chosen_seller(), form.cleaned_data["code"]
    try:
        if request.POST.get("action") == "redeem":
            voucher = voucher_redeem(code=code, seller=seller, actor=request.user)
        else:
            context["voucher"] = voucher_check(code=code, seller=seller, actor=request.user)
            context["code"] = code_format(code_normalize(code))  # read back to the buyer to compare
            return render(request, "payments/vouchers/redeem.html", context)
    except DomainError as error:
        form.add_error("code", str(error))
        return render(request, "payments/vouchers/redeem.html", context, status=error.status)
    messages.success(
        request,
        _("Đã nhận phiếu %(value)s cho %(seller)s. Tiền được ghi vào tài khoản bán hàng của cửa hàng.")
        % {"value": format_vnd(voucher.value_vnd), "seller": seller.name},
    )
    return redirect("payments:voucher_redeem")
