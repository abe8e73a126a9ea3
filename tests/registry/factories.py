"""Builders for registry tests: a plausible household, changed only where a test says."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ketnoi.registry.models import Household, HouseholdSource
from ketnoi.registry.services.households import HouseholdInput, MemberInput, household_create


def member_input(**changes) -> MemberInput:
    base = MemberInput(
        full_name="Lò Văn Pâng",
        birth_date=date(1985, 4, 12),
        sex="male",
        relation="head",
        ethnic_group="03",  # Thái
        education="lower_secondary",
        has_health_insurance=True,
        work="self_employed",
    )
    return replace(base, **changes)


def household_input(commune, *, members: list[MemberInput] | None = None, **changes) -> HouseholdInput:
    """A rural household of three in ``commune``: not deprived in anything, income above the lines."""
    base = HouseholdInput(
        commune_code=commune.code,
        area="rural",
        income_12m_vnd=3 * 12 * 3_000_000,
        walls="durable",
        frame="durable",
        roof="durable",
        floor_area_m2=Decimal("45.0"),
        water_source="piped",
        latrine="flush_septic",
        uses_telecom=True,
        waste_collected_or_treated=True,
        devices=["smartphone", "television"],
        address_line="Bản Mường Bú",
        contact_phone="0912345678",
        members=members
        if members is not None
        else [
            member_input(),
            member_input(
                full_name="Cầm Thị Ơn", birth_date=date(1988, 9, 2), sex="female", relation="spouse"
            ),
            member_input(
                full_name="Lò Thị Mai",
                birth_date=date(2014, 1, 20),
                sex="female",
                relation="child",
                education="primary",
                attending_school=True,
                work="not_in_labour_force",
            ),
        ],
    )
    return replace(base, **changes)


def make_household(commune, *, actor=None, source=HouseholdSource.OFFICER, **changes) -> Household:
    return household_create(actor=actor, data=household_input(commune, **changes), source=source)
