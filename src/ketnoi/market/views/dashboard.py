"""The seller's dashboard: what waits for her, and her revenue by month (chart and table)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from ketnoi.accounts.permissions import forbidden
from ketnoi.core.money import format_vnd

from ..charts import month_bars
from ..selectors_orders import seller_revenue_by_month, seller_todo
from .orders import NOT_A_SELLER, chosen_seller

MONTHS = 12


@login_required
@require_GET
def seller_dashboard_view(request: HttpRequest) -> HttpResponse:
    seller, sellers = chosen_seller(request)
    if seller is None:
        return forbidden(request, NOT_A_SELLER)
    months = seller_revenue_by_month(seller=seller, months=MONTHS)
    total = sum(m.total_vnd for m in months)
    best = max(months, key=lambda m: m.total_vnd)
    description = (
        _("Tổng %(total)s trong %(count)s tháng; cao nhất %(best)s vào tháng %(month)s.")
        % {
            "total": format_vnd(total),
            "count": MONTHS,
            "best": format_vnd(best.total_vnd),
            "month": best.month.strftime("%m/%Y"),
        }
        if total
        else _("Chưa có doanh thu trong %(count)s tháng qua.") % {"count": MONTHS}
    )
    chart = month_bars(
        chart_id="revenue",
        title=str(_("Doanh thu theo tháng")),
        description=str(description),
        labels=[f"{m.month.month}/{m.month.year % 100:02d}" for m in months],
        values=[m.total_vnd for m in months],
    )
    context = {
        "seller": seller,
        "sellers": sellers,
        "todo": seller_todo(seller),
        "months": list(reversed(months)),  # the table: newest first
        "total": total,
        "chart": chart,
        "description": description,
    }
    return render(request, "market/dashboard/dashboard.html", context)
