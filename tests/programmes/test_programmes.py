"""Programmes: created within one's area, checked, previewed before saving, activated with their budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.audit import AuditEntry
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.money import MAX_VND
from ketnoi.ledger.services import account_balance, balances_check
from ketnoi.places.models import Commune
from ketnoi.programmes.models import Programme
from ketnoi.programmes.selectors import programme_for_user, programmes_for_user
from ketnoi.programmes.services.cycles import cycle_close, cycle_open
from ketnoi.programmes.services.programmes import (
    DONORS_ACCOUNT,
    eligibility_preview,
    programme_activate,
    programme_close,
    programme_create,
    programme_update,
)
from tests.accounts.factories import user_with_role

from .factories import POOR_ONLY, administrator, programme_make, programme_officer, verified_household


def details(**changes):
    today = timezone.localdate()
    base = {
        "code": "covid-son-la",
        "name": "Hỗ trợ khẩn cấp COVID-19",
        "starts_on": today,
        "ends_on": today + timedelta(days=90),
        "budget_vnd": 50_000_000,
        "rules": POOR_ONLY,
        "entitlement": "per_household",
        "amount_vnd": 1_000_000,
    }
    return base | changes


@pytest.fixture
def officer_a(commune_a):
    return programme_officer(commune_a.province)


def test_a_province_officer_creates_a_draft_programme_for_her_province(officer_a, commune_a):
    programme = programme_create(
        actor=officer_a, province=commune_a.province, communes=[commune_a], **details(code=" Covid-Son-La ")
    )

    assert programme.state == Programme.State.DRAFT
    assert programme.code == "covid-son-la"
    assert list(programme.communes.all()) == [commune_a]
    assert AuditEntry.objects.filter(action="programme_created", object_id=str(programme.pk)).exists()


def test_an_officer_outside_the_area_cannot_create_or_touch_a_programme(officer_a, commune_a, commune_b):
    with pytest.raises(PermissionDenied):
        programme_create(actor=officer_a, province=commune_b.province, **details())
    with pytest.raises(PermissionDenied):  # a national programme needs an administrator
        programme_create(actor=officer_a, province=None, **details())
    assert not Programme.objects.exists()

    other = programme_make(programme_officer(commune_b.province), province=commune_b.province, activate=False)
    with pytest.raises(PermissionDenied):
        programme_activate(other, actor=officer_a)
    with pytest.raises(PermissionDenied):
        programme_update(other, actor=officer_a, name="Đổi tên")


def test_an_administrator_runs_a_national_programme(db):
    admin = administrator()

    programme = programme_make(admin, province=None)

    assert programme.state == Programme.State.ACTIVE and programme.province_id is None


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"amount_vnd": 0}, "amount_not_positive"),
        ({"amount_vnd": -500_000}, "amount_not_positive"),
        ({"budget_vnd": MAX_VND + 1}, "amount_absurd"),
        ({"amount_vnd": 10**18}, "amount_absurd"),
        ({"amount_vnd": 1.5}, "amount_not_integer"),
        ({"amount_vnd": 60_000_000}, "amount_over_budget"),
        ({"ends_on": timezone.localdate() - timedelta(days=1)}, "period_reversed"),
        ({"code": "Chương trình 1"}, "programme_code_invalid"),
        ({"name": "  "}, "required"),
        ({"entitlement": "per_cow"}, "entitlement_unknown"),
        ({"rules": {"all": [{"field": "wealth", "op": "eq", "value": 1}]}}, "rule_unknown_field"),
        ({"voucher_valid_days": 0}, "voucher_days"),
    ],
)
def test_bad_details_are_refused_with_a_reason_and_nothing_is_saved(officer_a, commune_a, changes, code):
    with pytest.raises(DomainError) as caught:
        programme_create(actor=officer_a, province=commune_a.province, **details(**changes))

    assert (caught.value.code, caught.value.status) == (code, 422)
    assert not Programme.objects.exists()


def test_communes_must_lie_in_the_programme_province(officer_a, commune_a, commune_b):
    with pytest.raises(DomainError) as caught:
        programme_create(actor=officer_a, province=commune_a.province, communes=[commune_b], **details())

    assert caught.value.code == "commune_outside_province"
    assert str(commune_b.code) in str(caught.value)


def test_a_code_is_used_once(officer_a, commune_a):
    programme_create(actor=officer_a, province=commune_a.province, **details())

    with pytest.raises(DomainError) as caught:
        programme_create(actor=officer_a, province=commune_a.province, **details(name="Khác"))

    assert (caught.value.code, caught.value.status) == ("programme_code_taken", 409)


def test_a_draft_can_be_edited_an_active_programme_cannot(officer_a, commune_a):
    programme = programme_make(officer_a, province=commune_a.province, activate=False)

    programme = programme_update(programme, actor=officer_a, amount_vnd=700_000, communes=[commune_a])
    assert programme.amount_vnd == 700_000
    assert list(programme.communes.all()) == [commune_a]
    with pytest.raises(DomainError) as caught:
        programme_update(programme, actor=officer_a, amount_vnd=0)
    assert caught.value.code == "amount_not_positive"
    programme.refresh_from_db()
    assert programme.amount_vnd == 700_000

    programme_activate(programme, actor=officer_a)
    with pytest.raises(DomainError) as caught:
        programme_update(programme, actor=officer_a, name="Tên mới")
    assert caught.value.code == "programme_not_draft"


def test_activating_puts_the_budget_in_the_fund_once(officer_a, commune_a):
    programme = programme_make(officer_a, province=commune_a.province, budget_vnd=80_000_000, activate=False)

    programme_activate(programme, actor=officer_a)

    assert account_balance(programme.fund_account_code) == 80_000_000
    assert account_balance(DONORS_ACCOUNT) == -80_000_000
    with pytest.raises(DomainError) as caught:
        programme_activate(programme, actor=officer_a)
    assert caught.value.code == "programme_not_draft"
    assert account_balance(programme.fund_account_code) == 80_000_000
    assert balances_check() == []


def test_closing_waits_for_every_cycle_to_be_closed(officer_a, commune_a):
    programme = programme_make(officer_a, province=commune_a.province)
    cycle = cycle_open(programme, actor=officer_a)

    with pytest.raises(DomainError) as caught:
        programme_close(programme, actor=officer_a)
    assert caught.value.code == "programme_cycles_open"

    cycle_close(cycle, actor=officer_a)
    assert programme_close(programme, actor=officer_a).state == Programme.State.CLOSED


# --- The preview -----------------------------------------------------------------------------


@pytest.fixture
def roll(commune_a, commune_b):
    """Sơn La: three poor or near-poor households (one of 5 people), one not poor, one unverified;
    Lào Cai: one poor household."""
    return {
        "poor": verified_household(commune_a, classification="poor", members=3, head_sex="female"),
        "near_poor": verified_household(commune_a, classification="near_poor", members=5, head_sex="male"),
        "poor_2": verified_household(commune_a, classification="poor", members=2, head_sex="female"),
        "not_poor": verified_household(commune_a, classification="not_poor", members=4),
        "unverified": verified_household(commune_a, classification="poor", status="submitted"),
        "lao_cai": verified_household(commune_b, classification="poor", members=4),
    }


def test_the_preview_counts_households_members_and_money_before_anything_is_saved(roll, commune_a):
    rules = {
        "all": [
            {"field": "classification", "op": "in", "value": ["poor", "near_poor"]},
            {"field": "head_sex", "op": "eq", "value": "female"},
        ]
    }

    preview = eligibility_preview(
        rules=rules, province=commune_a.province, entitlement="per_member", amount_vnd=300_000
    )

    assert (preview.households, preview.members) == (2, 5)
    assert preview.planned_total_vnd == 5 * 300_000
    assert preview.area_households == 4  # verified households of Sơn La in the test
    assert [(c.text, c.households) for c in preview.conditions] == [
        ("Phân loại hộ (kết quả rà soát mới nhất) là một trong: Hộ nghèo, Hộ cận nghèo", 3),
        ("Giới tính chủ hộ là Nữ", 3),
    ]
    assert [(c.name, c.households, c.planned_vnd) for c in preview.communes] == [
        (commune_a.name, 2, 1_500_000)
    ]
    assert {s.household_id for s in preview.sample} == {roll["poor"].pk, roll["poor_2"].pk}
    assert all("Giới tính chủ hộ: Nữ" in s.reasons for s in preview.sample)
    assert not Programme.objects.exists()


def test_a_per_household_preview_over_the_country(roll):
    preview = eligibility_preview(rules=POOR_ONLY, entitlement="per_household", amount_vnd=1_000_000)

    assert preview.households == 4
    assert preview.planned_total_vnd == 4_000_000
    assert len(preview.communes) == 2


def test_the_preview_refuses_bad_rules_and_amounts(db):
    with pytest.raises(DomainError) as caught:
        eligibility_preview(
            rules={"all": [{"field": "nope", "op": "eq", "value": 1}]},
            entitlement="voucher",
            amount_vnd=100_000,
        )
    assert caught.value.code == "rule_unknown_field"
    with pytest.raises(DomainError) as caught:
        eligibility_preview(rules={}, entitlement="voucher", amount_vnd=-1)
    assert caught.value.code == "amount_not_positive"


def test_the_preview_costs_the_same_queries_for_few_or_many_households(
    roll, commune_a, django_assert_max_num_queries
):
    rules = {
        "all": [
            {"field": "classification", "op": "in", "value": ["poor", "near_poor"]},
            {"field": "commune", "op": "in", "value": [commune_a.code]},
        ]
    }
    with django_assert_max_num_queries(10) as few:
        eligibility_preview(rules=rules, province=commune_a.province, entitlement="per_member", amount_vnd=1)
    for _ in range(5):
        verified_household(commune_a, classification="poor")
    with django_assert_max_num_queries(len(few.captured_queries)):
        preview = eligibility_preview(
            rules=rules, province=commune_a.province, entitlement="per_member", amount_vnd=1
        )
    assert preview.households == 8


# --- Who sees which programme ------------------------------------------------------------------


def test_each_officer_sees_the_programmes_of_her_area(officer_a, commune_a, commune_b):
    neighbour = Commune.objects.filter(province_id=commune_a.province_id).exclude(pk=commune_a.pk).first()
    whole_province = programme_make(officer_a, province=commune_a.province, code="ca-tinh")
    our_commune = programme_make(officer_a, province=commune_a.province, communes=[commune_a], code="xa-minh")
    other_commune = programme_make(
        officer_a, province=commune_a.province, communes=[neighbour], code="xa-ben"
    )
    national = programme_make(administrator(), province=None, code="quoc-gia")
    lao_cai = programme_make(
        programme_officer(commune_b.province), province=commune_b.province, code="lao-cai"
    )
    commune_officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)

    assert set(programmes_for_user(officer_a)) == {whole_province, our_commune, other_commune, national}
    assert set(programmes_for_user(commune_officer)) == {whole_province, our_commune, national}
    assert set(programmes_for_user(administrator())) == {
        whole_province,
        our_commune,
        other_commune,
        national,
        lao_cai,
    }
    with pytest.raises(NotFound):
        programme_for_user(commune_officer, other_commune.code)
    with pytest.raises(NotFound):
        programme_for_user(officer_a, lao_cai.code)


def test_codes_that_name_other_pages_are_refused(officer_a, commune_a):
    with pytest.raises(DomainError) as caught:
        programme_create(actor=officer_a, province=commune_a.province, **details(code="dashboard"))

    assert caught.value.code == "programme_code_reserved"
