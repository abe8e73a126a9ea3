"""URLs of the marketplace's cart, checkout and order pages (mounted by market/urls.py).

The seller's order queue and dashboard live under ``/sell/`` with the
catalogue's seller pages.
"""

from django.urls import path

from .views import cart, dashboard, orders

urlpatterns = [
    path("cart/", cart.cart_view, name="cart"),
    path("cart/add/<int:product_id>/", cart.cart_add_view, name="cart_add"),
    path("cart/lines/<int:line_id>/", cart.cart_line_update_view, name="cart_line_update"),
    path("cart/lines/<int:line_id>/remove/", cart.cart_line_remove_view, name="cart_line_remove"),
    path("checkout/", cart.checkout_view, name="checkout"),
    path("checkout/communes/", cart.checkout_communes_view, name="checkout_communes"),
    path("checkout/done/<uuid:checkout_id>/", cart.checkout_done_view, name="checkout_done"),
    path("orders/", orders.order_list_view, name="order_list"),
    path("orders/<str:reference>/", orders.order_detail_view, name="order_detail"),
    path("orders/<str:reference>/move/", orders.order_move_view, name="order_move"),
    path("sell/orders/", orders.seller_orders_view, name="seller_orders"),
    path("sell/dashboard/", dashboard.seller_dashboard_view, name="seller_dashboard"),
]
