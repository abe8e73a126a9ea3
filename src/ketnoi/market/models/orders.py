"""Carts, orders (one per seller per checkout), messages, reviews and invoices."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.core.money import MoneyField
from ketnoi.core.phone import PhoneNumberField
from ketnoi.places.models import Commune

from .catalogue import Product
from .sellers import Seller


class Cart(BaseModel):
    """A buyer's cart: hers when signed in, else the browser session's."""

    buyer = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="cart"
    )
    session_key = models.CharField(max_length=64, blank=True, db_index=True)


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(999)])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cart", "product"], name="cart_line_unique")]

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"


class OrderState(models.TextChoices):
    PLACED = "placed", _("Đã đặt")
    AWAITING_PAYMENT = "awaiting_payment", _("Chờ thanh toán")
    PAID = "paid", _("Đã thanh toán")
    COD_CONFIRMED = "cod_confirmed", _("Đã xác nhận (trả khi nhận)")
    PACKED = "packed", _("Đã đóng gói")
    SHIPPED = "shipped", _("Đang giao")
    DELIVERED = "delivered", _("Đã giao")
    COMPLETED = "completed", _("Hoàn tất")
    CANCELLED = "cancelled", _("Đã huỷ")
    REFUNDED = "refunded", _("Đã hoàn tiền")


class PaymentMethod(models.TextChoices):
    VIETQR = "vietqr", _("Chuyển khoản VietQR")
    COD = "cod", _("Trả tiền khi nhận hàng")


class Order(BaseModel):
    reference = models.CharField(_("mã đơn"), max_length=20, unique=True)  # also the 62/08 payment purpose
    checkout_id = models.UUIDField(default=uuid.uuid4, db_index=True)  # the orders of one checkout
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    buyer_name = models.CharField(_("tên người nhận"), max_length=120)
    buyer_phone = PhoneNumberField(_("số điện thoại người nhận"))
    delivery_commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    delivery_line = models.CharField(_("số nhà, đường, thôn"), max_length=200)
    state = models.CharField(
        _("trạng thái"), max_length=20, choices=OrderState.choices, default=OrderState.PLACED
    )
    payment_method = models.CharField(_("cách trả tiền"), max_length=10, choices=PaymentMethod.choices)
    subtotal_vnd = MoneyField(_("tiền hàng"))
    shipping_vnd = MoneyField(_("phí giao hàng"), default=0)
    total_vnd = MoneyField(_("tổng cộng"))
    reserved_until = models.DateTimeField(_("giữ hàng đến"), null=True, blank=True)
    note = models.CharField(_("ghi chú cho người bán"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("đơn hàng")
        verbose_name_plural = _("các đơn hàng")
        indexes = [models.Index(fields=["seller", "state"]), models.Index(fields=["state", "reserved_until"])]

    def __str__(self) -> str:
        return self.reference


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField(max_length=150)  # as it was when ordered
    unit = models.CharField(max_length=30)
    unit_price_vnd = MoneyField()
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    line_total_vnd = MoneyField()

    def __str__(self) -> str:
        return f"{self.product_name} × {self.quantity}"


class OrderEvent(models.Model):
    """One move of an order from a state to another: who, when, why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class Conversation(BaseModel):
    """Buyer and seller talking about a product or an order."""

    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="conversations")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("nội dung"), max_length=2000)  # sanitised (nh3) before saving
    sent_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.sender_id} {self.sent_at:%Y-%m-%d %H:%M}"


class Review(BaseModel):
    """Stars after delivery, one per order line."""

    line = models.OneToOneField(OrderLine, on_delete=models.CASCADE, related_name="review")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stars = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    text = models.TextField(_("nhận xét"), max_length=2000, blank=True)


class Invoice(BaseModel):
    """The e-invoice data of an order (Decree 123/2020): numbered per seller per year.

    Signing and sending to the tax authority go through a licensed provider;
    the platform prepares the data and a printable copy.
    """

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice")
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="invoices")
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()  # ≤ 8 digits, restarts each year
    template_symbol = models.CharField(max_length=11, default="1")
    invoice_symbol = models.CharField(max_length=8)
    issued_on = models.DateField()
    data = models.JSONField()  # seller, buyer, lines, VAT, totals as issued

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["seller", "year", "number"], name="invoice_number_unique")
        ]
