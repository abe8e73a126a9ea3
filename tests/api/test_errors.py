import unicodedata

import pytest

from ketnoi.accounts.models import ApiToken

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"


def post_json(client, url, body, **kwargs):
    return client.post(url, body, content_type="application/json", **kwargs)


def test_missing_fields_are_422_with_a_message_for_each_field(client):
    response = post_json(client, TOKEN_URL, {}, headers={"Accept-Language": "vi"})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["detail"].startswith("Dữ liệu gửi lên chưa đúng")
    assert {(e["field"], e["location"], e["message"], e["code"]) for e in body["errors"]} == {
        ("phone", "body", "Thiếu trường này.", "missing"),
        ("password", "body", "Thiếu trường này.", "missing"),
    }


def test_the_same_error_in_english_keeps_its_status_and_codes(client):
    response = post_json(client, TOKEN_URL, {}, headers={"Accept-Language": "en"})

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert {e["code"] for e in response.json()["errors"]} == {"missing"}


def test_oversized_fields_are_refused_before_anything_else_happens(client, seller):
    response = post_json(client, TOKEN_URL, {"phone": "0" * 33, "password": "p" * 129, "label": "l" * 101})

    assert response.status_code == 422
    messages = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert messages == {
        "phone": "Dài quá: tối đa 32 ký tự.",
        "password": "Dài quá: tối đa 128 ký tự.",
        "label": "Dài quá: tối đa 100 ký tự.",
    }
    assert ApiToken.objects.count() == 0


def test_a_wrong_type_is_named(client):
    response = post_json(client, TOKEN_URL, {"phone": 912000001, "password": ["x"]})

    assert response.status_code == 422
    assert {e["field"]: e["message"] for e in response.json()["errors"]} == {
        "phone": "Phải là một chuỗi ký tự.",
        "password": "Phải là một chuỗi ký tự.",
    }


def test_a_body_that_is_not_json_is_400(client):
    response = client.post(TOKEN_URL, "phone=0912000001", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Nội dung gửi lên không phải JSON hợp lệ.",
        "code": "bad_json",
        "errors": [],
    }


def test_an_empty_body_is_422_naming_the_missing_fields(client):
    response = client.post(TOKEN_URL, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "Dữ liệu gửi lên chưa đúng — phone: Thiếu trường này. password: Thiếu trường này."
    )


def test_a_json_list_instead_of_an_object_is_422(client):
    response = post_json(client, TOKEN_URL, [1, 2])

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_a_nul_character_is_refused_rather_than_crashing_the_database(client):
    response = post_json(client, TOKEN_URL, {"phone": "0912\x00000001", "password": "x"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "Không được chứa ký tự NUL."


def test_text_arrives_in_nfc_and_trimmed(client, seller, password):
    label = unicodedata.normalize("NFD", "  Điện thoại của Xuân ")

    response = post_json(client, TOKEN_URL, {"phone": seller.phone, "password": password, "label": label})

    assert response.status_code == 200
    assert ApiToken.objects.get(user=seller).label == "Điện thoại của Xuân"


def test_an_unknown_api_address_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"detail": "Không tìm thấy.", "code": "not_found", "errors": []}


def test_an_unexpected_failure_is_a_json_500_without_details(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("ketnoi.places.api.commune_search", broken)

    response = client.get("/api/v1/places/communes", {"q": "muong"})

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert "secret internals" not in response.content.decode()
