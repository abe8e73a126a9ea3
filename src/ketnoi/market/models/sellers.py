"""Who sells: cooperatives, household businesses and individual makers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.places.models import Commune


class Seller(BaseModel):
    class Kind(models.TextChoices):
        COOPERATIVE = "cooperative", _("Hợp tác xã")
        HOUSEHOLD_BUSINESS = "household_business", _("Hộ kinh doanh")
        INDIVIDUAL = "individual", _("Cá nhân")

    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("tên"), max_length=150)
    name_folded = models.CharField(max_length=150, db_index=True, editable=False)
    slug = models.SlugField(max_length=160, unique=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người đại diện"), on_delete=models.PROTECT, related_name="+"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="seller_memberships")
    commune = models.ForeignKey(
        Commune, verbose_name=_("xã/phường"), on_delete=models.PROTECT, related_name="+"
    )
    village = models.CharField(_("thôn/bản"), max_length=120, blank=True)
    story = models.TextField(_("câu chuyện của nhóm"), max_length=4000, blank=True)
    story_en = models.TextField(_("câu chuyện (tiếng Anh)"), max_length=4000, blank=True)
    # Programme statistics only — sensitive, never shown publicly.
    women_led = models.BooleanField(_("do phụ nữ lãnh đạo"), default=False)
    ethnic_minority_led = models.BooleanField(_("do người dân tộc thiểu số lãnh đạo"), default=False)
    bank_bin = models.CharField(_("mã ngân hàng (BIN)"), max_length=6, blank=True)
    bank_account = models.CharField(_("số tài khoản"), max_length=19, blank=True)
    bank_account_name = models.CharField(_("tên chủ tài khoản"), max_length=100, blank=True)
    pickup_line = models.CharField(_("địa chỉ lấy hàng"), max_length=200, blank=True)
    tax_code = models.CharField(_("mã số thuế"), max_length=14, blank=True)
    verified = models.BooleanField(_("chương trình đã xác minh"), default=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("đang bán"), default=True)

    class Meta:
        verbose_name = _("người bán")
        verbose_name_plural = _("những người bán")

    def __str__(self) -> str:
        return self.name
