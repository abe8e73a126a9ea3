"""Verification: only a covering officer, never the one who entered or changed the data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.accounts.tokens import token_issue
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.models import AuditEntry
from ketnoi.core.notify import MemorySender
from ketnoi.places.models import Commune
from ketnoi.poverty import assess
from ketnoi.registry.facts import household_facts
from ketnoi.registry.models import Assessment, DuplicateFlag, FieldVisit, HouseholdSource, HouseholdStatus
from ketnoi.registry.services.duplicates import duplicate_decide
from ketnoi.registry.services.households import household_assess, household_update
from ketnoi.registry.services.verification import (
    field_visit_record,
    household_correct,
    household_return_for_correction,
    household_review_start,
    household_verify,
)
from tests.accounts.factories import user_with_role

from .factories import household_input, make_household, member_input

pytestmark = pytest.mark.django_db

# A rural household of two with no income and deprived in six indicators:
# housing quality, water, latrine, telecom, information devices, health insurance.
POOR = {
    "income_12m_vnd": 0,
    "walls": "non_durable",
    "frame": "non_durable",
    "roof": "non_durable",
    "water_source": "surface",
    "latrine": "none",
    "uses_telecom": False,
    "devices": [],
    "members": [
        member_input(has_health_insurance=False),
        member_input(full_name="Cầm Thị Ơn", birth_date=date(1988, 9, 2), sex="female", relation="spouse"),
    ],
}


@pytest.fixture
def maker(commune_a):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_a, display_name="Cầm Thị Hương")


@pytest.fixture
def checker(commune_a):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_a, display_name="Lò Văn Minh")


@pytest.fixture
def officer_b(commune_b):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_b, display_name="Giàng Seo Phử")


@pytest.fixture
def sms(settings):
    """Messages sent, with background tasks run in-process once the transaction commits."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return MemorySender.sent


# --- Maker–checker --------------------------------------------------------------


def test_the_officer_who_registered_a_household_cannot_verify_it(maker, commune_a):
    household = make_household(commune_a, actor=maker)

    with pytest.raises(PermissionDenied) as caught:
        household_verify(actor=maker, household=household)

    assert caught.value.status == 403
    assert caught.value.code == "maker_checker_registered"
    assert "không thể tự xác minh" in str(caught.value)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.SUBMITTED
    assert household.verified_by is None
    assert not Assessment.objects.exists()


def test_the_officer_who_last_changed_a_household_cannot_verify_it(maker, checker, commune_a):
    # Given a self-registered household that the checker corrected
    household = make_household(commune_a, source=HouseholdSource.SELF)
    household_update(
        actor=checker,
        household=household,
        data=household_input(commune_a, income_12m_vnd=0),
        reason="Sửa thu nhập",
    )

    # When she tries to verify her own change
    with pytest.raises(PermissionDenied) as caught:
        household_verify(actor=checker, household=household)

    # Then she is refused, and another officer may verify it
    assert caught.value.code == "maker_checker_changed"
    household.refresh_from_db()
    assert household.status != HouseholdStatus.VERIFIED
    verified = household_verify(actor=maker, household=household)
    assert verified.status == HouseholdStatus.VERIFIED
    assert verified.verified_by == maker


def test_another_officer_of_the_commune_verifies_and_it_is_recorded(maker, checker, commune_a):
    household = make_household(commune_a, actor=maker)

    household_verify(actor=checker, household=household, ip_address="203.0.113.9")

    household.refresh_from_db()
    assert household.status == HouseholdStatus.VERIFIED
    assert household.verified_by == checker
    assert household.verified_at is not None
    entry = AuditEntry.objects.get(action="household_verified", object_id=str(household.pk))
    assert entry.actor == checker
    assert entry.ip_address == "203.0.113.9"
    assert entry.changes["status"] == ["submitted", "verified"]


def test_a_self_registered_household_is_not_verified_until_an_officer_signs_it(checker, commune_a):
    household = make_household(commune_a, source=HouseholdSource.SELF)

    assert household.status == HouseholdStatus.SUBMITTED
    assert household.verified_by is None
    assert not household.assessments.exists()

    household_verify(actor=checker, household=household)

    household.refresh_from_db()
    assert household.status == HouseholdStatus.VERIFIED
    assert household.assessments.count() == 1


def test_a_household_cannot_be_verified_twice(maker, checker, commune_a):
    household = make_household(commune_a, actor=maker)
    household_verify(actor=checker, household=household)
    third = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)

    with pytest.raises(DomainError) as caught:
        household_verify(actor=third, household=household)

    assert caught.value.status == 409
    assert caught.value.code == "already_verified"


# --- Duplicates -------------------------------------------------------------------


def test_an_open_duplicate_blocks_verification_until_it_is_decided(maker, checker, commune_a):
    other = Commune.objects.filter(province_id=commune_a.province_id).exclude(pk=commune_a.pk).first()
    make_household(other, members=[member_input(citizen_id="014085001234")])
    household = make_household(commune_a, actor=maker, members=[member_input(citizen_id="014085001234")])

    with pytest.raises(DomainError) as caught:
        household_verify(actor=checker, household=household)

    assert caught.value.status == 409
    assert caught.value.code == "open_duplicates"
    assert "nghi trùng" in str(caught.value)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.SUBMITTED

    duplicate_decide(actor=checker, flag=DuplicateFlag.objects.get(), decision="different")
    household_verify(actor=checker, household=household)

    household.refresh_from_db()
    assert household.status == HouseholdStatus.VERIFIED


def test_a_person_found_in_two_households_blocks_verification_until_one_drops_her(maker, checker, commune_a):
    # Given the same man registered in two households, decided to be one person
    other = Commune.objects.filter(province_id=commune_a.province_id).exclude(pk=commune_a.pk).first()
    make_household(other, members=[member_input(citizen_id="014085001234")])
    spouse = member_input(
        full_name="Cầm Thị Ơn", birth_date=date(1988, 9, 2), sex="female", relation="spouse"
    )
    household = make_household(
        commune_a, actor=maker, members=[member_input(citizen_id="014085001234"), spouse]
    )
    duplicate_decide(actor=checker, flag=DuplicateFlag.objects.get(), decision="same_person")

    # Then this household cannot be verified while he is in both
    with pytest.raises(DomainError) as caught:
        household_verify(actor=checker, household=household)
    assert caught.value.code == "same_person_in_two_households"

    # When the household is corrected to drop him, it can be verified
    household_correct(
        actor=maker,
        household=household,
        data=household_input(commune_a, members=[replace(spouse, relation="head")]),
        reason="Ông Pâng đã có tên ở hộ khác",
    )
    household_verify(actor=checker, household=household)

    household.refresh_from_db()
    assert household.status == HouseholdStatus.VERIFIED
    assert not DuplicateFlag.objects.exists()


# --- Assessment ------------------------------------------------------------------


def test_a_verified_household_is_assessed_under_the_standard_in_force_with_its_reasons(
    maker, checker, commune_a
):
    household = make_household(commune_a, actor=maker, **POOR)

    household_verify(actor=checker, household=household)

    assessment = Assessment.objects.get(household=household)
    today = timezone.localdate()
    expected = assess("auto", household_facts(household, list(household.members.all()), on=today), on=today)
    assert assessment.standard == expected.standard
    assert assessment.year == today.year
    assert assessment.assessed_by == checker
    assert assessment.classification == "poor"
    assert assessment.deprivation_count == len(assessment.deprived) >= 3
    assert {"housing_quality", "water_source", "latrine", "telecom", "health_insurance"} <= set(
        assessment.deprived
    )
    assert assessment.income_per_capita_vnd == 0


@pytest.mark.parametrize(
    ("on", "standard"), [(date(2026, 12, 31), "VN-2022-2025"), (date(2027, 1, 1), "VN-2027-2030")]
)
def test_the_assessment_picks_the_standard_in_force_on_its_date(commune_a, on, standard):
    household = make_household(commune_a, **POOR)

    assessment = household_assess(household=household, actor=None, on=on)

    assert assessment.standard == standard
    assert assessment.year == on.year


def test_a_correction_after_verification_sends_it_back_to_review(maker, checker, commune_a):
    household = make_household(commune_a, actor=maker)
    household_verify(actor=checker, household=household)

    household_correct(
        actor=maker,
        household=household,
        data=household_input(commune_a, floor_area_m2=Decimal("20")),
        reason="Đo lại diện tích",
    )

    household.refresh_from_db()
    assert household.status == HouseholdStatus.UNDER_REVIEW
    assert household.verified_by is None
    assert household.verified_at is None
    assert household.last_changed_by == maker


# --- Review, return, visit ----------------------------------------------------------


def test_starting_the_review_moves_a_submitted_household_to_under_review(checker, commune_a):
    household = make_household(commune_a)

    household_review_start(actor=checker, household=household)

    household.refresh_from_db()
    assert household.status == HouseholdStatus.UNDER_REVIEW
    assert AuditEntry.objects.filter(action="household_review_started", object_id=str(household.pk)).exists()


def test_a_verified_household_cannot_go_back_to_review_by_the_button(maker, checker, commune_a):
    household = make_household(commune_a, actor=maker)
    household_verify(actor=checker, household=household)

    with pytest.raises(DomainError) as caught:
        household_review_start(actor=checker, household=household)

    assert caught.value.status == 409


def test_returning_for_correction_texts_the_household_what_to_fix(
    checker, commune_a, sms, django_capture_on_commit_callbacks
):
    household = make_household(commune_a)

    with django_capture_on_commit_callbacks(execute=True):
        household_return_for_correction(
            actor=checker, household=household, reason="Thiếu ngày sinh của con thứ hai"
        )

    household.refresh_from_db()
    assert household.status == HouseholdStatus.NEEDS_CORRECTION
    assert len(sms) == 1
    assert sms[0].to == "+84912345678"
    assert household.reference in sms[0].text
    assert "Thiếu ngày sinh của con thứ hai" in sms[0].text
    entry = AuditEntry.objects.get(action="household_returned_for_correction")
    assert entry.reason == "Thiếu ngày sinh của con thứ hai"


def test_returning_without_saying_what_to_fix_is_refused_and_sends_nothing(
    checker, commune_a, sms, django_capture_on_commit_callbacks
):
    household = make_household(commune_a)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as caught:
        household_return_for_correction(actor=checker, household=household, reason="   ")

    assert caught.value.code == "reason_required"
    household.refresh_from_db()
    assert household.status == HouseholdStatus.SUBMITTED
    assert sms == []


def test_a_household_waiting_for_correction_cannot_be_verified_until_corrected(maker, checker, commune_a):
    household = make_household(commune_a, actor=maker)
    household_return_for_correction(actor=checker, household=household, reason="Thiếu CCCD")

    with pytest.raises(DomainError) as caught:
        household_verify(actor=checker, household=household)
    assert caught.value.code == "needs_correction"

    # A third officer corrects it; the checker (who did not change it) then verifies.
    third = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    household_correct(actor=third, household=household, data=household_input(commune_a), reason="Đã bổ sung")
    household.refresh_from_db()
    assert household.status == HouseholdStatus.UNDER_REVIEW
    household_verify(actor=checker, household=household)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.VERIFIED


def test_a_field_visit_is_recorded_and_audited(checker, commune_a):
    household = make_household(commune_a)
    yesterday = timezone.localdate() - timedelta(days=1)

    field_visit_record(actor=checker, household=household, visited_on=yesterday, notes="Nhà tranh, vách nứa")

    visit = FieldVisit.objects.get(household=household)
    assert visit.officer == checker
    assert visit.visited_on == yesterday
    assert visit.notes == "Nhà tranh, vách nứa"
    assert AuditEntry.objects.filter(action="field_visit_recorded", object_id=str(household.pk)).exists()


def test_a_field_visit_in_the_future_is_refused(checker, commune_a):
    household = make_household(commune_a)

    with pytest.raises(DomainError, match="tương lai"):
        field_visit_record(
            actor=checker, household=household, visited_on=timezone.localdate() + timedelta(days=1)
        )

    assert not FieldVisit.objects.exists()


# --- Area ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "act",
    [
        lambda officer, h: household_verify(actor=officer, household=h),
        lambda officer, h: household_review_start(actor=officer, household=h),
        lambda officer, h: household_return_for_correction(actor=officer, household=h, reason="Sửa"),
        lambda officer, h: field_visit_record(actor=officer, household=h, visited_on=timezone.localdate()),
    ],
    ids=["verify", "review", "return", "visit"],
)
def test_an_officer_of_commune_b_cannot_act_on_commune_a(officer_b, commune_a, act):
    household = make_household(commune_a)

    with pytest.raises(NotFound):
        act(officer_b, household)

    household.refresh_from_db()
    assert household.status == HouseholdStatus.SUBMITTED
    assert not FieldVisit.objects.exists()


def test_an_officer_of_commune_b_gets_404_for_commune_a_through_page_and_api(client, officer_b, commune_a):
    household = make_household(commune_a)
    client.force_login(officer_b)
    raw, _token = token_issue(user=officer_b)

    page = client.get(f"/registry/households/{household.pk}/")
    verify = client.post(f"/registry/households/{household.pk}/verify/")
    api = client.get(f"/api/v1/households/{household.pk}", headers={"Authorization": f"Bearer {raw}"})

    assert page.status_code == 404
    assert verify.status_code == 404
    assert api.status_code == 404
    assert household.reference not in page.content.decode()
    assert household.reference not in api.content.decode()
    household.refresh_from_db()
    assert household.status == HouseholdStatus.SUBMITTED


def test_a_recognised_result_is_not_changed_by_assessing_again(commune_a):
    # given a household whose result the commune has recognised this year
    household = make_household(commune_a)
    assessment = household_assess(household=household, actor=None)
    Assessment.objects.filter(pk=assessment.pk).update(recognised=True, classification="poor")

    # when its data changes and it is assessed again in the same year
    household.income_12m_vnd = 0
    household.save()
    again = household_assess(household=household, actor=None)

    # then the recognised result stands, and the audit trail says why
    assert again.pk == assessment.pk
    assert Assessment.objects.get(pk=assessment.pk).classification == "poor"
    assert Assessment.objects.get(pk=assessment.pk).recognised
    assert AuditEntry.objects.filter(action="household_assessment_kept").exists()
