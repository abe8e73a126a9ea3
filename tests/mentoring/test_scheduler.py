"""The meeting scheduler on random events: never double-booked, always inside availability, one
meeting per table and slot, never fewer meetings than the plain first-fit greedy, never more than the
bound; then ``schedule_event`` writing it to the database."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketnoi.core.errors import PermissionDenied
from ketnoi.core.notify import MemorySender
from ketnoi.mentoring.models import Event, Meeting, MeetingRequest
from ketnoi.mentoring.services.events import schedule_event
from ketnoi.mentoring.services.scheduler import greedy_first_fit, place_meetings, upper_bound
from tests.mentoring.factories import fair_build, officer_of, request_build


@st.composite
def events(draw):
    """A random fair: sellers and partners, accepted requests between them, availability, tables."""
    sellers = draw(st.integers(1, 12))
    partners = draw(st.integers(1, 8))
    slots = draw(st.integers(1, 8))
    tables = draw(st.integers(1, 6))
    people = sellers + partners
    every_pair = [(s, sellers + p) for s in range(sellers) for p in range(partners)]
    pairs = draw(st.lists(st.sampled_from(every_pair), unique=True, max_size=min(len(every_pair), 40)))
    availability = draw(
        st.lists(
            st.none() | st.lists(st.integers(0, slots - 1), unique=True, max_size=slots),
            min_size=people,
            max_size=people,
        )
    )
    return pairs, availability, tables, slots


def check(schedule, pairs, availability, tables, slots):
    placed = schedule.placements
    # each request at most once
    assert len({r for r, _t, _s in placed}) == len(placed)
    # one meeting per table and slot, tables and slots in range
    cells = Counter((t, s) for _r, t, s in placed)
    assert all(n == 1 for n in cells.values())
    assert all(0 <= t < tables and 0 <= s < slots for _r, t, s in placed)
    # nobody in two places at once
    busy = Counter()
    for r, _t, s in placed:
        for person in pairs[r]:
            busy[person, s] += 1
    assert all(n == 1 for n in busy.values()), busy
    # nobody outside the slots she gave (None or empty: all day)
    for r, _t, s in placed:
        for person in pairs[r]:
            chosen = availability[person]
            assert not chosen or s in chosen


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_random_events_are_never_double_booked_and_beat_the_plain_greedy(event):
    pairs, availability, tables, slots = event

    schedule = place_meetings(pairs, availability, tables=tables, slots=slots, repair_seconds=0.5)
    plain = greedy_first_fit(pairs, availability, tables=tables, slots=slots)

    check(schedule, pairs, availability, tables, slots)
    check(plain, pairs, availability, tables, slots)
    assert schedule.placed >= plain.placed
    assert schedule.placed <= schedule.upper_bound <= min(len(pairs), tables * slots)


def test_a_full_day_with_room_for_everyone_places_every_request():
    # Given 6 cooperatives each asking all 4 partners, 4 slots × 4 tables, everyone there all day
    pairs = [(s, 6 + p) for s in range(6) for p in range(4)]

    schedule = place_meetings(pairs, [None] * 10, tables=4, slots=6)

    # Then all 24 meetings fit (each partner meets 6 people in 6 slots)
    assert schedule.placed == 24 == schedule.upper_bound


def test_a_pair_without_a_common_slot_is_left_out_and_the_bound_says_so():
    # Given a seller there only in slot 0 and a partner only in slot 1
    schedule = place_meetings([(0, 1)], [[0], [1]], tables=2, slots=2)

    assert schedule.placed == 0
    assert schedule.upper_bound == 0


def test_tables_limit_the_meetings_of_a_slot():
    # Given 5 disjoint pairs, all there only in slot 0, and 2 tables
    pairs = [(i, 5 + i) for i in range(5)]

    schedule = place_meetings(pairs, [[0]] * 10, tables=2, slots=3)

    assert schedule.placed == 2 == schedule.upper_bound


def test_repair_finds_what_first_fit_misses():
    # Given first fit putting (0,2) in slot 0, where (0,3) had to be: person 3 is there only then
    pairs = [(0, 2), (0, 3)]
    availability = [None, None, None, [0]]

    plain = greedy_first_fit(pairs, availability, tables=2, slots=2)
    schedule = place_meetings(pairs, availability, tables=2, slots=2)

    assert plain.placed == 1
    assert schedule.placed == 2


def test_a_host_keeps_her_table_when_she_can():
    # Given one partner (host 3) meeting three cooperatives in three slots, two tables
    pairs = [(0, 3), (1, 3), (2, 3), (4, 5)]

    schedule = place_meetings(pairs, [None] * 6, tables=2, slots=3)

    tables = {t for r, t, _s in schedule.placements if pairs[r][1] == 3}
    assert len(tables) == 1


def test_bench_sized_event_is_quick_and_fills_every_table():
    # Given the benchmark's size: 500 people, 2,000 accepted requests, 20 tables × 16 slots
    rnd = random.Random(11)
    pairs = sorted({(rnd.randrange(350), 350 + rnd.randrange(150)) for _ in range(2300)})[:2000]
    availability = [
        None if rnd.random() < 0.5 else rnd.sample(range(16), rnd.randint(4, 14)) for _ in range(500)
    ]

    schedule = place_meetings(pairs, availability, tables=20, slots=16)

    check(schedule, pairs, availability, 20, 16)
    assert schedule.placed == schedule.upper_bound == 320
    # and the scarce table-slots are spread: far more people get a meeting than with first fit
    plain = greedy_first_fit(pairs, availability, tables=20, slots=16)

    def people_met(result):
        return len({person for r, _t, _s in result.placements for person in pairs[r]})

    assert people_met(schedule) >= 400
    assert people_met(schedule) > 2 * people_met(plain)


def test_upper_bound_counts_each_persons_slots():
    # One partner there in 2 slots, asked by 5 cooperatives: at most 2 meetings
    pairs = [(i, 5) for i in range(5)]
    assert upper_bound(pairs, [None] * 5 + [[0, 1]], tables=10, slots=4) == 2


# --- schedule_event --------------------------------------------------------------------------------


@pytest.fixture
def sms(settings):
    """Messages delivered in-process once the transaction commits."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return MemorySender.sent


@pytest.mark.django_db
def test_schedule_event_writes_meetings_and_running_it_again_replaces_them(
    sms, django_capture_on_commit_callbacks
):
    # Given a fair with 3 cooperatives × 2 partners, all requests accepted, 2 tables × 3 slots
    event, sellers, partners = fair_build(sellers=3, partners=2, tables=2, slots=3)
    for s in sellers:
        for p in partners:
            request_build(s, p)

    # When the organiser schedules it
    with django_capture_on_commit_callbacks(execute=True):
        result = schedule_event(event, actor=event.organiser)

    # Then all 6 meetings are placed, nobody twice in one slot, and the event is scheduled
    assert (result.placed, result.requests, result.upper_bound) == (6, 6, 6)
    meetings = list(Meeting.objects.filter(event=event).select_related("request"))
    assert len(meetings) == 6
    per_slot = Counter()
    for m in meetings:
        per_slot[m.request.sender_id, m.slot] += 1
        per_slot[m.request.receiver_id, m.slot] += 1
    assert max(per_slot.values()) == 1
    event.refresh_from_db()
    assert event.state == Event.State.SCHEDULED
    # every attendee is told how many meetings she has
    assert len(sms) == 5
    assert all("cuộc gặp" in m.text for m in sms)

    # When one request is cancelled and the schedule is made again
    MeetingRequest.objects.filter(pk=meetings[0].request_id).update(state=MeetingRequest.State.CANCELLED)
    again = schedule_event(event, actor=event.organiser, notify=False)

    # Then the old meetings are replaced, not added to
    assert again.placed == 5
    assert Meeting.objects.filter(event=event).count() == 5


@pytest.mark.django_db
def test_schedule_event_respects_availability_and_ignores_unvalidated_people():
    event, sellers, partners = fair_build(sellers=2, partners=1, tables=3, slots=4)
    sellers[0].available_slots = [2]
    sellers[0].save()
    sellers[1].state = "pending"
    sellers[1].save()
    request_build(sellers[0], partners[0])
    request_build(sellers[1], partners[0])

    result = schedule_event(event, actor=event.organiser, notify=False)

    assert result.requests == 1
    assert list(Meeting.objects.filter(event=event).values_list("slot", flat=True)) == [2]


@pytest.mark.django_db
def test_only_a_manager_schedules_and_nothing_changes_otherwise():
    event, sellers, partners = fair_build(sellers=1, partners=1)
    request_build(sellers[0], partners[0])
    stranger = officer_of(province=None)  # Sơn La: covers the event
    from tests.mentoring.factories import lao_cai

    outsider = officer_of(lao_cai())

    with pytest.raises(PermissionDenied):
        schedule_event(event, actor=outsider)
    with pytest.raises(PermissionDenied):
        schedule_event(event, actor=sellers[0].seller.leader)
    assert not Meeting.objects.filter(event=event).exists()

    # an officer of the event's province may
    assert schedule_event(event, actor=stranger, notify=False).placed == 1
