"""Meet: events, their moves, registration the organiser validates, and meeting requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.notify import MemorySender
from ketnoi.mentoring.models import Event, Meeting, MeetingRequest, Registration
from ketnoi.mentoring.services.events import (
    event_create,
    event_state_set,
    meeting_request_answer,
    meeting_request_cancel,
    meeting_request_send,
    registration_create,
    registration_decide,
    registration_slots_set,
    schedule_event,
    slots_build,
    slots_validate,
)
from tests.accounts.factories import user_with_role
from tests.market.factories import SellerFactory
from tests.mentoring.factories import (
    admin_user,
    event_build,
    fair_build,
    lao_cai,
    officer_of,
    partner_build,
    registration_build,
    request_build,
    son_la,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return MemorySender.sent


def new_event(actor, **overrides):
    values = {
        "name": "Hội chợ kết nối Sơn La 2026",
        "kind": Event.Kind.FAIR,
        "province": son_la(),
        "starts_on": timezone.localdate() + timedelta(days=10),
        "tables": 10,
        "slots": slots_build(first="08:00", minutes=20, count=6, pause=5),
        "venue": "Nhà văn hoá tỉnh",
    }
    values.update(overrides)
    return event_create(actor=actor, **values)


# --- Events ---------------------------------------------------------------------------------------


def test_an_officer_of_the_province_creates_a_draft_event():
    officer = officer_of(son_la())

    event = new_event(officer)

    assert (event.state, event.organiser, event.tables) == (Event.State.DRAFT, officer, 10)
    assert event.slots[0] == {"start": "08:00", "end": "08:20"}
    assert event.slots[1] == {"start": "08:25", "end": "08:45"}
    assert len(event.slots) == 6


@pytest.mark.parametrize("who", ["officer_elsewhere", "seller", "partner"])
def test_others_cannot_organise_an_event_there(who):
    actor = {
        "officer_elsewhere": lambda: officer_of(lao_cai()),
        "seller": lambda: user_with_role(Role.SELLER),
        "partner": lambda: user_with_role(Role.PARTNER),
    }[who]()
    with pytest.raises(PermissionDenied):
        new_event(actor)
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"starts_on": timezone.localdate() - timedelta(days=1)}, "event_past"),
        ({"tables": 0}, "event_tables"),
        ({"tables": 201}, "event_tables"),
        ({"name": ""}, "event_name"),
        ({"kind": "party"}, "event_kind"),
        ({"slots": []}, "slots_count"),
        ({"slots": [{"start": "09:00", "end": "08:00"}]}, "slot_order"),
        ({"slots": [{"start": "08:00", "end": "09:00"}, {"start": "08:30", "end": "09:30"}]}, "slot_overlap"),
        ({"slots": [{"start": "8h", "end": "9h"}]}, "slot_time"),
    ],
)
def test_bad_events_are_refused(overrides, code):
    with pytest.raises(DomainError) as refused:
        new_event(admin_user(), **overrides)
    assert refused.value.code == code
    assert not Event.objects.exists()


def test_slots_that_run_past_midnight_are_refused():
    with pytest.raises(DomainError) as refused:
        slots_build(first="23:00", minutes=30, count=3)
    assert refused.value.code == "slots_midnight"
    assert slots_validate([{"start": "8:00".zfill(5), "end": "08:20"}]) == [
        {"start": "08:00", "end": "08:20"}
    ]


def test_the_event_moves_one_step_at_a_time():
    event = event_build(state=Event.State.DRAFT)
    organiser = event.organiser

    event = event_state_set(event, actor=organiser, state=Event.State.REGISTRATION)
    event = event_state_set(event, actor=organiser, state=Event.State.REQUESTS)
    with pytest.raises(DomainError) as refused:
        event_state_set(event, actor=organiser, state=Event.State.SCHEDULED)  # only by scheduling
    assert refused.value.status == 409
    with pytest.raises(PermissionDenied):
        event_state_set(event, actor=officer_of(lao_cai()), state=Event.State.REGISTRATION)
    event.refresh_from_db()
    assert event.state == Event.State.REQUESTS


# --- Registration ---------------------------------------------------------------------------------


def test_a_seller_and_a_partner_register_and_the_organiser_validates(sms, django_capture_on_commit_callbacks):
    event = event_build()
    seller = SellerFactory()
    partner = partner_build()

    mine = registration_create(event, actor=seller.leader, seller=seller, available_slots=["2", 0, 2])
    theirs = registration_create(event, actor=partner.user, partner=partner)

    assert (mine.state, mine.available_slots) == (Registration.State.PENDING, [0, 2])
    assert theirs.available_slots == []  # there all day
    with django_capture_on_commit_callbacks(execute=True):
        registration_decide(mine, actor=event.organiser, validate=True)
        registration_decide(theirs, actor=event.organiser, validate=False, note="Đã đủ chỗ.")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.state, theirs.state) == (Registration.State.VALIDATED, Registration.State.REJECTED)
    assert [m.to for m in sms] == [str(seller.leader.phone), str(partner.user.phone)]
    assert "Đã đủ chỗ." in sms[1].text


def test_registration_refusals():
    event = event_build()
    seller = SellerFactory()
    partner = partner_build()

    with pytest.raises(PermissionDenied):  # not her cooperative
        registration_create(event, actor=SellerFactory().leader, seller=seller)
    with pytest.raises(PermissionDenied):  # not her profile
        registration_create(event, actor=seller.leader, partner=partner)
    with pytest.raises(DomainError) as refused:
        registration_create(event, actor=seller.leader, seller=seller, available_slots=[99])
    assert refused.value.code == "slot_unknown"
    with pytest.raises(DomainError) as refused:
        registration_create(event, actor=seller.leader)
    assert refused.value.code == "registration_side"

    registration_create(event, actor=seller.leader, seller=seller)
    with pytest.raises(DomainError) as refused:
        registration_create(event, actor=seller.leader, seller=seller)
    assert (refused.value.code, refused.value.status) == ("registration_twice", 409)

    closed = event_build(state=Event.State.DRAFT)
    with pytest.raises(DomainError) as refused:
        registration_create(closed, actor=partner.user, partner=partner)
    assert refused.value.code == "registration_closed"
    assert Registration.objects.count() == 1


def test_only_a_manager_decides_and_rejecting_cancels_her_requests():
    _event, sellers, partners = fair_build(sellers=1, partners=2)
    request_build(sellers[0], partners[0], state=MeetingRequest.State.PENDING)
    request_build(partners[1], sellers[0], state=MeetingRequest.State.ACCEPTED)

    with pytest.raises(PermissionDenied):
        registration_decide(sellers[0], actor=partners[0].partner.user, validate=False)

    registration_decide(sellers[0], actor=admin_user(), validate=False)

    assert set(MeetingRequest.objects.values_list("state", flat=True)) == {MeetingRequest.State.CANCELLED}


def test_an_attendee_changes_her_slots_until_the_schedule_is_made():
    event, sellers, partners = fair_build(sellers=1, partners=1)
    leader = sellers[0].seller.leader

    registration_slots_set(sellers[0], actor=leader, available_slots=[1, 3])
    with pytest.raises(PermissionDenied):
        registration_slots_set(sellers[0], actor=partners[0].partner.user, available_slots=[0])
    Event.objects.filter(pk=event.pk).update(state=Event.State.SCHEDULED)
    with pytest.raises(DomainError) as refused:
        registration_slots_set(sellers[0], actor=leader, available_slots=[0])

    assert refused.value.code == "registration_frozen"
    sellers[0].refresh_from_db()
    assert sellers[0].available_slots == [1, 3]


# --- Meeting requests -----------------------------------------------------------------------------


def test_a_request_sent_and_accepted(sms, django_capture_on_commit_callbacks):
    _event, sellers, partners = fair_build(sellers=1, partners=1)
    leader, partner_user = sellers[0].seller.leader, partners[0].partner.user

    with django_capture_on_commit_callbacks(execute=True):
        request = meeting_request_send(
            actor=leader, sender=sellers[0], receiver=partners[0], message="Xin gặp ạ"
        )
    assert [m.to for m in sms] == [str(partner_user.phone)]

    with django_capture_on_commit_callbacks(execute=True):
        request = meeting_request_answer(request, actor=partner_user, accept=True)
    assert request.state == MeetingRequest.State.ACCEPTED
    assert sms[-1].to == str(leader.phone)


def test_a_member_of_the_cooperative_may_answer_for_it():
    member = user_with_role(Role.SELLER)
    event, _sellers, partners = fair_build(sellers=0, partners=1)
    seller = SellerFactory(members=[member])
    mine = registration_build(event, seller=seller)
    request = meeting_request_send(actor=partners[0].partner.user, sender=partners[0], receiver=mine)

    assert meeting_request_answer(request, actor=member, accept=False).state == MeetingRequest.State.DECLINED


def test_request_refusals():
    event, sellers, partners = fair_build(sellers=2, partners=2)
    leader = sellers[0].seller.leader
    pending = registration_build(event, partner=partner_build(), state=Registration.State.PENDING)

    def code(**kwargs):
        with pytest.raises(DomainError) as refused:
            meeting_request_send(**kwargs)
        return refused.value.code

    assert code(actor=leader, sender=sellers[0], receiver=sellers[0]) == "request_self"
    assert code(actor=leader, sender=sellers[0], receiver=sellers[1]) == "request_same_side"
    assert code(actor=leader, sender=sellers[0], receiver=pending) == "request_receiver_not_validated"
    with pytest.raises(PermissionDenied):
        meeting_request_send(actor=leader, sender=sellers[1], receiver=partners[0])

    meeting_request_send(actor=leader, sender=sellers[0], receiver=partners[0])
    assert code(actor=leader, sender=sellers[0], receiver=partners[0]) == "request_twice"
    partner_user = partners[0].partner.user
    assert code(actor=partner_user, sender=partners[0], receiver=sellers[0]) == "request_twice"
    assert MeetingRequest.objects.count() == 1

    Event.objects.filter(pk=event.pk).update(state=Event.State.DONE)
    assert code(actor=leader, sender=sellers[0], receiver=partners[1]) == "requests_closed"


def test_too_many_open_requests_are_refused():
    # Given an event of one slot: two open requests per slot
    _event, sellers, partners = fair_build(sellers=1, partners=3, slots=1)
    leader = sellers[0].seller.leader
    meeting_request_send(actor=leader, sender=sellers[0], receiver=partners[0])
    meeting_request_send(actor=leader, sender=sellers[0], receiver=partners[1])

    with pytest.raises(DomainError) as refused:
        meeting_request_send(actor=leader, sender=sellers[0], receiver=partners[2])

    assert refused.value.code == "request_too_many"


def test_only_the_receiver_answers_and_only_once():
    event, sellers, partners = fair_build(sellers=1, partners=1)
    leader = sellers[0].seller.leader
    request = meeting_request_send(actor=leader, sender=sellers[0], receiver=partners[0])

    for wrong in (leader, user_with_role(Role.PARTNER), event.organiser):
        with pytest.raises(PermissionDenied):
            meeting_request_answer(request, actor=wrong, accept=True)
    meeting_request_answer(request, actor=partners[0].partner.user, accept=False)
    with pytest.raises(DomainError) as refused:
        meeting_request_answer(request, actor=partners[0].partner.user, accept=True)
    assert refused.value.code == "request_answered"
    request.refresh_from_db()
    assert request.state == MeetingRequest.State.DECLINED


def test_cancelling_frees_the_meeting_and_the_pair_may_ask_again():
    event, sellers, partners = fair_build(sellers=1, partners=1)
    request = request_build(sellers[0], partners[0])
    schedule_event(event, actor=event.organiser, notify=False)
    assert Meeting.objects.count() == 1

    meeting_request_cancel(request, actor=partners[0].partner.user)

    assert not Meeting.objects.exists()
    with pytest.raises(PermissionDenied):
        meeting_request_cancel(request, actor=user_with_role(Role.PARTNER))
    Event.objects.filter(pk=event.pk).update(state=Event.State.REQUESTS)
    again = meeting_request_send(actor=sellers[0].seller.leader, sender=sellers[0], receiver=partners[0])
    assert (again.pk, again.state) == (request.pk, MeetingRequest.State.PENDING)
