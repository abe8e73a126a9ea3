"""The payments part of ``/api/v1``: how to pay an order (mounted at ``/orders``).

Only the order's buyer and its seller's people may read it; anyone else gets
404, exactly as for an order that does not exist.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from ketnoi.api.schemas import AUTH_ERRORS, ErrorOut, lazy
from ketnoi.api.security import bearer
from ketnoi.market.models import PaymentMethod

from .models import Payment
from .selectors import order_for_payment, payment_vietqr

router = Router(tags=["payments"], auth=bearer)


class OrderPaymentOut(Schema):
    vietqr: str | None = Field(
        description=lazy(
            _(
                "Chuỗi VietQR (EMVCo) để vẽ mã QR: chuyển đúng số tiền vào tài khoản người bán, "
                "nội dung là mã đơn. null khi đơn trả tiền khi nhận hàng "
                "hoặc người bán chưa có tài khoản ngân hàng."
            )
        )
    )
    amount_vnd: int
    reference: str = Field(description=lazy(_("Mã đơn: nội dung chuyển khoản (trường 62/08).")))
    method: str = Field(description=lazy(_("`vietqr` hoặc `cod`.")))
    state: str = Field(description=lazy(_("`pending`, `confirmed` hoặc `refunded`.")))


@router.get(
    "/{order_id}/payment",
    response={200: OrderPaymentOut, **AUTH_ERRORS, 404: ErrorOut},
    summary=lazy(_("Cách trả tiền cho một đơn: mã VietQR, số tiền, nội dung")),
    description=lazy(_("Chỉ người mua của đơn và người bán (trưởng nhóm, thành viên). Người khác nhận 404.")),
)
def order_payment(request: HttpRequest, order_id: int) -> OrderPaymentOut:
    order = order_for_payment(user=request.auth, order_id=order_id)  # type: ignore[attr-defined]
    payment = Payment.objects.filter(order=order).first()
    amount = payment.amount_vnd if payment is not None else order.total_vnd
    reference = payment.reference if payment is not None else order.reference
    method = payment.method if payment is not None else order.payment_method
    payload = (
        payment_vietqr(seller=order.seller, amount_vnd=amount, reference=reference)
        if method == PaymentMethod.VIETQR
        else None
    )
    return OrderPaymentOut(
        vietqr=payload,
        amount_vnd=amount,
        reference=reference,
        method=method,
        state=payment.state if payment is not None else Payment.State.PENDING,
    )
