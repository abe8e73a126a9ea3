"""The programmes dashboard: planned against paid, failures, reconciliation, open complaints; and its XLSX.

Officers see only their areas (``access.programme_scopes``); the figures come
from ``dashboards.programme_dashboard`` in a fixed number of queries. Charts
are inline SVG drawn on the server (``registry.charts``); each has its table.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from ketnoi.accounts.permissions import role_required
from ketnoi.registry import charts
from ketnoi.registry.reports import workbook_bytes

from ..access import PROGRAMME_VIEWER_ROLES
from ..dashboards import Dashboard, PaymentFigures, age_labels, dashboard_sheets, programme_dashboard

viewer_required = role_required(*PROGRAMME_VIEWER_ROLES)
CHART_MAX_ROWS = 30  # more bars than this do not read on a phone; the tables have them all
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MILLION = 1_000_000


def _millions(amount: int) -> str:
    return str(_("%(amount)s tr") % {"amount": number_format(amount / MILLION, decimal_pos=1)})


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{number_format(share * 100, decimal_pos=0)}%"


def _board(request: HttpRequest) -> Dashboard:
    return programme_dashboard(request.user, programme_code=request.GET.get("programme") or None)


def _money_chart(chart_id: str, title: Any, rows: list[PaymentFigures]) -> str:
    shown = rows[:CHART_MAX_ROWS]
    peak = max([1, *(max(f.planned_vnd, f.paid_vnd) for f in shown)])
    return charts.bar_chart(
        chart_id=chart_id,
        title=str(title),
        description=str(
            _("Mỗi nơi có hai thanh: số tiền dự kiến chi và số tiền đã đến tay các hộ, tính bằng triệu đồng.")
        ),
        labels=[f.label for f in shown],
        series=[
            charts.Series(
                str(_("Dự kiến")), [f.planned_vnd for f in shown], [_millions(f.planned_vnd) for f in shown]
            ),
            charts.Series(
                str(_("Đã chi")), [f.paid_vnd for f in shown], [_millions(f.paid_vnd) for f in shown]
            ),
        ],
        max_value=peak * 1.2,  # room for the value written after the longest bar
    )


def _charts(board: Dashboard) -> dict[str, Any]:
    shown = board.communes[:CHART_MAX_ROWS]
    shares = charts.bar_chart(
        chart_id="chart-shares",
        title=str(_("Tỷ lệ đã chi và đã đối soát theo xã")),
        description=str(
            _(
                "Mỗi xã có hai thanh: phần trăm số tiền dự kiến đã chi, và phần trăm khoản đã chuyển đi "
                "đã biết kết quả (đã nhận hoặc không chi được)."
            )
        ),
        labels=[f.label for f in shown],
        series=[
            charts.Series(
                str(_("Đã chi")),
                [f.paid_share or 0.0 for f in shown],
                [_percent(f.paid_share) for f in shown],
            ),
            charts.Series(
                str(_("Đã đối soát")),
                [f.reconciled_share or 0.0 for f in shown],
                [_percent(f.reconciled_share) for f in shown],
            ),
        ],
        max_value=1.2,
    )
    ages = charts.bar_chart(
        chart_id="chart-grievances",
        title=str(_("Phản ánh chưa giải quyết theo thời gian chờ")),
        description=str(_("Số phản ánh còn mở, chia theo số ngày đã chờ kể từ khi gửi.")),
        labels=[str(label) for label in age_labels()],
        series=[
            charts.Series(
                str(_("Phản ánh")),
                [float(n) for n in board.grievances_total.by_age],
                [str(n) for n in board.grievances_total.by_age],
            )
        ],
        max_value=max([1, *board.grievances_total.by_age]) * 1.2,
    )
    return {
        "chart_programmes": _money_chart(
            "chart-programmes", _("Dự kiến và đã chi theo chương trình"), board.programmes
        ),
        "chart_communes": _money_chart("chart-communes", _("Dự kiến và đã chi theo xã"), board.communes),
        "chart_shares": shares,
        "chart_grievances": ages,
        "chart_rows_hidden": max(0, len(board.communes) - CHART_MAX_ROWS),
    }


@viewer_required
@require_GET
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Planned vs paid by programme and by commune, failures, reconciled share, open complaints by age."""
    board = _board(request)
    context = {
        "board": board,
        "age_labels": age_labels(),
        **_charts(board),
    }
    return render(request, "programmes/insight/dashboard.html", context)


@viewer_required
@require_GET
def dashboard_xlsx_view(request: HttpRequest) -> HttpResponse:
    """The dashboard's tables as a spreadsheet, one sheet per table."""
    board = _board(request)
    response = HttpResponse(workbook_bytes(dashboard_sheets(board)), content_type=XLSX_TYPE)
    suffix = f"-{slugify(board.chosen.code)}" if board.chosen else ""
    response["Content-Disposition"] = f'attachment; filename="so-lieu-chi-tra{suffix}.xlsx"'
    return response
