from __future__ import annotations

import pytest

from ketnoi.accounts.tokens import token_issue
from tests.accounts.factories import PASSWORD, UserFactory


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def seller(db, commune_a):
    return UserFactory(phone="+84912000001", display_name="Lò Thị Xuân", home_commune=commune_a)


@pytest.fixture
def seller_token(seller) -> str:
    raw, _ = token_issue(user=seller, label="test")
    return raw


@pytest.fixture
def password() -> str:
    return PASSWORD
