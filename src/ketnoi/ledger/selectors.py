"""Reads of the ledger: accounts, one account, an account's statement; who may use the ledger API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role
from ketnoi.accounts.selectors import user_has_role
from ketnoi.core.errors import NotFound

from .models import Account, Posting, Transfer

# Who may read balances and post transfers through the API (payment partners
# and bank adapters act through an officer's or an administrator's token).
LEDGER_ROLES: tuple[str, ...] = (Role.ADMINISTRATOR, Role.PROGRAMME_OFFICER)


def user_may_use_ledger(user: Any) -> bool:
    return user_has_role(user, *LEDGER_ROLES)


def account_list(*, kind: str | None = None) -> QuerySet[Account]:
    """Every account (or those of one ``kind``), by code."""
    accounts = Account.objects.all()
    if kind:
        accounts = accounts.filter(kind=kind)
    return accounts.order_by("code")


def account_get(code: str) -> Account:
    """The account ``code``; ``NotFound`` when there is none."""
    account = Account.objects.filter(code=code).first()
    if account is None:
        raise NotFound(_("Không có tài khoản %(code)s."), code="account_not_found", params={"code": code})
    return account


@dataclass(frozen=True)
class StatementLine:
    transfer_id: int
    created_at: datetime
    memo: str
    amount_vnd: int
    balance_after_vnd: int
    reverses_id: int | None


def account_statement(code: str, limit: int = 50) -> list[StatementLine]:
    """The latest ``limit`` postings of account ``code``, newest first, each with the balance after it.

    Two queries whatever the limit. The running balance counts back from
    the account's balance, so it is right as long as ``balances_check`` is clean.
    """
    account = account_get(code)
    postings = list(
        Posting.objects.filter(account=account)
        .select_related("transfer")
        .order_by("-transfer_id", "-id")[: max(limit, 0)]
    )
    lines: list[StatementLine] = []
    balance = account.balance_vnd
    for posting in postings:
        transfer: Transfer = posting.transfer
        lines.append(
            StatementLine(
                transfer_id=transfer.pk,
                created_at=transfer.created_at,
                memo=transfer.memo,
                amount_vnd=posting.amount_vnd,
                balance_after_vnd=balance,
                reverses_id=transfer.reverses_id,
            )
        )
        balance -= posting.amount_vnd
    return lines


def transfer_get(transfer_id: int) -> Transfer:
    """The transfer ``transfer_id``; ``NotFound`` when there is none."""
    transfer = Transfer.objects.filter(pk=transfer_id).first()
    if transfer is None:
        raise NotFound(
            _("Không có giao dịch #%(id)s."), code="transfer_not_found", params={"id": transfer_id}
        )
    return transfer


def transfer_postings(transfer: Transfer) -> list[tuple[str, int]]:
    """``(account code, amount)`` of each posting of ``transfer``, in the order they were written."""
    return list(transfer.postings.order_by("id").values_list("account__code", "amount_vnd"))
