"""The cart and the checkout: thin views over ``services.cart`` and ``services.orders``.

A visitor may fill a cart (kept with her browser session); placing orders
needs her to sign in, and the lead's sign-in view merges the visitor's
cart into hers (``services.cart.cart_merge``). A refusal renders the page
again with the reason and the matching status; nothing is changed.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.core.errors import DomainError
from ketnoi.core.phone import format_phone
from ketnoi.places.selectors import province_list

from .. import delivery_fees
from ..forms_orders import CheckoutForm, QuantityForm
from ..selectors_orders import cart_get, cart_summary, checkout_orders
from ..services.cart import cart_add, cart_line_remove, cart_line_update
from ..services.orders import order_place


def _session_key(request: HttpRequest, *, create: bool = False) -> str | None:
    if create and request.session.session_key is None:
        request.session.save()  # a visitor's first add: give her browser a session to hold the cart
    return request.session.session_key


def _cart_page(request: HttpRequest, *, error: Any = None, status: int = 200) -> HttpResponse:
    summary = cart_summary(cart_get(user=request.user, session_key=_session_key(request)))
    return render(request, "market/cart/cart.html", {"summary": summary, "error": error}, status=status)


@require_GET
def cart_view(request: HttpRequest) -> HttpResponse:
    """Her cart, grouped by seller, with each seller's subtotal and a note on lines that cannot be ordered."""
    return _cart_page(request)


@require_POST
def cart_add_view(request: HttpRequest, product_id: int) -> HttpResponse:
    form = QuantityForm(request.POST)
    if not form.is_valid():
        return _cart_page(request, error=form.errors["quantity"][0], status=400)
    try:
        line = cart_add(
            user=request.user,
            session_key=_session_key(request, create=not request.user.is_authenticated),
            product_id=product_id,
            quantity=form.cleaned_data["quantity"],
        )
    except DomainError as error:
        return _cart_page(request, error=error, status=error.status)
    messages.success(request, _("Đã cho “%(product)s” vào giỏ hàng.") % {"product": line.product.name})
    return redirect("market:cart")


@require_POST
def cart_line_update_view(request: HttpRequest, line_id: int) -> HttpResponse:
    form = QuantityForm(request.POST)
    if not form.is_valid():
        return _cart_page(request, error=form.errors["quantity"][0], status=400)
    try:
        cart_line_update(
            user=request.user,
            session_key=_session_key(request),
            line_id=line_id,
            quantity=form.cleaned_data["quantity"],
        )
    except DomainError as error:
        return _cart_page(request, error=error, status=error.status)
    messages.success(request, _("Đã đổi số lượng."))
    return redirect("market:cart")


@require_POST
def cart_line_remove_view(request: HttpRequest, line_id: int) -> HttpResponse:
    try:
        cart_line_remove(user=request.user, session_key=_session_key(request), line_id=line_id)
    except DomainError as error:
        return _cart_page(request, error=error, status=error.status)
    messages.success(request, _("Đã bỏ sản phẩm khỏi giỏ hàng."))
    return redirect("market:cart")


# --- Checkout ---------------------------------------------------------------------------


def _initial(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    commune = user.home_commune if user.home_commune_id else None
    return {
        "buyer_name": user.display_name,
        "buyer_phone": format_phone(user.phone),
        "province": commune.province_id if commune else None,
        "commune": commune.pk if commune else None,
        "payment_method": "vietqr",
    }


@login_required
@require_http_methods(["GET", "POST"])
def checkout_view(request: HttpRequest) -> HttpResponse:
    """Delivery details and payment method; placing makes one order per seller and empties the cart."""
    cart = cart_get(user=request.user, session_key=None)
    summary = cart_summary(cart)
    if summary.is_empty:
        messages.info(request, _("Giỏ hàng đang trống: hãy chọn sản phẩm trước."))
        return redirect("market:cart")
    provinces = province_list()
    error: Any = None
    status = 200
    if request.method == "POST" and "choose_province" in request.POST:
        # Without JavaScript, "Chọn xã" reloads the form with the province's communes, keeping what she typed.
        form = CheckoutForm(initial=request.POST.dict(), provinces=provinces)
    elif request.method == "POST":
        form = CheckoutForm(request.POST, provinces=provinces)
        if form.is_valid() and cart is not None:
            try:
                orders = order_place(cart=cart, buyer=request.user, details=form.details())
            except DomainError as refusal:
                error, status = refusal, refusal.status
                summary = cart_summary(cart)
            else:
                return redirect("market:checkout_done", checkout_id=orders[0].checkout_id)
        else:
            status = 400
    else:
        form = CheckoutForm(initial=_initial(request), provinces=provinces)
    context = {"form": form, "summary": summary, "error": error, "rates": delivery_fees}
    return render(request, "market/cart/checkout.html", context, status=status)


@login_required
@require_GET
def checkout_communes_view(request: HttpRequest) -> HttpResponse:
    """htmx: the commune select for the province chosen (``?province=``)."""
    form = CheckoutForm(initial={"province": request.GET.get("province", "")}, provinces=[])
    response = render(request, "market/cart/checkout.html#commune", {"form": form})
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_GET
def checkout_done_view(request: HttpRequest, checkout_id: uuid.UUID) -> HttpResponse:
    """The orders of one checkout, each with a link to its page (someone else's checkout: 404)."""
    orders = checkout_orders(user=request.user, checkout_id=checkout_id)
    if not orders:
        raise Http404(_("Không tìm thấy đơn hàng này."))
    total = sum(order.total_vnd for order in orders)
    return render(request, "market/cart/checkout_done.html", {"orders": orders, "total": total})
