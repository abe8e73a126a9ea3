"""The Alkire–Foster adjusted headcount ratio (M0) and its parts, over millions of rows.

For n people (sampling weights s_i where given, else 1), indicator weights
w_j summing to 1 and deprivations g_ij ∈ {0, 1}:

- c_i = Σ_j w_j g_ij; person i is poor when c_i ≥ k; c_i(k) = c_i if poor else 0
- n = Σ s_i;  q = Σ_{poor} s_i;  H = q / n;  A = Σ s_i c_i(k) / q;  M0 = H × A = Σ s_i c_i(k) / n
- censored headcount h_j = Σ_{poor and deprived in j} s_i / n;  M0 = Σ_j w_j h_j
- contribution of j = w_j h_j / M0 (sums to 1); all zeros when M0 = 0
- by group l: M0 = Σ_l (n_l / n) M0_l; contribution of l = (n_l / n) M0_l / M0

Scores are sums of floats (1/18 is not exact in binary), so "c_i ≥ k" is
tested as c_i ≥ k − 1e-12: a person deprived in exactly k's worth of
indicators is poor, as the method means, and no real score lies in between
(the finest weights in use are 1/18).

Rows with a missing or non-0/1 value are refused (``ValueError`` naming the
column), not dropped: OPHI drops people with missing indicators, but a
platform that silently shrinks n would report a wrong H without a word.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import polars as pl

EPSILON = 1e-12
WEIGHT_TOLERANCE = 1e-9

_SCORE = "__af_c"
_POOR = "__af_poor"
_N = "__af_n"
_Q = "__af_q"
_CENSORED = "__af_censored_sum"


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AlkireFosterResult:
    """H, A, M0 and their breakdowns. ``n`` and ``q`` are sums of sampling weights
    (plain counts without them). ``by_group`` maps each value of the ``by`` column
    to the same result for that group (without a ``by_group`` of its own), and
    ``group_contribution`` to that group's share of M0."""

    H: float
    A: float
    M0: float
    censored_headcount: Mapping[str, float]
    contribution: Mapping[str, float]
    n: float
    q: float
    k: float
    weights: Mapping[str, float]
    by_group: Mapping[Hashable, AlkireFosterResult] = field(default_factory=_empty)
    group_contribution: Mapping[Hashable, float] = field(default_factory=_empty)


Table = pl.DataFrame | pl.LazyFrame | Mapping[str, Sequence[Any]] | Any


def alkire_foster(
    table: Table,
    weights: Mapping[str, float],
    k: float,
    weight_column: str | None = None,
    by: str | None = None,
) -> AlkireFosterResult:
    """Alkire–Foster measures of ``table`` with indicator ``weights`` and poverty cut-off ``k``.

    ``table``: a Polars DataFrame or LazyFrame, a pandas DataFrame, or a mapping
    column → sequence of 0/1 (bools are fine). ``weights`` must add up to 1
    (within 1e-9), be non-negative and name columns of ``table``; ``k`` is in
    (0, 1]. ``weight_column`` names non-negative sampling weights; ``by`` a
    column to break the measures down by. Raises ``ValueError`` naming the
    column or weight at fault.
    """
    indicator_weights = _check_weights(weights)
    cutoff = _check_k(k)
    columns = list(indicator_weights)
    extra = [c for c in (weight_column, by) if c is not None]
    if len(set(columns + extra)) != len(columns) + len(extra):
        raise ValueError("weight_column and by must be different columns from the indicators and each other")
    frame = _as_lazy(table, columns + extra)
    _check_values(frame, columns, weight_column)
    sums = _sums(frame, indicator_weights, cutoff, weight_column, by)

    if by is None:
        return _result(sums.row(0, named=True), indicator_weights, cutoff)
    groups: dict[Hashable, AlkireFosterResult] = {}
    rows = sums.sort(by, nulls_last=True).iter_rows(named=True)
    for row in rows:
        groups[row[by]] = _result(row, indicator_weights, cutoff)
    totals = sums.drop(by).sum().row(0, named=True)
    overall = _result(totals, indicator_weights, cutoff)
    shares = {
        key: (group.n / overall.n) * group.M0 / overall.M0 if overall.M0 > 0 else 0.0
        for key, group in groups.items()
    }
    return AlkireFosterResult(
        H=overall.H,
        A=overall.A,
        M0=overall.M0,
        censored_headcount=overall.censored_headcount,
        contribution=overall.contribution,
        n=overall.n,
        q=overall.q,
        k=cutoff,
        weights=overall.weights,
        by_group=MappingProxyType(groups),
        group_contribution=MappingProxyType(shares),
    )


def _result(row: Mapping[str, Any], weights: Mapping[str, float], k: float) -> AlkireFosterResult:
    n = float(row[_N])
    q = float(row[_Q] or 0.0)
    censored_sum = float(row[_CENSORED] or 0.0)
    headcounts = {j: float(row[j] or 0.0) / n if n > 0 else 0.0 for j in weights}
    m0 = censored_sum / n if n > 0 else 0.0
    contribution = {j: weights[j] * headcounts[j] / m0 if m0 > 0 else 0.0 for j in weights}
    return AlkireFosterResult(
        H=q / n if n > 0 else 0.0,
        A=censored_sum / q if q > 0 else 0.0,
        M0=m0,
        censored_headcount=MappingProxyType(headcounts),
        contribution=MappingProxyType(contribution),
        n=n,
        q=q,
        k=k,
        weights=MappingProxyType(dict(weights)),
    )


def _sums(
    frame: pl.LazyFrame, weights: Mapping[str, float], k: float, weight_column: str | None, by: str | None
) -> pl.DataFrame:
    """One pass: per group (or overall) n, q, Σ s·c(k) and Σ s over the poor deprived in each j."""
    score = pl.sum_horizontal([pl.col(j).cast(pl.Float64) * w for j, w in weights.items()])
    scored = frame.with_columns(score.alias(_SCORE)).with_columns(
        (pl.col(_SCORE) >= k - EPSILON).alias(_POOR)
    )
    poor = pl.col(_POOR)
    if weight_column is None:
        aggregations = [
            pl.len().cast(pl.Float64).alias(_N),
            poor.sum().cast(pl.Float64).alias(_Q),
            pl.col(_SCORE).filter(poor).sum().alias(_CENSORED),
            *[(poor & pl.col(j).cast(pl.Boolean)).sum().cast(pl.Float64).alias(j) for j in weights],
        ]
    else:
        s = pl.col(weight_column).cast(pl.Float64)
        aggregations = [
            s.sum().alias(_N),
            s.filter(poor).sum().alias(_Q),
            (s * pl.col(_SCORE)).filter(poor).sum().alias(_CENSORED),
            *[s.filter(poor & pl.col(j).cast(pl.Boolean)).sum().alias(j) for j in weights],
        ]
    if by is None:
        return scored.select(aggregations).collect()
    return scored.group_by(by).agg(aggregations).collect()


# --- Checking the input -----------------------------------------------------------


def _check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(weights, Mapping) or not weights:
        raise ValueError("weights must be a non-empty mapping of indicator column → weight")
    checked: dict[str, float] = {}
    for column, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
            raise ValueError(f"weight of {column!r} must be a finite number, got {weight!r}")
        if weight < 0:
            raise ValueError(f"weight of {column!r} must not be negative, got {weight!r}")
        checked[str(column)] = float(weight)
    total = math.fsum(checked.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise ValueError(f"weights must add up to 1 (within {WEIGHT_TOLERANCE}), they add up to {total!r}")
    return checked


def _check_k(k: float) -> float:
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not 0 < k <= 1:
        raise ValueError(f"k must be a number in (0, 1], got {k!r}")
    return float(k)


def _as_lazy(table: Table, columns: list[str]) -> pl.LazyFrame:
    """The needed columns of ``table`` as a Polars LazyFrame (no copy for Polars input)."""
    if isinstance(table, pl.LazyFrame | pl.DataFrame):
        frame = table.lazy()
        present = set(frame.collect_schema().names())
    elif _is_pandas(table):
        pandas_frame: Any = table
        present = {str(c) for c in pandas_frame.columns}
        _require(columns, present)
        frame = pl.DataFrame([_from_pandas(pandas_frame[c], c) for c in columns]).lazy()
    elif isinstance(table, Mapping):
        present = {str(c) for c in table}
        _require(columns, present)
        try:
            frame = pl.DataFrame([_series(c, table[c]) for c in columns]).lazy()
        except pl.exceptions.ShapeError:
            lengths = {c: len(table[c]) for c in columns}
            raise ValueError(f"columns must all have the same length, got {lengths}") from None
    else:
        raise TypeError("table must be a Polars DataFrame or LazyFrame, a pandas DataFrame or a mapping")
    _require(columns, present)
    return frame.select(columns)


def _require(columns: list[str], present: set[str]) -> None:
    missing = [c for c in columns if c not in present]
    if missing:
        raise ValueError(f"column(s) not in the table: {', '.join(missing)}")


def _is_pandas(table: object) -> bool:
    # Checked without importing pandas: it is a development dependency only.
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(table, pandas.DataFrame)


def _from_pandas(column: Any, name: str) -> pl.Series:
    # Without pyarrow Polars converts only plain numpy columns; anything else
    # (nullable Int64, strings, categories) goes through Python objects.
    if column.dtype.kind in "biuf":
        return pl.Series(name, column.to_numpy())
    values = column.astype(object).where(column.notna(), None).tolist()
    return _series(name, values)


def _series(name: str, values: Any) -> pl.Series:
    if isinstance(values, pl.Series):
        return values.alias(name)
    try:
        return pl.Series(name, values, strict=False)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as error:
        raise ValueError(f"column {name!r} cannot be read: {error}") from None


def _check_values(frame: pl.LazyFrame, indicators: list[str], weight_column: str | None) -> None:
    """Every indicator is 0/1 without gaps; the sampling weights are finite, ≥ 0, not all 0."""
    schema = frame.collect_schema()
    checks: list[pl.Expr] = []
    for column in indicators:
        dtype = schema[column]
        if not (dtype.is_numeric() or dtype == pl.Boolean or dtype == pl.Null):
            raise ValueError(f"column {column!r} must hold 0/1 values, it holds {dtype}")
        values = pl.col(column)
        if dtype == pl.Boolean or dtype == pl.Null:
            ok = values.null_count() == 0
        elif dtype.is_integer():
            ok = (values.null_count() == 0) & (values.min() >= 0) & (values.max() <= 1)
        else:
            ok = (values.null_count() == 0) & ((values == 0) | (values == 1)).all()
        checks.append(ok.alias(column))
    if weight_column is not None:
        dtype = schema[weight_column]
        if not dtype.is_numeric():
            raise ValueError(f"weight column {weight_column!r} must be numeric, it holds {dtype}")
        s = pl.col(weight_column).cast(pl.Float64)
        checks.append(
            ((s.null_count() == 0) & s.is_finite().all() & (s.min() >= 0) & (s.sum() > 0)).alias(
                weight_column
            )
        )
    verdict = frame.select(pl.len().alias("__rows"), *checks).collect().row(0, named=True)
    if verdict["__rows"] == 0:
        raise ValueError("the table has no rows")
    bad = [c for c in indicators if not verdict[c]]
    if bad:
        raise ValueError(
            f"column(s) {', '.join(map(repr, bad))} must hold only 0 or 1, with no missing values"
        )
    if weight_column is not None and not verdict[weight_column]:
        raise ValueError(
            f"weight column {weight_column!r} must hold finite, non-negative numbers with a positive total"
        )
