"""The officer's pages: her communes only, fixed query counts, refusals she can read."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.notify import MemorySender
from ketnoi.places.models import Commune
from ketnoi.registry import citizen_id
from ketnoi.registry.forms import household_initial, member_initial
from ketnoi.registry.models import DuplicateFlag, FieldVisit, HouseholdSource, HouseholdStatus
from ketnoi.registry.services.households import household_assess
from ketnoi.registry.services.verification import field_visit_record, household_verify
from tests.accounts.factories import user_with_role
from tests.accounts.helpers import sign_in

from .factories import make_household, member_input

pytestmark = pytest.mark.django_db

QUEUE = "/registry/households/"
HEAD_CCCD = "014085001234"
POOR = {
    "income_12m_vnd": 0,
    "walls": "non_durable",
    "frame": "non_durable",
    "roof": "non_durable",
    "water_source": "surface",
    "latrine": "none",
    "uses_telecom": False,
    "devices": [],
}


def page_of(household) -> str:
    return f"/registry/households/{household.pk}/"


@pytest.fixture
def officer(commune_a):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_a, display_name="Cầm Thị Hương")


@pytest.fixture
def colleague(commune_a):
    return user_with_role(Role.COMMUNE_OFFICER, commune=commune_a, display_name="Lò Văn Minh")


@pytest.fixture
def signed_in(client, officer):
    sign_in(client, officer)
    return client


def household_of_size(commune, n: int, **changes):
    """A household of a head and ``n - 1`` children."""
    children = [
        member_input(
            full_name=f"Lò Thị Con {i}",
            birth_date=date(2010, 1, 1) + timedelta(days=40 * i),
            sex="female",
            relation="child",
            work="not_in_labour_force",
            attending_school=True,
        )
        for i in range(n - 1)
    ]
    return make_household(commune, members=[member_input(citizen_id=HEAD_CCCD), *children], **changes)


def lone(commune, i: int, **changes):
    """A one-person household whose head shares neither name nor birth date with another's."""
    head = member_input(full_name=f"Vì Văn Số {i}", birth_date=date(1960, 1, 1) + timedelta(days=37 * i))
    return make_household(commune, members=[head], **changes)


def correction_post(household, *, reason="Đo lại diện tích", extra_forms=1, **changes) -> dict:
    """The correction form as the browser would send it, unchanged except for ``changes``."""
    members = sorted(household.members.all(), key=lambda m: (m.relation != "head", m.birth_date, m.pk))
    data: dict = {"reason": reason, **household_initial(household)}
    data["members-TOTAL_FORMS"] = str(len(members) + extra_forms)
    data["members-INITIAL_FORMS"] = str(len(members))
    data["members-MIN_NUM_FORMS"] = "0"
    data["members-MAX_NUM_FORMS"] = "30"
    for i, member in enumerate(members):
        for name, value in member_initial(member).items():
            if name == "citizen_id_masked":
                continue
            data[f"members-{i}-{name}"] = value.isoformat() if isinstance(value, date) else value
    data.update(changes)
    return {k: ("on" if v is True else v) for k, v in data.items() if v is not False and v is not None}


# --- Who gets in ---------------------------------------------------------------------


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get(QUEUE)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_seller_is_refused_with_the_403_page(client, commune_a):
    client.force_login(user_with_role(Role.SELLER, home_commune=commune_a))

    response = client.get(QUEUE)

    assert response.status_code == 403


# --- The queue -------------------------------------------------------------------------


def test_the_queue_shows_only_the_officers_own_commune(signed_in, commune_a, commune_b):
    mine = make_household(commune_a)
    theirs = make_household(commune_b)

    response = signed_in.get(QUEUE)

    html = response.content.decode()
    assert response.status_code == 200
    assert mine.reference in html
    assert "Lò Văn Pâng" in html
    assert theirs.reference not in html
    assert "Có 1 hộ." in html


def test_the_queue_leaves_out_verified_households_unless_asked(signed_in, colleague, commune_a):
    waiting = lone(commune_a, 1)
    done = lone(commune_a, 2)
    household_verify(actor=colleague, household=done)

    default = signed_in.get(QUEUE).content.decode()
    verified = signed_in.get(QUEUE, {"status": "verified"}).content.decode()

    assert waiting.reference in default
    assert done.reference not in default
    assert done.reference in verified
    assert waiting.reference not in verified


def test_the_officer_finds_a_household_by_its_reference_or_the_heads_name(signed_in, commune_a):
    # given three households waiting, one of them the one a caller asks about
    wanted = lone(commune_a, 7, address_line="Bản Pá Sóng")
    others = [lone(commune_a, 1), lone(commune_a, 2)]

    # when the officer types its reference, or the head's name without diacritics
    by_reference = signed_in.get(QUEUE, {"q": wanted.reference.lower()}).content.decode()
    by_name = signed_in.get(QUEUE, {"q": "vi van so 7"}).content.decode()

    # then only that household is listed
    for html in (by_reference, by_name):
        assert wanted.reference in html
        assert all(other.reference not in html for other in others)
        assert "Có 1 hộ." in html


def test_a_programme_officer_sees_every_commune_of_her_province(client, commune_a, commune_b):
    other = Commune.objects.filter(province_id=commune_a.province_id).exclude(pk=commune_a.pk).first()
    in_a, in_other, in_b = lone(commune_a, 1), lone(other, 2), lone(commune_b, 3)
    client.force_login(user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province))

    html = client.get(QUEUE).content.decode()

    assert in_a.reference in html
    assert in_other.reference in html
    assert in_b.reference not in html


@pytest.mark.parametrize("size", [3, 40])
def test_the_queue_costs_a_fixed_number_of_queries(signed_in, commune_a, django_assert_max_num_queries, size):
    for i in range(size):
        lone(commune_a, i)

    with django_assert_max_num_queries(7):
        response = signed_in.get(QUEUE)

    assert response.status_code == 200
    assert response.content.decode().count('data-testid="household"') == min(size, 30)


# --- One household ------------------------------------------------------------------------


def test_the_household_page_shows_members_with_masked_cccd_and_sensitive_data(signed_in, commune_a):
    household = household_of_size(commune_a, 2)

    response = signed_in.get(page_of(household))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Lò Văn Pâng" in html
    assert "014••••••234" in html
    assert HEAD_CCCD not in html
    assert "Thái" in html  # ethnicity, shown to the covering officer
    assert "108.000.000" in html  # income over 12 months
    assert "Chưa đánh giá" in html


def test_the_household_page_says_why_the_household_is_classified_as_it_is(signed_in, colleague, commune_a):
    household = household_of_size(commune_a, 2, **POOR)
    household_verify(actor=colleague, household=household)

    html = signed_in.get(page_of(household)).content.decode()

    assert "Hộ nghèo" in html
    assert "Chất lượng nhà ở" in html
    assert "Không có nhà tiêu hợp vệ sinh" in html
    assert "Đã xác minh" in html


def test_the_household_page_of_another_commune_is_404(signed_in, commune_b):
    household = make_household(commune_b)

    response = signed_in.get(page_of(household))

    assert response.status_code == 404
    assert household.reference not in response.content.decode()


@pytest.mark.parametrize("size", [1, 9])
def test_the_household_page_costs_a_fixed_number_of_queries(
    signed_in, officer, colleague, commune_a, django_assert_max_num_queries, size
):
    # Given a household whose members, visits, assessments and flags grow with ``size``
    household = household_of_size(commune_a, size)
    household_verify(actor=colleague, household=household)
    other = Commune.objects.filter(province_id=commune_a.province_id).exclude(pk=commune_a.pk).first()
    for i in range(size):
        twin = member_input(full_name=f"Lò Thị Con {i}", sex="female", relation="head")
        twin.birth_date = date(2010, 1, 1) + timedelta(days=40 * i)
        make_household(other if i % 2 else commune_a, members=[twin])
    for i in range(size):
        field_visit_record(
            actor=officer, household=household, visited_on=timezone.localdate() - timedelta(days=i)
        )
    for year in range(2022, 2022 + min(size, 5)):
        household_assess(household=household, actor=None, on=date(year, 6, 1))
    assert DuplicateFlag.objects.count() == size - 1

    with django_assert_max_num_queries(11):
        response = signed_in.get(page_of(household))

    assert response.status_code == 200


# --- Verify ---------------------------------------------------------------------------------


def test_the_page_tells_the_officer_who_registered_it_why_she_cannot_verify(signed_in, officer, commune_a):
    household = make_household(commune_a, actor=officer)

    page = signed_in.get(page_of(household)).content.decode()
    response = signed_in.post(f"{page_of(household)}verify/")

    assert "không thể tự xác minh" in page
    assert response.status_code == 403
    assert "không thể tự xác minh" in response.content.decode()
    household.refresh_from_db()
    assert household.status == HouseholdStatus.SUBMITTED


def test_another_officer_verifies_from_the_page_and_sees_the_result(signed_in, colleague, commune_a):
    household = household_of_size(commune_a, 2, actor=colleague, **POOR)

    response = signed_in.post(f"{page_of(household)}verify/", follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Đã xác minh hộ" in html
    assert "Hộ nghèo" in html
    assert f"{page_of(household)}verify/" not in html  # no second verification
    household.refresh_from_db()
    assert household.status == HouseholdStatus.VERIFIED


def test_an_open_duplicate_shows_on_the_page_and_blocks_the_verify_button(signed_in, commune_a, commune_b):
    make_household(commune_b, members=[member_input(citizen_id=HEAD_CCCD)])
    household = make_household(commune_a, members=[member_input(citizen_id=HEAD_CCCD)])

    page = signed_in.get(page_of(household)).content.decode()
    response = signed_in.post(f"{page_of(household)}verify/")

    assert "Nghi trùng, cần xử lý" in page
    assert "Xã Bắc Hà" in page  # the other household is out of her area: only where it is
    assert response.status_code == 409
    assert "nghi trùng" in response.content.decode()


def test_the_review_button_moves_a_submitted_household_to_under_review(signed_in, commune_a):
    household = make_household(commune_a)

    response = signed_in.post(f"{page_of(household)}review/")

    assert response.status_code == 302
    household.refresh_from_db()
    assert household.status == HouseholdStatus.UNDER_REVIEW


# --- Correct -------------------------------------------------------------------------------


def test_the_correction_form_never_shows_the_full_cccd(signed_in, commune_a):
    household = household_of_size(commune_a, 2)

    html = signed_in.get(f"{page_of(household)}correct/").content.decode()

    assert "014••••••234" in html
    assert HEAD_CCCD not in html
    assert "Lò Thị Con 0" in html


def test_a_correction_saves_with_its_reason_keeps_the_cccd_and_needs_another_verifier(
    signed_in, officer, commune_a
):
    household = household_of_size(commune_a, 2, source=HouseholdSource.SELF)

    response = signed_in.post(
        f"{page_of(household)}correct/", correction_post(household, floor_area_m2="30,5")
    )

    assert response.status_code == 302
    household.refresh_from_db()
    assert household.floor_area_m2 == Decimal("30.5")
    assert household.last_changed_by == officer
    assert household.status == HouseholdStatus.UNDER_REVIEW
    head = household.members.get(relation="head")
    assert head.citizen_id_hash == citizen_id.lookup_hash(HEAD_CCCD)
    assert "không thể tự xác minh" in signed_in.get(page_of(household)).content.decode()


def test_a_correction_without_a_reason_is_refused_and_changes_nothing(signed_in, commune_a):
    household = household_of_size(commune_a, 2)

    response = signed_in.post(
        f"{page_of(household)}correct/", correction_post(household, reason="", floor_area_m2="30")
    )

    assert response.status_code == 400
    assert "Hãy ghi lý do sửa." in response.content.decode()
    household.refresh_from_db()
    assert household.floor_area_m2 == Decimal("45.0")


def test_a_correction_with_a_cccd_for_another_birth_year_is_refused_with_the_reason(signed_in, commune_a):
    household = household_of_size(commune_a, 2)

    response = signed_in.post(
        f"{page_of(household)}correct/",
        correction_post(household, **{"members-0-citizen_id": "014086001234"}),
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "1986" in html
    head = household.members.get(relation="head")
    assert head.citizen_id_hash == citizen_id.lookup_hash(HEAD_CCCD)


def test_adding_a_member_row_shows_one_more_empty_form_without_errors(signed_in, commune_a):
    household = household_of_size(commune_a, 2)
    data = correction_post(household, reason="")
    data["add_member"] = "1"

    response = signed_in.post(f"{page_of(household)}correct/", data)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="member-form"') == 4
    assert "Hãy ghi lý do sửa." not in html


def test_a_member_can_be_added_and_removed_through_the_form(signed_in, commune_a):
    household = household_of_size(commune_a, 2)
    data = correction_post(household, reason="Con mới sinh; con lớn đã tách hộ")
    data["members-1-DELETE"] = "on"
    data.update(
        {
            "members-2-full_name": "Lò Văn Bé",
            "members-2-birth_date": (timezone.localdate() - timedelta(days=30)).isoformat(),
            "members-2-sex": "male",
            "members-2-relation": "child",
            "members-2-ethnic_group": "03",
            "members-2-education": "none",
            "members-2-work": "not_in_labour_force",
            "members-2-has_health_insurance": "on",
        }
    )

    response = signed_in.post(f"{page_of(household)}correct/", data)

    assert response.status_code == 302
    names = set(household.members.values_list("full_name", flat=True))
    assert names == {"Lò Văn Pâng", "Lò Văn Bé"}


def test_the_correction_form_of_another_commune_is_404(signed_in, commune_b):
    household = household_of_size(commune_b, 2)

    assert signed_in.get(f"{page_of(household)}correct/").status_code == 404
    assert signed_in.post(f"{page_of(household)}correct/", correction_post(household)).status_code == 404


# --- Visit, return, duplicates ----------------------------------------------------------------


def test_a_field_visit_in_the_future_is_refused_on_the_form(signed_in, commune_a):
    household = make_household(commune_a)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = signed_in.post(f"{page_of(household)}visit/", {"visited_on": tomorrow.isoformat()})

    assert response.status_code == 400
    assert "tương lai" in response.content.decode()
    assert not FieldVisit.objects.exists()


def test_a_field_visit_is_recorded_and_listed(signed_in, commune_a):
    household = make_household(commune_a)

    response = signed_in.post(
        f"{page_of(household)}visit/",
        {"visited_on": timezone.localdate().strftime("%d/%m/%Y"), "notes": "Nhà vách nứa"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Nhà vách nứa" in response.content.decode()
    assert FieldVisit.objects.filter(household=household).count() == 1


def test_returning_for_correction_from_the_page_texts_the_household(
    signed_in, commune_a, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    household = make_household(commune_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"{page_of(household)}return/", {"reason": "Thiếu ảnh sổ hộ khẩu"})

    assert response.status_code == 302
    household.refresh_from_db()
    assert household.status == HouseholdStatus.NEEDS_CORRECTION
    assert [m.to for m in MemorySender.sent] == ["+84912345678"]
    assert "Thiếu ảnh sổ hộ khẩu" in MemorySender.sent[0].text


def test_returning_without_a_reason_is_refused_on_the_form(signed_in, commune_a):
    household = make_household(commune_a)

    response = signed_in.post(f"{page_of(household)}return/", {"reason": ""})

    assert response.status_code == 400
    assert "Hãy ghi rõ hộ cần sửa" in response.content.decode()
    household.refresh_from_db()
    assert household.status == HouseholdStatus.SUBMITTED


def test_a_duplicate_is_decided_on_its_page_and_nothing_is_merged(signed_in, officer, commune_a):
    other = make_household(commune_a, members=[member_input(citizen_id=HEAD_CCCD)])
    household = make_household(commune_a, members=[member_input(citizen_id=HEAD_CCCD)])
    flag = DuplicateFlag.objects.get()
    url = f"{page_of(household)}duplicates/{flag.pk}/"

    page = signed_in.get(url).content.decode()
    response = signed_in.post(url, {"decision": "different", "note": "Hai anh em sinh đôi"})

    assert other.reference in page  # the other household is in her commune: linked
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.decision == DuplicateFlag.Decision.DIFFERENT
    assert flag.decided_by == officer
    assert other.members.count() == 1
    assert household.members.count() == 1


def test_a_duplicate_page_through_a_household_it_does_not_concern_is_404(signed_in, commune_a):
    make_household(commune_a, members=[member_input(citizen_id=HEAD_CCCD)])
    make_household(commune_a, members=[member_input(citizen_id=HEAD_CCCD)])
    unrelated = lone(commune_a, 5)
    flag = DuplicateFlag.objects.get()

    response = signed_in.get(f"{page_of(unrelated)}duplicates/{flag.pk}/")

    assert response.status_code == 404
