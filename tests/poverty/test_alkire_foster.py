"""Alkire–Foster against numbers worked out by hand from the formulas."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import polars as pl
import pytest

from ketnoi.poverty import AlkireFosterResult, alkire_foster

# Five people, three indicators weighted 1/2, 1/4, 1/4, cut-off k = 1/2:
#
#   person  a b c  group  sampling weight   c_i    poor?
#   1       1 0 0  A      2                 0.50   yes (exactly at k)
#   2       0 1 1  A      1                 0.50   yes (exactly at k)
#   3       0 1 0  A      1                 0.25   no
#   4       1 1 1  B      1                 1.00   yes
#   5       0 0 0  B      5                 0.00   no
TABLE = {
    "a": [1, 0, 0, 1, 0],
    "b": [0, 1, 1, 1, 0],
    "c": [0, 1, 0, 1, 0],
    "group": ["A", "A", "A", "B", "B"],
    "s": [2.0, 1.0, 1.0, 1.0, 5.0],
}
WEIGHTS = {"a": 0.5, "b": 0.25, "c": 0.25}
K = 0.5


def measures(result: AlkireFosterResult) -> tuple[float, float, float]:
    return result.H, result.A, result.M0


def decomposed(result: AlkireFosterResult) -> float:
    """Σ_l (n_l / n) M0_l over the groups."""
    return sum(g.n / result.n * g.M0 for g in result.by_group.values())


def test_unweighted_measures_match_the_hand_computation():
    result = alkire_foster(TABLE, WEIGHTS, K)

    # n = 5, q = 3 → H = 3/5; Σ c_i(k) = 0.5 + 0.5 + 1 = 2 → A = 2/3, M0 = 2/5
    assert (result.n, result.q) == (5, 3)
    assert measures(result) == pytest.approx((0.6, 2 / 3, 0.4))
    h, a, m0 = measures(result)
    assert m0 == pytest.approx(h * a)
    # h_a: persons 1, 4; h_b: 2, 4; h_c: 2, 4 → 2/5 each
    assert dict(result.censored_headcount) == pytest.approx({"a": 0.4, "b": 0.4, "c": 0.4})
    # M0 = Σ w_j h_j = 0.5·0.4 + 0.25·0.4 + 0.25·0.4 = 0.4; contribution = w_j h_j / M0
    assert sum(WEIGHTS[j] * h for j, h in result.censored_headcount.items()) == pytest.approx(m0)
    assert dict(result.contribution) == pytest.approx({"a": 0.5, "b": 0.25, "c": 0.25})
    assert sum(result.contribution.values()) == pytest.approx(1.0, abs=1e-12)


def test_sampling_weights_match_the_hand_computation():
    result = alkire_foster(TABLE, WEIGHTS, K, weight_column="s")

    # n = 2+1+1+1+5 = 10; q = 2+1+1 = 4 → H = 0.4
    # Σ s_i c_i(k) = 2·0.5 + 1·0.5 + 1·1 = 2.5 → A = 2.5/4 = 0.625, M0 = 0.25
    assert (result.n, result.q) == (10, 4)
    assert measures(result) == pytest.approx((0.4, 0.625, 0.25))
    # h_a = (2 + 1)/10 = 0.3; h_b = (1 + 1)/10 = 0.2; h_c = 0.2
    assert dict(result.censored_headcount) == pytest.approx({"a": 0.3, "b": 0.2, "c": 0.2})
    # 0.5·0.3/0.25 = 0.6; 0.25·0.2/0.25 = 0.2
    assert dict(result.contribution) == pytest.approx({"a": 0.6, "b": 0.2, "c": 0.2})


def test_groups_decompose_the_national_m0():
    result = alkire_foster(TABLE, WEIGHTS, K, by="group")

    a, b = result.by_group["A"], result.by_group["B"]
    # A: n 3, q 2 (persons 1, 2), Σ c(k) = 1 → H 2/3, A 0.5, M0 1/3
    assert (a.n, a.q, *measures(a)) == pytest.approx((3, 2, 2 / 3, 0.5, 1 / 3))
    # B: n 2, q 1 (person 4), Σ c(k) = 1 → H 0.5, A 1, M0 0.5
    assert (b.n, b.q, *measures(b)) == pytest.approx((2, 1, 0.5, 1.0, 0.5))
    # M0 = Σ (n_l / n) M0_l = 3/5 · 1/3 + 2/5 · 1/2 = 0.4
    assert decomposed(result) == pytest.approx(0.4)
    assert measures(result)[2] == pytest.approx(0.4)
    assert dict(result.group_contribution) == pytest.approx({"A": 0.5, "B": 0.5})
    assert list(result.by_group) == ["A", "B"]
    assert not a.by_group


def test_weighted_groups_decompose_too():
    result = alkire_foster(TABLE, WEIGHTS, K, weight_column="s", by="group")

    assert decomposed(result) == pytest.approx(measures(result)[2])
    assert sum(result.group_contribution.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: TABLE, id="dict"),
        pytest.param(lambda: pl.DataFrame(TABLE), id="polars"),
        pytest.param(lambda: pl.DataFrame(TABLE).lazy(), id="polars-lazy"),
        pytest.param(lambda: pd.DataFrame(TABLE), id="pandas"),
        pytest.param(
            lambda: pd.DataFrame(TABLE).astype({"a": "Int64", "b": "bool", "group": "category"}),
            id="pandas-ext",
        ),
    ],
)
def test_a_dict_a_polars_and_a_pandas_table_give_the_same_answers(make):
    expected = alkire_foster(TABLE, WEIGHTS, K, weight_column="s", by="group")

    result = alkire_foster(make(), WEIGHTS, K, weight_column="s", by="group")

    assert result == expected


def test_a_person_exactly_at_k_with_fractional_weights_is_poor():
    # 1/6 + 3 × 1/18 is 1/3 exactly; as floats the sum may land a hair below 1/3.
    weights = {"n": 1 / 6, "c": 1 / 6, "y": 1 / 6, "s": 1 / 6, **{f"l{i}": 1 / 18 for i in range(6)}}
    row = {"n": 1, "c": 0, "y": 0, "s": 0, "l0": 1, "l1": 1, "l2": 1, "l3": 0, "l4": 0, "l5": 0}
    below = {**row, "l2": 0}  # 5/18

    result = alkire_foster({key: [row[key], below[key]] for key in row}, weights, 1 / 3)

    assert result.q == 1
    assert measures(result)[1] == pytest.approx(1 / 3)


def test_exactly_at_k_when_the_float_sum_falls_short_is_still_poor():
    # Five of twelve weights of 1/12 sum to 0.41666666666666663 in floats, below 5/12.
    weights = {f"i{j}": 1 / 12 for j in range(12)}
    table = {f"i{j}": [1 if j < 5 else 0, 1 if j < 4 else 0] for j in range(12)}

    result = alkire_foster(table, weights, 5 / 12)

    assert result.q == 1  # the first person, with exactly 5/12
    assert result.censored_headcount["i0"] == 0.5
    assert result.censored_headcount["i5"] == 0.0


def test_nobody_poor_gives_zero_measures_and_zero_contributions():
    result = alkire_foster({"a": [0, 1], "b": [0, 0]}, {"a": 0.5, "b": 0.5}, 0.75)

    assert (result.H, result.A, result.M0, result.q) == (0, 0, 0, 0)
    assert dict(result.contribution) == {"a": 0.0, "b": 0.0}


def test_booleans_are_zero_and_one():
    result = alkire_foster({"a": [True, False], "b": [True, True]}, {"a": 0.5, "b": 0.5}, 1.0)

    assert (result.H, result.M0) == (0.5, 0.5)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"a": 0.5, "b": 0.25, "c": 0.24}, "add up to 1"),
        ({"a": 0.5, "b": 0.25, "c": 0.25 + 2e-9}, "add up to 1"),
        ({"a": 1.25, "b": -0.25}, "must not be negative"),
        ({"a": "0.5", "b": 0.5}, "finite number"),
        ({"a": float("nan"), "b": 0.5}, "finite number"),
        ({}, "non-empty"),
        ({"a": 0.5, "zzz": 0.5}, "zzz"),
    ],
)
def test_invalid_weights_are_refused(weights, message):
    with pytest.raises(ValueError, match=message):
        alkire_foster(TABLE, weights, K)


def test_weights_within_the_tolerance_are_accepted():
    alkire_foster(TABLE, {"a": 0.5, "b": 0.25, "c": 0.25 + 5e-10}, K)


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("b", [0, 2, 1, 1, 0]),
        ("b", [0, None, 1, 1, 0]),
        ("b", ["0", "1", "1", "1", "0"]),
        ("b", [0, 0.5, 1, 1, 0]),
    ],
)
def test_values_other_than_zero_or_one_are_refused_naming_the_column(column, values):
    with pytest.raises(ValueError, match="'b'"):
        alkire_foster({**TABLE, column: values}, WEIGHTS, K)


def test_a_pandas_column_with_a_gap_is_refused():
    frame = pd.DataFrame(TABLE).astype({"c": "Int64"})
    frame.loc[2, "c"] = pd.NA

    with pytest.raises(ValueError, match="'c'"):
        alkire_foster(frame, WEIGHTS, K)


@pytest.mark.parametrize("k", [0, -0.1, 1.01, "1/3", None])
def test_k_outside_zero_to_one_is_refused(k):
    with pytest.raises(ValueError, match="k must be"):
        alkire_foster(TABLE, WEIGHTS, k)


@pytest.mark.parametrize("sampling", [[1, 1, -1, 1, 1], [0, 0, 0, 0, 0], [1, None, 1, 1, 1]])
def test_bad_sampling_weights_are_refused(sampling):
    with pytest.raises(ValueError, match="weight column 's'"):
        alkire_foster({**TABLE, "s": sampling}, WEIGHTS, K, weight_column="s")


def test_an_empty_table_or_ragged_columns_are_refused():
    with pytest.raises(ValueError, match="no rows"):
        alkire_foster({"a": [], "b": [], "c": []}, WEIGHTS, K)
    with pytest.raises(ValueError, match="same length"):
        alkire_foster({"a": [1], "b": [1, 0], "c": [1]}, WEIGHTS, K)


def test_importing_the_package_does_not_import_pandas():
    code = "import sys, ketnoi.poverty; print('pandas' in sys.modules)"

    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603 - fixed arguments

    assert run.stdout.strip() == "False"
