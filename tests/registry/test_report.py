"""``manage.py poverty_report``: figures of a small registry, computed by hand."""

from __future__ import annotations

import csv
from datetime import date

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from ketnoi.registry.models import Assessment

from .factories import make_household, member_input

pytestmark = pytest.mark.django_db

STANDARD = "VN-2022-2025"
YEAR = 2025
FOUR = ["employment", "health_insurance", "latrine", "water_source"]


def _assessed(commune, classification: str, deprived: list[str], *, year: int = YEAR, **household):
    made = make_household(commune, **household)
    Assessment.objects.create(
        household=made,
        year=year,
        standard=STANDARD,
        standard_version="1",
        assessed_on=date(year, 10, 15),
        income_per_capita_vnd=1_000_000,
        deprived=deprived,
        deprivation_count=len(deprived),
        classification=classification,
    )
    return made


@pytest.fixture
def registry(commune_a, commune_b):
    """Commune A: a poor household deprived in 4 of 12, a near-poor one in 1, a non-poor one in 0.
    Commune B: a poor one and a middle one, each deprived in exactly 3 (k = 3/12)."""
    _assessed(commune_a, "poor", FOUR)
    _assessed(commune_a, "near_poor", ["latrine"])
    _assessed(commune_a, "not_poor", [])
    _assessed(commune_b, "poor", FOUR[:3], members=[member_input(full_name="Giàng A Chứ", ethnic_group="08")])
    _assessed(
        commune_b,
        "middle",
        FOUR[1:],
        members=[
            member_input(full_name="Giàng Thị Mỷ", sex="female", ethnic_group="08"),
            member_input(
                full_name="Giàng A Pao", relation="child", birth_date=date(2010, 5, 1), ethnic_group="08"
            ),
        ],
    )


def _csv(tmp_path, *args: str) -> dict[str, dict[str, str]]:
    out = tmp_path / "report.csv"
    call_command("poverty_report", *args, "--output", str(out))
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    header = rows[0]
    return {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}


def test_by_commune_counts_and_alkire_foster_measures(registry, commune_a, commune_b, tmp_path):
    report = _csv(tmp_path, "--by", "commune", "--standard", STANDARD)

    a, b, everyone = report[commune_a.name], report[commune_b.name], report["Tất cả"]
    assert (a["Hộ"], a["Nhân khẩu"], a["Nghèo"], a["Cận nghèo"], a["Trung bình"], a["Không nghèo"]) == (
        "3",
        "9",
        "1",
        "1",
        "0",
        "1",
    )
    # A: scores 4/12, 1/12, 0 -> one poor at k = 3/12: H = 1/3, A = 4/12, M0 = (4/12)/3
    assert (a["Tỷ lệ hộ nghèo"], a["H"], a["A"], a["M0"]) == ("0.3333", "0.3333", "0.3333", "0.1111")
    # B: both exactly at k -> H = 1, A = 3/12, M0 = 3/12; one of two classified poor
    assert (b["Hộ"], b["Nhân khẩu"], b["Tỷ lệ hộ nghèo"], b["H"], b["A"], b["M0"]) == (
        "2",
        "3",
        "0.5",
        "1.0",
        "0.25",
        "0.25",
    )
    # All: n = 5, q = 3, Σc = 10/12 -> H = 0.6, A = (10/12)/3, M0 = (10/12)/5
    assert (everyone["Hộ"], everyone["Nghèo"], everyone["H"], everyone["A"], everyone["M0"]) == (
        "5",
        "2",
        "0.6",
        "0.2778",
        "0.1667",
    )


def test_by_sex_and_ethnicity_of_the_head(registry, tmp_path):
    by_sex = _csv(tmp_path, "--by", "head_sex")
    by_ethnicity = _csv(tmp_path, "--by", "ethnicity")

    assert (by_sex["Nam"]["Hộ"], by_sex["Nữ"]["Hộ"], by_sex["Nữ"]["M0"]) == ("4", "1", "0.25")
    assert (by_ethnicity["Thái"]["Hộ"], by_ethnicity["Mông"]["Hộ"], by_ethnicity["Mông"]["H"]) == (
        "3",
        "2",
        "1.0",
    )


def test_by_province_as_xlsx(registry, commune_a, tmp_path):
    out = tmp_path / "report.xlsx"

    call_command("poverty_report", "--by", "province", "--output", str(out), "--standard", STANDARD)

    rows = list(openpyxl.load_workbook(out, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("Tỉnh/thành phố", "Hộ", "Nhân khẩu")
    son_la = next(r for r in rows if r[0] == commune_a.province.name)
    assert son_la[1:4] == (3, 9, 1)
    assert rows[-1][0] == "Tất cả"
    assert rows[-1][1] == 5


def test_each_households_latest_assessment_counts_once_unless_a_year_is_asked(commune_a, tmp_path):
    # Given a household poor in 2024 and near-poor in 2025
    household = _assessed(commune_a, "poor", FOUR, year=2024)
    Assessment.objects.create(
        household=household,
        year=2025,
        standard=STANDARD,
        standard_version="1",
        assessed_on=date(2025, 10, 15),
        income_per_capita_vnd=1_400_000,
        deprived=["latrine"],
        deprivation_count=1,
        classification="near_poor",
    )

    latest = _csv(tmp_path, "--by", "commune", "--standard", STANDARD)
    in_2024 = _csv(tmp_path, "--by", "commune", "--standard", STANDARD, "--year", "2024")

    assert (latest[commune_a.name]["Hộ"], latest[commune_a.name]["Nghèo"]) == ("1", "0")
    assert (in_2024[commune_a.name]["Hộ"], in_2024[commune_a.name]["Nghèo"]) == ("1", "1")


def test_another_standards_assessments_are_left_out(registry, tmp_path):
    report = _csv(tmp_path, "--by", "commune", "--standard", "VN-2027-2030")

    assert report == {"Tất cả": report["Tất cả"]}
    assert report["Tất cả"]["Hộ"] == "0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "village", "--output", "r.csv"], "--by phải là một trong"),
        (["--by", "commune", "--output", "r.pdf"], ".xlsx hoặc .csv"),
        (["--by", "commune", "--output", "r.csv", "--standard", "VN-1999"], "Không có chuẩn nghèo"),
    ],
)
def test_bad_arguments_are_a_clear_error(db, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)

    with pytest.raises(CommandError) as raised:
        call_command("poverty_report", *args)

    assert message in str(raised.value)
    assert not list(tmp_path.iterdir())
