"""The demo world a newcomer meets after `make run`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from ketnoi.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from ketnoi.accounts.models import ConsentRecord, Role, RoleAssignment, User
from ketnoi.core.phone import normalize_phone

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_the_nine_readme_accounts_with_the_demo_password():
    _seed()

    for account in DEMO_ACCOUNTS:
        user = User.objects.get(phone=normalize_phone(account.phone))
        assert user.display_name == account.name
        assert user.check_password(DEMO_PASSWORD)
        assert set(user.role_assignments.values_list("role", flat=True)) == set(account.roles)


def test_the_two_commune_officers_cover_different_provinces():
    _seed()

    officer_a = RoleAssignment.objects.get(user__phone="+84900000002", role=Role.COMMUNE_OFFICER)
    officer_b = RoleAssignment.objects.get(user__phone="+84900000003", role=Role.COMMUNE_OFFICER)
    assert officer_a.commune.province.codename == "son_la"
    assert officer_b.commune.province.codename == "lao_cai"
    assert officer_a.province_id == officer_a.commune.province_id


def test_cooperative_members_live_in_the_four_mountain_provinces():
    _seed()

    provinces = set(
        User.objects.filter(role_assignments__role=Role.SELLER).values_list(
            "home_commune__province__codename", flat=True
        )
    )
    assert {"son_la", "lao_cai", "thai_nguyen", "lam_dong"} <= provinces


def test_seeding_again_adds_nothing():
    _seed()
    counts = (User.objects.count(), RoleAssignment.objects.count(), ConsentRecord.objects.count())

    _seed()

    assert (User.objects.count(), RoleAssignment.objects.count(), ConsentRecord.objects.count()) == counts


def test_if_empty_leaves_a_database_with_users_alone():
    _seed()
    User.objects.filter(phone="+84900000005").delete()
    out = StringIO()

    call_command("seed_demo", "--if-empty", stdout=out)

    assert not User.objects.filter(phone="+84900000005").exists()
    assert "already has data" in out.getvalue()


def test_demo_logins_prints_every_account():
    out = StringIO()

    call_command("demo_logins", stdout=out)

    for account in DEMO_ACCOUNTS:
        assert account.phone in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()
