"""Payments of orders: opening, confirming (seller or statement), cash on delivery, refunds, the ledger."""

from __future__ import annotations

import pytest

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.models import AuditEntry
from ketnoi.ledger.services import balances_check
from ketnoi.market.models import OrderState, PaymentMethod
from ketnoi.market.services.orders import order_transition
from ketnoi.payments.models import Payment
from ketnoi.payments.services import (
    BUYERS_EXTERNAL,
    carrier_cod_code,
    cod_collected,
    payment_confirm,
    payment_open,
    payment_refund,
    seller_sales_code,
)
from tests.accounts.factories import user_with_role
from tests.market.factories import SellerFactory, seller_user
from tests.market.order_helpers import advance

from .helpers import balance, order_waiting, payment_of, transfers_keyed

pytestmark = pytest.mark.django_db

S = OrderState


# --- Opening --------------------------------------------------------------------------------


def test_placing_an_order_opens_its_payment_with_the_total_and_the_reference():
    order = order_waiting(price=250_000, quantity=2)

    payment = payment_of(order)
    assert payment.amount_vnd == order.total_vnd == 500_000 + order.shipping_vnd
    assert payment.reference == order.reference
    assert payment.method == PaymentMethod.VIETQR
    assert payment.state == Payment.State.PENDING


def test_opening_twice_returns_the_same_payment():
    order = order_waiting()

    again = payment_open(order=order)

    assert again.pk == payment_of(order).pk
    assert Payment.objects.filter(order=order).count() == 1


# --- Confirming by the seller ---------------------------------------------------------------


def test_the_seller_confirms_the_money_and_the_order_is_paid_with_one_balanced_transfer():
    # Given an order waiting for 250,000 đ + delivery
    order = order_waiting()
    payment = payment_of(order)

    # When the seller's leader says the money arrived
    payment_confirm(payment=payment, actor=order.seller.leader, via="seller")

    # Then the order is paid, the payment confirmed by her, and the money is on the seller's sales account
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.state == S.PAID
    assert payment.state == Payment.State.CONFIRMED
    assert payment.confirmed_via == "seller"
    assert payment.confirmed_by == order.seller.leader
    assert payment.ledger_transfer_id is not None
    assert balance(seller_sales_code(order.seller_id)) == order.total_vnd
    assert balance(BUYERS_EXTERNAL) == -order.total_vnd
    assert balances_check() == []
    assert AuditEntry.objects.filter(action="payment.confirm", object_id=str(payment.pk)).exists()


def test_a_member_of_the_seller_may_confirm():
    member = seller_user()
    seller = SellerFactory(members=[member])
    order = order_waiting(seller=seller)

    payment_confirm(payment=payment_of(order), actor=member, via="seller")

    assert payment_of(order).state == Payment.State.CONFIRMED


def test_confirming_twice_moves_the_money_once():
    order = order_waiting()
    payment = payment_of(order)

    payment_confirm(payment=payment, actor=order.seller.leader, via="seller")
    payment_confirm(payment=payment, actor=order.seller.leader, via="seller")
    payment_confirm(payment=payment, actor=None, via="statement")

    assert transfers_keyed(f"payment-{payment.pk}-") == 1
    assert balance(seller_sales_code(order.seller_id)) == order.total_vnd
    assert payment_of(order).confirmed_via == "seller"


@pytest.mark.parametrize("who", ["buyer", "other_seller", "administrator"])
def test_nobody_but_the_seller_confirms_receipt(who):
    # Given an order waiting for its money
    order = order_waiting()
    actor = {
        "buyer": lambda: order.buyer,
        "other_seller": lambda: SellerFactory().leader,
        "administrator": lambda: user_with_role(Role.ADMINISTRATOR),
    }[who]()

    # When someone else says the money arrived, then she is refused and nothing moves
    with pytest.raises(PermissionDenied):
        payment_confirm(payment=payment_of(order), actor=actor, via="seller")
    order.refresh_from_db()
    assert order.state == S.AWAITING_PAYMENT
    assert payment_of(order).state == Payment.State.PENDING
    assert transfers_keyed("payment-") == 0


def test_a_cancelled_order_cannot_be_confirmed():
    order = order_waiting()
    order_transition(order=order, to=S.CANCELLED, actor=order.buyer)

    with pytest.raises(DomainError) as refused:
        payment_confirm(payment=payment_of(order), actor=order.seller.leader, via="seller")

    assert refused.value.code == "payment_order_state"
    assert payment_of(order).state == Payment.State.PENDING
    assert transfers_keyed("payment-") == 0


def test_a_cash_on_delivery_payment_is_not_confirmed_by_the_seller():
    order = order_waiting(method=PaymentMethod.COD)

    with pytest.raises(DomainError) as refused:
        payment_confirm(payment=payment_of(order), actor=order.seller.leader, via="seller")

    assert refused.value.code == "payment_is_cod"
    assert transfers_keyed("payment-") == 0


def test_an_unknown_way_of_confirming_is_refused():
    order = order_waiting()
    with pytest.raises(DomainError):
        payment_confirm(payment=payment_of(order), actor=order.seller.leader, via="carrier")
    assert payment_of(order).state == Payment.State.PENDING


# --- Cash on delivery -----------------------------------------------------------------------


def test_cash_collected_by_the_carrier_sits_on_its_cod_account_once():
    # Given a COD order the seller accepted
    order = advance(order_waiting(method=PaymentMethod.COD), S.COD_CONFIRMED)

    # When shipping reports the delivery twice
    cod_collected(order=order)
    cod_collected(order=order)

    # Then the carrier holds the total, posted once, and the payment says the carrier has it
    payment = payment_of(order)
    assert payment.state == Payment.State.CONFIRMED
    assert payment.confirmed_via == "carrier"
    assert balance(carrier_cod_code("vnpost")) == order.total_vnd
    assert transfers_keyed(f"payment-{payment.pk}-cod-collected") == 1
    assert balances_check() == []


def test_cod_collected_refuses_a_vietqr_order():
    order = order_waiting()
    with pytest.raises(DomainError):
        cod_collected(order=order)
    assert transfers_keyed("payment-") == 0


# --- Refunds --------------------------------------------------------------------------------


def test_a_refund_reverses_the_money_and_refunds_the_order_once():
    # Given a paid order
    order = order_waiting()
    payment = payment_of(order)
    payment_confirm(payment=payment, actor=order.seller.leader, via="seller")

    # When the seller records that she sent the money back, twice
    payment_refund(payment=payment, actor=order.seller.leader, reason="Hết hàng")
    payment_refund(payment=payment, actor=order.seller.leader)

    # Then the order is refunded, the sales account is back to zero, one reversal was posted
    order.refresh_from_db()
    assert order.state == S.REFUNDED
    assert payment_of(order).state == Payment.State.REFUNDED
    assert balance(seller_sales_code(order.seller_id)) == 0
    assert balance(BUYERS_EXTERNAL) == 0
    assert transfers_keyed(f"payment-{payment.pk}-refund") == 1
    assert balances_check() == []


def test_a_refund_after_the_orders_app_moved_the_order_only_moves_the_money():
    order = order_waiting()
    payment = payment_of(order)
    payment_confirm(payment=payment, actor=order.seller.leader, via="seller")
    order_transition(order=order, to=S.REFUNDED, actor=order.seller.leader)

    payment_refund(payment=payment, actor=order.seller.leader)

    assert payment_of(order).state == Payment.State.REFUNDED
    assert balance(seller_sales_code(order.seller_id)) == 0


def test_nothing_to_refund_before_the_money_came():
    order = order_waiting()
    with pytest.raises(DomainError) as refused:
        payment_refund(payment=payment_of(order), actor=order.seller.leader)
    assert refused.value.code == "payment_not_confirmed"
    order.refresh_from_db()
    assert order.state == S.AWAITING_PAYMENT


def test_the_buyer_cannot_record_a_refund():
    order = order_waiting()
    payment_confirm(payment=payment_of(order), actor=order.seller.leader, via="seller")

    with pytest.raises(PermissionDenied):
        payment_refund(payment=payment_of(order), actor=order.buyer)

    assert payment_of(order).state == Payment.State.CONFIRMED
    assert balance(seller_sales_code(order.seller_id)) == order.total_vnd


def test_refunding_cash_already_settled_to_the_seller_takes_it_back_from_her_sales(settings, commune_a):
    from ketnoi.shipping.services import cod_settle, tracking_event_receive
    from tests.shipping.builders import SECRET, event_body, order_ready, shipment_for, signed

    # Given a COD order delivered, its cash collected by Vietnam Post and settled to the seller
    settings.CARRIER_SECRETS = {"vnpost": SECRET}
    order = order_ready(commune_a, price=120_000, quantity=2)
    shipment = shipment_for(order)
    for status in ("picked_up", "delivered"):
        body = event_body(shipment, status)
        tracking_event_receive(carrier_code="vnpost", body=body, signature=signed(body))
    shipment.refresh_from_db()
    cod_settle(shipment=shipment)
    assert balance(seller_sales_code(order.seller_id)) == order.total_vnd

    # When the seller refunds the buyer (the parcel was damaged)
    payment_refund(payment=payment_of(order), actor=order.seller.leader, reason="Hàng vỡ")

    # Then the money leaves her sales, the carrier's account stays at zero, the order is refunded
    order.refresh_from_db()
    assert order.state == S.REFUNDED
    assert balance(seller_sales_code(order.seller_id)) == 0
    assert balance(carrier_cod_code("vnpost")) == 0
    assert balance(BUYERS_EXTERNAL) == 0
    assert balances_check() == []
