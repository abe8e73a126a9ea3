"""The public catalogue pages: what a buyer sees, what she never sees, and what each page costs."""

from __future__ import annotations

import gzip

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketnoi.accounts.models import Role
from ketnoi.core.models import AuditEntry
from ketnoi.market.models import OrderLine, Review
from tests.accounts.factories import user_with_role

from .factories import ProductFactory, SellerFactory, category_get, photo_build

pytestmark = pytest.mark.django_db

PAGE_BUDGET_BYTES = 50 * 1024
XSS = "<script>alert('xss')</script>"


def _page(client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _many_products(commune, n: int, *, photos: bool = True) -> None:
    seller = SellerFactory(commune=commune, verified=True)
    for i in range(n):
        product = ProductFactory(seller=seller, name=f"Khăn thổ cẩm số {i}", ocop_stars=4, ocop_year=2022)
        if photos:
            photo_build(product)


# --------------------------------------------------------------- the list


def test_the_catalogue_finds_brocade_typed_without_diacritics(client, commune_a):
    # given a verified seller's brocade and honey with a photo
    seller = SellerFactory(commune=commune_a, verified=True, village="Bản Lướt")
    scarf = ProductFactory(seller=seller, name="Khăn thổ cẩm Thái", price_vnd=350_000, unit="chiếc")
    photo_build(scarf)
    ProductFactory(seller=seller, name="Mật ong bạc hà")
    # when a buyer searches "tho cam"
    html = _page(client, reverse("market:product_list"), q="tho cam")
    # then she sees the scarf's card: photo, price, seller, village, province, badge
    assert "Khăn thổ cẩm Thái" in html and "Mật ong bạc hà" not in html
    assert "350.000\xa0₫" in html
    assert seller.name in html and "Bản Lướt" in html and "Sơn La" in html
    assert "Đã xác minh" in html
    photo = scarf.photos.get()
    assert (
        f'<img src="{photo.small.url}" loading="lazy" width="320" height="240" alt="Khăn thổ cẩm Thái">'
        in html
    )
    assert "Có 1 sản phẩm." in html


def test_an_unverified_seller_has_no_badge(client, commune_a):
    ProductFactory(seller=SellerFactory(commune=commune_a, verified=False), name="Mật ong")
    html = _page(client, reverse("market:product_list"))
    assert "Mật ong" in html and "Đã xác minh" not in html


def test_the_catalogue_filters_by_category_province_and_stars(client, commune_a, commune_b):
    ProductFactory(
        seller=SellerFactory(commune=commune_a), name="Miến tỏi đen", category=category_get("food")
    )
    ProductFactory(
        seller=SellerFactory(commune=commune_b),
        name="Mật ong Bắc Hà",
        category=category_get("honey"),
        ocop_stars=4,
        ocop_year=2023,
    )
    url = reverse("market:product_list")
    html = _page(client, url, category="food")
    assert "Miến tỏi đen" in html and "Mật ong Bắc Hà" not in html
    html = _page(client, url, province=commune_b.province_id)
    assert "Miến tỏi đen" not in html and "Mật ong Bắc Hà" in html
    html = _page(client, url, ocop="4")
    assert "Miến tỏi đen" not in html and "OCOP 4★" in html


def test_nonsense_filters_show_the_page_not_an_error(client, commune_a):
    ProductFactory(seller=SellerFactory(commune=commune_a), name="Miến tỏi đen")
    html = _page(
        client, reverse("market:product_list"), province="xyz", ocop="9", category="nope", page="abc"
    )
    assert "Miến tỏi đen" in html


def test_an_empty_search_says_what_to_do(client, commune_a):
    html = _page(client, reverse("market:product_list"), q="khong co gi")
    assert "Chưa có sản phẩm nào khớp với “khong co gi”" in html


def test_the_catalogue_is_paginated(client, commune_a):
    _many_products(commune_a, 30, photos=False)
    url = reverse("market:product_list")
    first = _page(client, url, q="tho cam")
    second = _page(client, url, q="tho cam", page=2)
    assert first.count('data-testid="product-card"') == 24
    assert second.count('data-testid="product-card"') == 6
    assert "q=tho+cam&amp;page=2" in first and "Trang 1 / 2" in first


def test_the_catalogue_costs_the_same_queries_with_more_products(
    client, commune_a, django_assert_max_num_queries
):
    _many_products(commune_a, 3)
    url = reverse("market:product_list")
    with CaptureQueriesContext(connection) as few:
        _page(client, url)
    _many_products(commune_a, 40)
    with CaptureQueriesContext(connection) as many:
        _page(client, url)
    assert len(many) == len(few)
    with django_assert_max_num_queries(4):  # categories, provinces, count, page
        _page(client, url, q="tho cam", ocop="3")


def test_the_catalogue_page_stays_under_50_kb_compressed(client, commune_a):
    _many_products(commune_a, 30)
    response = client.get(reverse("market:product_list"), HTTP_ACCEPT_ENCODING="gzip")
    body = response.content
    compressed = body if response.get("Content-Encoding") == "gzip" else gzip.compress(body)
    assert len(compressed) < PAGE_BUDGET_BYTES


# ------------------------------------------------------------ the product


@pytest.fixture
def scarf(commune_a):
    seller = SellerFactory(
        commune=commune_a,
        verified=True,
        village="Bản Lướt",
        bank_account="7100205123456",
        pickup_line="Nhà chị Ơn",
    )
    product = ProductFactory(
        seller=seller,
        name="Khăn thổ cẩm Thái",
        stock=4,
        ocop_stars=4,
        ocop_year=2022,
        story_who="chị Lò Thị Ơn",
        story_how="dệt tay trên khung gỗ",
        story_from="sợi bông nhuộm chàm",
        story_meaning="hoa văn kể chuyện mùa lúa",
        story_en="Woven by hand.",
    )
    photo_build(product)
    photo_build(product)
    return product


def test_the_product_page_shows_story_photos_price_seller_and_cart(client, scarf):
    html = _page(client, reverse("market:product_detail", args=[scarf.slug]))
    # the four answers become one paragraph of sentences
    assert "Chị Lò Thị Ơn. Dệt tay trên khung gỗ. Sợi bông nhuộm chàm. Hoa văn kể chuyện mùa lúa." in html
    assert "Woven by hand." in html
    assert "250.000\xa0₫" in html and "OCOP 4 sao (2022)" in html and "Còn 4 (chiếc)" in html
    assert 'data-testid="verified-badge"' in html and "Bản Lướt, Xã Mường Bú, Tỉnh Sơn La" in html
    photos = list(scarf.photos.all())
    assert f"{photos[0].small.url} 320w" in html and f"{photos[0].large.url} 1280w" in html
    assert html.count("<img ") == 2 and html.count('loading="lazy"') == 1  # the first photo loads at once
    # an "add to cart" form posts to the orders part's address for this product
    assert f'action="{reverse("market:cart_add", kwargs={"product_id": scarf.pk})}"' in html
    assert 'name="quantity"' in html and 'max="4"' in html


def test_a_sold_out_product_has_no_cart_form(client, scarf):
    scarf.stock = 0
    scarf.save()
    html = _page(client, reverse("market:product_detail", args=[scarf.slug]))
    assert "Tạm hết hàng" in html and 'name="quantity"' not in html


def test_the_product_page_shows_reviews(client, scarf, commune_b):
    from ketnoi.market.models import Order

    buyer = user_with_role(Role.BUYER)
    order = Order.objects.create(
        reference="KN-T-1",
        seller=scarf.seller,
        buyer=buyer,
        buyer_name="Chị Hoa",
        buyer_phone="+84912345678",
        delivery_commune=commune_b,
        delivery_line="Số 1",
        state="completed",
        payment_method="cod",
        subtotal_vnd=250_000,
        total_vnd=250_000,
    )
    line = OrderLine.objects.create(
        order=order,
        product=scarf,
        product_name=scarf.name,
        unit="chiếc",
        unit_price_vnd=250_000,
        quantity=1,
        line_total_vnd=250_000,
    )
    Review.objects.create(line=line, product=scarf, author=buyer, stars=5, text=f"Đẹp lắm {XSS}")
    html = _page(client, reverse("market:product_detail", args=[scarf.slug]))
    assert "5,0★ từ 1 nhận xét" in html
    assert "Đẹp lắm &lt;script&gt;" in html and XSS not in html


def test_the_product_page_costs_the_same_queries_with_more_photos_and_reviews(
    client, scarf, django_assert_max_num_queries
):
    url = reverse("market:product_detail", args=[scarf.slug])
    with CaptureQueriesContext(connection) as before:
        _page(client, url)
    for _ in range(5):
        photo_build(scarf)
    with CaptureQueriesContext(connection) as after:
        _page(client, url)
    assert len(after) == len(before)
    with django_assert_max_num_queries(4):  # product, photos, review totals, latest reviews
        _page(client, url)


def test_the_product_page_stays_under_50_kb_compressed(client, scarf):
    for _ in range(6):
        photo_build(scarf)
    body = client.get(reverse("market:product_detail", args=[scarf.slug])).content
    assert len(gzip.compress(body)) < PAGE_BUDGET_BYTES


def test_a_hidden_or_unknown_product_is_not_found(client, scarf):
    assert client.get(reverse("market:product_detail", args=["khong-co"])).status_code == 404
    scarf.is_active = False
    scarf.save()
    assert client.get(reverse("market:product_detail", args=[scarf.slug])).status_code == 404


# ------------------------------------------------- escaping and private data


def test_script_in_names_and_stories_is_shown_as_text(client, commune_a):
    seller = SellerFactory(commune=commune_a, name=f"HTX {XSS}", story=f"Nhóm {XSS}")
    product = ProductFactory(seller=seller, name=f"Khăn {XSS}", story_who=XSS, story_en=XSS)
    photo_build(product)
    pages = [
        _page(client, reverse("market:product_list")),
        _page(client, reverse("market:product_detail", args=[product.slug])),
        _page(client, reverse("market:seller_detail", args=[seller.slug])),
    ]
    for html in pages:
        assert XSS not in html
        assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html


def test_private_seller_data_never_reaches_public_pages(client, scarf):
    seller = scarf.seller
    assert seller.women_led and seller.ethnic_minority_led
    pages = [
        _page(client, reverse("market:product_list")),
        _page(client, reverse("market:product_detail", args=[scarf.slug])),
        _page(client, reverse("market:seller_detail", args=[seller.slug])),
    ]
    for html in pages:
        for private in (
            "phụ nữ lãnh đạo",
            "dân tộc thiểu số",
            "women_led",
            "ethnic",
            "7100205123456",
            "Nhà chị Ơn",
        ):
            assert private not in html


# ---------------------------------------------------------- the seller page


def test_the_seller_page_shows_story_place_badge_and_products(client, scarf):
    seller = scarf.seller
    html = _page(client, reverse("market:seller_detail", args=[seller.slug]))
    assert seller.name in html and "Chương trình đã xác minh" in html
    assert "Bản Lướt, Xã Mường Bú, Tỉnh Sơn La" in html
    assert "Khăn thổ cẩm Thái" in html
    assert 'data-testid="verify-form"' not in html  # a visitor cannot verify


def test_the_seller_page_costs_the_same_queries_with_more_products(client, commune_a):
    seller = SellerFactory(commune=commune_a)
    ProductFactory(seller=seller)
    url = reverse("market:seller_detail", args=[seller.slug])
    with CaptureQueriesContext(connection) as few:
        _page(client, url)
    for _ in range(10):
        photo_build(ProductFactory(seller=seller))
    with CaptureQueriesContext(connection) as many:
        _page(client, url)
    assert len(many) == len(few)


def test_an_officer_of_the_commune_verifies_a_seller_from_its_page(client, commune_a):
    seller = SellerFactory(commune=commune_a, verified=False)
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    client.force_login(officer)
    url = reverse("market:seller_detail", args=[seller.slug])
    assert 'data-testid="verify-form"' in _page(client, url)
    response = client.post(
        reverse("market:seller_verify", args=[seller.slug]), {"verified": "1"}, follow=True
    )
    assert "Đã gắn dấu “Chương trình đã xác minh”" in response.content.decode()
    seller.refresh_from_db()
    assert seller.verified and seller.verified_by == officer


def test_an_officer_of_another_commune_cannot_verify(client, commune_a, commune_b):
    seller = SellerFactory(commune=commune_a, verified=False)
    client.force_login(user_with_role(Role.COMMUNE_OFFICER, commune=commune_b))
    assert 'data-testid="verify-form"' not in _page(
        client, reverse("market:seller_detail", args=[seller.slug])
    )
    response = client.post(reverse("market:seller_verify", args=[seller.slug]), {"verified": "1"})
    assert response.status_code == 403
    seller.refresh_from_db()
    assert not seller.verified
    assert not AuditEntry.objects.filter(action="market.seller_verify").exists()


def test_a_seller_cannot_verify_herself(client, commune_a):
    seller = SellerFactory(commune=commune_a, verified=False)
    client.force_login(seller.leader)
    assert (
        client.post(reverse("market:seller_verify", args=[seller.slug]), {"verified": "1"}).status_code == 403
    )
    seller.refresh_from_db()
    assert not seller.verified


# ------------------------------------------------------------ the cached list


def _csrf_tokens(html: str) -> set[str]:
    import re

    return set(re.findall(r'name="csrfmiddlewaretoken" value="(\w+)"', html)) | set(
        re.findall(r'"X-CSRFToken": "(\w+)"', html)
    )


def test_a_repeat_visit_costs_no_query_and_gets_its_own_csrf_token(
    client, commune_a, django_assert_num_queries
):
    ProductFactory(seller=SellerFactory(commune=commune_a), name="Miến tỏi đen")
    url = reverse("market:product_list")
    first = _page(client, url)
    other_visitor = type(client)()
    with django_assert_num_queries(0):
        second = _page(other_visitor, url)
    assert "Miến tỏi đen" in second
    assert "\x00" not in second
    tokens_first, tokens_second = _csrf_tokens(first), _csrf_tokens(second)
    assert len(tokens_first) == 1 and len(tokens_second) == 1 and tokens_first != tokens_second
    # the token in the shared page works: the language switch posts with it
    response = other_visitor.post(
        reverse("accounts:language"),
        {"language": "en", "next": url, "csrfmiddlewaretoken": tokens_second.pop()},
    )
    assert response.status_code == 302


def test_the_csrf_check_still_refuses_a_forged_token(commune_a):
    from django.test import Client

    visitor = Client(enforce_csrf_checks=True)
    _page(visitor, reverse("market:product_list"))
    _page(visitor, reverse("market:product_list"))
    response = visitor.post(reverse("accounts:language"), {"language": "en", "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403


def test_a_signed_in_user_never_gets_a_page_made_for_someone_else(client, commune_a):
    ProductFactory(seller=SellerFactory(commune=commune_a), name="Miến tỏi đen")
    url = reverse("market:product_list")
    _page(type(client)(), url)  # a visitor fills the cache
    buyer = user_with_role(Role.BUYER, display_name="Chị Hoa Mua Hàng")
    client.force_login(buyer)
    assert "Chị Hoa Mua Hàng" in _page(client, url)
    assert "Chị Hoa Mua Hàng" not in _page(type(client)(), url)


def test_a_change_through_the_services_shows_at_once(client, commune_a):
    from ketnoi.market.services.catalogue import product_update

    product = ProductFactory(seller=SellerFactory(commune=commune_a), name="Miến tỏi đen", price_vnd=85_000)
    url = reverse("market:product_list")
    assert "85.000\xa0₫" in _page(client, url)
    product_update(actor=product.seller.leader, product=product, price_vnd=95_000)
    html = _page(client, url)
    assert "95.000\xa0₫" in html and "85.000\xa0₫" not in html


def test_each_language_and_search_has_its_own_page(client, commune_a):
    ProductFactory(seller=SellerFactory(commune=commune_a), name="Miến tỏi đen")
    ProductFactory(seller=SellerFactory(commune=commune_a), name="Trà hoa vàng")
    url = reverse("market:product_list")
    assert "Trà hoa vàng" not in _page(client, url, q="mien")
    assert "Miến tỏi đen" not in _page(client, url, q="tra hoa")
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    vietnamese = client.get(url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert 'lang="en"' in english and 'lang="vi"' in vietnamese
