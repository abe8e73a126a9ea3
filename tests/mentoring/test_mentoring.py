"""Mentor: plans of accepted matches, milestones, sessions, completing a match — and who may do each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.audit import AuditEntry
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.notify import MemorySender
from ketnoi.mentoring.models import Match, MentoringPlan, Milestone, Session
from ketnoi.mentoring.selectors import MENTOR, OFFICER, SELLER, mentoring_sides
from ketnoi.mentoring.services.mentoring import (
    match_complete,
    milestone_add,
    milestone_done,
    plan_create,
    session_record,
    session_schedule,
)
from tests.accounts.factories import user_with_role

from .factories import accepted_match, match_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return MemorySender.sent


@pytest.fixture
def match(commune_a):
    return accepted_match(commune=commune_a)


@pytest.fixture
def mentor(match):
    return match.partner.user


@pytest.fixture
def leader(match):
    return match.seller.leader


@pytest.fixture
def officer(commune_a):
    return user_with_role(Role.PROGRAMME_OFFICER, province=commune_a.province)


def soon(days: int = 0, hours: int = 0):
    return timezone.now() + timedelta(days=days, hours=hours)


def a_plan(match, mentor):
    today = timezone.localdate()
    return plan_create(
        match,
        actor=mentor,
        goals="Lên sàn Shopee; làm bao bì mới.",
        milestones=[("Mở gian hàng", today + timedelta(days=14)), {"title": "Bao bì", "due_on": today}],
    )


# --- Who is who -----------------------------------------------------------------------------------


def test_each_person_plays_her_part(match, mentor, leader, officer, commune_b):
    stranger_officer = user_with_role(Role.PROGRAMME_OFFICER, province=commune_b.province)
    commune_officer = user_with_role(Role.COMMUNE_OFFICER, commune=match.seller.commune)

    assert mentoring_sides(mentor, match) == {MENTOR}
    assert mentoring_sides(leader, match) == {SELLER}
    assert mentoring_sides(officer, match) == {OFFICER}
    assert mentoring_sides(user_with_role(Role.ADMINISTRATOR), match) == {OFFICER}
    assert mentoring_sides(stranger_officer, match) == set()
    assert mentoring_sides(commune_officer, match) == set()


# --- The plan -------------------------------------------------------------------------------------


def test_the_mentor_writes_the_plan_of_an_accepted_match(match, mentor):
    plan = a_plan(match, mentor)

    assert plan.match == match
    assert [m.title for m in plan.milestones.all()] == ["Bao bì", "Mở gian hàng"]  # by due date
    assert AuditEntry.objects.filter(action="mentoring.plan_create").count() == 1


def test_an_officer_of_the_province_may_write_it_too(match, officer):
    plan = plan_create(match, actor=officer, goals="Chứng nhận OCOP 3 sao.")

    assert plan.goals == "Chứng nhận OCOP 3 sao."


def test_the_seller_or_an_officer_elsewhere_cannot_write_the_plan(match, leader, commune_b):
    elsewhere = user_with_role(Role.PROGRAMME_OFFICER, province=commune_b.province)

    for person in (leader, elsewhere, user_with_role(Role.PARTNER)):
        with pytest.raises(PermissionDenied):
            plan_create(match, actor=person, goals="Mục tiêu")
    assert not MentoringPlan.objects.exists()


@pytest.mark.parametrize("state", [Match.State.PENDING, Match.State.DECLINED, Match.State.COMPLETED])
def test_no_plan_before_both_sides_accept_or_after_the_match_closes(commune_a, state):
    match = match_make(commune=commune_a, state=state)

    with pytest.raises(DomainError) as refused:
        plan_create(match, actor=match.partner.user, goals="Mục tiêu")

    assert refused.value.code == "match_not_accepted"
    assert refused.value.status == 409


def test_one_plan_per_match_and_goals_are_required(match, mentor):
    with pytest.raises(DomainError) as empty:
        plan_create(match, actor=mentor, goals="   ")
    assert empty.value.code == "required"
    with pytest.raises(DomainError) as bad_date:
        plan_create(match, actor=mentor, goals="Mục tiêu", milestones=[("Mốc", "mai")])
    assert bad_date.value.code == "due_invalid"
    assert not MentoringPlan.objects.exists()

    a_plan(match, mentor)
    with pytest.raises(DomainError) as again:
        a_plan(match, mentor)
    assert again.value.code == "plan_exists"


# --- Milestones -----------------------------------------------------------------------------------


def test_either_side_adds_a_milestone_and_marks_it_done_once(match, mentor, leader):
    plan = a_plan(match, mentor)

    milestone = milestone_add(plan, actor=leader, title="Chụp ảnh sản phẩm", due_on=timezone.localdate())
    done = milestone_done(milestone, actor=leader)
    again = milestone_done(milestone, actor=mentor, done_on=timezone.localdate() - timedelta(days=3))

    assert done.done_on == timezone.localdate()
    assert again.done_on == timezone.localdate()  # unchanged
    assert AuditEntry.objects.filter(action="mentoring.milestone_done").count() == 1


def test_a_milestone_cannot_be_done_in_the_future_or_by_a_stranger(match, mentor):
    plan = a_plan(match, mentor)
    milestone = plan.milestones.first()

    with pytest.raises(DomainError) as future:
        milestone_done(milestone, actor=mentor, done_on=timezone.localdate() + timedelta(days=1))
    assert future.value.code == "done_in_future"
    with pytest.raises(PermissionDenied):
        milestone_done(milestone, actor=user_with_role(Role.SELLER))
    assert Milestone.objects.get(pk=milestone.pk).done_on is None


# --- Sessions -------------------------------------------------------------------------------------


def test_scheduling_a_session_texts_the_other_side(
    match, mentor, leader, sms, django_capture_on_commit_callbacks
):
    plan = a_plan(match, mentor)

    with django_capture_on_commit_callbacks(execute=True):
        session = session_schedule(plan, actor=mentor, starts_at=soon(days=3))

    assert session.held is False
    assert [m.to for m in sms] == [str(leader.phone)]
    assert match.seller.name in sms[0].text


def test_a_session_too_far_ahead_or_long_past_is_refused(match, mentor):
    plan = a_plan(match, mentor)

    for when in (soon(days=400), soon(days=-120)):
        with pytest.raises(DomainError) as refused:
            session_schedule(plan, actor=mentor, starts_at=when)
        assert refused.value.code == "starts_at_range"
    assert not Session.objects.exists()


def test_the_mentor_records_a_session_with_notes_and_next_steps(match, mentor):
    plan = a_plan(match, mentor)
    session = session_schedule(plan, actor=mentor, starts_at=soon(hours=-2))

    recorded = session_record(
        session, actor=mentor, notes="Xem lại giá bán; chụp ảnh.", next_steps="Gửi bảng giá mới."
    )

    assert recorded.held is True
    assert recorded.notes == "Xem lại giá bán; chụp ảnh."
    assert recorded.next_steps == "Gửi bảng giá mới."
    assert recorded.recorded_by == mentor


def test_a_session_not_yet_held_cannot_be_recorded_as_held_and_the_seller_cannot_record(
    match, mentor, leader
):
    plan = a_plan(match, mentor)
    session = session_schedule(plan, actor=mentor, starts_at=soon(days=2))

    with pytest.raises(DomainError) as early:
        session_record(session, actor=mentor, notes="Đã gặp")
    assert early.value.code == "session_not_yet"
    with pytest.raises(PermissionDenied):
        session_record(session, actor=leader, notes="Đã gặp")
    with pytest.raises(DomainError) as empty:
        session_record(session, actor=mentor, notes="", held=False)
    assert empty.value.code == "required"

    cancelled = session_record(session, actor=mentor, notes="Chị Xuân ốm, hẹn lại.", held=False)
    assert cancelled.held is False


# --- Completing -----------------------------------------------------------------------------------


def test_completing_a_match_closes_its_plan(match, mentor):
    plan = a_plan(match, mentor)

    completed = match_complete(match, actor=mentor)

    assert completed.state == Match.State.COMPLETED
    assert completed.completed_at is not None
    with pytest.raises(DomainError) as closed:
        milestone_add(plan, actor=mentor, title="Thêm", due_on=timezone.localdate())
    assert closed.value.code == "plan_closed"
    with pytest.raises(DomainError) as twice:
        match_complete(match, actor=mentor)
    assert twice.value.code == "match_not_accepted"


def test_only_the_mentor_or_an_officer_completes(match, leader, officer):
    with pytest.raises(PermissionDenied):
        match_complete(match, actor=leader)

    assert match_complete(match, actor=officer).state == Match.State.COMPLETED
    assert AuditEntry.objects.filter(action="mentoring.match_complete", actor=officer).exists()
