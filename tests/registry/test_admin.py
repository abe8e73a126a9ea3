"""The registry admin: households to read, never to change, CCCDs only masked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketnoi.registry.models import Household
from tests.accounts.factories import UserFactory

from .factories import make_household, member_input

pytestmark = pytest.mark.django_db

HEAD_CCCD = "014085001234"


@pytest.fixture
def root(client):
    user = UserFactory(is_staff=True, is_superuser=True, display_name="Quản trị gốc")
    client.force_login(user)
    return user


def test_staff_see_a_household_with_its_cccd_masked_and_never_decrypted(client, root, commune_a):
    household = make_household(commune_a, members=[member_input(citizen_id=HEAD_CCCD)])
    member = household.members.get()

    listing = client.get(reverse("admin:registry_household_changelist"))
    page = client.get(reverse("admin:registry_household_change", args=[household.pk]))

    assert listing.status_code == 200
    assert household.reference in listing.content.decode()
    html = page.content.decode()
    assert page.status_code == 200
    assert "014••••••234" in html
    assert HEAD_CCCD not in html
    assert member.citizen_id_encrypted not in html
    assert member.citizen_id_hash not in html


def test_the_admin_cannot_add_change_or_delete_households(client, root, commune_a):
    household = make_household(commune_a)

    add = client.get(reverse("admin:registry_household_add"))
    change = client.post(
        reverse("admin:registry_household_change", args=[household.pk]), {"address_line": "Bản khác"}
    )
    delete = client.post(reverse("admin:registry_household_delete", args=[household.pk]), {"post": "yes"})

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    household.refresh_from_db()
    assert household.address_line == "Bản Mường Bú"
    assert Household.objects.filter(pk=household.pk).exists()
