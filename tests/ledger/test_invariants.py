"""Random transfers, reversals and retries, with the ledger's invariants checked after every step.

Hypothesis drives the service; a plain-Python model says what each step
should do (post, or refuse with which code) and what every balance must be.
Each example runs in a savepoint that is rolled back, so examples do not see
each other's money.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from ketnoi.core.errors import DomainError
from ketnoi.ledger.models import Account, Transfer
from ketnoi.ledger.services import (
    IdempotencyConflict,
    balances_check,
    transfer_post,
    transfer_reverse,
    transfers_check,
)

from .helpers import EXTERNAL, open_accounts

pytestmark = pytest.mark.django_db

CODES = ("buyers-external", "seller-1-sales", "seller-2-sales", "carrier-vnpost-cod", "fees")
AMOUNTS = st.integers(min_value=-300_000, max_value=300_000).filter(bool)


@dataclass
class Posted:
    key: str
    lines: list[tuple[str, int]]
    memo: str
    reverses: int | None = None
    reversed_by: int | None = None


class LedgerMachine(RuleBasedStateMachine):
    keys = Bundle("keys")

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        open_accounts()
        self.expected = dict.fromkeys(CODES, 0)
        self.transfers: dict[int, Posted] = {}
        self.by_key: dict[str, int] = {}
        self.serial = itertools.count(1)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # --- the model ----------------------------------------------------------

    def _would_go_negative(self, lines: list[tuple[str, int]]) -> bool:
        after = dict(self.expected)
        for code, amount in lines:
            after[code] += amount
        return any(after[code] < 0 for code in CODES if code != EXTERNAL)

    def _apply(self, transfer: Transfer, posted: Posted) -> None:
        for code, amount in posted.lines:
            self.expected[code] += amount
        self.transfers[transfer.pk] = posted
        self.by_key[posted.key] = transfer.pk

    # --- rules --------------------------------------------------------------

    @rule(
        target=keys,
        codes=st.lists(st.sampled_from(CODES), min_size=2, max_size=4, unique=True),
        amounts=st.lists(AMOUNTS, min_size=3, max_size=3),
        offset=st.sampled_from((0, 0, 0, 0, 1, -10_000)),
        memo=st.sampled_from(("", "Đơn KN1", "Thu hộ")),
    )
    def post(self, codes: list[str], amounts: list[int], offset: int, memo: str):  # type: ignore[no-untyped-def]
        lines = list(zip(codes, amounts, strict=False))[: len(codes) - 1]
        lines.append((codes[-1], -sum(a for _c, a in lines) + offset))
        key = f"k-{next(self.serial)}"
        if lines[-1][1] == 0:
            expected = "zero_amount"
        elif offset:
            expected = "unbalanced"
        elif self._would_go_negative(lines):
            expected = "insufficient_funds"
        else:
            expected = "posted"
        try:
            transfer = transfer_post(idempotency_key=key, postings=lines, memo=memo)
        except DomainError as error:
            assert error.code == expected
            return multiple()
        assert expected == "posted"
        self._apply(transfer, Posted(key=key, lines=lines, memo=memo))
        return key

    @rule(key=keys)
    def retry(self, key: str) -> None:
        posted = self.transfers[self.by_key[key]]
        before = Transfer.objects.count()
        if posted.reverses is None:
            again = transfer_post(
                idempotency_key=key, postings=list(reversed(posted.lines)), memo=posted.memo
            )
        else:
            original = Transfer.objects.get(pk=posted.reverses)
            again = transfer_reverse(transfer=original, idempotency_key=key)
        assert again.pk == self.by_key[key]
        assert Transfer.objects.count() == before

    @rule(key=keys, extra=AMOUNTS)
    def retry_with_other_content(self, key: str, extra: int) -> None:
        posted = self.transfers[self.by_key[key]]
        lines = [*posted.lines, (EXTERNAL, extra), (CODES[1], -extra)]
        before = Transfer.objects.count()
        try:
            transfer_post(idempotency_key=key, postings=lines, memo=posted.memo)
        except IdempotencyConflict:
            pass
        else:
            raise AssertionError("a key reused for other content was accepted")
        assert Transfer.objects.count() == before

    @rule(target=keys, key=keys)
    def reverse(self, key: str):  # type: ignore[no-untyped-def]
        transfer_id = self.by_key[key]
        posted = self.transfers[transfer_id]
        negated = [(code, -amount) for code, amount in posted.lines]
        if posted.reverses is not None:
            expected = "reversal_of_reversal"
        elif posted.reversed_by is not None:
            expected = "already_reversed"
        elif self._would_go_negative(negated):
            expected = "insufficient_funds"
        else:
            expected = "posted"
        reversal_key = f"r-{next(self.serial)}"
        try:
            reversal = transfer_reverse(
                transfer=Transfer.objects.get(pk=transfer_id), idempotency_key=reversal_key
            )
        except DomainError as error:
            assert error.code == expected
            return multiple()
        assert expected == "posted"
        assert reversal.reverses_id == transfer_id
        posted.reversed_by = reversal.pk
        self._apply(
            reversal, Posted(key=reversal_key, lines=negated, memo=reversal.memo, reverses=transfer_id)
        )
        return reversal_key

    @rule(key=consumes(keys))
    def forget(self, key: str) -> None:
        """Lets the bundle shrink, so later steps also pick recent transfers."""

    # --- invariants ---------------------------------------------------------

    @invariant()
    def every_transfer_sums_to_zero(self) -> None:
        assert transfers_check() == []

    @invariant()
    def balances_equal_the_sum_of_postings_and_the_model(self) -> None:
        assert balances_check() == []
        assert dict(Account.objects.values_list("code", "balance_vnd")) == self.expected

    @invariant()
    def no_account_that_may_not_go_negative_is_negative(self) -> None:
        assert not Account.objects.filter(may_go_negative=False, balance_vnd__lt=0).exists()

    @invariant()
    def retries_never_add_transfers(self) -> None:
        assert Transfer.objects.count() == len(self.transfers)


def test_the_ledger_keeps_its_invariants_under_random_operations():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
