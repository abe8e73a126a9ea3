"""Importing a seller's bank statement: lines matched on reference AND amount, the rest listed with why."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.ledger.services import balances_check
from ketnoi.market.models import OrderState
from ketnoi.market.services.orders import order_transition
from ketnoi.payments.models import Payment, StatementImport
from ketnoi.payments.services import payment_confirm, seller_sales_code, statement_import, statement_reason
from tests.market.factories import SellerFactory

from .helpers import (
    balance,
    order_waiting,
    payment_of,
    reasons,
    statement_csv,
    statement_xlsx,
    transfers_keyed,
    vcb_row,
)

pytestmark = pytest.mark.django_db

S = OrderState


def import_(seller, upload):
    return statement_import(actor=seller.leader, seller=seller, file=upload, filename=upload.name)


@pytest.fixture
def seller():
    return SellerFactory()


def test_a_line_with_the_reference_and_the_amount_pays_the_order(seller):
    # Given two orders waiting for their money
    first = order_waiting(seller=seller)
    second = order_waiting(seller=seller, price=99_000)

    # When the seller uploads a statement where the buyer's bank wrote the first reference in its own way
    upload = statement_csv(
        [
            vcb_row(1, "01/03/2026", f"{first.total_vnd:,}", f"CT DEN:123 {first.reference} LO THI XUAN"),
            vcb_row(2, "01/03/2026", "", "Phi quan ly tai khoan", debit="11,000"),
        ]
    )
    record = import_(seller, upload)

    # Then the first order is paid by the statement, the second still waits, and the debit line is ignored
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == S.PAID
    assert payment_of(first).confirmed_via == "statement"
    assert payment_of(first).confirmed_by is None
    assert second.state == S.AWAITING_PAYMENT
    assert record.lines_total == 1
    assert record.lines_matched == 1
    assert reasons(record) == [(6, "matched")]
    assert balance(seller_sales_code(seller.pk)) == first.total_vnd
    assert balances_check() == []


def test_references_are_found_in_lower_case_and_glued_to_other_words(seller):
    order = order_waiting(seller=seller)
    glued = f"MBVCB.123.{order.reference.lower()}LOTHIXUAN chuyen tien"

    record = import_(seller, statement_csv([vcb_row(1, "02/03/2026", str(order.total_vnd), glued)]))

    assert reasons(record) == [(6, "matched")]


def test_unknown_reference_wrong_amount_and_another_sellers_order_are_listed_and_change_nothing(seller):
    # Given an order of this seller and one of another seller
    order = order_waiting(seller=seller)
    elsewhere = order_waiting()

    # When the statement has a line with no known reference, one with the wrong amount,
    # and one paying the other seller's order
    record = import_(
        seller,
        statement_csv(
            [
                vcb_row(1, "02/03/2026", "500,000", "CT DEN:555 DHZZZZZZZZ NGUYEN VAN A"),
                vcb_row(2, "02/03/2026", f"{order.total_vnd - 1000:,}", f"thanh toan {order.reference}"),
                vcb_row(3, "02/03/2026", f"{elsewhere.total_vnd:,}", f"thanh toan {elsewhere.reference}"),
            ]
        ),
    )

    # Then nothing is paid and each line says why
    assert reasons(record) == [(6, "unknown_reference"), (7, "wrong_amount"), (8, "unknown_reference")]
    assert record.lines_matched == 0
    assert record.unmatched[0]["reference"] == "DHZZZZZZZZ"
    assert record.unmatched[1]["params"]["expected"] == order.total_vnd
    assert f"{order.total_vnd:,}".replace(",", ".") in statement_reason(record.unmatched[1])
    assert Payment.objects.filter(state=Payment.State.CONFIRMED).count() == 0
    assert transfers_keyed("payment-") == 0


def test_a_line_repeated_in_the_file_is_applied_once(seller):
    order = order_waiting(seller=seller)
    line = vcb_row(1, "03/03/2026", str(order.total_vnd), f"ND {order.reference}", ref="FT26062ABC")

    record = import_(seller, statement_csv([line, line]))

    assert reasons(record) == [(6, "matched"), (7, "duplicate")]
    assert record.unmatched[1]["params"] == {"first_line": 6}
    assert transfers_keyed(f"payment-{payment_of(order).pk}-") == 1


def test_a_second_transfer_for_a_paid_order_is_reported_as_already_paid(seller):
    # Given the buyer transferred twice (two bank transactions on two days)
    order = order_waiting(seller=seller)
    rows = [
        vcb_row(1, "03/03/2026", str(order.total_vnd), f"ND {order.reference}"),
        vcb_row(2, "04/03/2026", str(order.total_vnd), f"ND {order.reference}"),
    ]

    record = import_(seller, statement_csv(rows))

    assert reasons(record) == [(6, "matched"), (7, "already_paid")]
    assert balance(seller_sales_code(seller.pk)) == order.total_vnd


def test_importing_the_same_statement_again_applies_nothing_twice(seller):
    # Given a statement already imported (as CSV)
    order = order_waiting(seller=seller)
    rows = [
        vcb_row(1, "05/03/2026", f"{order.total_vnd:,}", f"CT DEN {order.reference}"),
        vcb_row(2, "05/03/2026", "70,000", "DHNOTAREF1 tien khac"),
    ]
    first = import_(seller, statement_csv(rows))

    # When the seller uploads the same transactions again, exported as XLSX this time
    # (a date cell, as Excel keeps it, and numbers instead of "250,000")
    as_excel = [
        (n, date(2026, 3, 5), ref, None, int(a.replace(",", "")), text) for n, _d, ref, _o, a, text in rows
    ]
    again = import_(seller, statement_xlsx(as_excel))

    # Then the matched line is recognised as applied before, and no money moved again
    assert reasons(first) == [(6, "matched"), (7, "unknown_reference")]
    assert reasons(again) == [(6, "already_applied"), (7, "unknown_reference")]
    assert again.unmatched[0]["params"] == {"import_id": first.pk}
    assert again.lines_matched == 0
    assert transfers_keyed("payment-") == 1
    assert StatementImport.objects.filter(seller=seller).count() == 2


def test_a_seller_confirmation_before_the_statement_makes_the_line_already_paid(seller):
    order = order_waiting(seller=seller)
    payment_confirm(payment=payment_of(order), actor=seller.leader, via="seller")

    record = import_(seller, statement_csv([vcb_row(1, "05/03/2026", str(order.total_vnd), order.reference)]))

    assert reasons(record) == [(6, "already_paid")]
    assert transfers_keyed("payment-") == 1


def test_money_for_a_cancelled_order_is_listed_not_applied(seller):
    order = order_waiting(seller=seller)
    order_transition(order=order, to=S.CANCELLED, actor=None, note="Quá 30 phút")

    record = import_(seller, statement_csv([vcb_row(1, "05/03/2026", str(order.total_vnd), order.reference)]))

    assert reasons(record) == [(6, "not_payable")]
    assert "Đã huỷ" in statement_reason(record.unmatched[0])
    assert payment_of(order).state == Payment.State.PENDING
    assert transfers_keyed("payment-") == 0


def test_an_unreadable_amount_is_listed_on_its_line(seller):
    order = order_waiting(seller=seller)

    record = import_(seller, statement_csv([vcb_row(1, "05/03/2026", "250.000,5", order.reference)]))

    assert reasons(record) == [(6, "bad_amount")]
    assert payment_of(order).state == Payment.State.PENDING


@pytest.mark.parametrize(
    "header",
    [
        ("Ngày", "Số tiền", "Nội dung"),  # one signed amount column
        ("NGAY GIAO DICH", "GHI CO", "DIEN GIAI"),  # no diacritics, upper case
        ("Date / Ngày", "Credit Amount (VND)", "Transaction Details / Nội dung"),  # bilingual
        ("Thời gian", "Có", "Mô tả"),
    ],
)
def test_header_names_are_read_with_or_without_diacritics(seller, header):
    order = order_waiting(seller=seller)
    upload = statement_csv(
        [("06/03/2026", f"+{order.total_vnd:,}".replace(",", "."), f"IBFT {order.reference}")],
        header=header,
        title=[("Ngân hàng Agribank",)],
        delimiter=";",
    )

    record = import_(seller, upload)

    assert reasons(record) == [(3, "matched")]


def test_a_total_row_under_the_lines_is_not_a_payment(seller):
    order = order_waiting(seller=seller)
    rows = [
        vcb_row(1, "06/03/2026", str(order.total_vnd), order.reference),
        ("", "", "", "", str(order.total_vnd), "Tổng cộng"),
    ]

    record = import_(seller, statement_csv(rows))

    assert reasons(record) == [(6, "matched")]


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (
            SimpleUploadedFile("sao-ke.pdf", b"%PDF-1.4", content_type="application/pdf"),
            "statement_file_type",
        ),
        (
            SimpleUploadedFile("sao-ke.xls", b"\xd0\xcf\x11\xe0", content_type="application/vnd.ms-excel"),
            "statement_file_type",
        ),
        (
            SimpleUploadedFile("sao-ke.xlsx", b"not a zip file", content_type="application/octet-stream"),
            "statement_unreadable",
        ),
        (
            SimpleUploadedFile("sao-ke.csv", b"Ng\xe0y,Ghi c\xf3,N\xf4i dung\n", content_type="text/csv"),
            "statement_encoding",
        ),
        (SimpleUploadedFile("sao-ke.csv", b"", content_type="text/csv"), "statement_empty"),
        (SimpleUploadedFile("sao-ke.csv", b"a,b,c\n1,2,3\n", content_type="text/csv"), "statement_no_header"),
        (
            SimpleUploadedFile(
                "sao-ke.csv", "Ngày,Ghi có,Nội dung\n01/03/2026,,x\n".encode(), content_type="text/csv"
            ),
            "statement_no_credits",
        ),
    ],
    ids=["pdf", "xls", "broken-xlsx", "windows-1258", "empty", "no-header", "no-credits"],
)
def test_a_file_that_is_not_a_readable_statement_is_refused_with_nothing_confirmed(seller, upload, code):
    order = order_waiting(seller=seller)

    with pytest.raises(DomainError) as refused:
        import_(seller, upload)

    assert refused.value.code == code
    assert str(refused.value)
    assert StatementImport.objects.count() == 0
    assert payment_of(order).state == Payment.State.PENDING


def test_only_the_sellers_people_import_her_statement(seller):
    order = order_waiting(seller=seller)
    upload = statement_csv([vcb_row(1, "05/03/2026", str(order.total_vnd), order.reference)])

    with pytest.raises(PermissionDenied):
        statement_import(actor=order.buyer, seller=seller, file=upload, filename=upload.name)

    assert StatementImport.objects.count() == 0
    assert payment_of(order).state == Payment.State.PENDING
