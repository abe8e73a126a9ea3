"""Builders for ledger tests: a small chart of accounts and money put into it."""

from __future__ import annotations

import itertools

from ketnoi.ledger.models import Account, Posting, Transfer
from ketnoi.ledger.services import account_open, transfer_post

EXTERNAL = "buyers-external"
SALES = "seller-1-sales"
OTHER_SALES = "seller-2-sales"
COD = "carrier-vnpost-cod"
FEES = "fees"

_keys = itertools.count(1)


def new_key(prefix: str = "test") -> str:
    """An idempotency key no other call in the run has used."""
    return f"{prefix}-{next(_keys)}"


def open_accounts() -> dict[str, Account]:
    """The marketplace's chart: buyers' money from outside (may go negative) and four that may not."""
    return {
        EXTERNAL: account_open(
            code=EXTERNAL, name="Tiền người mua từ ngoài", kind=Account.Kind.EXTERNAL, may_go_negative=True
        ),
        SALES: account_open(code=SALES, name="HTX Thổ cẩm Mường Bú", kind=Account.Kind.SELLER_RECEIVABLE),
        OTHER_SALES: account_open(
            code=OTHER_SALES, name="HTX Chè Bắc Hà", kind=Account.Kind.SELLER_RECEIVABLE
        ),
        COD: account_open(code=COD, name="VNPost thu hộ", kind=Account.Kind.CARRIER_COD),
        FEES: account_open(code=FEES, name="Phí nền tảng", kind=Account.Kind.FEES),
    }


def fund(code: str, amount: int) -> Transfer:
    """Money in from outside: ``amount`` đồng onto ``code``."""
    return transfer_post(idempotency_key=new_key("fund"), postings=[(EXTERNAL, -amount), (code, amount)])


def counts() -> tuple[int, int]:
    """How many transfers and postings there are."""
    return Transfer.objects.count(), Posting.objects.count()


def balance(code: str) -> int:
    return Account.objects.get(code=code).balance_vnd
