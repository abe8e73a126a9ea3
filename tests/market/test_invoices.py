"""Invoices of orders: e-invoice fields, numbering per seller per year, VAT arithmetic, the printable page."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connections
from django.urls import include, path, reverse
from hypothesis import given
from hypothesis import strategies as st

from ketnoi import urls as project_urls
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.market import urls as market_urls
from ketnoi.market.models import Invoice, OrderState, PaymentMethod, Seller
from ketnoi.market.services.invoices import InvoiceLine, amount_in_words, invoice_issue, vat_rate
from tests.accounts.factories import PASSWORD
from tests.ledger.conftest import concurrent_database  # noqa: F401 — a fixture
from tests.market.factories import ProductFactory, SellerFactory
from tests.market.order_helpers import advance, buyer_make, hanoi_commune, place

S = OrderState
TAX_CODE = "5500123456"


def _urls_with_invoice_page() -> list:
    """The project's URLs, with the invoice page mounted in "market" if market/urls.py does not yet."""
    if any("urls_invoices" in str(getattr(p, "urlconf_name", "")) for p in market_urls.urlpatterns):
        return list(project_urls.urlpatterns)
    market = [*market_urls.urlpatterns, path("", include("ketnoi.market.urls_invoices"))]
    return [
        path("", include((market, "market"))) if getattr(p, "app_name", None) == "market" else p
        for p in project_urls.urlpatterns
    ]


urlpatterns = _urls_with_invoice_page()
pytestmark = pytest.mark.urls(__name__)


def paid_order(
    seller: Seller | None = None, *, price: int = 250_000, quantity: int = 2, cod: bool = False, **product
):
    seller = seller or SellerFactory(tax_code=TAX_CODE)
    item = ProductFactory(seller=seller, price_vnd=price, stock=100, **product)
    method = PaymentMethod.COD if cod else PaymentMethod.VIETQR
    (order,) = place(buyer_make(), (item, quantity), commune=hanoi_commune(), payment_method=method)
    return advance(order, S.COD_CONFIRMED if cod else S.PAID)


def issue(order, *, on: date | None = None, **kwargs) -> Invoice:
    return invoice_issue(order=order, actor=order.seller.leader, issued_on=on, **kwargs)


# --- Numbering ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_invoices_are_numbered_per_seller_from_one():
    # Given two cooperatives with paid orders
    first_seller = SellerFactory(tax_code=TAX_CODE)
    other_seller = SellerFactory(tax_code="0101234567-001")
    on = date(2026, 3, 5)

    # When each issues invoices
    a1 = issue(paid_order(first_seller), on=on)
    a2 = issue(paid_order(first_seller), on=on)
    b1 = issue(paid_order(other_seller), on=on)

    # Then each seller counts from 1, with the year's symbol
    assert (a1.number, a2.number, b1.number) == (1, 2, 1)
    assert a1.invoice_symbol == "C26TKN" and a1.data["invoice_symbol"] == "C26TKN"
    assert a2.data["number_text"] == "00000002"
    assert a1.template_symbol == "1"
    assert a1.year == 2026 and a1.issued_on == on


@pytest.mark.django_db
def test_numbering_restarts_on_the_first_of_january():
    seller = SellerFactory(tax_code=TAX_CODE)
    issue(paid_order(seller), on=date(2026, 12, 30))
    last_of_year = issue(paid_order(seller), on=date(2026, 12, 31))

    first_of_year = issue(paid_order(seller), on=date(2027, 1, 1))

    assert last_of_year.number == 2
    assert first_of_year.number == 1
    assert first_of_year.year == 2027
    assert first_of_year.invoice_symbol == "C27TKN"


@pytest.mark.django_db
def test_issuing_again_returns_the_same_invoice():
    order = paid_order()
    first = issue(order, on=date(2026, 3, 5))

    again = issue(order, on=date(2026, 3, 6))

    assert again.pk == first.pk
    assert Invoice.objects.filter(seller=order.seller).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("concurrent_database")
def test_invoices_issued_at_the_same_moment_get_different_numbers():
    # Given six paid orders of one seller
    seller = SellerFactory(tax_code=TAX_CODE)
    orders = [paid_order(seller) for _i in range(6)]
    barrier = threading.Barrier(len(orders))
    results: list = [None] * len(orders)

    # When six people issue their invoices at once, each on her own connection
    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = issue(orders[i], on=date(2026, 3, 5)).number
        except Exception as error:  # reported below
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(orders))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Then every one got an invoice, and the numbers are 1…6 without a gap or a repeat
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(results) == [1, 2, 3, 4, 5, 6]
    assert Invoice.objects.filter(seller=seller).count() == 6


# --- Who may issue, and when ----------------------------------------------------------------


@pytest.mark.django_db
def test_an_unpaid_order_gets_no_invoice():
    seller = SellerFactory(tax_code=TAX_CODE)
    item = ProductFactory(seller=seller, stock=5)
    (order,) = place(buyer_make(), (item, 1), commune=hanoi_commune())

    with pytest.raises(DomainError) as refused:
        issue(order)

    assert refused.value.code == "invoice_order_state"
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_a_seller_without_a_tax_code_is_told_to_add_it():
    order = paid_order(SellerFactory(tax_code=""))

    with pytest.raises(DomainError) as refused:
        issue(order)

    assert refused.value.code == "invoice_no_tax_code"
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_the_buyer_and_strangers_cannot_issue():
    order = paid_order()

    with pytest.raises(PermissionDenied):
        invoice_issue(order=order, actor=order.buyer)
    with pytest.raises(NotFound):
        invoice_issue(order=order, actor=buyer_make())
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_a_bad_buyer_tax_code_is_refused():
    with pytest.raises(DomainError) as refused:
        issue(paid_order(), buyer_tax_code="12345")
    assert refused.value.code == "invoice_buyer_tax_code"
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_a_confirmed_cash_on_delivery_order_can_be_invoiced():
    invoice = issue(paid_order(cod=True), on=date(2026, 3, 5))
    assert invoice.data["payment_method"] == "TM"


# --- What the invoice says ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_cooperatives_vat_invoice_adds_up_to_what_the_buyer_paid():
    # Given two brocade scarves at 250,000 đ (VAT included) and the delivery fee
    order = paid_order(price=250_000, quantity=2)

    invoice = issue(
        order, on=date(2026, 3, 5), buyer_company="Công ty TNHH Hoa Ban", buyer_tax_code="0101234567"
    )

    # Then the goods line shows the price before VAT (8 % in 2026), and the totals are exactly the order's
    data = invoice.data
    goods, shipping = data["lines"]
    assert goods["unit_price"] == 231_481  # 250,000 / 1.08, rounded half up
    assert goods["amount"] == 462_962
    assert goods["vat_rate"] == "8%"
    assert goods["vat_amount"] == 500_000 - 462_962
    assert shipping["item"] == "Phí vận chuyển"
    assert shipping["vat_rate"] == "8%"
    assert data["total"] == order.total_vnd
    assert data["total_before_vat"] + data["total_vat"] == order.total_vnd
    assert data["buyer"]["company"] == "Công ty TNHH Hoa Ban"
    assert data["buyer"]["tax_code"] == "0101234567"
    assert data["seller"]["tax_code"] == TAX_CODE
    assert data["total_in_words"].endswith("đồng")


@pytest.mark.django_db
def test_a_household_business_issues_a_sales_invoice_without_vat_lines():
    seller = SellerFactory(tax_code=TAX_CODE, kind=Seller.Kind.HOUSEHOLD_BUSINESS)
    order = paid_order(seller, price=120_000, quantity=3)

    invoice = issue(order, on=date(2026, 3, 5))

    assert invoice.template_symbol == "2"
    assert invoice.data["kind"] == "sales"
    assert invoice.data["total_vat"] == 0
    assert invoice.data["lines"][0] == {
        "no": 1,
        "item": order.lines.get().product_name,
        "unit": "chiếc",
        "quantity": 3,
        "unit_price": 120_000,
        "amount": 360_000,
        "vat_rate": "",
        "vat_amount": 0,
    }
    assert invoice.data["total"] == order.total_vnd


def test_vat_rates_by_category_and_date():
    assert vat_rate("brocade-textiles", date(2026, 12, 31)) == 8
    assert vat_rate("brocade-textiles", date(2027, 1, 1)) == 10
    assert vat_rate("liquor", date(2026, 6, 1)) == 10
    assert vat_rate("honey", date(2026, 6, 1)) == "KCT"
    assert vat_rate("handicrafts", date(2026, 6, 1)) == 5
    assert vat_rate("something-new", date(2026, 6, 1)) == 5


@given(
    unit_gross=st.integers(min_value=1, max_value=50_000_000),
    quantity=st.integers(min_value=1, max_value=999),
    rate=st.sampled_from([0, 5, 8, 10, "KCT", None]),
)
def test_a_line_always_splits_into_exactly_what_was_paid(unit_gross, quantity, rate):
    gross = unit_gross * quantity
    unit_price, amount, vat = InvoiceLine(
        item="x", unit="x", quantity=quantity, gross_vnd=gross, rate=rate
    ).split()
    assert amount + vat == gross
    if isinstance(rate, int) and rate:
        assert unit_price * quantity == amount
        # off from rate × amount by at most half a đồng per unit (the unit price was rounded)
        assert abs(vat * 100 - rate * amount) <= (100 + rate) * quantity / 2 + 1
    else:
        assert vat == 0 and amount == gross


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (105, "Một trăm linh năm đồng"),
        (1_005, "Một nghìn không trăm linh năm đồng"),
        (250_000, "Hai trăm năm mươi nghìn đồng"),
        (1_050_000, "Một triệu không trăm năm mươi nghìn đồng"),
        (21_534_000, "Hai mươi mốt triệu năm trăm ba mươi tư nghìn đồng"),
        (2_000_000_001, "Hai tỷ không trăm linh một đồng"),
    ],
)
def test_amounts_are_written_in_words_as_on_vietnamese_invoices(amount, words):
    assert amount_in_words(amount) == words


# --- The printable page ---------------------------------------------------------------------


def invoice_url(order) -> str:
    return reverse("market:invoice", kwargs={"reference": order.reference})


def signed_in(client, user):
    assert client.login(phone=user.phone, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_the_seller_issues_from_the_page_and_the_buyer_reads_the_same_invoice(client):
    # Given a paid order of a cooperative
    order = paid_order()

    # When the seller presses "Lập hoá đơn"
    signed_in(client, order.seller.leader)
    form = client.get(invoice_url(order))
    assert 'data-testid="invoice-issue"' in form.content.decode()
    response = client.post(
        invoice_url(order), {"buyer_company": "", "buyer_tax_code": "", "buyer_address": ""}
    )
    assert response.status_code == 302

    # Then the buyer sees the invoice: its number, the total in words, and that it is not signed
    client.logout()
    page = signed_in(client, order.buyer).get(invoice_url(order))
    html = page.content.decode()
    assert page.status_code == 200
    assert "HOÁ ĐƠN GIÁ TRỊ GIA TĂNG" in html
    assert "00000001" in html
    assert Invoice.objects.get(order=order).invoice_symbol in html
    assert 'data-testid="invoice-fine-print"' in html and "nhà cung cấp dịch vụ hoá đơn điện tử" in html
    assert "style=" not in html


@pytest.mark.django_db
def test_before_it_is_issued_the_buyer_is_told_so(client):
    order = paid_order()
    html = signed_in(client, order.buyer).get(invoice_url(order)).content.decode()
    assert 'data-testid="invoice-none"' in html
    assert 'data-testid="invoice-issue"' not in html


@pytest.mark.django_db
def test_the_buyer_cannot_issue_by_posting(client):
    order = paid_order()
    response = signed_in(client, order.buyer).post(invoice_url(order), {})
    assert response.status_code == 404
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_a_bad_buyer_tax_code_on_the_form_gets_a_message(client):
    order = paid_order()
    response = signed_in(client, order.seller.leader).post(invoice_url(order), {"buyer_tax_code": "abc"})
    assert response.status_code == 400
    assert "Mã số thuế người mua không đúng" in response.content.decode()
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["stranger", "other_seller", "administrator"])
def test_only_the_buyer_and_the_seller_see_the_invoice(client, who):
    from ketnoi.accounts.models import Role
    from tests.accounts.factories import user_with_role

    order = paid_order()
    issue(order)
    user = {
        "stranger": buyer_make,
        "other_seller": lambda: SellerFactory().leader,
        "administrator": lambda: user_with_role(Role.ADMINISTRATOR),
    }[who]()

    response = signed_in(client, user).get(invoice_url(order))

    assert response.status_code == 404


@pytest.mark.django_db
def test_a_visitor_is_asked_to_sign_in(client):
    order = paid_order()
    response = client.get(invoice_url(order))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_the_invoice_page_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    seller = SellerFactory(tax_code=TAX_CODE)
    item = ProductFactory(seller=seller, stock=100)
    other = ProductFactory(seller=seller, stock=100)
    (order,) = place(buyer_make(), (item, 2), (other, 3), commune=hanoi_commune())
    order = advance(order, S.PAID)
    issue(order)
    signed_in(client, order.buyer)

    with django_assert_max_num_queries(8):
        response = client.get(invoice_url(order))

    assert response.content.decode().count("<tr>") == 4  # header + 2 goods + delivery


@pytest.mark.django_db
def test_the_order_page_links_the_seller_to_issue_and_both_to_read_it(client):
    order = paid_order()
    page = reverse("market:order_detail", kwargs={"reference": order.reference})

    seller_html = signed_in(client, order.seller.leader).get(page).content.decode()
    assert 'data-testid="invoice-issue-link"' in seller_html
    issue(order)
    client.logout()
    buyer_html = signed_in(client, order.buyer).get(page).content.decode()

    assert 'data-testid="invoice-link"' in buyer_html
    assert invoice_url(order) in buyer_html
