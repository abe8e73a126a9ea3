"""Officers' figures and files: the poverty dashboard, importing a roll, exporting households.

What an officer sees is limited to her areas: the dashboard reads only
assessments of households her scopes cover (a commune officer her commune,
a programme officer her province, an administrator the country), an import
goes only into a commune she covers, an export holds only her households.
Every page issues the same number of queries whatever the amount of data:
the figures come from one query into a Polars frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.network import client_ip
from ketnoi.accounts.permissions import role_required
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.scopes import AreaScope
from ketnoi.places.models import Commune
from ketnoi.poverty import PovertyInputError, standards
from ketnoi.poverty.standards import Standard

from .. import charts, reports
from ..models import ImportBatch
from ..selectors import REGISTRY_ROLES, officer_scopes
from ..services.imports import (
    MAX_IMPORT_BYTES,
    households_export,
    import_batch_for_officer,
    import_check,
    import_commit,
    import_discard,
    import_summary,
    import_template,
)

officer_required = role_required(*REGISTRY_ROLES)
ERRORS_SHOWN = 200  # a page stays light on a phone; fix these, check again, see the next ones
CHART_MAX_GROUPS = 30  # more bars than this do not read on a phone; the table has them all
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _percent(value: float) -> str:
    return f"{number_format(value * 100, decimal_pos=1)}%"


def _decimal(value: float) -> str:
    return number_format(value, decimal_pos=3)


# --- Dashboard ----------------------------------------------------------------------


@dataclass
class Dashboard:
    standard: Standard
    year: int | None
    years: list[int]
    level: str
    groups: list[reports.GroupFigures]
    total: reports.GroupFigures
    contributions: list[tuple[str, str, float]]
    trend: list[reports.GroupFigures]


def _level(scopes: list[AreaScope]) -> str:
    """Communes for commune and province officers; provinces for a national view."""
    return "province" if any(s.is_national for s in scopes) else "commune"


def _dashboard(request: HttpRequest) -> Dashboard:
    try:
        standard = reports.standard_choose(request.GET.get("standard") or None)
    except PovertyInputError:
        raise Http404(_("Không có chuẩn nghèo này.")) from None
    scopes = officer_scopes(request.user)
    every_year = reports.assessment_frame(reports.assessments_in(scopes), standard)
    years = sorted(every_year.get_column("year").unique().to_list())
    try:
        asked = int(request.GET.get("year") or 0)
    except ValueError:
        asked = 0
    year = asked if asked in years else (years[-1] if years else None)
    current = reports.latest_per_household(every_year, year) if year is not None else every_year
    level = _level(scopes)
    groups, total = reports.figures_by(current, standard, level)
    trend, _all_years = reports.figures_by(every_year, standard, "year")
    return Dashboard(
        standard=standard,
        year=year,
        years=years,
        level=level,
        groups=groups,
        total=total,
        contributions=reports.contributions(current, standard),
        trend=trend,
    )


def _charts(board: Dashboard) -> dict[str, Any]:
    shown = sorted(board.groups, key=lambda g: (-g.headcount_ratio, g.label))[:CHART_MAX_GROUPS]
    by_area = charts.bar_chart(
        chart_id="chart-area",
        title=str(_("Tỷ lệ hộ nghèo và M0 theo địa bàn")),
        description=str(
            _("Mỗi địa bàn có hai thanh: tỷ lệ hộ nghèo (phần trăm) và chỉ số nghèo đa chiều M0 (phần trăm).")
        ),
        labels=[g.label for g in shown],
        series=[
            charts.Series(
                str(_("Tỷ lệ hộ nghèo")),
                [g.headcount_ratio for g in shown],
                [_percent(g.headcount_ratio) for g in shown],
            ),
            charts.Series(str(_("M0")), [g.M0 for g in shown], [_decimal(g.M0) for g in shown]),
        ],
        max_value=max([0.05, *(max(g.headcount_ratio, g.M0) for g in shown)]),
    )
    contribution = charts.bar_chart(
        chart_id="chart-contribution",
        title=str(_("Đóng góp của từng chỉ số vào M0")),
        description=str(_("Phần trăm M0 do mỗi chỉ số thiếu hụt đóng góp; các phần cộng lại là 100%.")),
        labels=[label for _code, label, _share in board.contributions],
        series=[
            charts.Series(
                str(_("Đóng góp")),
                [share for _c, _l, share in board.contributions],
                [_percent(share) for _c, _l, share in board.contributions],
            )
        ],
    )
    trend = charts.line_chart(
        chart_id="chart-trend",
        title=str(_("Diễn biến theo năm")),
        description=str(_("Tỷ lệ hộ nghèo và M0 của từng năm có kết quả rà soát.")),
        labels=[str(g.key) for g in board.trend],
        series=[
            charts.Series(
                str(_("Tỷ lệ hộ nghèo")),
                [g.headcount_ratio for g in board.trend],
                [_percent(g.headcount_ratio) for g in board.trend],
            ),
            charts.Series(str(_("M0")), [g.M0 for g in board.trend], [_decimal(g.M0) for g in board.trend]),
        ],
        max_value=max([0.05, *(max(g.headcount_ratio, g.M0) for g in board.trend)]),
    )
    return {
        "chart_area": by_area,
        "chart_contribution": contribution,
        "chart_trend": trend,
        "shown": len(shown),
    }


@officer_required
@require_GET
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Poverty figures of the officer's area: by commune (or province), by indicator, by year."""
    board = _dashboard(request)
    context = {
        "board": board,
        "level_label": reports.GROUP_LABELS[board.level],
        "standards": reports.national_standards(),
        "standard_title": standards.text(board.standard.title),
        "contribution_rows": [(label, share * 100) for _code, label, share in board.contributions],
        **_charts(board),
    }
    return render(request, "registry/insight/dashboard.html", context)


def _figure_rows(groups: list[reports.GroupFigures], total: reports.GroupFigures) -> list[list[Any]]:
    return [g.as_row() for g in groups] + [total.as_row()]


@officer_required
@require_GET
def dashboard_xlsx_view(request: HttpRequest) -> HttpResponse:
    """The dashboard's numbers as a spreadsheet: by area, by indicator, by year."""
    board = _dashboard(request)
    content = reports.workbook_bytes(
        [
            (
                str(_("Theo địa bàn")),
                reports.headers_for(board.level),
                _figure_rows(board.groups, board.total),
            ),
            (
                str(_("Đóng góp chỉ số")),
                [_("Chỉ số"), _("Mã"), _("Tỷ lệ đóng góp vào M0")],
                [[label, code, round(share, 4)] for code, label, share in board.contributions],
            ),
            (
                str(_("Theo năm")),
                reports.headers_for("year"),
                [[g.key, *g.as_row()[1:]] for g in board.trend],
            ),
        ]
    )
    response = HttpResponse(content, content_type=XLSX_TYPE)
    name = f"so-lieu-ngheo-{board.standard.code}-{board.year or 'all'}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Import ---------------------------------------------------------------------------


def _communes_covered(scopes: list[AreaScope]) -> list[Commune] | None:
    """The communes an officer may import into; ``None`` for a national scope (typed as a code)."""
    if any(s.is_national for s in scopes):
        return None
    condition = Q(pk__in=[])
    for scope in scopes:
        if scope.commune_code is not None:
            condition |= Q(code=scope.commune_code)
        elif scope.province_code is not None:
            condition |= Q(province_id=scope.province_code)
    return list(
        Commune.objects.filter(condition).select_related("province").order_by("province_id", "name_folded")
    )


class ImportForm(forms.Form):
    commune = forms.TypedChoiceField(label=_("Xã/phường"), coerce=int)
    file = forms.FileField(
        label=_("Tệp danh sách hộ (.xlsx hoặc .csv)"),
        help_text=_("Mỗi dòng là một người; người cùng hộ ghi cùng mã hộ. Tối đa %(max)s MB.")
        % {"max": MAX_IMPORT_BYTES // (1024 * 1024)},
    )

    def __init__(self, *args: Any, communes: list[Commune] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["commune"]
        if communes is None:
            self.fields["commune"] = forms.IntegerField(
                label=_("Mã xã/phường"),
                min_value=1,
                help_text=_("Mã số của xã/phường theo danh mục hành chính."),
            )
        else:
            field.choices = [(c.code, f"{c.name}, {c.province.name}") for c in communes]  # type: ignore[attr-defined]
            if len(communes) == 1:
                field.initial = communes[0].code


@officer_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    """Upload a roll: it is checked (a dry run, nothing saved) and its report shown."""
    scopes = officer_scopes(request.user)
    communes = _communes_covered(scopes)
    form = ImportForm(request.POST or None, request.FILES or None, communes=communes)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            commune = (
                Commune.objects.select_related("province").filter(pk=form.cleaned_data["commune"]).first()
            )
            try:
                if commune is None:
                    raise NotFound(_("Không tìm thấy xã/phường này trong địa bàn của bạn."))
                batch = import_check(
                    actor=request.user,
                    commune=commune,
                    file=form.cleaned_data["file"],
                    ip_address=client_ip(request),
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                return redirect("registry:import_batch", batch_id=batch.pk)
    return render(request, "registry/insight/import_upload.html", {"form": form}, status=status)


def _batch_or_404(request: HttpRequest, batch_id: int) -> ImportBatch:
    try:
        return import_batch_for_officer(user=request.user, batch_id=batch_id)
    except NotFound as error:
        raise Http404(str(error)) from None


@officer_required
@require_GET
def import_batch_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The dry run's report: how many households will be saved, and every bad row by line."""
    batch = _batch_or_404(request, batch_id)
    entries = [e for e in batch.report if e.get("level") != "summary"]
    errors = [e for e in entries if e.get("level") == "error"]
    context = {
        "batch": batch,
        "summary": import_summary(batch),
        "errors": errors[:ERRORS_SHOWN],
        "errors_hidden": max(0, len(errors) - ERRORS_SHOWN),
        "warnings": [e for e in entries if e.get("level") == "warning"][:ERRORS_SHOWN],
        "can_commit": batch.state == ImportBatch.State.CHECKED,
    }
    return render(request, "registry/insight/import_batch.html", context)


@officer_required
@require_POST
def import_commit_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch_or_404(request, batch_id)
    try:
        batch = import_commit(actor=request.user, batch=batch, ip_address=client_ip(request))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        summary = import_summary(batch)
        messages.success(
            request,
            _("Đã lưu %(ok)s hộ; %(bad)s hộ có lỗi không được lưu.")
            % {"ok": summary["households_ok"], "bad": summary["households_bad"]},
        )
    return redirect("registry:import_batch", batch_id=batch.pk)


@officer_required
@require_POST
def import_discard_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch_or_404(request, batch_id)
    try:
        import_discard(actor=request.user, batch=batch, ip_address=client_ip(request))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Đã huỷ lần nhập này; không lưu hộ nào."))
    return redirect("registry:import")


@officer_required
@require_GET
def import_template_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(import_template(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="mau-danh-sach-ho.xlsx"'
    return response


# --- Export ---------------------------------------------------------------------------


@officer_required
@require_GET
def export_view(request: HttpRequest, format: str) -> HttpResponse:
    """The officer's households, one row per member, CCCDs masked; streamed as it is written."""
    commune = None
    if request.GET.get("commune"):
        try:
            commune = Commune.objects.filter(pk=int(request.GET["commune"])).first()
        except ValueError:
            commune = None
        if commune is None:
            raise Http404(_("Không tìm thấy xã/phường này."))
    try:
        export = households_export(
            actor=request.user, format=format, commune=commune, ip_address=client_ip(request)
        )
    except DomainError as error:
        raise Http404(str(error)) from None
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response  # type: ignore[return-value] # role_required is typed for HttpResponse
