"""Money never appears, vanishes or goes twice: random ledger and disbursement steps, invariants after each.

Two Hypothesis state machines. ``LedgerMachine``, on a small chart of
accounts, posts transfers one at a time and many per call
(``transfers_post_many``), reverses them, and retries keys with the same and
with other content; a plain-Python model says whether each step must post or
be refused, and what every balance must be. ``PaymentsMachine``, on a
programme with an approved cycle, prepares, approves and sends payment
batches, marks payments received or failed one by one or from the bank's
result file, and pays failed households again in a later batch.

After every step: each transfer sums to zero, every cached balance equals the
sum of its postings, no account that may not go negative is negative, no
household has two live payments in the cycle, and every paid payment has
exactly one send and one settle transfer. The world (officers, households, an
approved cycle) is built once per test; each example runs in a savepoint that
is rolled back, so examples do not see each other's money.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ketnoi.core.errors import DomainError, PermissionDenied
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
from ketnoi.payments.bank_files import results_csv
from ketnoi.programmes.models import Batch, Cycle, Disbursement, Programme
from ketnoi.programmes.models.disbursements import LIVE_STATES
from ketnoi.programmes.services.batches import (
    BENEFICIARIES_EXTERNAL,
    batch_approve,
    batch_prepare,
    batch_send,
    batch_start,
    clearing_account_code,
)
from ketnoi.programmes.services.reconcile import bank_result_apply
from ketnoi.programmes.services.settlement import disbursement_mark_failed, disbursement_mark_paid
from tests.ledger.helpers import EXTERNAL, fund, open_accounts

from .factories import cycle_approved, programme_make, programme_officer, verified_household

pytestmark = pytest.mark.django_db

# The marketplace's chart (tests/ledger/helpers.py): money from outside may go negative, the others not.
CODES = ("buyers-external", "seller-1-sales", "seller-2-sales", "carrier-vnpost-cod", "fees")
AMOUNTS = st.integers(min_value=1, max_value=300_000)
MOVES = st.tuples(st.sampled_from(CODES), st.sampled_from(CODES), AMOUNTS).filter(lambda m: m[0] != m[1])


@dataclass
class Posted:
    """What the model knows of one transfer."""

    pk: int
    lines: tuple[tuple[str, int], ...]
    memo: str
    reverses: int | None = None
    reversed_by: int | None = None

    def request(self, key: str) -> TransferRequest:
        """The request that posted it, to send again."""
        if self.reverses is not None:
            return TransferRequest(idempotency_key=key, reverses_id=self.reverses, memo=self.memo)
        return TransferRequest(idempotency_key=key, postings=self.lines, memo=self.memo)


@dataclass
class Ledger:
    """The model of the chart: expected balances and every transfer posted, by key."""

    balances: dict[str, int] = field(
        default_factory=lambda: dict(
            Account.objects.filter(code__in=CODES).values_list("code", "balance_vnd")
        )
    )
    posted: dict[str, Posted] = field(default_factory=dict)

    def short_after(self, lines: list[tuple[str, int]]) -> bool:
        """Whether posting ``lines`` would take an account that may not go negative below zero."""
        after = dict(self.balances)
        for code, amount in lines:
            after[code] += amount
        return any(after[code] < 0 for code in CODES if code != EXTERNAL)

    def record(self, key: str, posted: Posted) -> None:
        for code, amount in posted.lines:
            self.balances[code] += amount
        self.posted[key] = posted
        if posted.reverses is not None:
            self.by_pk(posted.reverses).reversed_by = posted.pk

    def by_pk(self, pk: int) -> Posted:
        return next(p for p in self.posted.values() if p.pk == pk)


class InSavepoint(RuleBasedStateMachine):
    """Each example runs in a savepoint rolled back at its end: the next one starts from the same world."""

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    @invariant()
    def the_ledger_is_sound(self) -> None:
        """Each transfer sums to zero, each cached balance is the sum of its postings, and no
        account that may not go negative is negative; then the machine's own check of the balances."""
        assert transfers_check() == []
        assert balances_check() == []
        accounts = list(Account.objects.values_list("code", "balance_vnd", "may_go_negative"))
        assert [
            code for code, balance, may_go_negative in accounts if balance < 0 and not may_go_negative
        ] == []
        self.balances_check({code: balance for code, balance, _may_go_negative in accounts})

    def balances_check(self, balances: dict[str, int]) -> None:
        """Compare every account's balance with what the machine's model says."""


class LedgerMachine(InSavepoint):
    """Transfers one at a time and many per call, reversals, retries, on the marketplace's chart."""

    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger()
        self.serial = itertools.count(1)

    def new_key(self) -> str:
        return f"sm-{next(self.serial)}"

    def pick(self, data: st.DataObject) -> tuple[str, Posted]:
        key = data.draw(st.sampled_from(sorted(self.ledger.posted)), label="key")
        return key, self.ledger.posted[key]

    # --- ledger: one transfer at a time -----------------------------------------------------

    @rule(move=MOVES, memo=st.sampled_from(("", "Đơn KN1", "Thu hộ")))
    def post_one(self, move: tuple[str, str, int], memo: str) -> None:
        source, target, amount = move
        lines = ((source, -amount), (target, amount))
        key = self.new_key()
        short = self.ledger.short_after(list(lines))
        try:
            transfer = transfer_post(idempotency_key=key, postings=lines, memo=memo)
        except DomainError as error:
            assert (short, error.code) == (True, "insufficient_funds")
            return
        assert not short
        self.ledger.record(key, Posted(pk=transfer.pk, lines=lines, memo=memo))

    @precondition(lambda self: bool(self.ledger.posted))
    @rule(data=st.data(), alone=st.booleans())
    def retry_the_same(self, data: st.DataObject, alone: bool) -> None:
        """The same key and content again, alone or in a call: the first transfer, nothing written."""
        key, posted = self.pick(data)
        before = Transfer.objects.count()
        if not alone:
            assert transfers_post_many([posted.request(key)]) == {key: posted.pk}
        elif posted.reverses is not None:
            again = transfer_reverse(transfer=Transfer.objects.get(pk=posted.reverses), idempotency_key=key)
            assert again.pk == posted.pk
        else:
            again = transfer_post(
                idempotency_key=key, postings=list(reversed(posted.lines)), memo=posted.memo
            )
            assert again.pk == posted.pk
        assert Transfer.objects.count() == before

    @precondition(lambda self: bool(self.ledger.posted))
    @rule(data=st.data(), alone=st.booleans(), extra=AMOUNTS)
    def retry_with_other_content(self, data: st.DataObject, alone: bool, extra: int) -> None:
        """A used key for other content is refused, and takes the rest of its call down with it."""
        key, _posted = self.pick(data)
        other = ((EXTERNAL, -extra), (CODES[1], extra))
        before = Transfer.objects.count()
        with pytest.raises(IdempotencyConflict):
            if alone:
                transfer_post(idempotency_key=key, postings=other, memo="khác")
            else:
                fresh = TransferRequest(idempotency_key=self.new_key(), postings=other)
                transfers_post_many(
                    [fresh, TransferRequest(idempotency_key=key, postings=other, memo="khác")]
                )
        assert Transfer.objects.count() == before

    @precondition(lambda self: bool(self.ledger.posted))
    @rule(data=st.data())
    def reverse_one(self, data: st.DataObject) -> None:
        _key, posted = self.pick(data)
        negated = [(code, -amount) for code, amount in posted.lines]
        if posted.reverses is not None:
            expected = "reversal_of_reversal"
        elif posted.reversed_by is not None:
            expected = "already_reversed"
        elif self.ledger.short_after(negated):
            expected = "insufficient_funds"
        else:
            expected = "posted"
        key = self.new_key()
        try:
            reversal = transfer_reverse(transfer=Transfer.objects.get(pk=posted.pk), idempotency_key=key)
        except DomainError as error:
            assert error.code == expected
            return
        assert expected == "posted"
        self.ledger.record(
            key, Posted(pk=reversal.pk, lines=tuple(negated), memo=reversal.memo, reverses=posted.pk)
        )

    # --- ledger: many transfers per call -----------------------------------------------------

    @rule(
        data=st.data(),
        moves=st.lists(MOVES, min_size=1, max_size=6),
        replays=st.integers(min_value=0, max_value=3),
        reversals=st.integers(min_value=0, max_value=2),
        duplicate=st.booleans(),
    )
    def post_many(
        self,
        data: st.DataObject,
        moves: list[tuple[str, str, int]],
        replays: int,
        reversals: int,
        duplicate: bool,
    ) -> None:
        """New transfers, keys posted before (replayed), reversals: all posted, or none."""
        fresh = [
            TransferRequest(idempotency_key=self.new_key(), postings=((s, -a), (t, a)), memo="Lô")
            for s, t, a in moves
        ]
        known = sorted(self.ledger.posted)
        replayed = (
            data.draw(st.lists(st.sampled_from(known), max_size=replays), label="replays") if known else []
        )
        reversed_keys = (
            data.draw(st.lists(st.sampled_from(known), max_size=reversals), label="reverses") if known else []
        )
        undo = [
            TransferRequest(idempotency_key=self.new_key(), reverses_id=self.ledger.posted[key].pk)
            for key in reversed_keys
        ]
        requests = [*fresh, *(self.ledger.posted[key].request(key) for key in replayed), *undo]
        if duplicate:
            requests.append(requests[0])  # the same key twice in a call is one transfer
        requests = data.draw(st.permutations(requests), label="order")

        # What the model says: refusals that apply (the service names one of them), else the money moved
        refusals = set()
        targets = [self.ledger.posted[key] for key in reversed_keys]
        if any(t.reverses is not None for t in targets):
            refusals.add("reversal_of_reversal")
        pks = [t.pk for t in targets if t.reverses is None]
        if any(t.reversed_by is not None for t in targets if t.reverses is None) or len(pks) != len(set(pks)):
            refusals.add("already_reversed")
        lines = [line for r in fresh for line in r.postings]
        lines += [(code, -amount) for t in targets for code, amount in t.lines]
        if not refusals and self.ledger.short_after(lines):
            refusals.add("insufficient_funds")

        before = Transfer.objects.count()
        try:
            ids = transfers_post_many(requests)
        except DomainError as error:
            assert error.code in refusals, (error.code, refusals)
            assert Transfer.objects.count() == before
            return
        assert not refusals
        assert Transfer.objects.count() == before + len(fresh) + len(undo)
        for key in replayed:
            assert ids[key] == self.ledger.posted[key].pk
        for request in fresh:
            self.ledger.record(
                request.idempotency_key,
                Posted(pk=ids[request.idempotency_key], lines=request.postings, memo="Lô"),
            )
        for request, target in zip(undo, targets, strict=True):
            negated = tuple((code, -amount) for code, amount in target.lines)
            memo = f"Đảo ngược giao dịch #{target.pk}"
            self.ledger.record(
                request.idempotency_key,
                Posted(pk=ids[request.idempotency_key], lines=negated, memo=memo, reverses=target.pk),
            )

    # --- invariants (besides the ledger's own, above) ---------------------------------------

    def balances_check(self, balances: dict[str, int]) -> None:
        assert {code: balances[code] for code in CODES} == self.ledger.balances

    @invariant()
    def retries_added_nothing(self) -> None:
        assert Transfer.objects.filter(idempotency_key__startswith="sm-").count() == len(self.ledger.posted)


# --- The programme side -----------------------------------------------------------------------

AMOUNT = 500_000
# Six households, three with a bank account; the fund holds exactly the cycle
# (a cycle may not promise more), so paying everyone empties it to the đồng.
BUDGET = 6 * AMOUNT
BANK, POST_OFFICE = "bank", "post_office"
SENT_OR_LATER = (Batch.State.SENT, Batch.State.RECONCILED, Batch.State.PARTLY_FAILED)


@dataclass
class World:
    """Built once per test, before the examples: two officers, a programme, an approved cycle."""

    preparer: Any
    approver: Any
    programme: Programme
    cycle: Cycle
    channels: dict[int, str]  # enrolment id → how it is paid


def world_build(commune: Any) -> World:
    preparer = programme_officer(commune.province)
    approver = programme_officer(commune.province)
    programme = programme_make(preparer, province=commune.province, amount_vnd=AMOUNT, budget_vnd=BUDGET)
    for n in range(6):
        verified_household(commune, payout=n < 3, head_name=f"Lò Thị Xuân {n}")
    cycle = cycle_approved(programme, preparer=preparer, approver=approver)
    channels = {
        pk: BANK if account else POST_OFFICE
        for pk, account in cycle.enrolments.values_list("id", "payout_account")
    }
    assert len(channels) == 6
    return World(preparer, approver, programme, cycle, channels)


@dataclass
class Payment:
    """What the model knows of one disbursement."""

    did: str
    enrolment: int
    channel: str
    batch: int
    state: str = "pending"
    returned: bool = False  # paid, then sent back by the bank


@dataclass
class Payments:
    """The model of the cycle: its batches' states and every payment."""

    batches: dict[int, str] = field(default_factory=dict)  # batch id → state
    channels: dict[int, str] = field(default_factory=dict)  # batch id → channel
    payments: dict[int, Payment] = field(default_factory=dict)  # disbursement pk → payment

    def live(self) -> set[int]:
        return {p.enrolment for p in self.payments.values() if p.state in LIVE_STATES}

    def of(self, batch: int) -> list[Payment]:
        return [p for p in self.payments.values() if p.batch == batch]

    def total(self, *states: str, channel: str | None = None) -> int:
        return AMOUNT * sum(
            1 for p in self.payments.values() if p.state in states and channel in (None, p.channel)
        )

    def refresh(self, batch: int) -> None:
        """What ``batch_state_refresh`` makes of a sent batch."""
        if self.batches[batch] not in SENT_OR_LATER:
            return
        states = {p.state for p in self.of(batch)}
        if states & {"pending", "sent"}:
            self.batches[batch] = Batch.State.SENT
        elif "failed" in states:
            self.batches[batch] = Batch.State.PARTLY_FAILED
        else:
            self.batches[batch] = Batch.State.RECONCILED


class PaymentsMachine(InSavepoint):
    """Batches of one approved cycle prepared, approved, sent, received or failed, paid again."""

    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.model = Payments()

    # --- programme: batches and payments ---------------------------------------------------

    def batches_in(self, *states: str) -> list[int]:
        return sorted(pk for pk, state in self.model.batches.items() if state in states)

    @precondition(lambda self: len(self.model.live()) < len(self.world.channels))
    @rule(channel=st.sampled_from((BANK, POST_OFFICE)))
    def prepare(self, channel: str) -> None:
        """A batch takes every household of the channel with no live payment (failed ones again)."""
        world = self.world
        due = {e for e, c in world.channels.items() if c == channel} - self.model.live()
        try:
            batch = batch_prepare(world.cycle, channel=channel, actor=world.preparer)
        except DomainError as error:
            assert (due, error.code) == (set(), "batch_empty")
            return
        rows = list(batch.disbursements.values_list("id", "disbursement_id", "enrolment_id"))
        assert {enrolment for _pk, _did, enrolment in rows} == due
        assert (batch.state, batch.payments_count, batch.total_vnd) == ("draft", len(due), AMOUNT * len(due))
        self.model.batches[batch.pk] = Batch.State.DRAFT
        self.model.channels[batch.pk] = channel
        for pk, did, enrolment in rows:
            self.model.payments[pk] = Payment(did=did, enrolment=enrolment, channel=channel, batch=batch.pk)

    @precondition(lambda self: bool(self.batches_in(Batch.State.DRAFT)))
    @rule(data=st.data(), by_preparer=st.booleans())
    def approve(self, data: st.DataObject, by_preparer: bool) -> None:
        """A second officer approves, within what the fund holds beyond the batches approved before."""
        pk = data.draw(st.sampled_from(self.batches_in(Batch.State.DRAFT)), label="batch")
        world = self.world
        total = AMOUNT * len(self.model.of(pk))
        promised = AMOUNT * sum(len(self.model.of(b)) for b in self.batches_in(Batch.State.APPROVED))
        fund = BUDGET - self.model.total("sent", "paid")
        if by_preparer:
            expected = "maker_checker"
        elif total > fund - promised:
            expected = "fund_insufficient"
        else:
            expected = "approved"
        try:
            batch_approve(Batch.objects.get(pk=pk), actor=world.preparer if by_preparer else world.approver)
        except (DomainError, PermissionDenied) as error:
            assert error.code == expected
            return
        assert expected == "approved"
        self.model.batches[pk] = Batch.State.APPROVED

    @precondition(lambda self: bool(self.batches_in(Batch.State.APPROVED)))
    @rule(data=st.data(), chunk_size=st.integers(min_value=1, max_value=3))
    def send(self, data: st.DataObject, chunk_size: int) -> None:
        """Started and sent in chunks (the background task's work, run here): every payment sent once."""
        pk = data.draw(st.sampled_from(self.batches_in(Batch.State.APPROVED)), label="batch")
        started = batch_start(Batch.objects.get(pk=pk), actor=self.world.approver)
        sent = batch_send(pk, chunk_size=chunk_size, lease=started.lease_until)
        assert sent.state == Batch.State.SENT
        self.model.batches[pk] = Batch.State.SENT
        for payment in self.model.of(pk):
            payment.state = "sent"

    @precondition(lambda self: bool(self.batches_in(*SENT_OR_LATER)))
    @rule(data=st.data(), paid=st.booleans())
    def mark_one(self, data: st.DataObject, paid: bool) -> None:
        """Received (or not): only from "sent"; the same answer again changes nothing."""
        sent_batches = set(self.batches_in(*SENT_OR_LATER))
        pk = data.draw(
            st.sampled_from(sorted(pk for pk, p in self.model.payments.items() if p.batch in sent_batches)),
            label="payment",
        )
        payment = self.model.payments[pk]
        now, then = payment.state, ("paid" if paid else "failed")
        transfers_before = Transfer.objects.count()
        world = self.world
        try:
            if paid:
                disbursement_mark_paid(
                    Disbursement.objects.get(pk=pk), actor=world.approver, bank_reference="FT1"
                )
            else:
                disbursement_mark_failed(
                    Disbursement.objects.get(pk=pk), actor=world.approver, reason="Sai tài khoản"
                )
        except DomainError as error:
            assert (now, error.code) != (then, "disbursement_wrong_state")
            assert now in ("paid", "failed") and error.code == "disbursement_wrong_state"
            assert Transfer.objects.count() == transfers_before
            return
        assert now in ("sent", then), (now, then)
        assert Transfer.objects.count() == transfers_before + (now == "sent")
        payment.state = then
        self.model.refresh(payment.batch)

    def sent_bank_batches(self) -> list[int]:
        return [b for b in self.batches_in(*SENT_OR_LATER) if self.model.channels[b] == BANK]

    @precondition(lambda self: bool(self.sent_bank_batches()))
    @rule(data=st.data())
    def reconcile(self, data: st.DataObject) -> None:
        """The bank's result file: success, failed, returned, or no line, for each payment of a bank batch."""
        batches = self.sent_bank_batches()
        pk = data.draw(st.sampled_from(batches), label="batch")
        today = timezone.localdate().strftime("%d/%m/%Y")
        lines = []
        for payment in self.model.of(pk):
            status = data.draw(st.sampled_from(("success", "failed", "returned", None)), label=payment.did)
            if status is None:
                continue
            lines.append((payment.did, AMOUNT, status, today, "FT9", ""))
            # where each status takes a payment in each state; None: the line is refused
            follows = {
                ("success", "sent"): "paid",
                ("success", "paid"): "paid",
                ("failed", "sent"): "failed",
                ("failed", "failed"): "failed",
                ("returned", "paid"): "failed",
                ("returned", "sent"): "failed",
                ("returned", "failed"): "failed",
            }.get((status, payment.state))
            if follows is not None:
                payment.returned |= (status, payment.state) == ("returned", "paid")
                payment.state = follows
        report = bank_result_apply(
            Batch.objects.get(pk=pk), results_csv(lines), "ket-qua.csv", actor=self.world.approver
        )
        assert report.good + len(report.problems) == len(lines)
        self.model.refresh(pk)

    # --- invariants (besides the ledger's own, above) ---------------------------------------

    @invariant()
    def every_payment_is_where_the_model_says_with_the_transfers_of_its_state(self) -> None:
        """States as the model says; no household with two live payments in the cycle; paid: exactly
        one send and one settle transfer; failed: the send reversed (or, returned, money back)."""
        cycle = self.world.cycle
        batches = dict(Batch.objects.filter(cycle=cycle).values_list("id", "state"))
        assert batches == self.model.batches
        rows = list(
            Disbursement.objects.filter(batch__cycle=cycle).values_list(
                "id", "state", "household_id", "disbursement_id", "send_transfer_id", "settle_transfer_id"
            )
        )
        assert {pk: state for pk, state, *_rest in rows} == {
            pk: p.state for pk, p in self.model.payments.items()
        }
        live = [household for _pk, state, household, *_rest in rows if state in LIVE_STATES]
        assert len(live) == len(set(live))
        transfers = {
            key: (pk, reverses)
            for key, pk, reverses in Transfer.objects.filter(idempotency_key__startswith="disb-").values_list(
                "idempotency_key", "id", "reverses_id"
            )
        }
        expected_keys = set()
        for pk, state, _household, did, send_id, settle_id in rows:
            keys = {
                "pending": [],
                "sent": ["send"],
                "paid": ["send", "settle"],
                "failed": ["send", "settle", "return"]
                if self.model.payments[pk].returned
                else ["send", "fail"],
            }[state]
            expected_keys |= {f"disb-{did}-{k}" for k in keys}
            if keys:
                assert send_id == transfers[f"disb-{did}-send"][0]
            if state == "paid":
                assert settle_id == transfers[f"disb-{did}-settle"][0]
            if "fail" in keys:
                assert transfers[f"disb-{did}-fail"][1] == send_id
        assert set(transfers) == expected_keys

    def balances_check(self, balances: dict[str, int]) -> None:
        """The fund lacks what is sent or paid; each clearing account holds what is sent through it;
        what was paid has left to the beneficiaries."""
        model = self.model
        assert balances[self.world.programme.fund_account_code] == BUDGET - model.total("sent", "paid")
        for channel in (BANK, POST_OFFICE):
            assert balances.get(clearing_account_code(channel), 0) == model.total("sent", channel=channel)
        assert balances.get(BENEFICIARIES_EXTERNAL, 0) == model.total("paid")


SETTINGS = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_the_ledger_keeps_its_invariants_under_random_single_and_bulk_posting():
    open_accounts()
    for code in CODES[1:]:
        fund(code, 600_000)
    run_state_machine_as_test(LedgerMachine, settings=SETTINGS)


def test_payments_keep_their_invariants_under_random_batch_steps(commune_a):
    PaymentsMachine.world = world_build(commune_a)
    # Fewer examples: each step here runs several services; 20 still send, settle and fail dozens of payments.
    run_state_machine_as_test(PaymentsMachine, settings=settings(SETTINGS, max_examples=20))
