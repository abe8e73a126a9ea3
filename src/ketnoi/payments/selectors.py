"""Reads of the payments app, already limited to what the reader may see.

Someone else's payment, order or statement is ``NotFound`` (a 404), never a
403 that would say it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import segno
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import NotFound
from ketnoi.market.data.banks import bank_name
from ketnoi.market.models import Invoice, Order, OrderState, PaymentMethod, Seller
from ketnoi.market.selectors import seller_can_edit, sellers_of_user
from ketnoi.market.services.invoices import invoice_can_issue

from . import vietqr
from .models import Payment, StatementImport

STATEMENTS_ON_PAGE = 20
# Orders whose money can still be refunded by the seller (``market.services.orders.MOVES``).
REFUNDABLE_STATES = (
    OrderState.PAID,
    OrderState.PACKED,
    OrderState.DELIVERED,
    OrderState.COMPLETED,
    OrderState.CANCELLED,
)


def payment_vietqr(*, seller: Seller, amount_vnd: int, reference: str) -> str | None:
    """The VietQR payload paying ``amount_vnd`` to ``seller`` for ``reference``.

    ``None`` when the seller has no (valid) bank account.
    """
    if not seller.bank_bin or not seller.bank_account:
        return None
    try:
        return vietqr.encode(seller.bank_bin, seller.bank_account, amount_vnd, reference)
    except ValueError:
        return None


def qr_svg(payload: str, *, title: str) -> SafeString:
    """``payload`` as an inline SVG QR code: black on white, 4-module quiet zone, sized by CSS.

    No width or height (only a viewBox), no style attribute or element, so
    the stylesheet scales it and the Content-Security-Policy lets it in.
    """
    code = segno.make(payload, error="m", micro=False)
    svg = code.svg_inline(
        scale=1,
        border=4,
        dark="#000",
        light="#fff",
        omitsize=True,
        svgclass="qr",
        lineclass=None,
        title=title,
    )
    # segno writes the markup itself and escapes the title; the payload is ASCII we built.
    return mark_safe(svg)  # noqa: S308


@dataclass(frozen=True)
class PaymentPanel:
    """What the payment block of an order page shows to the person looking at it."""

    order: Order
    payment: Payment | None
    is_seller: bool
    is_cod: bool
    awaiting: bool  # a VietQR payment whose money has not come yet, on an order that can still take it
    vietqr: str | None
    svg: SafeString | None
    bank_name: str
    bank_bin: str
    account: str
    account_name: str
    reference: str
    amount_vnd: int
    can_confirm: bool
    can_refund: bool
    invoice: Invoice | None
    invoice_url: str  # "" while the invoice page is not mounted
    can_issue_invoice: bool

    @property
    def state(self) -> str:
        return self.payment.state if self.payment is not None else Payment.State.PENDING


def order_payment_panel(*, order: Order, user: Any) -> PaymentPanel:
    """The payment block of ``order`` for ``user`` (who already may see the order). Three queries at most."""
    payment = Payment.objects.filter(order=order).first()
    seller = order.seller
    is_seller = seller_can_edit(user, seller)
    is_cod = order.payment_method == PaymentMethod.COD
    state = payment.state if payment is not None else Payment.State.PENDING
    awaiting = (
        not is_cod
        and state == Payment.State.PENDING
        and order.state in (OrderState.PLACED, OrderState.AWAITING_PAYMENT)
    )
    reference = payment.reference if payment is not None else order.reference
    amount = payment.amount_vnd if payment is not None else order.total_vnd
    invoice = Invoice.objects.filter(order=order).first()
    try:
        invoice_url = reverse("market:invoice", kwargs={"reference": order.reference})
    except NoReverseMatch:
        invoice_url = ""
    payload = payment_vietqr(seller=seller, amount_vnd=amount, reference=reference) if awaiting else None
    svg = qr_svg(payload, title=str(_("Mã VietQR để chuyển khoản"))) if payload and not is_seller else None
    return PaymentPanel(
        order=order,
        payment=payment,
        is_seller=is_seller,
        is_cod=is_cod,
        awaiting=awaiting,
        vietqr=payload,
        svg=svg,
        bank_name=bank_name(seller.bank_bin),
        bank_bin=seller.bank_bin,
        account=seller.bank_account,
        account_name=seller.bank_account_name,
        reference=reference,
        amount_vnd=amount,
        can_confirm=is_seller and awaiting and payment is not None,
        can_refund=(
            is_seller
            and payment is not None
            and state == Payment.State.CONFIRMED
            and order.state in REFUNDABLE_STATES
        ),
        invoice=invoice,
        invoice_url=invoice_url,
        can_issue_invoice=is_seller and invoice is None and invoice_can_issue(order),
    )


def order_for_payment(*, user: Any, order_id: int) -> Order:
    """Order ``order_id`` if ``user`` is its buyer or one of its seller's people; else ``NotFound``."""
    order = Order.objects.select_related("seller").filter(pk=order_id).first()
    if order is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_unknown")
    if order.buyer_id != user.pk and not seller_can_edit(user, order.seller):
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_unknown")
    return order


def payment_for_seller(*, user: Any, payment_id: int) -> Payment:
    """Payment ``payment_id`` if ``user`` is its order's seller (leader or member); else ``NotFound``."""
    payment = Payment.objects.select_related("order__seller").filter(pk=payment_id).first()
    if payment is None or not seller_can_edit(user, payment.order.seller):
        raise NotFound(_("Không tìm thấy khoản thanh toán này."), code="payment_unknown")
    return payment


def statement_imports_for_user(user: Any) -> QuerySet[StatementImport]:
    """The statements uploaded for the sellers ``user`` belongs to, newest first."""
    sellers = sellers_of_user(user).values("pk")
    return (
        StatementImport.objects.filter(seller__in=sellers)
        .select_related("seller", "uploaded_by")
        .order_by("-created_at", "-pk")
    )


def statement_import_for_user(*, user: Any, import_id: int) -> StatementImport:
    """One statement import of a seller ``user`` belongs to; else ``NotFound``."""
    record = statement_imports_for_user(user).filter(pk=import_id).first()
    if record is None:
        raise NotFound(_("Không tìm thấy sao kê này."), code="statement_unknown")
    return record
