import pytest

from ketnoi.accounts.models import Role
from ketnoi.accounts.tokens import token_issue
from ketnoi.places.models import Commune
from tests.accounts.factories import UserFactory, user_with_role

from .conftest import bearer

pytestmark = pytest.mark.django_db

PEOPLE = "/api/v1/accounts/people"


def token_for(user) -> dict[str, str]:
    raw, _ = token_issue(user=user)
    return bearer(raw)


@pytest.fixture
def people(commune_a, commune_b):
    """Two people at home in commune A (Sơn La), one in B (Lào Cai), one elsewhere in Sơn La."""
    other_son_la = Commune.objects.filter(province_id=commune_a.province_id).exclude(pk=commune_a.pk).first()
    return {
        "a1": UserFactory(display_name="Lò Thị Ánh", home_commune=commune_a, phone="+84912345678"),
        "a2": UserFactory(display_name="Cầm Thị Pâng", home_commune=commune_a),
        "b1": UserFactory(display_name="Giàng Thị Mỷ", home_commune=commune_b),
        "s1": UserFactory(display_name="Vì Thị Sang", home_commune=other_son_la),
    }


def names(response) -> set[str]:
    return {p["display_name"] for p in response.json()["items"]}


def test_anonymous_callers_are_401(client, people):
    response = client.get(PEOPLE)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_seller_is_403_with_a_message(client, people, commune_a):
    seller = user_with_role(Role.SELLER, home_commune=commune_a)

    response = client.get(PEOPLE, headers=token_for(seller))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "Chỉ cán bộ" in response.json()["detail"]


def test_an_officer_of_commune_a_sees_only_the_people_of_a(client, people, commune_a):
    # Given a commune officer of A
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a, display_name="Cầm Thị Hương")

    # When she lists the people of her area
    response = client.get(PEOPLE, headers=token_for(officer))

    # Then she sees A's people and never B's or another commune's
    assert response.status_code == 200
    assert names(response) == {"Lò Thị Ánh", "Cầm Thị Pâng"}
    assert response.json()["count"] == 2


def test_an_officer_of_commune_b_cannot_see_commune_a(client, people, commune_b):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_b)

    response = client.get(PEOPLE, headers=token_for(officer))

    assert names(response) == {"Giàng Thị Mỷ"}


def test_a_programme_officer_sees_her_whole_province(client, people, commune_a):
    officer = user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)

    response = client.get(PEOPLE, headers=token_for(officer))

    assert names(response) == {"Lò Thị Ánh", "Cầm Thị Pâng", "Vì Thị Sang"}


def test_an_administrator_sees_everyone_with_a_home(client, people):
    admin = user_with_role(Role.ADMINISTRATOR)

    response = client.get(PEOPLE, headers=token_for(admin))

    assert names(response) == {"Lò Thị Ánh", "Cầm Thị Pâng", "Giàng Thị Mỷ", "Vì Thị Sang"}


def test_phones_are_masked_and_the_commune_is_named(client, people, commune_a):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)

    response = client.get(PEOPLE, headers=token_for(officer))

    person = next(p for p in response.json()["items"] if p["display_name"] == "Lò Thị Ánh")
    assert person["phone_masked"] == "091 *** 5678"
    assert "phone" not in person
    assert "+84912345678" not in response.content.decode()
    assert person["home_commune"]["name"] == "Xã Mường Bú"
    assert person["home_commune"]["province_name"] == "Tỉnh Sơn La"


def test_the_list_is_paginated(client, people):
    admin = user_with_role(Role.ADMINISTRATOR)
    headers = token_for(admin)

    first = client.get(PEOPLE, {"page": 1, "page_size": 3}, headers=headers).json()
    second = client.get(PEOPLE, {"page": 2, "page_size": 3}, headers=headers).json()

    assert first["count"] == second["count"] == 4
    assert len(first["items"]) == 3
    assert len(second["items"]) == 1
    seen = [p["display_name"] for p in first["items"] + second["items"]]
    assert sorted(seen) == sorted(set(seen))


def test_the_number_of_queries_does_not_grow_with_the_people(
    client, commune_a, django_assert_max_num_queries
):
    # Given an officer and many people in her commune
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    headers = token_for(officer)
    UserFactory.create_batch(30, home_commune=commune_a)

    # When she lists them: token (+ last use), her role, her areas, the count, one page
    with django_assert_max_num_queries(6):
        response = client.get(PEOPLE, headers=headers)

    assert response.json()["count"] == 30
