"""Needs and offers: who may set them, what is refused, and that refusals change nothing."""

from __future__ import annotations

import pytest

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.models import AuditEntry
from ketnoi.mentoring.models import Partner, SellerNeeds
from ketnoi.mentoring.services.needs import partner_profile_save, seller_needs_set
from tests.accounts.factories import user_with_role
from tests.market.factories import SellerFactory, category_get
from tests.mentoring.factories import admin_user, lao_cai, needs_for, officer_of, partner_build, son_la

pytestmark = pytest.mark.django_db


def set_needs(seller, actor, **overrides):
    values = {
        "needs": ["buyers", "packaging"],
        "categories": [category_get("brocade-textiles")],
        "monthly_capacity": "200 tấm vải",
        "languages": ["vi", "thai"],
        "notes": "",
    }
    values.update(overrides)
    return seller_needs_set(seller, actor=actor, **values)


# --- Seller needs ---------------------------------------------------------------------------------


def test_her_leader_sets_needs_and_it_is_audited():
    seller = SellerFactory()

    record = set_needs(seller, seller.leader)

    record.refresh_from_db()
    assert record.needs == ["buyers", "packaging"]  # in the order of the list, not of the clicks
    assert [c.slug for c in record.categories.all()] == ["brocade-textiles"]
    assert record.languages == ["vi", "thai"]
    entry = AuditEntry.objects.get(action="mentoring.needs_set")
    assert entry.actor == seller.leader
    assert entry.changes["needs"] == [None, ["buyers", "packaging"]]


def test_a_member_and_an_officer_of_her_area_may_set_needs_and_saving_again_replaces():
    member = user_with_role(Role.SELLER)
    seller = SellerFactory(members=[member])
    set_needs(seller, member, needs=["ocop"])

    set_needs(seller, officer_of(son_la()), needs=["export", "buyers"])

    assert SellerNeeds.objects.get(seller=seller).needs == ["buyers", "export"]
    assert SellerNeeds.objects.count() == 1


@pytest.mark.parametrize("who", ["other_seller", "officer_elsewhere", "partner"])
def test_nobody_else_may_set_needs_and_nothing_is_written(who):
    seller = SellerFactory()
    actor = {
        "other_seller": lambda: SellerFactory().leader,
        "officer_elsewhere": lambda: officer_of(lao_cai()),
        "partner": lambda: user_with_role(Role.PARTNER),
    }[who]()

    with pytest.raises(PermissionDenied):
        set_needs(seller, actor)

    assert not SellerNeeds.objects.exists()
    assert not AuditEntry.objects.filter(action="mentoring.needs_set").exists()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"needs": []}, "needs_empty"),
        ({"needs": ["buyers", "free money"]}, "needs_unknown"),
        ({"languages": ["klingon"]}, "languages_unknown"),
        ({"notes": "x" * 2001}, "notes_too_long"),
        ({"monthly_capacity": "9" * 121}, "monthly_capacity_too_long"),
        ({"categories": [999_999]}, "category_unknown"),
    ],
)
def test_bad_needs_are_refused_with_a_clear_code_and_the_old_needs_stay(overrides, code):
    seller = SellerFactory()
    needs_for(seller, needs=["ocop"])

    with pytest.raises(DomainError) as refused:
        set_needs(seller, seller.leader, **overrides)

    assert refused.value.code == code
    assert str(refused.value)  # a message a person can read
    assert SellerNeeds.objects.get(seller=seller).needs == ["ocop"]


def test_unknown_values_are_named_in_the_message():
    seller = SellerFactory()
    with pytest.raises(DomainError) as refused:
        set_needs(seller, seller.leader, needs=["buyers", "magic"])
    assert "magic" in str(refused.value)
    assert refused.value.status == 422


# --- Partner profiles -----------------------------------------------------------------------------


def save_partner(user, actor=None, **overrides):
    values = {
        "kind": Partner.Kind.BUYER,
        "organisation": "Công ty Thổ cẩm Hà Nội",
        "offers": ["buyers", "export"],
        "categories": [category_get("brocade-textiles")],
        "provinces": [son_la(), lao_cai()],
        "languages": ["vi", "en"],
        "capacity": 5,
        "about": "Thu mua thổ cẩm cho cửa hàng ở Hà Nội.",
    }
    values.update(overrides)
    return partner_profile_save(actor=actor or user, user=user, **values)


def test_a_partner_creates_and_updates_her_profile():
    user = user_with_role(Role.PARTNER)

    partner = save_partner(user)
    save_partner(user, partner=partner, capacity=8, provinces=[son_la()])

    partner.refresh_from_db()
    assert partner.capacity == 8
    assert list(partner.provinces.values_list("codename", flat=True)) == ["son_la"]
    assert partner.offers == ["buyers", "export"]
    assert AuditEntry.objects.filter(action="mentoring.partner_save").count() == 2


def test_a_mentor_may_have_a_profile_but_a_seller_may_not():
    assert save_partner(user_with_role(Role.MENTOR), kind=Partner.Kind.MENTOR).pk
    with pytest.raises(PermissionDenied):
        save_partner(user_with_role(Role.SELLER))
    assert Partner.objects.count() == 1


def test_nobody_edits_someone_elses_profile_but_an_administrator_may():
    partner = partner_build()
    other = user_with_role(Role.PARTNER)

    with pytest.raises(PermissionDenied):
        save_partner(partner.user, actor=other, partner=partner, capacity=1)
    with pytest.raises(PermissionDenied):
        save_partner(other, partner=partner, capacity=1)

    save_partner(partner.user, actor=admin_user(), partner=partner, capacity=9)
    partner.refresh_from_db()
    assert partner.capacity == 9


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"capacity": 0}, "capacity_range"),
        ({"capacity": 501}, "capacity_range"),
        ({"capacity": "many"}, "capacity_range"),
        ({"provinces": []}, "provinces_empty"),
        ({"provinces": [99_999]}, "provinces_empty"),
        ({"offers": []}, "offers_empty"),
        ({"offers": ["buyers", "bribes"]}, "offers_unknown"),
        ({"kind": "spy"}, "kind_unknown"),
        ({"organisation": "   "}, "organisation_empty"),
    ],
)
def test_bad_profiles_are_refused_and_nothing_is_saved(overrides, code):
    user = user_with_role(Role.PARTNER)

    with pytest.raises(DomainError) as refused:
        save_partner(user, **overrides)

    assert refused.value.code == code
    assert not Partner.objects.exists()


def test_capacity_cannot_drop_below_the_matches_she_has_open():
    from tests.mentoring.factories import match_make

    partner = partner_build(capacity=3)
    match_make(partner=partner, state="pending")
    match_make(partner=partner, state="accepted")

    with pytest.raises(DomainError) as refused:
        save_partner(partner.user, partner=partner, capacity=1)

    assert refused.value.code == "capacity_below_open"
    partner.refresh_from_db()
    assert partner.capacity == 3
