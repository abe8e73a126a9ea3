"""The 4M demo: a fair with its schedule, matches in every state, a plan with sessions, two graduates."""

from __future__ import annotations

import time
from datetime import date
from io import StringIO

import pytest
from django.db import transaction

from ketnoi.accounts import demo as accounts_demo
from ketnoi.core.phone import normalize_phone
from ketnoi.market import demo as market_demo
from ketnoi.market.models import Order, Seller
from ketnoi.mentoring import demo
from ketnoi.mentoring.models import (
    Baseline,
    Event,
    Graduation,
    Match,
    Meeting,
    MentoringPlan,
    Partner,
    Registration,
    RevenueMonth,
    Session,
)
from ketnoi.mentoring.services.outcomes import graduation_check, revenue_from_orders, revenue_months_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The accounts, market and 4M demos, seeded once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        accounts_demo.seed(out)
        market_demo.seed(out)
        started = time.perf_counter()
        demo.seed(out)
        seconds = time.perf_counter() - started
        yield {"out": out.getvalue(), "seconds": seconds}
        transaction.set_rollback(True)


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            Partner,
            Event,
            Registration,
            Meeting,
            Match,
            MentoringPlan,
            Session,
            RevenueMonth,
            Graduation,
        )
    )


def test_the_demo_is_quick(seeded):
    assert seeded["seconds"] < 10, seeded["out"]


def test_the_fair_has_attendees_and_a_schedule_without_double_booking(seeded):
    event = Event.objects.get(name=demo.FAIR_NAME)
    meetings = list(Meeting.objects.filter(event=event).select_related("request"))

    assert event.state == Event.State.SCHEDULED
    assert Registration.objects.filter(event=event, state=Registration.State.VALIDATED).count() == 9
    assert Registration.objects.filter(event=event, state=Registration.State.PENDING).count() == 1
    assert len(meetings) >= 8
    seen = set()
    for meeting in meetings:
        for attendee in (meeting.request.sender_id, meeting.request.receiver_id):
            assert (attendee, meeting.slot) not in seen
            seen.add((attendee, meeting.slot))


def test_matches_are_in_every_state(seeded):
    states = set(Match.objects.values_list("state", flat=True))

    assert states == {state.value for state in Match.State}


def test_the_demo_mentor_has_a_plan_with_sessions_with_muong_bu(seeded):
    plan = MentoringPlan.objects.get(
        match__partner__user__phone=normalize_phone("0900000006"), match__seller__name=demo.MUONG_BU
    )

    assert plan.match.state == Match.State.ACCEPTED
    assert plan.sessions.filter(held=True).count() == 2
    assert plan.sessions.filter(held=False, notes="").count() == 1  # tomorrow
    assert plan.milestones.filter(done_on__isnull=True).count() == 2


def test_two_sellers_graduated_on_revenue_from_their_orders(seeded):
    graduations = list(Graduation.objects.select_related("seller", "programme").order_by("seller__name"))

    assert [g.seller.name for g in graduations] == [demo.CHIENG_SON, demo.MOC_CHAU]
    for graduation in graduations:
        assert graduation.programme is not None and graduation.programme.code == demo.PROGRAMME_CODE
        assert graduation.criteria == {"uplift_percent": 30, "months": 3}
        assert Baseline.objects.get(seller=graduation.seller).basis.endswith("từ đơn hàng")
        assert RevenueMonth.objects.filter(seller=graduation.seller, women_benefiting__gt=0).count() == 4
        for month in graduation.evidence["months"]:
            assert month["source"] == "orders"
            first_day = date.fromisoformat(month["month"] + "-01")
            # the figure is the sum of her real delivered orders of that month
            assert month["revenue_vnd"] == revenue_from_orders(graduation.seller, first_day)
            assert month["revenue_vnd"] >= graduation.evidence["threshold_vnd"]


def test_muong_bu_is_ready_to_graduate_from_her_orders_but_not_yet_checked(seeded):
    seller = Seller.objects.get(name=demo.MUONG_BU)

    assert not Graduation.objects.filter(seller=seller).exists()
    assert Baseline.objects.filter(seller=seller).exists()
    assert Order.objects.filter(seller=seller, state="completed").count() >= 8
    with transaction.atomic():
        revenue_months_refresh(seller)
        assert graduation_check(seller) is not None
        transaction.set_rollback(True)


def test_seeding_again_adds_nothing(seeded):
    before = counts()
    out = StringIO()

    demo.seed(out)

    assert counts() == before
    assert "nothing to add" in out.getvalue()
