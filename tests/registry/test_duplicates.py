"""Possible duplicates: flagged for an officer's decision, never merged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError
from ketnoi.core.models import AuditEntry
from ketnoi.places.models import Commune
from ketnoi.registry.models import DuplicateFlag, Member
from ketnoi.registry.services.duplicates import duplicate_decide
from ketnoi.registry.services.households import household_update
from tests.accounts.factories import user_with_role

from .factories import household_input, make_household, member_input

pytestmark = pytest.mark.django_db

XUAN_BORN = date(1992, 3, 8)


@pytest.fixture
def other_son_la(commune_a) -> Commune:
    """Another commune of Sơn La, the province of commune A."""
    return Commune.objects.filter(province_id=commune_a.province_id).exclude(pk=commune_a.pk).first()


def xuan(name: str, **changes):
    return member_input(full_name=name, birth_date=XUAN_BORN, sex="female", **changes)


def test_the_same_cccd_in_two_households_is_flagged(commune_a, commune_b):
    make_household(commune_a, members=[member_input(citizen_id="014085001234")])

    make_household(commune_b, members=[member_input(full_name="Lò Văn Pang", citizen_id="014085001234")])

    flag = DuplicateFlag.objects.get()
    assert flag.reason == DuplicateFlag.Reason.SAME_CITIZEN_ID
    assert flag.score == 100
    assert flag.decision == DuplicateFlag.Decision.OPEN


def test_a_close_name_with_the_same_birth_date_in_the_same_province_is_flagged(commune_a, other_son_la):
    make_household(commune_a, members=[xuan("Lò Thị Xuân")])

    make_household(other_son_la, members=[xuan("Lo Thi Xuan")])

    flag = DuplicateFlag.objects.select_related("member", "other_member").get()
    assert flag.reason == DuplicateFlag.Reason.SIMILAR_NAME
    assert {flag.member.full_name, flag.other_member.full_name} == {"Lò Thị Xuân", "Lo Thi Xuan"}
    assert flag.score >= 90


def test_the_same_name_and_birth_date_in_another_province_is_not_flagged(commune_a, commune_b):
    make_household(commune_a, members=[xuan("Lò Thị Xuân")])

    make_household(commune_b, members=[xuan("Lo Thi Xuan")])

    assert not DuplicateFlag.objects.exists()


def test_a_close_name_born_on_another_day_is_not_flagged(commune_a, other_son_la):
    make_household(commune_a, members=[xuan("Lò Thị Xuân")])

    make_household(other_son_la, members=[member_input(full_name="Lò Thị Xuân", sex="female")])

    assert not DuplicateFlag.objects.exists()


def test_a_clearly_different_name_is_not_flagged(commune_a, other_son_la):
    make_household(commune_a, members=[xuan("Lò Thị Xuân")])

    make_household(other_son_la, members=[xuan("Quàng Thị Hoa")])

    assert not DuplicateFlag.objects.exists()


def test_a_decision_is_recorded_and_nothing_is_merged(commune_a, other_son_la):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    first = make_household(commune_a, members=[xuan("Lò Thị Xuân")])
    second = make_household(other_son_la, members=[xuan("Lo Thi Xuan")])
    flag = DuplicateFlag.objects.get()

    decided = duplicate_decide(
        actor=officer, flag=flag, decision="same_person", note="Cùng một người, đã hỏi"
    )

    assert decided.decision == DuplicateFlag.Decision.SAME_PERSON
    assert decided.decided_by == officer
    assert decided.decided_at is not None
    assert decided.note == "Cùng một người, đã hỏi"
    # Nothing merged: both households keep their member.
    assert first.members.count() == 1
    assert second.members.count() == 1
    assert Member.objects.count() == 2
    entry = AuditEntry.objects.get(action="duplicate_decided")
    assert entry.actor == officer
    assert entry.changes["decision"] == ["open", "same_person"]


def test_a_decision_cannot_be_taken_twice(commune_a, other_son_la):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    make_household(commune_a, members=[xuan("Lò Thị Xuân")])
    make_household(other_son_la, members=[xuan("Lo Thi Xuan")])
    flag = DuplicateFlag.objects.get()
    duplicate_decide(actor=officer, flag=flag, decision="different")

    with pytest.raises(DomainError) as caught:
        duplicate_decide(actor=officer, flag=flag, decision="same_person")

    assert caught.value.status == 409
    flag.refresh_from_db()
    assert flag.decision == DuplicateFlag.Decision.DIFFERENT


def test_an_unknown_decision_is_refused(commune_a, other_son_la):
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    make_household(commune_a, members=[xuan("Lò Thị Xuân")])
    make_household(other_son_la, members=[xuan("Lo Thi Xuan")])
    flag = DuplicateFlag.objects.get()

    with pytest.raises(DomainError, match="Hãy chọn"):
        duplicate_decide(actor=officer, flag=flag, decision="merge")

    flag.refresh_from_db()
    assert flag.decision == DuplicateFlag.Decision.OPEN


def test_a_decision_survives_a_later_correction_of_the_household(commune_a, other_son_la):
    # Given two people decided to be different
    officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    make_household(commune_a, members=[xuan("Lò Thị Xuân")])
    second = make_household(other_son_la, members=[xuan("Lo Thi Xuan")])
    duplicate_decide(actor=officer, flag=DuplicateFlag.objects.get(), decision="different")

    # When the second household's floor area is corrected
    household_update(
        actor=officer,
        household=second,
        data=household_input(other_son_la, members=[xuan("Lo Thi Xuan")], floor_area_m2=Decimal("50")),
        reason="Đo lại nhà",
    )

    # Then the decision stands and no new flag waits
    flag = DuplicateFlag.objects.get()
    assert flag.decision == DuplicateFlag.Decision.DIFFERENT
