"""The cart: a visitor's or a buyer's, whole quantities 1–999, grouped by seller, merged at sign-in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketnoi.core.errors import DomainError, NotFound
from ketnoi.market.models import Cart, CartLine
from ketnoi.market.services.cart import MAX_LINES, cart_add, cart_line_remove, cart_line_update, cart_merge
from tests.accounts.factories import PASSWORD
from tests.accounts.helpers import sign_in

from .factories import ProductFactory, SellerFactory
from .order_helpers import buyer_make, cart_of

pytestmark = pytest.mark.django_db

CART = "/cart/"


def add_url(product) -> str:
    return f"/cart/add/{product.pk}/"


@pytest.fixture
def buyer():
    return buyer_make(display_name="Nguyễn Thị Lan")


@pytest.fixture
def scarf(commune_a):
    seller = SellerFactory(commune=commune_a, name="HTX Thổ cẩm Mường Bú")
    return ProductFactory(seller=seller, name="Khăn thổ cẩm", price_vnd=250_000, stock=5, unit="chiếc")


@pytest.fixture
def tea(commune_b):
    seller = SellerFactory(commune=commune_b, name="HTX Chè Bắc Hà")
    return ProductFactory(seller=seller, name="Chè Shan tuyết", price_vnd=90_000, stock=9, unit="gói")


def quantities(cart) -> dict[str, int]:
    return dict(CartLine.objects.filter(cart=cart).values_list("product__name", "quantity"))


# --- The service ---------------------------------------------------------------------------------


def test_adding_twice_adds_up_and_a_first_add_makes_the_cart(buyer, scarf):
    assert not Cart.objects.filter(buyer=buyer).exists()

    cart_add(user=buyer, session_key=None, product_id=scarf.pk, quantity=2)
    cart_add(user=buyer, session_key=None, product_id=scarf.pk, quantity=1)

    assert quantities(Cart.objects.get(buyer=buyer)) == {"Khăn thổ cẩm": 3}


@pytest.mark.parametrize("quantity", [0, -1, 1000, 2.5, "2", True, None])
def test_a_quantity_outside_1_to_999_or_not_a_whole_number_is_refused(buyer, scarf, quantity):
    with pytest.raises(DomainError, match="số nguyên từ 1 đến 999"):
        cart_add(user=buyer, session_key=None, product_id=scarf.pk, quantity=quantity)

    assert not CartLine.objects.exists()


def test_more_than_the_stock_is_refused_naming_what_is_left(buyer, scarf):
    cart_add(user=buyer, session_key=None, product_id=scarf.pk, quantity=4)

    with pytest.raises(DomainError) as refused:
        cart_add(user=buyer, session_key=None, product_id=scarf.pk, quantity=2)

    assert refused.value.status == 409
    assert str(refused.value) == "“Khăn thổ cẩm” chỉ còn 5 chiếc."
    assert quantities(Cart.objects.get(buyer=buyer)) == {"Khăn thổ cẩm": 4}


def test_a_product_no_longer_sold_or_unknown_cannot_be_added(buyer, scarf):
    type(scarf).objects.filter(pk=scarf.pk).update(is_active=False)

    with pytest.raises(DomainError, match="ngừng bán"):
        cart_add(user=buyer, session_key=None, product_id=scarf.pk, quantity=1)
    with pytest.raises(NotFound):
        cart_add(user=buyer, session_key=None, product_id=987654, quantity=1)


def test_a_cart_holds_at_most_so_many_products(buyer, scarf):
    seller = scarf.seller
    for _n in range(MAX_LINES):
        cart_add(user=buyer, session_key=None, product_id=ProductFactory(seller=seller).pk, quantity=1)

    with pytest.raises(DomainError, match="Giỏ hàng đã có"):
        cart_add(user=buyer, session_key=None, product_id=scarf.pk, quantity=1)


def test_lowering_below_stock_is_allowed_and_raising_above_is_not(buyer, scarf):
    cart = cart_of(buyer, (scarf, 5))
    line = CartLine.objects.get(cart=cart)
    type(scarf).objects.filter(pk=scarf.pk).update(stock=2)

    cart_line_update(user=buyer, session_key=None, line_id=line.pk, quantity=2)
    with pytest.raises(DomainError, match="chỉ còn 2"):
        cart_line_update(user=buyer, session_key=None, line_id=line.pk, quantity=3)

    assert quantities(cart) == {"Khăn thổ cẩm": 2}


def test_someone_elses_cart_line_cannot_be_changed_or_removed(buyer, scarf):
    line = CartLine.objects.get(cart=cart_of(buyer, (scarf, 1)))
    intruder = buyer_make()

    with pytest.raises(NotFound):
        cart_line_update(user=intruder, session_key=None, line_id=line.pk, quantity=3)
    with pytest.raises(NotFound):
        cart_line_remove(user=intruder, session_key="some-other-session", line_id=line.pk)
    assert CartLine.objects.get(pk=line.pk).quantity == 1


def test_the_visitors_cart_merges_into_hers_at_sign_in(buyer, scarf, tea):
    cart_of(buyer, (scarf, 1))
    cart_add(user=None, session_key="visitor-session", product_id=scarf.pk, quantity=2)
    cart_add(user=None, session_key="visitor-session", product_id=tea.pk, quantity=3)

    cart = cart_merge("visitor-session", buyer)

    assert quantities(cart) == {"Khăn thổ cẩm": 3, "Chè Shan tuyết": 3}
    assert not Cart.objects.filter(session_key="visitor-session").exists()
    # nothing left to merge the second time
    assert cart_merge("visitor-session", buyer) is None
    assert quantities(cart) == {"Khăn thổ cẩm": 3, "Chè Shan tuyết": 3}


# --- The pages ------------------------------------------------------------------------------------


def test_a_visitor_adds_to_her_cart_and_sees_it_grouped_by_seller(client, scarf, tea):
    response = client.post(add_url(scarf), {"quantity": "2"})
    assert response.status_code == 302
    assert response["Location"] == CART
    client.post(add_url(tea), {"quantity": "3"})

    page = client.get(CART)

    html = page.content.decode()
    assert page.status_code == 200
    assert "Đã cho “Khăn thổ cẩm” vào giỏ hàng." in html
    assert html.count('data-testid="cart-seller"') == 2
    assert "HTX Thổ cẩm Mường Bú" in html and "HTX Chè Bắc Hà" in html
    assert "500.000\u00a0₫" in html  # 2 × 250.000
    assert "270.000\u00a0₫" in html  # 3 × 90.000
    assert "770.000\u00a0₫" in html  # the total
    assert Cart.objects.get(session_key=client.session.session_key).buyer is None


def test_a_price_posted_with_the_quantity_is_ignored(client, buyer, scarf):
    sign_in(client, buyer)

    client.post(add_url(scarf), {"quantity": "1", "price_vnd": "1000", "price": "1000", "total_vnd": "1000"})

    html = client.get(CART).content.decode()
    assert "250.000\u00a0₫" in html
    assert "1.000\u00a0₫" not in html


@pytest.mark.parametrize("quantity", ["0", "-1", "2.5", "1e3", "abc", "", "1000", "٣"])
def test_a_bad_quantity_gets_a_clear_message_and_changes_nothing(client, buyer, scarf, quantity):
    sign_in(client, buyer)

    response = client.post(add_url(scarf), {"quantity": quantity})

    assert response.status_code == 400
    assert "Số lượng phải là số nguyên từ 1 đến 999" in response.content.decode()
    assert not CartLine.objects.exists()


def test_more_than_the_stock_through_the_page_is_refused_with_409(client, buyer, scarf):
    sign_in(client, buyer)

    response = client.post(add_url(scarf), {"quantity": "6"})

    assert response.status_code == 409
    assert "“Khăn thổ cẩm” chỉ còn 5 chiếc." in response.content.decode()
    assert not CartLine.objects.exists()


def test_a_line_out_of_stock_or_no_longer_sold_is_shown_with_a_note_and_no_checkout_button(
    client, buyer, scarf, tea
):
    sign_in(client, buyer)
    cart_of(buyer, (scarf, 2), (tea, 1))
    type(scarf).objects.filter(pk=scarf.pk).update(stock=0)
    type(tea).objects.filter(pk=tea.pk).update(is_active=False)

    html = client.get(CART).content.decode()

    assert "Đã hết hàng. Hãy bỏ khỏi giỏ." in html
    assert "Sản phẩm này đã ngừng bán. Hãy bỏ khỏi giỏ." in html
    assert 'data-testid="to-checkout"' not in html


def test_changing_and_removing_a_line_through_the_page(client, buyer, scarf, tea):
    sign_in(client, buyer)
    cart = cart_of(buyer, (scarf, 1), (tea, 1))
    scarf_line = CartLine.objects.get(cart=cart, product=scarf)
    tea_line = CartLine.objects.get(cart=cart, product=tea)

    assert client.post(f"/cart/lines/{scarf_line.pk}/", {"quantity": "4"}).status_code == 302
    assert client.post(f"/cart/lines/{tea_line.pk}/remove/").status_code == 302

    assert quantities(cart) == {"Khăn thổ cẩm": 4}


def test_another_buyers_line_through_the_page_is_404(client, buyer, scarf):
    line = CartLine.objects.get(cart=cart_of(buyer, (scarf, 1)))
    sign_in(client, buyer_make())

    assert client.post(f"/cart/lines/{line.pk}/", {"quantity": "3"}).status_code == 404
    assert client.post(f"/cart/lines/{line.pk}/remove/").status_code == 404
    assert CartLine.objects.get(pk=line.pk).quantity == 1


def test_the_cart_page_costs_the_same_queries_for_1_or_20_lines(
    client, buyer, scarf, django_assert_max_num_queries
):
    sign_in(client, buyer)
    cart_of(buyer, (scarf, 1))
    with django_assert_max_num_queries(5):
        assert client.get(CART).status_code == 200

    for _n in range(19):
        cart_of(buyer, (ProductFactory(seller=SellerFactory()), 1))
    with django_assert_max_num_queries(5) as captured:
        html = client.get(CART).content.decode()
    assert html.count('data-testid="cart-line"') == 20
    assert len(captured) <= 5


def test_an_empty_cart_says_so(client):
    html = client.get(CART).content.decode()

    assert 'data-testid="cart-empty"' in html


def test_what_a_visitor_put_in_her_cart_is_still_there_after_she_signs_in(client, buyer, scarf):
    # given a visitor who fills her cart, then signs in with her phone
    client.post(add_url(scarf), {"quantity": "2"})

    response = client.post(reverse("accounts:login"), {"phone": buyer.phone, "password": PASSWORD})

    # then the cart is hers, with what she chose
    assert response.status_code == 302
    assert quantities(Cart.objects.get(buyer=buyer)) == {"Khăn thổ cẩm": 2}
