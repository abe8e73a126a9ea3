"""E-invoice data for orders (Decree 123/2020, Circular 78/2021, Decree 70/2025): prepared, not signed.

The platform prepares the invoice's fields and a printable copy; signing it
and sending it to the tax authority go through a licensed e-invoice
provider, which this module does not do.

Choices, so that every invoice reads the same way:

- **Template symbol** (ký hiệu mẫu số, one digit): ``1`` — VAT invoice — for
  cooperatives (VAT by the deduction method); ``2`` — sales invoice, no VAT
  lines — for household businesses and individuals (VAT by the direct
  method, included in the price).
- **Invoice symbol** (ký hiệu hoá đơn, six characters, Circular 78 art. 4):
  ``C`` (an invoice with the tax authority's code) + the year's last two
  digits + ``T`` (registered by a business, cooperative or household) +
  ``KN``, the two letters the seller may choose, here for Kết Nối:
  ``C26TKN`` for 2026.
- **Number**: 1, 2, 3… per seller per calendar year, restarting on 1
  January, at most 8 digits (shown zero-padded, ``00000012``). Allocated as
  the year's highest + 1 under a row lock on the seller, so two invoices
  issued at once get different numbers; the unique constraint (seller,
  year, number) is the last line of defence.
- **Prices include VAT** (what the buyer paid). Per line: unit price before
  VAT = unit price × 100 / (100 + rate), rounded half up to the đồng;
  amount = that × quantity; VAT = the line's total − amount. So unit price ×
  quantity is exactly the amount, amount + VAT exactly what was paid, and
  the VAT differs from rate × amount by less than half a đồng per unit.
- **VAT rate** by category (``VAT_BY_CATEGORY``, default 5 %); ``KCT``
  (không chịu thuế) for a producer's own unprocessed farm produce (Law
  48/2024/QH15 art. 5). Rates of 10 % fall to 8 % for invoices dated up to
  31 December 2026 (Resolution 204/2025/QH15), except for goods excluded
  from the cut (liquor). These are the platform's defaults; a seller's
  accountant checks them.
- **Delivery fee**: a line of its own at the rate of the goods that make up
  most of the order.
- Dates are local (Asia/Ho_Chi_Minh); amounts whole đồng.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.text import nfc

from ..data.banks import bank_name
from ..models import Invoice, Order, OrderState, PaymentMethod, Seller
from ..selectors import seller_can_edit

TEMPLATE_VAT = "1"
TEMPLATE_SALES = "2"
SYMBOL_CODED = "C"
SYMBOL_TYPE = "T"
SYMBOL_SELLER_LETTERS = "KN"
MAX_NUMBER = 99_999_999
NUMBER_DIGITS = 8
KCT = "KCT"
DEFAULT_VAT = 5
REDUCED_UNTIL = date(2026, 12, 31)
_TAX_CODE = re.compile(r"[0-9]{10}(?:-[0-9]{3})?|[0-9]{12}")

# Category slug → (rate in %, or KCT; whether 10 % is cut to 8 % until REDUCED_UNTIL).
VAT_BY_CATEGORY: dict[str, tuple[int | str, bool]] = {
    "brocade-textiles": (10, True),
    "food": (10, True),
    "tea-coffee": (10, True),
    "honey": (KCT, False),  # the cooperative's own honey, filtered and bottled
    "liquor": (10, False),  # subject to special consumption tax: no cut
    "handicrafts": (5, False),  # bamboo, rattan, rush… (5 % list)
    "herbs-medicinal": (5, False),
    "spices": (KCT, False),  # own produce, dried
    "rice-grains": (KCT, False),  # own produce, unprocessed
    "fruit-dried": (10, True),
    "cosmetics-natural": (10, True),
}

# States in which the money is in (or promised to the carrier): an invoice may be issued.
ISSUABLE_STATES = (
    OrderState.PAID,
    OrderState.COD_CONFIRMED,
    OrderState.PACKED,
    OrderState.SHIPPED,
    OrderState.DELIVERED,
    OrderState.COMPLETED,
)


def vat_rate(category_slug: str | None, on: date) -> int | str:
    """The VAT rate (percent, or ``"KCT"``) of goods in ``category_slug`` on an invoice dated ``on``."""
    rate, reducible = VAT_BY_CATEGORY.get(category_slug or "", (DEFAULT_VAT, False))
    if reducible and rate == 10 and on <= REDUCED_UNTIL:
        return 8
    return rate


def invoice_symbol(year: int) -> str:
    return f"{SYMBOL_CODED}{year % 100:02d}{SYMBOL_TYPE}{SYMBOL_SELLER_LETTERS}"


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class InvoiceLine:
    item: str
    unit: str
    quantity: int
    gross_vnd: int  # what the buyer paid for the line
    rate: int | str | None  # None on a sales invoice (no VAT lines)

    def split(self) -> tuple[int, int, int]:
        """(unit price before VAT, amount before VAT, VAT) in whole đồng; see the module docstring."""
        if not isinstance(self.rate, int) or self.rate == 0:
            unit_price = _half_up(Decimal(self.gross_vnd) / self.quantity)
            return unit_price, self.gross_vnd, 0
        unit_gross = Decimal(self.gross_vnd) / self.quantity
        unit_price = _half_up(unit_gross * 100 / (100 + self.rate))
        amount = unit_price * self.quantity
        return unit_price, amount, self.gross_vnd - amount


# --- Amounts in words ("Số tiền viết bằng chữ") --------------------------------------------

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_GROUPS = ("", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ")


def _three(number: int, *, full: bool) -> list[str]:
    """Words for 0–999; ``full`` reads a leading zero hundred ("không trăm") inside a larger number."""
    hundreds, tens, units = number // 100, (number // 10) % 10, number % 10
    words: list[str] = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        elif units == 4 and tens >= 2:
            words.append("tư")
        else:
            words.append(_DIGITS[units])
    return words


def amount_in_words(amount: int) -> str:
    """``1250000`` → ``"Một triệu hai trăm năm mươi nghìn đồng"`` (as Vietnamese invoices write it)."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    if amount == 0:
        return "Không đồng"
    groups: list[int] = []
    while amount:
        groups.append(amount % 1000)
        amount //= 1000
    if len(groups) > len(_GROUPS):
        raise ValueError("amount too large")
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words += _three(group, full=bool(words))
        if _GROUPS[index]:
            words.append(_GROUPS[index])
    text = " ".join(words) + " đồng"
    return text[0].upper() + text[1:]


# --- Issuing ---------------------------------------------------------------------------------


def _tax_code_ok(code: str) -> bool:
    """10 digits, 10 + "-" + 3 digits (a branch), or 12 (a person's citizen ID, from 1 July 2025)."""
    return bool(_TAX_CODE.fullmatch(code))


def _address(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def _lines(order: Order, *, vat: bool, on: date) -> list[InvoiceLine]:
    lines = list(order.lines.select_related("product__category").order_by("pk"))
    result = [
        InvoiceLine(
            item=line.product_name,
            unit=line.unit,
            quantity=line.quantity,
            gross_vnd=line.line_total_vnd,
            rate=vat_rate(line.product.category.slug, on) if vat else None,
        )
        for line in lines
    ]
    if order.shipping_vnd:
        rate: int | str | None = None
        if vat:
            by_rate: dict[int | str | None, int] = {}
            for one in result:
                by_rate[one.rate] = by_rate.get(one.rate, 0) + one.gross_vnd
            rate = max(by_rate.items(), key=lambda kv: kv[1])[0] if by_rate else DEFAULT_VAT
        result.append(
            InvoiceLine(
                item=str(_("Phí vận chuyển")),
                unit=str(_("lần")),
                quantity=1,
                gross_vnd=order.shipping_vnd,
                rate=rate,
            )
        )
    return result


def _rate_text(rate: int | str | None) -> str:
    if rate is None:
        return ""
    return rate if isinstance(rate, str) else f"{rate}%"


def invoice_data(
    *, order: Order, seller: Seller, on: date, number: int, buyer: dict[str, str]
) -> dict[str, Any]:
    """The invoice's fields as stored in ``Invoice.data`` (and shown on the printable page)."""
    vat = seller.kind == Seller.Kind.COOPERATIVE
    lines = _lines(order, vat=vat, on=on)
    rows: list[dict[str, Any]] = []
    summary: dict[str, dict[str, int]] = {}
    total_before = total_vat = 0
    for index, line in enumerate(lines, start=1):
        unit_price, amount, tax = line.split()
        rate = _rate_text(line.rate)
        rows.append(
            {
                "no": index,
                "item": line.item,
                "unit": line.unit,
                "quantity": line.quantity,
                "unit_price": unit_price,
                "amount": amount,
                "vat_rate": rate,
                "vat_amount": tax,
            }
        )
        if vat:
            group = summary.setdefault(rate, {"amount": 0, "vat": 0})
            group["amount"] += amount
            group["vat"] += tax
        total_before += amount
        total_vat += tax
    total = total_before + total_vat
    commune = seller.commune
    return {
        "template_symbol": TEMPLATE_VAT if vat else TEMPLATE_SALES,
        "invoice_symbol": invoice_symbol(on.year),
        "number": number,
        "number_text": f"{number:0{NUMBER_DIGITS}d}",
        "kind": "vat" if vat else "sales",
        "issued_on": on.isoformat(),
        "currency": "VND",
        "order_reference": order.reference,
        "payment_method": "TM" if order.payment_method == PaymentMethod.COD else "CK",
        "seller": {
            "name": seller.name,
            "tax_code": seller.tax_code,
            "address": _address(seller.village, commune.name, commune.province.name),
            "bank_account": seller.bank_account,
            "bank_name": bank_name(seller.bank_bin),
        },
        "buyer": buyer,
        "lines": rows,
        "vat_summary": [{"rate": rate, **values} for rate, values in summary.items()],
        "total_before_vat": total_before,
        "total_vat": total_vat,
        "total": total,
        "total_in_words": amount_in_words(total),
    }


def invoice_issue(
    *,
    order: Order,
    actor: Any,
    buyer_company: str = "",
    buyer_tax_code: str = "",
    buyer_address: str = "",
    issued_on: date | None = None,
) -> Invoice:
    """The e-invoice of ``order``, numbered now if it has none (one per order: idempotent).

    ``actor`` is the order's seller (leader or member). The order must be
    paid (or a confirmed cash-on-delivery order, or later) and the seller
    must have a tax code. ``buyer_company``/``buyer_tax_code``/``buyer_address``
    are for a buyer who asked for an invoice in her business's name
    (default: the order's recipient and delivery address, no tax code).
    ``issued_on`` is today (local) unless given. Holds a row lock on the
    seller while the number is allocated.
    """
    if not seller_can_edit(actor, order.seller):
        if actor is not None and order.buyer_id is not None and order.buyer_id == getattr(actor, "pk", None):
            raise PermissionDenied(_("Chỉ người bán mới lập được hoá đơn."), code="invoice_not_seller")
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_unknown")
    company, tax_code, address = nfc(buyer_company), nfc(buyer_tax_code), nfc(buyer_address)
    if tax_code and not _tax_code_ok(tax_code):
        raise DomainError(
            _("Mã số thuế người mua không đúng: 10 chữ số, 10 chữ số-3 chữ số, hoặc số CCCD 12 chữ số."),
            code="invoice_buyer_tax_code",
        )
    if len(company) > 200 or len(address) > 300:
        raise DomainError(_("Tên hoặc địa chỉ người mua dài quá."), code="invoice_buyer_too_long")
    on = issued_on or timezone.localdate()
    try:
        with transaction.atomic():
            seller = (
                Seller.objects.select_for_update().select_related("commune__province").get(pk=order.seller_id)
            )
            existing = Invoice.objects.filter(order=order).first()
            if existing is not None:
                return existing
            locked = Order.objects.select_related("delivery_commune__province").get(pk=order.pk)
            if locked.state not in ISSUABLE_STATES:
                raise DomainError(
                    _("Chỉ lập hoá đơn cho đơn đã thanh toán (hoặc đã nhận đơn trả khi nhận hàng)."),
                    code="invoice_order_state",
                    status=409,
                )
            if not _tax_code_ok(seller.tax_code or ""):
                raise DomainError(
                    _("Hãy thêm mã số thuế của bạn vào hồ sơ người bán trước khi lập hoá đơn."),
                    code="invoice_no_tax_code",
                    status=409,
                )
            last = (
                Invoice.objects.filter(seller=seller, year=on.year).aggregate(last=Max("number"))["last"] or 0
            )
            number = last + 1
            if number > MAX_NUMBER:
                raise DomainError(
                    _("Đã hết số hoá đơn của năm nay (tối đa 8 chữ số)."),
                    code="invoice_numbers_full",
                    status=409,
                )
            delivery = locked.delivery_commune
            buyer = {
                "name": locked.buyer_name,
                "company": company,
                "tax_code": tax_code,
                "address": address or _address(locked.delivery_line, delivery.name, delivery.province.name),
            }
            invoice = Invoice.objects.create(
                order=locked,
                seller=seller,
                year=on.year,
                number=number,
                template_symbol=TEMPLATE_VAT if seller.kind == Seller.Kind.COOPERATIVE else TEMPLATE_SALES,
                invoice_symbol=invoice_symbol(on.year),
                issued_on=on,
                data=invoice_data(order=locked, seller=seller, on=on, number=number, buyer=buyer),
            )
            audit_record(
                actor=actor,
                action="market.invoice_issue",
                target=invoice,
                changes={
                    "number": (None, number),
                    "year": (None, on.year),
                    "total": (None, invoice.data["total"]),
                },
            )
    except IntegrityError:
        # A second request for the same order won the race: its invoice is the order's.
        existing = Invoice.objects.filter(order=order).first()
        if existing is None:
            raise
        return existing
    return invoice


def invoice_for_user(*, user: Any, reference: str) -> tuple[Order, Invoice | None, bool]:
    """(order, its invoice or ``None``, whether ``user`` is its seller) for the order's buyer or seller.

    Anyone else — an administrator included — gets ``NotFound``.
    """
    order = (
        Order.objects.select_related("seller").filter(reference=str(reference)[:20]).first()
        if reference
        else None
    )
    if order is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_unknown")
    is_seller = seller_can_edit(user, order.seller)
    if not is_seller and order.buyer_id != user.pk:
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_unknown")
    invoice = Invoice.objects.filter(order=order).first()
    return order, invoice, is_seller


def invoice_can_issue(order: Order) -> bool:
    """Whether ``order`` may get an invoice now (its seller has a tax code, the money is in)."""
    return order.state in ISSUABLE_STATES and _tax_code_ok(order.seller.tax_code or "")
