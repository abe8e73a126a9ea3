"""What is sold: categories, products with their story, and photos."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.core.money import MoneyField

from .sellers import Seller


class Category(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(_("tên"), max_length=80)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=80)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("nhóm hàng")
        verbose_name_plural = _("các nhóm hàng")

    def __str__(self) -> str:
        return self.name


class Product(BaseModel):
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(
        Category, verbose_name=_("nhóm hàng"), on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField(_("tên sản phẩm"), max_length=150)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=150, blank=True)
    slug = models.SlugField(max_length=170, unique=True)
    search_folded = models.TextField(editable=False, default="")  # folded name, story, seller, place
    price_vnd = MoneyField(_("giá (đồng)"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("đơn vị"), max_length=30)  # "tấm", "gói 500 g", "chai 500 ml"
    stock = models.PositiveIntegerField(_("còn trong kho"), default=0)
    weight_g = models.PositiveIntegerField(_("khối lượng đóng gói (g)"), validators=[MinValueValidator(1)])
    ocop_stars = models.PositiveSmallIntegerField(
        _("sao OCOP"), null=True, blank=True, validators=[MinValueValidator(3), MaxValueValidator(5)]
    )
    ocop_year = models.PositiveSmallIntegerField(_("năm chứng nhận OCOP"), null=True, blank=True)
    # The story, built from short answers to guided questions.
    story_who = models.CharField(_("Ai làm ra?"), max_length=500, blank=True)
    story_how = models.CharField(_("Làm thế nào?"), max_length=500, blank=True)
    story_from = models.CharField(_("Từ nguyên liệu gì?"), max_length=500, blank=True)
    story_meaning = models.CharField(_("Ý nghĩa với bản làng?"), max_length=500, blank=True)
    story_en = models.TextField(_("câu chuyện (tiếng Anh)"), max_length=3000, blank=True)
    is_active = models.BooleanField(_("đang bán"), default=True)

    class Meta:
        verbose_name = _("sản phẩm")
        verbose_name_plural = _("các sản phẩm")
        indexes = [models.Index(fields=["is_active", "category"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(price_vnd__gt=0), name="product_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class ProductPhoto(BaseModel):
    """A photo, stored as WebP in three widths with EXIF and GPS removed."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    small = models.ImageField(
        upload_to="products/%Y/%m/", width_field="small_width", height_field="small_height"
    )
    medium = models.ImageField(upload_to="products/%Y/%m/")
    large = models.ImageField(upload_to="products/%Y/%m/")
    small_width = models.PositiveIntegerField(default=0)
    small_height = models.PositiveIntegerField(default=0)
    alt_text = models.CharField(_("mô tả ảnh"), max_length=200, blank=True)
    hints = models.JSONField(default=list, blank=True)  # quality hints shown to the seller
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
