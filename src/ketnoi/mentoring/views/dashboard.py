"""The 4M dashboard for programme officers and administrators: funnel, indicators, graduates, XLSX.

The same figures as ``GET /api/v1/indicators`` (``indicators.py``), limited
to the officer's area and narrowed by programme and province. Charts are
SVG drawn on the server; each has the same numbers in a table under it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from ketnoi.accounts.permissions import forbidden, role_required
from ketnoi.core.errors import NotFound, PermissionDenied
from ketnoi.places.models import Province
from ketnoi.registry import charts
from ketnoi.registry.reports import workbook_bytes

from ..forms import DashboardFilterForm
from ..indicators import (
    FUNNEL_LABELS,
    INDICATOR_ROLES,
    Board,
    GraduateRow,
    board_build,
    board_filters,
    graduates_build,
    indicator_scopes,
    programmes_for_user,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHART_MAX_PROVINCES = 20

officer_required = role_required(*INDICATOR_ROLES)


def _provinces(user: Any) -> list[tuple[int, str]]:
    scopes = indicator_scopes(user)
    provinces = Province.objects.order_by("name_folded")
    if not any(s.is_national for s in scopes):
        provinces = provinces.filter(code__in=[s.province_code for s in scopes if s.province_code])
    return list(provinces.values_list("code", "name"))


def _board(request: HttpRequest) -> tuple[Board, list[GraduateRow], DashboardFilterForm]:
    provinces = _provinces(request.user)
    form = DashboardFilterForm(request.GET, programmes=programmes_for_user(request.user), provinces=provinces)
    form.is_valid()  # a choice not offered is dropped; the other filter still applies
    programme_code = form.cleaned_data.get("programme") or None
    province_code = form.cleaned_data.get("province")
    scopes, programme, province = board_filters(
        request.user, programme_code=programme_code, province_code=province_code
    )
    board = board_build(scopes, programme=programme, province=province)
    return board, graduates_build(scopes, programme=programme, province=province), form


def _charts(board: Board) -> dict[str, Any]:
    funnel = board.total.funnel()
    indicators = board.indicators
    shown = sorted(board.provinces, key=lambda a: (-a.matched, a.name))[:CHART_MAX_PROVINCES]
    return {
        "chart_funnel": charts.bar_chart(
            chart_id="chart-funnel",
            title=str(_("Từ đăng ký đến tốt nghiệp")),
            description=str(
                _("Số người bán ở mỗi bước: đăng ký nhu cầu, được kết nối, được cố vấn, tốt nghiệp.")
            ),
            labels=[label for _code, label, _value in funnel],
            series=[
                charts.Series(
                    str(_("Người bán")), [v for _c, _l, v in funnel], [str(v) for _c, _l, v in funnel]
                )
            ],
        ),
        "chart_indicators": charts.bar_chart(
            chart_id="chart-indicators",
            title=str(_("Các chỉ số của chương trình")),
            description=str(_("Mỗi chỉ số một thanh, số ghi bên cạnh.")),
            labels=[item.label for item in indicators],
            series=[
                charts.Series(
                    str(_("Giá trị")),
                    [item.value for item in indicators],
                    [str(item.value) for item in indicators],
                )
            ],
        ),
        "chart_provinces": charts.bar_chart(
            chart_id="chart-provinces",
            title=str(_("Theo tỉnh")),
            description=str(_("Mỗi tỉnh ba thanh: người bán được kết nối, được cố vấn, tốt nghiệp.")),
            labels=[a.name for a in shown],
            series=[
                charts.Series(
                    str(FUNNEL_LABELS[key]),
                    [getattr(a, key) for a in shown],
                    [str(getattr(a, key)) for a in shown],
                )
                for key in ("matched", "mentored", "graduated")
            ],
        ),
    }


@officer_required
@require_GET
def dashboard_view(request: HttpRequest) -> HttpResponse:
    try:
        board, graduates, form = _board(request)
    except PermissionDenied as error:
        return forbidden(request, str(error))
    except NotFound as error:
        return render(request, "404.html", {"exception": str(error)}, status=404)
    context = {"board": board, "graduates": graduates, "form": form, **_charts(board)}
    return render(request, "mentoring/dashboard/dashboard.html", context)


@officer_required
@require_GET
def dashboard_xlsx_view(request: HttpRequest) -> HttpResponse:
    """The dashboard's numbers as a spreadsheet: indicators, funnel, by province, graduates."""
    try:
        board, graduates, _form = _board(request)
    except PermissionDenied as error:
        return forbidden(request, str(error))
    except NotFound as error:
        return render(request, "404.html", {"exception": str(error)}, status=404)
    province_headers = [
        _("Tỉnh/thành phố"),
        *FUNNEL_LABELS.values(),
        _("Kết nối được hai bên đồng ý"),
        _("Kết nối đã hoàn thành"),
        _("Buổi tư vấn đã diễn ra"),
        _("Hợp tác xã có doanh thu tăng từ 30% trở lên"),
        _("Phụ nữ hưởng lợi"),
    ]

    def province_row(a: Any) -> list[Any]:
        return [
            a.name,
            a.registered,
            a.matched,
            a.mentored,
            a.graduated,
            a.matches_made,
            a.matches_completed,
            a.sessions_held,
            a.revenue_up,
            a.women_benefiting,
        ]

    content = workbook_bytes(
        [
            (
                str(_("Chỉ số")),
                [_("Mã"), _("Chỉ số"), _("Giá trị"), _("Ngày tính")],
                [[i.code, i.label, i.value, i.as_of.isoformat()] for i in board.indicators],
            ),
            (
                str(_("Từ đăng ký đến tốt nghiệp")),
                [_("Bước"), _("Người bán")],
                [[label, value] for _code, label, value in board.total.funnel()],
            ),
            (
                str(_("Theo tỉnh")),
                province_headers,
                [*(province_row(a) for a in board.provinces), province_row(board.total)],
            ),
            (
                str(_("Tốt nghiệp")),
                [
                    _("Người bán"),
                    _("Tỉnh/thành phố"),
                    _("Ngày"),
                    _("Chương trình"),
                    _("Mức gốc (đồng)"),
                    _("Bằng chứng"),
                ],
                [
                    [
                        g.seller,
                        g.province,
                        g.graduated_on.isoformat(),
                        g.programme,
                        g.baseline_vnd,
                        "; ".join(f"{m['month']}: {m['revenue_vnd']} ({m['source']})" for m in g.months),
                    ]
                    for g in graduates
                ],
            ),
        ]
    )
    response = HttpResponse(content, content_type=XLSX_TYPE)
    suffix = board.programme.code if board.programme else "tat-ca"
    response["Content-Disposition"] = f'attachment; filename="chi-so-4m-{suffix}-{board.as_of:%Y-%m-%d}.xlsx"'
    return response
