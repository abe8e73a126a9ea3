"""Registering and correcting a household: all of it saved, or none of it, with the audit trail."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError
from ketnoi.core.models import AuditEntry
from ketnoi.registry import citizen_id
from ketnoi.registry.models import DuplicateFlag, Household, HouseholdSource, HouseholdStatus, Member
from ketnoi.registry.services.households import household_create, household_update
from tests.accounts.factories import user_with_role

from .factories import household_input, make_household, member_input

pytestmark = pytest.mark.django_db

HEAD_CCCD = "014085001234"  # Sơn La, a man born in 1985 (the factory's head)
SPOUSE_CCCD = "014188004321"  # Sơn La, a woman born in 1988 (the factory's spouse)


@pytest.fixture
def officer(commune_a):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_a, display_name="Cầm Thị Hương")


def refused(officer, data) -> str:
    """Try to register ``data``; the message the officer would read."""
    with pytest.raises((ValidationError, DomainError)) as caught:
        household_create(actor=officer, data=data, source=HouseholdSource.OFFICER)
    error = caught.value
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


def assert_nothing_saved() -> None:
    assert Household.objects.count() == 0
    assert Member.objects.count() == 0
    assert not AuditEntry.objects.filter(action="household_created").exists()


def test_a_household_is_registered_with_its_members_as_submitted_and_audited(officer, commune_a):
    household = make_household(commune_a, actor=officer)

    assert household.status == HouseholdStatus.SUBMITTED
    assert household.reference.startswith("HO-")
    assert household.registered_by == officer
    assert household.last_changed_by == officer
    assert household.verified_by is None
    assert household.members.count() == 3
    assert household.contact_phone == "+84912345678"
    entry = AuditEntry.objects.get(action="household_created", object_id=str(household.pk))
    assert entry.actor == officer
    assert entry.changes["members"] == [None, 3]


def test_a_cccd_is_stored_encrypted_with_a_keyed_hash_and_a_masked_copy(officer, commune_a):
    household = make_household(commune_a, actor=officer, members=[member_input(citizen_id=HEAD_CCCD)])

    member = household.members.get()
    assert HEAD_CCCD not in member.citizen_id_encrypted
    assert citizen_id.decrypt(member.citizen_id_encrypted) == HEAD_CCCD
    assert member.citizen_id_hash == citizen_id.lookup_hash(HEAD_CCCD)
    assert member.citizen_id_masked == "014••••••234"


def test_negative_income_is_refused_and_nothing_is_saved(officer, commune_a):
    message = refused(officer, household_input(commune_a, income_12m_vnd=-1))

    assert "Số tiền phải từ 0" in message
    assert_nothing_saved()


@pytest.mark.parametrize("area", [Decimal("0"), Decimal("5000")])
def test_a_floor_area_of_zero_or_absurd_size_is_refused_and_nothing_is_saved(officer, commune_a, area):
    with pytest.raises(ValidationError) as caught:
        household_create(
            actor=officer, data=household_input(commune_a, floor_area_m2=area), source=HouseholdSource.OFFICER
        )

    assert "floor_area_m2" in caught.value.message_dict
    assert_nothing_saved()


def test_a_floor_area_that_is_not_a_number_gets_an_example(officer, commune_a):
    message = refused(officer, household_input(commune_a, floor_area_m2="ba mươi"))

    assert "ví dụ 35" in message
    assert_nothing_saved()


def test_a_birth_date_in_the_future_is_refused_naming_the_member(officer, commune_a):
    tomorrow = timezone.localdate() + timedelta(days=1)
    members = [member_input(), member_input(full_name="Lò Thị Em", relation="child", birth_date=tomorrow)]

    message = refused(officer, household_input(commune_a, members=members))

    assert "Thành viên thứ 2" in message
    assert "Ngày sinh không thể ở tương lai" in message
    assert_nothing_saved()


def test_a_cccd_contradicting_the_birth_year_is_refused(officer, commune_a):
    # The head was born in 1985; this number says 1986.
    members = [member_input(citizen_id="014086001234")]

    message = refused(officer, household_input(commune_a, members=members))

    assert "1986" in message
    assert "1985" in message
    assert_nothing_saved()


def test_a_cccd_contradicting_the_sex_is_refused(officer, commune_a):
    # A woman's century digit (1) for the male head.
    members = [member_input(citizen_id="014185001234")]

    message = refused(officer, household_input(commune_a, members=members))

    assert "giới tính" in message
    assert_nothing_saved()


def test_a_bad_cccd_on_the_last_member_saves_none_of_the_others(officer, commune_a):
    members = [
        member_input(citizen_id=HEAD_CCCD),
        member_input(full_name="Cầm Thị Ơn", birth_date=date(1988, 9, 2), sex="female", relation="spouse"),
        member_input(
            full_name="Lò Thị Mai", relation="child", birth_date=date(2014, 1, 20), citizen_id="123"
        ),
    ]

    message = refused(officer, household_input(commune_a, members=members))

    assert "Thành viên thứ 3" in message
    assert "12 chữ số" in message
    assert_nothing_saved()


def test_an_unknown_commune_is_refused(officer, commune_a):
    message = refused(officer, household_input(commune_a, commune_code=99_999_999))

    assert "99999999" in message
    assert_nothing_saved()


def test_a_household_without_a_head_is_refused(officer, commune_a):
    members = [member_input(relation="spouse")]

    message = refused(officer, household_input(commune_a, members=members))

    assert "đúng một chủ hộ" in message
    assert_nothing_saved()


def test_a_household_with_two_heads_is_refused(officer, commune_a):
    members = [
        member_input(),
        member_input(full_name="Cầm Thị Ơn", sex="female", birth_date=date(1988, 9, 2)),
    ]

    message = refused(officer, household_input(commune_a, members=members))

    assert "đúng một chủ hộ" in message
    assert_nothing_saved()


def test_a_household_without_members_is_refused(officer, commune_a):
    message = refused(officer, household_input(commune_a, members=[]))

    assert "ít nhất một thành viên" in message
    assert_nothing_saved()


def test_names_typed_in_decomposed_unicode_are_stored_composed_and_folded(officer, commune_a):
    nfd_name = unicodedata.normalize("NFD", "Lò Thị Xuân")
    nfd_address = unicodedata.normalize("NFD", "Bản Mường Bú")
    assert nfd_name != "Lò Thị Xuân"

    household = make_household(
        commune_a,
        actor=officer,
        address_line=nfd_address,
        members=[member_input(full_name=nfd_name, sex="female")],
    )

    household.refresh_from_db()
    member = household.members.get()
    assert member.full_name == "Lò Thị Xuân"
    assert unicodedata.is_normalized("NFC", member.full_name)
    assert member.name_folded == "lo thi xuan"
    assert household.address_line == "Bản Mường Bú"


def test_a_correction_is_saved_with_its_reason_and_what_changed(officer, commune_a):
    household = make_household(commune_a)
    data = household_input(commune_a, floor_area_m2=Decimal("30.0"))

    household_update(actor=officer, household=household, data=data, reason="Đo lại diện tích khi đến hộ")

    household.refresh_from_db()
    assert household.floor_area_m2 == Decimal("30.0")
    assert household.last_changed_by == officer
    entry = AuditEntry.objects.get(action="household_corrected", object_id=str(household.pk))
    assert entry.actor == officer
    assert entry.reason == "Đo lại diện tích khi đến hộ"
    assert entry.changes["floor_area_m2"] == ["45.0", "30.0"]


def test_a_correction_of_a_member_is_recorded_with_the_old_and_new_member(officer, commune_a):
    household = make_household(commune_a)
    data = household_input(commune_a)
    data.members[2] = replace(data.members[2], full_name="Lò Thị Mây")

    household_update(actor=officer, household=household, data=data, reason="Sai tên con")

    names = set(household.members.values_list("full_name", flat=True))
    assert "Lò Thị Mây" in names
    assert "Lò Thị Mai" not in names
    entry = AuditEntry.objects.get(action="household_corrected", object_id=str(household.pk))
    before, after = entry.changes["members"]
    assert {m["full_name"] for m in before} == {"Lò Văn Pâng", "Cầm Thị Ơn", "Lò Thị Mai"}
    assert {m["full_name"] for m in after} == {"Lò Văn Pâng", "Cầm Thị Ơn", "Lò Thị Mây"}


def test_a_correction_without_a_reason_changes_nothing(officer, commune_a):
    household = make_household(commune_a)

    with pytest.raises(DomainError, match="lý do"):
        household_update(
            actor=officer, household=household, data=household_input(commune_a, income_12m_vnd=0), reason="  "
        )

    household.refresh_from_db()
    assert household.income_12m_vnd == 3 * 12 * 3_000_000
    assert household.last_changed_by is None
    assert not AuditEntry.objects.filter(action="household_corrected").exists()


def test_a_bad_correction_keeps_the_old_members_and_facts(officer, commune_a):
    household = make_household(commune_a)
    tomorrow = timezone.localdate() + timedelta(days=1)
    data = household_input(commune_a, income_12m_vnd=1_000_000)
    data.members[1] = replace(data.members[1], birth_date=tomorrow)

    with pytest.raises(ValidationError):
        household_update(actor=officer, household=household, data=data, reason="Sửa")

    household.refresh_from_db()
    assert household.income_12m_vnd == 3 * 12 * 3_000_000
    assert household.members.count() == 3
    assert not AuditEntry.objects.filter(action="household_corrected").exists()


def test_a_correction_cannot_move_a_household_to_another_commune(officer, commune_a, commune_b):
    household = make_household(commune_a)

    with pytest.raises(DomainError) as caught:
        household_update(
            actor=officer, household=household, data=household_input(commune_b), reason="Chuyển đi"
        )

    assert caught.value.code == "commune_change"
    household.refresh_from_db()
    assert household.commune_id == commune_a.pk


def test_a_member_registered_in_two_households_is_flagged_not_merged(officer, commune_a, commune_b):
    first = make_household(commune_a, members=[member_input(citizen_id=HEAD_CCCD)])

    second = make_household(
        commune_b, members=[member_input(full_name="Lò Văn Pâng", citizen_id=HEAD_CCCD, ethnic_group="01")]
    )

    flag = DuplicateFlag.objects.get()
    assert flag.reason == DuplicateFlag.Reason.SAME_CITIZEN_ID
    assert flag.decision == DuplicateFlag.Decision.OPEN
    assert {flag.member.household_id, flag.other_member.household_id} == {first.pk, second.pk}
    assert first.members.count() == 1
    assert second.members.count() == 1
