"""Shared builders for programme tests: verified households, programmes, cycles.

    household = verified_household(commune_a, classification="near_poor", members=4)
    officer = programme_officer(commune_a.province)
    programme = programme_make(officer, province=commune_a.province)   # active, budget in its fund
    cycle = cycle_approved(programme, preparer=officer, approver=programme_officer(commune_a.province))

Households are registered through the registry's service, then marked
verified and given an assessment directly (what an officer's verification
and the commune's review would do), so a test controls the classification.
Other helpers may ADD builders at the end of this file; don't change these.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.programmes.models import Cycle, Programme
from ketnoi.programmes.services.cycles import cycle_approve, cycle_enrol, cycle_open, cycle_submit
from ketnoi.programmes.services.programmes import programme_activate, programme_create
from ketnoi.registry.models import Assessment, Household, HouseholdStatus
from tests.accounts.factories import user_with_role
from tests.registry.factories import make_household, member_input

STANDARD = "VN-2022-2025"
POOR_ONLY = {"all": [{"field": "classification", "op": "in", "value": ["poor", "near_poor"]}]}

_counter = itertools.count(1)


def unique_phone() -> str:
    """A mobile number no other test household or user has."""
    return f"+8497{next(_counter):07d}"


def verified_household(
    commune,
    *,
    classification: str | None = "poor",
    members: int = 3,
    head_sex: str = "female",
    phone: str | None = None,
    payout: bool = False,
    ethnic_group: str = "03",  # Thái; "01" is Kinh
    children: int = 0,
    disability: bool = False,
    area: str = "rural",
    head_name: str | None = None,
    recognised: bool = True,
    status: str = HouseholdStatus.VERIFIED,
) -> Household:
    """A household of ``members`` people in ``commune``, verified, with this year's assessment.

    ``children`` of the members are under 16; ``disability`` marks the last
    member; ``phone=None`` gives a fresh number (``""`` none); ``payout``
    gives it a bank account; ``classification=None`` leaves it unassessed.
    """
    n = next(_counter)
    born = date(1980, 1, 1) + timedelta(days=n)  # distinct birth dates: no duplicate flags
    people = [
        member_input(
            full_name=head_name or ("Lò Thị Xuân" if head_sex == "female" else "Lò Văn Pâng"),
            birth_date=born,
            sex=head_sex,
            relation="head",
            ethnic_group=ethnic_group,
        )
    ]
    for i in range(1, members):
        child = i <= children
        people.append(
            member_input(
                full_name="Lò Thị Mai" if child else "Cầm Văn Ơn",
                birth_date=(date(2016, 1, 1) if child else date(1990, 1, 1)) + timedelta(days=n * 3 + i),
                sex="female" if child else "male",
                relation="child" if child else "other",
                ethnic_group=ethnic_group,
                education="primary" if child else "lower_secondary",
                attending_school=child,
                work="not_in_labour_force" if child else "self_employed",
                has_disability=disability and i == members - 1,
            )
        )
    if disability and members == 1:
        people[0].has_disability = True
    household = make_household(
        commune, members=people, contact_phone=unique_phone() if phone is None else phone, area=area
    )
    changes: dict[str, object] = {"status": status}
    if status == HouseholdStatus.VERIFIED:
        changes["verified_at"] = timezone.now()
    if payout:
        changes |= {
            "payout_bank_bin": "970405",
            "payout_account": f"71002{n:08d}",
            "payout_account_name": "LO THI XUAN",
        }
    Household.objects.filter(pk=household.pk).update(**changes)
    household.refresh_from_db()
    if classification is not None:
        assess(household, classification, recognised=recognised)
    return household


def assess(household: Household, classification: str, *, year: int | None = None, recognised: bool = True):
    """Give ``household`` an assessment of ``year`` (default this year) with ``classification``."""
    today = timezone.localdate()
    year = year or today.year
    return Assessment.objects.create(
        household=household,
        year=year,
        standard=STANDARD,
        standard_version="test",
        assessed_on=date(year, 1, 15) if year != today.year else today,
        income_per_capita_vnd=1_000_000,
        deprived=[],
        deprivation_count=0,
        classification=classification,
        recognised=recognised,
    )


def programme_officer(province, **user_fields):
    """A programme officer of ``province``."""
    return user_with_role(Role.PROGRAMME_OFFICER, province=province, **user_fields)


def administrator(**user_fields):
    return user_with_role(Role.ADMINISTRATOR, **user_fields)


def programme_make(
    actor,
    *,
    province=None,
    communes=(),
    entitlement: str = "per_household",
    amount_vnd: int = 500_000,
    rules=None,
    activate: bool = True,
    budget_vnd: int = 100_000_000,
    code: str | None = None,
    name: str = "Hỗ trợ khẩn cấp COVID-19",
    voucher_valid_days: int = 60,
) -> Programme:
    """A programme of ``province`` (national without one) for poor and near-poor households,
    created by ``actor`` and (``activate``) active with its budget in its fund."""
    today = timezone.localdate()
    programme = programme_create(
        actor=actor,
        code=code or f"ct-{next(_counter)}",
        name=name,
        province=province,
        communes=communes,
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=180),
        budget_vnd=budget_vnd,
        rules=POOR_ONLY if rules is None else rules,
        entitlement=entitlement,
        amount_vnd=amount_vnd,
        voucher_valid_days=voucher_valid_days,
    )
    if activate:
        programme = programme_activate(programme, actor=actor)
    return programme


def cycle_enrolled(programme: Programme, *, preparer) -> Cycle:
    """A new cycle of ``programme`` with its list taken by ``preparer``."""
    return cycle_enrol(cycle_open(programme, actor=preparer), actor=preparer)


def cycle_approved(programme: Programme, *, preparer, approver) -> Cycle:
    """A new cycle of ``programme``, prepared and submitted by ``preparer``, approved by ``approver``.

    ``approver`` must be another officer covering the programme (maker–checker).
    """
    cycle = cycle_submit(cycle_enrolled(programme, preparer=preparer), actor=preparer)
    return cycle_approve(cycle, actor=approver)
