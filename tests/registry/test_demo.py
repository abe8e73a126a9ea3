"""The registry's demo world: households in communes A and B, made the same way every time."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from ketnoi.core.models import AuditEntry
from ketnoi.registry.demo import demo_households
from ketnoi.registry.models import Assessment, DuplicateFlag, Household, HouseholdStatus, Member

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _snapshot() -> tuple[int, ...]:
    return (
        Household.objects.count(),
        Member.objects.count(),
        Assessment.objects.count(),
        DuplicateFlag.objects.count(),
        AuditEntry.objects.count(),
    )


def test_seed_demo_twice_adds_nothing_the_second_time():
    _seed()
    first = _snapshot()

    out = _seed()

    assert _snapshot() == first
    assert "already has demo households" in out


def test_a_few_hundred_households_in_the_two_communes_with_their_peoples(commune_a, commune_b):
    _seed()

    households = demo_households()
    assert 300 <= households.count() <= 500
    assert set(households.values_list("commune", flat=True)) == {commune_a.pk, commune_b.pk}
    heads_a = Counter(
        Member.objects.filter(household__commune=commune_a, relation="head").values_list(
            "ethnic_group", flat=True
        )
    )
    heads_b = Counter(
        Member.objects.filter(household__commune=commune_b, relation="head").values_list(
            "ethnic_group", flat=True
        )
    )
    assert heads_a.most_common(1)[0][0] == "03"  # Thái
    assert {"08", "02", "09", "07"} <= set(heads_b)  # Mông, Tày, Dao, Nùng
    assert heads_b.most_common(1)[0][0] == "08"


def test_bac_ha_is_poorer_than_muong_bu(commune_a, commune_b):
    _seed()

    def poor_share(commune) -> float:
        latest = (
            Assessment.objects.filter(household__commune=commune, year__gte=2000)
            .order_by()
            .values_list("household", "year", "classification")
        )
        by_household = {}
        for household, _year, classification in sorted(latest, key=lambda r: r[1]):
            by_household[household] = classification
        return sum(c == "poor" for c in by_household.values()) / len(by_household)

    assert 0.03 < poor_share(commune_a) < poor_share(commune_b) < 0.6


def test_verification_respects_maker_checker_and_leaves_work_in_the_queue():
    _seed()

    households = demo_households()
    verified = households.filter(status=HouseholdStatus.VERIFIED)
    assert verified.count() > 100
    assert not verified.filter(verified_by=F("registered_by")).exists()
    assert not verified.filter(verified_by=F("last_changed_by")).exists()
    assert all(h.assessments.filter(recognised=False).exists() for h in verified[:20])
    statuses = set(households.values_list("status", flat=True))
    assert {
        HouseholdStatus.SUBMITTED,
        HouseholdStatus.UNDER_REVIEW,
        HouseholdStatus.NEEDS_CORRECTION,
    } <= statuses


def test_cccds_are_encrypted_and_some_people_are_flagged_as_possible_duplicates():
    _seed()

    with_cccd = Member.objects.exclude(citizen_id_hash="")
    assert with_cccd.count() > 500
    member = with_cccd.first()
    assert len(member.citizen_id_encrypted) > 50 and member.citizen_id_masked.count("•") == 6
    reasons = set(DuplicateFlag.objects.filter(decision="open").values_list("reason", flat=True))
    assert {"same_citizen_id", "similar_name"} <= reasons


def test_last_years_recognised_results_feed_the_review_and_the_trend():
    _seed()

    years = sorted(set(Assessment.objects.filter(recognised=True).values_list("year", flat=True)))
    assert len(years) == 2
    assert Assessment.objects.filter(year=years[-1], recognised=True, classification="poor").exists()
