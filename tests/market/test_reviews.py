"""Reviews: after delivery, one per order line, by its buyer; the product's average."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse

from ketnoi.core.errors import DomainError, NotFound
from ketnoi.market.models import OrderState, PaymentMethod, Review
from ketnoi.market.selectors_talk import product_rating
from ketnoi.market.services.reviews import review_create
from tests.accounts.factories import PASSWORD

from .factories import ProductFactory, SellerFactory
from .order_helpers import advance, buyer_make, hanoi_commune, place

pytestmark = pytest.mark.django_db

S = OrderState


@pytest.fixture
def product(db):
    return ProductFactory(name="Chè Shan tuyết", seller=SellerFactory(), stock=20)


def _order(product, *, state=S.DELIVERED, buyer=None, quantity=1):
    buyer = buyer or buyer_make(display_name="Phạm Minh Thư")
    (order,) = place(buyer, (product, quantity), commune=hanoi_commune(), payment_method=PaymentMethod.COD)
    path = [S.COD_CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED]
    return advance(order, *path[: path.index(state) + 1]) if state in path else order


def test_the_buyer_reviews_a_delivered_line(product):
    order = _order(product)
    line = order.lines.get()

    review = review_create(
        line=line, author=order.buyer, stars=5, text="Chè <b>thơm</b>, <script>x</script>ngon!"
    )

    stored = Review.objects.get(pk=review.pk)
    assert (stored.stars, stored.product, stored.author) == (5, product, order.buyer)
    assert stored.text == "Chè <b>thơm</b>, ngon!"


def test_a_completed_order_may_be_reviewed_too(product):
    order = _order(product, state=S.COMPLETED)

    assert review_create(line=order.lines.get(), author=order.buyer, stars=4).stars == 4


@pytest.mark.parametrize("state", [S.PLACED, S.COD_CONFIRMED, S.PACKED, S.SHIPPED])
def test_no_review_before_delivery(product, state):
    order = _order(product, state=state)

    with pytest.raises(DomainError) as refused:
        review_create(line=order.lines.get(), author=order.buyer, stars=5)

    assert refused.value.status == 409
    assert not Review.objects.exists()


def test_a_second_review_of_the_same_line_is_refused(product):
    order = _order(product)
    line = order.lines.get()
    review_create(line=line, author=order.buyer, stars=5)

    with pytest.raises(DomainError, match="rồi"):
        review_create(line=line, author=order.buyer, stars=1, text="Đổi ý")

    assert list(Review.objects.values_list("stars", flat=True)) == [5]


def test_another_buyers_line_is_not_found(product):
    order = _order(product)

    with pytest.raises(NotFound):
        review_create(line=order.lines.get(), author=buyer_make(), stars=1)

    assert not Review.objects.exists()


@pytest.mark.parametrize(("stars", "text"), [(0, ""), (6, ""), (True, ""), (5, "x" * 2001)])
def test_stars_out_of_range_or_long_text_are_refused(product, stars, text):
    order = _order(product)

    with pytest.raises(ValidationError):
        review_create(line=order.lines.get(), author=order.buyer, stars=stars, text=text)

    assert not Review.objects.exists()


def test_the_products_rating_is_the_average_of_its_reviews(product):
    assert (product_rating(product).average, product_rating(product).count) == (None, 0)
    for stars in (5, 4, 4):
        order = _order(product)
        review_create(line=order.lines.get(), author=order.buyer, stars=stars)

    rating = product_rating(product)

    assert (rating.average, rating.count) == (4.3, 3)


def test_the_product_reviews_include_renders_text_escaped(product):
    order = _order(product)
    review = review_create(
        line=order.lines.get(), author=order.buyer, stars=4, text="<i>Ngon</i> 1 < 2 <img src=x>"
    )

    html = render_to_string(
        "market/talk/_product_reviews.html", {"rating": product_rating(product), "reviews": [review]}
    )

    assert "<i>Ngon</i> 1 &lt; 2" in html
    assert "<img" not in html
    assert "4.0/5" in html or "4,0/5" in html


# --- Pages ---------------------------------------------------------------------------------------


def test_the_buyer_reviews_from_the_order_page(client, product):
    order = _order(product)
    line = order.lines.get()
    assert client.login(phone=order.buyer.phone, password=PASSWORD)

    page = client.get(reverse("market:review_order", args=[order.reference]))
    posted = client.post(reverse("market:review_create", args=[line.pk]), {"stars": "4", "text": "Chè ngon"})
    after = client.get(posted["Location"]).content.decode()

    assert page.status_code == 200 and 'name="stars"' in page.content.decode()
    assert posted.status_code == 302
    assert "Chè ngon" in after and "★★★★☆" in after
    assert 'name="stars"' not in after


def test_the_page_refuses_a_review_before_delivery(client, product):
    order = _order(product, state=S.SHIPPED)
    assert client.login(phone=order.buyer.phone, password=PASSWORD)

    response = client.post(reverse("market:review_create", args=[order.lines.get().pk]), {"stars": "5"})

    assert response.status_code == 409
    assert not Review.objects.exists()


def test_another_buyer_gets_404(client, product):
    order = _order(product)
    stranger = buyer_make()
    assert client.login(phone=stranger.phone, password=PASSWORD)

    assert client.get(reverse("market:review_order", args=[order.reference])).status_code == 404
    assert (
        client.post(reverse("market:review_create", args=[order.lines.get().pk]), {"stars": "5"}).status_code
        == 404
    )
    assert not Review.objects.exists()
