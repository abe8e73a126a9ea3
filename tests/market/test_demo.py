"""The marketplace's demo: twelve sellers, their products with photos, and orders at every step."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest

from ketnoi.accounts import demo as accounts_demo
from ketnoi.core.models import AuditEntry
from ketnoi.core.phone import normalize_phone
from ketnoi.core.text import fold
from ketnoi.ledger.models import Posting, Transfer
from ketnoi.ledger.services import account_balance, balances_check, transfers_check
from ketnoi.market import demo as market_demo
from ketnoi.market.models import Order, OrderEvent, OrderState, Product, ProductPhoto, Review, Seller
from ketnoi.market.selectors import product_search
from ketnoi.market.selectors_orders import seller_revenue_by_month
from ketnoi.payments.models import Payment
from ketnoi.shipping.models import Shipment, TrackingEvent

pytestmark = pytest.mark.django_db

S = OrderState
EVERY_STATE = (
    S.PLACED,
    S.AWAITING_PAYMENT,
    S.PAID,
    S.COD_CONFIRMED,
    S.PACKED,
    S.SHIPPED,
    S.DELIVERED,
    S.COMPLETED,
    S.CANCELLED,
    S.REFUNDED,
)


def _seed() -> str:
    out = StringIO()
    accounts_demo.seed(out)
    market_demo.seed(out)
    return out.getvalue()


def _snapshot() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            Seller,
            Product,
            ProductPhoto,
            Order,
            OrderEvent,
            Payment,
            Shipment,
            TrackingEvent,
            Review,
            Transfer,
            Posting,
            AuditEntry,
        )
    )


def test_seeding_twice_adds_nothing_the_second_time():
    # Given the demo marketplace
    _seed()
    first = _snapshot()

    # When the demo is loaded again
    out = _seed()

    # Then nothing was added, and it says so
    assert _snapshot() == first
    assert "nothing to add" in out


def test_twelve_sellers_in_mountain_communes_led_by_the_demo_cooperatives_people():
    # When the demo is loaded
    out = _seed()

    # Then there are twelve sellers in five mountain provinces, each with a story and a bank account
    sellers = market_demo.demo_sellers().select_related("commune__province", "leader")
    assert sellers.count() == 12
    assert "12 sellers" in out
    assert set(sellers.values_list("commune__province__codename", flat=True)) == {
        "son_la",
        "lao_cai",
        "thai_nguyen",
        "lam_dong",
        "tuyen_quang",
    }
    for seller in sellers:
        assert seller.story and seller.story_en, seller.name
        assert len(seller.bank_bin) == 6 and seller.bank_account.isdigit(), seller.name
    # And a few (not all) carry the programme's badge, granted by an officer
    verified = sellers.filter(verified=True)
    assert 2 <= verified.count() < 12
    assert not verified.filter(verified_by__isnull=True).exists()

    # And the five cooperatives of the demo accounts are led by their first member, with the others in
    for coop in accounts_demo.DEMO_COOPERATIVES:
        seller = sellers.get(name=coop.name)
        (leader_phone, _name), *members = coop.members
        assert seller.leader.phone == normalize_phone(leader_phone)
        assert seller.commune.short_name == coop.commune
        assert set(seller.members.values_list("phone", flat=True)) == {
            normalize_phone(p) for p, _n in members
        }

    # And the weaver of the demo accounts leads the Mường Bú brocade cooperative
    assert sellers.get(leader__phone=normalize_phone("0900000004")).name == "HTX Dệt thổ cẩm Mường Bú"


def test_forty_products_with_stories_and_clean_photos_found_by_typing_without_diacritics():
    # When the demo is loaded
    _seed()

    # Then there are more than forty products, priced in đồng, each with its story in two languages
    products = Product.objects.filter(seller__in=market_demo.demo_sellers())
    assert products.count() >= 40
    for product in products:
        assert product.price_vnd > 1000 and product.weight_g > 0 and product.unit, product.name
        assert product.name_en and product.story_en, product.name
        assert all([product.story_who, product.story_how, product.story_from, product.story_meaning]), (
            product.name
        )
    assert products.filter(ocop_stars__isnull=False).count() >= 5

    # And each has a photo made by the real pipeline (three WebP sizes), which passes the quality checks
    photos = ProductPhoto.objects.filter(product__in=products)
    assert set(photos.values_list("product", flat=True)) == set(products.values_list("pk", flat=True))
    for photo in photos:
        assert photo.hints == [], photo.product.name
        assert photo.small.name.endswith("-320w.webp") and photo.small.storage.exists(photo.small.name)
        assert photo.small_width == 320

    # And exactly one product is named "thổ cẩm", and "tho cam" finds it first
    assert [p.name for p in products if "tho cam" in fold(p.name)] == ["Khăn thổ cẩm dệt tay Mường Bú"]
    assert product_search("tho cam").first().name == "Khăn thổ cẩm dệt tay Mường Bú"
    # And "mien toi den" finds the black-garlic vermicelli
    assert "Miến tỏi đen Ba Bể" in [p.name for p in product_search("mien toi den")]


def test_orders_at_every_step_with_their_payments_parcels_reviews_and_a_balanced_ledger():
    # When the demo is loaded
    _seed()

    # Then the demo buyers have orders in every state
    phones = [normalize_phone(buyer.phone) for buyer in market_demo.DEMO_BUYERS]
    orders = Order.objects.filter(buyer__phone__in=phones)
    states = Counter(orders.values_list("state", flat=True))
    assert {state: states[state] for state in EVERY_STATE if not states[state]} == {}
    # And the README's buyer starts with none (she tries the shop from an empty list)
    assert not Order.objects.filter(buyer__phone=normalize_phone("0900000005")).exists()

    # And every order that got its money has a confirmed payment (refunded: refunded)
    for order in orders.filter(state__in=(S.PAID, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED)):
        if order.payment_method == "vietqr" or order.state in (S.DELIVERED, S.COMPLETED):
            assert order.payment.state == Payment.State.CONFIRMED, order.reference
    assert {o.payment.state for o in orders.filter(state=S.REFUNDED)} == {Payment.State.REFUNDED}
    assert {o.payment.state for o in orders.filter(state=S.AWAITING_PAYMENT)} == {Payment.State.PENDING}

    # And parcels on their way have a path; delivered ones ended with the carrier's "delivered"
    for order in orders.filter(state__in=(S.SHIPPED, S.DELIVERED, S.COMPLETED)):
        path = list(order.shipment.events.values_list("status", flat=True))
        assert len(path) >= 3, order.reference
        assert (path[-1] == "delivered") == (order.state != S.SHIPPED), (order.reference, path)
    assert not Shipment.objects.filter(order__state=S.PACKED).exclude(state=Shipment.State.READY).exists()

    # And every line of a completed order has the buyer's stars
    completed_lines = [line for order in orders.filter(state=S.COMPLETED) for line in order.lines.all()]
    assert completed_lines
    assert all(hasattr(line, "review") for line in completed_lines)

    # And the ledger balances: cash collected on delivery has all been passed on to the sellers
    assert balances_check() == []
    assert transfers_check() == []
    assert account_balance("carrier-vnpost-cod") == 0
    weaver = Seller.objects.get(name="HTX Dệt thổ cẩm Mường Bú")
    assert account_balance(f"seller-{weaver.pk}-sales") > 0

    # And the weaver's dashboard shows sales in several past months
    months = seller_revenue_by_month(seller=weaver, months=12)
    assert sum(1 for month in months if month.total_vnd > 0) >= 4
