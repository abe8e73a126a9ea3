"""Shipments: created by the seller, moved by signed carrier events, COD settled once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ketnoi.core.audit import AuditEntry
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.ledger.models import Account, Transfer
from ketnoi.ledger.services import account_balance
from ketnoi.market.models import OrderState
from ketnoi.payments.models import Payment
from ketnoi.shipping.models import Carrier, Shipment, TrackingEvent
from ketnoi.shipping.services import (
    carrier_ensure,
    cod_settle,
    shipment_create,
    shipment_mark_shipped,
    shipment_set_tracking,
    tracking_event_receive,
)
from tests.accounts.factories import user_with_role
from tests.market.factories import ProductFactory, SellerFactory
from tests.market.order_helpers import buyer_make, place

from .builders import event_body, order_ready, shipment_for, signed

pytestmark = pytest.mark.django_db


def _receive(shipment: Shipment, status: str, **changes) -> object:
    body = event_body(shipment, status, **changes)
    return tracking_event_receive(carrier_code="vnpost", body=body, signature=signed(body))


# --- Carriers -------------------------------------------------------------------------------


def test_carriers_are_created_on_demand_from_the_data_file():
    # when the carriers are asked for twice
    first = carrier_ensure("vnpost")
    again = carrier_ensure("vnpost")
    viettel = carrier_ensure("viettelpost")

    # then there is one row each, named as in the data file, with no secret stored
    assert first.pk == again.pk
    assert (first.name, viettel.name) == ("Bưu điện Việt Nam (VNPost)", "Viettel Post")
    assert Carrier.objects.count() == 2
    assert first.webhook_secret == ""


def test_an_unknown_carrier_is_refused(commune_a):
    order = order_ready(commune_a)

    with pytest.raises(ValidationError, match="Không có đơn vị giao hàng"):
        shipment_create(order=order, carrier_code="dhl", actor=order.seller.leader)

    assert not Shipment.objects.exists()


# --- Creating a shipment ---------------------------------------------------------------------


def test_a_cod_shipment_collects_the_order_total_and_gets_a_local_code(commune_a, commune_b):
    # given a cash-on-delivery order, confirmed by the seller
    order = order_ready(commune_b, price=150_000, quantity=2)

    # when the seller's leader sends it with Vietnam Post, without a code from the post office
    shipment = shipment_create(order=order, actor=order.seller.leader)

    # then the carrier collects the whole total, the label gets a code in VNPost's format
    assert shipment.cod_amount_vnd == order.total_vnd >= 300_000
    assert shipment.carrier.code == "vnpost"
    assert shipment.tracking_code.startswith("EK") and shipment.tracking_code.endswith("VN")
    assert len(shipment.tracking_code) == 13
    # and the order is packed, recorded as the seller's move
    assert shipment.order.state == OrderState.PACKED
    assert AuditEntry.objects.filter(action="shipment_created", object_id=str(shipment.pk)).exists()


def test_a_paid_order_ships_without_cod(commune_a):
    order = order_ready(commune_a, cod=False)

    shipment = shipment_create(order=order, actor=order.seller.leader, tracking_code="ee 123456785 vn")

    assert shipment.cod_amount_vnd == 0
    assert shipment.tracking_code == "EE123456785VN"


def test_creating_twice_returns_the_first_shipment(commune_a):
    order = order_ready(commune_a)
    first = shipment_for(order)

    again = shipment_for(order)

    assert again.pk == first.pk
    assert Shipment.objects.count() == 1


def test_a_member_of_the_cooperative_may_send_it(commune_a):
    member = user_with_role("seller")
    seller = SellerFactory(members=[member])
    order = order_ready(commune_a, seller=seller)

    shipment = shipment_create(order=order, actor=member)

    assert shipment.order_id == order.pk


def test_another_seller_or_the_buyer_cannot_send_the_order(commune_a):
    order = order_ready(commune_a)
    other_seller = SellerFactory()

    for outsider in (other_seller.leader, order.buyer):
        with pytest.raises(NotFound):
            shipment_create(order=order, actor=outsider)

    assert not Shipment.objects.exists()


def test_an_order_not_yet_paid_cannot_be_sent(commune_a):
    seller = SellerFactory()
    product = ProductFactory(seller=seller, stock=5)
    (order,) = place(buyer_make(), (product, 1), commune=commune_a)  # VietQR, awaiting payment

    with pytest.raises(DomainError) as refused:
        shipment_create(order=order, actor=seller.leader)

    assert refused.value.status == 409
    assert not Shipment.objects.exists()


def test_a_wrong_tracking_code_is_refused_with_an_example(commune_a):
    order = order_ready(commune_a)

    with pytest.raises(ValidationError) as refused:
        shipment_create(
            order=order, actor=order.seller.leader, tracking_code="EE123456789VN"
        )  # bad check digit

    assert "EK000012349VN" in refused.value.messages[0]
    assert not Shipment.objects.exists()


# --- The seller's next steps ---------------------------------------------------------------


def test_the_seller_replaces_the_code_with_the_post_offices_one(commune_a):
    shipment = shipment_for(order_ready(commune_a))

    updated = shipment_set_tracking(
        shipment=shipment, tracking_code="RR473124829VN", actor=shipment.order.seller.leader
    )

    assert Shipment.objects.get(pk=shipment.pk).tracking_code == updated.tracking_code == "RR473124829VN"


def test_a_code_already_used_by_another_parcel_is_refused(commune_a):
    first = shipment_for(order_ready(commune_a), tracking_code="RR473124829VN")
    second = shipment_for(order_ready(commune_a))

    with pytest.raises(ValidationError, match="đã dùng"):
        shipment_set_tracking(
            shipment=second, tracking_code=first.tracking_code, actor=second.order.seller.leader
        )

    assert Shipment.objects.get(pk=second.pk).tracking_code != first.tracking_code


def test_handing_over_ships_the_order_and_tells_the_buyer(commune_a, sms, django_capture_on_commit_callbacks):
    shipment = shipment_for(order_ready(commune_a))

    with django_capture_on_commit_callbacks(execute=True):
        shipped = shipment_mark_shipped(shipment=shipment, actor=shipment.order.seller.leader)

    assert shipped.state == Shipment.State.IN_TRANSIT
    assert shipped.order.state == OrderState.SHIPPED
    assert [m.to for m in sms] == [str(shipment.order.buyer_phone)]
    with pytest.raises(DomainError):  # the code cannot change once the parcel has left
        shipment_set_tracking(
            shipment=shipped, tracking_code="RR473124829VN", actor=shipment.order.seller.leader
        )


# --- Carrier events -------------------------------------------------------------------------


def test_a_signed_pickup_event_ships_the_order(commune_a):
    shipment = shipment_for(order_ready(commune_a))

    outcome = _receive(shipment, "picked_up")

    assert outcome.applied
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.IN_TRANSIT
    assert shipment.order.state == OrderState.SHIPPED
    assert TrackingEvent.objects.get().location == "Bưu cục Mai Sơn, Sơn La"


def test_a_bad_signature_changes_nothing(commune_a):
    shipment = shipment_for(order_ready(commune_a))
    body = event_body(shipment, "delivered")

    for signature in (signed(body, "guessed-secret"), "", "sha256=", signed(body + b" ")):
        with pytest.raises(DomainError) as refused:
            tracking_event_receive(carrier_code="vnpost", body=body, signature=signature)
        assert refused.value.status == 401

    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.READY
    assert shipment.order.state == OrderState.PACKED
    assert not TrackingEvent.objects.exists()


def test_a_replayed_event_is_ignored(commune_a):
    shipment = shipment_for(order_ready(commune_a))
    body = event_body(shipment, "in_transit")
    tracking_event_receive(carrier_code="vnpost", body=body, signature=signed(body))
    audit_before = AuditEntry.objects.count()

    again = tracking_event_receive(carrier_code="vnpost", body=body, signature=signed(body))

    assert not again.applied
    assert TrackingEvent.objects.count() == 1
    assert AuditEntry.objects.count() == audit_before


def test_an_unknown_tracking_code_is_not_found(commune_a):
    shipment = shipment_for(order_ready(commune_a))
    body = event_body(shipment, "delivered", tracking_code="EE123456785VN")

    with pytest.raises(NotFound):
        tracking_event_receive(carrier_code="vnpost", body=body, signature=signed(body))

    assert not TrackingEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"event_id": "e1", "status": "delivered", "at": "2026-03-02T08:30:00+07:00"}',
        b'{"event_id": "e1", "tracking_code": "X", "status": "teleported", "at": "2026-03-02T08:30:00Z"}',
        b'{"event_id": "e1", "tracking_code": "X", "status": "delivered", "at": "yesterday"}',
        '{"event_id": "e1", "tracking_code": "X"}'.encode("utf-16"),
    ],
)
def test_a_malformed_event_is_refused(commune_a, body):
    with pytest.raises(DomainError) as refused:
        tracking_event_receive(carrier_code="vnpost", body=body, signature=signed(body))

    assert refused.value.status == 422
    assert not TrackingEvent.objects.exists()


def test_events_out_of_order_are_kept_and_never_move_backwards(commune_a):
    shipment = shipment_for(order_ready(commune_a))

    _receive(shipment, "delivered", at="2026-03-04T10:00:00+07:00")
    _receive(shipment, "picked_up", at="2026-03-02T08:00:00+07:00")
    _receive(shipment, "in_transit", at="2026-03-03T09:00:00+07:00")

    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.DELIVERED
    assert shipment.order.state == OrderState.DELIVERED
    assert [e.status for e in shipment.events.all()] == ["picked_up", "in_transit", "delivered"]


def test_a_returned_parcel_is_marked_returned(commune_a):
    shipment = shipment_for(order_ready(commune_a))
    _receive(shipment, "picked_up")

    _receive(shipment, "returned", at="2026-03-06T10:00:00+07:00")

    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.RETURNED
    assert shipment.order.state == OrderState.SHIPPED


# --- Cash on delivery ----------------------------------------------------------------------


def test_delivery_of_a_cod_order_records_the_cash_and_settles_it_once(commune_a):
    # given a COD order of 2 × 120.000 đ in the carrier's hands
    order = order_ready(commune_a, price=120_000, quantity=2)
    shipment = shipment_for(order)
    _receive(shipment, "picked_up")

    # when the carrier reports it delivered
    _receive(shipment, "delivered", at="2026-03-03T15:00:00+07:00")

    # then the carrier holds the buyer's cash in the ledger and the payment is confirmed
    total = order.total_vnd
    assert account_balance("carrier-vnpost-cod") == total
    payment = Payment.objects.get(order=order)
    assert (payment.state, payment.confirmed_via) == (Payment.State.CONFIRMED, Payment.ConfirmedBy.CARRIER)

    # when the cash is settled to the seller, then again
    shipment.refresh_from_db()
    transfer = cod_settle(shipment=shipment)
    with pytest.raises(DomainError) as again:
        cod_settle(shipment=shipment)

    # then the seller got it once, and the carrier's account is back to zero
    assert again.value.status == 409
    assert account_balance(f"seller-{order.seller_id}-sales") == total
    assert account_balance("carrier-vnpost-cod") == 0
    assert Transfer.objects.filter(idempotency_key=f"cod-settle-{shipment.pk}").get() == transfer
    assert Shipment.objects.get(pk=shipment.pk).cod_settled


def test_cod_is_not_settled_before_delivery_nor_by_the_seller(commune_a):
    shipment = shipment_for(order_ready(commune_a))

    with pytest.raises(DomainError) as early:
        cod_settle(shipment=shipment)
    with pytest.raises(PermissionDenied):
        cod_settle(shipment=shipment, actor=shipment.order.seller.leader)

    assert early.value.status == 409
    assert not Transfer.objects.filter(idempotency_key=f"cod-settle-{shipment.pk}").exists()


def test_a_delivered_paid_order_posts_no_cod(commune_a):
    order = order_ready(commune_a, cod=False)
    shipment = shipment_for(order)

    _receive(shipment, "delivered")

    assert Shipment.objects.get(pk=shipment.pk).order.state == OrderState.DELIVERED
    assert not Account.objects.filter(code="carrier-vnpost-cod", balance_vnd__gt=0).exists()
    assert Payment.objects.get(order=order).confirmed_via == Payment.ConfirmedBy.STATEMENT


def test_an_administrator_may_settle(commune_a):
    shipment = shipment_for(order_ready(commune_a))
    _receive(shipment, "delivered")
    admin = user_with_role("administrator")

    transfer = cod_settle(shipment=shipment, actor=admin)

    assert transfer.created_by == admin
