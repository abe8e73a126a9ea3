"""Writes of the payments app: open a payment, confirm it, refund it, cash on delivery.

Money moves only through the ledger's services. Each movement carries an
idempotency key derived from the payment, so a retried or repeated call
never moves money twice:

- ``payment-<id>-confirm``: a VietQR transfer arrived (the seller says so, or
  a bank statement line matched): ``buyers-external`` −amount,
  ``seller-<seller id>-sales`` +amount.
- ``payment-<id>-cod-collected``: the carrier collected the cash at the door:
  ``buyers-external`` −amount, ``carrier-<code>-cod`` +amount (settled to the
  seller later by ``shipping.services.cod_settle``).
- ``payment-<id>-refund``: the reversal of whichever of the two was posted.

Bank statements are imported in ``payments.statements``.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role
from ketnoi.accounts.selectors import user_has_role
from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.money import format_vnd
from ketnoi.core.text import fold, nfc
from ketnoi.ledger.models import Account, Transfer
from ketnoi.ledger.services import account_open, transfer_post, transfer_reverse
from ketnoi.market.models import Order, OrderState, PaymentMethod, Seller
from ketnoi.market.selectors import seller_can_edit
from ketnoi.market.services.orders import REFERENCE_PREFIX, order_transition

from .models import Payment, StatementImport
from .statement_files import StatementLine, statement_read

BUYERS_EXTERNAL = "buyers-external"
DEFAULT_CARRIER = "vnpost"
VIA_SELLER = Payment.ConfirmedBy.SELLER.value
VIA_STATEMENT = Payment.ConfirmedBy.STATEMENT.value
# Order states in which a transfer can still be accepted for the order.
PAYABLE_STATES = (OrderState.PLACED, OrderState.AWAITING_PAYMENT)
_REFERENCE = re.compile(r"[A-Z0-9]{4,25}")


# --- Ledger accounts ----------------------------------------------------------------


def seller_sales_code(seller_id: int) -> str:
    return f"seller-{seller_id}-sales"


def carrier_cod_code(carrier_code: str) -> str:
    return f"carrier-{carrier_code}-cod"


def _buyers_account() -> Account:
    return account_open(
        code=BUYERS_EXTERNAL,
        name="Người mua (tiền từ ngoài hệ thống)",
        kind=Account.Kind.EXTERNAL,
        may_go_negative=True,
    )


def _sales_account(seller: Seller) -> Account:
    return account_open(
        code=seller_sales_code(seller.pk),
        name=f"Tiền bán hàng — {seller.name}"[:200],
        kind=Account.Kind.SELLER_RECEIVABLE,
    )


def _carrier_account(carrier_code: str) -> Account:
    return account_open(
        code=carrier_cod_code(carrier_code),
        name=f"Tiền thu hộ (COD) — {carrier_code}",
        kind=Account.Kind.CARRIER_COD,
    )


# --- Opening -----------------------------------------------------------------------


def payment_open(*, order: Order) -> Payment:
    """The payment of ``order``: what the buyer owes and how. Idempotent: one per order.

    Amount is the order's total, reference the order's reference (the VietQR
    purpose the bank statement carries back). Called by ``order_place``
    inside its transaction.
    """
    existing = Payment.objects.filter(order=order).first()
    if existing is not None:
        return existing
    if not _REFERENCE.fullmatch(order.reference or ""):
        raise DomainError(
            _("Mã đơn phải gồm 4–25 chữ in hoa không dấu hoặc chữ số."), code="payment_reference"
        )
    if order.total_vnd <= 0:
        raise DomainError(_("Đơn hàng phải có tổng tiền lớn hơn 0."), code="payment_amount")
    payment = Payment(
        order=order,
        method=order.payment_method,
        amount_vnd=order.total_vnd,
        reference=order.reference,
    )
    try:
        with transaction.atomic():
            payment.save()
            audit_record(
                actor=order.buyer,
                action="payment.open",
                target=payment,
                changes={
                    "method": (None, payment.method),
                    "amount_vnd": (None, payment.amount_vnd),
                    "reference": (None, payment.reference),
                },
            )
    except IntegrityError:
        # Another request opened it first (the order is unique on payments).
        existing = Payment.objects.filter(order=order).first()
        if existing is None:
            raise
        return existing
    return payment


# --- Confirming --------------------------------------------------------------------


def _locked(payment: Payment) -> Payment:
    """``payment`` read again under a row lock, with its order and seller."""
    return Payment.objects.select_for_update().select_related("order__seller").get(pk=payment.pk)


def payment_confirm(*, payment: Payment, actor: Any | None, via: str, note: str = "") -> Payment:
    """The VietQR transfer for ``payment`` has arrived: the order becomes paid.

    ``via="seller"``: ``actor`` is the order's seller (leader or member)
    saying she sees the money in her account. ``via="statement"``: a line of
    an imported bank statement matched (``actor`` is ``None``: the system).
    Posts ``payment-<id>-confirm`` to the ledger. Confirming a payment that
    is already confirmed returns it unchanged (no second transfer). Holds a
    row lock on the payment. Raises ``PermissionDenied`` for anyone but the
    seller, ``DomainError`` for a cash-on-delivery payment, a refunded one or
    an order that can no longer be paid (cancelled).
    """
    if via not in (VIA_SELLER, VIA_STATEMENT):
        raise DomainError(_("Cách xác nhận không hợp lệ."), code="payment_via")
    with transaction.atomic():
        payment = _locked(payment)
        order = payment.order
        if via == VIA_SELLER and not seller_can_edit(actor, order.seller):
            raise PermissionDenied(
                _("Chỉ người bán của đơn này mới xác nhận được đã nhận tiền."), code="payment_not_seller"
            )
        if payment.state == Payment.State.CONFIRMED:
            return payment
        if payment.state == Payment.State.REFUNDED:
            raise DomainError(_("Tiền của đơn này đã được hoàn lại."), code="payment_refunded", status=409)
        if payment.method != PaymentMethod.VIETQR:
            raise DomainError(
                _("Đơn trả tiền khi nhận hàng: bưu điện thu tiền, không cần xác nhận ở đây."),
                code="payment_is_cod",
                status=409,
            )
        if order.state not in PAYABLE_STATES:
            raise DomainError(
                _("Đơn %(reference)s đang ở trạng thái “%(state)s”, không nhận thanh toán được nữa."),
                code="payment_order_state",
                params={"reference": order.reference, "state": OrderState(order.state).label},
                status=409,
            )
        by = actor if via == VIA_SELLER else None
        order_transition(order=order, to=OrderState.PAID, actor=by, note=note or _label(via))
        _buyers_account()
        sales = _sales_account(order.seller)
        transfer = transfer_post(
            idempotency_key=f"payment-{payment.pk}-confirm",
            postings=[(BUYERS_EXTERNAL, -payment.amount_vnd), (sales.code, payment.amount_vnd)],
            memo=f"VietQR {payment.reference}",
            actor=by,
        )
        payment.state = Payment.State.CONFIRMED
        payment.confirmed_via = via
        payment.confirmed_by = by
        payment.confirmed_at = timezone.now()
        payment.ledger_transfer_id = transfer.pk
        payment.save(
            update_fields=[
                "state",
                "confirmed_via",
                "confirmed_by",
                "confirmed_at",
                "ledger_transfer_id",
                "updated_at",
            ]
        )
        audit_record(
            actor=by,
            action="payment.confirm",
            target=payment,
            changes={"state": (Payment.State.PENDING, Payment.State.CONFIRMED), "confirmed_via": ("", via)},
            reason=note,
        )
    return payment


def _label(via: str) -> str:
    return str(Payment.ConfirmedBy(via).label)


# --- Cash on delivery ----------------------------------------------------------------


def cod_collected(*, order: Order, carrier_code: str | None = None) -> Payment:
    """The carrier has the buyer's cash for ``order`` (a cash-on-delivery order, delivered).

    Posts ``payment-<id>-cod-collected``: ``buyers-external`` → the carrier's
    COD account (``carrier-<code>-cod``), from which ``cod_settle`` pays the
    seller. ``carrier_code`` defaults to the order's shipment's carrier, else
    Vietnam Post. Idempotent: a second call returns the payment unchanged.
    Does not move the order: shipping does that with "delivered".
    """
    with transaction.atomic():
        payment = Payment.objects.filter(order=order).first() or payment_open(order=order)
        payment = _locked(payment)
        if payment.method != PaymentMethod.COD:
            raise DomainError(_("Đơn này không trả tiền khi nhận hàng."), code="payment_not_cod", status=409)
        if payment.state == Payment.State.CONFIRMED:
            return payment
        if payment.state == Payment.State.REFUNDED:
            raise DomainError(_("Tiền của đơn này đã được hoàn lại."), code="payment_refunded", status=409)
        code = carrier_code or _shipment_carrier(order) or DEFAULT_CARRIER
        _buyers_account()
        carrier = _carrier_account(code)
        transfer = transfer_post(
            idempotency_key=f"payment-{payment.pk}-cod-collected",
            postings=[(BUYERS_EXTERNAL, -payment.amount_vnd), (carrier.code, payment.amount_vnd)],
            memo=f"COD {payment.reference}",
        )
        payment.state = Payment.State.CONFIRMED
        payment.confirmed_via = Payment.ConfirmedBy.CARRIER
        payment.confirmed_at = timezone.now()
        payment.ledger_transfer_id = transfer.pk
        payment.save(
            update_fields=["state", "confirmed_via", "confirmed_at", "ledger_transfer_id", "updated_at"]
        )
        audit_record(
            actor=None,
            action="payment.cod_collected",
            target=payment,
            changes={"state": (Payment.State.PENDING, Payment.State.CONFIRMED), "carrier": (None, code)},
        )
    return payment


def _shipment_carrier(order: Order) -> str | None:
    shipment = getattr(order, "shipment", None)  # reverse one-to-one from shipping.Shipment
    return shipment.carrier.code if shipment is not None else None


# --- Refunds ---------------------------------------------------------------------------


def payment_refund(*, payment: Payment, actor: Any | None, reason: str = "") -> Payment:
    """Give the buyer her money back: the order becomes refunded and the ledger entry is undone.

    ``actor`` is the seller (leader or member) or an administrator. Moves the
    order to "refunded" through ``order_transition`` (unless it is there
    already, so the orders app may move it first), then posts
    ``payment-<id>-refund``: the reversal of the confirm (or COD-collected)
    transfer, or — for cash on delivery already settled to the seller —
    ``seller-<id>-sales`` → ``buyers-external``. Refunding twice returns the
    payment unchanged. Refuses a payment whose money never arrived (cancel
    the order instead).
    """
    with transaction.atomic():
        payment = _locked(payment)
        order = payment.order
        if actor is None or not (
            seller_can_edit(actor, order.seller) or user_has_role(actor, Role.ADMINISTRATOR)
        ):
            raise PermissionDenied(
                _("Chỉ người bán của đơn này hoặc quản trị viên mới hoàn tiền được."),
                code="payment_not_seller",
            )
        if payment.state == Payment.State.REFUNDED:
            return payment
        if payment.state != Payment.State.CONFIRMED or payment.ledger_transfer_id is None:
            raise DomainError(
                _("Chưa nhận tiền của đơn này nên không có gì để hoàn. Hãy huỷ đơn."),
                code="payment_not_confirmed",
                status=409,
            )
        if order.state != OrderState.REFUNDED:
            # The order's refund move calls back into this function and does the rest.
            order_transition(order=order, to=OrderState.REFUNDED, actor=actor, note=reason)
            payment.refresh_from_db()
            if payment.state == Payment.State.REFUNDED:
                return payment
        key = f"payment-{payment.pk}-refund"
        memo = f"Hoàn tiền {payment.reference}"
        shipment = getattr(order, "shipment", None)
        if payment.method == PaymentMethod.COD and shipment is not None and shipment.cod_settled:
            # The carrier has passed the cash on: it comes back out of the seller's sales.
            sales = _sales_account(order.seller)
            transfer_post(
                idempotency_key=key,
                postings=[(sales.code, -payment.amount_vnd), (BUYERS_EXTERNAL, payment.amount_vnd)],
                memo=memo,
                actor=actor,
            )
        else:
            transfer = Transfer.objects.get(pk=payment.ledger_transfer_id)
            transfer_reverse(transfer=transfer, idempotency_key=key, actor=actor, memo=memo)
        payment.state = Payment.State.REFUNDED
        payment.save(update_fields=["state", "updated_at"])
        audit_record(
            actor=actor,
            action="payment.refund",
            target=payment,
            changes={"state": (Payment.State.CONFIRMED, Payment.State.REFUNDED)},
            reason=reason,
        )
    return payment


# --- Bank statements -----------------------------------------------------------------

# Why a statement line was or was not applied: code → message (``params`` fill it).
STATEMENT_REASONS: dict[str, Any] = {
    "matched": _("Đã khớp: đơn chuyển sang “Đã thanh toán”."),
    "unknown_reference": _("Không thấy mã đơn nào của bạn trong nội dung."),
    "several_references": _(
        "Có nhiều mã đơn trong một dòng (%(references)s): hãy xác nhận từng đơn bằng tay."
    ),
    "wrong_amount": _("Số tiền khác với đơn %(reference)s (đơn cần %(expected)s)."),
    "already_paid": _(
        "Đơn %(reference)s đã thanh toán trước đó. Người mua có thể đã chuyển hai lần: hãy kiểm tra."
    ),
    "already_applied": _("Dòng này đã được khớp ở lần tải sao kê trước (số %(import_id)s)."),
    "duplicate": _("Dòng này trùng với dòng %(first_line)s trong cùng tệp."),
    "bad_amount": _("Không đọc được số tiền của dòng này."),
    "refunded": _("Tiền của đơn %(reference)s đã được hoàn lại."),
    "not_payable": _("Đơn %(reference)s không nhận thanh toán được nữa: %(problem)s"),
}
DESCRIPTION_KEPT = 200  # characters of a line's description kept to show the seller


def statement_reason(entry: dict[str, Any]) -> str:
    """The message for one stored statement line, in the reader's language."""
    template = STATEMENT_REASONS.get(entry.get("reason", ""), STATEMENT_REASONS["unknown_reference"])
    params = dict(entry.get("params") or {})
    if "expected" in params:
        params["expected"] = format_vnd(int(params["expected"]))
    try:
        return str(template) % params if params else str(template)
    except (KeyError, TypeError, ValueError):
        return str(template)


def _references_in(squeezed: str, known: dict[str, Payment], lengths: list[int]) -> list[str]:
    """The known references inside ``squeezed``, longest first; one inside another counts once."""
    found: set[str] = set()
    for length in lengths:
        for start in range(len(squeezed) - length + 1):
            piece = squeezed[start : start + length]
            if piece in known:
                found.add(piece)
    ordered = sorted(found, key=lambda r: (-len(r), r))
    return [r for i, r in enumerate(ordered) if not any(r in longer for longer in ordered[:i])]


def _reference_guess(description: str) -> str:
    """A word of ``description`` that looks like an order reference ("DH…"), to show the seller."""
    words = re.findall(r"[A-Z0-9]+", fold(description).upper())
    return next((w for w in words if w.startswith(REFERENCE_PREFIX) and len(w) >= 6), "")[:25]


def _applied_before(seller: Seller) -> dict[str, int]:
    """Fingerprint → import id of every line an earlier import of ``seller`` applied."""
    applied: dict[str, int] = {}
    for import_id, entries in StatementImport.objects.filter(seller=seller).values_list("pk", "unmatched"):
        for entry in entries or []:
            if entry.get("reason") == "matched" and entry.get("fingerprint"):
                applied.setdefault(entry["fingerprint"], import_id)
    return applied


def statement_import(
    *, actor: Any, seller: Seller, file: Any, filename: str | None = None
) -> StatementImport:
    """Match the money-in lines of ``seller``'s bank statement to her VietQR payments.

    A line matches when the description holds the reference of one of the
    seller's payments AND the amount equals that payment's; it then confirms
    the payment (``via="statement"``). Every other line is kept with its
    reason (unknown reference, wrong amount, already paid, a duplicate of
    an earlier line in the file, already applied by an earlier import…). A
    line applied once is never applied again, whatever file carries it. A
    file that cannot be read raises ``DomainError`` before anything is
    written. ``actor`` must be the seller's leader or a member.

    Every line is stored in ``StatementImport.unmatched`` with its reason
    (matched lines with ``"matched"``): ``line``, ``date``, ``amount_vnd``,
    ``description``, ``reference``, ``reason``, ``params``, ``fingerprint``,
    ``payment``.
    """
    if not seller_can_edit(actor, seller):
        raise PermissionDenied(
            _("Chỉ người bán mới tải sao kê của mình lên được."), code="statement_not_seller"
        )
    name = nfc(filename or getattr(file, "name", "") or "sao-ke")
    statement = statement_read(file, name)
    if not statement.lines:
        raise DomainError(
            _("Không có dòng tiền vào nào trong sao kê này. Hãy chọn đúng tài khoản và khoảng thời gian."),
            code="statement_no_credits",
        )
    known = {
        p.reference: p
        for p in Payment.objects.filter(order__seller=seller, method=PaymentMethod.VIETQR).only(
            "pk", "reference", "amount_vnd", "state"
        )
    }
    lengths = sorted({len(r) for r in known}, reverse=True)
    applied = _applied_before(seller)

    with transaction.atomic():
        record = StatementImport.objects.create(
            seller=seller, uploaded_by=actor, filename=name[:200], lines_total=len(statement.lines)
        )
        first_seen: dict[str, int] = {}
        entries: list[dict[str, Any]] = []
        for line in statement.lines:
            reason, params, reference, payment_id = _statement_line(
                line,
                record=record,
                known=known,
                lengths=lengths,
                applied=applied,
                first_seen=first_seen,
            )
            first_seen.setdefault(line.fingerprint, line.line)
            entries.append(
                {
                    "line": line.line,
                    "date": line.date.isoformat() if line.date else line.date_text[:30],
                    "amount_vnd": line.amount_vnd,
                    "description": line.description[:DESCRIPTION_KEPT],
                    "reference": reference,
                    "reason": reason,
                    "params": params,
                    "fingerprint": line.fingerprint,
                    "payment": payment_id,
                }
            )
        record.unmatched = entries
        record.lines_matched = sum(1 for e in entries if e["reason"] == "matched")
        record.save(update_fields=["unmatched", "lines_matched", "updated_at"])
        audit_record(
            actor=actor,
            action="payment.statement_import",
            target=record,
            changes={
                "filename": (None, record.filename),
                "lines_total": (None, record.lines_total),
                "lines_matched": (None, record.lines_matched),
            },
        )
    return record


def _statement_line(
    line: StatementLine,
    *,
    record: StatementImport,
    known: dict[str, Payment],
    lengths: list[int],
    applied: dict[str, int],
    first_seen: dict[str, int],
) -> tuple[str, dict[str, Any], str, int | None]:
    """Decide one line, confirming its payment when it matches: (reason, params, reference, payment id)."""
    if line.fingerprint in first_seen:
        return "duplicate", {"first_line": first_seen[line.fingerprint]}, "", None
    if line.fingerprint in applied:
        return "already_applied", {"import_id": applied[line.fingerprint]}, "", None
    references = _references_in(line.squeezed, known, lengths)
    if not references:
        return "unknown_reference", {}, _reference_guess(line.description), None
    if len(references) > 1:
        return "several_references", {"references": ", ".join(references)}, references[0], None
    reference = references[0]
    payment = known[reference]
    if line.amount_vnd is None:
        return "bad_amount", {}, reference, payment.pk
    if line.amount_vnd != payment.amount_vnd:
        return "wrong_amount", {"reference": reference, "expected": payment.amount_vnd}, reference, payment.pk
    try:
        with transaction.atomic():
            # Read again under the lock: another import may have just confirmed it.
            state = Payment.objects.select_for_update().values_list("state", flat=True).get(pk=payment.pk)
            if state == Payment.State.CONFIRMED:
                return "already_paid", {"reference": reference}, reference, payment.pk
            if state == Payment.State.REFUNDED:
                return "refunded", {"reference": reference}, reference, payment.pk
            payment_confirm(
                payment=payment,
                actor=None,
                via=VIA_STATEMENT,
                note=f"Sao kê số {record.pk}, dòng {line.line}",
            )
    except DomainError as error:
        return "not_payable", {"reference": reference, "problem": str(error)}, reference, payment.pk
    return "matched", {}, reference, payment.pk
