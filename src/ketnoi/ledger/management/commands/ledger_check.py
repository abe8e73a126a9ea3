"""``manage.py ledger_check``: cached balances equal the sums of their postings; transfers sum to zero.

Exits 0 and says so when the ledger is consistent; otherwise lists each
account and transfer that is not and exits 1 (for cron or monitoring).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ketnoi.ledger.models import Account, Transfer
from ketnoi.ledger.services import balances_check, transfers_check


class Command(BaseCommand):
    help = "Check the ledger: cached balances against the postings, and that every transfer sums to zero."

    def handle(self, *args: Any, **options: Any) -> None:
        mismatches = balances_check()
        unbalanced = transfers_check()
        for mismatch in mismatches:
            self.stderr.write(
                _(
                    "Tài khoản %(code)s: số dư lưu %(cached)s đồng, tổng bút toán %(posted)s đồng "
                    "(lệch %(diff)s)."
                )
                % {
                    "code": mismatch.code,
                    "cached": mismatch.cached_vnd,
                    "posted": mismatch.postings_vnd,
                    "diff": mismatch.difference_vnd,
                }
            )
        for transfer_id in unbalanced:
            self.stderr.write(
                _("Giao dịch #%(id)s: các bút toán không có tổng bằng 0 hoặc ít hơn hai dòng.")
                % {"id": transfer_id}
            )
        if mismatches or unbalanced:
            raise CommandError(
                _("Sổ cái không khớp: %(accounts)s tài khoản, %(transfers)s giao dịch.")
                % {"accounts": len(mismatches), "transfers": len(unbalanced)}
            )
        self.stdout.write(
            _("Sổ cái khớp: %(accounts)s tài khoản, %(transfers)s giao dịch.")
            % {"accounts": Account.objects.count(), "transfers": Transfer.objects.count()}
        )
