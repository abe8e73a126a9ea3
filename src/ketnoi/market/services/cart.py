"""The cart: add, change, remove, and merge a visitor's cart into hers at sign-in.

A cart belongs to a signed-in buyer, or else to the browser session
(``session_key``); it is created on the first add. Only quantities are
kept: prices are read from the products whenever the cart is shown or an
order is placed, never taken from a form.

A cart is a scratch pad, not a record, so its edits are not audited (a
visitor's clicks would flood the trail); the order placed from it is.
Stock is checked here to spare the buyer a surprise, but it is only
reserved at checkout (``services.orders.order_place``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import DomainError, NotFound

from ..models import Cart, CartLine, Product

MIN_QUANTITY = 1
MAX_QUANTITY = 999
MAX_LINES = 50  # keeps a cart page (and one checkout) small on a cheap phone


def _check_quantity(quantity: Any) -> int:
    # bool is an int in Python; a form never sends one, a careless caller might.
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not MIN_QUANTITY <= quantity <= MAX_QUANTITY
    ):
        raise DomainError(
            _("Số lượng phải là số nguyên từ %(min)s đến %(max)s."),
            code="quantity_invalid",
            params={"min": MIN_QUANTITY, "max": MAX_QUANTITY},
        )
    return quantity


def _check_stock(product: Product, quantity: int) -> None:
    if not product.is_active or not product.seller.is_active:
        raise DomainError(
            _("“%(product)s” đã ngừng bán."),
            code="product_inactive",
            params={"product": product.name},
            status=409,
        )
    if quantity > product.stock:
        raise DomainError(
            _("“%(product)s” chỉ còn %(stock)s %(unit)s."),
            code="quantity_above_stock",
            params={"product": product.name, "stock": product.stock, "unit": product.unit},
            status=409,
        )


def _owned_cart(*, user: Any, session_key: str | None, create: bool) -> Cart | None:
    """The cart of ``user`` (signed in) or of ``session_key``, locked; made if ``create``."""
    if getattr(user, "is_authenticated", False):
        cart = Cart.objects.select_for_update().filter(buyer=user).first()
        if cart is None and create:
            cart = Cart.objects.create(buyer=user)
        return cart
    if not session_key:
        if create:
            raise ValueError("a visitor's cart needs a session key")
        return None
    cart = Cart.objects.select_for_update().filter(buyer=None, session_key=session_key).first()
    if cart is None and create:
        cart = Cart.objects.create(session_key=session_key)
    return cart


@transaction.atomic
def cart_add(*, user: Any, session_key: str | None, product_id: int, quantity: int) -> CartLine:
    """Put ``quantity`` of a product in the cart (adding to what is there already).

    Refuses (``DomainError``, nothing changed) a quantity outside 1–999, a
    product that is gone or no longer sold (404/409), or more than its stock.
    """
    quantity = _check_quantity(quantity)
    product = Product.objects.select_related("seller").filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Không tìm thấy sản phẩm này."), code="product_unknown")
    cart = _owned_cart(user=user, session_key=session_key, create=True)
    assert cart is not None
    line = CartLine.objects.filter(cart=cart, product=product).first()
    total = quantity + (line.quantity if line else 0)
    if total > MAX_QUANTITY:
        raise DomainError(
            _("Mỗi sản phẩm chỉ đặt được tối đa %(max)s."),
            code="quantity_invalid",
            params={"max": MAX_QUANTITY},
        )
    _check_stock(product, total)
    if line is None:
        if CartLine.objects.filter(cart=cart).count() >= MAX_LINES:
            raise DomainError(
                _("Giỏ hàng đã có %(max)s sản phẩm. Hãy đặt hàng trước rồi chọn tiếp."),
                code="cart_full",
                params={"max": MAX_LINES},
                status=409,
            )
        return CartLine.objects.create(cart=cart, product=product, quantity=total)
    line.quantity = total
    line.save(update_fields=["quantity"])
    return line


def _line_of(cart: Cart | None, line_id: int) -> CartLine:
    line = (
        CartLine.objects.select_related("product__seller").filter(cart=cart, pk=line_id).first()
        if cart is not None
        else None
    )
    if line is None:
        raise NotFound(_("Dòng này không còn trong giỏ hàng của bạn."), code="cart_line_unknown")
    return line


@transaction.atomic
def cart_line_update(*, user: Any, session_key: str | None, line_id: int, quantity: int) -> CartLine:
    """Set the quantity of one line of her own cart (another cart's line: ``NotFound``).

    Lowering a quantity is always allowed while the product is sold, so that a
    buyer can bring a line down to what is left in stock.
    """
    quantity = _check_quantity(quantity)
    line = _line_of(_owned_cart(user=user, session_key=session_key, create=False), line_id)
    if quantity > line.quantity:
        _check_stock(line.product, quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    return line


@transaction.atomic
def cart_line_remove(*, user: Any, session_key: str | None, line_id: int) -> None:
    """Take one line out of her own cart (another cart's line: ``NotFound``)."""
    _line_of(_owned_cart(user=user, session_key=session_key, create=False), line_id).delete()


@transaction.atomic
def cart_merge(session_key: str | None, user: Any) -> Cart | None:
    """Move the visitor's cart of ``session_key`` into ``user``'s cart; call it at sign-in.

    Pass the session key from *before* ``auth.login`` (login gives the
    session a new key). Quantities of a product in both carts add up, capped
    at 999; lines beyond the cart's limit are dropped. The visitor's cart is
    deleted. Idempotent: with no visitor's cart it does nothing and returns
    ``None``.
    """
    if not session_key or not getattr(user, "is_authenticated", False):
        return None
    guest = Cart.objects.select_for_update().filter(buyer=None, session_key=session_key).first()
    if guest is None:
        return None
    cart = _owned_cart(user=user, session_key=None, create=True)
    assert cart is not None
    mine = {line.product_id: line for line in CartLine.objects.filter(cart=cart)}
    room = MAX_LINES - len(mine)
    for line in CartLine.objects.filter(cart=guest).order_by("pk"):
        if line.product_id in mine:
            kept = mine[line.product_id]
            kept.quantity = min(MAX_QUANTITY, kept.quantity + line.quantity)
            kept.save(update_fields=["quantity"])
        elif room > 0:
            CartLine.objects.filter(pk=line.pk).update(cart=cart)
            room -= 1
    guest.delete()
    return cart
