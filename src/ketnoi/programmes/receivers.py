"""What the programme does when one of its vouchers is redeemed or expires (signals from ``payments``).

Both run inside the transaction that changes the voucher, so the voucher
and its payment move together or not at all. A voucher that no programme
payment issued (``disbursement_id`` unknown here) is left alone.

- redeemed → the payment is paid, recording the redemption's transfer
  (vouchers-outstanding → the seller) as its settlement: no second transfer.
- expired → the payment fails: its send transfer is reversed, so the value
  goes back to the programme's fund, once (key ``disb-<id>-fail``).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from ketnoi.payments.signals import voucher_expired, voucher_redeemed

from .models import Disbursement
from .services.settlement import disbursement_mark_failed, disbursement_mark_paid

EXPIRED_REASON = "phiếu hết hạn"


def _disbursement(disbursement_id: str) -> Disbursement | None:
    return Disbursement.objects.select_for_update().filter(disbursement_id=disbursement_id).first()


@receiver(voucher_redeemed, dispatch_uid="programmes-voucher-redeemed")
def voucher_redeemed_pay(
    sender: Any, *, disbursement_id: str, transfer_id: int, actor: Any = None, **kwargs: Any
) -> None:
    disbursement = _disbursement(disbursement_id)
    if disbursement is not None:
        disbursement_mark_paid(disbursement, actor=actor, settle_transfer_id=transfer_id)


@receiver(voucher_expired, dispatch_uid="programmes-voucher-expired")
def voucher_expired_fail(sender: Any, *, disbursement_id: str, **kwargs: Any) -> None:
    disbursement = _disbursement(disbursement_id)
    if disbursement is not None:
        disbursement_mark_failed(disbursement, actor=None, reason=EXPIRED_REASON)
