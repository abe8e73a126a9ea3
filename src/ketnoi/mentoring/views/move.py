"""Move pages: a seller's revenue month by month, her baseline, graduation, and her product feed.

Revenue is the seller's sensitive data: only she (her leader and members)
and officers of her area open these pages; for anyone else the seller does
not exist here (404). A partner gets the product feed from the seller, as a
file, never these pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from ketnoi.accounts.permissions import forbidden
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.money import format_vnd
from ketnoi.core.text import fold
from ketnoi.market.charts import month_bars
from ketnoi.market.models import Seller

from ..forms import BaselineForm, RevenueMonthForm
from ..selectors import outcomes_of, programmes_of_seller, seller_for_outcomes, sellers_for_outcomes
from ..services.outcomes import (
    DEFAULT_MONTHS,
    DEFAULT_UPLIFT_PERCENT,
    baseline_period_end,
    baseline_set,
    current_month,
    graduation_check,
    month_before,
    month_people_set,
    product_feed,
    product_feed_csv,
    product_feed_xlsx,
    revenue_month_set,
    revenue_months_refresh,
    threshold_vnd,
)

SELLERS_SHOWN = 100
CHART_MONTHS = 12
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _seller(request: HttpRequest, slug: str) -> Seller:
    try:
        return seller_for_outcomes(request.user, slug)
    except NotFound as error:
        raise Http404(str(error)) from None


@login_required
@require_GET
def outcomes_list_view(request: HttpRequest) -> HttpResponse:
    """The sellers whose outcomes she records; a seller with one cooperative goes straight to it."""
    sellers = sellers_for_outcomes(request.user)
    query = request.GET.get("q", "")[:100].strip()
    if query:
        sellers = sellers.filter(name_folded__contains=fold(query))
    shown = list(sellers[: SELLERS_SHOWN + 1])
    if not query and len(shown) == 1 and shown[0].leader_id == request.user.pk:
        return redirect("mentoring:move_seller", seller_slug=shown[0].slug)
    if not shown and not query:
        return forbidden(
            request, _("Trang này dành cho người bán và cán bộ phụ trách địa bàn của người bán.")
        )
    context = {"sellers": shown[:SELLERS_SHOWN], "more": len(shown) > SELLERS_SHOWN, "query": query}
    return render(request, "mentoring/move/list.html", context)


def _chart(months: list[Any], baseline_vnd: int | None) -> Any:
    last = current_month()
    span = [last]
    while len(span) < CHART_MONTHS:
        span.insert(0, month_before(span[0]))
    by_month = {m.month: m.revenue_vnd for m in months}
    values = [by_month.get(m, 0) for m in span]
    description = (
        _("Doanh thu 12 tháng gần nhất; mức gốc %(baseline)s một tháng.")
        % {"baseline": format_vnd(baseline_vnd)}
        if baseline_vnd
        else _("Doanh thu 12 tháng gần nhất; chưa có mức gốc.")
    )
    return month_bars(
        chart_id="outcomes",
        title=str(_("Doanh thu theo tháng")),
        description=str(description),
        labels=[f"{m.month}/{m.year % 100:02d}" for m in span],
        values=values,
    )


def _page(
    request: HttpRequest,
    seller: Seller,
    *,
    revenue_form: RevenueMonthForm | None = None,
    baseline_form: BaselineForm | None = None,
    status: int = 200,
) -> HttpResponse:
    outcomes = outcomes_of(seller)
    baseline = outcomes.baseline
    context = {
        "seller": seller,
        "outcomes": outcomes,
        "baseline": baseline,
        "baseline_until": baseline_period_end(baseline) if baseline else None,
        "threshold": threshold_vnd(baseline.revenue_vnd, DEFAULT_UPLIFT_PERCENT) if baseline else None,
        "uplift_percent": DEFAULT_UPLIFT_PERCENT,
        "uplift_months": DEFAULT_MONTHS,
        "chart": _chart(outcomes.months, baseline.revenue_vnd if baseline else None),
        "revenue_form": revenue_form
        or RevenueMonthForm(initial={"month": month_before(current_month()), "new_buyers": 0}),
        "baseline_form": baseline_form or BaselineForm(),
        "programmes": programmes_of_seller(seller),
    }
    return render(request, "mentoring/move/seller.html", context, status=status)


@login_required
@require_GET
def outcomes_seller_view(request: HttpRequest, seller_slug: str) -> HttpResponse:
    return _page(request, _seller(request, seller_slug))


@login_required
@require_POST
def revenue_set_view(request: HttpRequest, seller_slug: str) -> HttpResponse:
    """Her figures for a month; with the amount left blank, only who benefited (the revenue stays)."""
    seller = _seller(request, seller_slug)
    form = RevenueMonthForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["revenue_vnd"] is None:
                row = month_people_set(
                    seller,
                    data["month"],
                    actor=request.user,
                    new_buyers=data["new_buyers"],
                    new_channels=form.channels() or None,
                    members_benefiting=data["members_benefiting"],
                    women_benefiting=data["women_benefiting"],
                )
            else:
                row = revenue_month_set(
                    seller,
                    data["month"],
                    actor=request.user,
                    revenue_vnd=data["revenue_vnd"],
                    new_buyers=data["new_buyers"] or 0,
                    new_channels=form.channels(),
                    members_benefiting=data["members_benefiting"] or 0,
                    women_benefiting=data["women_benefiting"] or 0,
                    confirm_unusual=data["confirm_unusual"],
                )
        except PermissionDenied as error:
            return forbidden(request, str(error))
        except DomainError as error:
            form.add_error("revenue_vnd" if error.code.startswith("revenue") else None, str(error))
        else:
            messages.success(
                request,
                _("Đã lưu tháng %(month)s: doanh thu %(amount)s, %(women)s phụ nữ hưởng lợi.")
                % {
                    "month": row.month.strftime("%m/%Y"),
                    "amount": format_vnd(row.revenue_vnd),
                    "women": row.women_benefiting,
                },
            )
            return redirect("mentoring:move_seller", seller_slug=seller.slug)
    return _page(request, seller, revenue_form=form, status=422)


@login_required
@require_POST
def baseline_set_view(request: HttpRequest, seller_slug: str) -> HttpResponse:
    seller = _seller(request, seller_slug)
    form = BaselineForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            baseline = baseline_set(
                seller,
                actor=request.user,
                revenue_vnd=data["revenue_vnd"] if data["source"] == "entered" else None,
                months=data["months"] or DEFAULT_MONTHS,
                until=data["until"],
            )
        except PermissionDenied as error:
            return forbidden(request, str(error))
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Mức gốc: %(amount)s một tháng (%(basis)s).")
                % {"amount": format_vnd(baseline.revenue_vnd), "basis": baseline.basis},
            )
            return redirect("mentoring:move_seller", seller_slug=seller.slug)
    return _page(request, seller, baseline_form=form, status=422)


@login_required
@require_POST
def revenue_refresh_view(request: HttpRequest, seller_slug: str) -> HttpResponse:
    seller = _seller(request, seller_slug)
    try:
        changed = revenue_months_refresh(seller, actor=request.user)
    except PermissionDenied as error:
        return forbidden(request, str(error))
    if changed:
        messages.success(
            request,
            _("Đã cập nhật doanh thu từ đơn hàng cho %(count)s tháng.") % {"count": len(changed)},
        )
    else:
        messages.info(request, _("Doanh thu từ đơn hàng đã đầy đủ, không có gì mới."))
    return redirect("mentoring:move_seller", seller_slug=seller.slug)


@login_required
@require_POST
def graduation_check_view(request: HttpRequest, seller_slug: str) -> HttpResponse:
    seller = _seller(request, seller_slug)
    wanted = request.POST.get("programme", "")
    programme = next((p for p in programmes_of_seller(seller) if p.code == wanted), None)
    try:
        graduation = graduation_check(seller, programme=programme, actor=request.user)
    except PermissionDenied as error:
        return forbidden(request, str(error))
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("mentoring:move_seller", seller_slug=seller.slug)
    if graduation is not None:
        messages.success(
            request,
            _("%(seller)s đã đạt mục tiêu: doanh thu tăng từ %(uplift)s%% trong %(months)s tháng liên tiếp.")
            % {
                "seller": seller.name,
                "uplift": graduation.criteria["uplift_percent"],
                "months": graduation.criteria["months"],
            },
        )
    else:
        messages.info(
            request,
            _(
                "Chưa đạt: cần %(months)s tháng liên tiếp sau giai đoạn gốc có doanh thu từ "
                "mức gốc + %(uplift)s%% trở lên. Hãy cập nhật doanh thu rồi xét lại."
            )
            % {"months": DEFAULT_MONTHS, "uplift": DEFAULT_UPLIFT_PERCENT},
        )
    return redirect("mentoring:move_seller", seller_slug=seller.slug)


@login_required
@require_GET
def product_feed_view(request: HttpRequest, seller_slug: str, fmt: str) -> HttpResponse:
    """Her active products as CSV or XLSX, for an e-commerce partner's or a buyer's catalogue."""
    if fmt not in ("csv", "xlsx"):
        raise Http404(_("Chỉ có tệp .csv hoặc .xlsx."))
    seller = _seller(request, seller_slug)
    rows = product_feed(seller, base_url=request.build_absolute_uri("/"))
    name = f"san-pham-{seller.slug}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(product_feed_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(product_feed_xlsx(rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
