"""What the payments app tells whoever issued a voucher, without knowing who that is.

Vouchers are issued for a programme's payment, but ``payments`` must not
import ``programmes``; so it announces the two moments the issuer cares about
and the issuer connects to them (``programmes.receivers``). Both are sent
inside the transaction that changes the voucher: a receiver that raises
undoes the change, so the voucher and the issuer's records move together.

- ``voucher_redeemed``: ``voucher``, ``disbursement_id``, ``transfer_id`` (the
  ledger transfer vouchers-outstanding → the seller's sales account),
  ``seller``, ``actor``.
- ``voucher_expired``: ``voucher``, ``disbursement_id``. The payments app
  moves no money on expiry: the issuer gives the value back to its fund
  (once), e.g. by reversing the transfer that backed the voucher.
"""

from __future__ import annotations

from django.dispatch import Signal

voucher_redeemed = Signal()
voucher_expired = Signal()
