"""URLs of the marketplace's catalogue pages (mounted by market/urls.py under the "market" namespace)."""

from django.urls import path

from .views import catalogue, sell

urlpatterns = [
    path("products/", catalogue.product_list_view, name="product_list"),
    path("products/<slug:slug>/", catalogue.product_detail_view, name="product_detail"),
    path("sellers/<slug:slug>/", catalogue.seller_detail_view, name="seller_detail"),
    path("sellers/<slug:slug>/verify/", catalogue.seller_verify_view, name="seller_verify"),
    path("sell/", sell.sell_home_view, name="sell_home"),
    path("sell/profile/new/", sell.sell_profile_new_view, name="sell_profile_new"),
    path("sell/sellers/<slug:seller_slug>/", sell.sell_profile_edit_view, name="sell_profile_edit"),
    path("sell/sellers/<slug:seller_slug>/new-product/", sell.sell_product_new_view, name="sell_product_new"),
    path("sell/products/<slug:slug>/", sell.sell_product_edit_view, name="sell_product_edit"),
    path("sell/products/<slug:slug>/photos/", sell.sell_product_photos_view, name="sell_product_photos"),
    path(
        "sell/products/<slug:slug>/photos/<int:photo_id>/delete/",
        sell.sell_photo_delete_view,
        name="sell_photo_delete",
    ),
]
