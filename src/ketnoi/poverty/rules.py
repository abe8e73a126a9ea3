"""How each indicator's deprivation is read from a household's facts.

A rule is a small function of the facts and of *parameters that come from the
standard's data* (ages, thresholds, which water sources count as clean), so a
correction to the law is a change to a JSON file, not to this code. Each rule
declares its parameters with a parser; the loader parses and checks them once,
when the standard is loaded, so a typo in a data file fails at start-up
(``manage.py check``) and not in the middle of a review round.

A rule named ``given`` has no function: the facts cannot tell it (the global
MPI's child mortality, cooking fuel …) and the caller supplies the value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from .facts import Device, Education, HouseholdFacts, Latrine, Material, MemberFacts, Sex, WaterSource, Work

# The national standards' indicator codes, in the order forms and reports use.
INDICATOR_CODES: tuple[str, ...] = (
    "employment",
    "dependents",
    "nutrition",
    "health_insurance",
    "adult_education",
    "school_attendance",
    "housing_quality",
    "floor_area",
    "water_source",
    "latrine",
    "telecom",
    "information_devices",
    "waste_treatment",
)

# The global MPI's indicator codes (OPHI/UNDP, 2018 revision).
MPI_INDICATOR_CODES: tuple[str, ...] = (
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

MAX_AGE = 130
DWELLING_PARTS = ("walls", "frame", "roof")


@dataclass(frozen=True, slots=True)
class WorkingAge:
    """From ``min_age`` to the retirement age, in whole years, both ends included."""

    min_age: int
    max_age_male: int
    max_age_female: int
    max_age_unknown: int

    def max_age(self, sex: Sex | None) -> int:
        if sex == Sex.MALE:
            return self.max_age_male
        if sex == Sex.FEMALE:
            return self.max_age_female
        return self.max_age_unknown

    def includes(self, member: MemberFacts) -> bool:
        return self.min_age <= member.age <= self.max_age(member.sex)

    def above(self, member: MemberFacts) -> bool:
        return member.age > self.max_age(member.sex)


# --- Parameter parsers: raw JSON value -> typed value, or ValueError ----------


def _age(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= MAX_AGE:
        raise ValueError(f"expected a whole number of years from 0 to {MAX_AGE}, got {value!r}")
    return value


def _positive_number(value: Any) -> float:
    if type(value) not in (int, float) or not 0 < value < 1e6:
        raise ValueError(f"expected a positive number, got {value!r}")
    return float(value)


def _count(value: Any) -> int:
    if type(value) is not int or value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {value!r}")
    return value


def _share(value: Any) -> Fraction:
    fraction = parse_fraction(value)
    if not 0 < fraction < 1:
        raise ValueError(f"expected a share between 0 and 1, got {value!r}")
    return fraction


def _codes_of(enum: type[StrEnum]) -> Callable[[Any], frozenset[Any]]:
    def parse(value: Any) -> frozenset[Any]:
        if not isinstance(value, list) or not value:
            raise ValueError(f"expected a non-empty list of {enum.__name__} codes, got {value!r}")
        known = {member.value for member in enum}
        unknown = [v for v in value if v not in known]
        if unknown:
            raise ValueError(f"unknown {enum.__name__} codes {unknown}; known: {sorted(known)}")
        return frozenset(enum(v) for v in value)

    return parse


def _dwelling_parts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or any(v not in DWELLING_PARTS for v in value):
        raise ValueError(f"expected a non-empty list drawn from {list(DWELLING_PARTS)}, got {value!r}")
    return tuple(value)


def working_age(value: Any) -> WorkingAge:
    """Parse ``{"min_age": 15, "max_age": {"male": 60, "female": 55, "unknown": 60}}``."""
    if not isinstance(value, dict) or not isinstance(value.get("max_age"), dict):
        raise ValueError('expected {"min_age": …, "max_age": {"male": …, "female": …, "unknown": …}}')
    bounds = value["max_age"]
    missing = [key for key in ("male", "female", "unknown") if key not in bounds]
    if missing or "min_age" not in value:
        raise ValueError(f"working_age lacks {missing or ['min_age']}")
    parsed = WorkingAge(
        min_age=_age(value["min_age"]),
        max_age_male=_age(bounds["male"]),
        max_age_female=_age(bounds["female"]),
        max_age_unknown=_age(bounds["unknown"]),
    )
    if min(parsed.max_age_male, parsed.max_age_female, parsed.max_age_unknown) < parsed.min_age:
        raise ValueError("working_age: a max_age is below min_age")
    return parsed


def parse_fraction(value: Any) -> Fraction:
    """``"1/12"``, ``"0.5"`` or a JSON number, exactly (``0.1`` is one tenth, not a binary float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f'expected a fraction such as "1/12" or a number, got {value!r}')
    try:
        return Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise ValueError(f'expected a fraction such as "1/12" or a number, got {value!r}') from None


# --- The rules ----------------------------------------------------------------

Parameters = Mapping[str, Any]


def employment(h: HouseholdFacts, p: Parameters) -> bool:
    """A working-age member is unemployed, or works for a wage without a labour contract."""
    age: WorkingAge = p["working_age"]
    deprived_work: frozenset[Work] = p["deprived_work"]
    return any(m.work in deprived_work and age.includes(m) for m in h.members)


def dependents(h: HouseholdFacts, p: Parameters) -> bool:
    """Dependants are *more than* the given share of members.

    A dependant is a child under ``child_age_below``, a person above working
    age, or a working-age member unable to work; each member counts once.
    """
    age: WorkingAge = p["working_age"]
    child_below: int = p["child_age_below"]
    share: Fraction = p["more_than_share"]
    count = sum(
        1
        for m in h.members
        if m.age < child_below or age.above(m) or (age.includes(m) and not m.able_to_work)
    )
    # Exact: count / size > share, without floats.
    return count * share.denominator > share.numerator * len(h.members)


def nutrition(h: HouseholdFacts, p: Parameters) -> bool:
    """A child under ``age_below`` is stunted or underweight."""
    below: int = p["age_below"]
    return any(m.age < below and m.stunted_or_underweight for m in h.members)


def health_insurance(h: HouseholdFacts, p: Parameters) -> bool:
    """A member aged ``min_age`` or over has no health insurance."""
    min_age: int = p["min_age"]
    return any(m.age >= min_age and not m.has_health_insurance for m in h.members)


def adult_education(h: HouseholdFacts, p: Parameters) -> bool:
    """A member aged ``min_age``–``max_age`` (both included) is not in school and has not
    completed any of ``qualifying_education``."""
    low: int = p["min_age"]
    high: int = p["max_age"]
    qualifying: frozenset[Education] = p["qualifying_education"]
    return any(
        low <= m.age <= high and not m.attending_school and m.education not in qualifying for m in h.members
    )


def school_attendance(h: HouseholdFacts, p: Parameters) -> bool:
    """A child aged ``min_age`` to under ``age_below`` is not attending school."""
    low: int = p["min_age"]
    below: int = p["age_below"]
    return any(low <= m.age < below and not m.attending_school for m in h.members)


def housing_quality(h: HouseholdFacts, p: Parameters) -> bool:
    """At least ``min_non_durable_parts`` of the dwelling's ``parts`` are of non-durable materials."""
    parts: tuple[str, ...] = p["parts"]
    needed: int = p["min_non_durable_parts"]
    return sum(getattr(h, part) == Material.NON_DURABLE for part in parts) >= needed


def floor_area(h: HouseholdFacts, p: Parameters) -> bool:
    """Floor area per person is *under* ``min_m2_per_person`` (exactly at it is not deprived)."""
    minimum: float = p["min_m2_per_person"]
    return h.floor_area_m2 < minimum * len(h.members)


def water_source(h: HouseholdFacts, p: Parameters) -> bool:
    """The household's water source is not in the ``clean`` list."""
    clean: frozenset[WaterSource] = p["clean"]
    return h.water_source not in clean


def latrine(h: HouseholdFacts, p: Parameters) -> bool:
    """The household's latrine is not in the ``hygienic`` list."""
    hygienic: frozenset[Latrine] = p["hygienic"]
    return h.latrine not in hygienic


def telecom(h: HouseholdFacts, p: Parameters) -> bool:
    """No member uses phone or internet services."""
    return not h.uses_telecom


def information_devices(h: HouseholdFacts, p: Parameters) -> bool:
    """The household has none of the ``devices``."""
    devices: frozenset[Device] = p["devices"]
    return not (h.devices & devices)


def waste_treatment(h: HouseholdFacts, p: Parameters) -> bool:
    """Household waste is neither collected nor treated."""
    return not h.waste_collected_or_treated


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    derive: Callable[[HouseholdFacts, Parameters], bool] | None
    parameters: Mapping[str, Callable[[Any], Any]]

    @property
    def given(self) -> bool:
        return self.derive is None


GIVEN = "given"

RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule(
            "employment",
            employment,
            {"working_age": working_age, "deprived_work": _codes_of(Work)},
        ),
        Rule(
            "dependents",
            dependents,
            {"working_age": working_age, "child_age_below": _age, "more_than_share": _share},
        ),
        Rule("nutrition", nutrition, {"age_below": _age}),
        Rule("health_insurance", health_insurance, {"min_age": _age}),
        Rule(
            "adult_education",
            adult_education,
            {"min_age": _age, "max_age": _age, "qualifying_education": _codes_of(Education)},
        ),
        Rule("school_attendance", school_attendance, {"min_age": _age, "age_below": _age}),
        Rule(
            "housing_quality",
            housing_quality,
            {"parts": _dwelling_parts, "min_non_durable_parts": _count},
        ),
        Rule("floor_area", floor_area, {"min_m2_per_person": _positive_number}),
        Rule("water_source", water_source, {"clean": _codes_of(WaterSource)}),
        Rule("latrine", latrine, {"hygienic": _codes_of(Latrine)}),
        Rule("telecom", telecom, {}),
        Rule("information_devices", information_devices, {"devices": _codes_of(Device)}),
        Rule("waste_treatment", waste_treatment, {}),
        Rule(GIVEN, None, {}),
    )
}
