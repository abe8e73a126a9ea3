"""Move: revenue entered and from orders, the baseline, graduation with its evidence, the product feed."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

import openpyxl
import pytest
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.audit import AuditEntry
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.notify import MemorySender
from ketnoi.market.models import OrderEvent, OrderState, PaymentMethod
from ketnoi.mentoring.models import Baseline, Graduation, RevenueMonth
from ketnoi.mentoring.services.outcomes import (
    MAX_MONTHLY_REVENUE_VND,
    baseline_period_end,
    baseline_set,
    graduation_check,
    month_people_set,
    product_feed,
    product_feed_csv,
    product_feed_xlsx,
    revenue_from_orders,
    revenue_month_set,
    revenue_months_refresh,
)
from tests.accounts.factories import user_with_role
from tests.market.factories import ProductFactory, SellerFactory
from tests.market.order_helpers import advance, buyer_make, hanoi_commune, place

pytestmark = pytest.mark.django_db

S = OrderState


def months_ago(count: int) -> date:
    today = timezone.localdate()
    year, month = today.year, today.month - count
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def delivered_in(order, month: date, day: int = 10) -> None:
    at = timezone.make_aware(datetime.combine(month.replace(day=day), time(12)))
    OrderEvent.objects.filter(order=order, to_state=S.DELIVERED).update(at=at)


@pytest.fixture
def shop(commune_a):
    seller = SellerFactory(commune=commune_a, name="HTX Thổ cẩm Mường Bú")
    return seller, ProductFactory(seller=seller, price_vnd=250_000, weight_g=300, stock=500)


@pytest.fixture
def sms_outbox(settings):
    """Messages delivered in-process once the transaction commits."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return MemorySender.sent


@pytest.fixture
def officer(commune_a):
    return user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)


def sell(product, month: date, quantity: int = 1, *, buyer=None, states=None, method=PaymentMethod.COD):
    """One order of ``quantity`` delivered in ``month`` (cash on delivery unless said)."""
    buyer = buyer or buyer_make()
    (order,) = place(buyer, (product, quantity), commune=hanoi_commune(), payment_method=method)
    paid = S.COD_CONFIRMED if method == PaymentMethod.COD else S.PAID
    order = advance(order, *(states or (paid, S.PACKED, S.SHIPPED, S.DELIVERED)))
    delivered_in(order, month)
    return order


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (-1, "revenue_negative"),
        (MAX_MONTHLY_REVENUE_VND + 1, "revenue_absurd"),
        ("5000000", "revenue_invalid"),
        (True, "revenue_invalid"),
    ],
)
def test_negative_absurd_or_non_numeric_revenue_is_refused_and_nothing_is_written(
    shop, officer, amount, code
):
    seller, _product = shop

    with pytest.raises(DomainError) as refused:
        revenue_month_set(seller, months_ago(1), actor=officer, revenue_vnd=amount)

    assert refused.value.code == code
    assert refused.value.status == 422
    assert not RevenueMonth.objects.filter(seller=seller).exists()


def test_the_absurd_amount_message_says_what_to_check(shop, officer):
    seller, _product = shop

    with pytest.raises(DomainError) as refused:
        revenue_month_set(seller, months_ago(1), actor=officer, revenue_vnd=25_000_000_000)

    assert "số 0" in str(refused.value)
    assert "25.000.000.000" in str(refused.value)


def test_a_month_in_the_future_is_refused(shop, officer):
    seller, _product = shop
    next_month = months_ago(-1)

    with pytest.raises(DomainError) as refused:
        revenue_month_set(seller, next_month, actor=officer, revenue_vnd=1_000_000)

    assert refused.value.code == "month_in_future"
    assert next_month.strftime("%m/%Y") in str(refused.value)
    assert not RevenueMonth.objects.exists()


def test_fifty_times_the_baseline_needs_a_confirmation(shop, officer):
    seller, _product = shop
    baseline_set(seller, actor=officer, revenue_vnd=2_000_000)

    with pytest.raises(DomainError) as refused:
        revenue_month_set(seller, months_ago(1), actor=officer, revenue_vnd=150_000_000)
    assert refused.value.code == "revenue_unusual"
    assert not RevenueMonth.objects.exists()

    row = revenue_month_set(
        seller, months_ago(1), actor=officer, revenue_vnd=150_000_000, confirm_unusual=True
    )
    assert row.revenue_vnd == 150_000_000


def test_more_women_than_members_benefiting_is_refused(shop, officer):
    seller, _product = shop

    with pytest.raises(DomainError) as refused:
        revenue_month_set(
            seller,
            months_ago(1),
            actor=officer,
            revenue_vnd=1_000_000,
            members_benefiting=10,
            women_benefiting=12,
        )

    assert refused.value.code == "women_over_members"


def test_someone_outside_the_seller_and_her_area_cannot_record(shop, commune_b):
    seller, _product = shop
    other_officer = user_with_role(Role.PROGRAMME_OFFICER, province=commune_b.province)
    partner = user_with_role(Role.PARTNER)

    for person in (other_officer, partner):
        with pytest.raises(PermissionDenied):
            revenue_month_set(seller, months_ago(1), actor=person, revenue_vnd=1_000_000)
    assert not RevenueMonth.objects.exists()


def test_the_seller_records_her_month_and_it_is_audited(shop):
    seller, _product = shop

    row = revenue_month_set(
        seller,
        months_ago(1).replace(day=17),
        actor=seller.leader,
        revenue_vnd=3_500_000,
        new_buyers=2,
        new_channels=["Shopee", " Shopee ", "Siêu thị Sơn La"],
        members_benefiting=20,
        women_benefiting=18,
    )

    assert row.month == months_ago(1)
    assert row.source == RevenueMonth.Source.ENTERED
    assert row.new_channels == ["Shopee", "Siêu thị Sơn La"]
    assert row.entered_by == seller.leader
    assert AuditEntry.objects.filter(action="mentoring.revenue_set").count() == 1


# --- Revenue from orders --------------------------------------------------------------------------


def test_revenue_from_orders_is_the_goods_total_of_delivered_orders_in_their_month(shop):
    seller, product = shop
    buyer = buyer_make()
    sell(product, months_ago(2), 2, buyer=buyer)  # 500.000 of goods, plus a delivery fee not counted
    sell(product, months_ago(2), 1, buyer=buyer)
    sell(product, months_ago(1), 4)
    sell(product, months_ago(1), 1, states=(S.COD_CONFIRMED, S.PACKED, S.SHIPPED))  # not delivered yet

    assert revenue_from_orders(seller, months_ago(2)) == 750_000
    assert revenue_from_orders(seller, months_ago(1)) == 1_000_000
    assert revenue_from_orders(seller, months_ago(3)) == 0


def test_refresh_writes_months_from_orders_and_never_overwrites_an_entered_month(shop, officer):
    seller, product = shop
    buyer = buyer_make()
    sell(product, months_ago(3), 1, buyer=buyer)
    sell(product, months_ago(2), 2, buyer=buyer)
    sell(product, months_ago(2), 1)  # a second buyer, new in that month
    revenue_month_set(
        seller, months_ago(3), actor=officer, revenue_vnd=9_000_000
    )  # the books: more than online

    changed = revenue_months_refresh(seller, actor=officer)

    rows = {r.month: r for r in RevenueMonth.objects.filter(seller=seller)}
    assert changed == [months_ago(2)]
    assert rows[months_ago(3)].source == RevenueMonth.Source.ENTERED
    assert rows[months_ago(3)].revenue_vnd == 9_000_000
    assert rows[months_ago(2)].source == RevenueMonth.Source.ORDERS
    assert rows[months_ago(2)].revenue_vnd == 750_000
    assert rows[months_ago(2)].new_buyers == 1
    assert revenue_months_refresh(seller, actor=officer) == []  # idempotent


def test_a_month_from_orders_follows_a_refund(shop, officer):
    seller, product = shop
    order = sell(product, months_ago(1), 2, method=PaymentMethod.VIETQR)
    revenue_months_refresh(seller)
    advance(order, S.REFUNDED)

    assert revenue_months_refresh(seller) == [months_ago(1)]
    assert RevenueMonth.objects.get(seller=seller, month=months_ago(1)).revenue_vnd == 0


def test_who_benefited_is_recorded_without_changing_a_month_from_orders(shop, officer):
    seller, product = shop
    sell(product, months_ago(1), 2)
    revenue_months_refresh(seller)

    row = month_people_set(seller, months_ago(1), actor=officer, members_benefiting=12, women_benefiting=11)

    assert (row.source, row.revenue_vnd) == (RevenueMonth.Source.ORDERS, 500_000)
    assert (row.members_benefiting, row.women_benefiting) == (12, 11)
    with pytest.raises(DomainError) as too_many:
        month_people_set(seller, months_ago(1), actor=officer, women_benefiting=13)
    assert too_many.value.code == "women_over_members"
    with pytest.raises(DomainError) as missing:
        month_people_set(seller, months_ago(2), actor=officer, women_benefiting=3)
    assert missing.value.code == "month_missing"


# --- Baseline -------------------------------------------------------------------------------------


def test_the_baseline_from_orders_is_the_average_of_the_months_and_names_them(shop, officer):
    seller, product = shop
    sell(product, months_ago(6), 4)  # 1.000.000
    sell(product, months_ago(5), 2)  # 500.000; months_ago(4): nothing
    sell(product, months_ago(3), 8)  # after the period: not counted

    baseline = baseline_set(seller, actor=officer, months=3, until=months_ago(4))

    assert baseline.revenue_vnd == 500_000
    assert baseline.basis == f"trung bình 3 tháng {months_ago(6):%Y-%m}..{months_ago(4):%Y-%m} từ đơn hàng"
    assert baseline_period_end(baseline) == months_ago(4)


def test_a_baseline_without_orders_or_of_zero_or_in_the_future_is_refused(shop, officer):
    seller, _product = shop

    for kwargs, code in (
        ({"months": 3}, "baseline_no_orders"),
        ({"revenue_vnd": 0}, "baseline_zero"),
        ({"revenue_vnd": 1_000_000, "until": months_ago(0)}, "baseline_future"),
        ({"revenue_vnd": -5}, "revenue_negative"),
    ):
        with pytest.raises(DomainError) as refused:
            baseline_set(seller, actor=officer, **kwargs)
        assert refused.value.code == code
    assert not Baseline.objects.exists()


# --- Graduation -----------------------------------------------------------------------------------


def test_a_seller_graduates_on_three_months_thirty_percent_above_her_baseline_from_orders(
    shop, officer, sms_outbox, django_capture_on_commit_callbacks
):
    seller, product = shop
    for months_back in (8, 7, 6):
        sell(product, months_ago(months_back), 4)  # 1.000.000 a month
    baseline_set(seller, actor=officer, months=3, until=months_ago(6))
    sell(product, months_ago(5), 5)  # 1.250.000: +25 %, not enough
    for months_back in (4, 3, 2):
        sell(product, months_ago(months_back), 6)  # 1.500.000: +50 %
    revenue_months_refresh(seller)

    with django_capture_on_commit_callbacks(execute=True):
        graduation = graduation_check(seller, actor=officer)

    assert graduation is not None
    assert graduation.criteria == {"uplift_percent": 30, "months": 3}
    assert graduation.evidence["baseline_vnd"] == 1_000_000
    assert graduation.evidence["threshold_vnd"] == 1_300_000
    assert graduation.evidence["months"] == [
        {"month": f"{months_ago(m):%Y-%m}", "revenue_vnd": 1_500_000, "source": "orders"} for m in (4, 3, 2)
    ]
    assert graduation.recorded_by == officer
    assert graduation_check(seller, actor=officer) == graduation  # once
    assert Graduation.objects.count() == 1
    assert [m.to for m in sms_outbox if "Chúc mừng" in m.text] == [str(seller.leader.phone)]


def test_no_graduation_on_two_good_months_a_gap_or_months_inside_the_baseline_period(shop, officer):
    seller, _product = shop
    baseline_set(seller, actor=officer, revenue_vnd=1_000_000, until=months_ago(5))
    for months_back, amount in (
        (6, 3_000_000),
        (5, 3_000_000),
        (4, 1_400_000),
        (2, 1_400_000),
        (1, 1_400_000),
    ):
        revenue_month_set(seller, months_ago(months_back), actor=officer, revenue_vnd=amount)

    assert graduation_check(seller, actor=officer) is None  # months_ago(3) is missing: the run breaks

    revenue_month_set(seller, months_ago(3), actor=officer, revenue_vnd=1_290_000)  # just under +30 %
    assert graduation_check(seller, actor=officer) is None

    revenue_month_set(seller, months_ago(3), actor=officer, revenue_vnd=1_300_000)  # exactly +30 %
    graduation = graduation_check(seller, actor=officer)
    assert graduation is not None
    assert [m["month"] for m in graduation.evidence["months"]] == [
        f"{months_ago(m):%Y-%m}" for m in (4, 3, 2)
    ]
    assert {m["source"] for m in graduation.evidence["months"]} == {"entered"}


def test_no_baseline_no_graduation(shop, officer):
    seller, _product = shop
    for months_back in (3, 2, 1):
        revenue_month_set(seller, months_ago(months_back), actor=officer, revenue_vnd=5_000_000)

    assert graduation_check(seller, actor=officer) is None
    assert not Graduation.objects.exists()


def test_a_stricter_programme_rule_is_recorded_as_its_criteria(shop, officer):
    seller, _product = shop
    baseline_set(seller, actor=officer, revenue_vnd=1_000_000, until=months_ago(5))
    for months_back in (4, 3, 2, 1):
        revenue_month_set(seller, months_ago(months_back), actor=officer, revenue_vnd=1_400_000)

    assert graduation_check(seller, actor=officer, uplift_percent=50, months=3) is None
    graduation = graduation_check(seller, actor=officer, uplift_percent=40, months=4)
    assert graduation is not None
    assert graduation.criteria == {"uplift_percent": 40, "months": 4}
    with pytest.raises(DomainError):
        graduation_check(seller, actor=officer, uplift_percent=-10)


# --- The product feed -----------------------------------------------------------------------------


def test_the_feed_has_her_active_products_with_absolute_links_and_no_formulas(shop):
    seller, product = shop
    ProductFactory(seller=seller, name="Túi cũ", is_active=False)
    ProductFactory(seller=seller, name="=HYPERLINK(1)", price_vnd=90_000)

    rows = product_feed(seller, base_url="https://ketnoi.example")
    text = product_feed_csv(rows)
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))

    assert table[0][0] == "Tên sản phẩm"
    names = [row[0] for row in table[1:]]
    assert product.name in names
    assert "Túi cũ" not in names
    assert "'=HYPERLINK(1)" in names
    line = next(row for row in table[1:] if row[0] == product.name)
    assert line[2] == "250000"
    assert line[7] == f"https://ketnoi.example/products/{product.slug}/"
    assert "Dệt tay trên khung gỗ" in line[5]

    sheet = openpyxl.load_workbook(io.BytesIO(product_feed_xlsx(rows))).active
    assert sheet.max_row == 3
    assert sheet.cell(row=1, column=8).value == "Đường dẫn sản phẩm"
