"""Double-entry money: accounts, and transfers made of postings that sum to zero.

This app is the only writer of these tables (``ledger.services``). A
transfer is immutable; a mistake is undone by a reversing transfer. Every
transfer carries an idempotency key, so a retried request never moves money
twice. Amounts are whole đồng, positive into an account, negative out of it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Account(models.Model):
    """Where money sits: a programme's fund, a seller's receivable, a carrier's COD clearing…

    ``balance_vnd`` is a cache of the sum of its postings, updated in the
    same transaction as each posting and checked against them.
    """

    class Kind(models.TextChoices):
        PROGRAMME_FUND = "programme_fund", _("Quỹ chương trình")
        BENEFICIARY_WALLET = "beneficiary_wallet", _("Ví người thụ hưởng")
        SELLER_RECEIVABLE = "seller_receivable", _("Khoản phải trả người bán")
        BUYER_CLEARING = "buyer_clearing", _("Tiền người mua đang chuyển")
        CARRIER_COD = "carrier_cod", _("Tiền thu hộ của đơn vị giao hàng")
        PROVIDER_CLEARING = "provider_clearing", _("Tiền qua ngân hàng/đối tác")
        FEES = "fees", _("Phí")
        EXTERNAL = "external", _("Bên ngoài hệ thống")

    code = models.SlugField(_("mã"), max_length=80, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    kind = models.CharField(_("loại"), max_length=24, choices=Kind.choices)
    may_go_negative = models.BooleanField(_("được âm"), default=False)
    balance_vnd = models.BigIntegerField(_("số dư (đồng)"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tài khoản sổ cái")
        verbose_name_plural = _("các tài khoản sổ cái")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(may_go_negative=True) | models.Q(balance_vnd__gte=0),
                name="ledger_account_not_negative_unless_allowed",
            )
        ]

    def __str__(self) -> str:
        return self.code


class Transfer(models.Model):
    idempotency_key = models.CharField(max_length=200, unique=True)
    content_hash = models.CharField(max_length=64)  # SHA-256 of the canonical postings + memo
    memo = models.CharField(_("nội dung"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )

    class Meta:
        verbose_name = _("giao dịch")
        verbose_name_plural = _("các giao dịch")

    def __str__(self) -> str:
        return f"#{self.pk} {self.memo}"


class Posting(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount_vnd = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=~models.Q(amount_vnd=0), name="posting_not_zero")]
        indexes = [models.Index(fields=["account", "transfer"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_vnd:+d}"
