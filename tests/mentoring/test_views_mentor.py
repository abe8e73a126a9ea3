"""Mentor pages: the plan list, writing a plan, milestones, scheduling and recording sessions, completing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.mentoring.models import Match, MentoringPlan, Milestone, Session
from tests.accounts.factories import user_with_role
from tests.accounts.helpers import sign_in

from .factories import accepted_match, match_make, plan_make

pytestmark = pytest.mark.django_db

PLANS = "/4m/mentor/"


@pytest.fixture
def match(commune_a):
    return accepted_match(commune=commune_a)


@pytest.fixture
def plan(match):
    today = timezone.localdate()
    return plan_make(
        match,
        goals="Lên sàn Shopee trong 3 tháng.",
        sessions=[(timezone.now() - timedelta(days=7), True), (timezone.now() - timedelta(hours=3), False)],
        milestones=[("Mở gian hàng", today + timedelta(days=10), None)],
    )


def plan_url(plan) -> str:
    return f"/4m/mentor/plans/{plan.pk}/"


def test_the_mentor_sees_matches_waiting_for_a_plan_and_writes_one(client, match):
    sign_in(client, match.partner.user)

    listing = client.get(PLANS)
    assert listing.status_code == 200
    assert match.seller.name in listing.content.decode()

    page = client.get(f"/4m/mentor/matches/{match.pk}/plan/")
    assert page.status_code == 200
    response = client.post(
        f"/4m/mentor/matches/{match.pk}/plan/",
        {
            "goals": "Lên sàn; bao bì mới.",
            "milestone_1": "Mở gian hàng",
            "due_1": (timezone.localdate() + timedelta(days=20)).isoformat(),
        },
    )

    plan = MentoringPlan.objects.get(match=match)
    assert response.status_code == 302
    assert response["Location"] == plan_url(plan)
    assert [m.title for m in plan.milestones.all()] == ["Mở gian hàng"]


def test_a_milestone_without_a_date_is_shown_back_with_the_error(client, match):
    sign_in(client, match.partner.user)

    response = client.post(
        f"/4m/mentor/matches/{match.pk}/plan/", {"goals": "Mục tiêu", "milestone_1": "Mốc"}
    )

    assert response.status_code == 422
    assert "Hãy chọn ngày hạn cho mốc này." in response.content.decode()
    assert not MentoringPlan.objects.exists()


def test_the_seller_cannot_write_the_plan_and_a_pending_match_cannot_have_one(client, commune_a, match):
    sign_in(client, match.seller.leader)
    assert client.get(f"/4m/mentor/matches/{match.pk}/plan/").status_code == 403

    pending = match_make(commune=commune_a, state=Match.State.PENDING)
    sign_in(client, pending.partner.user)
    response = client.post(f"/4m/mentor/matches/{pending.pk}/plan/", {"goals": "Mục tiêu"})
    assert response.status_code == 422
    assert "cả hai bên đã đồng ý" in response.content.decode()


def test_seller_mentor_and_officer_see_the_plan_and_nobody_else_does(
    client, plan, match, commune_a, commune_b
):
    officer = user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)
    for person in (match.seller.leader, match.partner.user, officer):
        sign_in(client, person)
        page = client.get(plan_url(plan))
        assert page.status_code == 200
        assert "Lên sàn Shopee trong 3 tháng." in page.content.decode()
        assert plan_url(plan) in client.get(PLANS).content.decode()

    for stranger in (
        user_with_role(Role.PROGRAMME_OFFICER, province=commune_b.province),
        user_with_role(Role.PARTNER),
        user_with_role(Role.SELLER),
    ):
        sign_in(client, stranger)
        assert client.get(plan_url(plan)).status_code == 404
        assert plan_url(plan) not in client.get(PLANS).content.decode()


def test_the_mentor_never_sees_the_sellers_private_flags_or_revenue(client, plan, match):
    sign_in(client, match.partner.user)

    html = client.get(plan_url(plan)).content.decode()

    assert match.seller.name in html
    for private in ("dân tộc thiểu số", "phụ nữ lãnh đạo", "Doanh thu", match.seller.bank_account):
        assert private not in html


def test_the_seller_adds_and_ticks_off_a_milestone(client, plan, match):
    sign_in(client, match.seller.leader)

    client.post(
        f"{plan_url(plan)}milestones/",
        {"title": "Chụp ảnh sản phẩm", "due_on": timezone.localdate().isoformat()},
    )
    milestone = Milestone.objects.get(title="Chụp ảnh sản phẩm")
    response = client.post(f"/4m/mentor/milestones/{milestone.pk}/done/")

    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.done_on == timezone.localdate()


def test_scheduling_a_session_and_a_bad_time_is_explained(client, plan, match):
    sign_in(client, match.partner.user)
    day = timezone.localdate() + timedelta(days=5)

    ok = client.post(f"{plan_url(plan)}sessions/", {"day": day.isoformat(), "time": "09:30"})
    too_far = client.post(
        f"{plan_url(plan)}sessions/", {"day": (day + timedelta(days=500)).isoformat(), "time": "09:30"}
    )

    assert ok.status_code == 302
    assert Session.objects.filter(plan=plan, starts_at__date=day).exists()
    assert too_far.status_code == 422
    assert "trong một năm tới" in too_far.content.decode()


def test_the_mentor_records_a_session_and_the_seller_cannot(client, plan, match):
    session = plan.sessions.get(held=False)
    url = f"/4m/mentor/sessions/{session.pk}/"

    sign_in(client, match.seller.leader)
    assert client.get(url).status_code == 403

    sign_in(client, match.partner.user)
    assert client.get(url).status_code == 200
    response = client.post(url, {"held": "1", "notes": "Bàn giá bán trên sàn.", "next_steps": "Gửi ảnh mới."})

    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.held, session.notes, session.next_steps) == (
        True,
        "Bàn giá bán trên sàn.",
        "Gửi ảnh mới.",
    )
    assert "Bàn giá bán trên sàn." in client.get(plan_url(plan)).content.decode()


def test_the_mentor_completes_the_match(client, plan, match):
    sign_in(client, match.partner.user)

    response = client.post(f"/4m/mentor/matches/{match.pk}/complete/")

    assert response.status_code == 302
    match.refresh_from_db()
    assert match.state == Match.State.COMPLETED
    assert "Kết nối đã hoàn thành" in client.get(plan_url(plan)).content.decode()


def test_the_plan_page_and_list_cost_the_same_queries_with_more_sessions(client, plan, match):
    sign_in(client, match.partner.user)
    client.get(plan_url(plan))

    def cost() -> tuple[int, int]:
        counts = []
        for url in (plan_url(plan), PLANS):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        return counts[0], counts[1]

    small = cost()
    for days in range(1, 15):
        Session.objects.create(
            plan=plan, starts_at=timezone.now() - timedelta(days=days), held=True, notes="x"
        )
        Milestone.objects.create(plan=plan, title=f"Mốc {days}", due_on=timezone.localdate())
    for _other in range(3):
        plan_make(accepted_match(partner=match.partner), sessions=[(timezone.now(), True)])

    assert cost() == small
