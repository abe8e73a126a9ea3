"""Reads for carts, orders and the seller's figures, already limited to what the reader may see.

Someone else's order is ``NotFound`` (a 404), never a 403 that would say it
exists. Each read here costs a fixed number of queries, whatever the
number of lines, orders or months.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role
from ketnoi.accounts.selectors import user_has_role
from ketnoi.core.errors import NotFound

from .models import Cart, CartLine, Order, OrderEvent, OrderLine, OrderState, Product, Seller
from .selectors import seller_can_edit, sellers_of_user

BUYER, SELLER, ADMIN, SYSTEM = "buyer", "seller", "admin", "system"

# What the seller does next, by state: the three queues of her orders page.
TO_CONFIRM = (OrderState.PLACED, OrderState.AWAITING_PAYMENT)
TO_PACK = (OrderState.PAID, OrderState.COD_CONFIRMED)
TO_SHIP = (OrderState.PACKED,)
OPEN_STATES = (*TO_CONFIRM, *TO_PACK, *TO_SHIP, OrderState.SHIPPED)
# Orders whose money counts as the seller's revenue.
REVENUE_STATES = (OrderState.DELIVERED, OrderState.COMPLETED)


# --- The cart ---------------------------------------------------------------------------


def cart_get(*, user: Any, session_key: str | None) -> Cart | None:
    """Her cart when signed in, else the session's; ``None`` before the first add."""
    if getattr(user, "is_authenticated", False):
        return Cart.objects.filter(buyer=user).first()
    if not session_key:
        return None
    return Cart.objects.filter(buyer=None, session_key=session_key).first()


@dataclass
class CartItem:
    line: CartLine
    product: Product
    line_total_vnd: int
    problem: str = ""  # why it cannot be ordered as it is; empty when it can


@dataclass
class CartGroup:
    seller: Seller
    items: list[CartItem] = field(default_factory=list)

    @property
    def subtotal_vnd(self) -> int:
        return sum(item.line_total_vnd for item in self.items if not item.problem)

    @property
    def weight_g(self) -> int:
        return sum(item.product.weight_g * item.line.quantity for item in self.items if not item.problem)


@dataclass
class CartSummary:
    groups: list[CartGroup]

    @property
    def total_vnd(self) -> int:
        return sum(group.subtotal_vnd for group in self.groups)

    @property
    def count(self) -> int:
        return sum(len(group.items) for group in self.groups)

    @property
    def problems(self) -> list[CartItem]:
        return [item for group in self.groups for item in group.items if item.problem]

    @property
    def is_empty(self) -> bool:
        return not self.groups


def cart_line_problem(product: Product, quantity: int) -> str:
    """Why ``quantity`` of ``product`` cannot be ordered now, in words; ``""`` if it can."""
    if not product.is_active or not product.seller.is_active:
        return str(_("Sản phẩm này đã ngừng bán. Hãy bỏ khỏi giỏ."))
    if product.stock == 0:
        return str(_("Đã hết hàng. Hãy bỏ khỏi giỏ."))
    if quantity > product.stock:
        return str(
            _("Chỉ còn %(stock)s %(unit)s. Hãy giảm số lượng.")
            % {"stock": product.stock, "unit": product.unit}
        )
    return ""


def cart_summary(cart: Cart | None) -> CartSummary:
    """The cart's lines grouped by seller, priced from the products now (one query)."""
    if cart is None:
        return CartSummary(groups=[])
    lines = (
        CartLine.objects.filter(cart=cart)
        .select_related("product__seller__commune__province")
        .order_by("product__seller__name", "product__seller_id", "pk")
    )
    groups: dict[int, CartGroup] = {}
    for line in lines:
        product = line.product
        group = groups.setdefault(product.seller_id, CartGroup(seller=product.seller))
        group.items.append(
            CartItem(
                line=line,
                product=product,
                line_total_vnd=product.price_vnd * line.quantity,
                problem=cart_line_problem(product, line.quantity),
            )
        )
    return CartSummary(groups=list(groups.values()))


# --- Who she is to an order ------------------------------------------------------------


def sellers_of(user: Any) -> list[Seller]:
    """The sellers ``user`` leads or belongs to, by name (one query)."""
    return list(sellers_of_user(user))


def order_parties(order: Order, user: Any) -> frozenset[str]:
    """What ``user`` is to ``order``: buyer, seller (leader or member), admin; ``None`` is the system."""
    if user is None:
        return frozenset({SYSTEM})
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    parties = set()
    if order.buyer_id is not None and order.buyer_id == user.pk:
        parties.add(BUYER)
    if seller_can_edit(user, order.seller):
        parties.add(SELLER)
    if user.is_superuser or user_has_role(user, Role.ADMINISTRATOR):
        parties.add(ADMIN)
    return frozenset(parties)


# --- Orders -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderAccess:
    order: Order
    parties: frozenset[str]


def _order_details() -> QuerySet[Order]:
    return Order.objects.select_related(
        "seller__commune__province", "delivery_commune__province"
    ).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
        Prefetch("events", queryset=OrderEvent.objects.select_related("by").order_by("at", "pk")),
    )


def order_for_user(*, user: Any, reference: str) -> OrderAccess:
    """The order ``reference`` with its lines and history, if ``user`` is its buyer, seller or an admin.

    Anyone else (a visitor, another buyer, another shop) gets ``NotFound``.
    """
    order = _order_details().filter(reference=str(reference)[:20]).first() if reference else None
    parties = order_parties(order, user) if order is not None else frozenset()
    if order is None or not parties:
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_unknown")
    return OrderAccess(order=order, parties=parties)


def orders_of_buyer(user: Any) -> QuerySet[Order]:
    """Her orders, newest first, with the seller and a line count."""
    if not getattr(user, "is_authenticated", False):
        return Order.objects.none()
    return (
        Order.objects.filter(buyer=user)
        .select_related("seller")
        .annotate(line_count=Count("lines"))
        .order_by("-created_at", "-pk")
    )


def checkout_orders(*, user: Any, checkout_id: uuid.UUID) -> list[Order]:
    """The orders ``user`` placed in one checkout (an empty list when they are not hers)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Order.objects.filter(buyer=user, checkout_id=checkout_id)
        .select_related("seller")
        .annotate(line_count=Count("lines"))
        .order_by("seller__name", "pk")
    )


def seller_orders(*, seller: Seller, states: Iterable[str] | None = None) -> QuerySet[Order]:
    """The seller's orders (optionally in ``states``), oldest first, with the lines prefetched."""
    orders = Order.objects.filter(seller=seller)
    if states is not None:
        orders = orders.filter(state__in=list(states))
    return orders.select_related("delivery_commune__province").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))
    )


@dataclass(frozen=True)
class SellerTodo:
    to_confirm: int
    to_pack: int
    to_ship: int
    on_the_way: int


def seller_todo(seller: Seller) -> SellerTodo:
    """How many of her orders wait for her, by what she must do (one query)."""
    counts = Order.objects.filter(seller=seller).aggregate(
        to_confirm=Count("pk", filter=Q(state__in=TO_CONFIRM)),
        to_pack=Count("pk", filter=Q(state__in=TO_PACK)),
        to_ship=Count("pk", filter=Q(state__in=TO_SHIP)),
        on_the_way=Count("pk", filter=Q(state=OrderState.SHIPPED)),
    )
    return SellerTodo(**counts)


# --- Revenue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRevenue:
    month: date  # the first day of the month
    total_vnd: int
    orders: int


def _months_back(first: date, count: int) -> list[date]:
    months = []
    year, month = first.year, first.month
    for _i in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


def seller_revenue_by_month(
    *, seller: Seller, months: int = 12, now: datetime | None = None
) -> list[MonthRevenue]:
    """Her revenue in each of the last ``months`` calendar months, oldest first, empty months as 0.

    Revenue is the total (goods and delivery) of orders now delivered or
    completed, counted in the month they were delivered (local time). The
    4M outcome reports read this. One query.
    """
    local_now = timezone.localtime(now or timezone.now())
    month_list = _months_back(local_now.date().replace(day=1), months)
    start = timezone.make_aware(datetime.combine(month_list[0], datetime.min.time()))
    rows = (
        OrderEvent.objects.filter(
            order__seller=seller,
            order__state__in=REVENUE_STATES,
            to_state=OrderState.DELIVERED,
            at__gte=start,
        )
        .annotate(month=TruncMonth("at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(total=Sum("order__total_vnd"), orders=Count("order", distinct=True))
        .order_by("month")
    )
    found: dict[date, tuple[int, int]] = {}
    for row in rows:
        month = row["month"]
        key = (timezone.localtime(month) if isinstance(month, datetime) else month).replace(day=1)
        key = key.date() if isinstance(key, datetime) else key
        found[key] = (int(row["total"] or 0), int(row["orders"]))
    return [
        MonthRevenue(month=m, total_vnd=found.get(m, (0, 0))[0], orders=found.get(m, (0, 0))[1])
        for m in month_list
    ]
