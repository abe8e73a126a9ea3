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


class Voucher(BaseModel):
    """An e-voucher: a code (with a QR) worth ``value_vnd``, redeemable once at a verified seller.

    Issued for one programme disbursement (``disbursement_id``). Only a keyed
    hash of the code is used to find it; the code itself is kept encrypted so
    the beneficiary can see it again on her page. Expired or cancelled
    vouchers give their value back to the programme's fund.
    """

    class State(models.TextChoices):
        ISSUED = "issued", _("Chưa dùng")
        REDEEMED = "redeemed", _("Đã dùng")
        EXPIRED = "expired", _("Hết hạn")
        CANCELLED = "cancelled", _("Đã huỷ")

    disbursement_id = models.CharField(max_length=25, unique=True)
    code_hash = models.CharField(max_length=64, unique=True)
    code_encrypted = models.TextField()
    value_vnd = MoneyField(_("giá trị (đồng)"))
    fund_account_code = models.CharField(max_length=80)  # where the value goes back when it expires
    beneficiary_phone = models.CharField(max_length=16, blank=True)  # E.164
    valid_until = models.DateTimeField(_("dùng được đến"))
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices, default=State.ISSUED)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    redeemed_at_seller = models.ForeignKey(
        Seller, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issue_transfer_id = models.BigIntegerField(null=True, blank=True)
    redeem_transfer_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("phiếu mua hàng")
        verbose_name_plural = _("các phiếu mua hàng")
        indexes = [models.Index(fields=["state", "valid_until"])]

    def __str__(self) -> str:
        return self.disbursement_id


class VoucherAttempt(models.Model):
    """A wrong voucher code typed at a seller: counted to stop guessing."""

    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.seller_id} {self.at:%Y-%m-%d %H:%M}"
