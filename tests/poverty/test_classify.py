"""One household's classification: the lines, the count of 3, the choice of standard."""

from __future__ import annotations

import dataclasses
import time
from datetime import date

import pytest

from ketnoi.core.errors import DomainError
from ketnoi.poverty import Classification, PovertyInputError, classify, standards
from ketnoi.poverty.facts import Area

from .helpers import MPI, VN_2022, VN_2027, deprivations, first

POOR, NEAR, MIDDLE, NOT_POOR = "poor", "near_poor", "middle", "not_poor"


@pytest.mark.parametrize(
    ("standard", "area", "income", "deprived", "expected"),
    [
        # 2022–2025, rural: line 1,500,000; middle up to 2,250,000
        (VN_2022, "rural", 1_500_000, 2, NEAR),
        (VN_2022, "rural", 1_500_000, 3, POOR),
        (VN_2022, "rural", 1_500_001, 3, MIDDLE),
        (VN_2022, "rural", 1_500_001, 12, MIDDLE),
        (VN_2022, "rural", 2_250_000, 0, MIDDLE),
        (VN_2022, "rural", 2_250_001, 3, NOT_POOR),
        (VN_2022, "rural", 0, 3, POOR),
        # 2022–2025, urban: line 2,000,000; middle up to 3,000,000
        (VN_2022, "urban", 2_000_000, 2, NEAR),
        (VN_2022, "urban", 2_000_000, 3, POOR),
        (VN_2022, "urban", 2_000_001, 3, MIDDLE),
        (VN_2022, "urban", 3_000_000, 2, MIDDLE),
        (VN_2022, "urban", 3_000_001, 2, NOT_POOR),
        # 2027–2030: rural 2,200,000, urban 2,800,000, and no middle band
        (VN_2027, "rural", 2_200_000, 2, NEAR),
        (VN_2027, "rural", 2_200_000, 3, POOR),
        (VN_2027, "rural", 2_200_001, 3, NOT_POOR),
        (VN_2027, "urban", 2_800_000, 2, NEAR),
        (VN_2027, "urban", 2_800_000, 3, POOR),
        (VN_2027, "urban", 2_800_001, 3, NOT_POOR),
        (VN_2027, "urban", 2_250_000, 0, NEAR),  # the old middle bound means nothing here
    ],
)
def test_income_at_each_line_with_two_or_three_deprivations(standard, area, income, deprived, expected):
    result = classify(standard, area, income, first(standard, deprived))

    assert result.classification == expected
    assert result.deprivation_count == deprived
    assert result.standard == standard


def test_the_result_says_why_and_under_which_standard_and_version():
    # Given deprivations listed in an order of their own
    given = dict(reversed(list(deprivations(VN_2022, "telecom", "employment", "latrine").items())))

    result = classify(VN_2022, Area.URBAN, 1_900_000, given)

    assert result.classification is Classification.POOR
    assert result.deprived == ("employment", "latrine", "telecom")  # the standard's order
    assert result.standard_version == standards.get(VN_2022).version
    assert result.income_line_vnd == 2_000_000
    assert result.score == pytest.approx(3 / 12)
    assert result.severe is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.classification = Classification.NOT_POOR  # type: ignore[misc]


def test_national_standards_never_answer_vulnerable():
    outcomes = {
        classify(code, area, income, first(code, count)).classification
        for code in (VN_2022, VN_2027)
        for area in ("rural", "urban")
        for income in (0, 1_500_000, 2_000_000, 2_800_000, 10_000_000)
        for count in range(13)
    }

    assert outcomes == {POOR, NEAR, MIDDLE, NOT_POOR}


@pytest.mark.parametrize(("day", "expected"), [(date(2026, 12, 31), VN_2022), (date(2027, 1, 1), VN_2027)])
def test_auto_picks_the_standard_in_force_on_the_day(day, expected):
    both = deprivations(expected)  # each standard needs its own indicators

    result = classify("auto", "rural", 2_000_000, both, on=day)

    assert result.standard == expected


def test_auto_without_a_date_uses_today_in_viet_nam():
    today_standard = standards.in_force(standards.today())

    result = classify("auto", "rural", 1_000_000, deprivations(today_standard.code))

    assert result.standard == today_standard.code


def test_auto_on_a_day_without_a_standard_is_a_clear_error():
    with pytest.raises(PovertyInputError) as caught:
        classify("auto", "rural", 1_000_000, deprivations(VN_2027), on=date(2031, 1, 1))

    assert caught.value.code == "no_standard_in_force"
    assert "01/01/2031" in str(caught.value)


def test_a_named_standard_outside_its_period_is_refused_when_a_date_is_given():
    with pytest.raises(PovertyInputError) as caught:
        classify(VN_2022, "rural", 1_000_000, deprivations(VN_2022), on=date(2027, 1, 1))

    assert caught.value.code == "standard_not_in_force"
    assert "31/12/2026" in str(caught.value)


def test_an_unknown_indicator_is_refused_naming_it():
    given = {**deprivations(VN_2022), "electricity": True}

    with pytest.raises(PovertyInputError) as caught:
        classify(VN_2022, "rural", 1_000_000, given)

    error = caught.value
    assert isinstance(error, DomainError) and isinstance(error, ValueError)
    assert error.code == "unknown_indicator"
    assert "electricity" in str(error)


def test_a_missing_indicator_is_refused_naming_it():
    given = deprivations(VN_2027)
    del given["waste_treatment"]

    with pytest.raises(PovertyInputError) as caught:
        classify(VN_2027, "rural", 1_000_000, given)

    assert caught.value.code == "missing_indicator"
    assert "waste_treatment" in str(caught.value)


def test_the_old_indicator_set_under_the_new_standard_names_both_differences():
    with pytest.raises(PovertyInputError, match="information_devices"):
        classify(VN_2027, "rural", 1_000_000, deprivations(VN_2022))


@pytest.mark.parametrize("value", ["yes", "1", None, 2, 0.5])
def test_a_deprivation_that_is_not_true_or_false_is_refused(value):
    given = {**deprivations(VN_2022), "telecom": value}

    with pytest.raises(PovertyInputError) as caught:
        classify(VN_2022, "rural", 1_000_000, given)

    assert caught.value.code == "invalid_deprivation_value"
    assert "telecom" in str(caught.value)


def test_zero_and_one_count_as_false_and_true():
    given = {code: 1 if i < 3 else 0 for i, code in enumerate(standards.get(VN_2022).codes)}

    assert classify(VN_2022, "rural", 1_000_000, given).classification == POOR


def test_negative_income_is_refused():
    with pytest.raises(PovertyInputError) as caught:
        classify(VN_2022, "rural", -1, deprivations(VN_2022))

    assert caught.value.code == "negative_income"
    assert "âm" in str(caught.value)


@pytest.mark.parametrize("income", [1_500_000.0, "1500000", True, None])
def test_income_must_be_a_whole_number_of_dong(income):
    with pytest.raises(PovertyInputError) as caught:
        classify(VN_2022, "rural", income, deprivations(VN_2022))

    assert caught.value.code == "invalid_income"


@pytest.mark.parametrize("area", ["city", "Rural", "", None, 1])
def test_an_area_other_than_rural_or_urban_is_refused(area):
    with pytest.raises(PovertyInputError) as caught:
        classify(VN_2022, area, 1_000_000, deprivations(VN_2022))

    assert caught.value.code == "invalid_area"
    assert "rural" in str(caught.value) and "urban" in str(caught.value)


# --- The global MPI: weighted score, exact at the cut-offs --------------------------------


@pytest.mark.parametrize(
    ("deprived", "expected", "severe"),
    [
        # 1/6 + 3 × 1/18 = exactly 1/3: poor (float sums would land a hair below)
        (("nutrition", "cooking_fuel", "sanitation", "drinking_water"), POOR, False),
        # 1/6 + 2 × 1/18 = 5/18 ≈ 0.278: between 1/5 and 1/3
        (("nutrition", "cooking_fuel", "sanitation"), "vulnerable", False),
        # 1/6 = 3/18 < 1/5
        (("child_mortality",), NOT_POOR, False),
        # 6 × 1/18 = 1/3 exactly, all living standards
        (("cooking_fuel", "sanitation", "drinking_water", "electricity", "housing", "assets"), POOR, False),
        # 3 × 1/6 = 1/2 exactly: severe
        (("nutrition", "child_mortality", "years_of_schooling"), POOR, True),
        # 2 × 1/6 + 2 × 1/18 = 8/18 < 1/2
        (("nutrition", "child_mortality", "cooking_fuel", "assets"), POOR, False),
    ],
)
def test_the_mpi_classifies_on_the_weighted_score(deprived, expected, severe):
    result = classify(MPI, None, None, deprivations(MPI, *deprived))

    assert result.classification == expected
    assert result.severe is severe
    assert result.income_line_vnd is None
    assert result.deprivation_count == len(deprived)


def test_the_mpi_ignores_area_and_income_but_still_refuses_a_negative_income():
    assert classify(MPI, "urban", 99_000_000, deprivations(MPI)).classification == NOT_POOR
    with pytest.raises(PovertyInputError):
        classify(MPI, None, -5, deprivations(MPI))


def test_classifying_one_household_takes_well_under_a_millisecond():
    given = first(VN_2022, 3)
    rounds = 5_000

    start = time.perf_counter()
    for _ in range(rounds):
        classify(VN_2022, "rural", 1_400_000, given)
    per_call = (time.perf_counter() - start) / rounds

    assert per_call < 1e-3 / 10
