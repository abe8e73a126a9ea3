"""URLs of the payments pages (mounted at /payments/)."""

from django.urls import path

from . import views, views_vouchers

app_name = "payments"

urlpatterns = [
    path("statements/", views.statements_view, name="statements"),
    path("statements/<int:import_id>/", views.statement_view, name="statement"),
    path("vouchers/", views_vouchers.voucher_redeem_view, name="voucher_redeem"),
    path("<int:payment_id>/confirm/", views.payment_confirm_view, name="confirm"),
    path("<int:payment_id>/refund/", views.payment_refund_view, name="refund"),
]
