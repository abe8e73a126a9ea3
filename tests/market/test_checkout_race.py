"""Never oversold: 200 buyers racing for the last 10 items get exactly 10 orders, on SQLite and PostgreSQL.

Real threads, each with its own database connection, all released at
once; the test database is committed to (a transactional test), so every
buyer sees what the others committed. ``serialized_rollback`` puts back
the provinces and communes that the flush after this test would wipe.

At most ``CONCURRENCY`` buyers talk to the database at a time, so that
PostgreSQL's default 100 connections are never exhausted (CI runs two
workers). SQLite's in-memory test database uses a shared cache, which
answers a busy table with "database table is locked" at once instead of
waiting as a database file does (``busy_timeout``); the buyer's browser
would try again, and so does the thread. A failed attempt rolled back
entirely, which the counts below also check.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import OperationalError, connection, connections

from ketnoi.accounts.models import User
from ketnoi.core.errors import DomainError
from ketnoi.market.models import Cart, CartLine, Order, OrderLine, OrderState, Product
from ketnoi.market.services.orders import order_place
from tests.accounts.factories import PASSWORD

from .factories import ProductFactory, SellerFactory
from .order_helpers import details_for, hanoi_commune

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BUYERS = 200
STOCK = 10
CONCURRENCY = 16
TRIES_WHEN_LOCKED = 200


@pytest.fixture
def messages_in_process(settings):
    # The SMS tasks run in-process (no task rows written from the racing threads).
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def _buyers_with_one_in_their_cart(product: Product) -> list[tuple[User, Cart]]:
    template = User(phone="+84980000000", display_name="x")
    template.set_password(PASSWORD)
    users = User.objects.bulk_create(
        User(phone=f"+84981{n:06d}", display_name=f"Người mua {n}", password=template.password)
        for n in range(1, BUYERS + 1)
    )
    users = list(User.objects.filter(phone__in=[u.phone for u in users]).order_by("pk"))
    Cart.objects.bulk_create(Cart(buyer=user) for user in users)
    carts = {cart.buyer_id: cart for cart in Cart.objects.filter(buyer__in=users)}
    CartLine.objects.bulk_create(CartLine(cart=carts[user.pk], product=product, quantity=1) for user in users)
    return [(user, carts[user.pk]) for user in users]


def _close_connection() -> None:
    """Release this thread's connection; Django keeps an in-memory SQLite one open, so close it here."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db() and connection.connection is not None:
        connection.connection.close()
        connection.connection = None
    connections.close_all()


def test_200_buyers_racing_for_the_last_10_items_get_exactly_10_orders(messages_in_process):
    # given the last 10 hand-woven scarves and 200 buyers with one each in their carts
    product = ProductFactory(
        seller=SellerFactory(), name="Khăn thổ cẩm cuối mùa", stock=STOCK, price_vnd=250_000
    )
    buyers = _buyers_with_one_in_their_cart(product)
    details = details_for(hanoi_commune())
    sqlite = connection.vendor == "sqlite"
    go = threading.Event()
    gate = threading.BoundedSemaphore(CONCURRENCY)
    lock = threading.Lock()
    outcomes: list[tuple[str, str]] = []

    def buy(user: User, cart: Cart) -> None:
        go.wait()
        outcome = ("gave up", "")
        try:
            with gate:
                for attempt in range(TRIES_WHEN_LOCKED):
                    try:
                        (order,) = order_place(cart=cart, buyer=user, details=details)
                    except DomainError as refusal:
                        outcome = ("refused", str(refusal))
                    except OperationalError as busy:
                        if not (sqlite and "locked" in str(busy)):
                            raise
                        time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 5)))  # back off, up to 64 ms
                        continue
                    else:
                        outcome = ("ordered", order.reference)
                    break
        except Exception as error:  # reported below, with the others
            outcome = ("error", repr(error))
        finally:
            _close_connection()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=buy, args=pair) for pair in buyers]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    # when they all press "Đặt hàng" at once
    go.set()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - started

    # then exactly 10 got an order, the others were told the scarves are gone, and nothing was oversold
    kinds = [kind for kind, _text in outcomes]
    assert len(outcomes) == BUYERS, "a buyer's thread did not finish"
    assert [o for o in outcomes if o[0] in ("error", "gave up")] == []
    assert kinds.count("ordered") == STOCK
    assert kinds.count("refused") == BUYERS - STOCK
    assert all("“Khăn thổ cẩm cuối mùa” chỉ còn 0" in text for kind, text in outcomes if kind == "refused")
    product.refresh_from_db()
    assert product.stock == 0
    assert Order.objects.count() == STOCK
    assert set(Order.objects.values_list("state", flat=True)) == {OrderState.AWAITING_PAYMENT}
    assert sum(OrderLine.objects.values_list("quantity", flat=True)) == STOCK
    assert {ref for kind, ref in outcomes if kind == "ordered"} == set(
        Order.objects.values_list("reference", flat=True)
    )
    # the winners' carts were emptied, the others' kept
    assert CartLine.objects.count() == BUYERS - STOCK
    assert elapsed < 20, f"the race took {elapsed:.1f} s"
