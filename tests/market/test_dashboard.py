"""The seller's dashboard: what waits for her, and revenue by month as an accessible chart plus a table."""

from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
from django.utils import timezone

from ketnoi.market.charts import month_bars, short_vnd
from ketnoi.market.models import OrderEvent, OrderState, PaymentMethod
from ketnoi.market.selectors_orders import seller_revenue_by_month
from tests.accounts.helpers import sign_in

from .factories import ProductFactory, SellerFactory
from .order_helpers import advance, buyer_make, hanoi_commune, place

pytestmark = pytest.mark.django_db

S = OrderState
DASHBOARD = "/sell/dashboard/"


def months_ago(count: int) -> date:
    today = timezone.localdate()
    year, month = today.year, today.month - count
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def delivered_in(order, month: date):
    """Say ``order`` was delivered on the 10th of ``month`` (noon, local time)."""
    at = timezone.make_aware(datetime.combine(month.replace(day=10), time(12)))
    OrderEvent.objects.filter(order=order, to_state=S.DELIVERED).update(at=at)


@pytest.fixture
def shop(commune_a):
    seller = SellerFactory(commune=commune_a, name="HTX Thổ cẩm Mường Bú")
    return seller, ProductFactory(seller=seller, price_vnd=250_000, weight_g=300, stock=100)


@pytest.fixture
def sales(shop):
    """Orders of the shop in every state that matters for revenue; totals 280.000 (250.000 + 30.000)."""
    seller, product = shop
    buyer, hanoi = buyer_make(), hanoi_commune()

    def order(*states, method=PaymentMethod.COD):
        (one,) = place(buyer, (product, 1), commune=hanoi, payment_method=method)
        return advance(one, *states)

    this_month = order(S.COD_CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED)
    delivered_in(this_month, months_ago(0))
    completed = order(S.PAID, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED, method=PaymentMethod.VIETQR)
    delivered_in(completed, months_ago(2))
    also_two_months_ago = order(S.COD_CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED)
    delivered_in(also_two_months_ago, months_ago(2))
    refunded = order(S.PAID, S.PACKED, S.SHIPPED, S.DELIVERED, S.REFUNDED, method=PaymentMethod.VIETQR)
    delivered_in(refunded, months_ago(1))
    too_old = order(S.COD_CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED)
    delivered_in(too_old, months_ago(12))
    order(S.COD_CONFIRMED, S.PACKED, S.SHIPPED)  # on the way: not revenue yet
    order(S.COD_CONFIRMED)  # to pack
    order()  # to confirm
    return seller


def test_revenue_counts_delivered_and_completed_orders_by_month_of_delivery(sales):
    months = seller_revenue_by_month(seller=sales)

    assert len(months) == 12
    assert months[0].month == months_ago(11)
    assert months[-1].month == months_ago(0)
    figures = {m.month: (m.orders, m.total_vnd) for m in months if m.total_vnd}
    assert figures == {months_ago(0): (1, 280_000), months_ago(2): (2, 560_000)}


def test_another_sellers_sales_do_not_count(sales):
    assert all(m.total_vnd == 0 for m in seller_revenue_by_month(seller=SellerFactory()))


def test_the_dashboard_shows_the_queues_and_revenue_as_a_chart_and_a_table(client, sales):
    sign_in(client, sales.leader)

    response = client.get(DASHBOARD)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="todo-confirm">1<' in html
    assert 'data-testid="todo-pack">1<' in html
    assert 'data-testid="todo-ship">0<' in html
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg
    assert '<title id="revenue-t">Doanh thu theo tháng</title>' in svg
    assert "Tổng 840.000\u00a0₫ trong 12 tháng" in svg  # the description read aloud
    assert svg.count("<rect") == 2  # two months with sales
    assert "560k" in svg
    assert " style=" not in html
    assert html.count('data-testid="revenue-row"') == 12
    assert 'data-testid="revenue-total">840.000\u00a0₫<' in html
    assert f'<th scope="row">{months_ago(2).strftime("%m/%Y")}</th><td class="num">2</td>' in html


def test_the_dashboard_costs_the_same_queries_whatever_the_sales(
    client, shop, sales, django_assert_max_num_queries
):
    fresh = SellerFactory()
    sign_in(client, fresh.leader)
    with django_assert_max_num_queries(5):
        assert client.get(DASHBOARD).status_code == 200

    sign_in(client, sales.leader)
    with django_assert_max_num_queries(5):
        html = client.get(DASHBOARD).content.decode()
    assert "Chưa có doanh thu" not in html


def test_a_new_seller_sees_empty_months_said_in_words(client):
    seller = SellerFactory()
    sign_in(client, seller.leader)

    html = client.get(DASHBOARD).content.decode()

    assert "Chưa có doanh thu trong 12 tháng qua." in html
    assert "<rect" not in html


def test_a_member_picks_which_of_her_groups_to_see(client, sales):
    other = SellerFactory(name="HTX Mật ong Bắc Hà")
    other.members.add(sales.leader)
    sign_in(client, sales.leader)

    html = client.get(DASHBOARD, {"seller": other.slug}).content.decode()

    assert "<h1 data-help>HTX Mật ong Bắc Hà</h1>" in html
    assert 'data-testid="todo-confirm">0<' in html


def test_someone_who_sells_nothing_gets_403_and_a_visitor_is_sent_to_sign_in(client):
    assert client.get(DASHBOARD).status_code == 302

    sign_in(client, buyer_make())
    assert client.get(DASHBOARD).status_code == 403


def test_the_chart_escapes_its_texts_and_writes_short_amounts():
    svg = month_bars(
        chart_id="c", title="<b>x</b>", description="a & b", labels=["1/26", "2/26"], values=[0, 1_250_000]
    )

    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert "a &amp; b" in svg
    assert svg.count("<rect") == 1
    assert (short_vnd(1_250_000), short_vnd(85_000), short_vnd(2_000_000_000), short_vnd(500)) == (
        "1,3tr",
        "85k",
        "2tỷ",
        "500",
    )
