"""Real threads, each with its own database connection, posting at the same moment.

Transactional tests: each thread commits, as the web and worker processes
do. ``serialized_rollback`` puts back the provinces and communes that the
flush after a transactional test would otherwise wipe for the tests after it.
"""

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection, connections, transaction

from ketnoi.core.errors import DomainError
from ketnoi.ledger.models import Account, Transfer
from ketnoi.ledger.services import (
    IdempotencyConflict,
    TransferRequest,
    balances_check,
    transfer_post,
    transfer_reverse,
    transfers_check,
    transfers_post_many,
)

from .helpers import COD, EXTERNAL, FEES, OTHER_SALES, SALES, balance, fund, open_accounts

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("concurrent_database"),
]

THREADS = 8


def at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together; each one's result or exception."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as error:
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def outcome(call: Callable[[], Transfer]) -> str:
    """``"posted"`` or the refusal's code; any other exception escapes."""
    try:
        call()
    except DomainError as error:
        return error.code
    return "posted"


def test_eight_writers_on_one_account_never_take_it_below_zero():
    # Given a carrier's COD account holding exactly ten payouts of 50,000 đ
    open_accounts()
    fund(COD, 10 * 50_000)

    # When eight threads each try three payouts at the same moment
    def payouts(i: int) -> list[str]:
        return [
            outcome(
                lambda j=j: transfer_post(
                    idempotency_key=f"payout-{i}-{j}", postings=[(COD, -50_000), (SALES, 50_000)]
                )
            )
            for j in range(3)
        ]

    results = at_once(THREADS, payouts)

    # Then no thread failed for another reason, exactly ten were posted and fourteen refused
    assert not [r for r in results if isinstance(r, BaseException)], results
    tally = Counter(code for thread in results for code in thread)
    assert tally == {"posted": 10, "insufficient_funds": 14}
    # and the account is empty, never negative, and every cache matches its postings
    assert (balance(COD), balance(SALES)) == (0, 500_000)
    assert Transfer.objects.count() == 1 + 10
    assert balances_check() == []


def test_two_submissions_with_the_same_key_at_once_make_one_transfer():
    open_accounts()
    rounds = 5

    for n in range(rounds):
        results = at_once(
            2,
            lambda i, n=n: transfer_post(
                idempotency_key=f"bank-ref-{n}",
                postings=[(EXTERNAL, -120_000), (SALES, 120_000)],
                memo="Chuyển khoản",
            ),
        )

        assert all(isinstance(r, Transfer) for r in results), results
        assert results[0].pk == results[1].pk

    assert Transfer.objects.count() == rounds
    assert balance(SALES) == rounds * 120_000
    assert balances_check() == []


def test_the_same_key_with_other_content_at_once_posts_one_and_refuses_the_other():
    # Given two transfers over different accounts (so neither waits for the other's locks)
    open_accounts()
    fund(FEES, 1_000_000)
    contents = [[(EXTERNAL, -70_000), (SALES, 70_000)], [(FEES, -30_000), (OTHER_SALES, 30_000)]]

    for n in range(5):
        results = at_once(2, lambda i, n=n: transfer_post(idempotency_key=f"dup-{n}", postings=contents[i]))

        posted = [r for r in results if isinstance(r, Transfer)]
        conflicts = [r for r in results if isinstance(r, IdempotencyConflict)]
        assert (len(posted), len(conflicts)) == (1, 1), results
        assert Transfer.objects.filter(idempotency_key=f"dup-{n}").count() == 1

    assert balances_check() == []
    assert balance(SALES) + balance(OTHER_SALES) == sum(
        t.postings.get(amount_vnd__gt=0).amount_vnd
        for t in Transfer.objects.filter(idempotency_key__startswith="dup-")
    )


def test_two_reversals_of_one_transfer_at_once_reverse_it_once():
    open_accounts()
    paid = fund(SALES, 400_000)

    results = at_once(
        2, lambda i: outcome(lambda: transfer_reverse(transfer=paid, idempotency_key=f"refund-{i}"))
    )

    assert sorted(results) == ["already_reversed", "posted"]
    assert Transfer.objects.filter(reverses=paid).count() == 1
    assert balance(SALES) == 0
    assert balances_check() == []


def test_a_writer_kept_waiting_for_the_lock_still_posts_once():
    # Given another transaction holding the seller's account: on SQLite the
    # whole database (BEGIN IMMEDIATE), on PostgreSQL the row
    open_accounts()
    holding, refused, released = threading.Event(), threading.Event(), threading.Event()
    refusals: list[str] = []

    def hold() -> None:
        with transaction.atomic():
            list(Account.objects.select_for_update().filter(code=SALES))
            holding.set()
            # SQLite refuses the writer once its busy_timeout runs out; PostgreSQL queues it.
            refused.wait(timeout=30 if connection.vendor == "sqlite" else 0.3)
        released.set()

    def observe(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        try:
            return execute(sql, params, many, context)
        except OperationalError:
            refusals.append(sql)
            refused.set()
            released.wait(timeout=30)
            raise

    def write() -> Transfer:
        holding.wait(timeout=30)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 50")  # run out of patience quickly
        with connection.execute_wrapper(observe):
            return transfer_post(idempotency_key="late-1", postings=[(EXTERNAL, -90_000), (SALES, 90_000)])

    # When a transfer to it is posted meanwhile
    results = at_once(2, lambda i: (hold, write)[i]())

    # Then it is posted once, after the other transaction let go
    assert isinstance(results[1], Transfer), results
    assert Transfer.objects.filter(idempotency_key="late-1").count() == 1
    assert balance(SALES) == 90_000
    # (SQLite refused its first BEGIN IMMEDIATE, and the service began again)
    assert refusals == (["BEGIN IMMEDIATE"] if connection.vendor == "sqlite" else [])


# --- Many transfers per call --------------------------------------------------


def test_calls_with_overlapping_keys_at_once_post_each_key_once():
    # Given four workers sending overlapping slices of one batch of 60 payouts
    # (as a retried task and its first run might), the COD account funded for all of them
    open_accounts()
    fund(COD, 60 * 10_000)
    batch = [
        TransferRequest(idempotency_key=f"disb-{n:03d}-send", postings=((COD, -10_000), (SALES, 10_000)))
        for n in range(60)
    ]

    # When they post at the same moment, worker i the payouts 10·i to 10·i + 29
    results = at_once(4, lambda i: transfers_post_many(batch[10 * i : 10 * i + 30]))

    # Then every call succeeded, and a key shared by two calls got the same transfer in both
    assert not [r for r in results if isinstance(r, BaseException)], results
    seen: dict[str, int] = {}
    for ids in results:
        for key, pk in ids.items():
            assert seen.setdefault(key, pk) == pk
    assert len(seen) == 60
    # and each payout was posted once
    assert Transfer.objects.filter(idempotency_key__startswith="disb-").count() == 60
    assert (balance(COD), balance(SALES)) == (0, 600_000)
    assert balances_check() == []
    assert transfers_check() == []


def test_calls_drawing_on_one_account_at_once_never_take_it_below_zero():
    # Given the COD account holding five payouts, and four calls of three payouts each
    open_accounts()
    fund(COD, 5 * 10_000)

    def call(i: int) -> str:
        requests = [
            TransferRequest(idempotency_key=f"call-{i}-{j}", postings=((COD, -10_000), (SALES, 10_000)))
            for j in range(3)
        ]
        try:
            transfers_post_many(requests)
        except DomainError as error:
            return error.code
        return "posted"

    results = at_once(4, call)

    # Then one call was posted whole and the others refused whole
    assert sorted(results) == ["insufficient_funds"] * 3 + ["posted"], results
    assert Transfer.objects.filter(idempotency_key__startswith="call-").count() == 3
    assert (balance(COD), balance(SALES)) == (20_000, 30_000)
    assert balances_check() == []
