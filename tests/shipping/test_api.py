"""POST /api/v1/shipping/events: carriers sign the raw body; bad input changes nothing."""

from __future__ import annotations

import pytest

from ketnoi.market.models import OrderState
from ketnoi.shipping.models import Shipment, TrackingEvent

from .builders import event_body, order_ready, shipment_for, signed

pytestmark = pytest.mark.django_db

URL = "/api/v1/shipping/events"


def _post(client, body: bytes, *, signature: str | None, carrier: str = "vnpost"):
    headers = {"X-Carrier": carrier}
    if signature is not None:
        headers["X-Signature"] = signature
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def test_a_signed_delivery_event_moves_the_order(client, commune_a):
    # given a parcel on its way
    shipment = shipment_for(order_ready(commune_a))
    picked = event_body(shipment, "picked_up")
    assert _post(client, picked, signature=signed(picked)).status_code == 200

    # when the carrier posts a signed "delivered" event
    body = event_body(shipment, "delivered", at="2026-03-03T15:00:00+07:00")
    response = _post(client, body, signature=signed(body))

    # then it is applied and the answer says where parcel and order now are
    assert response.status_code == 200
    assert response.json() == {
        "result": "applied",
        "event_id": TrackingEvent.objects.get(status="delivered").carrier_event_id,
        "tracking_code": shipment.tracking_code,
        "shipment_state": "delivered",
        "order_state": "delivered",
    }
    assert Shipment.objects.get(pk=shipment.pk).order.state == OrderState.DELIVERED


def test_a_bad_signature_is_401_and_changes_nothing(client, commune_a):
    shipment = shipment_for(order_ready(commune_a))
    body = event_body(shipment, "delivered")

    response = _post(client, body, signature=signed(body, "not-the-secret"))

    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert not TrackingEvent.objects.exists()
    assert Shipment.objects.get(pk=shipment.pk).order.state == OrderState.PACKED


def test_a_missing_signature_is_401(client, commune_a):
    shipment = shipment_for(order_ready(commune_a))
    body = event_body(shipment, "delivered")

    response = _post(client, body, signature=None)

    assert response.status_code == 401
    assert not TrackingEvent.objects.exists()


def test_an_event_signed_for_another_carrier_is_401(client, commune_a):
    shipment = shipment_for(order_ready(commune_a))
    body = event_body(shipment, "delivered")

    response = _post(client, body, signature=signed(body), carrier="viettelpost")  # no secret configured

    assert response.status_code == 401
    assert not TrackingEvent.objects.exists()


def test_a_replay_is_200_and_changes_nothing(client, commune_a):
    shipment = shipment_for(order_ready(commune_a))
    body = event_body(shipment, "in_transit")
    _post(client, body, signature=signed(body))

    response = _post(client, body, signature=signed(body))

    assert response.status_code == 200
    assert response.json()["result"] == "duplicate"
    assert TrackingEvent.objects.count() == 1


def test_an_unknown_tracking_code_is_404(client, commune_a):
    shipment = shipment_for(order_ready(commune_a))
    body = event_body(shipment, "delivered", tracking_code="RR473124829VN")

    response = _post(client, body, signature=signed(body))

    assert response.status_code == 404
    assert response.json()["code"] == "unknown_tracking_code"


def test_malformed_json_is_422(client, db):
    body = b'{"event_id": "e1", "tracking_code": '

    response = _post(client, body, signature=signed(body))

    assert response.status_code == 422
    assert response.json()["code"] == "bad_event"


def test_the_event_is_documented_in_the_schema(client, db):
    operation = client.get("/api/v1/openapi.json").json()["paths"][URL]["post"]

    assert {"200", "401", "404", "422"} <= set(operation["responses"])
    assert "security" not in operation
