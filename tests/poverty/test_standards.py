"""The standards are data: loaded from JSON, checked, and picked by date."""

from __future__ import annotations

import json
import shutil
from datetime import date
from fractions import Fraction
from importlib import resources
from pathlib import Path

import pytest

from ketnoi.core.errors import DomainError
from ketnoi.poverty import INDICATOR_CODES, PovertyInputError, StandardDataError, classify, standards
from ketnoi.poverty.apps import check_standards
from ketnoi.poverty.facts import Area
from ketnoi.poverty.standards import load_directory, parse

from .helpers import MPI, VN_2022, VN_2027, deprivations

DATA = Path(str(resources.files("ketnoi.poverty.standards")))


def _data(code: str) -> dict:
    return json.loads((DATA / f"{code}.json").read_text(encoding="utf-8"))


def test_three_standards_ship_national_ones_first_by_date():
    assert [s.code for s in standards.all()] == [VN_2022, VN_2027, MPI]


def test_the_2022_2025_standard_records_its_source_validity_lines_and_twelve_indicators():
    s = standards.get(VN_2022)

    assert "07/2021/NĐ-CP" in s.source
    assert any("351/2025" in text for text in s.related)  # the transition clause
    assert (s.valid_from, s.valid_to) == (date(2022, 1, 1), date(2026, 12, 31))
    assert s.income_lines[Area.RURAL].poor_vnd == 1_500_000
    assert s.income_lines[Area.RURAL].middle_upper_vnd == 2_250_000
    assert s.income_lines[Area.URBAN].poor_vnd == 2_000_000
    assert s.income_lines[Area.URBAN].middle_upper_vnd == 3_000_000
    assert s.codes == INDICATOR_CODES[:12]
    assert {i.weight for i in s.indicators} == {Fraction(1, 12)}
    assert (s.min_deprivations, s.k) == (3, Fraction(3, 12))
    assert s.indicator("floor_area").parameters["min_m2_per_person"] == 8
    assert s.indicator("health_insurance").parameters["min_age"] == 6
    assert s.indicator("school_attendance").parameters == {"min_age": 3, "age_below": 16}
    assert s.indicator("dependents").parameters["more_than_share"] == Fraction(1, 2)
    assert s.working_age is not None and s.working_age.min_age == 15


def test_the_2027_2030_standard_drops_information_devices_adds_waste_and_has_no_middle_band():
    s = standards.get(VN_2027)

    assert "351/2025" in s.source
    assert (s.valid_from, s.valid_to) == (date(2027, 1, 1), date(2030, 12, 31))
    assert s.income_lines[Area.RURAL].poor_vnd == 2_200_000
    assert s.income_lines[Area.URBAN].poor_vnd == 2_800_000
    assert all(line.middle_upper_vnd is None for line in s.income_lines.values())
    assert "information_devices" not in s.codes
    assert s.codes[-1] == "waste_treatment"
    assert len(s.codes) == 12
    assert s.indicator("waste_treatment").dimension == "water_sanitation"


def test_the_global_mpi_has_its_ten_indicators_weights_and_cutoffs():
    s = standards.get(MPI)

    assert s.kind == "mpi"
    assert s.codes == (
        "nutrition",
        "child_mortality",
        "years_of_schooling",
        "school_attendance",
        "cooking_fuel",
        "sanitation",
        "drinking_water",
        "electricity",
        "housing",
        "assets",
    )
    assert [i.weight for i in s.indicators] == [Fraction(1, 6)] * 4 + [Fraction(1, 18)] * 6
    assert (s.k, s.vulnerable_k, s.severe_k) == (Fraction(1, 3), Fraction(1, 5), Fraction(1, 2))
    assert s.in_force_on(date(1990, 1, 1)) and s.in_force_on(date(2100, 1, 1))


def test_items_read_from_secondary_sources_are_marked_check():
    for code in (VN_2022, VN_2027):
        s = standards.get(code)
        assert all("(check)" in i.note for i in s.indicators), code
        assert any("(check)" in note for note in s.notes)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2022, 1, 1), VN_2022),
        (date(2026, 12, 31), VN_2022),  # kept in force by the transition clause
        (date(2027, 1, 1), VN_2027),
        (date(2030, 12, 31), VN_2027),
    ],
)
def test_in_force_picks_the_national_standard_of_the_day(day, expected):
    assert standards.in_force(day).code == expected


@pytest.mark.parametrize("day", [date(2021, 12, 31), date(2031, 1, 1)])
def test_a_day_no_national_standard_covers_is_refused_in_vietnamese(day):
    with pytest.raises(PovertyInputError) as caught:
        standards.in_force(day)

    assert caught.value.code == "no_standard_in_force"
    assert day.strftime("%d/%m/%Y") in str(caught.value)
    assert "Không có chuẩn nghèo quốc gia nào" in str(caught.value)


def test_an_unknown_code_is_refused_naming_the_known_ones():
    with pytest.raises(PovertyInputError) as caught:
        standards.get("VN-2016-2020")

    error = caught.value
    assert isinstance(error, DomainError) and isinstance(error, ValueError)
    assert error.code == "unknown_standard"
    assert "VN-2016-2020" in str(error) and VN_2022 in str(error) and MPI in str(error)


def test_a_correction_is_a_data_change_only(tmp_path):
    # Given the 2022–2025 data with the floor-area threshold corrected to 10 m², version 2
    data = _data(VN_2022)
    data["version"] = "2"
    next(i for i in data["indicators"] if i["code"] == "floor_area")["parameters"]["min_m2_per_person"] = 10
    (tmp_path / f"{VN_2022}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    # When it is loaded
    corrected = load_directory(tmp_path)[VN_2022]

    # Then the new threshold and version are in force, and the digest tells the files apart
    assert corrected.indicator("floor_area").parameters["min_m2_per_person"] == 10
    assert corrected.version == "2"
    assert corrected.digest != standards.get(VN_2022).digest
    result = classify(corrected, "rural", 1_000_000, deprivations(VN_2022, "floor_area"))
    assert (result.standard, result.standard_version) == (VN_2022, "2")


def test_overlapping_national_standards_are_refused(tmp_path):
    for code in (VN_2022, VN_2027):
        shutil.copy(DATA / f"{code}.json", tmp_path)
    data = _data(VN_2027)
    data["valid_from"] = "2026-12-31"
    (tmp_path / f"{VN_2027}.json").write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(StandardDataError, match="must not overlap"):
        load_directory(tmp_path)


def test_a_file_whose_name_does_not_match_its_code_is_refused(tmp_path):
    shutil.copy(DATA / f"{VN_2022}.json", tmp_path / "VN-OTHER.json")

    with pytest.raises(StandardDataError, match="must match the file name"):
        load_directory(tmp_path)


def _broken(change) -> dict:
    data = _data(VN_2022)
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["indicators"][0].update(weight="1/11"), "add up to exactly 1"),
        (lambda d: d["indicators"][0].update(rule="employmnet"), "unknown rule 'employmnet'"),
        (lambda d: d["indicators"][3]["parameters"].update(min_age="six"), "parameters.min_age"),
        (lambda d: d["indicators"][3]["parameters"].update(max_age=7), "unknown ['max_age']"),
        (lambda d: d["indicators"][8]["parameters"].update(clean=["piped", "river"]), "unknown WaterSource"),
        (lambda d: d["indicators"][0].update(code="jobs"), "'jobs' is not one of"),
        (lambda d: d["income_lines"].pop("urban"), "a line for each area"),
        (lambda d: d["income_lines"]["rural"].update(middle_upper_vnd=1_000_000), "poor_vnd < middle_upper"),
        (lambda d: d["cutoff"].update(k="1/3"), "k = min_deprivations × weight"),
        (lambda d: d.update(valid_to="2021-01-01"), "before valid_from"),
        (lambda d: d.update(valid_from="1 Jan 2022"), "YYYY-MM-DD"),
        (lambda d: d.pop("version"), "version: missing"),
    ],
)
def test_a_malformed_standard_is_refused_naming_the_field(change, message):
    with pytest.raises(StandardDataError, match=message.replace("[", r"\[").replace("]", r"\]")) as caught:
        parse(_broken(change), name="edited.json")

    assert str(caught.value).startswith("edited.json: ")


def test_the_system_check_passes_on_the_shipped_data():
    assert check_standards() == []
