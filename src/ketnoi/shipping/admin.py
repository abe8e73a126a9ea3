"""Staff screens for shipping: shipments and their paths, to look at, never to change.

Every change goes through ``shipping.services`` (carrier checks, the order's
state machine, the ledger, the audit trail), so the admin is read-only. The
carriers' webhook secrets live in the environment and are never shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Carrier, Shipment, TrackingEvent


class ReadOnlyMixin:
    """Nothing to add, change or delete here: the services are the only writers."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Carrier)
class CarrierAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "name", "is_active")
    fields = ("code", "name", "is_active")


class TrackingEventInline(ReadOnlyMixin, admin.TabularInline):
    model = TrackingEvent
    fields = ("at", "status", "location", "carrier_event_id", "received_at")
    ordering = ("at", "id")
    extra = 0


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("tracking_code", "order", "carrier", "state", "cod_amount_vnd", "cod_settled")
    list_filter = ("carrier", "state", "cod_settled")
    search_fields = ("tracking_code", "order__reference")
    list_select_related = ("order", "carrier")
    fields = ("order", "carrier", "tracking_code", "state", "cod_amount_vnd", "cod_settled", "created_at")
    inlines = (TrackingEventInline,)
