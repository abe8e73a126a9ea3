"""Cycles: a frozen list per cycle, prepared by one officer and approved by another."""

from __future__ import annotations

import pytest

from ketnoi.core.audit import AuditEntry
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.programmes.models import Cycle, Enrolment
from ketnoi.programmes.services.cycles import (
    cycle_approve,
    cycle_close,
    cycle_enrol,
    cycle_open,
    cycle_return,
    cycle_submit,
)
from ketnoi.registry.models import Household, Member

from .factories import cycle_approved, cycle_enrolled, programme_make, programme_officer, verified_household


@pytest.fixture
def preparer(commune_a):
    return programme_officer(commune_a.province)


@pytest.fixture
def approver(commune_a):
    return programme_officer(commune_a.province)


@pytest.fixture
def households(commune_a, commune_b):
    return {
        "poor": verified_household(commune_a, classification="poor", members=4, payout=True),
        "near_poor": verified_household(commune_a, classification="near_poor", members=2),
        "not_poor": verified_household(commune_a, classification="not_poor"),
        "unverified": verified_household(commune_a, classification="poor", status="submitted"),
        "lao_cai": verified_household(commune_b, classification="poor"),
    }


def test_an_officer_targets_poor_households_and_a_second_officer_approves(
    households, preparer, approver, commune_a
):
    programme = programme_make(preparer, province=commune_a.province, amount_vnd=500_000)

    cycle = cycle_open(programme, actor=preparer)
    cycle = cycle_enrol(cycle, actor=preparer)

    rows = {e.household_id: e for e in Enrolment.objects.filter(cycle=cycle)}
    assert set(rows) == {households["poor"].pk, households["near_poor"].pk}
    poor = rows[households["poor"].pk]
    assert (poor.members_count, poor.classification, poor.amount_vnd) == (4, "poor", 500_000)
    assert poor.head_name == "Lò Thị Xuân" and poor.phone == households["poor"].contact_phone
    assert poor.payout_account == households["poor"].payout_account
    assert poor.reasons == ["Phân loại hộ (kết quả rà soát mới nhất): Hộ nghèo"]
    assert (cycle.state, cycle.enrolled_count, cycle.planned_total_vnd) == (
        Cycle.State.ENROLLED,
        2,
        1_000_000,
    )
    assert cycle.prepared_by == preparer and cycle.rules_snapshot == programme.rules

    cycle = cycle_submit(cycle, actor=preparer)
    cycle = cycle_approve(cycle, actor=approver)

    assert (cycle.state, cycle.approved_by) == (Cycle.State.APPROVED, approver)
    actions = set(AuditEntry.objects.filter(object_id=str(cycle.pk)).values_list("action", flat=True))
    assert {"cycle_opened", "cycle_enrolled", "cycle_submitted", "cycle_approved"} <= actions


def test_the_preparer_cannot_approve_her_own_list(households, preparer, commune_a):
    programme = programme_make(preparer, province=commune_a.province)
    cycle = cycle_submit(cycle_enrolled(programme, preparer=preparer), actor=preparer)

    with pytest.raises(PermissionDenied) as caught:
        cycle_approve(cycle, actor=preparer)

    assert caught.value.code == "maker_checker"
    assert "không được tự duyệt" in str(caught.value)
    cycle.refresh_from_db()
    assert cycle.state == Cycle.State.SUBMITTED and cycle.approved_by is None


def test_an_officer_of_another_province_can_neither_enrol_nor_approve(
    households, preparer, commune_a, commune_b
):
    programme = programme_make(preparer, province=commune_a.province)
    outsider = programme_officer(commune_b.province)
    cycle = cycle_open(programme, actor=preparer)

    with pytest.raises(PermissionDenied):
        cycle_enrol(cycle, actor=outsider)
    cycle = cycle_submit(cycle_enrol(cycle, actor=preparer), actor=preparer)
    with pytest.raises(PermissionDenied) as caught:
        cycle_approve(cycle, actor=outsider)

    assert caught.value.code == "programme_out_of_area"
    cycle.refresh_from_db()
    assert cycle.state == Cycle.State.SUBMITTED


def test_per_member_and_voucher_amounts(households, preparer, commune_a):
    per_member = programme_make(
        preparer, province=commune_a.province, entitlement="per_member", amount_vnd=200_000
    )
    voucher = programme_make(preparer, province=commune_a.province, entitlement="voucher", amount_vnd=300_000)

    members_cycle = cycle_enrolled(per_member, preparer=preparer)
    voucher_cycle = cycle_enrolled(voucher, preparer=preparer)

    assert members_cycle.planned_total_vnd == (4 + 2) * 200_000
    assert voucher_cycle.planned_total_vnd == 2 * 300_000
    assert Enrolment.objects.get(cycle=members_cycle, household=households["poor"]).amount_vnd == 800_000


def test_the_list_is_frozen_until_it_is_taken_again(households, preparer, commune_a):
    programme = programme_make(preparer, province=commune_a.province)
    cycle = cycle_enrolled(programme, preparer=preparer)
    poor = households["poor"]

    Member.objects.filter(household=poor, relation="head").update(full_name="Tên Mới")
    Household.objects.filter(pk=households["near_poor"].pk).update(status="needs_correction")
    late = verified_household(commune_a, classification="poor")

    assert Enrolment.objects.get(cycle=cycle, household=poor).head_name == "Lò Thị Xuân"
    assert Enrolment.objects.filter(cycle=cycle).count() == 2

    cycle = cycle_enrol(cycle, actor=preparer)  # enrolling again replaces the list

    assert set(Enrolment.objects.filter(cycle=cycle).values_list("household_id", flat=True)) == {
        poor.pk,
        late.pk,
    }
    assert Enrolment.objects.get(cycle=cycle, household=poor).head_name == "Tên Mới"


def test_enrolment_is_refused_when_the_fund_cannot_pay_everyone(households, preparer, commune_a):
    programme = programme_make(
        preparer, province=commune_a.province, amount_vnd=600_000, budget_vnd=1_000_000
    )
    cycle = cycle_open(programme, actor=preparer)

    with pytest.raises(DomainError) as caught:
        cycle_enrol(cycle, actor=preparer)

    assert caught.value.code == "cycle_over_fund"
    assert "1.200.000" in str(caught.value) and "1.000.000" in str(caught.value)
    assert not Enrolment.objects.exists()
    cycle.refresh_from_db()
    assert cycle.state == Cycle.State.DRAFT


def test_nobody_qualifying_is_said_plainly(preparer, commune_a):
    programme = programme_make(preparer, province=commune_a.province)
    cycle = cycle_open(programme, actor=preparer)

    with pytest.raises(DomainError) as caught:
        cycle_enrol(cycle, actor=preparer)

    assert caught.value.code == "cycle_nobody_eligible"


def test_a_returned_cycle_goes_back_to_its_preparer_with_the_reason(
    households, preparer, approver, commune_a
):
    programme = programme_make(preparer, province=commune_a.province)
    cycle = cycle_submit(cycle_enrolled(programme, preparer=preparer), actor=preparer)

    with pytest.raises(DomainError) as caught:
        cycle_return(cycle, actor=approver, note="  ")
    assert caught.value.code == "note_required"
    cycle = cycle_return(cycle, actor=approver, note="Thiếu hộ bà Xuân ở bản Lướt")

    assert (cycle.state, cycle.returned_note) == (Cycle.State.ENROLLED, "Thiếu hộ bà Xuân ở bản Lướt")
    with pytest.raises(DomainError) as caught:
        cycle_approve(cycle, actor=approver)
    assert caught.value.code == "cycle_state"


def test_steps_out_of_order_are_refused(households, preparer, approver, commune_a):
    programme = programme_make(preparer, province=commune_a.province)
    cycle = cycle_open(programme, actor=preparer)

    with pytest.raises(DomainError):
        cycle_submit(cycle, actor=preparer)
    with pytest.raises(DomainError) as caught:
        cycle_open(programme, actor=preparer)
    assert caught.value.code == "cycle_in_preparation"
    assert cycle_close(cycle, actor=preparer).state == Cycle.State.CLOSED  # a draft is dropped

    cycle = cycle_approved(programme, preparer=preparer, approver=approver)
    with pytest.raises(DomainError):
        cycle_enrol(cycle, actor=preparer)
    assert cycle_open(programme, actor=preparer).number == 3
    assert cycle_close(cycle, actor=approver).state == Cycle.State.CLOSED
    with pytest.raises(DomainError):
        cycle_close(cycle, actor=approver)


def test_a_draft_programme_has_no_cycles(preparer, commune_a):
    programme = programme_make(preparer, province=commune_a.province, activate=False)

    with pytest.raises(DomainError) as caught:
        cycle_open(programme, actor=preparer)

    assert caught.value.code == "programme_not_active"


def test_enrolment_costs_a_fixed_number_of_queries(preparer, commune_a, django_assert_max_num_queries):
    for _ in range(30):
        verified_household(commune_a, classification="poor")
    programme = programme_make(preparer, province=commune_a.province)
    cycle = cycle_open(programme, actor=preparer)

    with django_assert_max_num_queries(25):
        cycle = cycle_enrol(cycle, actor=preparer)

    assert cycle.enrolled_count == 30
