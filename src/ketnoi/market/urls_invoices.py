"""URL of an order's printable invoice (include from market/urls.py)."""

from django.urls import path

from .views import invoices

urlpatterns = [
    path("orders/<str:reference>/invoice/", invoices.invoice_view, name="invoice"),
]
