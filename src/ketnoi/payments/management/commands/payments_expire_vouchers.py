"""``manage.py payments_expire_vouchers``: vouchers past their date become expired (run daily from cron).

Each expired voucher tells its issuer (``voucher_expired``), which gives the
value back to its fund. Safe to run again; says how many expired.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from ketnoi.payments.vouchers import vouchers_expire


class Command(BaseCommand):
    help = "Mark vouchers past their valid-until date expired; their issuers take the value back."

    def handle(self, *args: Any, **options: Any) -> None:
        count = vouchers_expire()
        self.stdout.write(_("Đã chuyển %(count)s phiếu sang hết hạn.") % {"count": count})
