"""Disbursement batches: prepare, approve (maker–checker), send exactly once, settle or fail, export.

The story: an approved cycle of a Sơn La programme pays its poor households;
some have a bank account (the bank channel), the others collect cash at the
post office. One officer prepares a batch, a second approves it, the
background task sends it, and the bank's answer settles each payment.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from unittest import mock

import openpyxl
import pytest
from django.utils import timezone

from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.ledger.models import Transfer
from ketnoi.ledger.services import account_balance, balances_check, transfer_post, transfers_check
from ketnoi.programmes.models import Batch, Channel, Disbursement, DisbursementState
from ketnoi.programmes.services import batches as batch_services
from ketnoi.programmes.services.batches import (
    batch_approve,
    batch_export,
    batch_prepare,
    batch_send,
    batch_start,
    batches_resume,
)
from ketnoi.programmes.services.settlement import (
    Outcome,
    disbursement_mark_failed,
    disbursement_mark_paid,
    disbursements_mark_paid,
    disbursements_mark_returned,
)

from .factories import cycle_approved, programme_make, programme_officer, verified_household

pytestmark = pytest.mark.django_db

AMOUNT = 500_000


@pytest.fixture
def tasks_in_process(settings):
    """Queued tasks run in this process once the transaction commits."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def preparer(commune_a):
    return programme_officer(commune_a.province)


@pytest.fixture
def approver(commune_a):
    return programme_officer(commune_a.province)


@pytest.fixture
def programme(preparer, commune_a):
    return programme_make(preparer, province=commune_a.province, amount_vnd=AMOUNT, budget_vnd=100_000_000)


def _cycle(programme, preparer, approver, *, banked=3, unbanked=2, commune=None):
    commune = commune or _commune_of(programme)
    for _ in range(banked):
        verified_household(commune, payout=True, head_name="Lò Thị Xuân")
    for _ in range(unbanked):
        verified_household(commune)
    return cycle_approved(programme, preparer=preparer, approver=approver)


def _commune_of(programme):
    from ketnoi.places.models import Commune

    return Commune.objects.get(name="Xã Mường Bú", province=programme.province)


@pytest.fixture
def cycle(programme, preparer, approver):
    return _cycle(programme, preparer, approver)


def _sent_batch(cycle, preparer, approver, *, channel=Channel.BANK):
    batch = batch_prepare(cycle, channel=channel, actor=preparer)
    batch_approve(batch, actor=approver)
    batch_start(batch, actor=approver)
    return batch_send(batch.pk, chunk_size=2, lease=Batch.objects.get(pk=batch.pk).lease_until)


# --- Prepare ------------------------------------------------------------------------------


def test_a_bank_batch_takes_the_households_with_an_account_and_numbers_each_payment(cycle, preparer):
    # when the officer prepares the bank batch
    batch = batch_prepare(cycle, channel=Channel.BANK, actor=preparer)

    # then it pays the three households with a bank account, 500.000 đ each
    assert (batch.number, batch.state, batch.payments_count, batch.total_vnd) == (1, "draft", 3, 3 * AMOUNT)
    ids = list(batch.disbursements.order_by("id").values_list("disbursement_id", flat=True))
    assert ids == [f"KN{batch.pk}D{n:06d}" for n in (1, 2, 3)]
    assert set(batch.disbursements.values_list("channel", "state", "amount_vnd")) == {
        ("bank", "pending", AMOUNT)
    }
    # and the post-office batch, prepared next, takes the two others under number 2
    post = batch_prepare(cycle, channel=Channel.POST_OFFICE, actor=preparer)
    assert (post.number, post.payments_count) == (2, 2)


def test_nobody_goes_into_two_batches_of_a_cycle(cycle, preparer):
    batch_prepare(cycle, channel=Channel.BANK, actor=preparer)

    with pytest.raises(DomainError) as refused:
        batch_prepare(cycle, channel=Channel.BANK, actor=preparer)

    assert refused.value.code == "batch_empty"
    assert Batch.objects.filter(cycle=cycle).count() == 1


def test_a_batch_can_be_limited_to_some_communes(programme, preparer, approver, commune_a):
    from ketnoi.places.models import Commune

    other = Commune.objects.filter(province=commune_a.province).exclude(pk=commune_a.pk).first()
    verified_household(other, payout=True)
    cycle = _cycle(programme, preparer, approver, banked=2, unbanked=0)

    batch = batch_prepare(cycle, channel=Channel.BANK, actor=preparer, commune_ids=[other.pk])

    assert batch.payments_count == 1
    assert list(batch.disbursements.values_list("commune_id", flat=True)) == [other.pk]


def test_an_officer_of_another_province_cannot_prepare(cycle, commune_b):
    outsider = programme_officer(commune_b.province)

    with pytest.raises(PermissionDenied):
        batch_prepare(cycle, channel=Channel.BANK, actor=outsider)

    assert not Batch.objects.exists()


def test_a_cash_programme_pays_no_vouchers(cycle, preparer):
    with pytest.raises(DomainError) as refused:
        batch_prepare(cycle, channel=Channel.VOUCHER, actor=preparer)

    assert refused.value.code == "channel_not_for_programme"


# --- Approve and start ----------------------------------------------------------------------


def test_the_preparer_cannot_approve_her_own_batch(cycle, preparer, approver):
    batch = batch_prepare(cycle, channel=Channel.BANK, actor=preparer)

    with pytest.raises(PermissionDenied) as refused:
        batch_approve(batch, actor=preparer)

    assert "không được tự duyệt" in str(refused.value)
    batch.refresh_from_db()
    assert batch.state == "draft"
    # a second officer can
    batch_approve(batch, actor=approver)
    batch.refresh_from_db()
    assert (batch.state, batch.approved_by) == ("approved", approver)


def test_a_batch_bigger_than_what_the_fund_still_holds_is_not_approved(preparer, approver, commune_a):
    # given a cycle of three households (two banked) that the fund covered when it was approved
    small = programme_make(preparer, province=commune_a.province, amount_vnd=AMOUNT, budget_vnd=3 * AMOUNT)
    cycle = _cycle(small, preparer, approver, banked=2, unbanked=1)
    # since then the fund paid something else (500.000 đ) and the post-office batch was approved
    transfer_post(
        idempotency_key="other-spending",
        postings=[(small.fund_account_code, -AMOUNT), ("donors-external", AMOUNT)],
        memo="Chi khác",
    )
    post = batch_prepare(cycle, channel=Channel.POST_OFFICE, actor=preparer)
    batch_approve(post, actor=approver)
    bank = batch_prepare(cycle, channel=Channel.BANK, actor=preparer)

    # when the bank batch (1.000.000 đ) is approved with 500.000 đ left after the post-office batch
    with pytest.raises(DomainError) as refused:
        batch_approve(bank, actor=approver)

    # then it is refused, saying how much is missing
    assert refused.value.code == "fund_insufficient"
    assert "1.000.000" in str(refused.value) and "500.000" in str(refused.value)
    bank.refresh_from_db()
    assert bank.state == "draft"


# --- Send exactly once ------------------------------------------------------------------------


def test_starting_a_batch_sends_every_payment_once_through_the_ledger(
    cycle, preparer, approver, tasks_in_process, django_capture_on_commit_callbacks
):
    fund = cycle.programme.fund_account_code
    before = account_balance(fund)
    batch = batch_prepare(cycle, channel=Channel.BANK, actor=preparer)
    batch_approve(batch, actor=approver)

    # when the approver starts it (the task runs once the transaction commits)
    with django_capture_on_commit_callbacks(execute=True):
        batch_start(batch, actor=approver)

    # then every payment is sent, with its own transfer from the fund to the bank clearing account
    batch.refresh_from_db()
    assert (batch.state, batch.lease_until) == ("sent", None)
    assert batch.sent_at is not None
    rows = list(batch.disbursements.values_list("disbursement_id", "state", "send_transfer_id"))
    assert {state for _did, state, _t in rows} == {"sent"}
    transfers = Transfer.objects.filter(idempotency_key__in=[f"disb-{did}-send" for did, _s, _t in rows])
    assert sorted(transfers.values_list("id", flat=True)) == sorted(t for _d, _s, t in rows)
    assert account_balance(fund) == before - 3 * AMOUNT
    assert account_balance("payout-bank-clearing") == 3 * AMOUNT
    assert balances_check() == [] and transfers_check() == []


def test_sending_again_after_a_crash_pays_nobody_twice(cycle, preparer, approver):
    batch = batch_prepare(cycle, channel=Channel.BANK, actor=preparer)
    batch_approve(batch, actor=approver)
    batch_start(batch, actor=approver)
    lease = Batch.objects.get(pk=batch.pk).lease_until
    real = batch_services.transfers_post_many
    calls = {"n": 0}

    def dies_on_the_second_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("killed")  # the worker dies mid-chunk
        return real(*args, **kwargs)

    with (
        mock.patch.object(batch_services, "transfers_post_many", dies_on_the_second_chunk),
        pytest.raises(SystemExit),
    ):
        batch_send(batch.pk, chunk_size=2, lease=lease)

    # the first chunk is sent whole, the second left untouched
    assert sorted(batch.disbursements.values_list("state", flat=True)) == ["pending", "sent", "sent"]
    # while the dead worker's lease lasts, nobody else sends the batch
    assert batch_send(batch.pk, chunk_size=2).state == "sending"
    assert batches_resume() == []

    # once it has run out, the batch is resumed and finished: one transfer per payment
    later = timezone.now() + timedelta(seconds=batch_services.lease_seconds() + 1)
    assert batches_resume(now=later) == [batch.pk]
    finished = batch_send(batch.pk, chunk_size=2, lease=Batch.objects.get(pk=batch.pk).lease_until)
    assert finished.state == "sent"
    keys = [f"disb-{did}-send" for did in batch.disbursements.values_list("disbursement_id", flat=True)]
    assert Transfer.objects.filter(idempotency_key__in=keys).count() == 3
    assert account_balance("payout-bank-clearing") == 3 * AMOUNT
    assert balances_check() == []


def test_a_worker_whose_lease_was_taken_over_stops(cycle, preparer, approver):
    batch = batch_prepare(cycle, channel=Channel.BANK, actor=preparer)
    batch_approve(batch, actor=approver)
    batch_start(batch, actor=approver)
    stale = Batch.objects.get(pk=batch.pk).lease_until
    # another worker took the batch over (a new lease)
    Batch.objects.filter(pk=batch.pk).update(lease_until=stale + timedelta(seconds=5))

    result = batch_send(batch.pk, chunk_size=2, lease=stale)

    assert result.state == "sending"
    assert not batch.disbursements.exclude(state="pending").exists()


# --- Received, failed, returned --------------------------------------------------------------


def test_a_received_payment_leaves_the_clearing_account_and_closes_the_batch(cycle, preparer, approver):
    batch = _sent_batch(cycle, preparer, approver)
    payments = list(batch.disbursements.order_by("id"))

    for payment in payments:
        disbursement_mark_paid(payment, actor=approver, bank_reference="FT123")
    # marking one again changes nothing
    disbursement_mark_paid(payments[0], actor=approver)

    batch.refresh_from_db()
    assert batch.state == "reconciled"
    assert account_balance("payout-bank-clearing") == 0
    assert account_balance("beneficiaries-external") == 3 * AMOUNT
    assert Transfer.objects.filter(idempotency_key__endswith="-settle").count() == 3
    assert payments[0].state == "paid" and payments[0].bank_reference == "FT123"


def test_a_failed_payment_goes_back_to_the_fund_and_into_a_later_batch(cycle, preparer, approver):
    fund = cycle.programme.fund_account_code
    before = account_balance(fund)
    batch = _sent_batch(cycle, preparer, approver)
    failed, *others = batch.disbursements.order_by("id")
    for payment in others:
        disbursement_mark_paid(payment, actor=approver)

    disbursement_mark_failed(failed, actor=approver, reason="Sai số tài khoản")

    batch.refresh_from_db()
    failed.refresh_from_db()
    assert (batch.state, failed.state, failed.failure_reason) == (
        "partly_failed",
        "failed",
        "Sai số tài khoản",
    )
    assert account_balance(fund) == before - 2 * AMOUNT
    # the household can be paid in a new batch of the same cycle
    again = batch_prepare(cycle, channel=Channel.BANK, actor=preparer)
    assert list(again.disbursements.values_list("enrolment_id", flat=True)) == [failed.enrolment_id]
    # a paid payment cannot be marked failed
    with pytest.raises(DomainError):
        disbursement_mark_failed(others[0], actor=approver, reason="?")


def test_money_returned_after_payment_comes_back_to_the_fund(cycle, preparer, approver):
    fund = cycle.programme.fund_account_code
    before = account_balance(fund)
    batch = _sent_batch(cycle, preparer, approver)
    outcomes = [Outcome(pk) for pk in batch.disbursements.values_list("pk", flat=True)]
    assert disbursements_mark_paid(batch, outcomes, actor=approver) == 3
    assert disbursements_mark_paid(batch, outcomes, actor=approver) == 0  # again: nothing changes

    returned = disbursements_mark_returned(
        batch, [Outcome(outcomes[0].disbursement_pk, reason="Tài khoản đã đóng")], actor=approver
    )

    assert returned == 1
    assert account_balance(fund) == before - 2 * AMOUNT
    assert account_balance("beneficiaries-external") == 2 * AMOUNT
    assert Disbursement.objects.get(pk=outcomes[0].disbursement_pk).state == DisbursementState.FAILED
    assert balances_check() == [] and transfers_check() == []


# --- The bank's file ---------------------------------------------------------------------------


def test_the_bank_file_lists_each_sent_payment_with_the_name_as_banks_want_it(cycle, preparer, approver):
    batch = _sent_batch(cycle, preparer, approver)

    name, data = batch_export(batch, fmt="csv")

    assert name.endswith(f"-lo{batch.number}.csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ["disbursement_id", "bank_bin", "account_number", "account_name", "amount_vnd", "memo"]
    first = rows[1]
    assert first[0] == f"KN{batch.pk}D000001"
    assert first[1:] == [first[1], first[2], "LO THI XUAN", str(AMOUNT), f"KN {first[0]}"]
    assert first[1] == "970405" and first[2].startswith("71002")
    assert len(rows) == 4

    # the same as XLSX, account numbers kept as text
    name, data = batch_export(batch, fmt="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert len(lines) == 4 and lines[1][2] == first[2] and lines[1][4] == AMOUNT


def test_a_draft_batch_has_no_bank_file(cycle, preparer):
    batch = batch_prepare(cycle, channel=Channel.BANK, actor=preparer)

    with pytest.raises(DomainError) as refused:
        batch_export(batch)

    assert refused.value.code == "export_not_sent"


# --- The other channels --------------------------------------------------------------------------


def test_sending_a_post_office_batch_gives_each_household_its_collection_code(cycle, preparer, approver):
    batch = _sent_batch(cycle, preparer, approver, channel=Channel.POST_OFFICE)

    assert batch.state == "sent"
    payments = list(batch.disbursements.values_list("state", "collect_code_hash"))
    assert len(payments) == 2
    assert all(state == "sent" and code_hash for state, code_hash in payments)
    assert account_balance("payout-post-clearing") == 2 * AMOUNT


def test_a_voucher_programme_pays_each_household_a_voucher(preparer, approver, commune_a):
    from ketnoi.payments.models import Voucher

    programme = programme_make(
        preparer, province=commune_a.province, entitlement="voucher", amount_vnd=AMOUNT
    )
    cycle = _cycle(programme, preparer, approver, banked=1, unbanked=1)
    with pytest.raises(DomainError):
        batch_prepare(cycle, channel=Channel.BANK, actor=preparer)

    batch = _sent_batch(cycle, preparer, approver, channel=Channel.VOUCHER)

    ids = set(batch.disbursements.values_list("disbursement_id", flat=True))
    assert len(ids) == 2
    assert set(Voucher.objects.values_list("disbursement_id", flat=True)) == ids
    assert account_balance("vouchers-outstanding") == 2 * AMOUNT


def test_a_resumed_batch_is_queued_again_and_finished_by_the_task(
    cycle, preparer, approver, tasks_in_process, django_capture_on_commit_callbacks
):
    batch = batch_prepare(cycle, channel=Channel.BANK, actor=preparer)
    batch_approve(batch, actor=approver)
    batch_start(batch, actor=approver)  # queued, but its worker died before taking it

    later = timezone.now() + timedelta(seconds=batch_services.lease_seconds() + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert batches_resume(now=later) == [batch.pk]

    batch.refresh_from_db()
    assert batch.state == "sent"
    assert set(batch.disbursements.values_list("state", flat=True)) == {"sent"}


def test_a_batch_too_big_for_one_sheet_is_offered_as_csv_only(cycle, preparer, approver, monkeypatch):
    batch = _sent_batch(cycle, preparer, approver)
    monkeypatch.setattr(batch_services.bank_files, "XLSX_MAX_LINES", 2)

    with pytest.raises(DomainError) as refused:
        batch_export(batch, fmt="xlsx")

    assert refused.value.code == "export_too_big_for_xlsx"
    assert "CSV" in str(refused.value)
