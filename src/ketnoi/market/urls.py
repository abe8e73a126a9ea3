"""The marketplace's pages; each part keeps its own URL module."""

from django.urls import include, path

app_name = "market"

urlpatterns = [
    path("", include("ketnoi.market.urls_catalogue")),
    path("", include("ketnoi.market.urls_orders")),
    path("", include("ketnoi.market.urls_talk")),
    path("", include("ketnoi.market.urls_invoices")),
]
