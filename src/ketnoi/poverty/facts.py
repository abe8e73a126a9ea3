"""The facts about one household that the poverty indicators are derived from.

Plain data, no Django: the registry fills these from its tables, a field
app or a CSV can fill them too. Codes are stable strings (they are stored
and exchanged); the labels people see live with the forms that ask for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Area(StrEnum):
    RURAL = "rural"
    URBAN = "urban"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Work(StrEnum):
    """What a member does for a living (asked of members aged 15 and over)."""

    WAGE_WITH_CONTRACT = "wage_with_contract"  # paid employee with a labour contract
    WAGE_WITHOUT_CONTRACT = "wage_without_contract"  # paid employee, no contract
    SELF_EMPLOYED = "self_employed"  # own farm, own business, family work
    UNEMPLOYED = "unemployed"  # able to work, looking, without work
    NOT_IN_LABOUR_FORCE = "not_in_labour_force"  # studying, retired, caring, unable to work


class Education(StrEnum):
    """Highest level completed."""

    NONE = "none"
    PRIMARY = "primary"
    LOWER_SECONDARY = "lower_secondary"
    UPPER_SECONDARY = "upper_secondary"
    VOCATIONAL = "vocational"  # a vocational certificate or diploma
    TERTIARY = "tertiary"


class Material(StrEnum):
    DURABLE = "durable"  # brick, concrete, steel, tiles, treated hardwood
    NON_DURABLE = "non_durable"  # bamboo, thatch, leaves, mud, tarpaulin


class WaterSource(StrEnum):
    PIPED = "piped"
    PROTECTED_WELL = "protected_well"  # drilled or protected dug well
    PROTECTED_SPRING = "protected_spring"
    RAINWATER = "rainwater"  # collected and stored covered
    BOTTLED = "bottled"
    UNPROTECTED_WELL = "unprotected_well"
    UNPROTECTED_SPRING = "unprotected_spring"
    SURFACE = "surface"  # river, stream, pond, lake
    OTHER = "other"


class Latrine(StrEnum):
    FLUSH_SEPTIC = "flush_septic"  # flush or pour-flush to a septic tank
    SEMI_SEPTIC = "semi_septic"
    DOUBLE_VAULT = "double_vault"
    VENTILATED_PIT = "ventilated_pit"
    BIOGAS = "biogas"
    UNHYGIENIC = "unhygienic"  # open pit, hanging latrine, over a pond
    NONE = "none"


class Device(StrEnum):
    TELEVISION = "television"
    RADIO = "radio"
    COMPUTER = "computer"
    SMARTPHONE = "smartphone"
    TABLET = "tablet"


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """One member, with age in whole years on the assessment date."""

    age: int
    attending_school: bool = False
    education: Education = Education.NONE
    has_health_insurance: bool = True
    work: Work = Work.NOT_IN_LABOUR_FORCE
    able_to_work: bool = True  # False for a severe disability or long illness
    stunted_or_underweight: bool = False  # asked for children under 16
    # Working age ends at the retirement age, which the Labour Code sets by
    # sex; when it is not known the standard's "unknown" bound applies.
    sex: Sex | None = None


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    area: Area
    income_12m_vnd: int  # the whole household's income over the last 12 months
    members: tuple[MemberFacts, ...]
    walls: Material = Material.DURABLE
    frame: Material = Material.DURABLE
    roof: Material = Material.DURABLE
    floor_area_m2: float = 0.0
    water_source: WaterSource = WaterSource.PIPED
    latrine: Latrine = Latrine.FLUSH_SEPTIC
    uses_telecom: bool = True  # a member uses phone or internet services
    devices: frozenset[Device] = field(default_factory=frozenset)
    waste_collected_or_treated: bool = True

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def income_per_capita_month_vnd(self) -> int:
        """Average income per person per month, in whole đồng (rounded down)."""
        if not self.members:
            return 0
        return self.income_12m_vnd // (12 * len(self.members))
