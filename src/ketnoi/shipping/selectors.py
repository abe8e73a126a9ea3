"""Reads of shipments, each already narrowed to what the user may see.

A shipment belongs to the seller of its order (her leader and members) and
is followed by the order's buyer. Anyone else gets ``NotFound``, the same
answer as for a shipment that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import NotFound
from ketnoi.market.models import Order, OrderLine
from ketnoi.market.selectors import sellers_of_user

from .models import Shipment, TrackingEvent


def user_seller_ids(user: Any) -> list[int]:
    """The sellers ``user`` acts for, as leader or member; none for a visitor."""
    return list(sellers_of_user(user).values_list("pk", flat=True))


def _shipments() -> QuerySet[Shipment]:
    return Shipment.objects.select_related(
        "carrier",
        "order__seller__leader",
        "order__seller__commune__province",
        "order__delivery_commune__province",
    )


def shipment_for_seller(*, user: Any, shipment_id: int) -> Shipment:
    """One shipment of a seller ``user`` acts for, with its order, places and carrier."""
    shipment = _shipments().filter(pk=shipment_id, order__seller_id__in=user_seller_ids(user)).first()
    if shipment is None:
        raise NotFound(_("Không tìm thấy vận đơn này."), code="shipment_not_found")
    return shipment


def order_for_seller(*, user: Any, reference: str) -> Order:
    """An order of a seller ``user`` acts for, with its shipment if any."""
    order = (
        Order.objects.select_related("seller", "delivery_commune__province")
        .filter(reference=reference, seller_id__in=user_seller_ids(user))
        .first()
    )
    if order is None:
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_not_found")
    return order


def order_for_tracking(*, user: Any, reference: str) -> Order:
    """An order ``user`` bought, or sells: the one whose parcel she follows."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_not_found")
    order = (
        Order.objects.select_related("seller", "shipment__carrier")
        .filter(Q(buyer=user) | Q(seller_id__in=user_seller_ids(user)), reference=reference)
        .first()
    )
    if order is None:
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_not_found")
    return order


def order_shipment(order: Order) -> Shipment | None:
    """The order's shipment, or ``None`` before the seller sends it."""
    try:
        return order.shipment
    except Shipment.DoesNotExist:
        return None


def shipment_events(shipment: Shipment) -> list[TrackingEvent]:
    """The parcel's path, oldest first, however the carrier's events arrived."""
    return list(shipment.events.order_by("at", "id"))


@dataclass(frozen=True)
class LabelContent:
    weight_g: int
    lines: list[OrderLine]


def label_content(shipment: Shipment) -> LabelContent:
    """What the label needs beyond the shipment: the lines and the parcel's weight."""
    lines = list(shipment.order.lines.select_related("product").order_by("id"))
    return LabelContent(weight_g=sum(line.quantity * line.product.weight_g for line in lines), lines=lines)
