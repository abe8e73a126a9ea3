"""Complaints about programmes and payments, their deadlines, resolution and appeal.

Anyone can file: a beneficiary from the self-service page or by phone with a
one-time code, someone anonymous (who gets a tracking code), or an officer
on someone's behalf. A grievance is assigned by area (the commune officer,
else the province's programme officer) and carries a deadline; it is at risk
near the deadline and breached after it. The complainant can follow its
status (``GrievanceEvent`` is the history she sees).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.places.models import Commune
from ketnoi.registry.models import Household

from .programmes import Programme


class Grievance(BaseModel):
    class Category(models.TextChoices):
        NOT_PAID = "not_paid", _("Chưa nhận được tiền")
        WRONG_AMOUNT = "wrong_amount", _("Nhận sai số tiền")
        WRONGLY_EXCLUDED = "excluded", _("Bị bỏ sót, không có tên trong danh sách")
        DATA_ERROR = "data_error", _("Thông tin về hộ bị sai")
        ABUSE = "abuse", _("Bị lạm dụng, đòi tiền, đe doạ")
        OTHER = "other", _("Việc khác")

    class Source(models.TextChoices):
        SELF_SERVICE = "self_service", _("Người dân tự gửi")
        PHONE = "phone", _("Gửi bằng số điện thoại đã xác nhận")
        ANONYMOUS = "anonymous", _("Gửi không ghi tên")
        OFFICER = "officer", _("Cán bộ ghi nhận")

    class State(models.TextChoices):
        OPEN = "open", _("Mới nhận")
        IN_PROGRESS = "in_progress", _("Đang giải quyết")
        RESOLVED = "resolved", _("Đã giải quyết")
        APPEALED = "appealed", _("Đang khiếu nại lại")
        CLOSED = "closed", _("Đã đóng")

    reference = models.CharField(_("mã phản ánh"), max_length=20, unique=True)
    tracking_code_hash = models.CharField(max_length=64, blank=True)  # anonymous complainants follow with it
    category = models.CharField(_("loại phản ánh"), max_length=14, choices=Category.choices)
    source = models.CharField(_("gửi qua"), max_length=14, choices=Source.choices)
    state = models.CharField(_("trạng thái"), max_length=12, choices=State.choices, default=State.OPEN)
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="grievances"
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="grievances"
    )
    commune = models.ForeignKey(
        Commune, verbose_name=_("xã/phường"), on_delete=models.PROTECT, related_name="+"
    )
    complainant_name = models.CharField(_("người phản ánh"), max_length=120, blank=True)
    complainant_phone = models.CharField(_("số điện thoại"), max_length=16, blank=True)  # E.164
    description = models.TextField(_("nội dung"), max_length=4000)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("hạn giải quyết"))
    resolution = models.TextField(_("kết quả giải quyết"), max_length=4000, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    appeal_text = models.TextField(_("nội dung khiếu nại lại"), max_length=4000, blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("phản ánh")
        verbose_name_plural = _("các phản ánh")
        indexes = [models.Index(fields=["commune", "state"]), models.Index(fields=["state", "due_at"])]

    def __str__(self) -> str:
        return self.reference


class GrievanceEvent(models.Model):
    """One step in a grievance's history, as the complainant and officers see it."""

    grievance = models.ForeignKey(Grievance, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=12, choices=Grievance.State.choices)
    note = models.TextField(max_length=4000, blank=True)
    public = models.BooleanField(default=True)  # shown to the complainant

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.grievance_id} {self.state}"
