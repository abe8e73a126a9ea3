"""URLs of the shipping pages (mounted at /shipping/)."""

from django.urls import path

from . import views

app_name = "shipping"

urlpatterns = [
    path("orders/<str:reference>/send/", views.ship_view, name="ship"),
    path("track/<str:reference>/", views.track_view, name="track"),
    path("<int:shipment_id>/", views.shipment_view, name="shipment"),
    path("<int:shipment_id>/tracking-code/", views.tracking_code_view, name="tracking_code"),
    path("<int:shipment_id>/shipped/", views.shipped_view, name="shipped"),
    path("<int:shipment_id>/label/", views.label_view, name="label"),
]
