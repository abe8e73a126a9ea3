"""The demo marketplace: twelve sellers, their products with photos, and orders in every state.

The sellers are the five cooperatives of ``accounts.demo.DEMO_COOPERATIVES``
(with their leaders and members) and seven more in real communes of Sơn La,
Lào Cai, Thái Nguyên, Lâm Đồng and Tuyên Quang; who they are and what they
sell is data (``data/demo_products.json``). People, bank accounts and tax
codes are invented.

Everything goes through the services a person's clicks would call:
``seller_create``, ``product_create``, ``photo_add`` (photos drawn here with
Pillow, then checked, stripped and resized by the real pipeline), the
demo buyers' carts and ``order_place``, ``payment_confirm``,
``shipment_create``, carrier events signed like a carrier's
(``tracking_event_receive``), ``cod_settle``, ``review_create``. The only raw
writes give the demo a past: the order events and creation times of
finished orders are moved back by days or months, so the seller's
dashboard has a revenue history (no service rewrites history, on purpose).

Idempotent: when a demo seller already exists the whole part is skipped.
"""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from django.contrib.auth.hashers import make_password
from django.db.models import QuerySet
from django.utils import timezone
from PIL import Image, ImageDraw

from ketnoi.accounts.demo import DEMO_COOPERATIVES, DEMO_PASSWORD
from ketnoi.accounts.models import ConsentPurpose, Role, User
from ketnoi.accounts.selectors import user_has_role
from ketnoi.accounts.services import consent_give, role_assign, user_create
from ketnoi.core.phone import normalize_phone
from ketnoi.payments.models import Payment
from ketnoi.payments.services import payment_confirm, payment_refund
from ketnoi.places.models import Commune
from ketnoi.shipping.carriers import carrier_secrets, signature_for
from ketnoi.shipping.models import Shipment
from ketnoi.shipping.services import cod_settle, shipment_create, tracking_event_receive

from .models import Category, Order, OrderEvent, OrderState, PaymentMethod, Product, Seller
from .services.cart import cart_add
from .services.catalogue import (
    PRODUCT_FIELDS,
    SELLER_FIELDS,
    category_sync,
    product_create,
    seller_create,
    seller_member_add,
    seller_verify,
)
from .services.conversations import conversation_open, message_send_in
from .services.orders import CheckoutDetails, order_place, order_transition
from .services.photos import photo_add
from .services.reviews import review_create

DATA_FILE = Path(__file__).resolve().parent / "data" / "demo_products.json"
ADMIN_PHONE = "0900000001"
CARRIER = "vnpost"
PHOTO_SIZE = (800, 600)  # small sources keep the seed fast; not "too small" for the hints

S = OrderState


# --- The data file ---------------------------------------------------------------------------


@cache
def demo_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


def demo_seller_names() -> list[str]:
    return [spec["name"] for spec in demo_data()["sellers"]]


def demo_sellers() -> QuerySet[Seller]:
    """The demo sellers (for tests and clean-up)."""
    return Seller.objects.filter(name__in=demo_seller_names())


# --- People ----------------------------------------------------------------------------------


@cache
def _password_hash() -> str:
    # Argon2 is slow on purpose: hash the shared demo password once.
    return make_password(DEMO_PASSWORD)


def _user(phone: str) -> User | None:
    return User.objects.filter(phone=normalize_phone(phone)).first()


def _person(phone: str, name: str, commune: Commune, *, role: str, admin: User) -> User:
    """The account of ``phone`` with ``role``: as ``accounts.demo`` made it, or made here the same way."""
    user = _user(phone)
    if user is None:
        user = user_create(phone=phone, display_name=name, home_commune=commune)
        user.password = _password_hash()
        user.save(update_fields=["password"])
        for purpose in (ConsentPurpose.ACCOUNT, ConsentPurpose.NOTIFICATIONS):
            consent_give(user=user, purpose=purpose)
    if not user_has_role(user, role):
        role_assign(actor=admin, user=user, role=role)
    return user


@dataclass(frozen=True)
class DemoBuyer:
    phone: str
    name: str
    province: str  # codename
    commune: str  # short name
    line: str  # street and number


# The orders' buyers. Not the README's buyer (0900000005): her account stays
# free of demo orders, for a person trying the shop from an empty order list.
DEMO_BUYERS: tuple[DemoBuyer, ...] = (
    DemoBuyer("0900000201", "Nguyễn Thu Trang", "ha_noi", "Hoàn Kiếm", "Số 12 phố Hàng Bạc"),
    DemoBuyer("0900000202", "Lê Hoàng Nam", "ho_chi_minh", "Bến Thành", "45 Lê Thánh Tôn"),
)


def _team(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(phone, name) of the leader first, then the members."""
    for coop in DEMO_COOPERATIVES:
        if coop.name == spec["name"]:
            return list(coop.members)
    people = [spec["leader"], *spec.get("members", [])]
    return [(str(phone), str(name)) for phone, name in people]


# --- Photos ----------------------------------------------------------------------------------

RGB = tuple[int, int, int]


def _rgb(colour: str) -> RGB:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _luma(colour: RGB) -> float:
    red, green, blue = colour
    return 0.299 * red + 0.587 * green + 0.114 * blue


def _mix(a: RGB, b: RGB, share: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * share),
        round(a[1] + (b[1] - a[1]) * share),
        round(a[2] + (b[2] - a[2]) * share),
    )


def brocade_image(colours: list[str], *, size: tuple[int, int] = PHOTO_SIZE) -> Image.Image:
    """A woven-looking cloth: bands of stripes, diamonds with a star eye, and zigzags."""
    palette = sorted((_rgb(c) for c in colours), key=_luma)
    ground, dark = palette[-1], palette[0]
    accents = palette[1:-1] or [dark]
    width, height = size
    image = Image.new("RGB", size, ground)
    draw = ImageDraw.Draw(image)
    y, band = 0, 0
    while y < height:
        if band % 3 == 0:
            for k in range(0, 36, 6):
                draw.rectangle((0, y + k, width, y + k + 2), fill=accents[k // 6 % len(accents)])
            y += 36
        elif band % 3 == 1:
            step, radius = 60, 28
            fill = accents[band % len(accents)]
            shift = step // 2 if (band // 3) % 2 else 0
            draw.line((0, y + 35, width, y + 35), fill=dark, width=3)
            for x in range(-step // 2, width + step, step):
                cx, cy = x + shift, y + 75
                draw.polygon(
                    [(cx, cy - radius), (cx + radius, cy), (cx, cy + radius), (cx - radius, cy)],
                    outline=dark,
                    width=4,
                )
                draw.polygon([(cx, cy - 16), (cx + 16, cy), (cx, cy + 16), (cx - 16, cy)], fill=fill)
                draw.rectangle((cx - 3, cy - 3, cx + 3, cy + 3), fill=ground)
            y += 150
        else:
            fill = accents[(band + 1) % len(accents)]
            points = [(x, y + (0 if (x // 20) % 2 else 24)) for x in range(0, width + 20, 20)]
            draw.line(points, fill=fill, width=6)
            draw.line([(x, py + 12) for x, py in points], fill=dark, width=2)
            y += 40
        band += 1
    return image


def still_life_image(shape: str, colours: list[str], *, seed: int = 0) -> Image.Image:
    """The product on a woven mat against a wall: a jar, bottle, packet, box, bowl, bag or bars."""
    main, accent, light = (_rgb(c) for c in colours[:3])
    width, height = PHOTO_SIZE
    paper: RGB = (250, 246, 235)
    image = Image.new("RGB", PHOTO_SIZE, light)
    draw = ImageDraw.Draw(image)
    top = _mix(light, (255, 255, 255), 0.3)
    for y in range(0, 440, 4):
        draw.rectangle((0, y, width, y + 4), fill=_mix(top, light, y / 440))
    table = _mix(accent, light, 0.55)
    draw.rectangle((0, 440, width, height), fill=table)
    for x in range(-200, width + 200, 24):
        draw.line((x, 440, x + 60, height), fill=_mix(table, accent, 0.12), width=2)
    cx, base = width // 2, 470
    shade = _mix(main, (0, 0, 0), 0.35)
    ink = _mix(main, (60, 60, 60), 0.5)
    label: tuple[int, int, int] | None = None  # left, top, width of the label's lines
    if shape == "jar":
        draw.rounded_rectangle((cx - 120, 170, cx + 120, base), radius=40, fill=main)
        draw.rectangle((cx - 90, 130, cx + 90, 180), fill=accent)
        draw.rectangle((cx - 95, 250, cx + 95, 370), fill=paper)
        label = (cx - 75, 270, 150)
    elif shape == "bottle":
        draw.rounded_rectangle((cx - 80, 200, cx + 80, base), radius=30, fill=main)
        draw.rectangle((cx - 28, 90, cx + 28, 210), fill=main)
        draw.rectangle((cx - 32, 70, cx + 32, 100), fill=accent)
        draw.rectangle((cx - 70, 280, cx + 70, 400), fill=paper)
        label = (cx - 55, 300, 110)
    elif shape == "packet":
        draw.polygon([(cx - 140, 150), (cx + 140, 150), (cx + 160, base), (cx - 160, base)], fill=main)
        draw.rectangle((cx - 140, 130, cx + 140, 160), fill=accent)
        for x in range(cx - 140, cx + 140, 10):
            draw.line((x, 130, x, 160), fill=_mix(accent, (0, 0, 0), 0.3), width=2)
        draw.rectangle((cx - 100, 230, cx + 100, 380), fill=paper)
        label = (cx - 80, 255, 150)
    elif shape == "box":
        draw.polygon(
            [(cx - 170, 220), (cx + 110, 220), (cx + 170, 180), (cx - 110, 180)],
            fill=_mix(main, (255, 255, 255), 0.25),
        )
        draw.polygon([(cx + 110, 220), (cx + 170, 180), (cx + 170, base - 40), (cx + 110, base)], fill=shade)
        draw.rectangle((cx - 170, 220, cx + 110, base), fill=main)
        draw.rectangle((cx - 130, 270, cx + 70, 400), fill=paper)
        label = (cx - 110, 295, 150)
    elif shape == "bowl":
        draw.ellipse((cx - 190, 250, cx + 190, 330), fill=main)
        grains = random.Random(seed)  # noqa: S311 - a drawing, not a secret
        for _grain in range(40):
            x, y = cx + grains.randint(-150, 150), 255 + grains.randint(0, 50)
            draw.ellipse((x - 12, y - 9, x + 12, y + 9), fill=shade, outline=accent)
        draw.chord((cx - 200, 190, cx + 200, base), 0, 180, fill=accent)
        draw.arc((cx - 200, 190, cx + 200, base), 0, 180, fill=_mix(accent, (0, 0, 0), 0.4), width=6)
    elif shape == "bag":
        draw.arc((cx - 100, 80, cx + 100, 300), 180, 360, fill=accent, width=18)
        draw.rounded_rectangle((cx - 160, 190, cx + 160, base), radius=24, fill=main)
        for k, y in enumerate(range(230, base - 20, 36)):
            draw.rectangle((cx - 160, y, cx + 160, y + 10), fill=accent if k % 2 else light)
    else:  # "bar": two cakes of soap
        for k, dx in enumerate((-150, 20)):
            draw.rounded_rectangle(
                (cx + dx - 10, 280, cx + dx + 140, base), radius=18, fill=main if k == 0 else accent
            )
            draw.rounded_rectangle((cx + dx + 15, 320, cx + dx + 115, 420), radius=10, outline=light, width=5)
    if label is not None:
        left, y, line = label
        for k in range(4):
            draw.rectangle(
                (left, y + k * 22, left + (line if k else line * 7 // 10), y + k * 22 + 8),
                fill=accent if k == 0 else ink,
            )
    return image


def _jpeg(image: Image.Image) -> io.BytesIO:
    """The drawing as a phone would send it: a JPEG file."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    buffer.name = "anh.jpg"
    return buffer


def _photo(spec: dict[str, Any], seed: int) -> io.BytesIO:
    if spec["style"] == "brocade":
        return _jpeg(brocade_image(spec["colours"]))
    return _jpeg(still_life_image(spec["shape"], spec["colours"], seed=seed))


# --- Sellers and products --------------------------------------------------------------------

# What the data file may give beyond the services' required arguments.
SELLER_KEYS = tuple(key for key in SELLER_FIELDS if key not in ("kind", "name", "commune"))
PRODUCT_KEYS = tuple(
    key for key in PRODUCT_FIELDS if key not in ("category", "name", "price_vnd", "unit", "weight_g")
)


@dataclass
class _World:
    admin: User
    buyers: list[tuple[User, DemoBuyer]] = field(default_factory=list)
    sellers: dict[str, Seller] = field(default_factory=dict)  # by name
    leaders: dict[int, User] = field(default_factory=dict)  # by seller id
    products: dict[str, Product] = field(default_factory=dict)  # by key
    photos: int = 0


def _commune(province: str, short_name: str) -> Commune:
    return Commune.objects.select_related("province").get(province__codename=province, short_name=short_name)


def _seed_seller(world: _World, spec: dict[str, Any], categories: dict[str, Category], number: int) -> None:
    commune = _commune(spec["province"], spec["commune"])
    team = [_person(phone, name, commune, role=Role.SELLER, admin=world.admin) for phone, name in _team(spec)]
    leader = team[0]
    seller = seller_create(
        actor=leader,
        leader=leader,
        name=spec["name"],
        kind=spec["kind"],
        commune=commune,
        **{key: spec[key] for key in SELLER_KEYS if key in spec},
    )
    for member in team[1:]:
        seller_member_add(actor=leader, seller=seller, member=member)
    if spec.get("verified_by"):
        officer = _user(spec["verified_by"])
        if officer is not None:
            seller_verify(officer, seller, reason="Đã đến thăm hợp tác xã và xem giấy tờ.")
    world.sellers[seller.name] = seller
    world.leaders[seller.pk] = leader
    for index, item in enumerate(spec["products"]):
        product = product_create(
            actor=leader,
            seller=seller,
            name=item["name"],
            category=categories[item["category"]],
            price_vnd=item["price_vnd"],
            unit=item["unit"],
            weight_g=item["weight_g"],
            **{key: item[key] for key in PRODUCT_KEYS if key in item},
        )
        for photo in item.get("photos", []):
            photo_add(leader, product, _photo(photo, seed=number * 100 + index))
            world.photos += 1
        world.products[item["key"]] = product


# --- Orders ----------------------------------------------------------------------------------

# Hours after placing at which an order reaches each state; events are moved there.
STATE_HOURS: dict[str, int] = {
    S.PLACED: 0,
    S.AWAITING_PAYMENT: 0,
    S.PAID: 2,
    S.COD_CONFIRMED: 3,
    S.CANCELLED: 5,
    S.PACKED: 20,
    S.SHIPPED: 26,
    S.REFUNDED: 30,
    S.DELIVERED: 70,
    S.COMPLETED: 80,
}
# The parcel's path: (status, location, hours after placing).
TRACK = (
    ("accepted", "Bưu cục %(origin)s", 22),
    ("picked_up", "Bưu cục %(origin)s", 26),
    ("in_transit", "Trung tâm khai thác %(province)s", 34),
    ("in_transit", "Trung tâm khai thác %(to_province)s", 52),
    ("out_for_delivery", "Bưu cục %(to)s", 66),
    ("delivered", "%(to)s", 70),
)
FORWARD = (S.PAID, S.COD_CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED)


@dataclass(frozen=True)
class DemoOrder:
    """One checkout of a demo buyer and where its order(s) end up."""

    lines: tuple[tuple[str, int], ...]  # (product key, quantity)
    method: str
    state: str
    days_ago: int = 0  # when it was placed
    note: str = ""  # the words on a cancel or refund
    by_seller: bool = False  # a cancel by the seller rather than the buyer
    review: tuple[int, str] | None = None  # stars and words, for each line of a completed order
    buyer: int = 0  # which of DEMO_BUYERS


VIETQR, COD = PaymentMethod.VIETQR.value, PaymentMethod.COD.value

DEMO_ORDERS: tuple[DemoOrder, ...] = (
    # The Mường Bú cooperative (0900000004): a history of sales and an order at every step.
    DemoOrder(
        (("khan-tho-cam", 2),),
        VIETQR,
        S.COMPLETED,
        150,
        review=(5, "Khăn đẹp, màu chàm rất bền, gói cẩn thận."),
    ),
    DemoOrder(
        (("tui-deo-cheo", 1),),
        COD,
        S.COMPLETED,
        118,
        review=(5, "Túi chắc chắn, đeo đi làm ai cũng hỏi."),
        buyer=1,
    ),
    DemoOrder((("vo-goi", 4),), VIETQR, S.COMPLETED, 88, review=(4, "Vỏ gối đẹp, giao hơi lâu một chút.")),
    DemoOrder(
        (("khan-pieu", 1), ("vi-cam-tay", 2)),
        VIETQR,
        S.COMPLETED,
        57,
        review=(5, "Khăn piêu thêu rất tỉ mỉ. Cảm ơn các chị!"),
    ),
    DemoOrder((("khan-tho-cam", 1),), COD, S.COMPLETED, 26, review=(5, "Mua tặng mẹ, mẹ rất thích.")),
    DemoOrder((("vi-cam-tay", 3),), COD, S.DELIVERED, 6, buyer=1),
    DemoOrder((("tui-deo-cheo", 1),), VIETQR, S.SHIPPED, 2),
    DemoOrder((("vo-goi", 2),), COD, S.PACKED, 1, buyer=1),
    DemoOrder((("khan-pieu", 1),), VIETQR, S.PAID, 1),
    DemoOrder((("vi-cam-tay", 1),), COD, S.COD_CONFIRMED, 1),
    DemoOrder((("khan-tho-cam", 1),), COD, S.PLACED, buyer=1),
    DemoOrder((("tui-deo-cheo", 2),), VIETQR, S.AWAITING_PAYMENT),
    DemoOrder((("vo-goi", 1),), VIETQR, S.CANCELLED, 3, note="Tôi đặt nhầm, xin huỷ đơn."),
    # Other sellers, and one checkout across two of them.
    DemoOrder(
        (("mien-toi-den", 3), ("che-shan-tuyet", 2)),
        VIETQR,
        S.COMPLETED,
        40,
        review=(5, "Miến dai, nấu không nát; chè thơm."),
    ),
    DemoOrder((("ruou-ngo", 1),), COD, S.DELIVERED, 5, buyer=1),
    DemoOrder((("ca-phe-robusta", 2),), VIETQR, S.SHIPPED, 3),
    DemoOrder((("gao-bao-thai", 1),), COD, S.PACKED, 1, buyer=1),
    DemoOrder((("ho-tieu-den", 1),), VIETQR, S.PAID, 1, buyer=1),
    DemoOrder((("la-tam-dao-do", 4),), COD, S.COD_CONFIRMED, 1),
    DemoOrder((("khan-lanh", 1),), VIETQR, S.AWAITING_PAYMENT),
    DemoOrder((("com-tu-le", 2),), COD, S.PLACED, buyer=1),
    DemoOrder(
        (("man-say-deo", 2),), VIETQR, S.CANCELLED, 4, note="Hết hàng mận sấy, xin lỗi chị.", by_seller=True
    ),
    DemoOrder(
        (("tui-theu-dao", 1),), VIETQR, S.REFUNDED, 9, note="Túi bị lỗi đường thêu, hoàn tiền cho chị."
    ),
)


def _place(world: _World, spec: DemoOrder) -> list[Order]:
    buyer, where = world.buyers[spec.buyer]
    for key, quantity in spec.lines:
        cart_add(user=buyer, session_key=None, product_id=world.products[key].pk, quantity=quantity)
    details = CheckoutDetails(
        buyer_name=buyer.display_name,
        buyer_phone=str(buyer.phone),
        commune=_commune(where.province, where.commune),
        delivery_line=where.line,
        payment_method=spec.method,
    )
    return order_place(cart=buyer.cart, buyer=buyer, details=details)


def _carrier_event(shipment: Shipment, number: int, status: str, location: str, at: datetime) -> None:
    """One tracking event, signed as the carrier signs it, through the carriers' own entrance."""
    secret = carrier_secrets()[CARRIER]
    body = json.dumps(
        {
            "event_id": f"demo-{shipment.tracking_code}-{number}",
            "tracking_code": shipment.tracking_code,
            "status": status,
            "location": location,
            "at": at.isoformat(),
        },
        ensure_ascii=False,
    ).encode()
    tracking_event_receive(carrier_code=CARRIER, body=body, signature=signature_for(secret, body))


def _advance(world: _World, order: Order, spec: DemoOrder, placed_at: datetime) -> None:
    """Move ``order`` to ``spec.state`` the way its people (and its carrier) would."""
    leader = world.leaders[order.seller_id]
    buyer, _where = world.buyers[spec.buyer]
    target = spec.state
    if target in (S.PLACED, S.AWAITING_PAYMENT):
        return
    if target == S.CANCELLED:
        actor = leader if spec.by_seller else buyer
        order_transition(order=order, to=S.CANCELLED, actor=actor, note=spec.note)
        return
    payment = Payment.objects.get(order=order)
    if order.payment_method == VIETQR:
        payment_confirm(payment=payment, actor=leader, via="seller")
    else:
        order_transition(order=order, to=S.COD_CONFIRMED, actor=leader)
    if target == S.REFUNDED:
        payment_refund(payment=payment, actor=leader, reason=spec.note)
        return
    if FORWARD.index(S(target)) < FORWARD.index(S.PACKED):
        return
    shipment = shipment_create(order=order, carrier_code=CARRIER, actor=leader)
    if target == S.PACKED:
        return
    origin = Commune.objects.select_related("province").get(pk=order.seller.commune_id)
    to = Commune.objects.select_related("province").get(pk=order.delivery_commune_id)
    places = {
        "origin": f"{origin.name}, {origin.province.name}",
        "province": origin.province.name,
        "to": f"{to.name}, {to.province.name}",
        "to_province": to.province.name,
    }
    # A parcel on its way has been picked up and is between sorting centres; a delivered one has arrived.
    path = TRACK[:3] if target == S.SHIPPED else TRACK
    for number, (status, location, hours) in enumerate(path, start=1):
        _carrier_event(shipment, number, status, location % places, placed_at + timedelta(hours=hours))
    if target == S.SHIPPED:
        return
    if order.payment_method == COD:
        cod_settle(shipment=shipment)
    if target == S.COMPLETED:
        order_transition(order=order, to=S.COMPLETED, actor=buyer)
        if spec.review is not None:
            stars, text = spec.review
            for line in order.lines.all():
                review_create(line=line, author=buyer, stars=stars, text=text)


def _backdate(order: Order, placed_at: datetime) -> None:
    """Give the order its past: each event at its hour after ``placed_at`` (raw writes, see above)."""
    Order.objects.filter(pk=order.pk).update(created_at=placed_at)
    for event in OrderEvent.objects.filter(order=order):
        at = placed_at + timedelta(hours=STATE_HOURS.get(event.to_state, 0), minutes=event.pk % 50)
        OrderEvent.objects.filter(pk=event.pk).update(at=at)


def _seed_orders(world: _World, now: datetime) -> dict[str, int]:
    counts: dict[str, int] = {}
    can_track = bool(carrier_secrets().get(CARRIER))
    for spec in DEMO_ORDERS:
        placed_at = now - timedelta(days=spec.days_ago)
        wanted = spec
        if not can_track and spec.state in (S.SHIPPED, S.DELIVERED, S.COMPLETED):
            wanted = DemoOrder(spec.lines, spec.method, S.PACKED, spec.days_ago)  # no carrier secret set
        for order in _place(world, wanted):
            _advance(world, order, wanted, placed_at)
            if wanted.days_ago:
                _backdate(order, placed_at)
            counts[wanted.state] = counts.get(wanted.state, 0) + 1
    return counts


def _seed_conversation(world: _World) -> None:
    product = world.products["khan-pieu"]
    buyer, _where = world.buyers[0]
    conversation = conversation_open(actor=buyer, product=product)
    message_send_in(
        conversation=conversation,
        sender=buyer,
        body="Chị ơi, khăn piêu có màu đỏ không ạ? Em muốn mua làm quà cưới.",
    )
    message_send_in(
        conversation=conversation,
        sender=world.leaders[product.seller_id],
        body="Có em nhé. Chị thêu trong hai tuần, em đặt trước để chị làm kịp.",
    )


# --- Entry point -----------------------------------------------------------------------------


def seed(stdout: TextIO) -> None:
    """Create the demo marketplace unless it is there already (``seed_demo`` runs this in a transaction)."""
    if demo_sellers().exists():
        stdout.write("Market demo: the demo sellers exist already; nothing to add.\n")
        return
    admin = _user(ADMIN_PHONE)
    if admin is None:
        stdout.write("Market demo: the demo accounts are missing (run the accounts demo first); skipped.\n")
        return
    category_sync()
    categories = {category.slug: category for category in Category.objects.all()}
    world = _World(admin=admin)
    for where in DEMO_BUYERS:
        home = _commune(where.province, where.commune)
        world.buyers.append((_person(where.phone, where.name, home, role=Role.BUYER, admin=admin), where))
    for number, spec in enumerate(demo_data()["sellers"]):
        _seed_seller(world, spec, categories, number)
    counts = _seed_orders(world, timezone.now())
    _seed_conversation(world)
    states = ", ".join(f"{S(state).label} {count}" for state, count in counts.items())
    stdout.write(
        f"Market demo: {len(world.sellers)} sellers, {len(world.products)} products, "
        f"{world.photos} photos; orders: {states}.\n"
    )
