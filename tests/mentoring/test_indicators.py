"""The 4M figures: the funnel and the indicators, per programme and province, in the caller's area only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.errors import NotFound, PermissionDenied
from ketnoi.mentoring.indicators import board_build, board_for_user, indicator_scopes, revenue_window
from ketnoi.mentoring.models import Baseline, RevenueMonth
from tests.accounts.factories import user_with_role
from tests.market.factories import SellerFactory

from .factories import graduation_make, match_make, needs_make, plan_make, programme_4m, round_make

pytestmark = pytest.mark.django_db


def months_ago(count: int) -> date:
    today = timezone.localdate()
    year, month = today.year, today.month - count
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def revenue(seller, baseline: int, amounts: dict[int, int], women: int = 0) -> None:
    Baseline.objects.create(seller=seller, revenue_vnd=baseline, basis="nhập tay", set_at=timezone.now())
    for back, amount in amounts.items():
        RevenueMonth.objects.create(
            seller=seller,
            month=months_ago(back),
            revenue_vnd=amount,
            source="entered",
            women_benefiting=women,
        )


def held_plan(match):
    return plan_make(match, sessions=[(timezone.now() - timedelta(days=9), True), (timezone.now(), False)])


@pytest.fixture
def world(commune_a, commune_b):
    """Three sellers in Sơn La (one reached by the programme), one in Lào Cai."""
    programme = programme_4m(province=commune_a.province)
    round_ = round_make(programme=programme, province=commune_a.province)
    a = SellerFactory(commune=commune_a, name="HTX A")
    b = SellerFactory(commune=commune_a, name="HTX B")
    c = SellerFactory(commune=commune_a, name="HTX C")
    d = SellerFactory(commune=commune_b, name="HTX D")
    for seller in (a, b, c, d):
        needs_make(seller)
    held_plan(match_make(seller=a, state="accepted", round=round_))
    match_make(seller=b, state="pending", round=round_)
    match_make(seller=b, state="declined")
    held_plan(match_make(seller=c, state="completed"))
    match_make(seller=d, state="accepted")
    graduation_make(a, programme=programme)
    revenue(a, 1_000_000, {3: 1_300_000, 2: 1_400_000, 1: 1_200_000, 0: 100_000}, women=18)  # average +30 %
    revenue(b, 1_000_000, {3: 1_300_000, 2: 1_300_000, 1: 1_290_000}, women=7)  # average just under
    revenue(d, 500_000, {3: 900_000, 2: 900_000, 1: 900_000}, women=30)
    return {"programme": programme, "a": a, "b": b, "c": c, "d": d}


def values(board) -> dict[str, int]:
    return {item.code: item.value for item in board.indicators}


def funnel(board) -> dict[str, int]:
    return {code: value for code, _label, value in board.total.funnel()}


def test_a_province_officer_sees_her_province_only(world, commune_a):
    officer = user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)

    board = board_for_user(officer)

    assert funnel(board) == {"registered": 3, "matched": 2, "mentored": 2, "graduated": 1}
    assert values(board) == {
        "cooperatives_revenue_up_30": 1,
        "women_benefiting": 25,
        "matches_made": 2,
        "matches_completed": 1,
        "sessions_held": 2,
        "graduated": 1,
    }
    assert [p.name for p in board.provinces] == [commune_a.province.name]
    assert {item.as_of for item in board.indicators} == {timezone.localdate()}


def test_an_administrator_sees_the_country_by_province(world, commune_a, commune_b):
    board = board_for_user(user_with_role(Role.ADMINISTRATOR))

    assert funnel(board) == {"registered": 4, "matched": 3, "mentored": 2, "graduated": 1}
    assert values(board)["cooperatives_revenue_up_30"] == 2
    assert values(board)["women_benefiting"] == 55
    by_name = {p.name: p for p in board.provinces}
    assert by_name[commune_b.province.name].matched == 1
    assert by_name[commune_b.province.name].revenue_up == 1


def test_a_programme_counts_its_rounds_graduations_and_the_people_it_reached(world):
    board = board_for_user(user_with_role(Role.ADMINISTRATOR), programme_code="4m-son-la")

    assert funnel(board) == {"registered": 3, "matched": 1, "mentored": 1, "graduated": 1}
    assert values(board) == {
        "cooperatives_revenue_up_30": 1,
        "women_benefiting": 18,
        "matches_made": 1,
        "matches_completed": 0,
        "sessions_held": 1,
        "graduated": 1,
    }


def test_a_province_filter_narrows_and_one_outside_the_area_is_refused(world, commune_a, commune_b):
    admin = user_with_role(Role.ADMINISTRATOR)
    officer = user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)

    lao_cai = board_for_user(admin, province_code=commune_b.province.code)
    assert funnel(lao_cai) == {"registered": 1, "matched": 1, "mentored": 0, "graduated": 0}
    with pytest.raises(PermissionDenied):
        board_for_user(officer, province_code=commune_b.province.code)
    with pytest.raises(NotFound):
        board_for_user(officer, programme_code="khong-co")
    with pytest.raises(NotFound):
        board_for_user(officer, province_code=999)


def test_people_without_an_officer_role_get_no_figures(world, commune_a):
    for role in (Role.SELLER, Role.PARTNER, Role.COMMUNE_OFFICER):
        user = user_with_role(role, commune=commune_a if role == Role.COMMUNE_OFFICER else None)
        assert indicator_scopes(user) == []
        with pytest.raises(PermissionDenied):
            board_for_user(user)


def test_the_revenue_window_is_the_last_three_complete_months():
    assert revenue_window(date(2026, 2, 14)) == (date(2025, 11, 1), date(2026, 1, 1))


def test_the_board_costs_the_same_queries_at_two_sizes(world, commune_a):
    scopes = indicator_scopes(user_with_role(Role.ADMINISTRATOR))
    programme = world["programme"]

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            board_build(scopes)
            board_build(scopes, programme=programme, province=commune_a.province)
        return len(queries)

    small = cost()
    round_ = round_make(programme=programme, province=commune_a.province, name="Đợt 2")
    for number in range(6):
        seller = SellerFactory(commune=commune_a, name=f"HTX thêm {number}")
        needs_make(seller)
        held_plan(match_make(seller=seller, state="accepted", round=round_))
        revenue(seller, 1_000_000, {3: 2_000_000, 2: 2_000_000, 1: 2_000_000}, women=4)
        graduation_make(seller, programme=programme)
    large = cost()

    assert small == large
    assert large <= 14
