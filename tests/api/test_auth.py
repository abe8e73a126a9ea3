from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from ketnoi.accounts.models import ApiToken, LoginFailure, Role
from ketnoi.accounts.tokens import token_authenticate, token_hash, token_issue, token_revoke_all
from ketnoi.core.models import AuditEntry
from tests.accounts.factories import RoleAssignmentFactory

from .conftest import bearer

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"


def ask_for_token(client, phone, password, headers=None, **meta):
    return client.post(
        TOKEN_URL,
        {"phone": phone, "password": password},
        content_type="application/json",
        headers=headers,
        **meta,
    )


def test_a_seller_gets_a_token_with_her_phone_and_password(client, seller, password):
    # Given a seller who types her number in the national form
    # When she asks for a token
    response = ask_for_token(client, "0912 000 001", password)

    # Then she gets a token that lets her in, valid for the configured lifetime
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("kn_")
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=seller)
    assert token.expires_at - timezone.now() == pytest.approx(
        settings.API_TOKEN_LIFETIME, abs=timedelta(minutes=1)
    )
    assert token_authenticate(body["token"]) == seller
    me = client.get("/api/v1/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json()["display_name"] == "Lò Thị Xuân"


def test_issuing_a_token_is_in_the_audit_trail(client, seller, password):
    ask_for_token(client, seller.phone, password, REMOTE_ADDR="203.0.113.5")

    entry = AuditEntry.objects.get(action="api_token_issued")
    assert entry.actor == seller
    assert entry.ip_address == "203.0.113.5"


def test_the_token_is_stored_only_as_its_hash(client, seller, password):
    raw = ask_for_token(client, seller.phone, password).json()["token"]

    token = ApiToken.objects.get(user=seller)
    assert token.key_hash == token_hash(raw)
    assert token.prefix == raw[:8]
    assert not ApiToken.objects.filter(key_hash=raw).exists()
    stored = [
        str(v) for v in ApiToken.objects.values_list(*[f.attname for f in ApiToken._meta.concrete_fields])[0]
    ]
    assert all(raw not in value for value in stored)


def test_a_wrong_password_is_401_in_vietnamese_and_gives_no_token(client, seller):
    response = ask_for_token(client, seller.phone, "not-her-password")

    assert response.status_code == 401
    assert response.json()["detail"] == "Số điện thoại hoặc mật khẩu không đúng."
    assert response.json()["code"] == "bad_credentials"
    assert ApiToken.objects.count() == 0


def test_an_unknown_number_gets_the_same_answer_as_a_wrong_password(client, password):
    response = ask_for_token(client, "0987 654 321", password)

    assert response.status_code == 401
    assert response.json()["code"] == "bad_credentials"


def test_the_answer_follows_accept_language(client, seller):
    response = ask_for_token(client, seller.phone, "wrong", headers={"Accept-Language": "en"})

    assert response.status_code == 401
    assert response.json()["code"] == "bad_credentials"
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize("phone", ["12ab", "0123"])
def test_an_invalid_phone_number_is_400_with_an_example(client, phone, password):
    response = ask_for_token(client, phone, password)

    assert response.status_code == 400
    assert response.json()["code"] == "phone_invalid"
    assert "0912 345 678" in response.json()["detail"] or "10 chữ số" in response.json()["detail"]
    assert ApiToken.objects.count() == 0


def test_a_foreign_number_is_refused(client, password):
    response = ask_for_token(client, "+33 6 12 34 56 78", password)

    assert response.status_code == 400
    assert response.json()["detail"] == "Chỉ nhận số điện thoại Việt Nam (+84)."


def test_after_too_many_failures_even_the_right_password_is_refused(client, seller, password):
    # Given as many failed attempts as the account allows
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_ACCOUNT):
        ask_for_token(client, seller.phone, "wrong")

    # When the right password comes next
    response = ask_for_token(client, seller.phone, password)

    # Then the account is locked out for a while, and no token is issued
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert "Hãy thử lại sau" in response.json()["detail"]
    assert ApiToken.objects.count() == 0
    assert LoginFailure.objects.filter(phone=seller.phone).count() >= settings.LOGIN_MAX_FAILURES_PER_ACCOUNT


def test_a_forged_token_is_401(client, seller_token):
    forged = seller_token[:-4] + ("aaaa" if not seller_token.endswith("aaaa") else "bbbb")

    response = client.get("/api/v1/me", headers=bearer(forged))

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer ", "Token abc", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000]
)
def test_a_malformed_authorization_header_is_401(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})

    assert response.status_code == 401


def test_no_token_at_all_is_401_saying_how_to_send_one(client):
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "Authorization: Bearer" in response.json()["detail"]


def test_an_expired_token_is_401(client, seller, seller_token):
    ApiToken.objects.filter(user=seller).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get("/api/v1/me", headers=bearer(seller_token))

    assert response.status_code == 401


def test_a_token_of_a_deactivated_user_is_401(client, seller, seller_token):
    seller.is_active = False
    seller.save()

    assert client.get("/api/v1/me", headers=bearer(seller_token)).status_code == 401


def test_a_revoked_token_no_longer_works_and_others_still_do(client, seller, seller_token):
    # Given two tokens of the same seller
    other, _ = token_issue(user=seller, label="second phone")

    # When she revokes the first one
    response = client.delete(TOKEN_URL, headers=bearer(seller_token))

    # Then it stops working at once; the other still works; the audit trail says so
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(seller_token)).status_code == 401
    assert client.delete(TOKEN_URL, headers=bearer(seller_token)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200
    assert AuditEntry.objects.filter(action="api_token_revoked", actor=seller).count() == 1


def test_revoking_all_tokens_of_a_user(seller, seller_token):
    token_issue(user=seller, label="second phone")

    assert token_revoke_all(user=seller) == 2
    assert token_authenticate(seller_token) is None
    assert token_revoke_all(user=seller) == 0


def test_token_calls_need_no_csrf_token(seller, password):
    # Given a client that enforces CSRF like a browser would
    client = Client(enforce_csrf_checks=True)

    # When a partner system asks for a token and revokes it, with no cookie at all
    issued = ask_for_token(client, seller.phone, password)
    revoked = client.delete(TOKEN_URL, headers=bearer(issued.json()["token"]))

    # Then both work
    assert issued.status_code == 200
    assert revoked.status_code == 204


def test_last_used_is_recorded_at_most_once_a_minute(client, seller, seller_token):
    client.get("/api/v1/me", headers=bearer(seller_token))
    first = ApiToken.objects.get(user=seller).last_used_at
    assert first is not None

    client.get("/api/v1/me", headers=bearer(seller_token))
    assert ApiToken.objects.get(user=seller).last_used_at == first

    ApiToken.objects.filter(user=seller).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/me", headers=bearer(seller_token))
    assert ApiToken.objects.get(user=seller).last_used_at > first


def test_me_shows_phone_language_home_commune_and_roles_with_areas(client, seller, seller_token, commune_a):
    RoleAssignmentFactory(user=seller, role=Role.SELLER)
    RoleAssignmentFactory(
        user=seller, role=Role.HEALTH_WORKER, commune=commune_a, province=commune_a.province
    )

    response = client.get("/api/v1/me", headers=bearer(seller_token))

    assert response.status_code == 200
    body = response.json()
    assert body["phone"] == "+84912000001"
    assert body["language"] == "vi"
    assert body["home_commune"] == {
        "code": commune_a.code,
        "name": "Xã Mường Bú",
        "province_code": 14,
        "province_name": "Tỉnh Sơn La",
    }
    roles = {r["role"]: r for r in body["roles"]}
    assert roles["seller"]["commune_code"] is None
    assert roles["health_worker"]["commune_code"] == commune_a.code
    assert roles["health_worker"]["province_code"] == 14
    assert roles["health_worker"]["label"] == "Nhân viên y tế xã"
