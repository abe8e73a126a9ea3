"""Meet pages: an organiser runs a fair from registration to printed schedules, attendees ask and
answer, and a partner never sees a cooperative's sensitive data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.mentoring.models import Event, Meeting, MeetingRequest, Registration
from ketnoi.mentoring.services.events import schedule_event
from tests.accounts.factories import user_with_role
from tests.market.factories import SellerFactory
from tests.mentoring.factories import (
    event_build,
    fair_build,
    officer_of,
    partner_build,
    registration_build,
    request_build,
    seller_with_needs,
    son_la,
)

pytestmark = pytest.mark.django_db

# What a cooperative tells only the programme (from the market's seller factory, or set below).
SENSITIVE = (
    "7100205123456",
    "HTX NONG SAN BAN LUOT",
    "do phụ nữ lãnh đạo",
    "dân tộc thiểu số",
    "Ghi chú mật",
)


def url(name, *args):
    return reverse(f"mentoring:{name}", args=args)


def text(response) -> str:
    return response.content.decode()


def test_an_organiser_runs_a_fair_from_registration_to_printed_schedules(client):
    officer = officer_of(son_la())
    seller = seller_with_needs(name="HTX Dệt Mường Bú")
    partner = partner_build(organisation="Công ty Thổ cẩm Hà Nội")

    # The organiser creates the event and opens registration
    client.force_login(officer)
    response = client.post(
        url("event_new"),
        {
            "name": "Hội chợ kết nối Sơn La",
            "kind": "fair",
            "province": son_la().pk,
            "venue": "Nhà văn hoá",
            "starts_on": (timezone.localdate() + timedelta(days=7)).isoformat(),
            "tables": 2,
            "first_slot": "08:00",
            "minutes": 20,
            "pause": 0,
            "count": 3,
        },
    )
    event = Event.objects.get()
    assert response.status_code == 302 and response.url == url("event_detail", event.pk)
    client.post(url("event_state", event.pk), {"state": "registration"})
    event.refresh_from_db()
    assert event.state == Event.State.REGISTRATION

    # The cooperative and the partner register, from their phones
    client.force_login(seller.leader)
    page = client.get(url("event_register", event.pk))
    assert page.status_code == 200 and "08:00–08:20" in text(page)
    client.post(
        url("event_register", event.pk), {"attendee": f"seller:{seller.pk}", "available_slots": ["0", "1"]}
    )
    client.force_login(partner.user)
    client.post(url("event_register", event.pk), {"attendee": f"partner:{partner.pk}"})
    mine, theirs = Registration.objects.order_by("pk")

    # The organiser validates both and opens requests
    client.force_login(officer)
    page = client.get(url("event_detail", event.pk))
    assert "HTX Dệt Mường Bú" in text(page) and "Chờ duyệt" in text(page)
    for registration in (mine, theirs):
        client.post(url("registration_decide", event.pk, registration.pk), {"decision": "validate"})
    client.post(url("event_state", event.pk), {"state": "requests"})

    # The cooperative asks the partner; the partner accepts
    client.force_login(seller.leader)
    page = client.get(url("event_detail", event.pk))
    assert "Công ty Thổ cẩm Hà Nội" in text(page)
    client.post(
        url("request_send", event.pk), {"sender": mine.pk, "receiver": theirs.pk, "message": "Xin gặp"}
    )
    request = MeetingRequest.objects.get()
    client.force_login(partner.user)
    client.post(url("request_answer", event.pk, request.pk), {"answer": "accept"})
    request.refresh_from_db()
    assert request.state == MeetingRequest.State.ACCEPTED

    # The organiser schedules, and prints per attendee and per table
    client.force_login(officer)
    response = client.post(url("event_schedule", event.pk), follow=True)
    assert "Đã xếp 1 trên 1" in text(response)
    meeting = Meeting.objects.get()
    assert meeting.slot in (0, 1)
    sheets = client.get(url("schedule_all", event.pk))
    assert text(sheets).count('data-testid="sheet"') == 2
    assert "HTX Dệt Mường Bú" in text(sheets) and "Công ty Thổ cẩm Hà Nội" in text(sheets)
    tables = client.get(url("schedule_tables", event.pk))
    assert text(tables).count('data-testid="table-sheet"') == 2
    assert "meet.css" in text(tables)

    # The cooperative sees her own schedule and may print it; the times are there
    client.force_login(seller.leader)
    own = client.get(url("schedule_attendee", event.pk, mine.pk))
    assert own.status_code == 200
    start = event.slots[meeting.slot]["start"]
    assert start in text(own) and "Công ty Thổ cẩm Hà Nội" in text(own)
    # but not the partner's, nor everyone's
    assert client.get(url("schedule_attendee", event.pk, theirs.pk)).status_code == 404
    assert client.get(url("schedule_all", event.pk)).status_code == 403


def test_a_partner_sees_a_cooperatives_public_profile_only(client):
    event, _sellers, partners = fair_build(sellers=0, partners=1)
    member = user_with_role(Role.SELLER, phone="+84912345678")
    seller = SellerFactory(name="HTX Thổ cẩm Bản Lướt", members=[member])
    from tests.mentoring.factories import needs_for

    needs_for(seller, notes="Ghi chú mật của chương trình")
    registration = registration_build(event, seller=seller)
    client.force_login(partners[0].partner.user)

    for page in (url("attendee", event.pk, registration.pk), url("event_detail", event.pk)):
        body = text(client.get(page))
        assert "HTX Thổ cẩm Bản Lướt" in body
        for secret in (*SENSITIVE, "0912345678", "912 345 678", str(seller.leader.phone)[-9:]):
            assert secret not in body, (page, secret)


def test_attendee_profiles_are_for_validated_attendees_and_the_organiser(client):
    event, sellers, _partners = fair_build(sellers=1, partners=1)
    late = registration_build(event, partner=partner_build(), state=Registration.State.PENDING)

    client.force_login(late.partner.user)
    assert client.get(url("attendee", event.pk, sellers[0].pk)).status_code == 404
    client.force_login(user_with_role(Role.BUYER))
    assert client.get(url("attendee", event.pk, sellers[0].pk)).status_code == 404
    client.force_login(event.organiser)
    assert client.get(url("attendee", event.pk, late.pk)).status_code == 200


def test_a_draft_is_hidden_from_everyone_but_its_managers(client):
    event = event_build(state=Event.State.DRAFT)
    client.force_login(SellerFactory().leader)
    assert client.get(url("event_detail", event.pk)).status_code == 404
    assert event.name not in text(client.get(url("event_list")))
    client.force_login(event.organiser)
    assert client.get(url("event_detail", event.pk)).status_code == 200


def test_refusals_come_back_as_messages_and_change_nothing(client):
    event, sellers, partners = fair_build(sellers=2, partners=1)
    client.force_login(sellers[0].seller.leader)

    # same side
    response = client.post(
        url("request_send", event.pk), {"sender": sellers[0].pk, "receiver": sellers[1].pk}, follow=True
    )
    assert "cùng phía" in text(response)
    # someone else's attendee: 403
    response = client.post(
        url("request_send", event.pk), {"sender": sellers[1].pk, "receiver": partners[0].pk}
    )
    assert response.status_code == 403
    # the organiser's buttons are not hers
    assert client.post(url("event_schedule", event.pk)).status_code == 403
    assert (
        client.post(url("registration_decide", event.pk, sellers[1].pk), {"decision": "reject"}).status_code
        == 403
    )
    assert not MeetingRequest.objects.exists()
    assert set(Registration.objects.values_list("state", flat=True)) == {"validated"}


def test_a_bad_event_form_says_what_is_wrong(client):
    client.force_login(officer_of(son_la()))
    response = client.post(
        url("event_new"),
        {
            "name": "Hội chợ",
            "kind": "fair",
            "province": son_la().pk,
            "starts_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
            "tables": 5,
            "first_slot": "08:00",
            "minutes": 20,
            "pause": 0,
            "count": 3,
        },
    )
    assert response.status_code == 422
    assert "Ngày diễn ra đã qua" in text(response)
    assert not Event.objects.exists()
    client.force_login(SellerFactory().leader)
    assert client.get(url("event_new")).status_code == 403


def test_the_event_page_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    event, sellers, partners = fair_build(sellers=8, partners=4, tables=4, slots=6)
    for s in sellers:
        for p in partners[:2]:
            request_build(s, p)
    schedule_event(event, actor=event.organiser, notify=False)

    client.force_login(event.organiser)
    with django_assert_max_num_queries(30):
        assert client.get(url("event_detail", event.pk)).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(url("schedule_all", event.pk)).status_code == 200
    client.force_login(partners[0].partner.user)
    with django_assert_max_num_queries(30):
        page = client.get(url("event_detail", event.pk))
    assert "Lịch gặp của bạn" in text(page)


def test_an_attendee_changes_her_slots_from_her_phone(client):
    event, sellers, _partners = fair_build(sellers=1, partners=1, slots=4)
    client.force_login(sellers[0].seller.leader)

    page = client.get(url("registration_slots", event.pk, sellers[0].pk))
    assert page.status_code == 200 and "08:20–08:40" in text(page)
    client.post(url("registration_slots", event.pk, sellers[0].pk), {"available_slots": ["1", "3"]})

    sellers[0].refresh_from_db()
    assert sellers[0].available_slots == [1, 3]
    # not someone else's registration
    client.force_login(SellerFactory().leader)
    assert client.get(url("registration_slots", event.pk, sellers[0].pk)).status_code == 404


def test_the_event_list_shows_open_events_and_the_organisers_button(client):
    event = event_build(name="Phiên chợ Mộc Châu")
    client.force_login(SellerFactory().leader)
    page = text(client.get(url("event_list")))
    assert "Phiên chợ Mộc Châu" in page and url("event_new") not in page
    client.force_login(event.organiser)
    assert url("event_new") in text(client.get(url("event_list")))
    assert client.get(url("event_new")).status_code == 200
