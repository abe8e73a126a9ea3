import unicodedata

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.models import AuditEntry
from ketnoi.core.money import MAX_VND
from ketnoi.ledger.models import Account, Posting, Transfer
from ketnoi.ledger.services import (
    IdempotencyConflict,
    account_balance,
    account_open,
    balances_check,
    content_hash,
    transfer_post,
    transfer_reverse,
    transfers_check,
)
from tests.accounts.factories import user_with_role

from .helpers import COD, EXTERNAL, FEES, OTHER_SALES, SALES, balance, counts, fund, new_key, open_accounts

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts():
    return open_accounts()


def refused(call, **kwargs) -> DomainError:
    """Run ``call`` expecting a refusal; return it."""
    with pytest.raises(DomainError) as info:
        call(**kwargs)
    return info.value


# --- Accounts ---------------------------------------------------------------


def test_opening_an_account_twice_gives_the_same_account_and_one_audit_entry():
    first = account_open(
        code="seller-7-sales", name="HTX Mật ong Bắc Hà", kind=Account.Kind.SELLER_RECEIVABLE
    )
    again = account_open(code="seller-7-sales", name="Tên khác", kind=Account.Kind.SELLER_RECEIVABLE)

    assert again.pk == first.pk
    assert Account.objects.filter(code="seller-7-sales").count() == 1
    assert again.name == "HTX Mật ong Bắc Hà"
    assert AuditEntry.objects.filter(action="ledger_account_opened", object_id=str(first.pk)).count() == 1


def test_opening_an_existing_code_with_other_rules_is_refused():
    account_open(code=FEES, name="Phí", kind=Account.Kind.FEES)

    error = refused(account_open, code=FEES, name="Phí", kind=Account.Kind.FEES, may_go_negative=True)

    assert (error.status, error.code) == (409, "account_mismatch")
    assert Account.objects.get(code=FEES).may_go_negative is False


@pytest.mark.parametrize("code", ["", "có dấu", "a b", "x" * 81, None])
def test_a_malformed_account_code_is_refused(code):
    error = refused(account_open, code=code, name="Phí", kind=Account.Kind.FEES)

    assert (error.status, error.code) == (422, "invalid_account_code")
    assert not Account.objects.exists()


def test_an_unknown_kind_or_an_empty_name_is_refused():
    assert refused(account_open, code="x", name="X", kind="piggy_bank").code == "invalid_account_kind"
    assert refused(account_open, code="x", name="   ", kind=Account.Kind.FEES).code == "invalid_account_name"
    assert not Account.objects.exists()


def test_the_balance_of_an_unknown_account_is_not_found():
    with pytest.raises(NotFound):
        account_balance("seller-404-sales")


# --- Posting ----------------------------------------------------------------


def test_a_balanced_transfer_moves_the_money_and_is_audited(accounts):
    # Given a buyer's payment of 450,000 đ for an order, 5% platform fee
    officer = user_with_role(Role.PROGRAMME_OFFICER, display_name="Cầm Thị Hương")

    # When it is posted
    transfer = transfer_post(
        idempotency_key="order-KN123-paid",
        postings=[(EXTERNAL, -450_000), (SALES, 427_500), (FEES, 22_500)],
        memo="Đơn KN123",
        actor=officer,
    )

    # Then each account moved by its amount, and the postings are there
    assert (account_balance(EXTERNAL), account_balance(SALES), account_balance(FEES)) == (
        -450_000,
        427_500,
        22_500,
    )
    assert sorted(transfer.postings.values_list("account__code", "amount_vnd")) == [
        (EXTERNAL, -450_000),
        (FEES, 22_500),
        (SALES, 427_500),
    ]
    assert transfer.created_by == officer
    # and the audit trail says who, what and how much
    entry = AuditEntry.objects.get(action="ledger_transfer_posted", object_id=str(transfer.pk))
    assert entry.actor == officer
    assert entry.reason == "Đơn KN123"
    assert entry.changes["postings"][1] == [[EXTERNAL, -450_000], [SALES, 427_500], [FEES, 22_500]]
    assert balances_check() == []


def test_postings_that_do_not_sum_to_zero_are_refused_and_nothing_is_written(accounts):
    error = refused(
        transfer_post, idempotency_key=new_key(), postings=[(EXTERNAL, -100_000), (SALES, 90_000)]
    )

    assert (error.status, error.code) == (422, "unbalanced")
    assert "10000" in str(error)
    assert counts() == (0, 0)
    assert balance(SALES) == 0


@pytest.mark.parametrize(
    ("postings", "code"),
    [
        ([(SALES, 0), (EXTERNAL, 0)], "zero_amount"),
        ([(EXTERNAL, -5), (SALES, 5), (FEES, 0)], "zero_amount"),
        ([(EXTERNAL, -1), (SALES, True)], "invalid_amount"),
        ([(EXTERNAL, -1.0), (SALES, 1.0)], "invalid_amount"),
        ([(EXTERNAL, "-1"), (SALES, "1")], "invalid_amount"),
        ([(EXTERNAL, -(MAX_VND + 1)), (SALES, MAX_VND + 1)], "amount_range"),
        ([(SALES, 5)], "too_few_postings"),
        ([], "too_few_postings"),
        ([(SALES, 5), (SALES, -5)], "too_few_postings"),
        ([(SALES,), (FEES, 1)], "invalid_posting"),
        ([(5, -1), (FEES, 1)], "invalid_posting"),
        ("seller-1-sales", "invalid_posting"),
    ],
)
def test_malformed_postings_are_refused(accounts, postings, code):
    error = refused(transfer_post, idempotency_key=new_key(), postings=postings)

    assert (error.status, error.code) == (422, code)
    assert counts() == (0, 0)


def test_the_largest_amount_is_accepted(accounts):
    transfer_post(idempotency_key=new_key(), postings=[(EXTERNAL, -MAX_VND), (SALES, MAX_VND)])

    assert account_balance(SALES) == MAX_VND


def test_an_unknown_account_is_named_and_nothing_is_written(accounts):
    error = refused(
        transfer_post,
        idempotency_key=new_key(),
        postings=[(EXTERNAL, -10), ("seller-99-sales", 5), ("carrier-ghn-cod", 5)],
    )

    assert (error.status, error.code) == (422, "unknown_account")
    assert "carrier-ghn-cod, seller-99-sales" in str(error)
    assert counts() == (0, 0)


def test_an_account_that_may_not_go_negative_does_not_and_nothing_is_posted(accounts):
    # Given 100,000 đ collected by the carrier
    fund(COD, 100_000)
    before = counts()

    # When 150,000 đ is to be paid out of it to a seller
    error = refused(transfer_post, idempotency_key=new_key(), postings=[(COD, -150_000), (SALES, 150_000)])

    # Then it is refused with the balance and the amount, and nothing moved
    assert (error.status, error.code) == (409, "insufficient_funds")
    assert "carrier-vnpost-cod" in str(error)
    assert "100000" in str(error)
    assert counts() == before
    assert (balance(COD), balance(SALES)) == (100_000, 0)


def test_an_account_may_be_emptied_to_exactly_zero(accounts):
    fund(COD, 100_000)

    transfer_post(idempotency_key=new_key(), postings=[(COD, -100_000), (SALES, 100_000)])

    assert (balance(COD), balance(SALES)) == (0, 100_000)


def test_the_database_refuses_a_negative_balance_on_its_own(accounts):
    # The last line of defence, should a bug ever bypass the service's check.
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance_vnd = -1 WHERE code = %s", [SALES])

    assert balance(SALES) == 0


# --- Idempotency ------------------------------------------------------------


def test_a_retry_with_the_same_key_and_content_returns_the_first_transfer_and_writes_nothing(accounts):
    first = transfer_post(
        idempotency_key="pay-1", postings=[(EXTERNAL, -300_000), (SALES, 300_000)], memo="Đơn 1"
    )
    audit_before = AuditEntry.objects.count()

    # The same content in another order, with the memo in decomposed Unicode
    again = transfer_post(
        idempotency_key="pay-1",
        postings=[(SALES, 300_000), (EXTERNAL, -300_000)],
        memo=unicodedata.normalize("NFD", "Đơn 1 "),
    )

    assert again.pk == first.pk
    assert counts() == (1, 2)
    assert balance(SALES) == 300_000
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize(
    ("postings", "memo"),
    [
        ([(EXTERNAL, -300_001), (SALES, 300_001)], "Đơn 1"),
        ([(EXTERNAL, -300_000), (OTHER_SALES, 300_000)], "Đơn 1"),
        ([(EXTERNAL, -300_000), (SALES, 300_000)], "Đơn 2"),
    ],
)
def test_the_same_key_with_other_content_is_a_conflict(accounts, postings, memo):
    first = transfer_post(
        idempotency_key="pay-1", postings=[(EXTERNAL, -300_000), (SALES, 300_000)], memo="Đơn 1"
    )

    with pytest.raises(IdempotencyConflict) as info:
        transfer_post(idempotency_key="pay-1", postings=postings, memo=memo)

    assert info.value.status == 409
    assert info.value.code == "idempotency_conflict"
    assert f"#{first.pk}" in str(info.value)
    assert counts() == (1, 2)
    assert (balance(SALES), balance(OTHER_SALES)) == (300_000, 0)


@pytest.mark.parametrize("key", ["", " pay", "pay ", "khoá-1", "pay\n1", "x" * 201, None, 42])
def test_a_malformed_idempotency_key_is_refused(accounts, key):
    error = refused(transfer_post, idempotency_key=key, postings=[(EXTERNAL, -1), (SALES, 1)])

    assert (error.status, error.code) == (400, "invalid_idempotency_key")
    assert counts() == (0, 0)


def test_a_key_of_200_printable_characters_is_accepted(accounts):
    key = "a b~" * 50

    transfer = transfer_post(idempotency_key=key, postings=[(EXTERNAL, -1), (SALES, 1)])

    assert transfer.idempotency_key == key


def test_a_memo_too_long_is_refused(accounts):
    error = refused(
        transfer_post, idempotency_key=new_key(), postings=[(EXTERNAL, -1), (SALES, 1)], memo="x" * 501
    )

    assert (error.status, error.code) == (422, "invalid_memo")
    assert counts() == (0, 0)


def test_the_content_hash_ignores_the_order_of_postings_but_not_the_memo():
    one = content_hash([("a", -5), ("b", 2), ("b", 3)], "m")

    assert one == content_hash([("b", 3), ("a", -5), ("b", 2)], "m")
    assert one != content_hash([("a", -5), ("b", 5)], "m")
    assert one != content_hash([("a", -5), ("b", 2), ("b", 3)], "n")
    assert one != content_hash([("a", -5), ("b", 2), ("b", 3)], "m", reverses_id=1)


def test_a_transfer_inside_a_transaction_that_rolls_back_leaves_nothing(accounts):
    with pytest.raises(RuntimeError), transaction.atomic():
        transfer_post(idempotency_key="pay-1", postings=[(EXTERNAL, -1), (SALES, 1)])
        raise RuntimeError("the order could not be saved")

    assert counts() == (0, 0)
    assert balance(SALES) == 0
    # and the key is free again for the retry
    transfer_post(idempotency_key="pay-1", postings=[(EXTERNAL, -1), (SALES, 1)])
    assert balance(SALES) == 1


# --- Reversal ---------------------------------------------------------------


def test_a_reversal_posts_the_opposite_amounts_and_is_linked(accounts):
    officer = user_with_role(Role.ADMINISTRATOR)
    paid = transfer_post(
        idempotency_key="pay-1", postings=[(EXTERNAL, -300_000), (SALES, 285_000), (FEES, 15_000)]
    )

    reversal = transfer_reverse(transfer=paid, idempotency_key="refund-1", actor=officer)

    assert reversal.reverses == paid
    assert sorted(reversal.postings.values_list("account__code", "amount_vnd")) == [
        (EXTERNAL, 300_000),
        (FEES, -15_000),
        (SALES, -285_000),
    ]
    assert (balance(EXTERNAL), balance(SALES), balance(FEES)) == (0, 0, 0)
    assert reversal.memo == f"Đảo ngược giao dịch #{paid.pk}"
    entry = AuditEntry.objects.get(action="ledger_transfer_reversed")
    assert (entry.actor, entry.changes["reverses"]) == (officer, [None, paid.pk])
    assert balances_check() == []


def test_a_transfer_is_reversed_once_only(accounts):
    paid = fund(SALES, 300_000)
    first = transfer_reverse(transfer=paid, idempotency_key="refund-1")

    # A retry of the same reversal returns it
    assert transfer_reverse(transfer=paid, idempotency_key="refund-1").pk == first.pk
    # another reversal is refused
    error = refused(transfer_reverse, transfer=paid, idempotency_key="refund-2")

    assert (error.status, error.code) == (409, "already_reversed")
    assert counts() == (2, 4)
    assert balance(SALES) == 0


def test_a_reversal_is_not_reversed(accounts):
    paid = fund(SALES, 300_000)
    reversal = transfer_reverse(transfer=paid, idempotency_key="refund-1")

    error = refused(transfer_reverse, transfer=reversal, idempotency_key="refund-of-refund")

    assert (error.status, error.code) == (409, "reversal_of_reversal")
    assert counts() == (2, 4)


def test_money_already_spent_cannot_be_reversed_out_of_a_non_negative_account(accounts):
    paid = fund(SALES, 300_000)
    transfer_post(idempotency_key=new_key(), postings=[(SALES, -200_000), (EXTERNAL, 200_000)])
    before = counts()

    error = refused(transfer_reverse, transfer=paid, idempotency_key="refund-1")

    assert (error.status, error.code) == (409, "insufficient_funds")
    assert counts() == before
    assert not Transfer.objects.filter(reverses=paid).exists()


def test_a_reversal_key_already_used_for_a_plain_transfer_is_a_conflict(accounts):
    paid = fund(SALES, 300_000)
    transfer_post(idempotency_key="refund-1", postings=[(SALES, -300_000), (EXTERNAL, 300_000)])

    with pytest.raises(IdempotencyConflict):
        transfer_reverse(transfer=paid, idempotency_key="refund-1")

    assert not Transfer.objects.filter(reverses=paid).exists()


# --- Immutability -----------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda t: Transfer.objects.filter(pk=t.pk).update(memo="sửa"),
        lambda t: Transfer.objects.filter(pk=t.pk).delete(),
        lambda t: Posting.objects.filter(transfer=t).update(amount_vnd=1),
        lambda t: Posting.objects.all().delete(),
        lambda t: t.postings.all().delete(),
        lambda t: t.postings.update(amount_vnd=1),
        lambda t: Account.objects.get(code=SALES).postings.update(amount_vnd=1),
        lambda t: t.postings.first().delete(),
        lambda t: Posting.objects.bulk_update(list(t.postings.all()), ["amount_vnd"]),
    ],
    ids=[
        "transfer-update",
        "transfer-delete",
        "posting-update",
        "posting-delete",
        "related-delete",
        "related-update",
        "account-related-update",
        "posting-instance-delete",
        "bulk-update",
    ],
)
def test_transfers_and_postings_cannot_be_changed_or_deleted(accounts, change):
    transfer = fund(SALES, 300_000)

    # (in a savepoint: some of these raise inside Django's own atomic block)
    with pytest.raises(TypeError, match="immutable"), transaction.atomic():
        change(transfer)

    assert counts() == (1, 2)
    assert sorted(Posting.objects.values_list("amount_vnd", flat=True)) == [-300_000, 300_000]


def test_a_transfer_instance_cannot_be_deleted(accounts):
    transfer = fund(SALES, 300_000)

    # Its postings protect it; were they gone, the immutability guard would refuse.
    with pytest.raises((ProtectedError, TypeError)), transaction.atomic():
        transfer.delete()

    assert counts() == (1, 2)


def test_an_existing_transfer_cannot_be_saved_again(accounts):
    transfer = fund(SALES, 300_000)
    transfer.memo = "sửa lại"

    with pytest.raises(TypeError, match="immutable"):
        transfer.save()

    assert Transfer.objects.get().memo == ""


# --- Checks -----------------------------------------------------------------


def test_balances_check_finds_a_cache_tampered_with_in_sql(accounts):
    fund(SALES, 300_000)
    assert balances_check() == []

    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance_vnd = 1300000 WHERE code = %s", [SALES])

    [mismatch] = balances_check()
    assert (mismatch.code, mismatch.cached_vnd, mismatch.postings_vnd) == (SALES, 1_300_000, 300_000)
    assert mismatch.difference_vnd == 1_000_000


def test_transfers_check_finds_a_posting_changed_in_sql(accounts):
    transfer = fund(SALES, 300_000)
    assert transfers_check() == []

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_posting SET amount_vnd = 1 WHERE transfer_id = %s AND amount_vnd > 0",
            [transfer.pk],
        )

    assert transfers_check() == [transfer.pk]
    assert [m.code for m in balances_check()] == [SALES]
