"""The shipping part of ``/api/v1``: carriers post their tracking events here.

No bearer token: a carrier proves itself by signing the raw body with its
shared secret (``X-Signature: sha256=<hex HMAC-SHA256>``) and naming itself
in ``X-Carrier``. The body is read as bytes before any JSON parsing, so the
signature covers exactly what was sent.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from ketnoi.api.schemas import ErrorOut, lazy

from .services import tracking_event_receive

router = Router(tags=["shipping"], auth=None)


class TrackingEventOut(Schema):
    result: str = Field(
        description=lazy(_("`applied` khi sự kiện được ghi, `duplicate` khi đã nhận sự kiện này rồi."))
    )
    event_id: str
    tracking_code: str
    shipment_state: str = Field(description=lazy(_("`ready`, `in_transit`, `delivered` hoặc `returned`.")))
    order_state: str


_DESCRIPTION = lazy(
    _(
        "Đơn vị giao hàng gửi một sự kiện của bưu kiện. Nội dung JSON: `event_id`, `tracking_code`, "
        "`status`, `location`, `at` (ISO 8601). Tiêu đề `X-Carrier` (ví dụ `vnpost`) và `X-Signature: "
        "sha256=<hex>` — HMAC-SHA256 của nguyên nội dung với khoá bí mật của đơn vị. Gửi lại cùng "
        "`event_id` không thay đổi gì. Trạng thái: `accepted`, `picked_up`, `in_transit`, "
        "`out_for_delivery`, `delivery_failed`, `delivered`, `returning`, `returned`."
    )
)


@router.post(
    "/events",
    response={200: TrackingEventOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary=lazy(_("Nhận một sự kiện theo dõi bưu kiện")),
    description=_DESCRIPTION,
)
def tracking_event(request: HttpRequest) -> TrackingEventOut:
    outcome = tracking_event_receive(
        carrier_code=request.headers.get("X-Carrier", "").strip(),
        body=request.body,
        signature=request.headers.get("X-Signature", ""),
    )
    shipment = outcome.shipment
    return TrackingEventOut(
        result="applied" if outcome.applied else "duplicate",
        event_id=outcome.event.carrier_event_id,
        tracking_code=shipment.tracking_code,
        shipment_state=shipment.state,
        order_state=shipment.order.state,
    )
