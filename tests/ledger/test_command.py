import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from .helpers import SALES, fund, open_accounts

pytestmark = pytest.mark.django_db


def test_ledger_check_says_the_ledger_is_consistent(capsys):
    open_accounts()
    fund(SALES, 300_000)

    call_command("ledger_check")

    assert "Sổ cái khớp: 5 tài khoản, 1 giao dịch." in capsys.readouterr().out


def test_ledger_check_reports_a_tampered_balance_and_fails(capsys):
    open_accounts()
    fund(SALES, 300_000)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance_vnd = 999 WHERE code = %s", [SALES])

    with pytest.raises(CommandError) as info:
        call_command("ledger_check")

    assert "Sổ cái không khớp: 1 tài khoản, 0 giao dịch." in str(info.value)
    assert "seller-1-sales: số dư lưu 999 đồng, tổng bút toán 300000 đồng" in capsys.readouterr().err


def test_ledger_check_reports_an_unbalanced_transfer(capsys):
    open_accounts()
    transfer = fund(SALES, 300_000)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_posting SET amount_vnd = -1 WHERE amount_vnd < 0")

    with pytest.raises(CommandError):
        call_command("ledger_check")

    assert f"Giao dịch #{transfer.pk}" in capsys.readouterr().err
