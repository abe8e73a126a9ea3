"""The voucher channel of a programme: issue a voucher per sent payment and SMS its code.

``batch_send`` has already moved each payment's value from the programme's
fund to ``vouchers-outstanding`` (transfer ``disb-<id>-send``); the voucher
is issued against that transfer. What happens next is in ``receivers``:
redeemed → the payment is paid; expired → the payment fails and the send
transfer is reversed (the value goes back to the fund, once).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import DomainError
from ketnoi.core.money import format_vnd
from ketnoi.core.notify import message_send
from ketnoi.payments.models import Voucher
from ketnoi.payments.vouchers import VoucherRequest, code_format, vouchers_issue_many

from ..models import Channel, Disbursement, DisbursementState, Programme

_ROWS_PER_QUERY = 900

_SMS_VOUCHER = _(
    "Kết Nối: hộ bạn được nhận phiếu mua hàng %(value)s của chương trình %(programme)s. "
    "Mã phiếu: %(code)s, dùng một lần đến hết ngày %(until)s tại cửa hàng có nhận phiếu trên Kết Nối. "
    "Chỉ đọc mã cho người bán khi mua hàng."
)


def vouchers_issue_for(disbursements: Iterable[Disbursement], *, programme: Programme) -> list[Voucher]:
    """Issue a voucher for each sent voucher payment of ``programme`` and SMS the code to the household.

    Called by ``batch_send`` inside its chunk's transaction, after the send
    transfers are posted and the payments marked sent (their rows are read
    again). A voucher is valid for ``programme.voucher_valid_days`` days.
    Idempotent: a payment that already has its voucher keeps it and gets no
    second SMS. Refused (``DomainError``) when a payment is not a sent
    voucher payment of ``programme`` with its send transfer.
    """
    pks = [d.pk for d in disbursements]
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(pks), _ROWS_PER_QUERY):
        rows += Disbursement.objects.filter(
            pk__in=pks[start : start + _ROWS_PER_QUERY],
            channel=Channel.VOUCHER,
            state=DisbursementState.SENT,
            send_transfer_id__isnull=False,
            batch__cycle__programme=programme,
        ).values_list("disbursement_id", "amount_vnd", "enrolment__phone", "send_transfer_id")
    if len(rows) != len(set(pks)):
        raise DomainError(
            _(
                "Chỉ phát phiếu cho khoản chi bằng phiếu của chương trình này, "
                "đã chuyển tiền vào tài khoản phiếu."
            ),
            code="voucher_not_sent",
            status=409,
        )
    if not rows:
        return []
    already = set(
        Voucher.objects.filter(disbursement_id__in=[row[0] for row in rows]).values_list(
            "disbursement_id", flat=True
        )
    )
    valid_until = timezone.now() + timedelta(days=programme.voucher_valid_days)
    requests: Sequence[VoucherRequest] = [
        VoucherRequest(
            disbursement_id=disbursement_id,
            value_vnd=amount,
            fund_account_code=programme.fund_account_code,
            phone=phone,
            valid_until=valid_until,
            issue_transfer_id=transfer_id,
        )
        for disbursement_id, amount, phone, transfer_id in rows
    ]
    issued = vouchers_issue_many(requests)
    for voucher, code in issued:
        if voucher.disbursement_id not in already and voucher.beneficiary_phone:
            _sms(voucher=voucher, code=code, programme=programme)
    return [voucher for voucher, _code in issued]


def _sms(*, voucher: Voucher, code: str, programme: Programme) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        text = str(_SMS_VOUCHER) % {
            "value": format_vnd(voucher.value_vnd),
            "programme": programme.name,
            "code": code_format(code),
            "until": timezone.localtime(voucher.valid_until).strftime("%d/%m/%Y"),
        }
    message_send(to=voucher.beneficiary_phone, text=text)
