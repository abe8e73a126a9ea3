"""Orders as the buyer and the seller see them, and the buttons that move them.

Every page finds the order through ``selectors_orders.order_for_user``:
someone who is neither its buyer, nor a leader or member of its seller,
nor an administrator gets a 404. The buttons shown are the moves the state
machine allows that person (``services.orders.order_moves``); payment
(confirm, refund) and the parcel have their own blocks from the payments
and shipping apps, included when those apps provide them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from ketnoi.accounts.permissions import forbidden
from ketnoi.core.errors import DomainError, NotFound

from ..forms_orders import MOVE_LABELS, MoveForm
from ..models import Order, OrderState, Seller
from ..selectors_orders import (
    BUYER,
    SELLER,
    TO_CONFIRM,
    TO_PACK,
    TO_SHIP,
    OrderAccess,
    order_for_user,
    orders_of_buyer,
    seller_orders,
    sellers_of,
)
from ..services.orders import order_moves, order_transition

PAGE_SIZE = 20
RECENT_SIZE = 20
PAYMENT_BLOCK = "payments/_order_payment.html"
TRACKING_BLOCK = "shipping/_order_tracking.html"
TALK_BLOCK = "market/talk/_ask_button.html"
REVIEW_URL = "market:review_order"
REVIEWABLE = (OrderState.DELIVERED, OrderState.COMPLETED)
SHIP_STATES = (OrderState.PAID, OrderState.COD_CONFIRMED, OrderState.PACKED)  # the seller may send the parcel


def _template_exists(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def _state_label(state: str) -> Any:
    return OrderState(state).label if state in OrderState.values else state


def button_moves(order: Order, parties: frozenset[str]) -> list[tuple[str, Any]]:
    """``(state, label)`` of the buttons ``parties`` get for ``order``."""
    return [
        (to, MOVE_LABELS[to]) for to in order_moves(state=order.state, parties=parties) if to in MOVE_LABELS
    ]


def _url_or_blank(name: str, *args: Any) -> str:
    """The address of another part's page, or "" while that part is not mounted."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _access_or_404(request: HttpRequest, reference: str) -> OrderAccess:
    try:
        return order_for_user(user=request.user, reference=reference)
    except NotFound as error:
        raise Http404(str(error)) from None


def _detail_page(
    request: HttpRequest, access: OrderAccess, *, error: Any = None, status: int = 200
) -> HttpResponse:
    order = access.order
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "events": [(event, _state_label(event.to_state)) for event in order.events.all()],
        "is_buyer": BUYER in access.parties,
        "is_seller": SELLER in access.parties,
        "moves": button_moves(order, access.parties),
        "has_payment_block": _template_exists(PAYMENT_BLOCK),
        "has_tracking_block": _template_exists(TRACKING_BLOCK),
        "ship_states": SHIP_STATES,
        "has_talk_block": BUYER in access.parties and _template_exists(TALK_BLOCK),
        "review_url": (
            _url_or_blank(REVIEW_URL, order.reference)
            if BUYER in access.parties and order.state in REVIEWABLE
            else ""
        ),
        "error": error,
    }
    return render(request, "market/orders/detail.html", context, status=status)


@login_required
@require_GET
def order_list_view(request: HttpRequest) -> HttpResponse:
    """Her orders, newest first, a page at a time."""
    page = Paginator(orders_of_buyer(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "market/orders/list.html", {"page": page})


@login_required
@require_GET
def order_detail_view(request: HttpRequest, reference: str) -> HttpResponse:
    """One order: lines, totals, payment, parcel, its history and the moves she may make."""
    return _detail_page(request, _access_or_404(request, reference))


@login_required
@require_POST
def order_move_view(request: HttpRequest, reference: str) -> HttpResponse:
    access = _access_or_404(request, reference)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, access, error=_("Thao tác không hợp lệ."), status=400)
    try:
        order = order_transition(
            order=access.order, to=form.cleaned_data["to"], actor=request.user, note=form.cleaned_data["note"]
        )
    except DomainError as refusal:
        return _detail_page(request, access, error=refusal, status=refusal.status)
    messages.success(
        request,
        _("Đơn %(reference)s: %(state)s.")
        % {"reference": order.reference, "state": order.get_state_display()},
    )
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return redirect(next_url)
    return redirect("market:order_detail", reference=order.reference)


# --- The seller's side ------------------------------------------------------------------


def chosen_seller(request: HttpRequest) -> tuple[Seller | None, list[Seller]]:
    """The seller she works for on this page (``?seller=<slug>``, else her first) and all of hers."""
    sellers = sellers_of(request.user)
    wanted = request.GET.get("seller", "")
    seller = next((s for s in sellers if s.slug == wanted), sellers[0] if sellers else None)
    return seller, sellers


NOT_A_SELLER = _("Trang này dành cho người bán. Bạn chưa là thành viên của nhóm bán hàng nào.")


@login_required
@require_GET
def seller_orders_view(request: HttpRequest) -> HttpResponse:
    """What to do next: orders to confirm, to pack, to ship, each with its buttons; then the latest others."""
    seller, sellers = chosen_seller(request)
    if seller is None:
        return forbidden(request, NOT_A_SELLER)
    waiting = list(
        seller_orders(seller=seller, states=(*TO_CONFIRM, *TO_PACK, *TO_SHIP)).order_by("created_at", "pk")
    )
    recent = list(
        seller_orders(seller=seller)
        .exclude(state__in=(*TO_CONFIRM, *TO_PACK, *TO_SHIP))
        .order_by("-created_at", "-pk")[:RECENT_SIZE]
    )
    parties = frozenset({SELLER})
    for order in waiting:
        order.moves = button_moves(order, parties)  # type: ignore[attr-defined]
    queues = [
        ("confirm", _("Cần xác nhận"), [o for o in waiting if o.state in TO_CONFIRM]),
        ("pack", _("Cần đóng gói"), [o for o in waiting if o.state in TO_PACK]),
        ("ship", _("Cần gửi đi"), [o for o in waiting if o.state in TO_SHIP]),
    ]
    context = {
        "seller": seller,
        "sellers": sellers,
        "queues": queues,
        "recent": recent,
        "ship_states": SHIP_STATES,
    }
    return render(request, "market/orders/seller.html", context)
