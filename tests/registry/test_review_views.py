"""The annual review's pages: the officer's rounds and steps, objections, and the posted result."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.phone import format_phone
from ketnoi.registry.ethnicity import ethnic_group_name
from ketnoi.registry.models import Objection, ReviewEntry, ReviewRound, RoundState, RoundStep
from ketnoi.registry.services import review
from tests.accounts.factories import UserFactory, user_with_role

from .pdf_text import pdf_text
from .review_helpers import (
    HEAD_CCCD,
    POOR_INCOME_12M,
    near_poor_household,
    not_poor_household,
    officer,
    poor_household,
    recognised_last_year,
    round_at,
    self_registered,
    verified,
)

pytestmark = pytest.mark.django_db

ROUNDS = reverse("registry:review_rounds")
OPEN = reverse("registry:review_open")
PAGE_BUDGET = 50 * 1024
# session, user, role, scopes, round, counts, open objections, list count and page, history
ROUND_PAGE_QUERIES = 11


def text(response) -> str:
    return response.content.decode()


def round_url(the_round: ReviewRound) -> str:
    return reverse("registry:review_round", args=[the_round.pk])


def step_url(the_round: ReviewRound, step: str) -> str:
    return reverse("registry:review_step", args=[the_round.pk, step])


def public_url(the_round: ReviewRound, name: str = "registry:review_public") -> str:
    return reverse(name, args=[the_round.commune_id, the_round.year])


def this_year() -> int:
    return timezone.localdate().year


@pytest.fixture
def officer_a(commune_a):
    return officer(commune_a, display_name="Cầm Thị Hương")


@pytest.fixture
def officer_b(commune_b):
    return officer(commune_b, display_name="Giàng Thị Mỷ")


@pytest.fixture
def poor_head(commune_a):
    """A household recognised poor last year; its head has a CCCD and is Thái; income under the line."""
    household = verified(
        poor_household(commune_a, head="Lò Văn Pâng", village="Bản Huổi Hẹ", head_cccd=HEAD_CCCD)
    )
    recognised_last_year(household, "poor", year=this_year() - 1)
    return household


@pytest.fixture
def households(commune_a, poor_head):
    return [
        poor_head,
        self_registered(verified(near_poor_household(commune_a, head="Cầm Văn Ơn")), on=timezone.localdate()),
        self_registered(
            verified(not_poor_household(commune_a, head="Quàng Văn Khánh")), on=timezone.localdate()
        ),
    ]


def posted(the_round: ReviewRound, *, until_days: int = 5) -> ReviewRound:
    """``the_round`` with its objection window ending ``until_days`` from today (negative: already closed)."""
    ReviewRound.objects.filter(pk=the_round.pk).update(
        objections_until=timezone.localdate() + timedelta(days=until_days)
    )
    the_round.refresh_from_db()
    return the_round


@pytest.fixture
def published_round(officer_a, commune_a, households):
    return posted(round_at(officer_a, commune_a, "published", year=this_year()))


# --- The officer's rounds ---------------------------------------------------------------------


def test_rounds_page_lists_only_the_officers_communes(client, officer_a, officer_b, commune_a, commune_b):
    # given a round in each commune
    round_at(officer_a, commune_a, "open", year=this_year())
    round_at(officer_b, commune_b, "open", year=this_year())

    # when commune A's officer opens her rounds
    client.force_login(officer_a)
    response = client.get(ROUNDS)

    # then she sees A's round only, and a form to open one
    assert response.status_code == 200
    page = text(response)
    assert page.count('data-testid="round"') == 1
    assert "Xã Mường Bú" in page
    assert "Xã Bắc Hà" not in page
    assert "Mở đợt rà soát" in page
    assert len(response.content) < PAGE_BUDGET


def test_rounds_page_needs_an_officer(client, commune_a):
    assert client.get(ROUNDS).status_code == 302  # a visitor is sent to sign in
    client.force_login(user_with_role(Role.BUYER))
    assert client.get(ROUNDS).status_code == 403


def test_officer_opens_a_round_from_the_page(client, officer_a, commune_a):
    client.force_login(officer_a)

    response = client.post(OPEN, {"commune": commune_a.pk, "year": this_year()})

    the_round = ReviewRound.objects.get(commune=commune_a, year=this_year())
    assert response.status_code == 302
    assert response.url == round_url(the_round)
    assert RoundStep.objects.filter(round=the_round, state="open", by=officer_a).exists()


def test_officer_cannot_open_a_round_for_another_commune(client, officer_a, commune_b):
    client.force_login(officer_a)

    response = client.post(OPEN, {"commune": commune_b.pk, "year": this_year()})

    assert response.status_code == 400
    assert "Hãy chọn một xã/phường trong địa bàn của bạn." in text(response)
    assert not ReviewRound.objects.exists()


def test_second_round_of_the_year_is_refused_on_the_page(client, officer_a, commune_a):
    round_at(officer_a, commune_a, "open", year=this_year())
    client.force_login(officer_a)

    response = client.post(OPEN, {"commune": commune_a.pk, "year": this_year()})

    assert response.status_code == 409
    assert f"đã có đợt rà soát năm {this_year()}" in text(response)
    assert ReviewRound.objects.count() == 1


# --- One round --------------------------------------------------------------------------------


def test_round_page_shows_step_history_counts_and_next_button(client, officer_a, commune_a, households):
    # given a scored round
    the_round = round_at(officer_a, commune_a, "scored", year=this_year())
    client.force_login(officer_a)

    # when the officer opens it
    response = client.get(round_url(the_round))

    # then she sees where it stands, who did what, the counts, the list and the form for the next step
    assert response.status_code == 200
    page = text(response)
    assert 'data-testid="state">Đã chấm điểm<' in page
    assert page.count('data-testid="step"') == 3
    assert "Cầm Thị Hương" in page
    assert page.count('data-testid="entry"') == 3
    assert 'data-testid="total">3<' in page
    assert 'data-testid="unscored">0<' in page
    assert "Lò Văn Pâng" in page
    assert "Ghi nhận họp thôn thống nhất" in page
    assert step_url(the_round, "agree") in page
    assert step_url(the_round, "publish") not in page
    assert len(response.content) < PAGE_BUDGET


def test_round_page_query_count_does_not_grow_with_the_list(
    client, officer_a, commune_a, households, django_assert_max_num_queries
):
    # given a scored round of three households, then the same with twelve more
    the_round = round_at(officer_a, commune_a, "scored", year=this_year())
    client.force_login(officer_a)
    client.get(round_url(the_round))  # warm the session
    with django_assert_max_num_queries(ROUND_PAGE_QUERIES):
        small = client.get(round_url(the_round))
    bigger = ReviewRound.objects.get(pk=the_round.pk)
    for n in range(12):
        household = self_registered(
            verified(near_poor_household(commune_a, head=f"Lò Văn Hộ {n}", phone="")), on=timezone.localdate()
        )
        ReviewEntry.objects.create(round=bigger, household=household, why=ReviewEntry.Why.REQUESTED)

    # then the page costs the same number of queries
    with django_assert_max_num_queries(ROUND_PAGE_QUERIES):
        large = client.get(round_url(bigger))
    assert small.status_code == large.status_code == 200
    assert text(large).count('data-testid="entry"') == 15


def test_step_from_the_page_moves_the_round(client, officer_a, commune_a, households):
    the_round = round_at(officer_a, commune_a, "open", year=this_year())
    client.force_login(officer_a)

    response = client.post(step_url(the_round, "list"), follow=True)

    assert response.status_code == 200
    assert "Đã lập danh sách." in text(response)
    assert ReviewRound.objects.get(pk=the_round.pk).state == RoundState.LISTED
    assert ReviewEntry.objects.filter(round=the_round).count() == 3


def test_step_out_of_order_from_the_page_is_refused(client, officer_a, commune_a, households):
    the_round = round_at(officer_a, commune_a, "open", year=this_year())
    client.force_login(officer_a)

    response = client.post(step_url(the_round, "recognise"))

    assert response.status_code == 409
    assert "Chưa làm được bước này" in text(response)
    assert ReviewRound.objects.get(pk=the_round.pk).state == RoundState.OPEN
    assert RoundStep.objects.filter(round=the_round).count() == 1


def test_unknown_step_is_not_found(client, officer_a, commune_a):
    the_round = round_at(officer_a, commune_a, "open", year=this_year())
    client.force_login(officer_a)

    assert client.post(step_url(the_round, "merge")).status_code == 404


def test_meeting_date_in_the_future_is_refused_on_the_page(client, officer_a, commune_a, households):
    the_round = round_at(officer_a, commune_a, "scored", year=this_year())
    client.force_login(officer_a)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post(step_url(the_round, "agree"), {"meeting_date": tomorrow.isoformat(), "note": ""})

    assert response.status_code == 400
    assert "Ngày họp thôn không thể ở tương lai." in text(response)
    assert ReviewRound.objects.get(pk=the_round.pk).state == RoundState.SCORED


def test_unverified_households_are_named_after_scoring(client, officer_a, commune_a, households):
    waiting = self_registered(near_poor_household(commune_a, head="Lò Văn Chờ"), on=timezone.localdate())
    the_round = round_at(officer_a, commune_a, "listed", year=this_year())
    client.force_login(officer_a)

    response = client.post(step_url(the_round, "score"))

    assert response.status_code == 200
    assert f'data-testid="unverified">{waiting.reference}' in text(response)
    assert 'data-testid="unscored">1<' in text(response)


def test_publish_from_the_page_sets_the_window(client, officer_a, commune_a, households):
    the_round = round_at(officer_a, commune_a, "agreed", year=this_year())
    client.force_login(officer_a)

    refused = client.post(step_url(the_round, "publish"), {"days": "2"})
    accepted = client.post(step_url(the_round, "publish"), {"days": "5"})

    assert refused.status_code == 400
    assert accepted.status_code == 302
    the_round.refresh_from_db()
    assert the_round.state == RoundState.PUBLISHED
    assert the_round.objections_until == review.working_days_after(timezone.localdate(), 5)


def test_recognise_button_waits_for_the_window(client, officer_a, published_round):
    client.force_login(officer_a)

    page = text(client.get(round_url(published_round)))

    assert 'data-testid="refusal"' in page
    assert step_url(published_round, "recognise") not in page


def test_officer_of_commune_b_gets_not_found_for_commune_a_round(
    client, officer_a, officer_b, published_round
):
    objection = review.objection_receive(round=published_round, from_name="A", text="Xin xem lại hộ số 1.")
    before = (published_round.state, RoundStep.objects.count())
    client.force_login(officer_b)

    pages = [
        client.get(round_url(published_round)),
        client.get(reverse("registry:review_objections", args=[published_round.pk])),
        client.post(step_url(published_round, "recognise")),
        client.post(
            reverse("registry:review_objection_resolve", args=[published_round.pk, objection.pk]),
            {f"o{objection.pk}-resolution": "Không phải xã tôi."},
        ),
    ]

    assert [p.status_code for p in pages] == [404, 404, 404, 404]
    assert "Lò Văn Pâng" not in "".join(text(p) for p in pages)
    assert (ReviewRound.objects.get(pk=published_round.pk).state, RoundStep.objects.count()) == before
    assert Objection.objects.get(pk=objection.pk).resolved_at is None


# --- Objections (officer) ---------------------------------------------------------------------


def test_officer_sees_and_resolves_objections(client, officer_a, published_round):
    objection = review.objection_receive(
        round=published_round, from_name="Lò Thị Xuân", text="Nhà anh Khánh mới bị sạt lở, xin xem lại."
    )
    client.force_login(officer_a)
    objections = reverse("registry:review_objections", args=[published_round.pk])
    resolve = reverse("registry:review_objection_resolve", args=[published_round.pk, objection.pk])

    page = client.get(objections)
    empty = client.post(resolve, {f"o{objection.pk}-resolution": ""})
    done = client.post(resolve, {f"o{objection.pk}-resolution": "Đã đến nhà, giữ kết quả."})

    assert page.status_code == 200
    assert "Nhà anh Khánh mới bị sạt lở" in text(page)
    assert empty.status_code == 400
    assert "Hãy ghi cách giải quyết ý kiến." in text(empty)
    assert done.status_code == 302
    objection.refresh_from_db()
    assert (objection.resolution, objection.resolved_by_id) == ("Đã đến nhà, giữ kết quả.", officer_a.pk)


# --- The posted result (anyone) ---------------------------------------------------------------


def test_public_page_is_not_found_until_published(client, officer_a, commune_a, households):
    the_round = round_at(officer_a, commune_a, "agreed", year=this_year())

    assert client.get(public_url(the_round)).status_code == 404
    assert client.get(public_url(the_round, "registry:review_public_pdf")).status_code == 404
    assert (
        client.get(reverse("registry:review_public", args=[commune_a.pk, this_year() - 5])).status_code == 404
    )


def sensitive_values(household) -> list[str]:
    """What must never be posted: the CCCD (whole or masked), ethnicity, income, phone, other members."""
    head = household.members.get(relation="head")
    per_month = POOR_INCOME_12M // 36
    return [
        HEAD_CCCD,
        head.citizen_id_masked,
        ethnic_group_name(head.ethnic_group),
        f"{per_month:,}".replace(",", "."),
        f"{POOR_INCOME_12M:,}".replace(",", "."),
        str(per_month),
        household.contact_phone,
        format_phone(household.contact_phone),
        "Cầm Thị Xuân",  # the spouse
        "Lò Thị Mai",  # the child
    ]


def test_public_page_posts_only_head_village_and_result(client, published_round, poor_head):
    # when anyone (not signed in) opens the posted list
    response = client.get(public_url(published_round))

    # then it shows each head of household, the village and the result
    assert response.status_code == 200
    page = text(response)
    assert page.count('data-testid="row"') == 3
    assert "Lò Văn Pâng" in page
    assert "Bản Huổi Hẹ" in page
    assert "Hộ nghèo" in page and "Hộ cận nghèo" in page and "Không thuộc hộ nghèo, cận nghèo" in page
    # and nothing the law does not ask to post
    assert head_cccd_stored(poor_head)
    for value in sensitive_values(poor_head):
        assert value not in page, value
    assert "@media print" not in page  # print rules live in the stylesheet, not inline (CSP)
    assert (
        '<meta name="robots" content="noindex, nofollow">' in page
    )  # posted for the commune, not for search
    assert len(response.content) < PAGE_BUDGET


def head_cccd_stored(household) -> bool:
    return bool(household.members.get(relation="head").citizen_id_masked)


def test_public_pdf_posts_only_head_village_and_result(client, published_round, poor_head):
    response = client.get(public_url(published_round, "registry:review_public_pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    content = pdf_text(response.content)
    assert "Lò Văn Pâng" in content
    assert "Bản Huổi Hẹ" in content
    assert "Hộ nghèo" in content and "Hộ cận nghèo" in content
    for value in sensitive_values(poor_head):
        assert value not in content, value
        assert value.encode() not in response.content


def test_public_pdf_without_its_font_says_so(client, published_round, settings, tmp_path):
    settings.KETNOI_PDF_FONT_DIR = str(tmp_path)

    response = client.get(public_url(published_round, "registry:review_public_pdf"))

    assert response.status_code == 503
    assert "Chưa tạo được tệp PDF lúc này" in text(response)


def test_recognised_round_stays_public_without_the_objection_form(client, officer_a, published_round):
    posted(published_round, until_days=-1)
    review.review_round_recognise(actor=officer_a, round=published_round)

    response = client.get(public_url(published_round))

    assert response.status_code == 200
    assert "Kết quả đã được xã/phường công nhận." in text(response)
    assert reverse(
        "registry:review_public_objection", args=[published_round.commune_id, published_round.year]
    ) not in text(response)


def objection_url(the_round: ReviewRound) -> str:
    return public_url(the_round, "registry:review_public_objection")


def test_anyone_may_object_inside_the_window(client, published_round, poor_head):
    # given the posted list, where the poor household is number 1 (Bản Huổi Hẹ comes first)
    page = text(client.get(public_url(published_round)))
    assert "Gửi ý kiến" in page

    # when a neighbour sends an objection about household 1
    response = client.post(
        objection_url(published_round),
        {"from_name": "Lò Thị Xuân", "number": "1", "text": "Nhà anh Pâng đã có xe máy mới, xin xem lại."},
        follow=True,
    )

    # then it is received, attached to that household, and she is told so
    assert response.status_code == 200
    assert "Đã nhận ý kiến của bạn." in text(response)
    objection = Objection.objects.get(round=published_round)
    assert objection.entry.household_id == poor_head.pk
    assert objection.from_name == "Lò Thị Xuân"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"from_name": "", "text": "Xin xem lại hộ số 2."}, "Hãy ghi tên người gửi."),
        ({"from_name": "Lò Thị Xuân", "text": "sai"}, "ít nhất 10 ký tự"),
        ({"from_name": "Lò Thị Xuân", "text": "x" * 2001}, "2000 ký tự"),
        ({"from_name": "Lò Thị Xuân", "number": "99", "text": "Xin xem lại hộ số 99."}, "Không có hộ số 99"),
    ],
)
def test_bad_objection_is_refused_with_a_message(client, published_round, data, message):
    response = client.post(objection_url(published_round), data)

    assert response.status_code == 400
    assert message in text(response)
    assert not Objection.objects.exists()


def test_objection_after_the_window_is_refused_on_the_page(client, published_round):
    posted(published_round, until_days=-1)

    page = text(client.get(public_url(published_round)))
    response = client.post(objection_url(published_round), {"from_name": "A", "text": "Xin xem lại hộ số 1."})

    assert "Đã hết hạn nhận ý kiến" in page
    assert objection_url(published_round) not in page
    assert response.status_code == 409
    assert "Đã hết hạn nhận ý kiến" in text(response)
    assert not Objection.objects.exists()


def test_objection_needs_the_csrf_token(published_round):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(
        objection_url(published_round), {"from_name": "A", "text": "Xin xem lại hộ số 1."}
    )

    assert response.status_code == 403
    assert not Objection.objects.exists()


def test_signed_in_person_may_object_too(client, published_round):
    client.force_login(UserFactory(display_name="Lò Thị Xuân"))

    response = client.post(
        objection_url(published_round), {"from_name": "Lò Thị Xuân", "text": "Xin xem lại hộ số 2."}
    )

    assert response.status_code == 302
    assert Objection.objects.filter(round=published_round).count() == 1
