"""The officer's programme pages: list, create with a preview, detail, cycle steps, as a person uses them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.programmes.models import Cycle, Enrolment, Programme
from ketnoi.programmes.services.cycles import cycle_enrol
from tests.accounts.factories import user_with_role
from tests.accounts.helpers import sign_in

from .factories import cycle_enrolled, programme_make, programme_officer, verified_household


@pytest.fixture
def officer(commune_a):
    return programme_officer(commune_a.province, display_name="Cầm Thị Hoa")


@pytest.fixture
def colleague(commune_a):
    return programme_officer(commune_a.province, display_name="Lò Văn Minh")


@pytest.fixture
def roll(commune_a):
    return [
        verified_household(commune_a, classification="poor", members=4, head_name="Lò Thị Xuân"),
        verified_household(commune_a, classification="near_poor", members=2, head_name="Quàng Thị Én"),
        verified_household(commune_a, classification="not_poor", head_name="Tòng Văn Hặc"),
    ]


def form_data(commune, **changes):
    today = timezone.localdate()
    data = {
        "code": "ho-tro-muong-bu",
        "name": "Hỗ trợ hộ nghèo Mường Bú",
        "sponsor": "UBND tỉnh Sơn La",
        "description": "",
        "province": str(commune.province_id),
        "communes": [str(commune.code)],
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=90)).isoformat(),
        "budget_vnd": "50.000.000",
        "entitlement": "per_member",
        "amount_vnd": "200.000",
        "voucher_valid_days": "60",
        "combinator": "all",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "20",
        "rules-0-field": "classification",
        "rules-0-op": "in",
        "rules-0-value": "Hộ nghèo, near_poor",
    }
    return data | changes


def test_the_new_programme_page_previews_who_qualifies_before_saving(client, officer, roll, commune_a):
    sign_in(client, officer)

    response = client.post(reverse("programmes:programme_new"), form_data(commune_a, action="preview"))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="preview"' in page
    assert "<strong>2</strong> hộ (6 nhân khẩu)" in page
    assert "1.200.000" in page  # 6 people × 200.000 đ
    assert "Lò Thị Xuân" in page and "Tòng Văn Hặc" not in page
    assert not Programme.objects.exists()


def test_saving_creates_a_draft_and_shows_it(client, officer, roll, commune_a):
    sign_in(client, officer)

    response = client.post(reverse("programmes:programme_new"), form_data(commune_a, action="save"))

    programme = Programme.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("programmes:programme_detail", args=[programme.code])
    assert programme.rules == {
        "all": [{"field": "classification", "op": "in", "value": ["poor", "near_poor"]}]
    }
    assert (programme.amount_vnd, programme.budget_vnd) == (200_000, 50_000_000)
    page = client.get(response["Location"]).content.decode()
    assert "Phân loại hộ (kết quả rà soát mới nhất) là một trong: Hộ nghèo, Hộ cận nghèo" in page


def test_adding_a_row_sends_the_form_back_with_one_more_row(client, officer, commune_a):
    sign_in(client, officer)

    response = client.post(reverse("programmes:programme_new"), form_data(commune_a, action="add_row"))

    assert response.content.decode().count('data-testid="rule-row"') == 2
    assert not Programme.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rules-0-field": "classification", "rules-0-op": "gte"}, "không dùng được"),
        ({"rules-0-field": "members_count", "rules-0-op": "gte", "rules-0-value": "nhiều"}, "không hợp với"),
        ({"amount_vnd": "0"}, "phải lớn hơn 0 đồng"),
        ({"budget_vnd": "9.999.999.999.999.999.999"}, "Số tiền phải từ 0 đến"),
        ({"amount_vnd": "-5"}, "không hợp lệ"),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_nothing(client, officer, commune_a, changes, message):
    sign_in(client, officer)

    response = client.post(
        reverse("programmes:programme_new"), form_data(commune_a, action="save", **changes)
    )

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Programme.objects.exists()


def test_a_rule_field_that_does_not_exist_is_named_in_the_message(client, officer, commune_a):
    sign_in(client, officer)
    data = form_data(commune_a, action="preview")
    data["rules-0-field"] = "wealth"

    response = client.post(reverse("programmes:programme_new"), data)

    assert response.status_code == 422
    assert "wealth" in response.content.decode()


def test_an_officer_cannot_create_a_programme_for_another_province(client, officer, commune_b):
    sign_in(client, officer)

    response = client.post(reverse("programmes:programme_new"), form_data(commune_b, action="save"))

    assert response.status_code == 422  # not a province she may choose
    assert not Programme.objects.exists()


def test_the_list_shows_only_programmes_of_the_officer_area(client, officer, commune_a, commune_b):
    mine = programme_make(officer, province=commune_a.province, name="Quỹ Sơn La")
    programme_make(programme_officer(commune_b.province), province=commune_b.province, name="Quỹ Lào Cai")
    sign_in(client, officer)

    page = client.get(reverse("programmes:programme_list")).content.decode()

    assert "Quỹ Sơn La" in page and "Quỹ Lào Cai" not in page
    assert "100.000.000" in page  # the fund's balance
    assert client.get(reverse("programmes:programme_detail", args=[mine.code])).status_code == 200


def test_the_list_costs_the_same_queries_for_one_or_many_programmes(
    client, officer, commune_a, django_assert_max_num_queries
):
    programme_make(officer, province=commune_a.province)
    sign_in(client, officer)
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("programmes:programme_list"))
    for _ in range(5):
        programme_make(officer, province=commune_a.province)

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("programmes:programme_list"))

    assert response.content.decode().count('data-testid="programme"') == 6


def test_an_officer_outside_the_area_gets_not_found(client, officer, commune_b):
    theirs = programme_make(programme_officer(commune_b.province), province=commune_b.province)
    sign_in(client, officer)

    assert client.get(reverse("programmes:programme_detail", args=[theirs.code])).status_code == 404
    response = client.post(reverse("programmes:cycle_open", args=[theirs.code]))
    assert response.status_code == 404
    assert not Cycle.objects.exists()


def test_people_without_a_programme_role_are_turned_away(client, commune_a):
    sign_in(client, user_with_role(Role.SELLER, commune=commune_a))

    assert client.get(reverse("programmes:programme_list")).status_code == 403
    client.logout()
    assert client.get(reverse("programmes:programme_list")).status_code == 302


def test_a_draft_shows_its_preview_and_is_activated_from_its_page(client, officer, roll, commune_a):
    programme = programme_make(officer, province=commune_a.province, activate=False)
    sign_in(client, officer)

    page = client.get(reverse("programmes:programme_detail", args=[programme.code])).content.decode()
    assert 'data-testid="preview"' in page
    response = client.post(reverse("programmes:programme_activate", args=[programme.code]))

    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.state == Programme.State.ACTIVE


def test_a_draft_is_edited_through_the_same_form(client, officer, commune_a):
    programme = programme_make(officer, province=commune_a.province, activate=False)
    sign_in(client, officer)
    assert client.get(reverse("programmes:programme_edit", args=[programme.code])).status_code == 200

    data = form_data(commune_a, action="save", name="Tên mới", code="")
    response = client.post(reverse("programmes:programme_edit", args=[programme.code]), data)

    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.name == "Tên mới" and programme.entitlement == "per_member"


def test_a_cycle_is_prepared_by_one_officer_and_approved_by_another(
    client, officer, colleague, roll, commune_a
):
    programme = programme_make(officer, province=commune_a.province, amount_vnd=500_000)
    sign_in(client, officer)

    response = client.post(reverse("programmes:cycle_open", args=[programme.code]), {"name": "Đợt tháng 5"})
    assert response.status_code == 302
    cycle_url = reverse("programmes:cycle_detail", args=[programme.code, 1])
    assert client.post(reverse("programmes:cycle_enrol", args=[programme.code, 1])).status_code == 302
    page = client.get(cycle_url).content.decode()
    assert "Lò Thị Xuân" in page and "Quàng Thị Én" in page and "Tòng Văn Hặc" not in page
    assert "Phân loại hộ (kết quả rà soát mới nhất): Hộ nghèo" in page
    assert "1.000.000" in page
    client.post(reverse("programmes:cycle_submit", args=[programme.code, 1]))

    # she cannot approve her own list: the page says so, and a forced request is refused
    page = client.get(cycle_url).content.decode()
    assert 'data-testid="maker-checker"' in page and 'data-testid="approve"' not in page
    response = client.post(reverse("programmes:cycle_approve", args=[programme.code, 1]))
    assert response.status_code == 403
    assert "không được tự duyệt" in response.content.decode()

    client.force_login(colleague)
    response = client.post(reverse("programmes:cycle_approve", args=[programme.code, 1]))

    assert response.status_code == 302
    assert Cycle.objects.get().state == Cycle.State.APPROVED


def test_a_submitted_cycle_is_returned_with_a_reason(client, officer, colleague, roll, commune_a):
    programme = programme_make(officer, province=commune_a.province)
    cycle = cycle_enrolled(programme, preparer=officer)
    client.force_login(officer)
    client.post(reverse("programmes:cycle_submit", args=[programme.code, cycle.number]))
    client.force_login(colleague)

    empty = client.post(reverse("programmes:cycle_return", args=[programme.code, cycle.number]), {"note": ""})
    assert empty.status_code == 422
    response = client.post(
        reverse("programmes:cycle_return", args=[programme.code, cycle.number]), {"note": "Thiếu bản Lướt"}
    )

    assert response.status_code == 302
    page = client.get(
        reverse("programmes:cycle_detail", args=[programme.code, cycle.number])
    ).content.decode()
    assert "Thiếu bản Lướt" in page
    assert Cycle.objects.get().state == Cycle.State.ENROLLED


def test_the_cycle_list_filters_by_commune_and_name_typed_without_diacritics(
    client, officer, roll, commune_a
):
    programme = programme_make(officer, province=commune_a.province)
    cycle = cycle_enrolled(programme, preparer=officer)
    sign_in(client, officer)
    url = reverse("programmes:cycle_detail", args=[programme.code, cycle.number])

    page = client.get(url, {"q": "quang thi en"}).content.decode()
    assert "Quàng Thị Én" in page and "Lò Thị Xuân" not in page
    page = client.get(url, {"commune": str(commune_a.code)}).content.decode()
    assert page.count('data-testid="enrolment"') == 2


def test_a_commune_officer_sees_her_commune_only_and_cannot_act(client, officer, roll, commune_a, commune_b):
    programme = programme_make(officer, province=commune_a.province)
    cycle = cycle_enrolled(programme, preparer=officer)
    commune_officer = user_with_role(Role.COMMUNE_OFFICER, commune=commune_a)
    sign_in(client, commune_officer)

    page = client.get(
        reverse("programmes:cycle_detail", args=[programme.code, cycle.number])
    ).content.decode()

    assert page.count('data-testid="enrolment"') == 2
    assert 'data-testid="cycle-actions"' not in page
    response = client.post(reverse("programmes:cycle_submit", args=[programme.code, cycle.number]))
    assert response.status_code == 403
    assert Enrolment.objects.filter(cycle=cycle).count() == 2


def test_the_cycle_page_costs_the_same_queries_for_a_short_or_long_list(
    client, officer, commune_a, django_assert_max_num_queries
):
    for _ in range(2):
        verified_household(commune_a, classification="poor")
    programme = programme_make(officer, province=commune_a.province)
    cycle = cycle_enrolled(programme, preparer=officer)
    sign_in(client, officer)
    url = reverse("programmes:cycle_detail", args=[programme.code, cycle.number])
    with django_assert_max_num_queries(25) as short:
        client.get(url)
    for _ in range(6):
        verified_household(commune_a, classification="poor")
    cycle_enrol(Cycle.objects.get(pk=cycle.pk), actor=officer)  # the list taken again

    with django_assert_max_num_queries(len(short.captured_queries)):
        response = client.get(url)

    assert response.content.decode().count('data-testid="enrolment"') == 8
