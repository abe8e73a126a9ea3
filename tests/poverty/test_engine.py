"""The columnar engine gives the same answers as one-household ``classify``."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ketnoi.poverty import PovertyInputError, aggregate_by, alkire_foster, classify, classify_table, standards

from .helpers import MPI, VN_2022, VN_2027

# Incomes on and around every line, and some anywhere.
EDGES = [0, 1_499_999, 1_500_000, 1_500_001, 1_999_999, 2_000_000, 2_000_001, 2_200_000, 2_200_001]
EDGES += [2_250_000, 2_250_001, 2_800_000, 2_800_001, 3_000_000, 3_000_001]


def roll(code: str, rows: int = 3_000, seed: int = 7) -> pl.DataFrame:
    """A seeded random roll with incomes on the lines and deprivations at every count."""
    rng = np.random.default_rng(seed)
    chosen = standards.get(code)
    rates = rng.uniform(0.05, 0.5, len(chosen.codes))
    columns: dict[str, object] = {
        "household_id": np.arange(rows),
        "commune": rng.integers(0, 7, rows).astype(np.uint16),
        "area": pl.Series(rng.choice(["rural", "urban"], rows), dtype=pl.Enum(["rural", "urban"])),
        "income_per_capita_vnd": np.where(
            rng.random(rows) < 0.5, rng.choice(EDGES, rows), rng.integers(0, 4_000_000, rows)
        ).astype(np.int32),
    }
    for code_, rate in zip(chosen.codes, rates, strict=True):
        columns[code_] = (rng.random(rows) < rate).astype(np.uint8)
    return pl.DataFrame(columns)


@pytest.mark.parametrize("code", [VN_2022, VN_2027, MPI])
def test_classify_table_agrees_with_classify_row_by_row(code):
    table = roll(code)
    chosen = standards.get(code)

    out = classify_table(code, table)

    for row in out.iter_rows(named=True):
        one = classify(
            chosen,
            row["area"] if chosen.is_national else None,
            row["income_per_capita_vnd"] if chosen.is_national else None,
            {c: bool(row[c]) for c in chosen.codes},
        )
        assert (row["classification"], row["deprivation_count"]) == (
            one.classification,
            one.deprivation_count,
        )
    assert out["classification"].n_unique() >= 3


def test_the_added_columns_are_compact():
    out = classify_table(VN_2022, roll(VN_2022, rows=10))

    assert out.schema["deprivation_count"] == pl.UInt8
    assert out.schema["classification"] == pl.Enum(["poor", "near_poor", "middle", "not_poor"])


def test_a_lazy_table_stays_lazy():
    out = classify_table(VN_2022, roll(VN_2022, rows=10).lazy())

    assert isinstance(out, pl.LazyFrame)
    assert out.collect().height == 10


def test_string_areas_and_boolean_indicators_work_too():
    table = roll(VN_2022, rows=200)
    loose = table.with_columns(
        pl.col("area").cast(pl.String), *[pl.col(c).cast(pl.Boolean) for c in standards.get(VN_2022).codes]
    )

    assert classify_table(VN_2022, loose)["classification"].equals(
        classify_table(VN_2022, table)["classification"]
    )


def test_a_missing_column_is_named():
    table = roll(VN_2027, rows=10).drop("waste_treatment", "area")

    with pytest.raises(PovertyInputError) as caught:
        classify_table(VN_2027, table)

    assert caught.value.code == "missing_columns"
    assert "area" in str(caught.value) and "waste_treatment" in str(caught.value)


@pytest.mark.parametrize(
    ("column", "change"),
    [
        ("telecom", pl.lit(2, dtype=pl.UInt8)),
        ("telecom", pl.lit(None, dtype=pl.UInt8)),
        ("income_per_capita_vnd", pl.lit(-1, dtype=pl.Int32)),
        ("income_per_capita_vnd", pl.lit(1.5)),
        ("area", pl.lit("city")),
    ],
)
def test_bad_values_are_refused_naming_the_column(column, change):
    table = roll(VN_2022, rows=10).with_columns(change.alias(column))

    with pytest.raises(PovertyInputError) as caught:
        classify_table(VN_2022, table)

    assert caught.value.code == "invalid_values"
    assert column in str(caught.value)


@pytest.mark.parametrize("code", [VN_2022, VN_2027])
def test_aggregate_by_counts_each_class_and_matches_alkire_foster(code):
    chosen = standards.get(code)
    classified = classify_table(code, roll(code))

    report = aggregate_by(code, classified, "commune")

    # Counts, from the classified rows
    expected = (
        classified.group_by("commune")
        .agg(
            pl.len().alias("households"),
            *[(pl.col("classification") == c).sum().alias(c) for c in ("poor", "near_poor", "middle")],
        )
        .sort("commune")
    )
    assert report.select(expected.columns).equals(expected, null_equal=True)
    assert report["headcount_ratio"].to_list() == pytest.approx(
        (expected["poor"] / expected["households"]).to_list()
    )
    # Alkire–Foster with the standard's equal weights and k = 3/12, per commune
    af = alkire_foster(classified, chosen.weights, float(chosen.k), by="commune")
    for row in report.iter_rows(named=True):
        group = af.by_group[row["commune"]]
        assert (row["af_H"], row["af_A"], row["af_M0"]) == pytest.approx(
            (group.H, group.A, group.M0), abs=1e-12
        )


def test_aggregate_by_classifies_first_when_needed_and_has_no_middle_in_2027():
    report = aggregate_by(VN_2027, roll(VN_2027), ["commune"])

    assert report["middle"].sum() == 0
    assert report["households"].sum() == 3_000


def test_aggregate_by_for_the_mpi_counts_the_vulnerable():
    report = aggregate_by(MPI, roll(MPI), "commune")

    assert {"poor", "vulnerable", "af_M0"} <= set(report.columns)
    assert report["af_H"].to_list() == pytest.approx(report["headcount_ratio"].to_list())
