"""Placing orders and moving them: totals from the database, stock reserved and released once,
each move by the right party only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.models import AuditEntry
from ketnoi.core.notify import MemorySender
from ketnoi.market.delivery_fees import delivery_fee
from ketnoi.market.models import CartLine, Order, OrderEvent, OrderState, PaymentMethod
from ketnoi.market.services.orders import MOVES, order_expire_unpaid, order_place, order_transition
from ketnoi.market.tasks import expire_unpaid_orders
from tests.accounts.factories import user_with_role

from .factories import ProductFactory, SellerFactory
from .order_helpers import (
    BUYER_PHONE_E164,
    advance,
    buyer_make,
    cart_of,
    details_for,
    hanoi_commune,
    place,
    stock_of,
)

pytestmark = pytest.mark.django_db

S = OrderState


@pytest.fixture
def sms(settings):
    """Messages delivered in-process once the transaction commits."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return MemorySender.sent


@pytest.fixture
def buyer():
    return buyer_make(display_name="Nguyễn Thị Lan")


@pytest.fixture
def hanoi(db):
    return hanoi_commune()


@pytest.fixture
def two_sellers(commune_a, commune_b):
    """A brocade cooperative in Sơn La and a tea cooperative in Lào Cai, with stock."""
    brocade = SellerFactory(commune=commune_a, name="HTX Thổ cẩm Mường Bú")
    tea = SellerFactory(commune=commune_b, name="HTX Chè Bắc Hà")
    return {
        "brocade": brocade,
        "tea": tea,
        "scarf": ProductFactory(
            seller=brocade, name="Khăn thổ cẩm", price_vnd=250_000, weight_g=300, stock=5
        ),
        "bag": ProductFactory(seller=brocade, name="Túi thổ cẩm", price_vnd=120_000, weight_g=500, stock=4),
        "tea_pack": ProductFactory(
            seller=tea, name="Chè Shan tuyết", price_vnd=90_000, weight_g=200, stock=9
        ),
    }


# --- Placing ---------------------------------------------------------------------------------


def test_two_sellers_give_two_orders_with_totals_computed_on_the_server(buyer, two_sellers, hanoi):
    p = two_sellers
    orders = place(buyer, (p["scarf"], 2), (p["bag"], 1), (p["tea_pack"], 3), commune=hanoi)

    by_seller = {order.seller_id: order for order in orders}
    assert len(orders) == 2
    brocade, tea = by_seller[p["brocade"].pk], by_seller[p["tea"].pk]
    # 2 × 250.000 + 120.000; 1.1 kg to another province: 30.000 + 2 × 10.000
    assert (brocade.subtotal_vnd, brocade.shipping_vnd, brocade.total_vnd) == (620_000, 50_000, 670_000)
    # 3 × 90.000; 600 g to another province: 30.000 + 10.000
    assert (tea.subtotal_vnd, tea.shipping_vnd, tea.total_vnd) == (270_000, 40_000, 310_000)
    assert sorted(
        (line.product_name, line.quantity, line.line_total_vnd) for line in brocade.lines.all()
    ) == [
        ("Khăn thổ cẩm", 2, 500_000),
        ("Túi thổ cẩm", 1, 120_000),
    ]
    assert brocade.checkout_id == tea.checkout_id
    # stock reserved
    assert (stock_of(p["scarf"]), stock_of(p["bag"]), stock_of(p["tea_pack"])) == (3, 3, 6)
    # the cart is empty
    assert not CartLine.objects.filter(cart__buyer=buyer).exists()


def test_a_vietqr_order_waits_30_minutes_for_payment_with_a_payment_opened(buyer, two_sellers, hanoi):
    before = timezone.now()
    (order,) = place(buyer, (two_sellers["scarf"], 1), commune=hanoi)

    order.refresh_from_db()
    assert order.state == S.AWAITING_PAYMENT
    assert order.payment_method == PaymentMethod.VIETQR
    assert before + timedelta(minutes=29) < order.reserved_until <= timezone.now() + timedelta(minutes=30)
    assert [(e.from_state, e.to_state) for e in order.events.all()] == [
        ("", S.PLACED),
        (S.PLACED, S.AWAITING_PAYMENT),
    ]
    assert order.payment.reference == order.reference
    assert order.payment.amount_vnd == order.total_vnd
    assert order.buyer_phone == BUYER_PHONE_E164


def test_a_cash_on_delivery_order_waits_for_the_seller_and_holds_stock_without_a_deadline(
    buyer, two_sellers, hanoi
):
    (order,) = place(buyer, (two_sellers["scarf"], 1), commune=hanoi, payment_method=PaymentMethod.COD)

    order.refresh_from_db()
    assert order.state == S.PLACED
    assert order.reserved_until is None
    assert order.payment.method == PaymentMethod.COD
    assert stock_of(two_sellers["scarf"]) == 4


def test_delivery_in_the_sellers_province_costs_less(buyer, two_sellers, commune_a, hanoi):
    (near,) = place(buyer, (two_sellers["scarf"], 1), commune=commune_a)
    (far,) = place(buyer, (two_sellers["scarf"], 1), commune=hanoi)

    assert near.shipping_vnd == 15_000
    assert far.shipping_vnd == 30_000


@pytest.mark.parametrize(
    ("weight_g", "same_province", "fee"),
    [
        (1, True, 15_000),
        (500, True, 15_000),
        (501, True, 20_000),
        (1_200, False, 50_000),
        (500, False, 30_000),
    ],
)
def test_the_delivery_fee_follows_the_table(weight_g, same_province, fee):
    assert delivery_fee(weight_g=weight_g, same_province=same_province) == fee


def test_the_reference_is_short_ascii_without_ambiguous_characters(buyer, two_sellers, hanoi):
    orders = place(buyer, (two_sellers["scarf"], 1), (two_sellers["tea_pack"], 1), commune=hanoi)

    for order in orders:
        assert re.fullmatch(r"DH[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}", order.reference)
    assert len({order.reference for order in orders}) == 2


def test_a_price_changed_after_adding_to_the_cart_is_charged_at_the_database_price(buyer, two_sellers, hanoi):
    cart = cart_of(buyer, (two_sellers["scarf"], 1))
    type(two_sellers["scarf"]).objects.filter(pk=two_sellers["scarf"].pk).update(price_vnd=260_000)

    (order,) = order_place(cart=cart, buyer=buyer, details=details_for(hanoi))

    assert order.subtotal_vnd == 260_000
    assert order.lines.get().unit_price_vnd == 260_000


def test_a_line_above_stock_refuses_the_whole_checkout_naming_the_product(buyer, two_sellers, hanoi):
    p = two_sellers
    cart = cart_of(buyer, (p["scarf"], 2), (p["tea_pack"], 5))
    # meanwhile someone else bought most of the tea
    type(p["tea_pack"]).objects.filter(pk=p["tea_pack"].pk).update(stock=3)

    with pytest.raises(DomainError) as refused:
        order_place(cart=cart, buyer=buyer, details=details_for(hanoi))

    assert refused.value.status == 409
    assert "Chè Shan tuyết" in str(refused.value)
    assert "chỉ còn 3" in str(refused.value)
    assert not Order.objects.exists()
    assert (stock_of(p["scarf"]), stock_of(p["tea_pack"])) == (5, 3)  # the scarf's reservation rolled back
    assert CartLine.objects.filter(cart=cart).count() == 2  # the cart is kept to fix


def test_a_product_no_longer_sold_refuses_the_checkout(buyer, two_sellers, hanoi):
    cart = cart_of(buyer, (two_sellers["bag"], 1))
    type(two_sellers["bag"]).objects.filter(pk=two_sellers["bag"].pk).update(is_active=False)

    with pytest.raises(DomainError, match="Túi thổ cẩm") as refused:
        order_place(cart=cart, buyer=buyer, details=details_for(hanoi))

    assert refused.value.status == 409
    assert stock_of(two_sellers["bag"]) == 4
    assert not Order.objects.exists()


def test_an_empty_cart_places_nothing(buyer, two_sellers, hanoi):
    cart = cart_of(buyer, (two_sellers["bag"], 1))
    CartLine.objects.filter(cart=cart).delete()

    with pytest.raises(DomainError, match="trống"):
        order_place(cart=cart, buyer=buyer, details=details_for(hanoi))


def test_someone_elses_cart_cannot_be_checked_out(buyer, two_sellers, hanoi):
    cart = cart_of(buyer, (two_sellers["bag"], 1))

    with pytest.raises(NotFound):
        order_place(cart=cart, buyer=buyer_make(), details=details_for(hanoi))
    assert stock_of(two_sellers["bag"]) == 4


@pytest.mark.parametrize(
    "changes",
    [{"buyer_phone": "12345"}, {"buyer_name": "  "}, {"delivery_line": ""}, {"payment_method": "bitcoin"}],
)
def test_bad_delivery_details_place_nothing(buyer, two_sellers, hanoi, changes):
    cart = cart_of(buyer, (two_sellers["bag"], 1))

    with pytest.raises(Exception) as refused:  # DomainError, or the phone's ValidationError
        order_place(cart=cart, buyer=buyer, details=details_for(hanoi, **changes))

    assert type(refused.value).__name__ in {"DomainError", "ValidationError"}
    assert not Order.objects.exists()
    assert stock_of(two_sellers["bag"]) == 4


def test_each_seller_is_texted_about_her_new_order_after_commit(
    buyer, two_sellers, hanoi, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        orders = place(buyer, (two_sellers["scarf"], 2), (two_sellers["tea_pack"], 1), commune=hanoi)

    texts = {message.to: message.text for message in sms}
    for order in orders:
        text = texts[order.seller.leader.phone]
        assert order.reference in text
        assert "Kết Nối" in text


def test_placing_is_in_the_audit_trail(buyer, two_sellers, hanoi):
    (order,) = place(buyer, (two_sellers["scarf"], 1), commune=hanoi)

    entry = AuditEntry.objects.get(action="market.order_placed", object_id=str(order.pk))
    assert entry.actor == buyer
    assert entry.changes["total_vnd"] == [None, order.total_vnd]


# --- The state machine -------------------------------------------------------------------------


@pytest.fixture
def vietqr_order(buyer, two_sellers, hanoi):
    (order,) = place(buyer, (two_sellers["scarf"], 2), commune=hanoi)
    return order


@pytest.fixture
def cod_order(buyer, two_sellers, hanoi):
    (order,) = place(buyer, (two_sellers["scarf"], 2), commune=hanoi, payment_method=PaymentMethod.COD)
    return order


def test_a_vietqr_order_goes_all_the_way_and_every_step_is_recorded(vietqr_order):
    order = advance(vietqr_order, S.PAID, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED)

    assert order.state == S.COMPLETED
    assert [e.to_state for e in OrderEvent.objects.filter(order=order)] == [
        S.PLACED,
        S.AWAITING_PAYMENT,
        S.PAID,
        S.PACKED,
        S.SHIPPED,
        S.DELIVERED,
        S.COMPLETED,
    ]
    packed = OrderEvent.objects.get(order=order, to_state=S.PACKED)
    assert (packed.from_state, packed.by) == (S.PAID, order.seller.leader)
    assert AuditEntry.objects.filter(action="market.order_transition", object_id=str(order.pk)).count() == 6


def test_a_cash_on_delivery_order_is_confirmed_by_the_seller(cod_order):
    order = order_transition(order=cod_order, to=S.COD_CONFIRMED, actor=cod_order.seller.leader)

    assert order.state == S.COD_CONFIRMED


def test_a_member_of_the_seller_may_pack(cod_order):
    member = user_with_role(Role.SELLER)
    cod_order.seller.members.add(member)
    order_transition(order=cod_order, to=S.COD_CONFIRMED, actor=member)

    order = order_transition(order=cod_order, to=S.PACKED, actor=member, note="Gói kỹ")

    assert order.state == S.PACKED
    assert OrderEvent.objects.get(order=order, to_state=S.PACKED).note == "Gói kỹ"


def test_the_buyer_cancels_and_the_stock_comes_back_once(vietqr_order, two_sellers):
    assert stock_of(two_sellers["scarf"]) == 3

    order = order_transition(order=vietqr_order, to=S.CANCELLED, actor=vietqr_order.buyer, note="Đặt nhầm")

    assert order.state == S.CANCELLED
    assert order.reserved_until is None
    assert stock_of(two_sellers["scarf"]) == 5
    # a second cancel is refused and gives nothing back again
    with pytest.raises(DomainError) as refused:
        order_transition(order=vietqr_order, to=S.CANCELLED, actor=vietqr_order.buyer)
    assert refused.value.status == 409
    assert "Đã huỷ" in str(refused.value)
    assert stock_of(two_sellers["scarf"]) == 5
    assert OrderEvent.objects.filter(order=order, to_state=S.CANCELLED).count() == 1


def test_the_buyer_cannot_cancel_once_packed_but_the_seller_can(cod_order, two_sellers):
    advance(cod_order, S.COD_CONFIRMED, S.PACKED)

    with pytest.raises(PermissionDenied):
        order_transition(order=cod_order, to=S.CANCELLED, actor=cod_order.buyer)
    assert stock_of(two_sellers["scarf"]) == 3

    order_transition(order=cod_order, to=S.CANCELLED, actor=cod_order.seller.leader, note="Hết màu")
    assert stock_of(two_sellers["scarf"]) == 5


def test_nobody_cancels_a_shipped_order(vietqr_order):
    advance(vietqr_order, S.PAID, S.PACKED, S.SHIPPED)

    for actor in (vietqr_order.buyer, vietqr_order.seller.leader, None):
        with pytest.raises(DomainError) as refused:
            order_transition(order=vietqr_order, to=S.CANCELLED, actor=actor)
        assert refused.value.status == 409
    vietqr_order.refresh_from_db()
    assert vietqr_order.state == S.SHIPPED


@pytest.mark.parametrize("to", [S.PACKED, S.SHIPPED, S.PAID, S.DELIVERED])
def test_the_buyer_cannot_make_the_sellers_or_the_systems_moves(vietqr_order, to):
    if to in (S.PACKED, S.SHIPPED):
        advance(vietqr_order, S.PAID, *([S.PACKED] if to == S.SHIPPED else []))
    if to == S.DELIVERED:
        advance(vietqr_order, S.PAID, S.PACKED, S.SHIPPED)
    vietqr_order.refresh_from_db()
    before = (vietqr_order.state, OrderEvent.objects.filter(order=vietqr_order).count())

    with pytest.raises(PermissionDenied):
        order_transition(order=vietqr_order, to=to, actor=vietqr_order.buyer)

    vietqr_order.refresh_from_db()
    assert (vietqr_order.state, OrderEvent.objects.filter(order=vietqr_order).count()) == before


def test_the_seller_cannot_mark_her_own_parcel_delivered_or_complete_it(vietqr_order):
    advance(vietqr_order, S.PAID, S.PACKED, S.SHIPPED)

    with pytest.raises(PermissionDenied):
        order_transition(order=vietqr_order, to=S.DELIVERED, actor=vietqr_order.seller.leader)
    advance(vietqr_order, S.DELIVERED)
    with pytest.raises(PermissionDenied):
        order_transition(order=vietqr_order, to=S.COMPLETED, actor=vietqr_order.seller.leader)


def test_another_shop_and_a_stranger_cannot_touch_the_order(cod_order):
    other_shop = SellerFactory()
    stranger = buyer_make()

    for actor in (other_shop.leader, stranger):
        with pytest.raises(NotFound):
            order_transition(order=cod_order, to=S.COD_CONFIRMED, actor=actor)
        with pytest.raises(NotFound):
            order_transition(order=cod_order, to=S.CANCELLED, actor=actor)
    cod_order.refresh_from_db()
    assert cod_order.state == S.PLACED


def test_an_administrator_may_cancel_any_order(vietqr_order, two_sellers):
    admin = user_with_role(Role.ADMINISTRATOR)

    order_transition(order=vietqr_order, to=S.CANCELLED, actor=admin, note="Người bán báo lừa đảo")

    assert stock_of(two_sellers["scarf"]) == 5
    assert OrderEvent.objects.get(order=vietqr_order, to_state=S.CANCELLED).by == admin


def test_a_move_that_does_not_exist_is_refused_with_409(cod_order):
    with pytest.raises(DomainError) as refused:
        order_transition(order=cod_order, to=S.DELIVERED, actor=None)
    assert refused.value.status == 409

    with pytest.raises(DomainError) as unknown:
        order_transition(order=cod_order, to="lost", actor=cod_order.seller.leader)
    assert unknown.value.status == 400


def test_the_table_has_no_way_back_to_a_stock_holding_state_from_cancelled():
    # This is what makes "stock released exactly once" hold.
    assert [to for (source, to) in MOVES if source == S.CANCELLED] == [S.REFUNDED]


def test_the_seller_refunds_a_paid_order_and_its_stock_comes_back(vietqr_order, two_sellers):
    advance(vietqr_order, S.PAID)

    order = order_transition(order=vietqr_order, to=S.REFUNDED, actor=vietqr_order.seller.leader)

    assert order.state == S.REFUNDED
    assert stock_of(two_sellers["scarf"]) == 5
    order.payment.refresh_from_db()
    assert order.payment.state == "refunded"


def test_an_order_paid_then_cancelled_by_the_buyer_is_refunded_by_the_seller(vietqr_order, two_sellers):
    advance(vietqr_order, S.PAID)
    order_transition(order=vietqr_order, to=S.CANCELLED, actor=vietqr_order.buyer)
    assert stock_of(two_sellers["scarf"]) == 5

    order = order_transition(order=vietqr_order, to=S.REFUNDED, actor=vietqr_order.seller.leader)

    assert order.state == S.REFUNDED
    assert stock_of(two_sellers["scarf"]) == 5  # not given back a second time


def test_an_unpaid_cancelled_order_has_nothing_to_refund(vietqr_order):
    order_transition(order=vietqr_order, to=S.CANCELLED, actor=vietqr_order.buyer)

    with pytest.raises(DomainError) as refused:
        order_transition(order=vietqr_order, to=S.REFUNDED, actor=vietqr_order.seller.leader)

    assert refused.value.status == 409
    vietqr_order.refresh_from_db()
    assert vietqr_order.state == S.CANCELLED


def test_the_buyer_is_texted_when_the_seller_cancels(cod_order, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order=cod_order, to=S.CANCELLED, actor=cod_order.seller.leader, note="Hết hàng")

    assert [(m.to, cod_order.reference in m.text, "Hết hàng" in m.text) for m in sms] == [
        (BUYER_PHONE_E164, True, True)
    ]


# --- Unpaid orders time out --------------------------------------------------------------------


def test_an_unpaid_vietqr_order_times_out_and_its_stock_comes_back_once(vietqr_order, two_sellers):
    later = timezone.now() + timedelta(minutes=31)

    assert order_expire_unpaid(now=later) == 1

    vietqr_order.refresh_from_db()
    assert vietqr_order.state == S.CANCELLED
    assert stock_of(two_sellers["scarf"]) == 5
    event = OrderEvent.objects.get(order=vietqr_order, to_state=S.CANCELLED)
    assert event.by is None
    # idempotent
    assert order_expire_unpaid(now=later) == 0
    assert stock_of(two_sellers["scarf"]) == 5


def test_orders_not_yet_due_paid_or_cash_on_delivery_do_not_time_out(buyer, two_sellers, hanoi):
    (waiting,) = place(buyer, (two_sellers["scarf"], 1), commune=hanoi)
    (paid,) = place(buyer, (two_sellers["scarf"], 1), commune=hanoi)
    advance(paid, S.PAID)
    (cod,) = place(buyer, (two_sellers["scarf"], 1), commune=hanoi, payment_method=PaymentMethod.COD)

    assert order_expire_unpaid(now=timezone.now() + timedelta(minutes=20)) == 0
    assert order_expire_unpaid(now=timezone.now() + timedelta(days=3)) == 1

    states = dict(Order.objects.values_list("pk", "state"))
    assert states == {waiting.pk: S.CANCELLED, paid.pk: S.PAID, cod.pk: S.PLACED}
    assert stock_of(two_sellers["scarf"]) == 3


def test_the_command_does_the_work_now_or_enqueues_the_task(vietqr_order, two_sellers, capsys, settings):
    Order.objects.filter(pk=vietqr_order.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))

    call_command("market_expire_unpaid", "--now")
    assert "cancelled 1" in capsys.readouterr().out
    assert stock_of(two_sellers["scarf"]) == 5

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    call_command("market_expire_unpaid")
    assert "enqueued" in capsys.readouterr().out
    assert expire_unpaid_orders.call() == 0
