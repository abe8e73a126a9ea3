"""Shipping pages: the seller sends a parcel and prints its label; the buyer follows it.

Only the seller's leader and members see a shipment's pages, only the buyer
(and the seller) follow an order's parcel; for anyone else the page does
not exist (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.core.errors import DomainError, NotFound

from . import selectors, services
from .carriers import carrier_adapter, carrier_info
from .forms import ShipmentCreateForm, TrackingCodeForm
from .models import Shipment
from .qr import qr_svg


def _shipment(request: HttpRequest, shipment_id: int) -> Shipment:
    try:
        return selectors.shipment_for_seller(user=request.user, shipment_id=shipment_id)
    except NotFound as error:
        raise Http404(str(error)) from None


def _weight_text(grams: int) -> str:
    """``850 g`` or ``1,3 kg``: what a post-office clerk reads at a glance."""
    if grams < 1000:
        return f"{grams} g"
    return f"{grams / 1000:.1f}".replace(".", ",") + " kg"


def _error_text(error: ValidationError | DomainError) -> str:
    return str(error) if isinstance(error, DomainError) else " ".join(error.messages)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def ship_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Choose the carrier (and the post office's code, if she has it) and create the shipment."""
    try:
        order = selectors.order_for_seller(user=request.user, reference=reference)
    except NotFound as error:
        raise Http404(str(error)) from None
    shipment = selectors.order_shipment(order)
    if shipment is not None:
        return redirect("shipping:shipment", shipment_id=shipment.pk)
    form = ShipmentCreateForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                shipment = services.shipment_create(
                    order=order,
                    carrier_code=form.cleaned_data["carrier"],
                    tracking_code=form.cleaned_data["tracking_code"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error("tracking_code", error)
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                messages.success(request, _("Đã tạo vận đơn. Hãy in nhãn và dán lên bưu kiện."))
                return redirect("shipping:shipment", shipment_id=shipment.pk)
        status = 400 if status == 200 else status
    return render(request, "shipping/ship.html", {"order": order, "form": form}, status=status)


@login_required
@never_cache
@require_GET
def shipment_view(request: HttpRequest, shipment_id: int) -> HttpResponse:
    """The seller's view of one parcel: its code, what to do next, its path."""
    shipment = _shipment(request, shipment_id)
    return render(
        request,
        "shipping/shipment.html",
        {
            "shipment": shipment,
            "order": shipment.order,
            "form": TrackingCodeForm(initial={"tracking_code": shipment.tracking_code}),
            "events": selectors.shipment_events(shipment),
            "example": carrier_info(shipment.carrier.code).tracking_example,
        },
    )


@login_required
@require_POST
def tracking_code_view(request: HttpRequest, shipment_id: int) -> HttpResponse:
    """Replace the tracking code with the one the post office gave."""
    shipment = _shipment(request, shipment_id)
    form = TrackingCodeForm(request.POST)
    if form.is_valid():
        try:
            services.shipment_set_tracking(
                shipment=shipment, tracking_code=form.cleaned_data["tracking_code"], actor=request.user
            )
        except (ValidationError, DomainError) as error:
            form.add_error("tracking_code", _error_text(error))
        else:
            messages.success(request, _("Đã lưu mã vận đơn."))
            return redirect("shipping:shipment", shipment_id=shipment.pk)
    return render(
        request,
        "shipping/shipment.html",
        {
            "shipment": shipment,
            "order": shipment.order,
            "form": form,
            "events": selectors.shipment_events(shipment),
            "example": carrier_info(shipment.carrier.code).tracking_example,
        },
        status=400,
    )


@login_required
@require_POST
def shipped_view(request: HttpRequest, shipment_id: int) -> HttpResponse:
    """The seller has handed the parcel to the post office."""
    shipment = _shipment(request, shipment_id)
    try:
        services.shipment_mark_shipped(shipment=shipment, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Đã báo người mua: bưu kiện đang trên đường."))
    return redirect("shipping:shipment", shipment_id=shipment.pk)


@login_required
@never_cache
@require_GET
def label_view(request: HttpRequest, shipment_id: int) -> HttpResponse:
    """The printable label: addresses, weight, the COD amount, the order and a QR of the code."""
    shipment = _shipment(request, shipment_id)
    content = selectors.label_content(shipment)
    return render(
        request,
        "shipping/label.html",
        {
            "shipment": shipment,
            "order": shipment.order,
            "seller": shipment.order.seller,
            "weight": _weight_text(content.weight_g),
            "qr": qr_svg(shipment.tracking_code) if shipment.tracking_code else "",
            "extra": carrier_adapter(shipment.carrier.code).label_extra(shipment),
        },
    )


@login_required
@never_cache
@require_GET
def track_view(request: HttpRequest, reference: str) -> HttpResponse:
    """The buyer follows her parcel: where it has been, newest last."""
    try:
        order = selectors.order_for_tracking(user=request.user, reference=reference)
    except NotFound as error:
        raise Http404(str(error)) from None
    return render(request, "shipping/track.html", {"order": order})
