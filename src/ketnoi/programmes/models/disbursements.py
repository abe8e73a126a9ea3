"""Disbursement batches and the payments in them.

A batch pays some of a cycle's enrolled households through one channel.
Batch: draft → approved (by someone other than its preparer) → sending (a
background task posts each payment to the ledger, in chunks) → sent →
reconciled, or partly_failed when some payments failed. Each payment
(``Disbursement``) has its own state and a unique ``disbursement_id`` that
travels to the bank, the post office or the voucher, and comes back on the
result file. At most one live payment per enrolment (the partial unique
constraint): a household is never paid twice in a cycle; a failed payment
can be retried in a later batch.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.core.money import MoneyField
from ketnoi.places.models import Commune
from ketnoi.registry.models import Household

from .programmes import Cycle, Enrolment


class Channel(models.TextChoices):
    BANK = "bank", _("Chuyển khoản ngân hàng")
    POST_OFFICE = "post_office", _("Nhận tiền mặt tại bưu điện")
    VOUCHER = "voucher", _("Phiếu mua hàng điện tử")


class Batch(BaseModel):
    class State(models.TextChoices):
        DRAFT = "draft", _("Đang soạn")
        APPROVED = "approved", _("Đã duyệt")
        SENDING = "sending", _("Đang chi")
        SENT = "sent", _("Đã chi, chờ đối soát")
        RECONCILED = "reconciled", _("Đã đối soát")
        PARTLY_FAILED = "partly_failed", _("Có khoản không chi được")

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="batches")
    number = models.PositiveSmallIntegerField(_("lô số"))
    channel = models.CharField(_("kênh chi trả"), max_length=12, choices=Channel.choices)
    state = models.CharField(_("trạng thái"), max_length=14, choices=State.choices, default=State.DRAFT)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("duyệt lúc"), null=True, blank=True)
    payments_count = models.PositiveIntegerField(_("số khoản"), default=0)
    total_vnd = MoneyField(_("tổng tiền (đồng)"), default=0)
    # The sending task's lease: it renews ``lease_until`` after each chunk; a
    # batch still "sending" past its lease lost its worker and is resumed.
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("chi xong lúc"), null=True, blank=True)
    reconciled_at = models.DateTimeField(_("đối soát xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lô chi trả")
        verbose_name_plural = _("các lô chi trả")
        constraints = [models.UniqueConstraint(fields=["cycle", "number"], name="batch_number_unique")]

    def __str__(self) -> str:
        return f"{self.cycle} / {self.number}"


class DisbursementState(models.TextChoices):
    PENDING = "pending", _("Chờ chi")
    SENT = "sent", _("Đã chuyển đi")
    PAID = "paid", _("Đã nhận")
    FAILED = "failed", _("Không chi được")
    CANCELLED = "cancelled", _("Đã huỷ")


# The states in which a payment is still live: at most one per enrolment.
LIVE_STATES = (DisbursementState.PENDING, DisbursementState.SENT, DisbursementState.PAID)


class Disbursement(models.Model):
    disbursement_id = models.CharField(_("mã chi trả"), max_length=25, unique=True)  # ASCII, bank memo safe
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="disbursements")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="disbursements")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=12, choices=Channel.choices)
    amount_vnd = MoneyField(_("số tiền (đồng)"))
    state = models.CharField(
        _("trạng thái"), max_length=10, choices=DisbursementState.choices, default=DisbursementState.PENDING
    )
    # Ledger transfers: programme fund → channel clearing when sent; clearing → out when paid.
    send_transfer_id = models.BigIntegerField(null=True, blank=True)
    settle_transfer_id = models.BigIntegerField(null=True, blank=True)
    failure_reason = models.CharField(_("lý do không chi được"), max_length=300, blank=True)
    bank_reference = models.CharField(_("mã giao dịch ngân hàng"), max_length=40, blank=True)
    # Cash at the post office: a keyed hash of the beneficiary's one-time code and its tries.
    collect_code_hash = models.CharField(max_length=64, blank=True)
    collect_attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("khoản chi")
        verbose_name_plural = _("các khoản chi")
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=models.Q(state__in=["pending", "sent", "paid"]),
                name="one_live_disbursement_per_enrolment",
            ),
            models.CheckConstraint(condition=models.Q(amount_vnd__gt=0), name="disbursement_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["batch", "state"]),
            models.Index(fields=["household", "state"]),
            models.Index(fields=["commune", "state"]),
        ]

    def __str__(self) -> str:
        return self.disbursement_id
