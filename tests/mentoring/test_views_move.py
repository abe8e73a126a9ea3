"""Move pages: a seller's outcomes (revenue, baseline, graduation, product feed) and the 4M dashboard."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.market.models import OrderEvent, OrderState, PaymentMethod
from ketnoi.mentoring.models import Baseline, Graduation, RevenueMonth
from tests.accounts.factories import user_with_role
from tests.accounts.helpers import sign_in
from tests.market.factories import ProductFactory, SellerFactory
from tests.market.order_helpers import advance, buyer_make, hanoi_commune, place

from .factories import graduation_make, match_make, needs_make, plan_make, programme_4m, round_make

pytestmark = pytest.mark.django_db

S = OrderState


def months_ago(count: int) -> date:
    today = timezone.localdate()
    year, month = today.year, today.month - count
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


@pytest.fixture
def shop(commune_a):
    seller = SellerFactory(commune=commune_a, name="HTX Dệt Mường Bú")
    return seller, ProductFactory(seller=seller, name="Khăn piêu", price_vnd=250_000, stock=500)


@pytest.fixture
def officer(commune_a):
    return user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)


def page_url(seller) -> str:
    return f"/4m/move/{seller.slug}/"


def sell(product, month: date, quantity: int) -> None:
    (order,) = place(
        buyer_make(), (product, quantity), commune=hanoi_commune(), payment_method=PaymentMethod.COD
    )
    advance(order, S.COD_CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED)
    at = timezone.make_aware(datetime.combine(month.replace(day=12), time(10)))
    OrderEvent.objects.filter(order=order, to_state=S.DELIVERED).update(at=at)


# --- Who may open ---------------------------------------------------------------------------------


def test_a_seller_with_one_cooperative_goes_straight_to_her_page(client, shop):
    seller, _product = shop
    sign_in(client, seller.leader)

    response = client.get("/4m/move/")

    assert response.status_code == 302
    assert response["Location"] == page_url(seller)
    assert client.get(page_url(seller)).status_code == 200


def test_an_officer_lists_her_area_and_partners_never_see_revenue(client, shop, officer, commune_b):
    seller, _product = shop
    sign_in(client, officer)
    assert seller.name in client.get("/4m/move/").content.decode()
    assert client.get(page_url(seller)).status_code == 200

    match = match_make(seller=seller, state="accepted")
    for outsider in (match.partner.user, user_with_role(Role.PROGRAMME_OFFICER, province=commune_b.province)):
        sign_in(client, outsider)
        assert client.get(page_url(seller)).status_code == 404
        assert client.get(f"{page_url(seller)}feed.csv").status_code == 404
    sign_in(client, match.partner.user)
    assert client.get("/4m/move/").status_code == 403


# --- Revenue --------------------------------------------------------------------------------------


def test_revenue_typed_with_dots_is_saved_and_a_negative_one_is_refused_with_a_message(client, shop):
    seller, _product = shop
    sign_in(client, seller.leader)
    month = months_ago(1).strftime("%Y-%m")

    refused = client.post(f"{page_url(seller)}revenue/", {"month": month, "revenue_vnd": "-200.000"})
    saved = client.post(
        f"{page_url(seller)}revenue/",
        {
            "month": month,
            "revenue_vnd": "3.500.000",
            "new_buyers": "2",
            "new_channels": "Shopee, chợ phiên",
            "members_benefiting": "20",
            "women_benefiting": "18",
        },
    )

    assert refused.status_code == 422
    assert "Doanh thu không thể âm" in refused.content.decode()
    assert saved.status_code == 302
    row = RevenueMonth.objects.get(seller=seller)
    assert (row.revenue_vnd, row.new_channels, row.women_benefiting) == (
        3_500_000,
        ["Shopee", "chợ phiên"],
        18,
    )


def test_leaving_the_amount_blank_records_only_who_benefited(client, shop, officer):
    seller, product = shop
    sell(product, months_ago(1), 3)
    sign_in(client, officer)
    client.post(f"{page_url(seller)}refresh/")

    response = client.post(
        f"{page_url(seller)}revenue/",
        {
            "month": months_ago(1).strftime("%Y-%m"),
            "revenue_vnd": "",
            "members_benefiting": "9",
            "women_benefiting": "8",
        },
    )
    nothing_yet = client.post(
        f"{page_url(seller)}revenue/", {"month": months_ago(2).strftime("%Y-%m"), "women_benefiting": "8"}
    )

    row = RevenueMonth.objects.get(seller=seller)
    assert response.status_code == 302
    assert (row.source, row.revenue_vnd, row.women_benefiting) == ("orders", 750_000, 8)
    assert nothing_yet.status_code == 422
    assert "chưa có doanh thu" in nothing_yet.content.decode()


@pytest.mark.parametrize(
    ("amount", "month_back", "message"),
    [
        ("25.000.000.000", 1, "gõ thừa số 0"),
        ("1.000.000", -1, "tháng này chưa đến"),
        ("một triệu", 1, "không hợp lệ"),
    ],
)
def test_absurd_future_or_unreadable_revenue_is_explained_and_nothing_saved(
    client, shop, officer, amount, month_back, message
):
    seller, _product = shop
    sign_in(client, officer)

    response = client.post(
        f"{page_url(seller)}revenue/",
        {"month": months_ago(month_back).strftime("%Y-%m"), "revenue_vnd": amount},
    )

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not RevenueMonth.objects.exists()


# --- From orders to graduation ----------------------------------------------------------------------


def test_an_officer_takes_revenue_from_orders_sets_the_baseline_and_the_seller_graduates(
    client, shop, officer
):
    seller, product = shop
    for back in (7, 6, 5):
        sell(product, months_ago(back), 4)  # 1.000.000 a month before the programme
    for back in (4, 3, 2):
        sell(product, months_ago(back), 6)  # 1.500.000: +50 %
    sign_in(client, officer)

    client.post(f"{page_url(seller)}refresh/")
    client.post(
        f"{page_url(seller)}baseline/",
        {"source": "orders", "months": "3", "until": months_ago(5).strftime("%Y-%m")},
    )
    client.post(f"{page_url(seller)}graduation/")
    html = client.get(page_url(seller)).content.decode()

    assert Baseline.objects.get(seller=seller).revenue_vnd == 1_000_000
    graduation = Graduation.objects.get(seller=seller)
    assert [m["source"] for m in graduation.evidence["months"]] == ["orders"] * 3
    assert 'data-testid="graduated"' in html
    assert "Từ đơn hàng trên Kết Nối" in html
    assert "1.500.000" in html


def test_checking_too_early_says_what_is_missing(client, shop, officer):
    seller, _product = shop
    sign_in(client, officer)

    response = client.post(f"{page_url(seller)}graduation/", follow=True)

    assert "Chưa đạt" in response.content.decode()
    assert not Graduation.objects.exists()


# --- The product feed -----------------------------------------------------------------------------


def test_the_seller_downloads_her_product_feed_as_csv_and_xlsx(client, shop):
    seller, product = shop
    sign_in(client, seller.leader)

    as_csv = client.get(f"{page_url(seller)}feed.csv")
    as_xlsx = client.get(f"{page_url(seller)}feed.xlsx")

    assert as_csv.status_code == 200
    assert f'filename="san-pham-{seller.slug}.csv"' in as_csv["Content-Disposition"]
    text = as_csv.content.decode("utf-8-sig")
    assert "Khăn piêu" in text
    assert f"http://testserver/products/{product.slug}/" in text
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet.cell(row=2, column=1).value == "Khăn piêu"
    assert client.get(f"{page_url(seller)}feed.pdf").status_code == 404


# --- The dashboard --------------------------------------------------------------------------------


def fill(commune, programme, count: int) -> None:
    round_ = round_make(programme=programme, province=commune.province, name=f"Đợt {count}")
    for number in range(count):
        seller = SellerFactory(commune=commune, name=f"HTX số {count}-{number}")
        needs_make(seller)
        match = match_make(seller=seller, state="accepted", round=round_)
        plan_make(match, sessions=[(timezone.now() - timedelta(days=3), True)])
        graduation_make(seller, programme=programme)


def test_the_dashboard_shows_the_funnel_indicators_and_graduates(client, commune_a, officer):
    programme = programme_4m(province=commune_a.province)
    fill(commune_a, programme, 2)
    sign_in(client, officer)

    response = client.get("/4m/dashboard/", {"programme": programme.code})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="funnel-graduated"><strong>2</strong>' in html
    assert 'data-testid="indicator-sessions_held"' in html
    assert html.count('data-testid="graduate"') == 2
    assert html.count("<svg") == 3


def test_the_dashboard_is_for_officers_and_administrators(client, commune_a, commune_b, officer):
    for role, area in ((Role.SELLER, None), (Role.PARTNER, None), (Role.COMMUNE_OFFICER, commune_a)):
        sign_in(client, user_with_role(role, commune=area))
        assert client.get("/4m/dashboard/").status_code == 403
    sign_in(client, officer)
    assert (
        client.get("/4m/dashboard/", {"province": commune_b.province.code}).status_code == 200
    )  # not offered


def test_the_xlsx_export_has_the_indicators_funnel_provinces_and_graduates(client, commune_a, officer):
    fill(commune_a, programme_4m(province=commune_a.province), 1)
    sign_in(client, officer)

    response = client.get("/4m/dashboard.xlsx")

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert response.status_code == 200
    assert workbook.sheetnames == ["Chỉ số", "Từ đăng ký đến tốt nghiệp", "Theo tỉnh", "Tốt nghiệp"]
    indicators = {row[0]: row[2] for row in workbook["Chỉ số"].iter_rows(min_row=2, values_only=True)}
    assert indicators["graduated"] == 1
    assert indicators["sessions_held"] == 1


def test_the_dashboard_costs_the_same_queries_at_two_sizes(client, commune_a, officer):
    programme = programme_4m(province=commune_a.province)
    fill(commune_a, programme, 1)
    sign_in(client, officer)
    client.get("/4m/dashboard/")

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/4m/dashboard/").status_code == 200
        return len(queries)

    small = cost()
    fill(commune_a, programme, 8)
    assert cost() == small
