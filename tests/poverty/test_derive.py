"""Each indicator's rule at its edges, read from household facts."""

from __future__ import annotations

from datetime import date

import pytest

from ketnoi.poverty import PovertyInputError, assess, derive_deprivations, standards
from ketnoi.poverty.facts import Area, Device, Education, Latrine, Material, Sex, WaterSource, Work

from .helpers import MPI, VN_2022, VN_2027, adult, child, household


def deprived(facts, code, standard=VN_2022):
    return derive_deprivations(standard, facts)[code]


def test_a_household_with_nothing_missing_is_deprived_in_nothing():
    for code in (VN_2022, VN_2027):
        result = derive_deprivations(code, household(adult(), adult(30), child(8)))
        assert list(result) == list(standards.get(code).codes)
        assert not any(result.values())


@pytest.mark.parametrize(("age", "expected"), [(5, False), (6, True), (70, True)])
def test_health_insurance_from_age_six(age, expected):
    facts = household(adult(), child(age, has_health_insurance=False))

    assert deprived(facts, "health_insurance") is expected


@pytest.mark.parametrize(("age", "expected"), [(2, False), (3, True), (15, True), (16, False)])
def test_school_attendance_from_three_to_under_sixteen(age, expected):
    facts = household(adult(), child(age, attending_school=False))

    assert deprived(facts, "school_attendance") is expected


@pytest.mark.parametrize(("age", "expected"), [(15, False), (16, True), (30, True), (31, False)])
def test_adult_education_for_ages_sixteen_to_thirty(age, expected):
    facts = household(adult(), adult(age, education=Education.PRIMARY, attending_school=False))

    assert deprived(facts, "adult_education") is expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"education": Education.NONE}, True),
        ({"education": Education.PRIMARY, "attending_school": True}, False),  # still studying
        ({"education": Education.LOWER_SECONDARY}, False),
        ({"education": Education.VOCATIONAL}, False),
    ],
)
def test_adult_education_needs_lower_secondary_or_training_or_to_be_in_school(changes, expected):
    facts = household(adult(), adult(20, **changes))

    assert deprived(facts, "adult_education") is expected


@pytest.mark.parametrize(
    ("walls", "frame", "roof", "expected"),
    [
        (Material.NON_DURABLE, Material.DURABLE, Material.DURABLE, False),
        (Material.NON_DURABLE, Material.DURABLE, Material.NON_DURABLE, True),
        (Material.DURABLE, Material.NON_DURABLE, Material.NON_DURABLE, True),
        (Material.NON_DURABLE, Material.NON_DURABLE, Material.NON_DURABLE, True),
    ],
)
def test_housing_quality_two_of_three_parts_non_durable(walls, frame, roof, expected):
    facts = household(adult(), walls=walls, frame=frame, roof=roof)

    assert deprived(facts, "housing_quality") is expected


@pytest.mark.parametrize(("area_m2", "expected"), [(24.0, False), (23.99, True), (0.0, True), (40.0, False)])
def test_floor_area_under_eight_square_metres_a_person(area_m2, expected):
    facts = household(
        adult(), adult(), child(), floor_area_m2=area_m2
    )  # three people: 24 m² is exactly 8 each

    assert deprived(facts, "floor_area") is expected


def test_dependants_exactly_half_of_the_household_is_not_deprived():
    two_of_four = household(adult(), adult(), child(3), child(15))

    assert deprived(two_of_four, "dependents") is False


def test_dependants_more_than_half_is_deprived():
    three_of_five = household(adult(), adult(), child(3), child(15), adult(70))

    assert deprived(three_of_five, "dependents") is True


@pytest.mark.parametrize(
    ("member", "counts"),
    [
        (child(15), True),  # under 16, though of working age
        (adult(16), False),
        (adult(40, able_to_work=False), True),  # working age but unable to work
        (adult(60, sex=Sex.MALE), False),
        (adult(61, sex=Sex.MALE), True),  # above working age
        (adult(55, sex=Sex.FEMALE), False),
        (adult(56, sex=Sex.FEMALE), True),
        (adult(60), False),  # sex unknown: the standard's "unknown" bound, 60
        (adult(61), True),
    ],
)
def test_who_counts_as_a_dependant(member, counts):
    # One other adult and one child: the member tips the share over half or not.
    facts = household(adult(), child(10), member)

    assert deprived(facts, "dependents") is counts


def test_working_age_is_data_and_differs_between_standards():
    man_of_61 = household(adult(61, sex=Sex.MALE, work=Work.UNEMPLOYED), adult())

    assert deprived(man_of_61, "employment", VN_2022) is False  # above working age (60) in 2022–2025
    assert deprived(man_of_61, "employment", VN_2027) is True  # still working age (61) in 2027–2030


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        (adult(30, work=Work.UNEMPLOYED), True),
        (adult(30, work=Work.WAGE_WITHOUT_CONTRACT), True),
        (adult(30, work=Work.WAGE_WITH_CONTRACT), False),
        (adult(30, work=Work.SELF_EMPLOYED), False),
        (adult(30, work=Work.NOT_IN_LABOUR_FORCE), False),
        (child(14, work=Work.UNEMPLOYED), False),  # below working age
        (adult(15, work=Work.UNEMPLOYED), True),
        (adult(56, sex=Sex.FEMALE, work=Work.UNEMPLOYED), False),  # above working age for women
        (adult(56, sex=Sex.MALE, work=Work.UNEMPLOYED), True),
    ],
)
def test_employment_a_working_age_member_unemployed_or_without_contract(member, expected):
    assert deprived(household(adult(), member), "employment") is expected


@pytest.mark.parametrize(("age", "expected"), [(15, True), (16, False)])
def test_nutrition_a_child_under_sixteen_stunted_or_underweight(age, expected):
    facts = household(adult(), child(age, stunted_or_underweight=True))

    assert deprived(facts, "nutrition") is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [(WaterSource.PIPED, False), (WaterSource.PROTECTED_WELL, False), (WaterSource.SURFACE, True)],
)
def test_water_source_clean_or_not(source, expected):
    assert deprived(household(water_source=source), "water_source") is expected


@pytest.mark.parametrize(
    ("latrine", "expected"),
    [(Latrine.FLUSH_SEPTIC, False), (Latrine.UNHYGIENIC, True), (Latrine.NONE, True)],
)
def test_latrine_hygienic_or_not(latrine, expected):
    assert deprived(household(latrine=latrine), "latrine") is expected


def test_telecom_information_devices_and_waste():
    cut_off = household(uses_telecom=False, devices=frozenset(), waste_collected_or_treated=False)
    connected = household(devices=frozenset({Device.RADIO}))

    assert deprived(cut_off, "telecom") and deprived(cut_off, "information_devices")
    assert not deprived(connected, "telecom") and not deprived(connected, "information_devices")
    assert deprived(cut_off, "waste_treatment", VN_2027)
    assert not deprived(connected, "waste_treatment", VN_2027)


def test_a_household_without_members_is_refused():
    with pytest.raises(PovertyInputError) as caught:
        derive_deprivations(VN_2022, household(adult(), members=()))

    assert caught.value.code == "invalid_facts"


@pytest.mark.parametrize(
    "changes", [{"floor_area_m2": -1.0}, {"floor_area_m2": float("nan")}, {"income_12m_vnd": -12}]
)
def test_impossible_facts_are_refused(changes):
    with pytest.raises(PovertyInputError):
        derive_deprivations(VN_2022, household(adult(), **changes))


def test_assess_uses_the_monthly_income_per_person_and_records_the_standard():
    # Given three people earning exactly the rural line each month, in three indicators deprived
    facts = household(
        adult(),
        adult(),
        child(8),
        area=Area.RURAL,
        income_12m_vnd=3 * 12 * 1_500_000,
        uses_telecom=False,
        water_source=WaterSource.SURFACE,
        latrine=Latrine.NONE,
    )

    result = assess("auto", facts, on=date(2025, 6, 1))

    assert result.classification == "poor"
    assert result.deprived == ("water_source", "latrine", "telecom")
    assert (result.standard, result.income_line_vnd) == (VN_2022, 1_500_000)
    assert assess(
        VN_2022, household(*facts.members, income_12m_vnd=facts.income_12m_vnd + 36)
    ).classification == ("middle")


def test_the_mpi_derives_what_the_facts_tell_and_takes_the_rest_as_given():
    given = {
        "nutrition": False,
        "child_mortality": False,
        "years_of_schooling": False,
        "cooking_fuel": True,
        "electricity": False,
        "assets": False,
    }
    facts = household(adult(), child(9, attending_school=False), roof=Material.NON_DURABLE)

    result = derive_deprivations(MPI, facts, given=given)

    assert result["school_attendance"] is True  # a child of 9 out of school
    assert result["housing"] is True  # walls or roof suffice for the MPI
    assert result["cooking_fuel"] is True
    assert assess(MPI, facts, given=given).score == pytest.approx(1 / 6 + 2 / 18)


def test_the_mpi_needs_every_given_indicator_and_refuses_to_override_a_derived_one():
    with pytest.raises(PovertyInputError, match="child_mortality"):
        derive_deprivations(MPI, household(), given={"nutrition": False})
    with pytest.raises(PovertyInputError, match="housing"):
        derive_deprivations(MPI, household(), given={"housing": True})
