"""SMS reminders: the day before a session and once a milestone is overdue, to both sides, each once."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from ketnoi.core.notify import MemorySender
from ketnoi.mentoring.models import Match, Reminder, Session
from ketnoi.mentoring.services.reminders import reminders_send

from .factories import accepted_match, plan_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return MemorySender.sent


@pytest.fixture
def now():
    """Ten in the morning, local time."""
    return timezone.make_aware(datetime.combine(timezone.localdate(), time(10)))


def at(now, days: int, hour: int):
    return timezone.make_aware(
        datetime.combine(timezone.localtime(now).date() + timedelta(days=days), time(hour))
    )


@pytest.fixture
def match(commune_a):
    return accepted_match(commune=commune_a)


def run(now, capture):
    with capture(execute=True):
        return reminders_send(now=now)


def test_both_sides_are_reminded_the_day_before_a_session_once(
    match, now, sms, django_capture_on_commit_callbacks
):
    plan_make(match, sessions=[(at(now, 1, 14), False), (at(now, 2, 9), False), (at(now, 0, 15), False)])

    first = run(now, django_capture_on_commit_callbacks)
    second = run(now + timedelta(hours=3), django_capture_on_commit_callbacks)

    assert (first.sessions, first.messages) == (1, 2)
    assert (second.sessions, second.messages) == (0, 0)
    assert sorted(m.to for m in sms) == sorted(
        [str(match.seller.leader.phone), str(match.partner.user.phone)]
    )
    assert all("ngày mai lúc 14:00" in m.text for m in sms)


def test_a_session_moved_to_another_day_is_reminded_again(
    match, now, sms, django_capture_on_commit_callbacks
):
    plan = plan_make(match, sessions=[(at(now, 1, 14), False)])
    run(now, django_capture_on_commit_callbacks)

    Session.objects.filter(plan=plan).update(starts_at=at(now, 2, 8))
    sent = run(now + timedelta(days=1), django_capture_on_commit_callbacks)

    assert sent.sessions == 1
    assert len(sms) == 4


def test_sessions_already_written_down_or_of_closed_matches_are_not_reminded(
    commune_a, now, sms, django_capture_on_commit_callbacks
):
    recorded = accepted_match(commune=commune_a)
    plan_make(recorded, sessions=[(at(now, 1, 9), True)])
    closed = accepted_match(commune=commune_a)
    plan_make(closed, sessions=[(at(now, 1, 9), False)])
    Match.objects.filter(pk=closed.pk).update(state=Match.State.COMPLETED)

    sent = run(now, django_capture_on_commit_callbacks)

    assert sent.messages == 0
    assert sms == []


def test_an_overdue_milestone_is_reminded_once_to_both_sides(
    match, now, sms, django_capture_on_commit_callbacks
):
    today = timezone.localdate(now)
    plan_make(
        match,
        milestones=[
            ("Mở gian hàng trên Shopee", today - timedelta(days=2), None),  # overdue
            ("Làm bao bì", today - timedelta(days=5), today - timedelta(days=6)),  # done in time
            ("Chụp ảnh", today, None),  # due today: not overdue yet
        ],
    )

    first = run(now, django_capture_on_commit_callbacks)
    second = run(now + timedelta(days=1), django_capture_on_commit_callbacks)

    assert (first.milestones, first.messages) == (1, 2)
    assert second.milestones == 1  # "Chụp ảnh" is overdue the next day; the first is not sent again
    assert sum("Mở gian hàng trên Shopee" in m.text for m in sms) == 2
    assert Reminder.objects.count() == 2


def test_the_command_reminds_now_or_enqueues(match, now, sms, django_capture_on_commit_callbacks):
    plan_make(match, sessions=[(timezone.now() + timedelta(days=1), False)])
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("mentoring_remind", "--now", stdout=out)
    call_command("mentoring_remind", stdout=out)

    text = out.getvalue()
    assert "reminded 1 session(s) and 0 overdue milestone(s): 2 message(s)" in text
    assert "enqueued" in text
