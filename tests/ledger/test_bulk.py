"""Posting many transfers in one call: a disbursement batch, a day's settlements.

``transfers_post_many`` answers every key with its transfer's id, writes all
or nothing, replays what was already posted and checks the not-negative
rule on the sum of the whole call.
"""

import hashlib
import json
import time

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from ketnoi.core.errors import DomainError
from ketnoi.core.models import AuditEntry
from ketnoi.ledger.models import Account, Posting, Transfer
from ketnoi.ledger.services import (
    IdempotencyConflict,
    TransferRequest,
    account_open,
    balances_check,
    content_hash,
    transfer_post,
    transfer_reverse,
    transfers_check,
    transfers_post_many,
)

from .helpers import COD, EXTERNAL, FEES, OTHER_SALES, SALES, balance, counts, fund, open_accounts

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts():
    return open_accounts()


def payouts(count: int, *, prefix: str = "payout", amount: int = 10_000) -> list[TransferRequest]:
    """``count`` payouts of ``amount`` đồng from the COD account to the seller."""
    return [
        TransferRequest(
            idempotency_key=f"{prefix}-{n}", postings=((COD, -amount), (SALES, amount)), memo=f"Trả lần {n}"
        )
        for n in range(count)
    ]


def refused(requests: list[TransferRequest], **kwargs) -> DomainError:
    """Run the call expecting a refusal; check nothing at all was written; return the refusal."""
    before = counts(), AuditEntry.objects.count(), list(Account.objects.values_list("code", "balance_vnd"))
    with pytest.raises(DomainError) as info:
        transfers_post_many(requests, **kwargs)
    after = counts(), AuditEntry.objects.count(), list(Account.objects.values_list("code", "balance_vnd"))
    assert after == before
    return info.value


def ledger_is_sound() -> bool:
    return balances_check() == [] and transfers_check() == []


def test_a_batch_of_payouts_is_posted_in_one_call_with_one_audit_entry(accounts):
    # Given a carrier's COD account holding 3,000,000 đ
    fund(COD, 3_000_000)
    transfers_before, postings_before = counts()
    audits_before = AuditEntry.objects.count()
    target = accounts[COD]

    # When 250 payouts of 10,000 đ are posted in one call
    ids = transfers_post_many(payouts(250), audit_target=target, audit_action="carrier_payouts_posted")

    # Then each key has its own transfer of two postings (written in order of key)
    assert len(ids) == len(set(ids.values())) == 250
    assert counts() == (transfers_before + 250, postings_before + 500)
    assert ids["payout-0"] < ids["payout-249"]
    first = Transfer.objects.get(pk=ids["payout-7"])
    assert first.idempotency_key == "payout-7"
    assert first.memo == "Trả lần 7"
    assert sorted(first.postings.values_list("account__code", "amount_vnd")) == [
        (COD, -10_000),
        (SALES, 10_000),
    ]
    # and the money moved
    assert (balance(COD), balance(SALES)) == (500_000, 2_500_000)
    # and the audit trail holds one entry for the whole call
    assert AuditEntry.objects.count() == audits_before + 1
    entry = AuditEntry.objects.get(action="carrier_payouts_posted")
    assert entry.object_id == str(target.pk)
    assert entry.changes == {
        "count": [None, 250],
        "total_vnd": [None, 2_500_000],
        "first_key": [None, "payout-0"],
        "last_key": [None, "payout-99"],  # keys in sorted order
    }
    assert ledger_is_sound()


def test_sending_the_same_call_again_returns_the_same_ids_and_writes_nothing(accounts):
    fund(COD, 1_000_000)
    first = transfers_post_many(payouts(40))
    before = counts(), AuditEntry.objects.count(), balance(SALES)

    again = transfers_post_many(payouts(40))

    assert again == first
    assert (counts(), AuditEntry.objects.count(), balance(SALES)) == before


def test_a_call_that_is_partly_a_retry_posts_only_the_new_keys(accounts):
    fund(COD, 1_000_000)
    first = transfers_post_many(payouts(10))
    # a single transfer posted earlier with transfer_post replays too
    single = transfer_post(idempotency_key="single-1", postings=[(COD, -5_000), (FEES, 5_000)])
    transfers_before, _postings = counts()

    ids = transfers_post_many(
        [
            *payouts(15),
            TransferRequest(idempotency_key="single-1", postings=((FEES, 5_000), (COD, -5_000))),
        ]
    )

    assert {key: ids[key] for key in first} == first
    assert ids["single-1"] == single.pk
    assert counts()[0] == transfers_before + 5
    assert balance(SALES) == 15 * 10_000
    assert ledger_is_sound()


def test_the_same_key_twice_in_one_call_is_one_transfer(accounts):
    fund(COD, 100_000)
    twice = payouts(1) * 2

    ids = transfers_post_many(twice)

    assert list(ids) == ["payout-0"]
    assert Transfer.objects.filter(idempotency_key="payout-0").count() == 1
    assert balance(SALES) == 10_000


def test_the_same_key_twice_in_one_call_with_other_content_is_refused(accounts):
    fund(COD, 100_000)
    requests = [*payouts(3), TransferRequest(idempotency_key="payout-1", postings=((COD, -1), (FEES, 1)))]

    error = refused(requests)

    assert isinstance(error, IdempotencyConflict)
    assert error.status == 409
    assert error.params == {"key": "payout-1"}


def test_a_used_key_with_other_content_refuses_the_whole_call(accounts):
    # Given one payout posted
    fund(COD, 1_000_000)
    posted = transfers_post_many(payouts(1))

    # When a call brings new payouts and the same key for another amount
    requests = [*payouts(5, prefix="new"), *payouts(1, amount=20_000)]
    error = refused(requests)

    # Then it is refused, naming the key and its transfer, and none of the new ones are posted
    assert isinstance(error, IdempotencyConflict)
    assert error.params == {"key": "payout-0", "id": posted["payout-0"]}
    assert not Transfer.objects.filter(idempotency_key__startswith="new-").exists()


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (((COD, -10_000), (SALES, 9_000)), "unbalanced"),
        (((COD, 0), (SALES, 0)), "zero_amount"),
        (((COD, -10_000),), "too_few_postings"),
        (((COD, -1.5), (SALES, 1.5)), "invalid_amount"),
        (((COD, -10_000), ("nowhere-1", 10_000)), "unknown_account"),
    ],
)
def test_one_bad_transfer_refuses_the_whole_call(accounts, bad, code):
    fund(COD, 1_000_000)
    requests = [*payouts(20), TransferRequest(idempotency_key="bad-1", postings=bad)]

    error = refused(requests)

    assert error.code == code
    assert error.status == 422


def test_unknown_accounts_are_named(accounts):
    requests = [
        TransferRequest(idempotency_key="a", postings=((EXTERNAL, -1_000), ("seller-88-sales", 1_000))),
        TransferRequest(idempotency_key="b", postings=((EXTERNAL, -1_000), ("seller-77-sales", 1_000))),
    ]

    error = refused(requests)

    assert error.code == "unknown_account"
    assert error.params == {"codes": "seller-77-sales, seller-88-sales"}


def test_a_bad_key_or_a_request_of_the_wrong_shape_is_refused(accounts):
    assert refused([TransferRequest(idempotency_key=" x", postings=((COD, -1), (SALES, 1)))]).status == 400
    both = TransferRequest(idempotency_key="r-1", postings=((COD, -1), (SALES, 1)), reverses_id=1)
    assert refused([both]).code == "invalid_request"
    assert refused([("k", ((COD, -1), (SALES, 1)))]).code == "invalid_request"  # type: ignore[list-item]


def test_nothing_to_post_writes_nothing(accounts):
    before = counts(), AuditEntry.objects.count()

    assert transfers_post_many([]) == {}
    assert (counts(), AuditEntry.objects.count()) == before


# --- Reversals ---------------------------------------------------------------


def test_reversals_in_a_call_put_the_money_back(accounts):
    # Given three payouts, and a fourth that stays
    fund(COD, 1_000_000)
    ids = transfers_post_many(payouts(4))

    # When three are reversed in one call (a batch of failed payments)
    reversals = transfers_post_many(
        [TransferRequest(idempotency_key=f"fail-{n}", reverses_id=ids[f"payout-{n}"]) for n in range(3)]
    )

    # Then each reversal names what it reverses and carries the opposite postings
    reversal = Transfer.objects.get(pk=reversals["fail-1"])
    assert reversal.reverses_id == ids["payout-1"]
    assert reversal.memo == f"Đảo ngược giao dịch #{ids['payout-1']}"
    assert sorted(reversal.postings.values_list("account__code", "amount_vnd")) == [
        (COD, 10_000),
        (SALES, -10_000),
    ]
    assert (balance(COD), balance(SALES)) == (990_000, 10_000)
    assert ledger_is_sound()
    # and sending the call again writes nothing
    before = counts()
    assert (
        transfers_post_many(
            [TransferRequest(idempotency_key=f"fail-{n}", reverses_id=ids[f"payout-{n}"]) for n in range(3)]
        )
        == reversals
    )
    assert counts() == before


def test_a_reversal_posted_alone_replays_in_a_call_with_the_same_key(accounts):
    paid = fund(SALES, 40_000)
    alone = transfer_reverse(transfer=paid, idempotency_key="refund-1")

    ids = transfers_post_many([TransferRequest(idempotency_key="refund-1", reverses_id=paid.pk)])

    assert ids == {"refund-1": alone.pk}


def test_reversing_a_reversal_or_twice_is_refused(accounts):
    fund(COD, 1_000_000)
    ids = transfers_post_many(payouts(3))
    reversal = transfer_reverse(transfer=Transfer.objects.get(pk=ids["payout-0"]), idempotency_key="undo-0")

    # a reversal is not reversed
    error = refused([TransferRequest(idempotency_key="undo-undo", reverses_id=reversal.pk)])
    assert (error.code, error.status) == ("reversal_of_reversal", 409)
    # a transfer is reversed once, by an earlier call …
    error = refused([TransferRequest(idempotency_key="undo-again", reverses_id=ids["payout-0"])])
    assert (error.code, error.params) == ("already_reversed", {"id": ids["payout-0"]})
    # … or within the same call
    twice = [TransferRequest(idempotency_key=f"undo-1-{n}", reverses_id=ids["payout-1"]) for n in range(2)]
    assert refused(twice).code == "already_reversed"
    # and a transfer that does not exist is named
    error = refused([TransferRequest(idempotency_key="undo-x", reverses_id=987_654)])
    assert (error.code, error.params) == ("unknown_transfer", {"ids": "#987654"})


# --- The not-negative rule ---------------------------------------------------


def test_the_not_negative_rule_holds_for_the_sum_of_the_call(accounts):
    # Given 100,000 đ on the COD account
    fund(COD, 100_000)

    # When a call pays out 60,000 đ twice: each alone would fit, together they do not
    error = refused(payouts(2, amount=60_000))

    # Then the whole call is refused, saying what the account holds and what it needed
    assert (error.code, error.status) == ("insufficient_funds", 409)
    assert error.params == {"code": COD, "balance": 100_000, "needed": 120_000}
    # while one of them passes
    transfers_post_many(payouts(1, amount=60_000))
    assert balance(COD) == 40_000


def test_money_brought_in_by_the_same_call_can_be_paid_out_in_it(accounts):
    requests = [
        *payouts(3, amount=50_000),
        TransferRequest(idempotency_key="collect-1", postings=((EXTERNAL, -150_000), (COD, 150_000))),
    ]

    transfers_post_many(requests)

    assert (balance(COD), balance(SALES), balance(EXTERNAL)) == (0, 150_000, -150_000)
    assert ledger_is_sound()


def test_a_call_joins_the_callers_transaction(accounts):
    fund(COD, 100_000)
    before = counts()

    with pytest.raises(RuntimeError), transaction.atomic():
        transfers_post_many(payouts(5))
        raise RuntimeError("the caller changed its mind")

    assert counts() == before
    assert balance(COD) == 100_000


def test_many_accounts_in_one_call(accounts):
    # A payout to each of 1,200 sellers: more accounts than one IN (…) query takes
    for n in range(1_200):
        Account.objects.create(
            code=f"seller-{1000 + n}-sales", name=f"Người bán {n}", kind="seller_receivable"
        )
    fund(OTHER_SALES, 1_200 * 700)
    requests = [
        TransferRequest(
            idempotency_key=f"pay-{n}", postings=((OTHER_SALES, -700), (f"seller-{1000 + n}-sales", 700))
        )
        for n in range(1_200)
    ]

    transfers_post_many(requests)

    assert balance(OTHER_SALES) == 0
    assert balance("seller-2199-sales") == 700
    assert ledger_is_sound()


def test_ten_thousand_transfers_in_one_call_take_well_under_a_second(accounts, capsys):
    # Given a programme fund with money for 10,000 payments
    account_open(code="programme-x-fund", name="Quỹ X", kind=Account.Kind.PROGRAMME_FUND)
    fund("programme-x-fund", 10_000 * 500_000)
    requests = [
        TransferRequest(
            idempotency_key=f"disb-KN1D{n:06d}-send",
            postings=(("programme-x-fund", -500_000), (COD, 500_000)),
            memo=f"KN1D{n:06d}",
        )
        for n in range(10_000)
    ]

    started = time.perf_counter()
    ids = transfers_post_many(requests)
    took = time.perf_counter() - started

    assert len(ids) == 10_000
    assert (
        Posting.objects.filter(
            transfer_id__in=[ids["disb-KN1D000000-send"], ids["disb-KN1D009999-send"]]
        ).count()
        == 4
    )
    assert (balance("programme-x-fund"), balance(COD)) == (0, 10_000 * 500_000)
    assert ledger_is_sound()
    with capsys.disabled():
        print(f"\n10,000 transfers in one call: {took:.3f} s")
    # Generous for a busy shared test machine; the figure printed is the one to watch.
    assert took < 3


@given(
    lines=st.lists(st.tuples(st.text(min_size=1), st.integers(-(10**15), 10**15)), max_size=5),
    memo=st.text(),
    reverses_id=st.none() | st.integers(min_value=1),
)
def test_the_content_hash_is_the_sha256_of_the_canonical_json(lines, memo, reverses_id):
    # Hashes stored with every transfer were made this way; the fast writer must match them byte for byte
    content: dict[str, object] = {"postings": sorted([code, amount] for code, amount in lines), "memo": memo}
    if reverses_id is not None:
        content["reverses"] = reverses_id
    canonical = json.dumps(content, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    assert (
        content_hash(lines, memo, reverses_id=reverses_id) == hashlib.sha256(canonical.encode()).hexdigest()
    )
