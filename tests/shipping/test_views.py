"""The seller's shipping pages and label; the buyer's tracking page and include."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from ketnoi.core.money import format_vnd
from ketnoi.market.models import OrderState
from ketnoi.shipping.models import Shipment
from tests.accounts.factories import PASSWORD, user_with_role
from tests.market.factories import SellerFactory

from .builders import event_body, order_ready, shipment_for, signed

pytestmark = pytest.mark.django_db


def _login(client, user) -> None:
    assert client.login(phone=user.phone, password=PASSWORD)


def _receive(shipment: Shipment, status: str, at: str) -> None:
    from ketnoi.shipping.services import tracking_event_receive

    body = event_body(shipment, status, at=at)
    tracking_event_receive(carrier_code="vnpost", body=body, signature=signed(body))


# --- The label -------------------------------------------------------------------------------


def test_the_label_shows_addresses_weight_the_cod_amount_and_a_qr(client, commune_a, commune_b):
    # given a COD order of 3 × 200 g to Lào Cai
    order = order_ready(commune_b, price=95_000, quantity=3, weight_g=200)
    shipment = shipment_for(order)
    _login(client, order.seller.leader)

    # when the seller opens the label
    response = client.get(reverse("shipping:label", args=[shipment.pk]))

    # then it shows who sends, who receives, the weight, the COD amount big, the order and a QR
    html = response.content.decode()
    assert response.status_code == 200
    assert format_vnd(order.total_vnd) in html
    assert 'data-testid="cod">' + format_vnd(order.total_vnd) in html
    assert "<svg" in html and 'class="qr"' in html
    assert f'aria-label="{shipment.tracking_code}"' in html
    assert order.reference in html
    assert order.seller.name in html and "Xã Mường Bú" in html
    assert order.buyer_name in html and "Xã Bắc Hà" in html and "Lào Cai" in html
    assert "600 g" in html
    assert "1900 54 54 81" in html  # the carrier's extra line


def test_the_label_of_a_paid_order_collects_nothing(client, commune_a):
    shipment = shipment_for(order_ready(commune_a, cod=False))
    _login(client, shipment.order.seller.leader)

    html = client.get(reverse("shipping:label", args=[shipment.pk])).content.decode()

    assert "Không thu tiền người nhận" in html


def test_the_label_is_404_for_another_seller_and_the_buyer(client, commune_a):
    shipment = shipment_for(order_ready(commune_a))
    url = reverse("shipping:label", args=[shipment.pk])

    for outsider in (SellerFactory().leader, shipment.order.buyer):
        _login(client, outsider)
        assert client.get(url).status_code == 404


def test_a_visitor_is_sent_to_sign_in(client, commune_a):
    shipment = shipment_for(order_ready(commune_a))

    response = client.get(reverse("shipping:label", args=[shipment.pk]))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_label_page_has_a_fixed_number_of_queries(client, commune_a, django_assert_max_num_queries):
    shipment = shipment_for(order_ready(commune_a))
    _login(client, shipment.order.seller.leader)
    url = reverse("shipping:label", args=[shipment.pk])

    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200


# --- Sending, step by step --------------------------------------------------------------------


def test_the_seller_sends_the_order_from_her_phone(client, commune_a):
    order = order_ready(commune_a)
    _login(client, order.seller.leader)

    page = client.get(reverse("shipping:ship", args=[order.reference]))
    created = client.post(
        reverse("shipping:ship", args=[order.reference]), {"carrier": "vnpost", "tracking_code": ""}
    )
    shipment = Shipment.objects.get(order=order)
    coded = client.post(
        reverse("shipping:tracking_code", args=[shipment.pk]), {"tracking_code": "RR473124829VN"}
    )
    sent = client.post(reverse("shipping:shipped", args=[shipment.pk]))

    assert page.status_code == 200
    assert created.status_code == coded.status_code == sent.status_code == 302
    shipment.refresh_from_db()
    assert shipment.tracking_code == "RR473124829VN"
    assert shipment.state == Shipment.State.IN_TRANSIT
    assert shipment.order.state == OrderState.SHIPPED


def test_a_wrong_code_is_shown_next_to_the_field(client, commune_a):
    shipment = shipment_for(order_ready(commune_a))
    _login(client, shipment.order.seller.leader)

    response = client.post(reverse("shipping:tracking_code", args=[shipment.pk]), {"tracking_code": "ABC"})

    assert response.status_code == 400
    assert "không đúng dạng" in response.content.decode()
    assert Shipment.objects.get(pk=shipment.pk).tracking_code == shipment.tracking_code


def test_another_seller_cannot_send_the_order(client, commune_a):
    order = order_ready(commune_a)
    _login(client, SellerFactory().leader)

    response = client.post(reverse("shipping:ship", args=[order.reference]), {"carrier": "vnpost"})

    assert response.status_code == 404
    assert not Shipment.objects.exists()


# --- The buyer follows her parcel ------------------------------------------------------------------


def test_the_buyer_sees_the_path_in_time_order(client, commune_a):
    shipment = shipment_for(order_ready(commune_a))
    _receive(shipment, "in_transit", at="2026-03-03T09:00:00+07:00")
    _receive(shipment, "picked_up", at="2026-03-02T08:00:00+07:00")
    _login(client, shipment.order.buyer)

    response = client.get(reverse("shipping:track", args=[shipment.order.reference]))

    html = response.content.decode()
    assert response.status_code == 200
    assert shipment.tracking_code in html
    assert html.index("Đã lấy hàng") < html.index("Đang vận chuyển</strong>")
    assert "08:00 02/03/2026" in html


def test_tracking_someone_elses_order_is_404(client, commune_a):
    shipment = shipment_for(order_ready(commune_a))
    _login(client, user_with_role("buyer"))

    assert client.get(reverse("shipping:track", args=[shipment.order.reference])).status_code == 404


def test_the_tracking_page_has_a_fixed_number_of_queries(client, commune_a, django_assert_max_num_queries):
    shipment = shipment_for(order_ready(commune_a))
    _login(client, shipment.order.buyer)
    url = reverse("shipping:track", args=[shipment.order.reference])
    _receive(shipment, "picked_up", at="2026-03-02T08:00:00+07:00")
    with django_assert_max_num_queries(10) as few:
        client.get(url)
    for hour in range(10, 20):
        _receive(shipment, "in_transit", at=f"2026-03-02T{hour}:00:00+07:00")

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_include_says_when_nothing_is_sent_yet(commune_a):
    order = order_ready(commune_a)

    html = render_to_string("shipping/_order_tracking.html", {"order": order})

    assert "Người bán chưa gửi hàng" in html


def test_carrier_text_on_the_path_is_escaped(commune_a):
    shipment = shipment_for(order_ready(commune_a))
    from ketnoi.shipping.services import tracking_event_receive

    body = event_body(shipment, "picked_up", location="<script>alert(1)</script>Bưu cục")
    tracking_event_receive(carrier_code="vnpost", body=body, signature=signed(body))

    html = render_to_string("shipping/_order_tracking.html", {"order": Shipment.objects.get().order})

    assert "<script>" not in html
    assert "&lt;script&gt;" in html
