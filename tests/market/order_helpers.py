"""Builders for the cart and order tests: buyers, carts, checkouts, orders moved along.

Sellers and products come from ``tests.market.factories`` (the catalogue's).
Carts and orders are made through the services, as a buyer would make them.
"""

from __future__ import annotations

from typing import Any

from ketnoi.accounts.models import Role, User
from ketnoi.market.models import Cart, Order, OrderState, PaymentMethod, Product
from ketnoi.market.services.cart import cart_add
from ketnoi.market.services.orders import CheckoutDetails, order_place, order_transition
from ketnoi.places.models import Commune
from tests.accounts.factories import user_with_role

from .factories import ProductFactory, SellerFactory

BUYER_PHONE = "0912 345 678"
BUYER_PHONE_E164 = "+84912345678"

S = OrderState


def buyer_make(**fields: Any) -> User:
    return user_with_role(Role.BUYER, **fields)


def hanoi_commune() -> Commune:
    """A ward of Hà Nội: a delivery to another province than the Sơn La sellers'."""
    return (
        Commune.objects.select_related("province")
        .filter(province__codename="ha_noi")
        .order_by("code")
        .first()
    )


def details_for(commune: Commune, **changes: Any) -> CheckoutDetails:
    values: dict[str, Any] = {
        "buyer_name": "Nguyễn Thị Lan",
        "buyer_phone": BUYER_PHONE,
        "commune": commune,
        "delivery_line": "Số 12 ngõ 34 phố Huế",
        "payment_method": PaymentMethod.VIETQR,
        "note": "",
    }
    values.update(changes)
    return CheckoutDetails(**values)


def cart_of(buyer: User, *items: tuple[Product, int]) -> Cart:
    """``buyer``'s cart holding ``items`` (product, quantity), filled through ``cart_add``."""
    for product, quantity in items:
        cart_add(user=buyer, session_key=None, product_id=product.pk, quantity=quantity)
    return Cart.objects.get(buyer=buyer)


def place(buyer: User, *items: tuple[Product, int], commune: Commune, **changes: Any) -> list[Order]:
    """Put ``items`` in ``buyer``'s cart and check out; the orders, one per seller."""
    cart = cart_of(buyer, *items)
    return order_place(cart=cart, buyer=buyer, details=details_for(commune, **changes))


def seller_with_product(commune: Commune | None = None, **product_fields: Any) -> tuple[Any, Product]:
    seller = SellerFactory(**({"commune": commune} if commune else {}))
    return seller, ProductFactory(seller=seller, **product_fields)


def advance(order: Order, *states: str) -> Order:
    """Move ``order`` through ``states``, each by the party who makes that move normally."""
    for to in states:
        if to == S.PAID:
            from ketnoi.payments.services import payment_confirm

            payment_confirm(payment=order.payment, actor=None, via="statement")
            order.refresh_from_db()
            continue
        actor = None if to in (S.SHIPPED, S.DELIVERED) else order.seller.leader
        if to == S.COMPLETED:
            actor = order.buyer
        order = order_transition(order=order, to=to, actor=actor)
    return order


def stock_of(product: Product) -> int:
    return Product.objects.values_list("stock", flat=True).get(pk=product.pk)
