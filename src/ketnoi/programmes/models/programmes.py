"""Programmes, their cycles and the frozen list of households enrolled in each cycle.

A programme says who qualifies (``rules``: structured conditions, see
``programmes.rules``; never code) and what each household is entitled to.
A cycle takes a snapshot of the households that qualify at that moment
(``Enrolment``): later changes to the registry do not change who is paid in
that cycle. The officer who prepares a cycle cannot approve it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.core.money import MoneyField
from ketnoi.places.models import Commune, Province
from ketnoi.registry.models import Household


class EntitlementKind(models.TextChoices):
    PER_HOUSEHOLD = "per_household", _("Một khoản cho mỗi hộ")
    PER_MEMBER = "per_member", _("Một khoản cho mỗi nhân khẩu")
    VOUCHER = "voucher", _("Phiếu mua hàng điện tử cho mỗi hộ")


class Programme(BaseModel):
    class State(models.TextChoices):
        DRAFT = "draft", _("Đang soạn")
        ACTIVE = "active", _("Đang thực hiện")
        CLOSED = "closed", _("Đã kết thúc")

    code = models.SlugField(_("mã chương trình"), max_length=40, unique=True)
    name = models.CharField(_("tên chương trình"), max_length=200)
    description = models.TextField(_("mô tả"), max_length=4000, blank=True)
    sponsor = models.CharField(_("nhà tài trợ, đơn vị thực hiện"), max_length=200, blank=True)
    # The programme's area: a province (and optionally some of its communes), or the whole country.
    province = models.ForeignKey(
        Province,
        verbose_name=_("tỉnh/thành phố"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    communes = models.ManyToManyField(Commune, verbose_name=_("xã/phường"), blank=True, related_name="+")
    starts_on = models.DateField(_("bắt đầu"))
    ends_on = models.DateField(_("kết thúc"))
    budget_vnd = MoneyField(_("ngân sách (đồng)"))
    rules = models.JSONField(_("điều kiện hưởng"), default=dict, blank=True)
    entitlement = models.CharField(_("mức hưởng"), max_length=16, choices=EntitlementKind.choices)
    amount_vnd = MoneyField(_("số tiền (đồng)"))
    voucher_valid_days = models.PositiveSmallIntegerField(_("phiếu dùng được trong (ngày)"), default=60)
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("chương trình")
        verbose_name_plural = _("các chương trình")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="programme_period"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def fund_account_code(self) -> str:
        """The ledger account holding the programme's money."""
        return f"programme-{self.code}-fund"


class Cycle(BaseModel):
    """One round of payments: enrol (snapshot) → submit → approve (another officer) → pay → close."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Đang chuẩn bị")
        ENROLLED = "enrolled", _("Đã lập danh sách")
        SUBMITTED = "submitted", _("Chờ duyệt")
        APPROVED = "approved", _("Đã duyệt")
        CLOSED = "closed", _("Đã đóng")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="cycles")
    number = models.PositiveSmallIntegerField(_("đợt số"))
    name = models.CharField(_("tên đợt"), max_length=200)
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices, default=State.DRAFT)
    rules_snapshot = models.JSONField(default=dict, blank=True)  # the rules as they were at enrolment
    enrolled_at = models.DateTimeField(_("lập danh sách lúc"), null=True, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("trình duyệt lúc"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("duyệt lúc"), null=True, blank=True)
    returned_note = models.CharField(_("lý do trả lại"), max_length=500, blank=True)
    planned_total_vnd = MoneyField(_("tổng dự kiến (đồng)"), default=0)
    enrolled_count = models.PositiveIntegerField(_("số hộ"), default=0)

    class Meta:
        verbose_name = _("đợt chi trả")
        verbose_name_plural = _("các đợt chi trả")
        constraints = [models.UniqueConstraint(fields=["programme", "number"], name="cycle_number_unique")]

    def __str__(self) -> str:
        return f"{self.programme.code} #{self.number}"


class Enrolment(models.Model):
    """A household on a cycle's frozen list, with what it is entitled to and why it qualified."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="enrolments")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="enrolments")
    # Frozen at enrolment:
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    head_name = models.CharField(_("chủ hộ"), max_length=120)
    phone = models.CharField(_("số điện thoại"), max_length=16, blank=True)  # E.164
    members_count = models.PositiveSmallIntegerField(_("số nhân khẩu"))
    classification = models.CharField(_("phân loại"), max_length=12, blank=True)
    reasons = models.JSONField(default=list, blank=True)  # the conditions it met, as shown to officers
    amount_vnd = MoneyField(_("số tiền được hưởng (đồng)"))
    payout_bank_bin = models.CharField(max_length=6, blank=True)
    payout_account = models.CharField(max_length=19, blank=True)
    payout_account_name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hộ trong danh sách")
        verbose_name_plural = _("danh sách hưởng")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "household"], name="enrolment_once_per_cycle")
        ]
        indexes = [models.Index(fields=["cycle", "commune"])]

    def __str__(self) -> str:
        return f"{self.cycle_id}/{self.household_id}"
