"""Households and deprivation maps for the poverty tests, non-deprived unless told otherwise."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ketnoi.poverty import standards
from ketnoi.poverty.facts import Area, Device, Education, HouseholdFacts, MemberFacts, Work

VN_2022 = "VN-2022-2025"
VN_2027 = "VN-2027-2030"
MPI = "GLOBAL-MPI"


def deprivations(code: str, *deprived: str) -> dict[str, bool]:
    """Every indicator of standard ``code``, True for those named."""
    chosen = standards.get(code)
    unknown = set(deprived) - chosen.code_set
    assert not unknown, f"{unknown} not in {code}"
    return {c: c in deprived for c in chosen.codes}


def first(code: str, count: int) -> dict[str, bool]:
    """Deprived in the standard's first ``count`` indicators."""
    return deprivations(code, *standards.get(code).codes[:count])


def adult(age: int = 35, **changes: Any) -> MemberFacts:
    """A member with nothing that deprives the household: insured, schooled, in work with a contract."""
    base = MemberFacts(
        age=age,
        education=Education.UPPER_SECONDARY,
        has_health_insurance=True,
        work=Work.WAGE_WITH_CONTRACT,
    )
    return replace(base, **changes)


def child(age: int = 10, **changes: Any) -> MemberFacts:
    base = MemberFacts(age=age, attending_school=True, education=Education.PRIMARY, has_health_insurance=True)
    return replace(base, **changes)


def household(*members: MemberFacts, **changes: Any) -> HouseholdFacts:
    """A household deprived in nothing: durable house, 20 m² a person, clean water, a phone."""
    members = members or (adult(),)
    base = HouseholdFacts(
        area=Area.RURAL,
        income_12m_vnd=12 * len(members) * 5_000_000,
        members=tuple(members),
        floor_area_m2=20.0 * len(members),
        devices=frozenset({Device.SMARTPHONE}),
    )
    return replace(base, **changes)
