"""The 4M figures per programme and province: the funnel and the programme's indicators.

Read by the officers' dashboard, its XLSX export and ``GET /api/v1/indicators``.
Everything is limited to the caller's area (a programme officer's province,
an administrator's country) and can be narrowed to one programme (its
rounds' matches and its graduations) and one province. Each board costs the
same few grouped queries whatever the number of sellers.

The funnel counts sellers: *registered* (declared her needs), *matched*
(a match both sides accepted, or completed since), *mentored* (a plan with
at least one session held), *graduated* (a graduation recorded).
*Revenue up 30 %* counts sellers whose average monthly revenue over the last
three complete months is at least 130 % of their baseline; *women
benefiting* adds, for each seller, the most women she reported benefiting
in any month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role
from ketnoi.accounts.selectors import user_scopes
from ketnoi.core.errors import NotFound, PermissionDenied
from ketnoi.core.scopes import AreaScope, scope_q
from ketnoi.market.models import Seller
from ketnoi.places.models import Province
from ketnoi.programmes.models import Programme

from .models import Baseline, Graduation, Match, RevenueMonth, SellerNeeds, Session
from .services.outcomes import month_after, month_before, month_start

INDICATOR_ROLES = (Role.ADMINISTRATOR, Role.PROGRAMME_OFFICER)
UPLIFT_PERCENT = 30
UPLIFT_MONTHS = 3
MADE = (Match.State.ACCEPTED, Match.State.COMPLETED)

INDICATOR_LABELS: dict[str, Promise] = {
    "cooperatives_revenue_up_30": _("Hợp tác xã có doanh thu tăng từ 30% trở lên"),
    "women_benefiting": _("Phụ nữ hưởng lợi"),
    "matches_made": _("Kết nối được hai bên đồng ý"),
    "matches_completed": _("Kết nối đã hoàn thành"),
    "sessions_held": _("Buổi tư vấn đã diễn ra"),
    "graduated": _("Người bán đạt mục tiêu (tốt nghiệp)"),
}
FUNNEL_LABELS: dict[str, Promise] = {
    "registered": _("Đăng ký nhu cầu"),
    "matched": _("Được kết nối"),
    "mentored": _("Được cố vấn"),
    "graduated": _("Tốt nghiệp"),
}


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    value: int
    as_of: date


@dataclass
class AreaFigures:
    """The figures of one province (or the total)."""

    code: int | None
    name: str
    registered: int = 0
    matched: int = 0
    mentored: int = 0
    graduated: int = 0
    matches_made: int = 0
    matches_completed: int = 0
    sessions_held: int = 0
    revenue_up: int = 0
    women_benefiting: int = 0

    def funnel(self) -> list[tuple[str, str, int]]:
        return [(code, str(label), getattr(self, code)) for code, label in FUNNEL_LABELS.items()]

    def indicator_values(self) -> dict[str, int]:
        return {
            "cooperatives_revenue_up_30": self.revenue_up,
            "women_benefiting": self.women_benefiting,
            "matches_made": self.matches_made,
            "matches_completed": self.matches_completed,
            "sessions_held": self.sessions_held,
            "graduated": self.graduated,
        }


@dataclass
class Board:
    as_of: date
    programme: Programme | None
    province: Province | None
    total: AreaFigures
    provinces: list[AreaFigures] = field(default_factory=list)
    revenue_window: tuple[date, date] | None = None

    @property
    def indicators(self) -> list[Indicator]:
        values = self.total.indicator_values()
        return [
            Indicator(code=code, label=str(label), value=values[code], as_of=self.as_of)
            for code, label in INDICATOR_LABELS.items()
        ]


# --- Who may read, and what ---------------------------------------------------------------------


def indicator_scopes(user: Any) -> list[AreaScope]:
    """The areas ``user`` reads figures for: her programme-officer provinces, or the country."""
    return user_scopes(user, roles=INDICATOR_ROLES)


def board_filters(
    user: Any, *, programme_code: str | None = None, province_code: int | None = None
) -> tuple[list[AreaScope], Programme | None, Province | None]:
    """The caller's scopes and the chosen programme and province.

    ``PermissionDenied`` for a caller without an officer's or administrator's
    area, or a province outside it; ``NotFound`` for an unknown code.
    """
    scopes = indicator_scopes(user)
    if not scopes:
        raise PermissionDenied(
            _("Chỉ cán bộ chương trình và quản trị viên mới xem được số liệu 4M."), code="permission_denied"
        )
    programme = None
    if programme_code:
        programme = Programme.objects.filter(code=programme_code).first()
        if programme is None:
            raise NotFound(
                _("Không có chương trình mã “%(code)s”."),
                code="programme_not_found",
                params={"code": programme_code},
            )
    province = None
    if province_code is not None:
        province = Province.objects.filter(code=province_code).first()
        if province is None:
            raise NotFound(
                _("Không có tỉnh/thành phố mã %(code)s."),
                code="province_not_found",
                params={"code": province_code},
            )
        if not any(s.is_national or s.province_code == province.code for s in scopes):
            raise PermissionDenied(
                _("Tỉnh %(province)s không thuộc địa bàn bạn phụ trách."),
                code="province_forbidden",
                params={"province": province.name},
            )
    return scopes, programme, province


# --- The board ----------------------------------------------------------------------------------

_PROVINCE = "seller__commune__province_id"
_PROVINCE_NAME = "seller__commune__province__name"


def _sellers(
    scopes: Iterable[AreaScope], programme: Programme | None, province: Province | None
) -> QuerySet[Seller]:
    sellers = Seller.objects.filter(scope_q(scopes, commune_path="commune"))
    if province is not None:
        sellers = sellers.filter(commune__province_id=province.code)
    if programme is not None and programme.province_id is not None:
        sellers = sellers.filter(commune__province_id=programme.province_id)
    return sellers


def _grouped(queryset: QuerySet[Any], prefix: str = "", **aggregates: Any) -> Iterable[dict[str, Any]]:
    return (
        queryset.values(f"{prefix}{_PROVINCE}", f"{prefix}{_PROVINCE_NAME}")
        .annotate(**aggregates)
        .order_by(f"{prefix}{_PROVINCE}")
    )


def revenue_window(as_of: date) -> tuple[date, date]:
    """The last ``UPLIFT_MONTHS`` complete months before ``as_of``'s month: (first, last)."""
    last = month_before(month_start(as_of))
    first = last
    for _i in range(UPLIFT_MONTHS - 1):
        first = month_before(first)
    return first, last


def board_build(
    scopes: list[AreaScope],
    *,
    programme: Programme | None = None,
    province: Province | None = None,
    as_of: date | None = None,
) -> Board:
    """The funnel and indicators of the area, in total and per province (seven queries)."""
    today = as_of or timezone.localdate()
    sellers = _sellers(scopes, programme, province)
    matches = Match.objects.filter(seller__in=sellers)
    graduations = Graduation.objects.filter(seller__in=sellers)
    if programme is not None:
        matches = matches.filter(round__programme=programme)
        graduations = graduations.filter(programme=programme)
        # The people a programme reached: matched in its rounds, or graduated under it.
        population = sellers.filter(
            Q(pk__in=matches.filter(state__in=MADE).values("seller")) | Q(pk__in=graduations.values("seller"))
        )
    else:
        population = sellers
    areas: dict[int, AreaFigures] = {}

    def area(row: dict[str, Any], prefix: str = "") -> AreaFigures:
        code = row[f"{prefix}{_PROVINCE}"]
        if code not in areas:
            areas[code] = AreaFigures(code=code, name=row[f"{prefix}{_PROVINCE_NAME}"])
        return areas[code]

    for row in _grouped(SellerNeeds.objects.filter(seller__in=sellers), n=Count("seller", distinct=True)):
        area(row).registered = row["n"]
    for row in _grouped(
        matches,
        matched=Count("seller", distinct=True, filter=Q(state__in=MADE)),
        made=Count("pk", filter=Q(state__in=MADE)),
        completed=Count("pk", filter=Q(state=Match.State.COMPLETED)),
    ):
        figures = area(row)
        figures.matched, figures.matches_made, figures.matches_completed = (
            row["matched"],
            row["made"],
            row["completed"],
        )
    for row in _grouped(
        Session.objects.filter(held=True, plan__match__in=matches),
        prefix="plan__match__",
        mentored=Count("plan__match__seller", distinct=True),
        held=Count("pk"),
    ):
        figures = area(row, "plan__match__")
        figures.mentored, figures.sessions_held = row["mentored"], row["held"]
    for row in _grouped(graduations, n=Count("seller", distinct=True)):
        area(row).graduated = row["n"]
    _women(population, area)
    window = revenue_window(today)
    _revenue_up(population, window, area)
    provinces = sorted(areas.values(), key=lambda a: a.name)
    total = AreaFigures(code=None, name=str(_("Tổng cộng")))
    for figures in provinces:
        for name in (
            "registered",
            "matched",
            "mentored",
            "graduated",
            "matches_made",
            "matches_completed",
            "sessions_held",
            "revenue_up",
            "women_benefiting",
        ):
            setattr(total, name, getattr(total, name) + getattr(figures, name))
    return Board(
        as_of=today,
        programme=programme,
        province=province,
        total=total,
        provinces=provinces,
        revenue_window=window,
    )


def _women(population: QuerySet[Seller], area: Any) -> None:
    per_seller = (
        RevenueMonth.objects.filter(seller__in=population)
        .values("seller", _PROVINCE, _PROVINCE_NAME)
        .annotate(women=Max("women_benefiting"))
        .order_by("seller")
    )
    for row in per_seller:
        area(row).women_benefiting += int(row["women"] or 0)


def _revenue_up(population: QuerySet[Seller], window: tuple[date, date], area: Any) -> None:
    first, last = window
    baselines = {
        row["seller"]: row
        for row in Baseline.objects.filter(seller__in=population, revenue_vnd__gt=0).values(
            "seller", "revenue_vnd", _PROVINCE, _PROVINCE_NAME
        )
    }
    sums: dict[int, int] = defaultdict(int)
    for seller_id, total in (
        RevenueMonth.objects.filter(seller__in=population, month__gte=first, month__lt=month_after(last))
        .values("seller")
        .annotate(total=Sum("revenue_vnd"))
        .values_list("seller", "total")
    ):
        sums[seller_id] = int(total or 0)
    for seller_id, row in baselines.items():
        # average ≥ baseline × 1.3  ⇔  100 × sum ≥ months × baseline × 130 (whole numbers, no rounding)
        if 100 * sums[seller_id] >= UPLIFT_MONTHS * row["revenue_vnd"] * (100 + UPLIFT_PERCENT):
            area(row).revenue_up += 1


def board_for_user(
    user: Any,
    *,
    programme_code: str | None = None,
    province_code: int | None = None,
    as_of: date | None = None,
) -> Board:
    """The board of ``user``'s area, narrowed as asked (see ``board_filters`` for refusals)."""
    scopes, programme, province = board_filters(
        user, programme_code=programme_code, province_code=province_code
    )
    return board_build(scopes, programme=programme, province=province, as_of=as_of)


def programmes_for_user(user: Any) -> list[Programme]:
    """The programmes the filter offers: national ones and those of the user's provinces (one query)."""
    scopes = indicator_scopes(user)
    programmes = Programme.objects.order_by("name")
    if not any(s.is_national for s in scopes):
        codes = [s.province_code for s in scopes if s.province_code is not None]
        programmes = programmes.filter(Q(province__isnull=True) | Q(province_id__in=codes))
    return list(programmes)


@dataclass(frozen=True)
class GraduateRow:
    seller: str
    province: str
    graduated_on: date
    programme: str
    uplift_percent: int
    baseline_vnd: int
    months: list[dict[str, Any]]

    @property
    def from_orders(self) -> bool:
        """Every month of the evidence came from her marketplace orders."""
        return bool(self.months) and all(m.get("source") == "orders" for m in self.months)


def graduates_build(
    scopes: list[AreaScope],
    *,
    programme: Programme | None = None,
    province: Province | None = None,
    limit: int = 50,
) -> list[GraduateRow]:
    """The latest graduations of the area with their evidence (one query)."""
    graduations = Graduation.objects.filter(seller__in=_sellers(scopes, programme, province))
    if programme is not None:
        graduations = graduations.filter(programme=programme)
    rows = graduations.select_related("seller__commune__province", "programme").order_by(
        "-graduated_on", "-pk"
    )
    return [
        GraduateRow(
            seller=g.seller.name,
            province=g.seller.commune.province.name,
            graduated_on=g.graduated_on,
            programme=g.programme.name if g.programme else "",
            uplift_percent=int(g.criteria.get("uplift_percent", 0)),
            baseline_vnd=int(g.evidence.get("baseline_vnd", 0)),
            months=list(g.evidence.get("months", [])),
        )
        for g in rows[:limit]
    ]
