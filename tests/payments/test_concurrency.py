"""The seller's button and a statement confirming the same payment at the same moment move the money once."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from ketnoi.ledger.services import balances_check
from ketnoi.market.models import OrderState
from ketnoi.payments.models import Payment
from ketnoi.payments.services import payment_confirm, seller_sales_code
from tests.ledger.conftest import concurrent_database  # noqa: F401 — a fixture

from .helpers import balance, order_waiting, payment_of, transfers_keyed

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("concurrent_database"),
]


def test_two_confirmations_at_once_post_one_transfer():
    # Given an order waiting for its money
    order = order_waiting()
    payment = payment_of(order)
    barrier = threading.Barrier(4)
    errors: list[Exception] = []

    # When the leader presses "received" in two tabs while two statement imports match it
    def confirm(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            if i % 2:
                payment_confirm(payment=payment, actor=order.seller.leader, via="seller")
            else:
                payment_confirm(payment=payment, actor=None, via="statement")
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Then nobody failed, the order is paid, and exactly one transfer moved the money
    assert errors == []
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert payment_of(order).state == Payment.State.CONFIRMED
    assert transfers_keyed(f"payment-{payment.pk}-") == 1
    assert balance(seller_sales_code(order.seller_id)) == order.total_vnd
    assert balances_check() == []
