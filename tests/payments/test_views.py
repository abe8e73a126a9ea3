"""The payment block of the order page, the seller's buttons, and the statements pages, as people see them."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from ketnoi.market.models import OrderState, PaymentMethod
from ketnoi.payments import vietqr
from ketnoi.payments.models import Payment, StatementImport
from ketnoi.payments.services import payment_confirm, statement_import
from tests.accounts.factories import PASSWORD, UserFactory
from tests.market.factories import SellerFactory
from tests.market.order_helpers import buyer_make

from .helpers import order_waiting, payment_of, statement_csv, transfers_keyed, vcb_row

pytestmark = pytest.mark.django_db

S = OrderState


def signed_in(client, user):
    assert client.login(phone=user.phone, password=PASSWORD)
    return client


def order_page(client, order):
    return client.get(reverse("market:order_detail", kwargs={"reference": order.reference}))


def payment_block(response) -> str:
    html = response.content.decode()
    match = re.search(r'<section class="box pay".*?</section>', html, re.S)
    assert match, "the payment block is on the page"
    return match.group(0)


# --- The order page's payment block ---------------------------------------------------------


def test_the_buyer_sees_a_vietqr_code_with_the_amount_bank_account_and_reference(client):
    # Given an order of 250,000 đ + delivery to a cooperative banking with Agribank
    order = order_waiting(price=250_000)

    # When the buyer opens her order
    block = payment_block(order_page(signed_in(client, order.buyer), order))

    # Then she sees the QR as inline SVG (no inline style, scaled by the stylesheet) and what to type by hand
    assert '<svg viewBox="0 0 ' in block and 'class="qr"' in block
    assert "style" not in block
    assert "width=" not in block.split("<svg", 1)[1].split(">", 1)[0]
    total = f"{order.total_vnd:,}".replace(",", ".")
    assert total in block
    assert "Agribank" in block
    assert order.seller.bank_account in block
    assert "ghi nội dung:" in block
    assert order.reference in block
    assert 'data-testid="payment-confirm"' not in block


def test_the_code_on_the_page_is_the_payload_a_banking_app_reads():
    # The block draws the payload of the API; decoding that payload gives the seller's account and the order
    order = order_waiting(price=250_000)
    request = RequestFactory().get("/")
    request.user = order.buyer
    html = Template("{% load payment_tags %}{% order_payment order as pay %}{{ pay.vietqr }}").render(
        Context({"order": order, "request": request, "user": order.buyer})
    )
    decoded = vietqr.decode(html.strip())
    assert decoded == {
        "bank_bin": order.seller.bank_bin,
        "account": order.seller.bank_account,
        "amount": order.total_vnd,
        "purpose": order.reference,
        "service": "QRIBFTTA",
    }


def test_the_seller_sees_the_details_and_the_received_button_but_no_code(client):
    order = order_waiting()

    block = payment_block(order_page(signed_in(client, order.seller.leader), order))

    assert "<svg" not in block
    assert 'data-testid="payment-confirm"' in block
    assert order.reference in block


def test_a_seller_without_a_bank_account_gets_a_message_not_a_code(client):
    seller = SellerFactory(bank_bin="", bank_account="")
    order = order_waiting(seller=seller)

    block = payment_block(order_page(signed_in(client, order.buyer), order))

    assert "<svg" not in block
    assert 'data-testid="payment-no-bank"' in block


def test_a_cash_on_delivery_order_says_the_buyer_pays_the_postman(client):
    order = order_waiting(method=PaymentMethod.COD)

    block = payment_block(order_page(signed_in(client, order.buyer), order))

    assert "bưu tá" in block
    assert "<svg" not in block


def test_a_paid_order_shows_no_code_and_says_the_money_arrived(client):
    order = order_waiting()
    payment_confirm(payment=payment_of(order), actor=order.seller.leader, via="seller")

    block = payment_block(order_page(signed_in(client, order.buyer), order))

    assert "<svg" not in block
    assert "Người bán đã nhận tiền" in block


def test_the_payment_block_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    order = order_waiting()
    request = RequestFactory().get("/")
    request.user = order.seller.leader
    template = Template("{% include 'payments/_order_payment.html' %}")
    with django_assert_max_num_queries(4):
        html = template.render(Context({"order": order, "request": request, "user": order.seller.leader}))
    assert "payment-confirm" in html


# --- The seller's buttons -------------------------------------------------------------------


def test_the_seller_confirms_from_the_order_page_and_the_order_is_paid(client):
    order = order_waiting()
    page = reverse("market:order_detail", kwargs={"reference": order.reference})

    response = signed_in(client, order.seller.leader).post(
        reverse("payments:confirm", kwargs={"payment_id": payment_of(order).pk}), {"next": page}, follow=True
    )

    assert response.redirect_chain[-1][0] == page
    order.refresh_from_db()
    assert order.state == S.PAID
    assert "Đã ghi nhận" in response.content.decode()


@pytest.mark.parametrize("who", ["buyer", "stranger"])
def test_nobody_else_can_press_the_received_button(client, who):
    order = order_waiting()
    user = order.buyer if who == "buyer" else buyer_make()

    response = signed_in(client, user).post(
        reverse("payments:confirm", kwargs={"payment_id": payment_of(order).pk})
    )

    assert response.status_code == 404
    assert payment_of(order).state == Payment.State.PENDING
    assert transfers_keyed("payment-") == 0


def test_an_offsite_next_address_is_not_followed(client):
    order = order_waiting()
    response = signed_in(client, order.seller.leader).post(
        reverse("payments:confirm", kwargs={"payment_id": payment_of(order).pk}),
        {"next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("market:order_detail", kwargs={"reference": order.reference})


def test_the_seller_records_a_refund_from_the_order_page(client):
    order = order_waiting()
    payment_confirm(payment=payment_of(order), actor=order.seller.leader, via="seller")
    signed_in(client, order.seller.leader)
    assert 'data-testid="payment-refund"' in payment_block(order_page(client, order))

    client.post(
        reverse("payments:refund", kwargs={"payment_id": payment_of(order).pk}), {"reason": "Hết hàng"}
    )

    order.refresh_from_db()
    assert order.state == S.REFUNDED
    assert payment_of(order).state == Payment.State.REFUNDED


def test_the_confirm_button_wants_a_post(client):
    order = order_waiting()
    response = signed_in(client, order.seller.leader).get(
        reverse("payments:confirm", kwargs={"payment_id": payment_of(order).pk})
    )
    assert response.status_code == 405


# --- Statements -----------------------------------------------------------------------------


def test_the_seller_uploads_a_statement_and_sees_what_matched_and_what_did_not(client):
    # Given a seller with an order waiting for its money
    order = order_waiting()
    seller = order.seller
    upload = statement_csv(
        [
            vcb_row(1, "05/03/2026", str(order.total_vnd), f"CT DEN {order.reference} LO THI XUAN"),
            vcb_row(2, "05/03/2026", "300000", "CT DEN DHQQQQQQQQ <script>alert(1)</script>"),
        ]
    )

    # When she uploads it
    response = signed_in(client, seller.leader).post(
        reverse("payments:statements"), {"file": upload}, follow=True
    )

    # Then the result page lists the matched order and the unmatched line with its reason, escaped
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="statement-matched"' in html and order.reference in html
    assert 'data-reason="unknown_reference"' in html
    assert "Không thấy mã đơn nào của bạn" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    order.refresh_from_db()
    assert order.state == S.PAID


def test_a_bad_statement_file_gets_a_message_and_changes_nothing(client):
    order = order_waiting()
    upload = statement_csv([], header=("a", "b", "c"), title=())

    response = signed_in(client, order.seller.leader).post(reverse("payments:statements"), {"file": upload})

    assert response.status_code == 400
    assert "Không tìm thấy dòng tiêu đề" in response.content.decode()
    assert StatementImport.objects.count() == 0


def test_the_statements_page_is_for_sellers_only(client):
    response = signed_in(client, buyer_make()).get(reverse("payments:statements"))
    assert response.status_code == 403


def test_the_statements_page_asks_a_visitor_to_sign_in(client):
    response = client.get(reverse("payments:statements"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_seller_cannot_post_into_another_sellers_account(client):
    mine, theirs = SellerFactory(), SellerFactory()
    order = order_waiting(seller=theirs)
    upload = statement_csv([vcb_row(1, "05/03/2026", str(order.total_vnd), order.reference)])

    response = signed_in(client, mine.leader).post(
        reverse("payments:statements"), {"seller": theirs.pk, "file": upload}
    )

    assert response.status_code == 400
    assert StatementImport.objects.count() == 0
    assert payment_of(order).state == Payment.State.PENDING


def test_another_sellers_statement_is_not_found(client):
    order = order_waiting()
    upload = statement_csv([vcb_row(1, "05/03/2026", str(order.total_vnd), order.reference)])
    record = statement_import(
        actor=order.seller.leader, seller=order.seller, file=upload, filename=upload.name
    )

    response = signed_in(client, SellerFactory().leader).get(
        reverse("payments:statement", kwargs={"import_id": record.pk})
    )

    assert response.status_code == 404


def test_the_list_of_statements_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    order = order_waiting()
    seller = order.seller
    for day in range(1, 8):
        upload = statement_csv([vcb_row(1, f"0{day}/03/2026", "1000", f"tien {day}")], name=f"sk-{day}.csv")
        statement_import(actor=seller.leader, seller=seller, file=upload, filename=upload.name)
    signed_in(client, seller.leader)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("payments:statements"))

    assert response.content.decode().count('href="/payments/statements/') == 7


def test_pages_stay_small():
    # A smoke check that the user-facing pages are far from the 50 KB budget (a full page is measured in e2e).
    order = order_waiting()
    request = RequestFactory().get("/")
    request.user = order.buyer
    html = Template("{% include 'payments/_order_payment.html' %}").render(
        Context({"order": order, "request": request, "user": order.buyer})
    )
    assert len(html.encode()) < 8_000


def test_a_user_with_no_role_at_all_is_refused_the_statements_page(client):
    user = UserFactory()
    response = signed_in(client, user).get(reverse("payments:statements"))
    assert response.status_code == 403
