"""The marketplace's tables, one module per concept."""

from .catalogue import Category, Product, ProductPhoto
from .orders import (
    Cart,
    CartLine,
    Conversation,
    Invoice,
    Message,
    Order,
    OrderEvent,
    OrderLine,
    OrderState,
    PaymentMethod,
    Review,
)
from .sellers import Seller

__all__ = [
    "Cart",
    "CartLine",
    "Category",
    "Conversation",
    "Invoice",
    "Message",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderState",
    "PaymentMethod",
    "Product",
    "ProductPhoto",
    "Review",
    "Seller",
]
