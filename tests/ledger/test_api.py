import json

import pytest

from ketnoi.accounts.models import Role
from ketnoi.accounts.tokens import token_issue
from ketnoi.ledger.models import Account, Transfer
from ketnoi.ledger.services import account_open
from tests.accounts.factories import user_with_role

from .helpers import COD, EXTERNAL, FEES, SALES, balance, counts, fund, open_accounts

pytestmark = pytest.mark.django_db

TRANSFERS = "/api/v1/ledger/transfers"
ACCOUNTS = "/api/v1/ledger/accounts"

PAYMENT = {
    "postings": [
        {"account": EXTERNAL, "amount_vnd": -450_000},
        {"account": SALES, "amount_vnd": 427_500},
        {"account": FEES, "amount_vnd": 22_500},
    ],
    "memo": "Đơn KN123 — chuyển khoản",
}


def token_for(user) -> dict[str, str]:
    raw, _ = token_issue(user=user)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def accounts():
    return open_accounts()


@pytest.fixture
def officer(commune_a):
    return user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province, display_name="Cầm Thị Hương")


@pytest.fixture
def officer_headers(officer) -> dict[str, str]:
    return token_for(officer)


def post(client, body, headers, key: str | None = "bank-2026-0001"):
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    return client.post(TRANSFERS, json.dumps(body), content_type="application/json", headers=headers)


# --- POST /transfers --------------------------------------------------------


def test_a_balanced_transfer_is_posted_and_answered_with_201(client, accounts, officer, officer_headers):
    response = post(client, PAYMENT, officer_headers)

    assert response.status_code == 201
    body = response.json()
    transfer = Transfer.objects.get()
    assert body["id"] == transfer.pk
    assert body["postings"] == PAYMENT["postings"]
    assert body["memo"] == "Đơn KN123 — chuyển khoản"
    assert body["created_at"].startswith(str(transfer.created_at.year))
    assert (balance(SALES), balance(FEES)) == (427_500, 22_500)
    assert transfer.created_by == officer


def test_an_administrator_may_post_too(client, accounts):
    response = post(client, PAYMENT, token_for(user_with_role(Role.ADMINISTRATOR)))

    assert response.status_code == 201


def test_a_retry_with_the_same_key_and_body_gets_the_same_transfer(client, accounts, officer_headers):
    first = post(client, PAYMENT, officer_headers)
    # the same postings in another order are the same body
    reordered = {**PAYMENT, "postings": list(reversed(PAYMENT["postings"]))}

    again = post(client, reordered, officer_headers)

    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["postings"] == PAYMENT["postings"]
    assert counts() == (1, 3)
    assert balance(SALES) == 427_500


def test_the_same_key_with_another_body_is_409_and_changes_nothing(client, accounts, officer_headers):
    first = post(client, PAYMENT, officer_headers)
    other = {**PAYMENT, "memo": "Đơn KN124"}

    response = post(client, other, officer_headers)

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert f"#{first.json()['id']}" in response.json()["detail"]
    assert counts() == (1, 3)


def test_postings_that_do_not_sum_to_zero_are_422(client, accounts, officer_headers):
    body = {"postings": [{"account": EXTERNAL, "amount_vnd": -100}, {"account": SALES, "amount_vnd": 99}]}

    response = post(client, body, officer_headers)

    assert response.status_code == 422
    assert response.json()["code"] == "unbalanced"
    assert "1" in response.json()["detail"]
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    ("postings", "code"),
    [
        ([{"account": EXTERNAL, "amount_vnd": 0}, {"account": SALES, "amount_vnd": 0}], "zero_amount"),
        (
            [{"account": EXTERNAL, "amount_vnd": -5}, {"account": "seller-9-sales", "amount_vnd": 5}],
            "unknown_account",
        ),
        (
            [{"account": EXTERNAL, "amount_vnd": -5}, {"account": SALES, "amount_vnd": "5"}],
            "validation_error",
        ),
        (
            [{"account": EXTERNAL, "amount_vnd": -5.0}, {"account": SALES, "amount_vnd": 5.0}],
            "validation_error",
        ),
        (
            [{"account": EXTERNAL, "amount_vnd": -1}, {"account": SALES, "amount_vnd": True}],
            "validation_error",
        ),
        (
            [{"account": EXTERNAL, "amount_vnd": -(10**16)}, {"account": SALES, "amount_vnd": 10**16}],
            "validation_error",
        ),
        ([{"account": SALES, "amount_vnd": 5}], "validation_error"),
        ([{"account": EXTERNAL, "amount": -5}, {"account": SALES, "amount_vnd": 5}], "validation_error"),
    ],
    ids=["zero", "unknown-account", "string", "float", "bool", "too-large", "one-posting", "misspelt-field"],
)
def test_malformed_postings_are_422_and_change_nothing(client, accounts, officer_headers, postings, code):
    response = post(client, {"postings": postings}, officer_headers)

    assert response.status_code == 422
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert counts() == (0, 0)


def test_an_unknown_account_is_named(client, accounts, officer_headers):
    body = {
        "postings": [{"account": EXTERNAL, "amount_vnd": -5}, {"account": "seller-9-sales", "amount_vnd": 5}]
    }

    response = post(client, body, officer_headers)

    assert "seller-9-sales" in response.json()["detail"]


def test_taking_an_account_below_zero_is_409_and_posts_nothing(client, accounts, officer_headers):
    fund(COD, 100_000)
    body = {"postings": [{"account": COD, "amount_vnd": -150_000}, {"account": SALES, "amount_vnd": 150_000}]}

    response = post(client, body, officer_headers)

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    assert counts() == (1, 2)
    assert balance(COD) == 100_000


def test_a_missing_idempotency_key_is_400(client, accounts, officer_headers):
    response = post(client, PAYMENT, officer_headers, key=None)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_missing"
    assert "Idempotency-Key" in response.json()["detail"]
    assert counts() == (0, 0)


def test_an_overlong_idempotency_key_is_400(client, accounts, officer_headers):
    response = post(client, PAYMENT, officer_headers, key="k" * 201)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert counts() == (0, 0)


def test_a_body_that_is_not_json_is_400(client, accounts, officer_headers):
    response = client.post(
        TRANSFERS,
        "{postings:",
        content_type="application/json",
        headers={**officer_headers, "Idempotency-Key": "k1"},
    )

    assert response.status_code == 400
    assert counts() == (0, 0)


def test_anonymous_callers_are_401(client, accounts):
    response = post(client, PAYMENT, {})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert counts() == (0, 0)


@pytest.mark.parametrize("role", [Role.SELLER, Role.BUYER, Role.COMMUNE_OFFICER, Role.PARTNER])
def test_other_roles_are_403_before_the_body_is_read(client, accounts, commune_a, role):
    user = user_with_role(role, commune=commune_a if role == Role.COMMUNE_OFFICER else None)

    response = post(client, {"postings": "not even a list"}, token_for(user))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "cán bộ chương trình" in response.json()["detail"]
    assert counts() == (0, 0)


# --- GET /accounts ----------------------------------------------------------


def test_the_accounts_are_listed_with_their_balances(client, accounts, officer_headers):
    fund(SALES, 300_000)

    response = client.get(ACCOUNTS, headers=officer_headers)

    assert response.status_code == 200
    items = response.json()["items"]
    assert [a["code"] for a in items] == sorted(accounts)
    sales = next(a for a in items if a["code"] == SALES)
    assert sales == {
        "code": SALES,
        "name": "HTX Thổ cẩm Mường Bú",
        "kind": "seller_receivable",
        "balance_vnd": 300_000,
        "may_go_negative": False,
    }
    assert next(a for a in items if a["code"] == EXTERNAL)["balance_vnd"] == -300_000
    assert response.json()["count"] == 5


def test_the_accounts_can_be_filtered_by_kind_and_paged(client, accounts, officer_headers):
    sellers = client.get(ACCOUNTS, {"kind": "seller_receivable"}, headers=officer_headers).json()
    page = client.get(ACCOUNTS, {"page": 2, "page_size": 2}, headers=officer_headers).json()

    assert [a["code"] for a in sellers["items"]] == ["seller-1-sales", "seller-2-sales"]
    assert [a["code"] for a in page["items"]] == sorted(accounts)[2:4]


def test_an_unknown_kind_is_422(client, accounts, officer_headers):
    response = client.get(ACCOUNTS, {"kind": "piggy_bank"}, headers=officer_headers)

    assert response.status_code == 422


def test_the_list_costs_the_same_queries_for_many_accounts(
    client, accounts, officer_headers, django_assert_max_num_queries
):
    # Given the cost of the list with five accounts (token, role, count, page)
    with django_assert_max_num_queries(5) as few:
        client.get(ACCOUNTS, headers=officer_headers)
    # When there are forty more
    for n in range(40):
        account_open(code=f"seller-{100 + n}-sales", name=f"HTX {n}", kind=Account.Kind.SELLER_RECEIVABLE)

    # Then a page of them costs no more
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(ACCOUNTS, headers=officer_headers)

    assert len(response.json()["items"]) == 45


def test_one_account(client, accounts, officer_headers):
    fund(COD, 80_000)

    response = client.get(f"{ACCOUNTS}/{COD}", headers=officer_headers)

    assert response.status_code == 200
    assert response.json() == {
        "code": COD,
        "name": "VNPost thu hộ",
        "kind": "carrier_cod",
        "balance_vnd": 80_000,
        "may_go_negative": False,
    }


def test_an_unknown_account_is_404(client, accounts, officer_headers):
    response = client.get(f"{ACCOUNTS}/seller-404-sales", headers=officer_headers)

    assert response.status_code == 404
    assert response.json()["code"] == "account_not_found"


@pytest.mark.parametrize("url", [ACCOUNTS, f"{ACCOUNTS}/{SALES}"])
def test_reading_accounts_is_for_officers_and_administrators_only(client, accounts, url):
    seller = user_with_role(Role.SELLER)

    assert client.get(url).status_code == 401
    assert client.get(url, headers=token_for(seller)).status_code == 403
    assert client.get(url, headers=token_for(user_with_role(Role.ADMINISTRATOR))).status_code == 200
