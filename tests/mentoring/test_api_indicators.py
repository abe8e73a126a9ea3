"""``GET /api/v1/indicators``: officers' and administrators' tokens, their area only, filterable."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.accounts.tokens import token_issue
from tests.accounts.factories import user_with_role
from tests.market.factories import SellerFactory

from .factories import graduation_make, match_make, needs_make, plan_make, programme_4m, round_make

pytestmark = pytest.mark.django_db

URL = "/api/v1/indicators"
CODES = [
    "cooperatives_revenue_up_30",
    "women_benefiting",
    "matches_made",
    "matches_completed",
    "sessions_held",
    "graduated",
]


def token_for(user) -> dict[str, str]:
    raw, _token = token_issue(user=user)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def world(commune_a, commune_b):
    programme = programme_4m(province=commune_a.province)
    round_ = round_make(programme=programme, province=commune_a.province)
    son_la = SellerFactory(commune=commune_a)
    lao_cai = SellerFactory(commune=commune_b)
    for seller in (son_la, lao_cai):
        needs_make(seller)
    plan_make(match_make(seller=son_la, state="accepted", round=round_), sessions=[(timezone.now(), True)])
    match_make(seller=lao_cai, state="completed")
    graduation_make(son_la, programme=programme)
    return programme


def by_code(response) -> dict[str, int]:
    return {item["code"]: item["value"] for item in response.json()}


def test_an_officer_reads_the_indicators_of_her_province(client, world, commune_a):
    officer = user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)

    response = client.get(URL, headers=token_for(officer))

    assert response.status_code == 200
    body = response.json()
    assert [item["code"] for item in body] == CODES
    assert set(body[0]) == {"code", "label", "value", "as_of"}
    assert body[0]["label"] == "Hợp tác xã có doanh thu tăng từ 30% trở lên"
    assert by_code(response) == {
        "cooperatives_revenue_up_30": 0,
        "women_benefiting": 0,
        "matches_made": 1,
        "matches_completed": 0,
        "sessions_held": 1,
        "graduated": 1,
    }


def test_an_administrator_reads_the_country_and_filters_by_programme_and_province(client, world, commune_b):
    headers = token_for(user_with_role(Role.ADMINISTRATOR))

    everything = by_code(client.get(URL, headers=headers))
    programme = by_code(client.get(URL, {"programme": world.code}, headers=headers))
    lao_cai = by_code(client.get(URL, {"province": commune_b.province.code}, headers=headers))

    assert (everything["matches_made"], everything["matches_completed"]) == (2, 1)
    assert (programme["matches_made"], programme["matches_completed"], programme["graduated"]) == (1, 0, 1)
    assert (lao_cai["matches_made"], lao_cai["matches_completed"], lao_cai["graduated"]) == (1, 1, 0)


def test_no_token_is_401_and_other_roles_403(client, world, commune_a):
    assert client.get(URL).status_code == 401
    for role, area in ((Role.SELLER, None), (Role.PARTNER, None), (Role.COMMUNE_OFFICER, commune_a)):
        response = client.get(URL, headers=token_for(user_with_role(role, commune=area)))
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


def test_a_province_outside_the_area_is_403_and_unknown_codes_404_or_422(client, world, commune_a, commune_b):
    headers = token_for(user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province))

    outside = client.get(URL, {"province": commune_b.province.code}, headers=headers)
    unknown_programme = client.get(URL, {"programme": "khong-co"}, headers=headers)
    unknown_province = client.get(URL, {"province": 998}, headers=headers)
    not_a_number = client.get(URL, {"province": "son-la"}, headers=headers)

    assert outside.status_code == 403
    assert outside.json()["code"] == "province_forbidden"
    assert unknown_programme.status_code == 404
    assert unknown_programme.json()["code"] == "programme_not_found"
    assert unknown_province.status_code == 404
    assert not_a_number.status_code == 422


def test_the_schema_declares_the_operation_with_its_filters(client):
    schema = client.get("/api/v1/openapi.json").json()

    operation = schema["paths"][URL]["get"]
    assert operation["security"] == [{"IndicatorsBearer": []}]
    assert schema["components"]["securitySchemes"]["IndicatorsBearer"] == {"type": "http", "scheme": "bearer"}
    assert {p["name"] for p in operation["parameters"]} == {"programme", "province"}
