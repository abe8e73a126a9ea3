"""``GET /api/v1/orders/{id}/payment``: the order's buyer and seller only."""

from __future__ import annotations

import pytest

from ketnoi.accounts.models import Role
from ketnoi.accounts.tokens import token_issue
from ketnoi.market.models import PaymentMethod
from ketnoi.payments import vietqr
from ketnoi.payments.services import payment_confirm
from tests.accounts.factories import user_with_role
from tests.market.factories import SellerFactory, seller_user
from tests.market.order_helpers import buyer_make

from .helpers import order_waiting, payment_of

pytestmark = pytest.mark.django_db


def url(order_id: int) -> str:
    return f"/api/v1/orders/{order_id}/payment"


def as_user(user) -> dict[str, str]:
    raw, _token = token_issue(user=user, label="test")
    return {"Authorization": f"Bearer {raw}"}


def test_the_buyer_gets_the_vietqr_payload_amount_and_reference(client):
    order = order_waiting(price=250_000)

    response = client.get(url(order.pk), headers=as_user(order.buyer))

    assert response.status_code == 200
    body = response.json()
    assert body["amount_vnd"] == order.total_vnd
    assert body["reference"] == order.reference
    assert body["method"] == "vietqr"
    assert body["state"] == "pending"
    assert vietqr.decode(body["vietqr"]) == {
        "bank_bin": order.seller.bank_bin,
        "account": order.seller.bank_account,
        "amount": order.total_vnd,
        "purpose": order.reference,
        "service": "QRIBFTTA",
    }


def test_the_sellers_leader_and_members_get_it_too(client):
    member = seller_user()
    order = order_waiting(seller=SellerFactory(members=[member]))

    for user in (order.seller.leader, member):
        assert client.get(url(order.pk), headers=as_user(user)).status_code == 200


def test_after_payment_the_state_says_confirmed(client):
    order = order_waiting()
    payment_confirm(payment=payment_of(order), actor=order.seller.leader, via="seller")

    body = client.get(url(order.pk), headers=as_user(order.buyer)).json()

    assert body["state"] == "confirmed"


def test_cash_on_delivery_has_no_code(client):
    order = order_waiting(method=PaymentMethod.COD)

    body = client.get(url(order.pk), headers=as_user(order.buyer)).json()

    assert body["vietqr"] is None
    assert body["method"] == "cod"
    assert body["amount_vnd"] == order.total_vnd


@pytest.mark.parametrize("who", ["other_buyer", "other_seller", "administrator"])
def test_anyone_else_gets_404_as_for_an_order_that_does_not_exist(client, who):
    order = order_waiting()
    user = {
        "other_buyer": buyer_make,
        "other_seller": lambda: SellerFactory().leader,
        "administrator": lambda: user_with_role(Role.ADMINISTRATOR),
    }[who]()

    response = client.get(url(order.pk), headers=as_user(user))
    missing = client.get(url(order.pk + 1000), headers=as_user(user))

    assert response.status_code == 404
    assert response.json()["code"] == missing.json()["code"] == "order_unknown"
    assert "vietqr" not in response.json()


def test_without_a_token_the_answer_is_401(client):
    order = order_waiting()

    response = client.get(url(order.pk))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_session_cookie_is_not_enough(client):
    # The API takes bearer tokens only; a signed-in browser without one is anonymous here.
    order = order_waiting()
    client.force_login(order.buyer)
    assert client.get(url(order.pk)).status_code == 401
