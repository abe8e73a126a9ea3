"""The payments pages: the seller confirms or refunds a payment, and imports her bank statement.

Every page finds its object through a selector that answers ``NotFound``
(a 404) for anyone who is not the order's seller; the services check again.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.permissions import forbidden
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.market.selectors import sellers_of_user

from .forms import StatementForm
from .models import Payment
from .selectors import (
    STATEMENTS_ON_PAGE,
    payment_for_seller,
    statement_import_for_user,
    statement_imports_for_user,
)
from .services import payment_confirm, payment_refund, statement_import, statement_reason

NOT_A_SELLER = _("Trang này dành cho người bán. Bạn chưa là thành viên của nhóm bán hàng nào.")


def _payment_or_404(request: HttpRequest, payment_id: int) -> Payment:
    try:
        return payment_for_seller(user=request.user, payment_id=payment_id)
    except NotFound as error:
        raise Http404(str(error)) from None


def _back(request: HttpRequest, payment: Payment) -> HttpResponse:
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return redirect(next_url)
    return redirect("market:order_detail", reference=payment.order.reference)


@login_required
@require_POST
def payment_confirm_view(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The seller sees the money in her account and says so: the order becomes paid."""
    payment = _payment_or_404(request, payment_id)
    try:
        payment_confirm(payment=payment, actor=request.user, via=Payment.ConfirmedBy.SELLER)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Đã ghi nhận: bạn đã nhận tiền cho đơn %(reference)s.") % {"reference": payment.reference},
        )
    return _back(request, payment)


@login_required
@require_POST
def payment_refund_view(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The seller has sent the money back to the buyer: the order becomes refunded."""
    payment = _payment_or_404(request, payment_id)
    try:
        payment_refund(payment=payment, actor=request.user, reason=request.POST.get("reason", "")[:500])
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Đã ghi nhận hoàn tiền cho đơn %(reference)s.") % {"reference": payment.reference}
        )
    return _back(request, payment)


@login_required
@require_http_methods(["GET", "POST"])
def statements_view(request: HttpRequest) -> HttpResponse:
    """Upload a bank statement; it is matched at once and the result shown. Earlier uploads below."""
    sellers = list(sellers_of_user(request.user))
    if not sellers:
        return forbidden(request, NOT_A_SELLER)
    form = StatementForm(request.POST or None, request.FILES or None, sellers=sellers)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            seller = next(s for s in sellers if s.pk == form.cleaned_data["seller"])
            upload = form.cleaned_data["file"]
            try:
                record = statement_import(
                    actor=request.user, seller=seller, file=upload, filename=upload.name
                )
            except DomainError as error:
                form.add_error("file", str(error))
                status = error.status
            else:
                return redirect("payments:statement", import_id=record.pk)
    page = Paginator(statement_imports_for_user(request.user), STATEMENTS_ON_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "payments/statements.html", {"form": form, "page": page}, status=status)


def _day(text: str) -> date | str:
    """A stored line's date (ISO when it could be read) as a date the template formats, else as written."""
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return text


@login_required
@require_GET
def statement_view(request: HttpRequest, import_id: int) -> HttpResponse:
    """One import: the lines that confirmed payments, and those that did not with the reason."""
    try:
        record = statement_import_for_user(user=request.user, import_id=import_id)
    except NotFound as error:
        raise Http404(str(error)) from None
    entries = [
        dict(entry, message=statement_reason(entry), day=_day(entry.get("date", "")))
        for entry in record.unmatched or []
    ]
    context = {
        "record": record,
        "matched": [e for e in entries if e["reason"] == "matched"],
        "unmatched": [e for e in entries if e["reason"] != "matched"],
    }
    return render(request, "payments/statement.html", context)
