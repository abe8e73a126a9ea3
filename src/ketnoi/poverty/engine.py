"""The columnar engine: classify a national roll and aggregate it by commune, in seconds.

``classify_table`` takes a Polars table with ``area``, ``income_per_capita_vnd``
and one 0/1 column per indicator of the standard, and adds
``deprivation_count`` (UInt8) and ``classification`` (an Enum, one byte per
row). ``aggregate_by`` counts households per class and computes the
Alkire–Foster H, A and M0 per group.

Keep the roll compact: UInt8 or Boolean indicators, Int32 incomes (monthly
per person fits easily), ``area`` as ``pl.Enum(["rural", "urban"])`` and
commune codes as UInt16. 27 million households are then about 0.5 GB.

The rules are the same as ``classify`` (tests compare them row by row):
national standards compare the income with the area's line and the count
with ``min_deprivations``; the global MPI compares the weighted score,
computed exactly on the integer scale of the standard's weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast, overload

import polars as pl
from django.utils.translation import gettext_lazy as _

from . import standards as _standards
from .classify import MPI_CLASSES, NATIONAL_CLASSES, Classification
from .errors import PovertyInputError
from .facts import Area
from .standards import Standard

AREA = "area"
INCOME = "income_per_capita_vnd"
COUNT = "deprivation_count"
CLASSIFICATION = "classification"
SCORE = "score"

AREA_DTYPE = pl.Enum([a.value for a in Area])
NATIONAL_DTYPE = pl.Enum([c.value for c in NATIONAL_CLASSES])
MPI_DTYPE = pl.Enum([c.value for c in MPI_CLASSES])


def classification_dtype(standard: Standard) -> pl.Enum:
    return NATIONAL_DTYPE if standard.is_national else MPI_DTYPE


def required_columns(standard: Standard) -> list[str]:
    """The columns ``classify_table`` needs for ``standard``."""
    return [AREA, INCOME, *standard.codes] if standard.is_national else list(standard.codes)


@overload
def classify_table(standard: str | Standard, table: pl.DataFrame, *, check: bool = True) -> pl.DataFrame: ...
@overload
def classify_table(standard: str | Standard, table: pl.LazyFrame, *, check: bool = True) -> pl.LazyFrame: ...
def classify_table(
    standard: str | Standard, table: pl.DataFrame | pl.LazyFrame, *, check: bool = True
) -> pl.DataFrame | pl.LazyFrame:
    """``table`` with ``deprivation_count`` and ``classification`` added (and ``score`` for the MPI).

    With ``check`` (the default) the columns' values are verified first in one
    vectorised pass: incomes whole and ≥ 0, areas rural/urban, indicators 0/1,
    nothing missing; ``PovertyInputError`` names the offending columns. A
    LazyFrame comes back lazy (the check, if on, runs at once).
    """
    chosen = _standards.resolve(standard)
    frame = table.lazy()
    schema = frame.collect_schema()
    missing = [c for c in required_columns(chosen) if c not in schema]
    if missing:
        raise PovertyInputError(
            _("Bảng thiếu cột mà chuẩn %(standard)s cần: %(columns)s."),
            code="missing_columns",
            params={"standard": chosen.code, "columns": ", ".join(missing)},
        )
    if check:
        _check(frame, schema, chosen)
    out = frame.with_columns(count_expression(chosen)).with_columns(classification_expressions(chosen))
    return out.collect() if isinstance(table, pl.DataFrame) else out


def count_expression(standard: Standard) -> pl.Expr:
    return pl.sum_horizontal([pl.col(c).cast(pl.UInt8) for c in standard.codes]).cast(pl.UInt8).alias(COUNT)


def classification_expressions(standard: Standard) -> list[pl.Expr]:
    """Expressions adding ``classification`` (and ``score`` for the MPI); need ``deprivation_count``."""
    dtype = classification_dtype(standard)

    def label(value: Classification) -> pl.Expr:
        # Enum-typed literals: 100 times faster than strings cast afterwards.
        return pl.lit(value.value, dtype=dtype)

    if not standard.is_national:
        scaled = pl.sum_horizontal(
            [pl.col(c).cast(pl.Int32) * standard.scaled_weights[c] for c in standard.codes]
        )
        cases = [(scaled >= standard.scaled(standard.k), label(Classification.POOR))]
        if standard.vulnerable_k is not None:
            cases.append((scaled >= standard.scaled(standard.vulnerable_k), label(Classification.VULNERABLE)))
        return [
            _first_match(cases, otherwise=label(Classification.NOT_POOR)).alias(CLASSIFICATION),
            (scaled / standard.denominator).alias(SCORE),
        ]

    assert standard.min_deprivations is not None
    lines = standard.income_lines
    urban = pl.col(AREA) == Area.URBAN.value
    income = pl.col(INCOME)

    def by_area(rural: int, city: int) -> pl.Expr:
        return pl.when(urban).then(pl.lit(city)).otherwise(pl.lit(rural)) if rural != city else pl.lit(rural)

    rural, city = lines[Area.RURAL], lines[Area.URBAN]
    below = income <= by_area(rural.poor_vnd, city.poor_vnd)
    cases = [
        (below & (pl.col(COUNT) >= standard.min_deprivations), label(Classification.POOR)),
        (below, label(Classification.NEAR_POOR)),
    ]
    if rural.middle_upper_vnd is not None or city.middle_upper_vnd is not None:
        # An area without a middle band gets its poor line as the upper bound: an empty band.
        upper = by_area(rural.middle_upper_vnd or rural.poor_vnd, city.middle_upper_vnd or city.poor_vnd)
        cases.append((income <= upper, label(Classification.MIDDLE)))
    return [_first_match(cases, otherwise=label(Classification.NOT_POOR)).alias(CLASSIFICATION)]


def _first_match(cases: list[tuple[pl.Expr, pl.Expr]], *, otherwise: pl.Expr) -> pl.Expr:
    """when(c1).then(v1).when(c2).then(v2)….otherwise(…): the value of the first condition that holds."""
    (condition, value), *rest = cases
    chain: Any = pl.when(condition).then(value)
    for condition, value in rest:
        chain = chain.when(condition).then(value)
    return cast(pl.Expr, chain.otherwise(otherwise))


def _check(frame: pl.LazyFrame, schema: pl.Schema, standard: Standard) -> None:
    """One pass of reductions; ``PovertyInputError`` names every column that is wrong."""
    checks: dict[str, pl.Expr] = {}
    wrong_type: list[str] = []
    for code in standard.codes:
        dtype, values = schema[code], pl.col(code)
        if dtype == pl.Boolean:
            checks[code] = values.null_count() == 0
        elif dtype.is_integer():
            checks[code] = (values.null_count() == 0) & (values.min() >= 0) & (values.max() <= 1)
        else:
            wrong_type.append(code)
    if standard.is_national:
        if schema[INCOME].is_integer():
            checks[INCOME] = (pl.col(INCOME).null_count() == 0) & (pl.col(INCOME).min() >= 0)
        else:
            wrong_type.append(INCOME)
        area_dtype, areas = schema[AREA], [a.value for a in Area]
        if isinstance(area_dtype, pl.Enum) and set(area_dtype.categories.to_list()) <= set(areas):
            checks[AREA] = pl.col(AREA).null_count() == 0  # the dtype already holds only valid areas
        elif area_dtype == pl.String or isinstance(area_dtype, pl.Categorical | pl.Enum):
            checks[AREA] = pl.col(AREA).is_in(areas).all(ignore_nulls=False)
        else:
            wrong_type.append(AREA)
    if checks:
        verdict = frame.select(pl.len().alias("__rows"), **checks).collect().row(0, named=True)
        bad = [c for c in checks if verdict["__rows"] and not verdict[c]]
    else:
        bad = []
    if wrong_type or bad:
        raise PovertyInputError(
            _(
                "Giá trị không hợp lệ ở cột %(columns)s: chỉ số phải là 0 hoặc 1, thu nhập là số nguyên "
                "không âm, khu vực là “rural” hoặc “urban”, và không được để trống."
            ),
            code="invalid_values",
            params={"columns": ", ".join(wrong_type + bad)},
        )


@overload
def aggregate_by(standard: str | Standard, table: pl.DataFrame, by: str | Sequence[str]) -> pl.DataFrame: ...
@overload
def aggregate_by(standard: str | Standard, table: pl.LazyFrame, by: str | Sequence[str]) -> pl.LazyFrame: ...
def aggregate_by(
    standard: str | Standard, table: pl.DataFrame | pl.LazyFrame, by: str | Sequence[str]
) -> pl.DataFrame | pl.LazyFrame:
    """Per group of ``by``: households, count per class, headcount ratio and Alkire–Foster H, A, M0.

    ``table`` is ``classify_table``'s output (it is classified first if it has
    no ``classification``). Columns: ``households``, ``poor``, ``near_poor``,
    ``middle`` (national) or ``poor``, ``vulnerable`` (MPI), ``headcount_ratio``
    (= poor / households), ``af_H``, ``af_A``, ``af_M0``.

    For a national standard the Alkire–Foster measures use its equal weights
    and k (3 of 12) on the deprivations alone, without the income test: they
    describe the multidimensional part of poverty, as the standard's k does;
    ``headcount_ratio`` is the share classified poor (income and deprivations).
    Households count one each here; for people, use ``alkire_foster`` with a
    household-size weight.
    """
    chosen = _standards.resolve(standard)
    frame = table.lazy()
    if CLASSIFICATION not in frame.collect_schema():
        frame = classify_table(chosen, frame)
    keys = [by] if isinstance(by, str) else list(by)
    klass = pl.col(CLASSIFICATION)
    classes = [c for c in (NATIONAL_CLASSES if chosen.is_national else MPI_CLASSES) if c != "not_poor"]
    if chosen.is_national:
        assert chosen.min_deprivations is not None
        af_poor = pl.col(COUNT) >= chosen.min_deprivations
        weight = float(chosen.indicators[0].weight)  # equal weights: c = count × weight
        censored = (pl.col(COUNT).cast(pl.Int64).filter(af_poor).sum() * weight).alias("__af_sum")
    else:
        af_poor = klass == Classification.POOR.value
        censored = pl.col(SCORE).filter(af_poor).sum().alias("__af_sum")
    households = pl.col("households")
    grouped = (
        frame.group_by(keys)
        .agg(
            pl.len().alias("households"),
            *[(klass == c.value).sum().alias(c.value) for c in classes],
            af_poor.sum().alias("__af_q"),
            censored,
        )
        .with_columns(
            (pl.col(Classification.POOR.value) / households).alias("headcount_ratio"),
            (pl.col("__af_q") / households).alias("af_H"),
            pl.when(pl.col("__af_q") > 0)
            .then(pl.col("__af_sum") / pl.col("__af_q"))
            .otherwise(0.0)
            .alias("af_A"),
            (pl.col("__af_sum") / households).alias("af_M0"),
        )
        .drop("__af_q", "__af_sum")
        .sort(keys)
    )
    return grouped.collect() if isinstance(table, pl.DataFrame) else grouped
