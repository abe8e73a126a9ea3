"""Orders: placing them from a cart (one per seller), the state machine, and unpaid time-outs.

    placed ─┬─ awaiting_payment ── paid ─┐
            └─ cod_confirmed ────────────┴─ packed ── shipped ── delivered ── completed
    cancel: before packed by the buyer, before shipped by the seller, an
            unpaid VietQR order by the system when its 30 minutes run out;
    refund: by the seller, once the money has come in.

``MOVES`` is the whole table: each allowed move and who may make it.
Stock is reserved when an order is placed (a conditional ``UPDATE``, so two
buyers can never take the same last item) and released exactly once, by
the move that takes the order out of a stock-holding state to cancelled or
refunded — the order row is locked while it moves, and a move out of
cancelled back into those states does not exist.
"""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.money import format_vnd
from ketnoi.core.notify import message_send
from ketnoi.core.phone import normalize_phone
from ketnoi.core.text import nfc
from ketnoi.places.models import Commune

from ..delivery_fees import delivery_fee
from ..models import Cart, CartLine, Order, OrderEvent, OrderLine, OrderState, PaymentMethod, Product
from ..selectors_orders import ADMIN, BUYER, SELLER, SYSTEM, order_parties
from .cart import MAX_QUANTITY, MIN_QUANTITY

S = OrderState

# (from, to) → who may make the move. An administrator may make any of them.
MOVES: dict[tuple[str, str], frozenset[str]] = {
    (S.PLACED, S.AWAITING_PAYMENT): frozenset({SYSTEM}),  # at placement, for VietQR
    (S.PLACED, S.COD_CONFIRMED): frozenset({SELLER}),
    (S.PLACED, S.CANCELLED): frozenset({BUYER, SELLER}),
    (S.AWAITING_PAYMENT, S.PAID): frozenset({SELLER, SYSTEM}),  # seller's confirm or a statement match
    (S.AWAITING_PAYMENT, S.CANCELLED): frozenset({BUYER, SELLER, SYSTEM}),  # SYSTEM: time-out
    (S.PAID, S.PACKED): frozenset({SELLER}),
    (S.PAID, S.CANCELLED): frozenset({BUYER, SELLER}),
    (S.PAID, S.REFUNDED): frozenset({SELLER}),
    (S.COD_CONFIRMED, S.PACKED): frozenset({SELLER}),
    (S.COD_CONFIRMED, S.CANCELLED): frozenset({BUYER, SELLER}),
    (S.PACKED, S.SHIPPED): frozenset({SELLER, SYSTEM}),  # normally by the shipping app
    (S.PACKED, S.CANCELLED): frozenset({SELLER}),
    (S.PACKED, S.REFUNDED): frozenset({SELLER}),
    (S.SHIPPED, S.DELIVERED): frozenset({SYSTEM}),  # a carrier event
    (S.DELIVERED, S.COMPLETED): frozenset({BUYER, SYSTEM}),
    (S.DELIVERED, S.REFUNDED): frozenset({SELLER}),
    (S.COMPLETED, S.REFUNDED): frozenset({SELLER}),
    (S.CANCELLED, S.REFUNDED): frozenset({SELLER}),
}
# States in which the order's items are held out of stock for it.
HOLDS_STOCK = frozenset({S.PLACED, S.AWAITING_PAYMENT, S.PAID, S.COD_CONFIRMED, S.PACKED})
RELEASES_STOCK = frozenset({S.CANCELLED, S.REFUNDED})

VIETQR_HOLD = timedelta(minutes=30)
REFERENCE_PREFIX = "DH"
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out over the phone

_SMS_NEW_ORDER = _("Kết Nối: đơn mới %(reference)s, %(count)s sản phẩm, %(total)s. Xem ở mục Đơn hàng.")
_SMS_CANCELLED = _("Kết Nối: đơn %(reference)s đã bị huỷ. %(note)s")
_SMS_SHIPPED = _("Kết Nối: đơn %(reference)s đã gửi đi, đang trên đường đến bạn.")


def reference_new() -> str:
    """``DH`` and 8 unambiguous characters: also the VietQR purpose (62/08), ASCII, 10 chars."""
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _i in range(8))


def _reference_unique() -> str:
    while True:
        reference = reference_new()
        if not Order.objects.filter(reference=reference).exists():
            return reference


# --- The state machine ----------------------------------------------------------------


def order_moves(*, state: str, parties: frozenset[str]) -> list[str]:
    """The states an order in ``state`` may move to by someone who is ``parties`` to it."""
    return [
        to for (source, to), who in MOVES.items() if source == state and (ADMIN in parties or who & parties)
    ]


def _refund(order: Order, actor: Any, note: str) -> None:
    # The money goes back through the payments app, which refuses (409) when none came in;
    # its refusal rolls this whole move back.
    from ketnoi.payments.services import payment_refund

    payment = getattr(order, "payment", None)  # reverse one-to-one from payments.Payment; None if absent
    if payment is None:
        raise DomainError(_("Chưa nhận tiền của đơn này nên không có gì để hoàn. Hãy huỷ đơn."), status=409)
    payment_refund(payment=payment, actor=actor, reason=note)


def _release_stock(order: Order) -> None:
    # One UPDATE per line, in product order like the reservation (no deadlock between the two).
    for product_id, quantity in (
        OrderLine.objects.filter(order=order).order_by("product_id").values_list("product_id", "quantity")
    ):
        Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity)


def _sms(*, to: str, person: Any, message: Any, params: dict[str, Any]) -> None:
    """Text ``message`` in the language of ``person`` (Vietnamese when unknown), not of the page."""
    with translation.override(getattr(person, "language", "") or "vi"):
        message_send(to=to, text=str(message) % params)


def _notify(order: Order, to: str, parties: frozenset[str], note: str) -> None:
    buyer, leader = order.buyer, order.seller.leader
    if to == S.CANCELLED:
        params = {"reference": order.reference, "note": note}
        if BUYER not in parties:
            _sms(to=order.buyer_phone, person=buyer, message=_SMS_CANCELLED, params=params)
        if SELLER not in parties:
            _sms(to=leader.phone, person=leader, message=_SMS_CANCELLED, params=params)
    elif to == S.SHIPPED:
        _sms(to=order.buyer_phone, person=buyer, message=_SMS_SHIPPED, params={"reference": order.reference})


@transaction.atomic
def order_transition(*, order: Order, to: str, actor: Any, note: str = "") -> Order:
    """Move ``order`` to state ``to`` on behalf of ``actor`` (``None``: the system).

    Locks the order row for the move. Refuses, changing nothing: an unknown
    state (``DomainError`` 400), a move not in ``MOVES`` from the order's
    current state (409), a refund before any money came in (409, from
    ``payments.services.payment_refund``, which the refund calls), someone
    who is not the right party (``PermissionDenied`` 403), someone with no
    part in the order at all (``NotFound`` 404). A move to cancelled (or a
    refund before shipping) puts the reserved stock back. Records an
    ``OrderEvent`` and an audit entry; returns the order as it now is.
    """
    if to not in S.values:
        raise DomainError(
            _("Không có trạng thái đơn “%(state)s”."), code="state_unknown", params={"state": to}
        )
    note = nfc(note or "").strip()[:500]
    locked = (
        Order.objects.select_for_update(of=("self",))
        .select_related("seller__leader", "buyer")
        .get(pk=order.pk)
    )
    parties = order_parties(locked, actor)
    if not parties:
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_unknown")
    source = locked.state
    allowed = MOVES.get((source, to))
    if allowed is None:
        raise DomainError(
            _("Đơn %(reference)s đang ở trạng thái “%(from)s”, không thể chuyển sang “%(to)s”."),
            code="move_not_allowed",
            params={"reference": locked.reference, "from": S(source).label, "to": S(to).label},
            status=409,
        )
    if ADMIN not in parties and not allowed & parties:
        raise PermissionDenied(
            _("Bạn không được chuyển đơn %(reference)s sang “%(to)s”."),
            code="move_not_yours",
            params={"reference": locked.reference, "to": S(to).label},
        )
    if source in HOLDS_STOCK and to in RELEASES_STOCK:
        _release_stock(locked)
    now = timezone.now()
    locked.state = to
    if source == S.AWAITING_PAYMENT:
        locked.reserved_until = None
    locked.save(update_fields=["state", "reserved_until", "updated_at"])
    if to == S.REFUNDED:
        _refund(
            locked, actor, note
        )  # after the save: payments sees the order refunded and does not move it again
    by = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    OrderEvent.objects.create(order=locked, from_state=source, to_state=to, at=now, by=by, note=note)
    audit_record(
        actor=by,
        action="market.order_transition",
        target=locked,
        changes={"state": (source, to)},
        reason=note,
    )
    _notify(locked, to, parties, note)
    order.state, order.reserved_until = locked.state, locked.reserved_until
    return locked


def order_expire_unpaid(*, now: datetime | None = None) -> int:
    """Cancel VietQR orders still unpaid after ``reserved_until``, putting their stock back.

    Each order moves in its own transaction, so one failure leaves the
    others done. Idempotent: an order already paid or cancelled (by a run
    before, or by a payment arriving meanwhile) is left as it is. Returns
    how many orders were cancelled.
    """
    now = now or timezone.now()
    due = list(
        Order.objects.filter(
            state=S.AWAITING_PAYMENT, payment_method=PaymentMethod.VIETQR, reserved_until__lt=now
        ).values_list("pk", flat=True)
    )
    cancelled = 0
    for pk in due:
        with transaction.atomic():
            order = (
                Order.objects.select_for_update()
                .filter(pk=pk, state=S.AWAITING_PAYMENT, reserved_until__lt=now)
                .first()
            )
            if order is None:
                continue
            order_transition(
                order=order, to=S.CANCELLED, actor=None, note=str(_("Quá 30 phút chưa nhận được tiền."))
            )
            cancelled += 1
    return cancelled


# --- Placing orders from a cart -------------------------------------------------------


@dataclass(frozen=True)
class CheckoutDetails:
    """Where and how the buyer wants her orders: the checkout form's answers."""

    buyer_name: str
    buyer_phone: str
    commune: Commune
    delivery_line: str
    payment_method: str
    note: str = ""


def _clean_details(details: CheckoutDetails) -> CheckoutDetails:
    name, line, note = (
        nfc(v or "").strip() for v in (details.buyer_name, details.delivery_line, details.note)
    )
    if not name or len(name) > 120:
        raise DomainError(_("Hãy ghi tên người nhận (tối đa 120 ký tự)."), code="buyer_name_invalid")
    if not line or len(line) > 200:
        raise DomainError(
            _("Hãy ghi số nhà, đường hoặc thôn, bản (tối đa 200 ký tự)."), code="delivery_line_invalid"
        )
    if len(note) > 500:
        raise DomainError(_("Ghi chú dài quá 500 ký tự."), code="note_too_long")
    if details.payment_method not in PaymentMethod.values:
        raise DomainError(_("Hãy chọn cách trả tiền."), code="payment_method_invalid")
    if not isinstance(details.commune, Commune):
        raise DomainError(_("Hãy chọn xã/phường nhận hàng."), code="commune_required")
    return CheckoutDetails(
        buyer_name=name,
        buyer_phone=normalize_phone(details.buyer_phone),
        commune=details.commune,
        delivery_line=line,
        payment_method=details.payment_method,
        note=note,
    )


def _reserve(lines: list[CartLine]) -> None:
    """Take each line's quantity out of stock, or raise naming the product (the caller rolls back)."""
    for line in sorted(lines, key=lambda one: one.product_id):
        product = line.product
        if not product.is_active or not product.seller.is_active:
            raise DomainError(
                _("“%(product)s” đã ngừng bán. Hãy bỏ khỏi giỏ hàng rồi đặt lại."),
                code="product_inactive",
                params={"product": product.name},
                status=409,
            )
        if not MIN_QUANTITY <= line.quantity <= MAX_QUANTITY:
            raise DomainError(
                _("Số lượng của “%(product)s” không hợp lệ."),
                code="quantity_invalid",
                params={"product": product.name},
            )
        taken = Product.objects.filter(pk=product.pk, is_active=True, stock__gte=line.quantity).update(
            stock=F("stock") - line.quantity
        )
        if taken != 1:
            left = Product.objects.filter(pk=product.pk).values_list("stock", flat=True).first() or 0
            raise DomainError(
                _(
                    "Không đủ hàng: “%(product)s” chỉ còn %(stock)s %(unit)s. "
                    "Chưa đơn nào được đặt; hãy sửa giỏ hàng."
                ),
                code="out_of_stock",
                params={"product": product.name, "stock": left, "unit": product.unit},
                status=409,
            )


def _payment_open(order: Order) -> None:
    from ketnoi.payments.services import payment_open  # the payments app builds on orders, not the reverse

    payment_open(order=order)


@transaction.atomic
def order_place(*, cart: Cart, buyer: Any, details: CheckoutDetails) -> list[Order]:
    """Turn ``buyer``'s cart into one order per seller, all or nothing; empties the cart.

    Prices, delivery fees (``delivery_fees``) and totals are computed here
    from the database. Stock of every line is reserved with a conditional
    ``UPDATE … WHERE stock >= quantity``; if any line cannot be reserved
    the whole checkout rolls back with a message naming the product. VietQR
    orders wait for payment for 30 minutes (``order_expire_unpaid``); cash
    on delivery orders wait for the seller to confirm. Opens a payment for
    each order and texts each seller once the transaction commits. The
    cart row is locked, so a double submit places the orders once.
    """
    if not getattr(buyer, "is_authenticated", False):
        raise PermissionDenied(_("Hãy đăng nhập để đặt hàng."), code="login_required")
    details = _clean_details(details)
    locked = Cart.objects.select_for_update().filter(pk=cart.pk, buyer=buyer).first()
    if locked is None:
        raise NotFound(_("Không tìm thấy giỏ hàng của bạn."), code="cart_unknown")
    lines = list(
        CartLine.objects.filter(cart=locked)
        .select_related("product__seller__commune", "product__seller__leader")
        .order_by("product__seller_id", "product_id")
    )
    if not lines:
        raise DomainError(_("Giỏ hàng đang trống."), code="cart_empty", status=409)
    _reserve(lines)
    # Read prices after the reservation: the rows are ours now, so they are the prices we sell at.
    products = Product.objects.only("pk", "name", "unit", "price_vnd", "weight_g").in_bulk(
        [line.product_id for line in lines]
    )
    by_seller: dict[int, list[CartLine]] = defaultdict(list)
    for line in lines:
        by_seller[line.product.seller_id].append(line)

    now = timezone.now()
    checkout_id = uuid.uuid4()
    orders = []
    for seller_lines in by_seller.values():
        seller = seller_lines[0].product.seller
        order_lines = [
            OrderLine(
                product_id=line.product_id,
                product_name=products[line.product_id].name,
                unit=products[line.product_id].unit,
                unit_price_vnd=products[line.product_id].price_vnd,
                quantity=line.quantity,
                line_total_vnd=products[line.product_id].price_vnd * line.quantity,
            )
            for line in seller_lines
        ]
        subtotal = sum(one.line_total_vnd for one in order_lines)
        weight = sum(products[line.product_id].weight_g * line.quantity for line in seller_lines)
        shipping = delivery_fee(
            weight_g=weight, same_province=seller.commune.province_id == details.commune.province_id
        )
        is_vietqr = details.payment_method == PaymentMethod.VIETQR
        order = Order.objects.create(
            reference=_reference_unique(),
            checkout_id=checkout_id,
            seller=seller,
            buyer=buyer,
            buyer_name=details.buyer_name,
            buyer_phone=details.buyer_phone,
            delivery_commune=details.commune,
            delivery_line=details.delivery_line,
            state=S.PLACED,
            payment_method=details.payment_method,
            subtotal_vnd=subtotal,
            shipping_vnd=shipping,
            total_vnd=subtotal + shipping,
            reserved_until=now + VIETQR_HOLD if is_vietqr else None,
            note=details.note,
        )
        for one in order_lines:
            one.order = order
        OrderLine.objects.bulk_create(order_lines)
        OrderEvent.objects.create(order=order, from_state="", to_state=S.PLACED, at=now, by=buyer)
        audit_record(
            actor=buyer,
            action="market.order_placed",
            target=order,
            changes={"state": (None, S.PLACED), "total_vnd": (None, order.total_vnd)},
        )
        if is_vietqr:
            order = order_transition(order=order, to=S.AWAITING_PAYMENT, actor=None)
        _payment_open(order)
        leader = seller.leader
        _sms(
            to=leader.phone,
            person=leader,
            message=_SMS_NEW_ORDER,
            params={
                "reference": order.reference,
                "count": sum(one.quantity for one in order_lines),
                "total": format_vnd(order.total_vnd, language=leader.language or "vi"),
            },
        )
        orders.append(order)
    CartLine.objects.filter(cart=locked).delete()
    return orders
