"""Poverty figures over the registry's assessments: counts, headcount ratio, Alkire–Foster.

One query reads the assessments (with each household's size, commune and
head) into a Polars frame; everything after that is columnar. Used by the
``poverty_report`` command and the officers' dashboard.

The unit is the household, as in Viet Nam's own figures ("tỷ lệ hộ
nghèo"): ``headcount_ratio`` is poor households / households (income test
and deprivations together); Alkire–Foster H, A and M0 use the standard's
weights and cut-off k on the deprivations alone (the multidimensional part).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import openpyxl
import polars as pl
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from ketnoi.core.scopes import AreaScope, filter_by_scope
from ketnoi.poverty import alkire_foster, standards
from ketnoi.poverty.standards import Standard

from .ethnicity import ethnic_group_name
from .models import Assessment, Member, Relation, Sex

GROUPINGS = ("commune", "province", "ethnicity", "head_sex")
CLASSES = ("poor", "near_poor", "middle", "not_poor")
GROUP_LABELS = {
    "commune": _("Xã/phường"),
    "province": _("Tỉnh/thành phố"),
    "ethnicity": _("Dân tộc của chủ hộ"),
    "head_sex": _("Giới tính chủ hộ"),
}

_SCHEMA: dict[str, Any] = {
    "household_id": pl.Int64,
    "year": pl.Int32,
    "classification": pl.String,
    "deprived": pl.List(pl.String),
    "commune": pl.Int64,
    "commune_name": pl.String,
    "province": pl.Int64,
    "province_name": pl.String,
    "people": pl.Int64,
    "head_sex": pl.String,
    "ethnicity": pl.String,
}
_FIELDS = (
    "household_id",
    "year",
    "classification",
    "deprived",
    "household__commune_id",
    "household__commune__name",
    "household__commune__province_id",
    "household__commune__province__name",
    "people",
    "head_sex",
    "head_ethnicity",
)


def assessments_in(scopes: Iterable[AreaScope] | None) -> QuerySet[Assessment]:
    """Assessments of households in ``scopes`` (``None``: everywhere, for the command line)."""
    queryset = Assessment.objects.all()
    return (
        queryset if scopes is None else filter_by_scope(queryset, scopes, commune_path="household__commune")
    )


def assessment_frame(assessments: QuerySet[Assessment], standard: Standard) -> pl.DataFrame:
    """One row per assessment under ``standard`` (every year), one query, with 0/1 indicator columns."""
    heads = Member.objects.filter(household_id=OuterRef("household_id"), relation=Relation.HEAD)
    rows = (
        assessments.filter(standard=standard.code)
        .annotate(
            people=Count("household__members"),
            head_sex=Subquery(heads.values("sex")[:1]),
            head_ethnicity=Subquery(heads.values("ethnic_group")[:1]),
        )
        .order_by()
        .values_list(*_FIELDS)
    )
    frame = pl.DataFrame(list(rows), schema=_SCHEMA, orient="row")
    return frame.with_columns(
        pl.col("deprived").list.contains(code).cast(pl.UInt8).alias(code) for code in standard.codes
    )


def latest_per_household(frame: pl.DataFrame, year: int | None = None) -> pl.DataFrame:
    """The assessment of ``year``, or each household's latest when ``year`` is ``None``."""
    if year is not None:
        return frame.filter(pl.col("year") == year)
    return frame.sort("year").group_by("household_id", maintain_order=True).last()


@dataclass(frozen=True)
class GroupFigures:
    key: Any
    label: str
    households: int
    people: int
    poor: int
    near_poor: int
    middle: int
    not_poor: int
    headcount_ratio: float
    H: float
    A: float
    M0: float

    @property
    def headcount_percent(self) -> float:
        return self.headcount_ratio * 100

    def as_row(self) -> list[Any]:
        return [
            self.label,
            self.households,
            self.people,
            self.poor,
            self.near_poor,
            self.middle,
            self.not_poor,
            round(self.headcount_ratio, 4),
            round(self.H, 4),
            round(self.A, 4),
            round(self.M0, 4),
        ]


ROW_HEADERS = (
    _("Hộ"),
    _("Nhân khẩu"),
    _("Nghèo"),
    _("Cận nghèo"),
    _("Trung bình"),
    _("Không nghèo"),
    _("Tỷ lệ hộ nghèo"),
    _("H"),
    _("A"),
    _("M0"),
)


def _label(by: str, key: Any, names: dict[Any, str]) -> str:
    if key is None:
        return str(_("(không rõ)"))
    if by == "ethnicity":
        return ethnic_group_name(key)
    if by == "head_sex":
        return str(Sex(key).label) if key in Sex.values else str(key)
    return names.get(key, str(key))


def figures_by(frame: pl.DataFrame, standard: Standard, by: str) -> tuple[list[GroupFigures], GroupFigures]:
    """Per group of ``by`` (one of ``GROUPINGS`` or ``"year"``) and for all, the figures of ``frame``."""
    if by not in (*GROUPINGS, "year"):
        raise ValueError(f"unknown grouping {by!r}")
    names: dict[Any, str] = {}
    if by in ("commune", "province") and frame.height:
        names = dict(frame.select(by, f"{by}_name").unique(by).iter_rows())
    counts = (
        frame.group_by(by)
        .agg(
            pl.len().alias("households"),
            pl.col("people").sum().alias("people"),
            *[(pl.col("classification") == c).sum().alias(c) for c in CLASSES],
        )
        .sort(by, nulls_last=True)
    )
    total_counts = frame.select(
        pl.len().alias("households"),
        pl.col("people").sum().alias("people"),
        *[(pl.col("classification") == c).sum().alias(c) for c in CLASSES],
    ).row(0, named=True)
    weights = dict(standard.weights)
    k = float(standard.k)
    if frame.height:
        measures = alkire_foster(frame.select(*standard.codes, by), weights, k, by=by)
        groups_af = measures.by_group
    else:
        measures, groups_af = None, {}
    rows = []
    for row in counts.iter_rows(named=True):
        af = groups_af.get(row[by])
        rows.append(_figures(row[by], _label(by, row[by], names), row, af))
    total = _figures(None, str(_("Tất cả")), total_counts, measures)
    return rows, total


def _figures(key: Any, label: str, counts: dict[str, Any], af: Any) -> GroupFigures:
    households = int(counts["households"] or 0)
    return GroupFigures(
        key=key,
        label=label,
        households=households,
        people=int(counts["people"] or 0),
        poor=int(counts["poor"] or 0),
        near_poor=int(counts["near_poor"] or 0),
        middle=int(counts["middle"] or 0),
        not_poor=int(counts["not_poor"] or 0),
        headcount_ratio=(int(counts["poor"] or 0) / households) if households else 0.0,
        H=af.H if af else 0.0,
        A=af.A if af else 0.0,
        M0=af.M0 if af else 0.0,
    )


def contributions(frame: pl.DataFrame, standard: Standard) -> list[tuple[str, str, float]]:
    """Each indicator's share of M0 (summing to 1 when M0 > 0): ``(code, label, share)``."""
    if not frame.height:
        return [(code, standards.text(standard.indicator(code).label), 0.0) for code in standard.codes]
    result = alkire_foster(frame.select(*standard.codes), dict(standard.weights), float(standard.k))
    return [
        (code, standards.text(standard.indicator(code).label), float(result.contribution[code]))
        for code in standard.codes
    ]


def standard_choose(code: str | None) -> Standard:
    """The named standard, or the one in force today (``PovertyInputError`` for an unknown code)."""
    return standards.get(code) if code else standards.in_force()


def national_standards() -> Sequence[Standard]:
    return [s for s in standards.all() if s.is_national]


def headers_for(by: str) -> list[str]:
    return [str(GROUP_LABELS.get(by, _("Năm"))), *(str(h) for h in ROW_HEADERS)]


def workbook_bytes(sheets: Iterable[tuple[str, Sequence[Any], Iterable[Sequence[Any]]]]) -> bytes:
    """An XLSX of ``(title, headers, rows)`` sheets (write-only: rows are not kept in memory)."""
    workbook = openpyxl.Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        sheet.append([str(h) for h in headers])
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """CSV with a BOM, so that Excel reads the Vietnamese names right."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([str(h) for h in headers])
    writer.writerows(rows)
    return buffer.getvalue()
