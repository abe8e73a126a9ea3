"""Meet: events, registration, attendee profiles, meeting requests and printable schedules.

The organiser (or an administrator, or a programme officer of the event's
province) runs an event from its page; an attendee uses the same page to
see who comes, ask for meetings, answer them and print her schedule. A
seller appears to others only as a public card (``selectors.SellerCard``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.accounts.permissions import forbidden
from ketnoi.core.errors import DomainError
from ketnoi.market.selectors import sellers_of_user

from ..forms import EventForm, RegistrationForm, RequestForm, SlotsForm
from ..models import Event, MeetingRequest, Registration
from ..selectors import (
    Attendee,
    attendee_for_user,
    attendees,
    event_for_user,
    event_may_manage,
    events_for_user,
    may_run_programme,
    partners_of_user,
    programme_scopes,
    registrations_of_user,
    requests_of,
    schedule_by_attendee,
    schedule_by_table,
)
from ..services.events import (
    EVENT_MOVES,
    OPEN_FOR_REQUESTS,
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
)
from . import found, refused


def _detail(event_id: int) -> str:
    return reverse("mentoring:event_detail", args=[event_id])


@login_required
@require_GET
def event_list_view(request: HttpRequest) -> HttpResponse:
    events = list(events_for_user(request.user)[:100])
    return render(
        request,
        "mentoring/meet/list.html",
        {"events": events, "may_create": may_run_programme(request.user)},
    )


def _province_choices(user: Any) -> Any:
    from ketnoi.places.models import Province

    scopes = programme_scopes(user)
    if any(s.is_national for s in scopes):
        return Province.objects.all()
    return Province.objects.filter(
        pk__in=[s.province_code for s in scopes if s.commune_code is None and s.province_code]
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_new_view(request: HttpRequest) -> HttpResponse:
    if not may_run_programme(request.user):
        return forbidden(request, _("Chỉ cán bộ chương trình hoặc quản trị viên mới tổ chức được sự kiện."))
    provinces = _province_choices(request.user)
    form = EventForm(request.POST or None, provinces=provinces)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            slots = slots_build(
                first=data["first_slot"], minutes=data["minutes"], count=data["count"], pause=data["pause"]
            )
            event = event_create(
                actor=request.user,
                name=data["name"],
                kind=data["kind"],
                province=data["province"],
                venue=data["venue"],
                starts_on=data["starts_on"],
                tables=data["tables"],
                slots=slots,
            )
        except DomainError as error:
            if error.status == 403:
                return refused(request, error, back=reverse("mentoring:event_list"))
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Đã tạo sự kiện. Khi sẵn sàng, hãy mở đăng ký."))
            return redirect("mentoring:event_detail", event_id=event.pk)
    return render(request, "mentoring/meet/new.html", {"form": form}, status=422 if form.errors else 200)


@login_required
@require_GET
def event_detail_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event: Event = found(event_for_user, request.user, event_id)
    manager = event_may_manage(request.user, event)
    mine = registrations_of_user(request.user, event)
    validated_mine = [r for r in mine if r.state == Registration.State.VALIDATED]
    everyone = attendees(event) if manager else attendees(event, states=[Registration.State.VALIDATED])
    requests = list(requests_of(mine)) if mine else []
    my_ids = {r.pk for r in mine}
    asked = {(q.sender_id, q.receiver_id) for q in requests if q.state != MeetingRequest.State.CANCELLED}
    others: list[tuple[Attendee, Registration | None]] = []
    for attendee in everyone:
        if attendee.pk in my_ids or attendee.registration.state != Registration.State.VALIDATED:
            continue
        # The one of her attendees (of the other side) that may ask this one, if any.
        sender = next(
            (
                r
                for r in validated_mine
                if (r.seller_id is None) != (attendee.side == "partner")
                and (r.pk, attendee.pk) not in asked
                and (attendee.pk, r.pk) not in asked
            ),
            None,
        )
        others.append((attendee, sender))
    schedule = schedule_by_attendee(event) if event.state in (Event.State.SCHEDULED, Event.State.DONE) else {}
    context = {
        "event": event,
        "manager": manager,
        "mine": mine,
        "my_ids": my_ids,
        "registrations": everyone if manager else [],
        "pending_count": sum(1 for a in everyone if a.registration.state == Registration.State.PENDING),
        "others": others,
        "received": [q for q in requests if q.receiver_id in my_ids],
        "sent": [q for q in requests if q.sender_id in my_ids],
        "my_schedule": [(r, schedule.get(r.pk, [])) for r in validated_mine] if schedule else [],
        "moves": [(s, Event.State(s).label) for s in EVENT_MOVES.get(event.state, ())] if manager else [],
        "can_register": event.state == Event.State.REGISTRATION,
        "requests_open": event.state in OPEN_FOR_REQUESTS,
        "meetings": event.meetings.count() if manager else 0,
        "request_form": RequestForm(),
    }
    return render(request, "mentoring/meet/detail.html", context)


@login_required
@require_POST
def event_state_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event: Event = found(event_for_user, request.user, event_id)
    try:
        event = event_state_set(event, actor=request.user, state=request.POST.get("state", ""))
    except DomainError as error:
        return refused(request, error, back=_detail(event_id))
    messages.success(
        request, _("Sự kiện chuyển sang bước: %(state)s.") % {"state": event.get_state_display()}
    )
    return redirect(_detail(event_id))


def _register_choices(request: HttpRequest) -> list[tuple[str, str]]:
    choices = [(f"seller:{s.pk}", f"{s.name} — {s.commune.name}") for s in sellers_of_user(request.user)]
    choices += [
        (f"partner:{p.pk}", f"{p.organisation} ({p.get_kind_display()})")
        for p in partners_of_user(request.user)
        if p.active
    ]
    return choices


@login_required
@require_http_methods(["GET", "POST"])
def event_register_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event: Event = found(event_for_user, request.user, event_id)
    choices = _register_choices(request)
    if not choices:
        return forbidden(
            request,
            _("Để đăng ký, bạn cần là người của một hợp tác xã trên Kết Nối hoặc có hồ sơ đối tác."),
        )
    form = RegistrationForm(request.POST or None, event=event, choices=choices)
    if request.method == "POST" and form.is_valid():
        side, _sep, pk = form.cleaned_data["attendee"].partition(":")
        sellers = {str(s.pk): s for s in sellers_of_user(request.user)}
        partners = {str(p.pk): p for p in partners_of_user(request.user)}
        try:
            registration_create(
                event,
                actor=request.user,
                seller=sellers.get(pk) if side == "seller" else None,
                partner=partners.get(pk) if side == "partner" else None,
                available_slots=form.cleaned_data["available_slots"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            if error.status == 403:
                return refused(request, error, back=_detail(event_id))
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Đã gửi đăng ký. Người tổ chức sẽ duyệt và nhắn tin cho bạn."))
            return redirect(_detail(event_id))
    return render(
        request,
        "mentoring/meet/register.html",
        {"event": event, "form": form},
        status=422 if form.errors else 200,
    )


def _my_registration(request: HttpRequest, event: Event, registration_id: int) -> Registration:
    for registration in registrations_of_user(request.user, event):
        if registration.pk == registration_id:
            return registration
    raise Http404(_("Không tìm thấy đăng ký này."))


@login_required
@require_http_methods(["GET", "POST"])
def registration_slots_view(request: HttpRequest, event_id: int, registration_id: int) -> HttpResponse:
    event: Event = found(event_for_user, request.user, event_id)
    registration = _my_registration(request, event, registration_id)
    initial = {"available_slots": [str(i) for i in registration.available_slots]}
    form = SlotsForm(request.POST or None, event=event, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            registration_slots_set(
                registration, actor=request.user, available_slots=form.cleaned_data["available_slots"]
            )
        except DomainError as error:
            return refused(request, error, back=_detail(event_id))
        messages.success(request, _("Đã lưu khung giờ có mặt."))
        return redirect(_detail(event_id))
    return render(request, "mentoring/meet/slots.html", {"event": event, "form": form})


@login_required
@require_POST
def registration_decide_view(request: HttpRequest, event_id: int, registration_id: int) -> HttpResponse:
    event: Event = found(event_for_user, request.user, event_id)
    registration = Registration.objects.filter(event=event, pk=registration_id).first()
    if registration is None:
        raise Http404(_("Không tìm thấy đăng ký này."))
    validate = request.POST.get("decision") == "validate"
    try:
        registration_decide(
            registration, actor=request.user, validate=validate, note=request.POST.get("note", "")
        )
    except DomainError as error:
        return refused(request, error, back=_detail(event_id))
    messages.success(request, _("Đã duyệt đăng ký.") if validate else _("Đã từ chối đăng ký."))
    return redirect(_detail(event_id) + "#registrations")


@login_required
@require_GET
def attendee_view(request: HttpRequest, event_id: int, registration_id: int) -> HttpResponse:
    event: Event = found(event_for_user, request.user, event_id)
    attendee: Attendee = found(attendee_for_user, request.user, event, registration_id)
    mine = [r for r in registrations_of_user(request.user, event) if r.state == Registration.State.VALIDATED]
    asked = {
        (q.sender_id, q.receiver_id) for q in requests_of(mine) if q.state != MeetingRequest.State.CANCELLED
    }
    sender = next(
        (
            r
            for r in mine
            if (r.seller_id is None) != (attendee.side == "partner")
            and (r.pk, attendee.pk) not in asked
            and (attendee.pk, r.pk) not in asked
        ),
        None,
    )
    context = {
        "event": event,
        "attendee": attendee,
        "sender": sender if event.state in OPEN_FOR_REQUESTS else None,
        "request_form": RequestForm(),
    }
    return render(request, "mentoring/meet/attendee.html", context)


@login_required
@require_POST
def request_send_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event: Event = found(event_for_user, request.user, event_id)
    form = RequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Lời hẹn chưa gửi được. Hãy thử lại."))
        return redirect(_detail(event_id))
    sender = Registration.objects.filter(event=event, pk=form.cleaned_data["sender"]).first()
    receiver = Registration.objects.filter(event=event, pk=form.cleaned_data["receiver"]).first()
    if sender is None or receiver is None:
        raise Http404(_("Không tìm thấy người tham dự này."))
    try:
        meeting_request_send(
            actor=request.user, sender=sender, receiver=receiver, message=form.cleaned_data["message"]
        )
    except DomainError as error:
        return refused(request, error, back=_detail(event_id))
    messages.success(request, _("Đã gửi lời hẹn. Bạn sẽ nhận tin nhắn khi có trả lời."))
    return redirect(_detail(event_id) + "#requests")


def _request(event: Event, request_id: int) -> MeetingRequest:
    found_request = MeetingRequest.objects.filter(event=event, pk=request_id).first()
    if found_request is None:
        raise Http404(_("Không tìm thấy lời hẹn này."))
    return found_request


@login_required
@require_POST
def request_answer_view(request: HttpRequest, event_id: int, request_id: int) -> HttpResponse:
    event: Event = found(event_for_user, request.user, event_id)
    accept = request.POST.get("answer") == "accept"
    try:
        meeting_request_answer(_request(event, request_id), actor=request.user, accept=accept)
    except DomainError as error:
        return refused(request, error, back=_detail(event_id))
    messages.success(request, _("Đã đồng ý gặp.") if accept else _("Đã từ chối. Không sao cả."))
    return redirect(_detail(event_id) + "#requests")


@login_required
@require_POST
def request_cancel_view(request: HttpRequest, event_id: int, request_id: int) -> HttpResponse:
    event: Event = found(event_for_user, request.user, event_id)
    try:
        meeting_request_cancel(_request(event, request_id), actor=request.user)
    except DomainError as error:
        return refused(request, error, back=_detail(event_id))
    messages.success(request, _("Đã huỷ lời hẹn."))
    return redirect(_detail(event_id) + "#requests")


@login_required
@require_POST
def event_schedule_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event: Event = found(event_for_user, request.user, event_id)
    try:
        result = schedule_event(event, actor=request.user)
    except DomainError as error:
        return refused(request, error, back=_detail(event_id))
    messages.success(
        request,
        _(
            "Đã xếp %(placed)s trên %(requests)s cuộc gặp đã đồng ý (tối đa có thể: %(bound)s). "
            "Không ai phải ở hai nơi cùng lúc."
        )
        % {"placed": result.placed, "requests": result.requests, "bound": result.upper_bound},
    )
    return redirect(_detail(event_id))


def _may_print(request: HttpRequest, event: Event) -> bool:
    return event_may_manage(request.user, event)


@login_required
@require_GET
def schedule_attendee_view(request: HttpRequest, event_id: int, registration_id: int) -> HttpResponse:
    """One attendee's schedule, for her (or the organiser) to print."""
    event: Event = found(event_for_user, request.user, event_id)
    if not _may_print(request, event):
        _my_registration(request, event, registration_id)
    attendee: Attendee = found(attendee_for_user, request.user, event, registration_id)
    lines = schedule_by_attendee(event).get(registration_id, [])
    return render(
        request,
        "mentoring/meet/schedule_attendee.html",
        {"event": event, "pages": [(attendee, lines)], "single": True},
    )


@login_required
@require_GET
def schedule_all_view(request: HttpRequest, event_id: int) -> HttpResponse:
    """Every validated attendee's schedule, one per printed page (organiser)."""
    event: Event = found(event_for_user, request.user, event_id)
    if not _may_print(request, event):
        return forbidden(request, _("Chỉ người tổ chức mới in được lịch của mọi người."))
    schedule = schedule_by_attendee(event)
    pages = [(a, schedule.get(a.pk, [])) for a in attendees(event, states=[Registration.State.VALIDATED])]
    return render(
        request, "mentoring/meet/schedule_attendee.html", {"event": event, "pages": pages, "single": False}
    )


@login_required
@require_GET
def schedule_tables_view(request: HttpRequest, event_id: int) -> HttpResponse:
    """Who sits at each table in each slot (organiser), one table per printed page."""
    event: Event = found(event_for_user, request.user, event_id)
    if not _may_print(request, event):
        return forbidden(request, _("Chỉ người tổ chức mới in được lịch theo bàn."))
    return render(
        request, "mentoring/meet/schedule_tables.html", {"event": event, "tables": schedule_by_table(event)}
    )
