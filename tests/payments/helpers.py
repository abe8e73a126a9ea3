"""Builders for the payments tests: orders waiting for their money, bank statement files.

Sellers and products come from ``tests.market.factories`` (the catalogue's),
orders from ``tests.market.order_helpers`` (placed through the services).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from ketnoi.accounts.models import User
from ketnoi.ledger.models import Account, Transfer
from ketnoi.market.models import Order, PaymentMethod, Seller
from ketnoi.payments.models import Payment
from tests.market.factories import ProductFactory, SellerFactory
from tests.market.order_helpers import buyer_make, hanoi_commune, place

# How Vietcombank heads its statement columns (with a title block above them).
VCB_HEADER = (
    "STT",
    "Ngày giao dịch",
    "Số tham chiếu",
    "Số tiền ghi nợ",
    "Số tiền ghi có",
    "Nội dung chi tiết",
)
VCB_TITLE = (
    ("SAO KÊ TÀI KHOẢN",),
    ("Số tài khoản: 7100205123456",),
    ("Từ ngày 01/03/2026 đến 31/03/2026",),
    (),
)


def order_waiting(
    *,
    seller: Seller | None = None,
    buyer: User | None = None,
    price: int = 250_000,
    quantity: int = 1,
    method: str = PaymentMethod.VIETQR,
) -> Order:
    """An order placed by a buyer in Hà Nội: VietQR waiting for the money, or COD just placed."""
    seller = seller or SellerFactory()
    product = ProductFactory(seller=seller, price_vnd=price, stock=50)
    buyer = buyer or buyer_make(display_name="Nguyễn Thị Lan")
    (order,) = place(buyer, (product, quantity), commune=hanoi_commune(), payment_method=method)
    return order


def payment_of(order: Order) -> Payment:
    return Payment.objects.get(order=order)


def balance(code: str) -> int:
    return Account.objects.filter(code=code).values_list("balance_vnd", flat=True).first() or 0


def transfers_keyed(prefix: str) -> int:
    return Transfer.objects.filter(idempotency_key__startswith=prefix).count()


def vcb_row(
    number: int, when: str, amount: Any, description: str, *, ref: str = "", debit: Any = ""
) -> tuple:
    """A statement row: money in (``amount``) or out (``debit``)."""
    return (number, when, ref or f"FT26{number:08d}", debit, amount, description)


def statement_csv(
    rows: Iterable[Sequence[Any]],
    *,
    header: Sequence[str] = VCB_HEADER,
    title: Iterable[Sequence[str]] = VCB_TITLE,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
    name: str = "sao-ke.csv",
) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    for line in title:
        writer.writerow(line)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def statement_xlsx(
    rows: Iterable[Sequence[Any]],
    *,
    header: Sequence[str] = VCB_HEADER,
    title: Iterable[Sequence[str]] = VCB_TITLE,
    name: str = "sao-ke.xlsx",
) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in title:
        sheet.append(list(line))
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        name,
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def reasons(record) -> list[tuple[int, str]]:
    """``(line, reason)`` of each line of an import, in file order."""
    return [(entry["line"], entry["reason"]) for entry in record.unmatched]
