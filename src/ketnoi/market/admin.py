"""Staff screens for the marketplace's catalogue: to look at, not to change.

Sellers, products and photos change only through ``market.services`` (checks,
search text, audit trail); the badge only through ``seller_verify`` on the
seller's page. Categories come from ``market/data/categories.py``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ketnoi.core.text import fold

from .models import Category, Product, ProductPhoto, Seller


class ReadOnlyMixin:
    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        # The searched columns are folded: fold what staff type too ("thổ cẩm" → "tho cam").
        return super().get_search_results(request, queryset, fold(search_term))  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Category)
class CategoryAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "name_en", "slug", "position")


@admin.register(Seller)
class SellerAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "kind", "commune", "verified", "is_active", "created_at")
    list_filter = ("kind", "verified", "is_active")
    search_fields = ("name_folded", "slug")
    list_select_related = ("commune",)
    exclude = ("bank_account",)  # staff see that a bank is set, not the number
    readonly_fields = ("bank_account_masked",)

    @admin.display(description="bank account")
    def bank_account_masked(self, obj: Seller) -> str:
        return f"•••{obj.bank_account[-3:]}" if obj.bank_account else ""


class ProductPhotoInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = ProductPhoto
    fields = ("small", "position", "alt_text", "hints")
    readonly_fields = fields
    extra = 0


@admin.register(Product)
class ProductAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "seller", "category", "price_vnd", "stock", "ocop_stars", "is_active")
    list_filter = ("category", "is_active", "ocop_stars")
    search_fields = ("search_folded", "slug")
    inlines = (ProductPhotoInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).select_related("seller", "category")
