"""``{% order_payment order as pay %}``: what the payment block of an order page shows."""

from __future__ import annotations

from typing import Any

from django import template

from ketnoi.market.models import Order

from ..selectors import PaymentPanel, order_payment_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def order_payment(context: dict[str, Any], order: Order) -> PaymentPanel:
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    return order_payment_panel(order=order, user=user)
