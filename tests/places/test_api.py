import unicodedata

import pytest

from ketnoi.places.geo import plus_code_encode

pytestmark = pytest.mark.django_db

API = "/api/v1/places"


def test_anyone_can_list_the_34_provinces_without_signing_in(client):
    response = client.get(f"{API}/provinces")

    assert response.status_code == 200
    provinces = response.json()
    assert len(provinces) == 34
    son_la = next(p for p in provinces if p["code"] == 14)
    assert son_la["name"] == "Tỉnh Sơn La"
    assert son_la["short_name"] == "Sơn La"
    assert "max-age" in response["Cache-Control"]


def test_provinces_can_be_filtered_and_a_former_name_is_understood(client):
    response = client.get(f"{API}/provinces", {"q": "dak nong"})

    assert response.status_code == 200
    assert [(p["short_name"], p["formerly"]) for p in response.json()] == [("Lâm Đồng", "Tỉnh Đắk Nông")]


@pytest.mark.parametrize("typed", ["muong bu", "Mường Bú", unicodedata.normalize("NFD", "Mường Bú")])
def test_commune_search_finds_a_commune_with_or_without_diacritics(client, commune_a, typed):
    response = client.get(f"{API}/communes", {"q": typed})

    assert response.status_code == 200
    first = response.json()[0]
    assert first["code"] == commune_a.code
    assert first["name"] == "Xã Mường Bú"
    assert first["province"] == {"code": 14, "name": "Tỉnh Sơn La"}


def test_commune_search_within_a_province(client, commune_b):
    response = client.get(f"{API}/communes", {"q": "bac", "province": 15, "limit": 100})

    assert response.status_code == 200
    communes = response.json()
    assert {c["province"]["code"] for c in communes} == {15}
    assert commune_b.code in [c["code"] for c in communes]


def test_commune_search_needs_words_or_a_province(client):
    response = client.get(f"{API}/communes")

    assert response.status_code == 400
    assert response.json()["code"] == "query_required"
    assert "Hãy gõ tên xã/phường" in response.json()["detail"]


def test_commune_search_in_an_unknown_province_is_a_bad_request(client):
    response = client.get(f"{API}/communes", {"q": "bac", "province": 2})

    assert response.status_code == 400
    assert response.json()["code"] == "province_unknown"


def test_commune_search_refuses_an_oversized_query_and_limit(client):
    response = client.get(f"{API}/communes", {"q": "a" * 101, "limit": 1000})

    assert response.status_code == 422
    fields = {e["field"]: e for e in response.json()["errors"]}
    assert set(fields) == {"q", "limit"}
    assert fields["q"]["message"] == "Dài quá: tối đa 100 ký tự."


def test_a_nul_character_in_the_query_is_a_422_not_a_database_error(client):
    response = client.get(f"{API}/communes", {"q": "muong\x00bu"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "Không được chứa ký tự NUL."


def test_a_commune_by_its_official_code(client, commune_a):
    response = client.get(f"{API}/communes/{commune_a.code}")

    assert response.status_code == 200
    assert response.json()["short_name"] == "Mường Bú"


@pytest.mark.parametrize("code", ["999999", "abc"])
def test_an_unknown_commune_code_is_a_json_404_in_vietnamese(client, code):
    response = client.get(f"{API}/communes/{code}")

    assert response.status_code == 404
    assert response.json()["code"] == "commune_unknown"
    assert response.json()["detail"].startswith("Không có xã/phường nào mang mã")


def test_a_plus_code_is_decoded_to_its_centre(client):
    code = plus_code_encode(21.3725, 103.9532)

    response = client.get(f"{API}/plus-codes/{code}")

    assert response.status_code == 200
    body = response.json()
    assert body["code"] == code
    assert abs(body["latitude"] - 21.3725) < 0.0002
    assert abs(body["longitude"] - 103.9532) < 0.0002
    assert body["in_viet_nam"] is True


def test_a_short_plus_code_is_decoded_near_a_reference(client):
    code = plus_code_encode(21.0285, 105.8542)

    response = client.get(f"{API}/plus-codes/{code[4:]}", {"near": "21.1,105.7"})

    assert response.status_code == 200
    assert response.json()["code"] == code


def test_a_short_plus_code_without_near_is_a_400_with_a_message(client):
    response = client.get(f"{API}/plus-codes/2VH3+CM")

    assert response.status_code == 400
    assert response.json()["code"] == "plus_code_short"
    assert "rút gọn" in response.json()["detail"]


@pytest.mark.parametrize("near", ["21.1", "abc,def", "91,105", "nan,105"])
def test_a_malformed_reference_point_is_a_400(client, near):
    response = client.get(f"{API}/plus-codes/2VH3+CM", {"near": near})

    assert response.status_code == 400
    assert response.json()["code"] == "near_invalid"


def test_a_malformed_plus_code_is_a_400_with_a_message(client):
    response = client.get(f"{API}/plus-codes/HELLO")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "“HELLO” không phải là mã địa chỉ số hợp lệ.",
        "code": "plus_code_invalid",
        "errors": [],
    }


def test_places_lists_are_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        client.get(f"{API}/communes", {"q": "xa", "limit": 200})
    with django_assert_max_num_queries(1):
        client.get(f"{API}/provinces")
