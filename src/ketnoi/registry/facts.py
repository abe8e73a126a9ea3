"""From the registry's rows to the poverty package's plain facts."""

from __future__ import annotations

from datetime import date

from ketnoi.poverty.facts import (
    Area,
    Device,
    Education,
    HouseholdFacts,
    Latrine,
    Material,
    MemberFacts,
    Sex,
    WaterSource,
    Work,
)

from .models import Household, Member


def age_on(birth_date: date, on: date) -> int:
    """Whole years of age on ``on``."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def member_facts(member: Member, *, on: date) -> MemberFacts:
    return MemberFacts(
        age=age_on(member.birth_date, on),
        attending_school=member.attending_school,
        education=Education(member.education),
        has_health_insurance=member.has_health_insurance,
        work=Work(member.work),
        able_to_work=member.able_to_work,
        stunted_or_underweight=member.stunted_or_underweight,
        sex=Sex(member.sex),  # working age ends at a retirement age set by sex
    )


def household_facts(household: Household, members: list[Member], *, on: date) -> HouseholdFacts:
    """The facts of ``household`` with its ``members`` (passed in: no query here)."""
    return HouseholdFacts(
        area=Area(household.area),
        income_12m_vnd=household.income_12m_vnd,
        members=tuple(member_facts(m, on=on) for m in members),
        walls=Material(household.walls),
        frame=Material(household.frame),
        roof=Material(household.roof),
        floor_area_m2=float(household.floor_area_m2),
        water_source=WaterSource(household.water_source),
        latrine=Latrine(household.latrine),
        uses_telecom=household.uses_telecom,
        devices=frozenset(Device(d) for d in household.devices),
        waste_collected_or_treated=household.waste_collected_or_treated,
    )
