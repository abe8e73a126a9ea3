"""The annual review of poor and near-poor households in a commune.

Decision 24/2021/QĐ-TTg: the commune lists households to review (last
year's list plus those who asked), reviewers score them, a village meeting
agrees, the result is posted for objections, and the commune recognises it.
Each step is a state with its date and who moved the round there.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.places.models import Commune

from .households import Assessment, Household


class RoundState(models.TextChoices):
    OPEN = "open", _("Đã mở")
    LISTED = "listed", _("Đã lập danh sách")
    SCORED = "scored", _("Đã chấm điểm")
    AGREED = "agreed", _("Họp thôn đã thống nhất")
    PUBLISHED = "published", _("Đã niêm yết công khai")
    RECOGNISED = "recognised", _("Xã đã công nhận")


class ReviewRound(BaseModel):
    commune = models.ForeignKey(
        Commune, verbose_name=_("xã/phường"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    standard = models.CharField(_("chuẩn nghèo"), max_length=20)
    state = models.CharField(_("bước"), max_length=12, choices=RoundState.choices, default=RoundState.OPEN)
    objections_until = models.DateField(_("nhận ý kiến đến hết ngày"), null=True, blank=True)

    class Meta:
        verbose_name = _("đợt rà soát")
        verbose_name_plural = _("các đợt rà soát")
        constraints = [models.UniqueConstraint(fields=["commune", "year"], name="one_review_round_per_year")]

    def __str__(self) -> str:
        return f"{self.commune.name} {self.year}"


class RoundStep(models.Model):
    """One move of a round to a state: when and by whom (the round's history)."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="steps")
    state = models.CharField(max_length=12, choices=RoundState.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.state} {self.at:%Y-%m-%d}"


class ReviewEntry(BaseModel):
    """A household on a round's list, why it is there, and its result."""

    class Why(models.TextChoices):
        ON_LAST_LIST = "on_last_list", _("Có tên trong danh sách năm trước")
        REQUESTED = "requested", _("Hộ đề nghị rà soát")

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="entries")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="review_entries")
    why = models.CharField(_("lý do rà soát"), max_length=16, choices=Why.choices)
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("hộ trong đợt rà soát")
        verbose_name_plural = _("các hộ trong đợt rà soát")
        constraints = [
            models.UniqueConstraint(fields=["round", "household"], name="household_once_per_round")
        ]


class Objection(BaseModel):
    """An objection to the posted result, received within the window."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="objections")
    entry = models.ForeignKey(ReviewEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_name = models.CharField(_("người gửi"), max_length=120)
    text = models.TextField(_("nội dung"), max_length=2000)
    received_at = models.DateTimeField(_("nhận lúc"))
    resolution = models.TextField(_("cách giải quyết"), max_length=2000, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
