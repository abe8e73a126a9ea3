"""Builders for the annual-review tests: households with known facts, rounds at a given step.

Dates are fixed (the services take ``today``): in November 2025 the 1st is a
Saturday, so the 3rd is a Monday and the 7th a Friday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.registry.models import Assessment, Household, HouseholdSource, HouseholdStatus, ReviewRound
from ketnoi.registry.services import review
from tests.accounts.factories import user_with_role

from .factories import make_household, member_input

YEAR = 2025
MONDAY = date(2025, 11, 3)
FRIDAY = date(2025, 11, 7)
# Published on FRIDAY for 3 working days: Mon 10, Tue 11, Wed 12.
LAST_OBJECTION_DAY = date(2025, 11, 12)
AFTER_WINDOW = date(2025, 11, 13)

HEAD_CCCD = "014085123456"  # Sơn La, male, born 1985 (the factory's head)
POOR_INCOME_12M = 3 * 12 * 1_000_000  # 1,000,000 per person per month: under the rural line
MIDDLE_INCOME_12M = 3 * 12 * 1_800_000


def officer(commune, **fields):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune, **fields)


def verified(household: Household) -> Household:
    """``household`` as a second officer would leave it after checking it."""
    Household.objects.filter(pk=household.pk).update(
        status=HouseholdStatus.VERIFIED, verified_at=timezone.now()
    )
    household.refresh_from_db()
    return household


def poor_household(commune, *, head="Lò Văn Pâng", village="Bản Huổi Hẹ", phone="0912000001", **changes):
    """Income under the line and five deprivations (housing, water, latrine, telecom, devices)."""
    return make_household(
        commune,
        income_12m_vnd=POOR_INCOME_12M,
        walls="non_durable",
        frame="non_durable",
        roof="non_durable",
        water_source="surface",
        latrine="none",
        uses_telecom=False,
        devices=[],
        address_line=village,
        contact_phone=phone,
        **_with_head(head, changes),
    )


def near_poor_household(commune, *, head="Cầm Văn Ơn", village="Bản Mường Bú", phone="0912000002", **changes):
    """Income under the line, no deprivation."""
    return make_household(
        commune,
        income_12m_vnd=POOR_INCOME_12M,
        address_line=village,
        contact_phone=phone,
        **_with_head(head, changes),
    )


def not_poor_household(
    commune, *, head="Quàng Văn Khánh", village="Bản Nà Sản", phone="0912000003", **changes
):
    return make_household(commune, address_line=village, contact_phone=phone, **_with_head(head, changes))


def _with_head(head: str, changes: dict) -> dict:
    if "members" in changes:
        return changes
    members = [
        member_input(full_name=head, citizen_id=changes.pop("head_cccd", "")),
        member_input(full_name="Cầm Thị Xuân", birth_date=date(1988, 9, 2), sex="female", relation="spouse"),
        member_input(
            full_name="Lò Thị Mai",
            birth_date=date(2014, 1, 20),
            sex="female",
            relation="child",
            education="primary",
            attending_school=True,
            work="not_in_labour_force",
        ),
    ]
    return {**changes, "members": members}


def self_registered(household: Household, *, on: date = date(YEAR, 10, 1)) -> Household:
    """``household`` as if it had asked for review itself on ``on``."""
    Household.objects.filter(pk=household.pk).update(
        source=HouseholdSource.SELF,
        created_at=datetime(on.year, on.month, on.day, 9, 0, tzinfo=timezone.get_current_timezone()),
    )
    household.refresh_from_db()
    return household


def recognised_last_year(
    household: Household, classification: str = "poor", *, year: int = YEAR - 1
) -> Assessment:
    """A result of last year's round, recognised by the commune."""
    return Assessment.objects.create(
        household=household,
        year=year,
        standard="VN-2022-2025",
        standard_version="1",
        assessed_on=date(year, 11, 5),
        income_per_capita_vnd=900_000,
        deprived=["housing_quality", "water_source", "latrine"],
        deprivation_count=3,
        classification=classification,
        recognised=True,
    )


def round_at(actor, commune, state: str, *, year: int = YEAR) -> ReviewRound:
    """A round of ``commune`` taken up to ``state`` on the fixed November dates."""
    today = date(year, 11, 3)
    friday = today + timedelta(days=(4 - today.weekday()) % 7)
    the_round = review.review_round_open(actor=actor, commune=commune, year=year, today=today)
    steps = ["listed", "scored", "agreed", "published"]
    for step in steps[: steps.index(state) + 1] if state in steps else []:
        if step == "listed":
            review.review_round_list(actor=actor, round=the_round)
        elif step == "scored":
            review.review_round_score(actor=actor, round=the_round, today=today)
        elif step == "agreed":
            review.review_round_agree(
                actor=actor, round=the_round, meeting_date=friday, note="", today=friday
            )
        elif step == "published":
            review.review_round_publish(actor=actor, round=the_round, days=3, today=friday)
    the_round.refresh_from_db()
    return the_round
