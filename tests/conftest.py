"""Shared test ground: real places (loaded by migration), users in two areas."""

from __future__ import annotations

import pytest

from ketnoi.core.notify import MemorySender
from ketnoi.places.models import Commune

# Commune A is in Sơn La; commune B in Lào Cai. Official codes.
COMMUNE_A_NAME = "Xã Mường Bú"
COMMUNE_B_NAME = "Xã Bắc Hà"


@pytest.fixture
def commune_a(db) -> Commune:
    return Commune.objects.select_related("province").get(name=COMMUNE_A_NAME, province__codename="son_la")


@pytest.fixture
def commune_b(db) -> Commune:
    return Commune.objects.select_related("province").get(name=COMMUNE_B_NAME, province__codename="lao_cai")


@pytest.fixture(autouse=True)
def _outbox():
    """Every test starts with an empty outbox of SMS/Zalo messages."""
    MemorySender.sent.clear()
    yield MemorySender.sent
