"""Payments for orders (VietQR transfers, cash on delivery) and bank statements."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.core.money import MoneyField
from ketnoi.market.models import Order, Seller


class Payment(BaseModel):
    """What a buyer owes for one order and whether it has arrived."""

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ tiền về")
        CONFIRMED = "confirmed", _("Đã nhận tiền")
        REFUNDED = "refunded", _("Đã hoàn tiền")

    class ConfirmedBy(models.TextChoices):
        SELLER = "seller", _("Người bán xác nhận")
        STATEMENT = "statement", _("Khớp sao kê ngân hàng")
        CARRIER = "carrier", _("Đơn vị giao hàng thu hộ")

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="payment")
    method = models.CharField(max_length=10)  # market.PaymentMethod
    amount_vnd = MoneyField()
    reference = models.CharField(max_length=25, unique=True)  # VietQR 62/08: ASCII, ≤ 25 characters
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    confirmed_via = models.CharField(max_length=10, choices=ConfirmedBy.choices, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    ledger_transfer_id = models.BigIntegerField(null=True, blank=True)


class StatementImport(BaseModel):
    """A seller's bank statement (CSV/XLSX) matched to payments on reference and amount."""

    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    lines_total = models.PositiveIntegerField(default=0)
    lines_matched = models.PositiveIntegerField(default=0)
    unmatched = models.JSONField(default=list, blank=True)  # [{"line", "reference", "amount_vnd", "reason"}]
