"""Cash at the post office: the code by SMS, the clerk's confirmation, the office's list, unclaimed money.

The story: a Sơn La programme pays two households of Mường Bú in cash. Each
gets an SMS with the amount, the post office and a 6-digit code. At the
counter the clerk of Mường Bú finds the payment, types the code the woman
gives her, and the payment is paid, once. Money nobody comes for goes back
to the fund after the payout window.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.models import AuditEntry
from ketnoi.ledger.models import Transfer
from ketnoi.ledger.services import account_balance, balances_check
from ketnoi.programmes.models import Batch, Disbursement, DisbursementState
from ketnoi.programmes.services.batches import batch_approve, batch_prepare, batch_send, batch_start
from ketnoi.programmes.services.cash import (
    MAX_CODE_ATTEMPTS,
    cash_code_reissue,
    cash_codes_issue,
    cash_confirm,
    cash_unclaimed_return,
    post_office_list,
)
from tests.accounts.factories import PASSWORD, user_with_role

from .factories import cycle_approved, programme_make, programme_officer, verified_household
from .payout_helpers import AMOUNT, IMMEDIATE_TASKS, batch_sent, code_for, texts_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms(settings, _outbox):
    settings.TASKS = IMMEDIATE_TASKS
    return _outbox


@pytest.fixture
def sent(commune_a, sms, django_capture_on_commit_callbacks):
    return batch_sent(
        commune_a, channel="post_office", households=2, capture=django_capture_on_commit_callbacks
    )


@pytest.fixture
def clerk(commune_a):
    return user_with_role(Role.POST_CLERK, commune=commune_a)


def payment_of(sent, index=0) -> Disbursement:
    return Disbursement.objects.select_related("enrolment").get(household=sent.households[index])


# --- The code by SMS --------------------------------------------------------------------------


def test_each_household_gets_the_amount_the_office_and_a_code_only_its_hash_is_kept(sent, sms):
    for household in sent.households:
        payment = Disbursement.objects.get(household=household)
        (text,) = texts_to(sms, household.contact_phone)
        code = code_for(sms, household.contact_phone)
        assert payment.state == DisbursementState.SENT
        assert "500.000" in text and "Bưu điện xã Mường Bú" in text and payment.disbursement_id in text
        assert "Không đưa mã nhận tiền cho ai khác" in text
        assert payment.collect_code_hash and code not in payment.collect_code_hash
        assert payment.collect_attempts == 0
    codes = {code_for(sms, h.contact_phone) for h in sent.households}
    assert len(codes) == 2


def test_codes_are_issued_only_for_sent_post_office_payments(sent):
    payment = payment_of(sent)
    Disbursement.objects.filter(pk=payment.pk).update(state=DisbursementState.PAID)

    with pytest.raises(DomainError) as refused:
        cash_codes_issue([payment])

    assert refused.value.code == "cash_not_post_office"


# --- The clerk confirms --------------------------------------------------------------------------


def test_the_clerk_types_the_right_code_and_the_payment_is_paid_once(sent, sms, clerk):
    # Given the first woman at the counter with her code
    payment = payment_of(sent)
    code = code_for(sms, payment.enrolment.phone)
    clearing_before = account_balance("payout-post-clearing")

    # When the clerk confirms with it (typed with a space)
    paid = cash_confirm(
        disbursement_id=payment.disbursement_id.lower(), code=f"{code[:3]} {code[3:]}", clerk=clerk
    )

    # Then the payment is paid, by her, and the money left the post clearing account
    assert paid.state == DisbursementState.PAID
    assert paid.confirmed_by == clerk and paid.paid_at is not None
    assert account_balance("payout-post-clearing") == clearing_before - AMOUNT
    assert Transfer.objects.filter(idempotency_key=f"disb-{payment.disbursement_id}-settle").count() == 1
    assert AuditEntry.objects.filter(action="disbursement_paid", object_id=str(payment.pk)).exists()
    assert balances_check() == []

    # And confirming again is refused, saying when she was paid
    with pytest.raises(DomainError) as again:
        cash_confirm(disbursement_id=payment.disbursement_id, code=code, clerk=clerk)
    assert again.value.code == "cash_already_paid"
    assert Transfer.objects.filter(idempotency_key=f"disb-{payment.disbursement_id}-settle").count() == 1


def test_when_everyone_collected_the_batch_is_reconciled(sent, sms, clerk):
    for household in sent.households:
        payment = Disbursement.objects.get(household=household)
        cash_confirm(
            disbursement_id=payment.disbursement_id, code=code_for(sms, household.contact_phone), clerk=clerk
        )

    assert Batch.objects.get(pk=sent.batch.pk).state == Batch.State.RECONCILED


def test_a_wrong_code_says_how_many_tries_are_left_and_the_fifth_locks_it(sent, sms, clerk):
    payment = payment_of(sent)
    right = code_for(sms, payment.enrolment.phone)
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    for left in range(MAX_CODE_ATTEMPTS - 1, 0, -1):
        with pytest.raises(DomainError) as refused:
            cash_confirm(disbursement_id=payment.disbursement_id, code=wrong, clerk=clerk)
        assert refused.value.code == "cash_code_wrong"
        assert f"Còn {left} lần thử" in str(refused.value)
    with pytest.raises(DomainError) as locked:
        cash_confirm(disbursement_id=payment.disbursement_id, code=wrong, clerk=clerk)
    assert locked.value.code == "cash_code_locked"

    # Even the right code is refused now, and nothing was paid
    with pytest.raises(DomainError) as still:
        cash_confirm(disbursement_id=payment.disbursement_id, code=right, clerk=clerk)
    assert still.value.code == "cash_code_locked"
    payment.refresh_from_db()
    assert (payment.state, payment.collect_attempts) == (DisbursementState.SENT, MAX_CODE_ATTEMPTS)
    assert AuditEntry.objects.filter(action="cash_code_locked", object_id=str(payment.pk)).exists()


def test_an_officer_reissues_a_locked_code_and_only_the_new_one_works(sent, sms, clerk, commune_a):
    payment = payment_of(sent)
    old = code_for(sms, payment.enrolment.phone)
    Disbursement.objects.filter(pk=payment.pk).update(collect_attempts=MAX_CODE_ATTEMPTS)
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)

    # A clerk cannot re-issue; the commune officer can
    with pytest.raises(PermissionDenied):
        cash_code_reissue(payment, actor=clerk)
    cash_code_reissue(payment, actor=officer)

    assert len(texts_to(sms, payment.enrolment.phone)) == 1  # delivered after commit: not yet
    payment.refresh_from_db()
    assert payment.collect_attempts == 0
    with pytest.raises(DomainError):
        cash_confirm(disbursement_id=payment.disbursement_id, code=old, clerk=clerk)
    assert AuditEntry.objects.filter(action="cash_code_reissued", object_id=str(payment.pk)).exists()


def test_the_reissued_code_arrives_by_sms(sent, sms, clerk, commune_a, django_capture_on_commit_callbacks):
    payment = payment_of(sent)
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)

    with django_capture_on_commit_callbacks(execute=True):
        cash_code_reissue(payment, actor=officer)

    new = code_for(sms, payment.enrolment.phone)
    assert len(texts_to(sms, payment.enrolment.phone)) == 2
    assert cash_confirm(disbursement_id=payment.disbursement_id, code=new, clerk=clerk).state == "paid"


def test_a_clerk_of_another_commune_cannot_pay_and_her_try_is_not_counted(sent, sms, commune_b):
    payment = payment_of(sent)
    outsider = user_with_role(Role.POST_CLERK, commune=commune_b)

    with pytest.raises(PermissionDenied) as refused:
        cash_confirm(
            disbursement_id=payment.disbursement_id,
            code=code_for(sms, payment.enrolment.phone),
            clerk=outsider,
        )

    assert "ngoài địa bàn của bạn" in str(refused.value)
    payment.refresh_from_db()
    assert (payment.state, payment.collect_attempts) == (DisbursementState.SENT, 0)


def test_someone_without_a_counter_role_cannot_pay(sent, sms, commune_a):
    seller = user_with_role(Role.SELLER, commune=commune_a)
    payment = payment_of(sent)

    with pytest.raises(PermissionDenied):
        cash_confirm(
            disbursement_id=payment.disbursement_id, code=code_for(sms, payment.enrolment.phone), clerk=seller
        )


def test_the_province_programme_officer_can_pay_at_the_counter(sent, sms):
    payment = payment_of(sent)

    paid = cash_confirm(
        disbursement_id=payment.disbursement_id,
        code=code_for(sms, payment.enrolment.phone),
        clerk=sent.preparer,
    )

    assert paid.state == DisbursementState.PAID


@pytest.mark.parametrize(
    ("disbursement_id", "code", "error", "reason"),
    [
        ("KN999D000001", "123456", NotFound, "cash_unknown"),
        ("", "123456", NotFound, "cash_unknown"),
        (None, "12345", DomainError, "cash_code_format"),
        (None, "12a456", DomainError, "cash_code_format"),
        (None, "", DomainError, "cash_code_format"),
    ],
)
def test_bad_input_at_the_counter_is_refused_and_not_counted(
    sent, clerk, disbursement_id, code, error, reason
):
    payment = payment_of(sent)

    with pytest.raises(error) as refused:
        cash_confirm(
            disbursement_id=payment.disbursement_id if disbursement_id is None else disbursement_id,
            code=code,
            clerk=clerk,
        )

    assert refused.value.code == reason
    payment.refresh_from_db()
    assert payment.collect_attempts == 0


def test_a_bank_payment_is_not_paid_at_the_post_office(commune_a, clerk):
    preparer, approver = programme_officer(commune_a.province), programme_officer(commune_a.province)
    programme = programme_make(preparer, province=commune_a.province)
    verified_household(commune_a, payout=True)
    cycle = cycle_approved(programme, preparer=preparer, approver=approver)
    batch = batch_prepare(cycle, channel="bank", actor=preparer)
    batch_approve(batch, actor=approver)
    batch_start(batch, actor=approver)
    batch_send(batch.pk, lease=Batch.objects.get(pk=batch.pk).lease_until)
    payment = Disbursement.objects.get(batch=batch)

    with pytest.raises(DomainError) as refused:
        cash_confirm(disbursement_id=payment.disbursement_id, code="123456", clerk=clerk)

    assert refused.value.code == "cash_not_post_office"


# --- Unclaimed money ---------------------------------------------------------------------------


def test_after_the_window_unclaimed_cash_goes_back_to_the_fund_once(sent, sms, clerk):
    fund = sent.programme.fund_account_code
    collected = payment_of(sent, 0)
    cash_confirm(
        disbursement_id=collected.disbursement_id, code=code_for(sms, collected.enrolment.phone), clerk=clerk
    )
    fund_before = account_balance(fund)

    assert cash_unclaimed_return(sent.batch, actor=sent.preparer) == 1
    assert cash_unclaimed_return(sent.batch, actor=sent.preparer) == 0

    unclaimed = payment_of(sent, 1)
    assert unclaimed.state == DisbursementState.FAILED
    assert "Không đến nhận" in unclaimed.failure_reason
    assert account_balance(fund) == fund_before + AMOUNT
    assert account_balance("payout-post-clearing") == 0
    assert Batch.objects.get(pk=sent.batch.pk).state == Batch.State.PARTLY_FAILED
    assert balances_check() == []
    # and the clerk can no longer pay it
    with pytest.raises(DomainError) as refused:
        cash_confirm(
            disbursement_id=unclaimed.disbursement_id,
            code=code_for(sms, unclaimed.enrolment.phone),
            clerk=clerk,
        )
    assert refused.value.code == "cash_closed"


def test_only_an_officer_running_the_programme_returns_unclaimed_money(sent, clerk, commune_a):
    for someone in (clerk, user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)):
        with pytest.raises(PermissionDenied):
            cash_unclaimed_return(sent.batch, actor=someone)

    assert Disbursement.objects.filter(batch=sent.batch, state=DisbursementState.SENT).count() == 2


# --- The office's list -------------------------------------------------------------------------


def test_the_office_list_has_each_payment_with_a_masked_phone_and_the_total(sent, commune_a):
    office = post_office_list(sent.batch, commune_a)

    assert office.office == "Bưu điện xã Mường Bú"
    assert [row.disbursement_id for row in office.rows] == sorted(
        Disbursement.objects.filter(batch=sent.batch).values_list("disbursement_id", flat=True)
    )
    assert office.total_vnd == 2 * AMOUNT
    for row, household in zip(office.rows, sorted(sent.households, key=lambda h: h.pk), strict=True):
        assert "***" in row.phone_masked and household.contact_phone not in row.phone_masked


# --- The pages -------------------------------------------------------------------------------


def test_the_clerk_finds_the_payment_enters_the_code_and_sees_it_paid(client, sent, sms, clerk):
    payment = payment_of(sent)
    client.login(phone=clerk.phone, password=PASSWORD)

    found = client.get(reverse("programmes:cash_counter"), {"q": payment.disbursement_id})
    assert found.status_code == 302
    page = client.get(found["Location"])
    assert payment.enrolment.head_name in page.content.decode() and "500.000" in page.content.decode()

    done = client.post(found["Location"], {"code": code_for(sms, payment.enrolment.phone)}, follow=True)
    assert "Đã chi xong" in done.content.decode()
    assert 'data-testid="cash-paid"' in done.content.decode()


def test_the_clerk_finds_a_payment_by_phone(client, sent, clerk):
    payment = payment_of(sent)
    client.login(phone=clerk.phone, password=PASSWORD)

    response = client.get(reverse("programmes:cash_counter"), {"q": "0" + payment.enrolment.phone[3:]})

    assert payment.disbursement_id in response.content.decode()


def test_a_wrong_code_on_the_page_says_the_tries_left(client, sent, sms, clerk):
    payment = payment_of(sent)
    wrong = f"{(int(code_for(sms, payment.enrolment.phone)) + 1) % 10**6:06d}"
    client.login(phone=clerk.phone, password=PASSWORD)

    response = client.post(
        reverse("programmes:cash_payment", args=[payment.disbursement_id]), {"code": wrong}
    )

    assert response.status_code == 422
    assert "Còn 4 lần thử" in response.content.decode()


def test_a_clerk_of_another_commune_is_refused_on_the_page(client, sent, commune_b):
    outsider = user_with_role(Role.POST_CLERK, commune=commune_b)
    client.login(phone=outsider.phone, password=PASSWORD)

    response = client.get(reverse("programmes:cash_payment", args=[payment_of(sent).disbursement_id]))

    assert response.status_code == 403
    assert "ngoài địa bàn" in response.content.decode()


def test_the_printable_list_shows_names_amounts_and_a_signature_column(
    client, sent, clerk, commune_a, commune_b
):
    client.login(phone=clerk.phone, password=PASSWORD)

    offices = client.get(reverse("programmes:cash_offices", args=[sent.batch.pk]))
    page = client.get(reverse("programmes:cash_office_list", args=[sent.batch.pk, commune_a.pk]))

    assert "Bưu điện xã Mường Bú" in offices.content.decode()
    text = page.content.decode()
    assert "Chữ ký người nhận" in text and "1.000.000" in text
    assert all(h.contact_phone not in text for h in sent.households)
    assert (
        client.get(reverse("programmes:cash_office_list", args=[sent.batch.pk, commune_b.pk])).status_code
        == 404
    )


def test_the_programme_officer_sends_unclaimed_money_back_from_the_offices_page(client, sent):
    client.login(phone=sent.preparer.phone, password=PASSWORD)
    offices = reverse("programmes:cash_offices", args=[sent.batch.pk])

    assert "Còn 2 khoản chưa ai đến nhận" in client.get(offices).content.decode()
    done = client.post(reverse("programmes:cash_unclaimed", args=[sent.batch.pk]), follow=True)

    assert "2 khoản chưa ai nhận đã được trả lại quỹ" in done.content.decode()
    assert not Disbursement.objects.filter(batch=sent.batch, state=DisbursementState.SENT).exists()


def test_a_locked_payment_shows_no_code_box_but_what_to_do(client, sent, clerk):
    payment = payment_of(sent)
    Disbursement.objects.filter(pk=payment.pk).update(collect_attempts=MAX_CODE_ATTEMPTS)
    client.login(phone=clerk.phone, password=PASSWORD)

    text = client.get(reverse("programmes:cash_payment", args=[payment.disbursement_id])).content.decode()

    assert 'data-testid="cash-locked"' in text and 'name="code"' not in text
