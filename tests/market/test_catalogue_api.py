"""``/api/v1/products``: public search and detail, only public fields."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import ProductFactory, SellerFactory, category_get, photo_build

pytestmark = pytest.mark.django_db

PUBLIC_SELLER_KEYS = {"name", "slug", "verified", "village", "commune", "province"}


@pytest.fixture
def market(commune_a, commune_b):
    son_la = SellerFactory(
        commune=commune_a, name="HTX Dệt Bản Lướt", verified=True, bank_account="7100205123456"
    )
    lao_cai = SellerFactory(commune=commune_b, name="HTX Mật ong Bắc Hà")
    scarf = ProductFactory(seller=son_la, name="Khăn thổ cẩm Thái", price_vnd=350_000, unit="chiếc")
    photo_build(scarf)
    ProductFactory(seller=son_la, name="Miến tỏi đen", category=category_get("food"))
    ProductFactory(
        seller=lao_cai, name="Mật ong bạc hà", category=category_get("honey"), ocop_stars=4, ocop_year=2021
    )
    return {"scarf": scarf}


def test_search_without_diacritics_returns_public_product_fields(client, market):
    # when a partner searches "tho cam"
    response = client.get("/api/v1/products", {"q": "tho cam"})
    # then she gets the scarf with its price, seller, province and small photo
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    scarf = market["scarf"]
    assert item["name"] == "Khăn thổ cẩm Thái" and item["slug"] == scarf.slug
    assert item["price_vnd"] == 350_000 and item["unit"] == "chiếc"
    assert item["province"] == "Tỉnh Sơn La"
    assert item["seller"]["name"] == "HTX Dệt Bản Lướt" and item["seller"]["verified"] is True
    assert set(item["seller"]) == PUBLIC_SELLER_KEYS
    assert item["photo"] == scarf.photos.get().small.url


def test_mien_toi_den_finds_the_vermicelli(client, market):
    body = client.get("/api/v1/products", {"q": "mien toi den"}).json()
    assert [p["name"] for p in body["items"]] == ["Miến tỏi đen"]
    assert body["items"][0]["photo"] is None


def test_filters_and_pages(client, market, commune_b):
    assert [p["name"] for p in client.get("/api/v1/products", {"category": "honey"}).json()["items"]] == [
        "Mật ong bạc hà"
    ]
    body = client.get("/api/v1/products", {"province": commune_b.province_id}).json()
    assert [p["name"] for p in body["items"]] == ["Mật ong bạc hà"]
    assert client.get("/api/v1/products", {"ocop_min": 4}).json()["count"] == 1
    assert client.get("/api/v1/products", {"page": 2}).json()["items"] == []


def test_a_bad_filter_is_a_clear_400_or_422(client, market):
    response = client.get("/api/v1/products", {"ocop_min": 9})
    assert response.status_code in (400, 422)
    assert response.json()["detail"]


def test_the_detail_has_the_story_photos_and_stock(client, market):
    scarf = market["scarf"]
    body = client.get(f"/api/v1/products/{scarf.slug}").json()
    assert body["story"].startswith("Chị Lò Thị Ơn")
    assert body["stock"] == 10 and len(body["photos"]) == 1
    assert body["photos"][0]["srcset"].endswith("1280w")
    assert set(body["seller"]) == PUBLIC_SELLER_KEYS


def test_an_unknown_or_hidden_product_is_a_json_404(client, market):
    assert client.get("/api/v1/products/khong-co").status_code == 404
    scarf = market["scarf"]
    scarf.is_active = False
    scarf.save()
    response = client.get(f"/api/v1/products/{scarf.slug}")
    assert response.status_code == 404 and response.json()["detail"]


def test_private_seller_data_never_leaves_through_the_api(client, market):
    texts = [
        client.get("/api/v1/products").content.decode(),
        client.get(f"/api/v1/products/{market['scarf'].slug}").content.decode(),
    ]
    for text in texts:
        for private in ("women_led", "ethnic", "bank", "7100205123456", "pickup", "tax_code", "leader"):
            assert private not in text


def test_script_in_a_name_comes_back_as_data(client, commune_a):
    ProductFactory(seller=SellerFactory(commune=commune_a), name="<script>x</script> Chè")
    body = json.loads(client.get("/api/v1/products", {"q": "che"}).content)
    assert body["items"][0]["name"] == "<script>x</script> Chè"


def test_the_list_costs_the_same_queries_with_more_products(client, commune_a):
    seller = SellerFactory(commune=commune_a)
    photo_build(ProductFactory(seller=seller))
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/products")
    for _ in range(15):
        photo_build(ProductFactory(seller=seller))
    with CaptureQueriesContext(connection) as many:
        client.get("/api/v1/products")
    assert len(many) == len(few) <= 2


def test_categories_are_listed_with_english_names(client, db):
    category_get()
    body = client.get("/api/v1/products/categories").json()
    assert {"slug": "honey", "name": "Mật ong", "name_en": "Honey"} in body
