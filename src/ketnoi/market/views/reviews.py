"""Review pages: the buyer rates each product of a delivered order, once."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ketnoi.core.errors import DomainError, NotFound

from .. import selectors_talk as selectors
from ..forms_talk import ReviewForm
from ..models import Order, OrderLine
from ..services.reviews import review_create


def _form(line_id: int, data: QueryDict | None = None) -> ReviewForm:
    # One form per line on the page: ids carry the line so labels find their inputs.
    return ReviewForm(data, auto_id=f"id_line{line_id}_%s")


def _order_page(
    request: HttpRequest, order: Order, *, forms: dict[int, ReviewForm], status: int
) -> HttpResponse:
    lines = [
        {"line": line, "review": selectors.line_review(line), "form": forms.get(line.pk) or _form(line.pk)}
        for line in order.lines.all()
    ]
    return render(
        request,
        "market/talk/reviews.html",
        {"order": order, "lines": lines, "open": order.state in selectors.REVIEWABLE_STATES},
        status=status,
    )


@login_required
@never_cache
@require_GET
def review_order_view(request: HttpRequest, reference: str) -> HttpResponse:
    """The lines of her order, each with its review or a form to write one."""
    try:
        order = selectors.order_for_reviews(user=request.user, reference=reference)
    except NotFound as error:
        raise Http404(str(error)) from None
    return _order_page(request, order, forms={}, status=200)


@login_required
@require_POST
def review_create_view(request: HttpRequest, line_id: int) -> HttpResponse:
    """Save her review of one line; back to the order's review page."""
    try:
        line: OrderLine = selectors.line_for_review(user=request.user, line_id=line_id)
    except NotFound as error:
        raise Http404(str(error)) from None
    form = _form(line.pk, request.POST)
    status = 400
    if form.is_valid():
        try:
            review_create(
                line=line,
                author=request.user,
                stars=form.cleaned_data["stars"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except DomainError as error:
            form.add_error(None, str(error))
            status = error.status
        else:
            messages.success(request, _("Cảm ơn bạn! Nhận xét đã được đăng."))
            return redirect("market:review_order", reference=line.order.reference)
    order = selectors.order_for_reviews(user=request.user, reference=line.order.reference)
    return _order_page(request, order, forms={line.pk: form}, status=status)
