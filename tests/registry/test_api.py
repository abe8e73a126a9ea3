"""``/api/v1/households``: the caller's area only, masked CCCDs, fixed query counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketnoi.accounts.models import Role
from ketnoi.accounts.tokens import token_issue
from ketnoi.places.models import Commune
from ketnoi.registry.services.verification import household_verify
from tests.accounts.factories import user_with_role

from .factories import make_household, member_input

pytestmark = pytest.mark.django_db

LIST = "/api/v1/households"
HEAD_CCCD = "014085001234"
POOR = {
    "income_12m_vnd": 0,
    "walls": "non_durable",
    "frame": "non_durable",
    "roof": "non_durable",
    "water_source": "surface",
    "latrine": "none",
    "uses_telecom": False,
    "devices": [],
}


def token_for(user) -> dict[str, str]:
    raw, _token = token_issue(user=user)
    return {"Authorization": f"Bearer {raw}"}


def lone(commune, i: int, **changes):
    """A one-person household whose head shares neither name nor birth date with another's."""
    head = member_input(full_name=f"Vì Văn Số {i}", birth_date=date(1960, 1, 1) + timedelta(days=37 * i))
    return make_household(commune, members=[head], **changes)


@pytest.fixture
def officer_a(commune_a):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_a, display_name="Cầm Thị Hương")


@pytest.fixture
def officer_b(commune_b):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_b, display_name="Giàng Seo Phử")


def references(response) -> set[str]:
    return {item["reference"] for item in response.json()["items"]}


def test_anonymous_callers_are_401(client, commune_a):
    lone(commune_a, 1)

    response = client.get(LIST)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_seller_is_403_with_a_message(client, commune_a):
    seller = user_with_role(Role.SELLER, home_commune=commune_a)
    household = lone(commune_a, 1)

    listing = client.get(LIST, headers=token_for(seller))
    detail = client.get(f"{LIST}/{household.pk}", headers=token_for(seller))

    assert listing.status_code == 403
    assert detail.status_code == 403
    assert "Chỉ cán bộ" in listing.json()["detail"]


def test_an_officer_lists_only_her_communes_households(client, officer_a, commune_a, commune_b):
    mine = lone(commune_a, 1)
    theirs = lone(commune_b, 2)

    response = client.get(LIST, headers=token_for(officer_a))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert references(response) == {mine.reference}
    assert theirs.reference not in response.content.decode()
    item = body["items"][0]
    assert item == {
        "id": mine.pk,
        "reference": mine.reference,
        "commune_code": commune_a.pk,
        "status": "submitted",
        "classification": None,
    }


def test_a_programme_officer_lists_her_whole_province(client, commune_a, commune_b):
    other = Commune.objects.filter(province_id=commune_a.province_id).exclude(pk=commune_a.pk).first()
    in_a, in_other, in_b = lone(commune_a, 1), lone(other, 2), lone(commune_b, 3)
    officer = user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)

    response = client.get(LIST, headers=token_for(officer))

    assert references(response) == {in_a.reference, in_other.reference}
    assert in_b.reference not in response.content.decode()


def test_the_list_gives_the_latest_classification_and_filters_by_status(client, officer_a, commune_a):
    checker = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    waiting = lone(commune_a, 1)
    poor = lone(commune_a, 2, **POOR)
    household_verify(actor=checker, household=poor)

    everything = client.get(LIST, headers=token_for(officer_a)).json()["items"]
    verified = client.get(LIST, {"status": "verified"}, headers=token_for(officer_a))

    by_reference = {item["reference"]: item for item in everything}
    assert by_reference[poor.reference]["classification"] == "poor"
    assert by_reference[poor.reference]["status"] == "verified"
    assert by_reference[waiting.reference]["classification"] is None
    assert references(verified) == {poor.reference}


def test_an_unknown_status_filter_is_a_clear_422(client, officer_a, commune_a):
    response = client.get(LIST, {"status": "approved"}, headers=token_for(officer_a))

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize("size", [2, 30])
def test_the_list_costs_a_fixed_number_of_queries(
    client, officer_a, commune_a, django_assert_max_num_queries, size
):
    checker = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    for i in range(size):
        household = lone(commune_a, i)
        if i % 2:
            household_verify(actor=checker, household=household)
    headers = token_for(officer_a)

    with django_assert_max_num_queries(7):
        response = client.get(LIST, headers=headers)

    assert response.status_code == 200
    assert len(response.json()["items"]) == size


def test_the_detail_has_members_with_masked_cccd_facts_and_the_reasons(client, officer_a, commune_a):
    checker = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    household = make_household(
        commune_a,
        members=[
            member_input(citizen_id=HEAD_CCCD, has_health_insurance=False),
            member_input(
                full_name="Cầm Thị Ơn", birth_date=date(1988, 9, 2), sex="female", relation="spouse"
            ),
        ],
        **POOR,
    )
    household_verify(actor=checker, household=household)

    response = client.get(f"{LIST}/{household.pk}", headers=token_for(officer_a))

    assert response.status_code == 200
    body = response.json()
    assert HEAD_CCCD not in response.content.decode()
    head = next(m for m in body["members"] if m["relation"] == "head")
    assert head["citizen_id_masked"] == "014••••••234"
    assert head["full_name"] == "Lò Văn Pâng"
    assert head["ethnic_group"] == "03"
    assert head["has_health_insurance"] is False
    assert body["commune_code"] == commune_a.pk
    assert body["income_12m_vnd"] == 0
    assert body["walls"] == "non_durable"
    assert body["contact_phone_masked"] == "091 *** 5678"
    assert body["classification"] == "poor"
    latest = body["latest_assessment"]
    assert latest["classification"] == "poor"
    assert latest["deprivation_count"] == len(latest["deprived"]) >= 3
    assert {"housing_quality", "latrine", "water_source", "health_insurance"} <= set(latest["deprived"])


def test_a_household_of_another_commune_is_404_like_one_that_does_not_exist(client, officer_b, commune_a):
    household = lone(commune_a, 1)

    outside = client.get(f"{LIST}/{household.pk}", headers=token_for(officer_b))
    missing = client.get(f"{LIST}/999999999", headers=token_for(officer_b))

    assert outside.status_code == 404
    assert missing.status_code == 404
    assert outside.json() == missing.json()
    assert household.reference not in outside.content.decode()


@pytest.mark.parametrize("size", [1, 12])
def test_the_detail_costs_a_fixed_number_of_queries(
    client, officer_a, commune_a, django_assert_max_num_queries, size
):
    children = [
        member_input(
            full_name=f"Lò Thị Con {i}",
            birth_date=date(2010, 1, 1) + timedelta(days=40 * i),
            sex="female",
            relation="child",
            work="not_in_labour_force",
        )
        for i in range(size - 1)
    ]
    household = make_household(commune_a, members=[member_input(), *children])
    headers = token_for(officer_a)

    with django_assert_max_num_queries(7):
        response = client.get(f"{LIST}/{household.pk}", headers=headers)

    assert response.status_code == 200
    assert len(response.json()["members"]) == size
