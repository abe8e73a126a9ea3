"""Checkout and order pages: what the buyer and the seller see and may do; nobody else sees anything."""

from __future__ import annotations

import pytest

from ketnoi.market.models import CartLine, Order, OrderState, PaymentMethod
from tests.accounts.helpers import sign_in

from .factories import ProductFactory, SellerFactory
from .order_helpers import (
    BUYER_PHONE,
    advance,
    buyer_make,
    cart_of,
    hanoi_commune,
    place,
    stock_of,
)

pytestmark = pytest.mark.django_db

S = OrderState
CHECKOUT = "/checkout/"


def order_url(order) -> str:
    return f"/orders/{order.reference}/"


def move(client, order, to, **extra):
    return client.post(f"/orders/{order.reference}/move/", {"to": to, **extra})


@pytest.fixture
def buyer(commune_a):
    return buyer_make(display_name="Nguyễn Thị Lan")


@pytest.fixture
def hanoi(db):
    return hanoi_commune()


@pytest.fixture
def shop(commune_a):
    seller = SellerFactory(commune=commune_a, name="HTX Thổ cẩm Mường Bú")
    return {
        "seller": seller,
        "scarf": ProductFactory(seller=seller, name="Khăn thổ cẩm", price_vnd=250_000, weight_g=300, stock=5),
        "bag": ProductFactory(seller=seller, name="Túi thổ cẩm", price_vnd=120_000, weight_g=500, stock=4),
    }


@pytest.fixture
def tea_shop(commune_b):
    seller = SellerFactory(commune=commune_b, name="HTX Chè Bắc Hà")
    return {
        "seller": seller,
        "tea": ProductFactory(seller=seller, name="Chè Shan tuyết", price_vnd=90_000, stock=9),
    }


def checkout_form(where, /, **changes) -> dict[str, str]:
    data = {
        "buyer_name": "Nguyễn Thị Lan",
        "buyer_phone": BUYER_PHONE,
        "province": str(where.province_id),
        "commune": str(where.pk),
        "delivery_line": "Số 12 ngõ 34 phố Huế",
        "payment_method": PaymentMethod.VIETQR,
        "note": "Gọi trước khi giao",
    }
    data.update(changes)
    return data


# --- Checkout ----------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_sign_in_before_checkout(client):
    response = client.get(CHECKOUT)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/checkout/")


def test_an_empty_cart_goes_back_to_the_cart(client, buyer):
    sign_in(client, buyer)

    response = client.get(CHECKOUT, follow=True)

    assert response.redirect_chain == [("/cart/", 302)]
    assert "Giỏ hàng đang trống" in response.content.decode()


def test_the_checkout_page_shows_the_cart_and_her_details(client, buyer, shop, commune_a):
    type(buyer).objects.filter(pk=buyer.pk).update(home_commune=commune_a)
    sign_in(client, buyer)
    cart_of(buyer, (shop["scarf"], 2))

    html = client.get(CHECKOUT).content.decode()

    assert "HTX Thổ cẩm Mường Bú" in html
    assert "Khăn thổ cẩm × 2" in html
    assert 'value="Nguyễn Thị Lan"' in html
    assert f'<option value="{commune_a.pk}" selected>Xã Mường Bú</option>' in html
    assert "15.000\u00a0₫ cho 500 g đầu" in html  # the delivery table is explained


def test_choosing_a_province_lists_its_communes(client, buyer, shop, commune_b):
    sign_in(client, buyer)

    partial = client.get(
        "/checkout/communes/", {"province": commune_b.province_id}, headers={"HX-Request": "true"}
    )

    html = partial.content.decode()
    assert partial.status_code == 200
    assert html.lstrip().startswith('<div id="commune-field">')
    assert f'<option value="{commune_b.pk}">Xã Bắc Hà</option>' in html
    assert "Xã Mường Bú" not in html


def test_without_javascript_choosing_a_province_keeps_what_she_typed(client, buyer, shop, commune_b):
    sign_in(client, buyer)
    cart_of(buyer, (shop["scarf"], 1))
    data = checkout_form(commune_b, commune="", buyer_name="Lò Thị Ơn", choose_province="1")

    response = client.post(CHECKOUT, data)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Lò Thị Ơn"' in html
    assert f'<option value="{commune_b.pk}">Xã Bắc Hà</option>' in html
    assert 'class="errorlist"' not in html
    assert not Order.objects.exists()


def test_placing_orders_from_two_sellers_ignores_tampered_prices_and_lists_both(
    client, buyer, shop, tea_shop, hanoi
):
    sign_in(client, buyer)
    cart_of(buyer, (shop["scarf"], 2), (tea_shop["tea"], 1))
    tampered = {
        "price_vnd": "1",
        "unit_price_vnd": "1",
        "subtotal_vnd": "1",
        "shipping_vnd": "0",
        "total_vnd": "1",
        f"price_{shop['scarf'].pk}": "1",
    }

    response = client.post(CHECKOUT, {**checkout_form(hanoi), **tampered}, follow=True)

    html = response.content.decode()
    orders = {o.seller_id: o for o in Order.objects.all()}
    assert len(orders) == 2
    brocade, tea = orders[shop["seller"].pk], orders[tea_shop["seller"].pk]
    assert (brocade.subtotal_vnd, brocade.shipping_vnd, brocade.total_vnd) == (500_000, 40_000, 540_000)
    assert (tea.subtotal_vnd, tea.total_vnd) == (90_000, 120_000)
    assert response.redirect_chain[-1][0] == f"/checkout/done/{brocade.checkout_id}/"
    assert html.count('data-testid="checkout-order"') == 2
    assert f'href="/orders/{brocade.reference}/"' in html and f'href="/orders/{tea.reference}/"' in html
    assert "660.000\u00a0₫" in html  # both orders together
    assert brocade.note == "Gọi trước khi giao"
    assert stock_of(shop["scarf"]) == 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"buyer_phone": "0123"}, "không đúng"),
        ({"buyer_name": ""}, "Hãy ghi tên người nhận."),
        ({"delivery_line": ""}, "Hãy ghi số nhà, đường hoặc thôn, bản."),
        ({"payment_method": "bitcoin"}, "Hãy chọn cách trả tiền."),
        ({"commune": "99999999"}, "Hãy chọn xã/phường trong danh sách."),
    ],
)
def test_bad_details_get_a_clear_message_and_wherenothing(client, buyer, shop, hanoi, changes, message):
    sign_in(client, buyer)
    cart_of(buyer, (shop["scarf"], 1))

    response = client.post(CHECKOUT, checkout_form(hanoi, **changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Order.objects.exists()
    assert stock_of(shop["scarf"]) == 5


def test_a_commune_of_another_province_is_refused(client, buyer, shop, hanoi, commune_b):
    sign_in(client, buyer)
    cart_of(buyer, (shop["scarf"], 1))

    response = client.post(CHECKOUT, checkout_form(hanoi, commune=str(commune_b.pk)))

    assert response.status_code == 400
    assert not Order.objects.exists()


def test_more_than_the_stock_at_checkout_is_refused_naming_the_product(client, buyer, shop, hanoi):
    sign_in(client, buyer)
    cart_of(buyer, (shop["scarf"], 1), (shop["bag"], 3))
    type(shop["bag"]).objects.filter(pk=shop["bag"].pk).update(stock=2)

    response = client.post(CHECKOUT, checkout_form(hanoi))

    html = response.content.decode()
    assert response.status_code == 409
    assert "Không đủ hàng: “Túi thổ cẩm” chỉ còn 2" in html
    assert not Order.objects.exists()
    assert (stock_of(shop["scarf"]), stock_of(shop["bag"])) == (5, 2)
    assert CartLine.objects.filter(cart__buyer=buyer).count() == 2


def test_someone_elses_checkout_page_is_404(client, buyer, shop, hanoi):
    (order,) = place(buyer, (shop["scarf"], 1), commune=hanoi)
    sign_in(client, buyer_make())

    assert client.get(f"/checkout/done/{order.checkout_id}/").status_code == 404


# --- The buyer's orders --------------------------------------------------------------------------


def test_her_orders_list_shows_hers_only_at_a_fixed_query_count(
    client, buyer, shop, hanoi, django_assert_max_num_queries
):
    (mine,) = place(buyer, (shop["scarf"], 1), commune=hanoi)
    (theirs,) = place(buyer_make(), (shop["bag"], 1), commune=hanoi)
    sign_in(client, buyer)

    with django_assert_max_num_queries(5):
        html = client.get("/orders/").content.decode()
    assert mine.reference in html
    assert theirs.reference not in html

    honey = ProductFactory(seller=SellerFactory(), name="Mật ong bạc hà", stock=50)
    for _n in range(9):
        place(buyer, (honey, 1), commune=hanoi)
    with django_assert_max_num_queries(5):
        html = client.get("/orders/").content.decode()
    assert html.count('data-testid="order"') == 10


def test_the_order_page_shows_lines_totals_payment_history_and_cancel(
    client, buyer, shop, hanoi, django_assert_max_num_queries
):
    (order,) = place(buyer, (shop["scarf"], 2), (shop["bag"], 1), commune=hanoi)
    sign_in(client, buyer)

    with django_assert_max_num_queries(12):
        response = client.get(order_url(order))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Khăn thổ cẩm" in html and "Túi thổ cẩm" in html
    assert "670.000\u00a0₫" in html
    assert 'data-testid="order-state">Chờ thanh toán' in html
    assert 'data-testid="payment-block"' in html
    assert 'data-testid="order-tracking"' in html
    history = html.split('data-testid="order-history"')[1].split("</ol>")[0]
    assert "Đã đặt" in history and "Chờ thanh toán" in history
    assert 'data-testid="move-cancelled"' in html
    assert 'data-testid="move-packed"' not in html


def test_someone_elses_order_is_404_and_a_visitor_is_sent_to_sign_in(client, buyer, shop, hanoi):
    (order,) = place(buyer, (shop["scarf"], 1), commune=hanoi)

    response = client.get(order_url(order))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

    for stranger in (buyer_make(), SellerFactory().leader):
        sign_in(client, stranger)
        assert client.get(order_url(order)).status_code == 404
        assert move(client, order, S.CANCELLED).status_code == 404
    assert client.get("/orders/DHNOSUCH00/").status_code == 404
    order.refresh_from_db()
    assert order.state == S.AWAITING_PAYMENT


def test_the_buyer_cancels_from_her_order_page_and_the_stock_comes_back(client, buyer, shop, hanoi):
    (order,) = place(buyer, (shop["scarf"], 2), commune=hanoi)
    sign_in(client, buyer)

    response = move(client, order, S.CANCELLED, note="Đặt nhầm")

    assert response.status_code == 302
    assert response["Location"] == order_url(order)
    html = client.get(order_url(order)).content.decode()
    assert "Đã huỷ" in html and "Đặt nhầm" in html
    assert stock_of(shop["scarf"]) == 5
    # again: refused, with a message, nothing changes
    again = move(client, order, S.CANCELLED)
    assert again.status_code == 409
    assert "không thể chuyển sang" in again.content.decode()
    assert stock_of(shop["scarf"]) == 5


def test_the_buyer_cannot_mark_her_order_packed_or_shipped(client, buyer, shop, hanoi):
    (order,) = place(buyer, (shop["scarf"], 1), commune=hanoi, payment_method=PaymentMethod.COD)
    advance(order, S.COD_CONFIRMED)
    sign_in(client, buyer)

    packed = move(client, order, S.PACKED)
    assert packed.status_code == 403
    assert "Bạn không được chuyển đơn" in packed.content.decode()
    advance(order, S.PACKED)
    assert move(client, order, S.CANCELLED).status_code == 403  # too late for her
    order.refresh_from_db()
    assert order.state == S.PACKED


@pytest.mark.parametrize("to", [S.PAID, S.SHIPPED, S.DELIVERED, S.REFUNDED, "lost", ""])
def test_moves_owned_by_payments_or_shipping_are_not_made_through_the_order_page(
    client, buyer, shop, hanoi, to
):
    (order,) = place(buyer, (shop["scarf"], 1), commune=hanoi)
    advance(order, S.PAID, S.PACKED)
    sign_in(client, shop["seller"].leader)

    response = move(client, order, to)

    assert response.status_code == 400
    assert "Thao tác không hợp lệ." in response.content.decode()
    order.refresh_from_db()
    assert order.state == S.PACKED


# --- The seller's orders --------------------------------------------------------------------------


def test_the_seller_sees_what_to_do_next_with_her_buttons(client, buyer, shop, hanoi):
    (cod,) = place(buyer, (shop["scarf"], 1), commune=hanoi, payment_method=PaymentMethod.COD)
    (qr,) = place(buyer, (shop["bag"], 1), commune=hanoi)
    (to_pack,) = place(buyer, (shop["scarf"], 1), commune=hanoi, payment_method=PaymentMethod.COD)
    advance(to_pack, S.COD_CONFIRMED)
    (to_ship,) = place(buyer, (shop["scarf"], 1), commune=hanoi)
    advance(to_ship, S.PAID, S.PACKED)
    (other,) = place(buyer, (ProductFactory(), 1), commune=hanoi)  # another shop's
    sign_in(client, shop["seller"].leader)

    html = client.get("/sell/orders/").content.decode()

    assert 'data-testid="count-confirm">2<' in html
    assert 'data-testid="count-pack">1<' in html
    assert 'data-testid="count-ship">1<' in html
    for order in (cod, qr, to_pack, to_ship):
        assert order.reference in html
    assert other.reference not in html
    assert html.count('data-testid="move-cod_confirmed"') == 1
    assert html.count('data-testid="move-packed"') == 1
    assert f'href="/shipping/orders/{to_ship.reference}/send/"' in html


def test_the_seller_confirms_a_cash_order_and_comes_back_to_her_list(client, buyer, shop, hanoi):
    (order,) = place(buyer, (shop["scarf"], 1), commune=hanoi, payment_method=PaymentMethod.COD)
    sign_in(client, shop["seller"].leader)

    response = move(client, order, S.COD_CONFIRMED, next="/sell/orders/")

    assert response.status_code == 302
    assert response["Location"] == "/sell/orders/"
    order.refresh_from_db()
    assert order.state == S.COD_CONFIRMED
    # an outside address in next is not followed
    response = move(client, order, S.PACKED, next="https://example.com/")
    assert response["Location"] == order_url(order)


def test_the_sellers_page_costs_the_same_queries_for_1_or_10_orders(
    client, buyer, shop, hanoi, django_assert_max_num_queries
):
    place(buyer, (shop["scarf"], 1), commune=hanoi, payment_method=PaymentMethod.COD)
    sign_in(client, shop["seller"].leader)
    with django_assert_max_num_queries(7):
        client.get("/sell/orders/")

    for _n in range(4):
        place(buyer, (shop["bag"], 1), commune=hanoi)
    for _n in range(4):
        (order,) = place(buyer, (shop["scarf"], 1), commune=hanoi, payment_method=PaymentMethod.COD)
        advance(order, S.CANCELLED if _n % 2 else S.COD_CONFIRMED)
    with django_assert_max_num_queries(7):
        html = client.get("/sell/orders/").content.decode()
    assert html.count('data-testid="seller-order"') == 7


def test_a_seller_may_open_her_order_but_not_another_shops(client, buyer, shop, tea_shop, hanoi):
    (mine,) = place(buyer, (shop["scarf"], 1), commune=hanoi, payment_method=PaymentMethod.COD)
    (theirs,) = place(buyer, (tea_shop["tea"], 1), commune=hanoi, payment_method=PaymentMethod.COD)
    sign_in(client, shop["seller"].leader)

    html = client.get(order_url(mine)).content.decode()
    assert 'data-testid="move-cod_confirmed"' in html
    assert "Nguyễn Thị Lan" in html
    assert client.get(order_url(theirs)).status_code == 404
    assert move(client, theirs, S.COD_CONFIRMED).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == S.PLACED


def test_someone_who_sells_nothing_is_told_the_sellers_page_is_not_for_her(client, buyer):
    sign_in(client, buyer)

    response = client.get("/sell/orders/")

    assert response.status_code == 403
    assert "Trang này dành cho người bán" in response.content.decode()


def test_after_delivery_the_buyer_is_offered_to_review_and_the_seller_is_not(client, buyer, shop, hanoi):
    (order,) = place(buyer, (shop["scarf"], 1), commune=hanoi, payment_method=PaymentMethod.COD)
    sign_in(client, buyer)
    assert 'data-testid="review-link"' not in client.get(order_url(order)).content.decode()
    advance(order, S.COD_CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED)

    html = client.get(order_url(order)).content.decode()
    assert f'href="/reviews/orders/{order.reference}/" data-testid="review-link"' in html
    assert 'data-testid="ask-seller"' in html
    assert 'data-testid="move-completed"' in html

    sign_in(client, shop["seller"].leader)
    html = client.get(order_url(order)).content.decode()
    assert 'data-testid="review-link"' not in html
    assert 'data-testid="move-completed"' not in html


def test_the_order_page_costs_the_same_queries_for_more_lines_and_steps(
    client, buyer, shop, hanoi, django_assert_max_num_queries
):
    products = [ProductFactory(seller=shop["seller"], stock=5) for _n in range(6)]
    (order,) = place(buyer, *[(p, 1) for p in products], commune=hanoi, payment_method=PaymentMethod.COD)
    advance(order, S.COD_CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED)
    sign_in(client, buyer)

    with django_assert_max_num_queries(12):
        html = client.get(order_url(order)).content.decode()

    assert html.count("× 250.000") == 6
    history = html.split('data-testid="order-history"')[1].split("</ol>")[0]
    assert history.count("<li>") == 5  # placed, confirmed, packed, shipped, delivered
