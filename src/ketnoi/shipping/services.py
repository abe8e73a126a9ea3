"""Every write of the shipping app: shipments, tracking codes, carrier events, COD settlement.

A shipment follows one order. The seller (leader or member) creates it,
sets the carrier's tracking code and hands the parcel over; from then on the
carrier's signed events move it, and the order with it, through
``market.services.orders.order_transition``. Cash collected on delivery is
recorded by ``payments.services.cod_collected`` and settled to the seller by
``cod_settle`` through the ledger.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role
from ketnoi.accounts.selectors import user_has_role
from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.text import nfc
from ketnoi.ledger.models import Account, Transfer
from ketnoi.ledger.services import account_open, transfer_post
from ketnoi.market.models import Order, OrderState, PaymentMethod
from ketnoi.market.selectors import seller_can_edit
from ketnoi.market.services.orders import order_transition
from ketnoi.payments.services import carrier_cod_code, cod_collected, seller_sales_code

from .carriers import carrier_adapter, carrier_info, carrier_secrets, signature_valid, tracking_code_clean
from .models import Carrier, Shipment, TrackingEvent

# Order states from which a seller may send the parcel.
SHIPPABLE_STATES = (OrderState.PAID, OrderState.COD_CONFIRMED, OrderState.PACKED)

# What a carrier may report, and what it does to the shipment. Statuses not
# mapped are kept on the parcel's path without moving anything.
TRACKING_STATUSES: dict[str, Any] = {
    "accepted": _("Đơn vị giao hàng đã nhận thông tin"),
    "picked_up": _("Đã lấy hàng"),
    "in_transit": _("Đang vận chuyển"),
    "out_for_delivery": _("Đang giao đến người nhận"),
    "delivery_failed": _("Giao không thành công"),
    "delivered": _("Đã giao"),
    "returning": _("Đang hoàn về người bán"),
    "returned": _("Đã hoàn về người bán"),
}
_SHIPMENT_STATE_FOR = {
    "picked_up": Shipment.State.IN_TRANSIT,
    "in_transit": Shipment.State.IN_TRANSIT,
    "out_for_delivery": Shipment.State.IN_TRANSIT,
    "delivery_failed": Shipment.State.IN_TRANSIT,
    "returning": Shipment.State.IN_TRANSIT,
    "delivered": Shipment.State.DELIVERED,
    "returned": Shipment.State.RETURNED,
}
# Events may arrive out of order: a shipment only ever moves forward.
_SHIPMENT_RANK = {
    Shipment.State.READY: 0,
    Shipment.State.IN_TRANSIT: 1,
    Shipment.State.DELIVERED: 2,
    Shipment.State.RETURNED: 2,
}

MAX_EVENT_BODY = 16 * 1024


# --- Carriers -----------------------------------------------------------------------------


def carrier_ensure(code: str) -> Carrier:
    """The carrier row for ``code``, created from ``data/carriers.json`` the first time.

    Idempotent and safe under concurrency. ``ValidationError`` for a code the
    data file does not know.
    """
    info = carrier_info(code)
    carrier = Carrier.objects.filter(code=code).first()
    if carrier is not None:
        return carrier
    try:
        with transaction.atomic():
            carrier = Carrier.objects.create(code=code, name=info.name)
            audit_record(actor=None, action="carrier_created", target=carrier, changes={"code": (None, code)})
    except IntegrityError:
        carrier = Carrier.objects.get(code=code)
    return carrier


# --- The seller's side --------------------------------------------------------------------


def _seller_check(actor: Any, order: Order) -> None:
    if not seller_can_edit(actor, order.seller):
        raise NotFound(_("Không tìm thấy đơn hàng này."), code="order_not_found")


def _tracking_code_free(shipment: Shipment, code: str) -> None:
    taken = (
        Shipment.objects.filter(carrier_id=shipment.carrier_id, tracking_code=code)
        .exclude(pk=shipment.pk)
        .exists()
    )
    if taken:
        raise ValidationError(
            _("Mã vận đơn %(code)s đã dùng cho một đơn khác."),
            code="tracking_code_taken",
            params={"code": code},
        )


def _order_walk(*, order: Order, to: str, actor: Any, note: str) -> Order:
    """Move ``order`` forward to ``to`` (packed, shipped or delivered) through the states between."""
    path = [OrderState.PACKED, OrderState.SHIPPED, OrderState.DELIVERED]
    if order.state in (OrderState.PAID, OrderState.COD_CONFIRMED):
        start = 0
    elif order.state in path:
        start = path.index(OrderState(order.state)) + 1
    else:
        return order  # cancelled, refunded, completed…: a parcel does not move it
    for step in path[start : path.index(OrderState(to)) + 1]:
        order = order_transition(order=order, to=step, actor=actor, note=note)
    return order


def shipment_create(
    *, order: Order, carrier_code: str = "vnpost", actor: Any, tracking_code: str = ""
) -> Shipment:
    """Send ``order``'s parcel with ``carrier_code``; the seller's leader or members only.

    The order must be paid, COD-confirmed or packed (a paid order becomes
    packed). COD amount: the order's total for cash on delivery, else 0.
    Without ``tracking_code`` the carrier's adapter books one (the local one
    makes a code in the carrier's format). Idempotent per order: a second
    call returns the first shipment.
    """
    _seller_check(actor, order)
    info = carrier_info(carrier_code)
    code = tracking_code_clean(info, tracking_code) if tracking_code.strip() else ""
    carrier = carrier_ensure(carrier_code)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        existing = Shipment.objects.filter(order=locked).select_related("carrier").first()
        if existing is not None:
            return existing
        if locked.state not in SHIPPABLE_STATES:
            raise DomainError(
                _("Đơn %(reference)s chưa sẵn sàng để gửi: cần đã thanh toán hoặc đã xác nhận trả khi nhận."),
                code="order_not_shippable",
                params={"reference": locked.reference},
                status=409,
            )
        cod = locked.total_vnd if locked.payment_method == PaymentMethod.COD else 0
        shipment = Shipment.objects.create(order=locked, carrier=carrier, cod_amount_vnd=cod)
        if not code:
            booked = carrier_adapter(carrier_code).create_shipment(shipment)
            code = tracking_code_clean(info, booked) if booked else ""
        if code:
            _tracking_code_free(shipment, code)
            shipment.tracking_code = code
            shipment.save(update_fields=["tracking_code", "updated_at"])
        audit_record(
            actor=actor,
            action="shipment_created",
            target=shipment,
            changes={
                "carrier": (None, carrier_code),
                "tracking_code": (None, code),
                "cod_amount_vnd": (None, cod),
            },
        )
        if locked.state != OrderState.PACKED:
            _order_walk(order=locked, to=OrderState.PACKED, actor=actor, note=str(_("Đã đóng gói để gửi")))
    shipment.order = Order.objects.get(pk=order.pk)
    return shipment


def shipment_set_tracking(*, shipment: Shipment, tracking_code: str, actor: Any) -> Shipment:
    """Replace the tracking code (the one the post office gave), before the parcel leaves."""
    _seller_check(actor, shipment.order)
    info = carrier_info(shipment.carrier.code)
    code = tracking_code_clean(info, tracking_code)
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().select_related("carrier", "order").get(pk=shipment.pk)
        if locked.state != Shipment.State.READY:
            raise DomainError(
                _("Bưu kiện đã gửi đi, không đổi được mã vận đơn nữa."), code="shipment_sent", status=409
            )
        if locked.tracking_code == code:
            return locked
        _tracking_code_free(locked, code)
        old = locked.tracking_code
        locked.tracking_code = code
        locked.save(update_fields=["tracking_code", "updated_at"])
        audit_record(
            actor=actor, action="shipment_tracking_set", target=locked, changes={"tracking_code": (old, code)}
        )
    return locked


def shipment_mark_shipped(*, shipment: Shipment, actor: Any) -> Shipment:
    """The seller handed the parcel to the carrier: shipment in transit, order shipped.

    Needs a tracking code. Calling it again changes nothing.
    """
    _seller_check(actor, shipment.order)
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().select_related("carrier", "order").get(pk=shipment.pk)
        if not locked.tracking_code:
            raise DomainError(
                _("Hãy ghi mã vận đơn trước khi báo đã gửi."), code="tracking_code_missing", status=409
            )
        if locked.state == Shipment.State.READY:
            locked.state = Shipment.State.IN_TRANSIT
            locked.save(update_fields=["state", "updated_at"])
            audit_record(
                actor=actor,
                action="shipment_shipped",
                target=locked,
                changes={"state": (Shipment.State.READY, Shipment.State.IN_TRANSIT)},
            )
        order = Order.objects.select_for_update().get(pk=locked.order_id)
        if order.state in (OrderState.PAID, OrderState.COD_CONFIRMED, OrderState.PACKED):
            locked.order = _order_walk(
                order=order, to=OrderState.SHIPPED, actor=actor, note=str(_("Đã gửi bưu điện"))
            )
    return locked


# --- The carrier's side: signed tracking events -------------------------------------------


@dataclass(frozen=True)
class EventOutcome:
    applied: bool  # False for a replay: nothing changed
    event: TrackingEvent
    shipment: Shipment


def _bad_event(message: Any, **params: Any) -> DomainError:
    return DomainError(message, code="bad_event", params=params, status=422)


def _event_fields(body: bytes) -> dict[str, Any]:
    """The event in ``body``, checked field by field; ``DomainError`` 422 when malformed."""
    if len(body) > MAX_EVENT_BODY:
        raise _bad_event(_("Nội dung sự kiện dài quá."))
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _bad_event(_("Nội dung không phải JSON hợp lệ.")) from None
    if not isinstance(data, dict):
        raise _bad_event(_("Nội dung phải là một đối tượng JSON."))
    fields: dict[str, Any] = {}
    for name, limit in (("event_id", 80), ("tracking_code", 40), ("status", 30), ("location", 200)):
        value = data.get(name, "" if name == "location" else None)
        if not isinstance(value, str) or "\x00" in value:
            raise _bad_event(_("Trường “%(field)s” thiếu hoặc không phải chuỗi ký tự."), field=name)
        value = nfc(value)
        if (not value and name != "location") or len(value) > limit:
            raise _bad_event(
                _("Trường “%(field)s” trống hoặc dài quá %(limit)s ký tự."), field=name, limit=limit
            )
        fields[name] = value
    if fields["status"] not in TRACKING_STATUSES:
        raise _bad_event(
            _("Trạng thái “%(status)s” không có. Dùng một trong: %(known)s."),
            status=fields["status"],
            known=", ".join(TRACKING_STATUSES),
        )
    at = parse_datetime(data["at"]) if isinstance(data.get("at"), str) else None
    if at is None:
        raise _bad_event(_("Trường “at” phải là ngày giờ ISO 8601, ví dụ 2026-03-01T08:30:00+07:00."))
    fields["at"] = at if timezone.is_aware(at) else timezone.make_aware(at)
    fields["payload"] = data
    return fields


def tracking_event_receive(*, carrier_code: str, body: bytes, signature: str) -> EventOutcome:
    """Apply one signed event from a carrier; the raw ``body`` as received.

    Raises ``DomainError`` 401 for a missing or wrong signature, 422 for a
    malformed event, ``NotFound`` for an unknown tracking code — each before
    anything is written. A replay (same event id for the shipment) changes
    nothing. Events may arrive in any order; the shipment and the order only
    move forward: picked up or in transit → order shipped; delivered → order
    delivered and, for cash on delivery, the cash recorded as collected;
    returned → shipment returned.
    """
    carrier = Carrier.objects.filter(code=carrier_code, is_active=True).first()
    secret = carrier_secrets().get(carrier_code) or (carrier.webhook_secret if carrier else "")
    if not signature_valid(secret, body, signature):
        raise DomainError(_("Chữ ký của sự kiện không đúng hoặc bị thiếu."), code="bad_signature", status=401)
    fields = _event_fields(body)
    tracking_code = fields["tracking_code"].replace(" ", "").upper()
    shipment = Shipment.objects.filter(carrier__code=carrier_code, tracking_code=tracking_code).first()
    if shipment is None:
        raise NotFound(_("Không có vận đơn nào mang mã này."), code="unknown_tracking_code")

    with transaction.atomic():
        locked = Shipment.objects.select_for_update().select_related("carrier").get(pk=shipment.pk)
        replay = TrackingEvent.objects.filter(shipment=locked, carrier_event_id=fields["event_id"]).first()
        if replay is not None:
            return EventOutcome(applied=False, event=replay, shipment=locked)
        event = TrackingEvent.objects.create(
            shipment=locked,
            carrier_event_id=fields["event_id"],
            status=fields["status"],
            location=fields["location"],
            at=fields["at"],
            payload=fields["payload"],
        )
        _event_apply(locked, fields["status"], fields["at"])
    return EventOutcome(applied=True, event=event, shipment=locked)


def _event_apply(shipment: Shipment, status: str, at: datetime) -> None:
    target = _SHIPMENT_STATE_FOR.get(status)
    if (
        target is None
        or _SHIPMENT_RANK[Shipment.State(target)] <= _SHIPMENT_RANK[Shipment.State(shipment.state)]
    ):
        return
    old = shipment.state
    shipment.state = target
    shipment.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=None,
        action="shipment_tracking_event",
        target=shipment,
        changes={"state": (old, target)},
        reason=f"{shipment.carrier.code}: {status} {at.isoformat()}",
    )
    order = Order.objects.select_for_update().get(pk=shipment.order_id)
    note = str(TRACKING_STATUSES[status])
    if target == Shipment.State.IN_TRANSIT:
        shipment.order = _order_walk(order=order, to=OrderState.SHIPPED, actor=None, note=note)
    elif target == Shipment.State.DELIVERED:
        shipment.order = _order_walk(order=order, to=OrderState.DELIVERED, actor=None, note=note)
        if order.payment_method == PaymentMethod.COD and shipment.order.state == OrderState.DELIVERED:
            cod_collected(order=shipment.order)


# --- Cash on delivery ---------------------------------------------------------------------


def cod_settle(*, shipment: Shipment, actor: Any = None) -> Transfer:
    """Pay the cash the carrier collected for ``shipment`` to the seller, once.

    Moves ``cod_amount_vnd`` from ``carrier-<code>-cod`` to
    ``seller-<id>-sales`` (ledger key ``cod-settle-<shipment id>``). Only the
    system (``actor=None``) or an administrator; only after delivery; a
    second call is refused and moves nothing.
    """
    if actor is not None and not user_has_role(actor, Role.ADMINISTRATOR):
        raise PermissionDenied(_("Chỉ quản trị viên mới trả tiền thu hộ cho người bán."))
    with transaction.atomic():
        locked = (
            Shipment.objects.select_for_update()
            .select_related("carrier", "order__seller")
            .get(pk=shipment.pk)
        )
        if locked.cod_settled:
            raise DomainError(
                _("Tiền thu hộ của đơn %(reference)s đã trả cho người bán rồi."),
                code="cod_already_settled",
                params={"reference": locked.order.reference},
                status=409,
            )
        if locked.state != Shipment.State.DELIVERED or locked.cod_amount_vnd <= 0:
            raise DomainError(
                _("Đơn %(reference)s chưa giao xong hoặc không có tiền thu hộ."),
                code="cod_not_due",
                params={"reference": locked.order.reference},
                status=409,
            )
        seller = locked.order.seller
        carrier_account = account_open(
            code=carrier_cod_code(locked.carrier.code),
            name=f"Tiền thu hộ (COD) — {locked.carrier.code}",
            kind=Account.Kind.CARRIER_COD,
        )
        seller_account = account_open(
            code=seller_sales_code(seller.pk),
            name=f"Tiền bán hàng — {seller.name}"[:200],
            kind=Account.Kind.SELLER_RECEIVABLE,
        )
        amount = locked.cod_amount_vnd
        transfer = transfer_post(
            idempotency_key=f"cod-settle-{locked.pk}",
            postings=[(carrier_account.code, -amount), (seller_account.code, amount)],
            memo=f"Thu hộ đơn {locked.order.reference}",
            actor=actor,
        )
        locked.cod_settled = True
        locked.save(update_fields=["cod_settled", "updated_at"])
        audit_record(
            actor=actor,
            action="shipment_cod_settled",
            target=locked,
            changes={"cod_settled": (False, True), "ledger_transfer": (None, transfer.pk)},
        )
    shipment.cod_settled = True
    return transfer
