"""The programmes' demo world: two programmes in Mường Bú, with cycles in different states.

Each test lays down the worlds the programmes demo builds on — the demo
accounts and the registry's households — and, in place of the marketplace
demo (photos make it slow), one verified cooperative in Mường Bú led by the
demo seller. ``seed_demo`` as a whole runs in tests/core/test_seed_demo.py.
"""

from __future__ import annotations

import time
from io import StringIO

import pytest

from ketnoi.accounts import demo as accounts_demo
from ketnoi.accounts.models import User
from ketnoi.core.models import AuditEntry
from ketnoi.ledger.models import Transfer
from ketnoi.ledger.services import account_balance, balances_check, transfers_check
from ketnoi.payments.models import Voucher
from ketnoi.programmes import demo
from ketnoi.programmes.models import (
    Batch,
    Channel,
    Cycle,
    Disbursement,
    DisbursementState,
    Enrolment,
    Grievance,
    Programme,
)
from ketnoi.registry import demo as registry_demo
from tests.market.factories import SellerFactory

pytestmark = pytest.mark.django_db

PAID, FAILED, SENT = DisbursementState.PAID, DisbursementState.FAILED, DisbursementState.SENT


@pytest.fixture
def world(commune_a):
    out = StringIO()
    accounts_demo.seed(out)
    registry_demo.seed(out)
    leader = User.objects.get(phone="+84900000004")
    return SellerFactory(commune=commune_a, leader=leader, verified=True, name="HTX Dệt thổ cẩm Mường Bú")


def _seed() -> str:
    out = StringIO()
    demo.seed(out)
    return out.getvalue()


def _officer(phone: str) -> User:
    return User.objects.get(phone=phone)


def _snapshot() -> tuple[int, ...]:
    return (
        Programme.objects.count(),
        Cycle.objects.count(),
        Enrolment.objects.count(),
        Batch.objects.count(),
        Disbursement.objects.count(),
        Voucher.objects.count(),
        Grievance.objects.count(),
        Transfer.objects.count(),
        AuditEntry.objects.count(),
    )


def test_two_programmes_with_cycles_in_different_states(world, commune_a):
    _seed()

    covid = Programme.objects.get(code=demo.COVID_CODE)
    vouchers = Programme.objects.get(code=demo.VOUCHER_CODE)
    assert (covid.state, vouchers.state) == (Programme.State.ACTIVE, Programme.State.ACTIVE)
    assert list(covid.communes.all()) == list(vouchers.communes.all()) == [commune_a]
    assert [c.state for c in covid.cycles.order_by("number")] == [Cycle.State.CLOSED]
    assert [c.state for c in vouchers.cycles.order_by("number")] == [
        Cycle.State.APPROVED,
        Cycle.State.SUBMITTED,
    ]
    # Maker–checker: 0900000010 prepares, 0900000011 approves.
    preparer, approver = _officer("+84900000010"), _officer("+84900000011")
    for cycle in Cycle.objects.all():
        assert cycle.prepared_by == preparer
        assert cycle.approved_by == (None if cycle.state == Cycle.State.SUBMITTED else approver)
    for batch in Batch.objects.all():
        assert (batch.prepared_by, batch.approved_by) == (preparer, approver)
    # Cycle 2 waits for approval with the same poor households as cycle 1.
    first, second = vouchers.cycles.order_by("number")
    assert second.enrolled_count == first.enrolled_count > 0
    assert set(Enrolment.objects.filter(cycle=first).values_list("classification", flat=True)) == {"poor"}
    assert set(Enrolment.objects.filter(cycle__programme=covid).values_list("classification", flat=True)) == {
        "poor",
        "near_poor",
    }


def test_covid_cycle_one_paid_by_bank_and_at_the_post_office_with_a_few_failures(world):
    _seed()

    cycle = Cycle.objects.get(programme__code=demo.COVID_CODE, number=1)
    bank = Batch.objects.get(cycle=cycle, channel=Channel.BANK)
    post = Batch.objects.get(cycle=cycle, channel=Channel.POST_OFFICE)
    assert (bank.state, post.state) == (Batch.State.PARTLY_FAILED, Batch.State.PARTLY_FAILED)
    # Everyone enrolled got exactly one payment, through the channel that fits her.
    payments = Disbursement.objects.filter(batch__cycle=cycle)
    assert payments.count() == cycle.enrolled_count
    assert sorted(payments.values_list("enrolment_id", flat=True)) == sorted(
        cycle.enrolments.values_list("id", flat=True)
    )
    assert not payments.filter(channel=Channel.BANK, enrolment__payout_account="").exists()
    assert not payments.filter(channel=Channel.POST_OFFICE).exclude(enrolment__payout_account="").exists()
    # The bank said two transfers failed; one household did not come for its cash.
    failures = sorted(payments.filter(state=FAILED).values_list("channel", "failure_reason"))
    assert [channel for channel, _reason in failures] == [Channel.BANK, Channel.BANK, Channel.POST_OFFICE]
    assert {reason for _channel, reason in failures} >= set(demo.BANK_FAILURES)
    assert not payments.exclude(state__in=[PAID, FAILED]).exists()
    # The clerk of Mường Bú paid the cash.
    clerk = _officer("+84900000012")
    assert set(
        payments.filter(channel=Channel.POST_OFFICE, state=PAID).values_list("confirmed_by", flat=True)
    ) == {clerk.pk}


def test_vouchers_are_out_and_one_was_used_at_the_cooperative(world):
    _seed()

    batch = Batch.objects.get(cycle__programme__code=demo.VOUCHER_CODE, cycle__number=1)
    assert batch.state == Batch.State.SENT
    ids = batch.disbursements.values("disbursement_id")
    vouchers = Voucher.objects.filter(disbursement_id__in=ids)
    assert vouchers.count() == batch.payments_count
    used = vouchers.get(state=Voucher.State.REDEEMED)
    assert used.redeemed_at_seller == world
    assert Disbursement.objects.get(disbursement_id=used.disbursement_id).state == PAID
    assert batch.disbursements.filter(state=SENT).count() == batch.payments_count - 1


def test_one_complaint_answered_and_one_still_open(world, commune_a):
    _seed()

    complaints = Grievance.objects.filter(programme__code=demo.COVID_CODE).order_by("created_at", "pk")
    assert [(g.category, g.state) for g in complaints] == [
        (Grievance.Category.NOT_PAID, Grievance.State.RESOLVED),
        (Grievance.Category.WRONG_AMOUNT, Grievance.State.OPEN),
    ]
    assert all(g.commune == commune_a and g.household is not None for g in complaints)
    assert "Tiền đã về lại quỹ" in complaints[0].resolution


def test_the_books_balance_and_the_funds_hold_what_was_not_paid(world):
    _seed()

    assert balances_check() == []
    assert transfers_check() == []
    for programme in Programme.objects.all():
        out = sum(
            Disbursement.objects.filter(
                batch__cycle__programme=programme, state__in=[PAID, SENT]
            ).values_list("amount_vnd", flat=True)
        )
        assert account_balance(programme.fund_account_code) == programme.budget_vnd - out


def test_some_households_have_a_bank_account_and_the_change_is_audited(world, commune_a):
    _seed()

    with_account = registry_demo.demo_households().filter(commune=commune_a).exclude(payout_account="")
    assert with_account.exists()
    assert not registry_demo.demo_households().exclude(commune=commune_a).exclude(payout_account="").exists()
    assert AuditEntry.objects.filter(action="household_payout_account_set").count() == with_account.count()


def test_seeding_again_adds_nothing_and_is_quick(world):
    started = time.monotonic()
    _seed()
    took = time.monotonic() - started
    first = _snapshot()

    out = _seed()

    assert _snapshot() == first
    assert "already there" in out
    assert took < 10


def test_without_the_demo_officers_nothing_is_made(commune_a):
    out = _seed()

    assert "skipped" in out
    assert not Programme.objects.exists()
