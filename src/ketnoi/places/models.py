"""Administrative units after the July 2025 reform, and addresses in them.

Provinces and communes are keyed by their official codes (General
Statistics Office), so a code in a partner's file or an old export always
means the same place. Rows come from the ``vietnam-provinces`` package
(``places.divisions.divisions_sync``); nobody edits them by hand.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel

from .geo import plus_code_encode


class Province(models.Model):
    code = models.PositiveSmallIntegerField(_("mã"), primary_key=True)
    name = models.CharField(_("tên"), max_length=100)
    short_name = models.CharField(_("tên ngắn"), max_length=100)
    division_type = models.CharField(_("loại"), max_length=40)
    codename = models.CharField(max_length=100, unique=True)
    phone_code = models.PositiveSmallIntegerField(_("mã vùng"), null=True, blank=True)
    name_folded = models.CharField(max_length=200, db_index=True, editable=False)

    class Meta:
        ordering = ["name_folded"]
        verbose_name = _("tỉnh/thành phố")
        verbose_name_plural = _("tỉnh/thành phố")

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    """A commune (xã), ward (phường) or special zone (đặc khu)."""

    code = models.PositiveIntegerField(_("mã"), primary_key=True)
    province = models.ForeignKey(
        Province, verbose_name=_("tỉnh/thành phố"), on_delete=models.PROTECT, related_name="communes"
    )
    name = models.CharField(_("tên"), max_length=100)
    short_name = models.CharField(_("tên ngắn"), max_length=100)
    division_type = models.CharField(_("loại"), max_length=40)
    codename = models.CharField(max_length=100)
    name_folded = models.CharField(max_length=200, db_index=True, editable=False)

    class Meta:
        ordering = ["province_id", "name_folded"]
        verbose_name = _("xã/phường")
        verbose_name_plural = _("xã/phường")

    def __str__(self) -> str:
        return f"{self.name}, {self.province.name}"


class Address(BaseModel):
    """A place someone can be found: a commune plus a village or street line.

    The optional point is kept with its Open Location Code (``plus_code``),
    a short code a person can read out or paste where there is no street name.
    """

    commune = models.ForeignKey(
        Commune, verbose_name=_("xã/phường"), on_delete=models.PROTECT, related_name="+"
    )
    line = models.CharField(_("thôn/bản, số nhà, đường"), max_length=200, blank=True)
    latitude = models.DecimalField(_("vĩ độ"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("kinh độ"), max_digits=9, decimal_places=6, null=True, blank=True)
    plus_code = models.CharField(_("mã địa chỉ số"), max_length=16, blank=True, db_index=True)

    class Meta:
        verbose_name = _("địa chỉ")
        verbose_name_plural = _("địa chỉ")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(latitude__isnull=True, longitude__isnull=True)
                    | models.Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180)
                ),
                name="address_point_in_range",
            )
        ]

    def __str__(self) -> str:
        parts = [self.line, self.commune.name, self.commune.province.name]
        return ", ".join(p for p in parts if p)

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.latitude is not None and self.longitude is not None:
            self.plus_code = plus_code_encode(float(self.latitude), float(self.longitude))
        else:
            self.plus_code = ""
        super().save(*args, **kwargs)
