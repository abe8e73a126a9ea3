"""The voucher channel of a programme: a voucher per household, redeemed at a seller, or expired.

The story: a voucher programme of Sơn La gives two households of Mường Bú a
500.000 đ voucher each. Sending the batch moves the money from the fund to
the outstanding vouchers and texts each household its code. One woman buys
at a verified cooperative: her payment is paid with the seller's transfer.
The other never uses hers: when it expires, the payment fails and the value
goes back to the fund, once.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ketnoi.core.errors import DomainError
from ketnoi.ledger.models import Transfer
from ketnoi.ledger.services import account_balance, balances_check
from ketnoi.payments.models import Voucher
from ketnoi.payments.services import seller_sales_code
from ketnoi.payments.vouchers import VOUCHERS_OUTSTANDING, voucher_redeem, vouchers_expire
from ketnoi.programmes.models import Batch, Disbursement, DisbursementState
from ketnoi.programmes.receivers import EXPIRED_REASON
from ketnoi.programmes.services.vouchers import vouchers_issue_for
from tests.market.factories import SellerFactory

from .payout_helpers import AMOUNT, IMMEDIATE_TASKS, batch_sent, code_for, texts_to

pytestmark = pytest.mark.django_db

CODE = r"Mã phiếu: ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})"


@pytest.fixture
def sms(settings, _outbox):
    settings.TASKS = IMMEDIATE_TASKS
    return _outbox


@pytest.fixture
def sent(commune_a, sms, django_capture_on_commit_callbacks):
    return batch_sent(
        commune_a,
        channel="voucher",
        households=2,
        capture=django_capture_on_commit_callbacks,
        voucher_valid_days=30,
    )


@pytest.fixture
def seller(commune_a):
    return SellerFactory(verified=True, commune=commune_a)


def voucher_code_of(sms, household) -> str:
    return code_for(sms, household.contact_phone, pattern=CODE)


def test_sending_issues_a_voucher_per_household_and_texts_its_code(sent, sms):
    vouchers = Voucher.objects.order_by("disbursement_id")

    assert vouchers.count() == 2
    for household in sent.households:
        payment = Disbursement.objects.get(household=household)
        voucher = Voucher.objects.get(disbursement_id=payment.disbursement_id)
        (text,) = texts_to(sms, household.contact_phone)
        assert payment.state == DisbursementState.SENT
        assert (voucher.value_vnd, voucher.issue_transfer_id) == (AMOUNT, payment.send_transfer_id)
        assert voucher.fund_account_code == sent.programme.fund_account_code
        assert "500.000" in text and sent.programme.name in text
        assert re.search(CODE, text)
        valid_until = timezone.localtime(voucher.valid_until).date()
        assert valid_until == timezone.localdate() + timedelta(days=30)
        assert valid_until.strftime("%d/%m/%Y") in text
    assert account_balance(VOUCHERS_OUTSTANDING) == 2 * AMOUNT


def test_redeeming_at_a_seller_pays_the_household_with_the_sellers_transfer(sent, sms, seller):
    first = sent.households[0]
    payment = Disbursement.objects.get(household=first)

    voucher = voucher_redeem(code=voucher_code_of(sms, first), seller=seller, actor=seller.leader)

    payment.refresh_from_db()
    assert payment.state == DisbursementState.PAID
    assert payment.settle_transfer_id == voucher.redeem_transfer_id
    assert payment.confirmed_by == seller.leader
    # the money went to the seller, not to "beneficiaries-external": no second settlement
    assert not Transfer.objects.filter(idempotency_key=f"disb-{payment.disbursement_id}-settle").exists()
    assert account_balance(seller_sales_code(seller.pk)) == AMOUNT
    assert account_balance(VOUCHERS_OUTSTANDING) == AMOUNT
    assert balances_check() == []


def test_a_voucher_redeemed_twice_pays_once(sent, sms, seller):
    first = sent.households[0]
    code = voucher_code_of(sms, first)
    voucher_redeem(code=code, seller=seller, actor=seller.leader)

    with pytest.raises(DomainError) as refused:
        voucher_redeem(code=code, seller=seller, actor=seller.leader)

    assert refused.value.code == "voucher_used" and seller.name in str(refused.value)
    assert account_balance(seller_sales_code(seller.pk)) == AMOUNT
    assert Disbursement.objects.get(household=first).state == DisbursementState.PAID


def test_when_every_voucher_is_used_the_batch_is_reconciled(sent, sms, seller):
    for household in sent.households:
        voucher_redeem(code=voucher_code_of(sms, household), seller=seller, actor=seller.leader)

    assert Batch.objects.get(pk=sent.batch.pk).state == Batch.State.RECONCILED


def test_an_expired_voucher_fails_its_payment_and_the_value_goes_back_to_the_fund_once(sent, sms, seller):
    fund = sent.programme.fund_account_code
    used, unused = sent.households
    voucher_redeem(code=voucher_code_of(sms, used), seller=seller, actor=seller.leader)
    before = account_balance(fund)
    later = timezone.now() + timedelta(days=31)

    assert vouchers_expire(now=later) == 1
    assert vouchers_expire(now=later) == 0

    payment = Disbursement.objects.get(household=unused)
    assert (payment.state, payment.failure_reason) == (DisbursementState.FAILED, EXPIRED_REASON)
    assert account_balance(fund) == before + AMOUNT
    assert account_balance(VOUCHERS_OUTSTANDING) == 0
    assert Transfer.objects.filter(idempotency_key=f"disb-{payment.disbursement_id}-fail").count() == 1
    assert Batch.objects.get(pk=sent.batch.pk).state == Batch.State.PARTLY_FAILED
    assert balances_check() == []
    # and the expired code is refused at the counter with its date
    with pytest.raises(DomainError) as refused:
        voucher_redeem(code=voucher_code_of(sms, unused), seller=seller, actor=seller.leader)
    assert refused.value.code == "voucher_expired"


def test_issuing_again_for_the_same_payments_gives_the_same_vouchers_and_no_second_sms(
    sent, sms, django_capture_on_commit_callbacks
):
    payments = list(Disbursement.objects.filter(batch=sent.batch))
    before = {v.disbursement_id: v.pk for v in Voucher.objects.all()}

    with django_capture_on_commit_callbacks(execute=True):
        again = vouchers_issue_for(payments, programme=sent.programme)

    assert {v.disbursement_id: v.pk for v in again} == before
    assert len(sms) == 2


def test_vouchers_are_issued_only_for_sent_voucher_payments(sent):
    payment = Disbursement.objects.filter(batch=sent.batch).first()
    Disbursement.objects.filter(pk=payment.pk).update(state=DisbursementState.PENDING)

    with pytest.raises(DomainError) as refused:
        vouchers_issue_for([payment], programme=sent.programme)

    assert refused.value.code == "voucher_not_sent"
