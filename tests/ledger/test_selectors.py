import pytest

from ketnoi.core.errors import NotFound
from ketnoi.ledger.selectors import account_get, account_list, account_statement
from ketnoi.ledger.services import transfer_post, transfer_reverse

from .helpers import COD, EXTERNAL, FEES, SALES, fund, open_accounts

pytestmark = pytest.mark.django_db


def test_accounts_are_listed_by_code_and_by_kind():
    open_accounts()

    assert list(account_list().values_list("code", flat=True)) == sorted(
        ["buyers-external", "carrier-vnpost-cod", "fees", "seller-1-sales", "seller-2-sales"]
    )
    assert list(account_list(kind="carrier_cod").values_list("code", flat=True)) == [COD]


def test_an_unknown_account_is_not_found():
    with pytest.raises(NotFound) as info:
        account_get("seller-404-sales")

    assert "seller-404-sales" in str(info.value)


def test_a_statement_lists_the_latest_postings_with_the_balance_after_each(django_assert_num_queries):
    # Given a seller paid twice, charged a fee, and one payment refunded
    open_accounts()
    first = fund(SALES, 300_000)
    fund(SALES, 200_000)
    transfer_post(idempotency_key="fee-1", postings=[(SALES, -25_000), (FEES, 25_000)], memo="Phí tháng 11")
    refund = transfer_reverse(transfer=first, idempotency_key="refund-1")

    # When her statement is read
    with django_assert_num_queries(2):
        lines = account_statement(SALES, limit=10)

    # Then the newest comes first, each with what was left after it
    assert [(line.amount_vnd, line.balance_after_vnd) for line in lines] == [
        (-300_000, 175_000),
        (-25_000, 475_000),
        (200_000, 500_000),
        (300_000, 300_000),
    ]
    assert lines[0].reverses_id == first.pk
    assert lines[0].transfer_id == refund.pk
    assert lines[1].memo == "Phí tháng 11"
    assert [line.amount_vnd for line in account_statement(SALES, limit=2)] == [-300_000, -25_000]
    assert account_statement(EXTERNAL, limit=1)[0].balance_after_vnd == -200_000
