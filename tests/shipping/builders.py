"""Builders for the shipping tests: orders ready to send, shipments, signed carrier events.

Sellers and products come from ``tests.market.factories`` (the catalogue's),
orders from ``tests.market.order_helpers`` (placed through the services).
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from typing import Any

from ketnoi.accounts.models import User
from ketnoi.market.models import Order, OrderState, PaymentMethod, Seller
from ketnoi.places.models import Commune
from ketnoi.shipping.carriers import signature_for
from ketnoi.shipping.models import Shipment
from ketnoi.shipping.services import shipment_create
from tests.market.factories import ProductFactory, SellerFactory
from tests.market.order_helpers import advance, buyer_make, place

SECRET = "test-vnpost-secret"
_events = itertools.count(1)


def order_ready(
    commune: Commune,
    *,
    cod: bool = True,
    seller: Seller | None = None,
    buyer: User | None = None,
    price: int = 120_000,
    quantity: int = 2,
    weight_g: int = 500,
) -> Order:
    """An order the seller can send: COD confirmed, or paid by VietQR."""
    seller = seller or SellerFactory()
    product = ProductFactory(seller=seller, price_vnd=price, weight_g=weight_g, stock=50)
    buyer = buyer or buyer_make(display_name="Nguyễn Thị Lan")
    method = PaymentMethod.COD if cod else PaymentMethod.VIETQR
    (order,) = place(buyer, (product, quantity), commune=commune, payment_method=method)
    return advance(order, OrderState.COD_CONFIRMED if cod else OrderState.PAID)


def shipment_for(order: Order, **kwargs: Any) -> Shipment:
    """The shipment of ``order``, created by its seller's leader."""
    return shipment_create(order=order, actor=order.seller.leader, **kwargs)


def event_body(
    shipment: Shipment, status: str, *, at: str = "2026-03-02T08:30:00+07:00", **changes: Any
) -> bytes:
    """A carrier event about ``shipment`` as the carrier would send it (a fresh event id)."""
    event = {
        "event_id": f"ev-{next(_events)}",
        "tracking_code": shipment.tracking_code,
        "status": status,
        "location": "Bưu cục Mai Sơn, Sơn La",
        "at": at,
        **changes,
    }
    return json.dumps(event, ensure_ascii=False).encode()


def signed(body: bytes, secret: str = SECRET) -> str:
    return signature_for(secret, body)


def parse_at(text: str) -> datetime:
    return datetime.fromisoformat(text)
