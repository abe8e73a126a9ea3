"""E-vouchers on their own: a code worth an amount, redeemed once at a verified seller, or expired.

The programme side (who issues them, what happens to the disbursement) is
in ``tests/programmes/test_vouchers.py``; here the issuer is a plain fund.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.models import AuditEntry
from ketnoi.ledger.models import Account, Transfer
from ketnoi.ledger.services import account_balance, account_open, balances_check, transfer_post
from ketnoi.payments.models import Voucher, VoucherAttempt
from ketnoi.payments.services import seller_sales_code
from ketnoi.payments.signals import voucher_expired, voucher_redeemed
from ketnoi.payments.vouchers import (
    ALPHABET,
    MAX_WRONG_CODES,
    VOUCHERS_OUTSTANDING,
    code_format,
    code_new,
    code_normalize,
    voucher_check,
    voucher_code,
    voucher_issue,
    voucher_qr_svg,
    voucher_redeem,
    vouchers_expire,
)
from tests.accounts.factories import PASSWORD, UserFactory, user_with_role
from tests.market.factories import SellerFactory

pytestmark = pytest.mark.django_db

FUND = "programme-thu-phieu-fund"
DONORS = "donors-external"


def fund_and_back(value: int, disbursement_id: str) -> int:
    """Put ``value`` into the fund, then move it to vouchers-outstanding; the moving transfer's id."""
    account_open(code=DONORS, name="Nhà tài trợ", kind=Account.Kind.EXTERNAL, may_go_negative=True)
    account_open(code=FUND, name="Quỹ thử phiếu", kind=Account.Kind.PROGRAMME_FUND)
    account_open(code=VOUCHERS_OUTSTANDING, name="Phiếu đã phát", kind=Account.Kind.PROVIDER_CLEARING)
    transfer_post(idempotency_key=f"budget-{disbursement_id}", postings=[(DONORS, -value), (FUND, value)])
    send = transfer_post(
        idempotency_key=f"disb-{disbursement_id}-send",
        postings=[(FUND, -value), (VOUCHERS_OUTSTANDING, value)],
    )
    return send.pk


def issued(value: int = 500_000, disbursement_id: str = "KN1D000001", days: int = 30) -> tuple[Voucher, str]:
    transfer_id = fund_and_back(value, disbursement_id)
    return voucher_issue(
        disbursement_id=disbursement_id,
        value_vnd=value,
        fund_account_code=FUND,
        phone="0912 345 678",
        valid_until=timezone.now() + timedelta(days=days),
        issue_transfer_id=transfer_id,
    )


def a_wrong_code(right: str) -> str:
    """A code that passes the check symbol but is not ``right``."""
    while True:
        code = code_new()
        if code != right:
            return code


@pytest.fixture
def seller():
    return SellerFactory(verified=True)


@pytest.fixture
def heard():
    """What the signals said, in order."""
    said: list[tuple[str, dict]] = []

    def on_redeemed(sender, **kwargs):
        said.append(("redeemed", kwargs))

    def on_expired(sender, **kwargs):
        said.append(("expired", kwargs))

    voucher_redeemed.connect(on_redeemed, dispatch_uid="test-redeemed")
    voucher_expired.connect(on_expired, dispatch_uid="test-expired")
    yield said
    voucher_redeemed.disconnect(dispatch_uid="test-redeemed")
    voucher_expired.disconnect(dispatch_uid="test-expired")


# --- Codes ----------------------------------------------------------------------------------


def test_a_code_reads_aloud_in_three_groups_and_forgives_case_spaces_and_look_alike_letters():
    code = code_new()

    assert len(code) == 12
    assert set(code) <= set(ALPHABET)
    grouped = code_format(code)
    assert grouped == f"{code[:4]}-{code[4:8]}-{code[8:]}"
    typed = " ".join(grouped.lower().split("-")).replace("0", "o").replace("1", "l")
    assert code_normalize(typed) == code


@pytest.mark.parametrize("position", range(12))
def test_one_mistyped_character_is_caught_before_any_look_up(position):
    code = code_new()
    other = next(ch for ch in ALPHABET if ch != code[position])

    with pytest.raises(DomainError) as caught:
        code_normalize(code[:position] + other + code[position + 1 :])

    assert caught.value.code == "voucher_code_typo"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "voucher_code_required"),
        ("ABCD-EFGH", "voucher_code_format"),
        ("ABCD-EFGH-UUUU", "voucher_code_format"),
    ],
)
def test_an_empty_short_or_impossible_code_is_refused_with_what_a_code_looks_like(typed, reason):
    with pytest.raises(DomainError) as caught:
        code_normalize(typed)

    assert caught.value.code == reason


# --- Issuing --------------------------------------------------------------------------------


def test_issuing_keeps_only_a_keyed_hash_and_the_encrypted_code():
    voucher, code = issued()

    assert voucher.state == Voucher.State.ISSUED
    assert voucher.value_vnd == 500_000
    assert voucher.beneficiary_phone == "+84912345678"
    assert code not in voucher.code_hash and code not in voucher.code_encrypted
    assert voucher_code(voucher) == code_format(code)
    assert "<svg" in voucher_qr_svg(code)
    assert AuditEntry.objects.filter(action="vouchers_issued").count() == 1


def test_issuing_again_for_the_same_payment_returns_the_same_voucher_and_code():
    voucher, code = issued()

    again, again_code = voucher_issue(
        disbursement_id=voucher.disbursement_id,
        value_vnd=voucher.value_vnd,
        fund_account_code=FUND,
        phone="0912345678",
        valid_until=voucher.valid_until,
        issue_transfer_id=voucher.issue_transfer_id,
    )

    assert (again.pk, again_code) == (voucher.pk, code)
    assert Voucher.objects.count() == 1


def test_a_second_voucher_with_another_value_for_the_same_payment_is_refused():
    voucher, _code = issued()

    with pytest.raises(DomainError) as caught:
        voucher_issue(
            disbursement_id=voucher.disbursement_id,
            value_vnd=900_000,
            fund_account_code=FUND,
            phone="",
            valid_until=voucher.valid_until,
            issue_transfer_id=voucher.issue_transfer_id,
        )

    assert caught.value.status == 409
    assert Voucher.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"value_vnd": 0}, "voucher_value"),
        ({"value_vnd": -500_000}, "voucher_value"),
        ({"value_vnd": 10**16}, "voucher_value"),
        ({"valid_until": timezone.now() - timedelta(minutes=1)}, "voucher_valid_until"),
        ({"fund_account_code": "programme-khong-co-fund"}, "voucher_fund_unknown"),
        ({"phone": "12345"}, "voucher_phone"),
        ({"disbursement_id": "KN-Đ-1"}, "voucher_disbursement_id"),
        ({"value_vnd": 400_000}, "voucher_unbacked"),  # the transfer moved 500,000
    ],
)
def test_a_bad_request_issues_nothing(changes, reason):
    transfer_id = fund_and_back(500_000, "KN1D000009")
    request = {
        "disbursement_id": "KN1D000009",
        "value_vnd": 500_000,
        "fund_account_code": FUND,
        "phone": "0912345678",
        "valid_until": timezone.now() + timedelta(days=30),
        "issue_transfer_id": transfer_id,
    } | changes

    with pytest.raises(DomainError) as caught:
        voucher_issue(**request)

    assert caught.value.code == reason
    assert not Voucher.objects.exists()


def test_a_voucher_needs_its_money_in_vouchers_outstanding():
    transfer_id = fund_and_back(500_000, "KN1D000010")
    budget = Transfer.objects.get(idempotency_key="budget-KN1D000010")  # donors → fund, not to vouchers

    with pytest.raises(DomainError) as caught:
        voucher_issue(
            disbursement_id="KN1D000010",
            value_vnd=500_000,
            fund_account_code=FUND,
            phone="",
            valid_until=timezone.now() + timedelta(days=1),
            issue_transfer_id=budget.pk,
        )

    assert caught.value.code == "voucher_unbacked"
    assert transfer_id != budget.pk


# --- Redeeming ------------------------------------------------------------------------------


def test_a_verified_seller_redeems_a_voucher_once_and_the_value_moves_to_her_sales_account(seller, heard):
    # Given a voucher of 500,000 đ
    voucher, code = issued(500_000)

    # When the seller's leader checks the code, then confirms
    seen = voucher_check(code=code_format(code).lower(), seller=seller, actor=seller.leader)
    redeemed = voucher_redeem(code=code, seller=seller, actor=seller.leader)

    # Then the value moved once from the outstanding vouchers to the seller
    assert seen.pk == voucher.pk and seen.value_vnd == 500_000
    assert redeemed.state == Voucher.State.REDEEMED
    assert redeemed.redeemed_at_seller == seller and redeemed.redeemed_by == seller.leader
    assert account_balance(VOUCHERS_OUTSTANDING) == 0
    assert account_balance(seller_sales_code(seller.pk)) == 500_000
    transfer = Transfer.objects.get(idempotency_key=f"voucher-{voucher.pk}-redeem")
    assert redeemed.redeem_transfer_id == transfer.pk
    assert balances_check() == []
    # …and the issuer heard about it, with the transfer to record
    assert heard == [
        (
            "redeemed",
            {
                "signal": voucher_redeemed,
                "voucher": redeemed,
                "disbursement_id": "KN1D000001",
                "transfer_id": transfer.pk,
                "seller": seller,
                "actor": seller.leader,
            },
        )
    ]
    assert AuditEntry.objects.filter(action="voucher_redeemed", object_id=str(voucher.pk)).exists()


def test_redeeming_twice_says_when_and_where_it_was_used_and_moves_nothing(seller):
    voucher, code = issued()
    voucher_redeem(code=code, seller=seller, actor=seller.leader)
    other = SellerFactory(verified=True, name="HTX Chè Shan Tuyết")

    with pytest.raises(DomainError) as caught:
        voucher_redeem(code=code, seller=other, actor=other.leader)

    used_on = timezone.localtime(Voucher.objects.get().redeemed_at).strftime("%d/%m/%Y")
    assert caught.value.code == "voucher_used"
    assert used_on in str(caught.value) and seller.name in str(caught.value)
    assert account_balance(seller_sales_code(seller.pk)) == voucher.value_vnd
    assert not Account.objects.filter(code=seller_sales_code(other.pk), balance_vnd__gt=0).exists()
    assert Transfer.objects.filter(idempotency_key__endswith="-redeem").count() == 1


def test_a_guessed_code_is_counted_and_after_ten_the_seller_is_refused_for_a_while(seller):
    voucher, code = issued()

    # Nine wrong codes each say how many tries are left
    for left in range(MAX_WRONG_CODES - 1, 0, -1):
        with pytest.raises(NotFound) as caught:
            voucher_redeem(code=a_wrong_code(code), seller=seller, actor=seller.leader)
        assert caught.value.params["left"] == left
    # The tenth locks the counter out…
    with pytest.raises(DomainError) as caught:
        voucher_redeem(code=a_wrong_code(code), seller=seller, actor=seller.leader)
    assert caught.value.code == "voucher_guessing" and caught.value.status == 429
    # …even for the right code, which stays unused
    with pytest.raises(DomainError) as caught:
        voucher_redeem(code=code, seller=seller, actor=seller.leader)
    assert caught.value.code == "voucher_guessing"
    assert "60" in str(caught.value) or "59" in str(caught.value)
    assert Voucher.objects.get().state == Voucher.State.ISSUED
    assert VoucherAttempt.objects.filter(seller=seller).count() == MAX_WRONG_CODES

    # An hour later the counter takes vouchers again
    VoucherAttempt.objects.update(at=timezone.now() - timedelta(hours=1, seconds=1))
    assert voucher_redeem(code=code, seller=seller, actor=seller.leader).state == Voucher.State.REDEEMED
    assert voucher.pk == Voucher.objects.get().pk


def test_a_typo_is_not_counted_as_a_guess(seller):
    _voucher, code = issued()
    typo = code[:-1] + next(ch for ch in ALPHABET if ch != code[-1])

    with pytest.raises(DomainError) as caught:
        voucher_redeem(code=typo, seller=seller, actor=seller.leader)

    assert caught.value.code == "voucher_code_typo"
    assert not VoucherAttempt.objects.exists()


def test_an_expired_voucher_is_refused_with_its_date(seller):
    voucher, code = issued()
    Voucher.objects.filter(pk=voucher.pk).update(valid_until=timezone.now() - timedelta(minutes=5))

    with pytest.raises(DomainError) as caught:
        voucher_redeem(code=code, seller=seller, actor=seller.leader)

    assert caught.value.code == "voucher_expired"
    assert timezone.localtime(timezone.now() - timedelta(minutes=5)).strftime("%d/%m/%Y") in str(caught.value)
    assert account_balance(VOUCHERS_OUTSTANDING) == voucher.value_vnd


def test_an_unverified_or_closed_seller_cannot_take_vouchers():
    _voucher, code = issued()
    unverified = SellerFactory(verified=False)
    closed = SellerFactory(verified=True, is_active=False)

    for seller, reason in ((unverified, "voucher_seller_unverified"), (closed, "voucher_seller_inactive")):
        with pytest.raises(PermissionDenied) as caught:
            voucher_redeem(code=code, seller=seller, actor=seller.leader)
        assert caught.value.code == reason
    assert Voucher.objects.get().state == Voucher.State.ISSUED


def test_only_the_leader_or_a_member_with_the_seller_role_redeems(seller):
    _voucher, code = issued()
    stranger = user_with_role(Role.SELLER)
    member_without_role = UserFactory()
    seller.members.add(member_without_role)

    for person in (stranger, member_without_role):
        with pytest.raises(PermissionDenied):
            voucher_redeem(code=code, seller=seller, actor=person)

    member = user_with_role(Role.SELLER)
    seller.members.add(member)
    assert voucher_redeem(code=code, seller=seller, actor=member).redeemed_by == member


def test_a_receiver_that_refuses_undoes_the_redemption(seller):
    voucher, code = issued()

    def refuse(sender, **kwargs):
        raise DomainError("the issuer could not record it")

    voucher_redeemed.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(DomainError):
            voucher_redeem(code=code, seller=seller, actor=seller.leader)
    finally:
        voucher_redeemed.disconnect(dispatch_uid="test-refuse")

    assert Voucher.objects.get().state == Voucher.State.ISSUED
    assert not Transfer.objects.filter(idempotency_key=f"voucher-{voucher.pk}-redeem").exists()


# --- Expiring -------------------------------------------------------------------------------


def test_vouchers_past_their_date_expire_once_and_the_issuer_is_told(heard, seller):
    old, _ = issued(disbursement_id="KN1D000001", days=10)
    fresh, _ = issued(disbursement_id="KN1D000002", days=40)
    later = timezone.now() + timedelta(days=20)

    assert vouchers_expire(now=later) == 1
    assert vouchers_expire(now=later) == 0

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.state == Voucher.State.EXPIRED
    assert fresh.state == Voucher.State.ISSUED
    assert [(what, kwargs["disbursement_id"]) for what, kwargs in heard] == [("expired", "KN1D000001")]
    # payments moves no money on expiry: the issuer gives the value back
    assert account_balance(VOUCHERS_OUTSTANDING) == old.value_vnd + fresh.value_vnd


def test_a_voucher_whose_issuer_refuses_to_expire_it_stays_issued_for_the_next_run():
    voucher, _ = issued(days=1)

    def refuse(sender, **kwargs):
        raise DomainError("not now")

    voucher_expired.connect(refuse, dispatch_uid="test-refuse-expiry")
    try:
        assert vouchers_expire(now=timezone.now() + timedelta(days=2)) == 0
    finally:
        voucher_expired.disconnect(dispatch_uid="test-refuse-expiry")

    assert Voucher.objects.get(pk=voucher.pk).state == Voucher.State.ISSUED


def test_the_expiry_command_says_how_many_expired(capsys):
    voucher, _ = issued(days=1)
    Voucher.objects.filter(pk=voucher.pk).update(valid_until=timezone.now() - timedelta(seconds=1))

    call_command("payments_expire_vouchers")

    assert "1" in capsys.readouterr().out
    assert Voucher.objects.get().state == Voucher.State.EXPIRED


# --- The seller's page ----------------------------------------------------------------------


def test_the_seller_types_the_code_sees_the_value_and_confirms(client, seller):
    _voucher, code = issued(350_000)
    client.login(phone=seller.leader.phone, password=PASSWORD)
    url = reverse("payments:voucher_redeem")

    shown = client.post(url, {"code": code_format(code).lower(), "action": "check"})
    assert shown.status_code == 200
    assert "350.000" in shown.content.decode()
    assert Voucher.objects.get().state == Voucher.State.ISSUED

    done = client.post(url, {"code": code_format(code), "action": "redeem"}, follow=True)
    assert "Đã nhận phiếu" in done.content.decode()
    assert Voucher.objects.get().state == Voucher.State.REDEEMED


def test_the_page_says_what_is_wrong_with_a_code(client, seller):
    _voucher, code = issued()
    client.login(phone=seller.leader.phone, password=PASSWORD)

    response = client.post(
        reverse("payments:voucher_redeem"), {"code": a_wrong_code(code), "action": "check"}
    )

    assert response.status_code == 404
    assert "Không có phiếu nào với mã này" in response.content.decode()


def test_the_page_is_for_sellers_only(client):
    buyer = user_with_role(Role.BUYER)
    client.login(phone=buyer.phone, password=PASSWORD)

    assert client.get(reverse("payments:voucher_redeem")).status_code == 403
