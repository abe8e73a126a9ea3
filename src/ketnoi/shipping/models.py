"""Parcels by post: carriers, shipments, tracking events, cash on delivery."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ketnoi.core.models import BaseModel
from ketnoi.core.money import MoneyField
from ketnoi.market.models import Order


class Carrier(BaseModel):
    code = models.SlugField(max_length=30, unique=True)  # "vnpost"
    name = models.CharField(_("tên"), max_length=100)
    # Shared secret for signed tracking events (HMAC-SHA256 over the body).
    # Configured per deployment; the demo's is public and for development only.
    webhook_secret = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class Shipment(BaseModel):
    class State(models.TextChoices):
        READY = "ready", _("Chờ lấy hàng")
        IN_TRANSIT = "in_transit", _("Đang vận chuyển")
        DELIVERED = "delivered", _("Đã giao")
        RETURNED = "returned", _("Hoàn về người bán")

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="shipment")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="shipments")
    tracking_code = models.CharField(_("mã vận đơn"), max_length=40, blank=True, db_index=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.READY)
    cod_amount_vnd = MoneyField(_("tiền thu hộ"), default=0)
    cod_settled = models.BooleanField(_("đã trả tiền thu hộ cho người bán"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "tracking_code"],
                condition=~models.Q(tracking_code=""),
                name="tracking_code_unique_per_carrier",
            )
        ]


class TrackingEvent(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    carrier_event_id = models.CharField(max_length=80)  # replays carry the same id: ignored
    status = models.CharField(max_length=30)
    location = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "carrier_event_id"], name="tracking_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.at:%Y-%m-%d %H:%M}"
