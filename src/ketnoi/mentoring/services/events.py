"""Meet: events, registration the organiser validates, meeting requests, and the schedule.

An event moves draft → registration → requests → scheduled → done; the
organiser (or an administrator, or a programme officer of its province) moves
it. Sellers and partners register while registration is open, saying in
which slots they are there; the organiser validates or rejects each. Only
validated attendees send requests, always to the other side (a cooperative
to a partner or back), once per pair; only the receiver answers.
``schedule_event`` places the accepted requests into tables × slots
(``scheduler.place_meetings``) and replaces the event's meetings in one
transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.notify import message_send
from ketnoi.core.text import nfc
from ketnoi.market.models import Seller
from ketnoi.market.selectors import seller_can_edit
from ketnoi.places.models import Province

from ..models import Event, Meeting, MeetingRequest, Partner, Registration
from ..selectors import covers_province, event_may_manage, programme_scopes, registration_acts
from .scheduler import Schedule, place_meetings

MAX_TABLES = 200
MAX_SLOTS = 48
MAX_NAME = 200
MAX_NOTE = 500
REQUESTS_PER_SLOT = 2  # open requests one attendee may send, per slot of the event
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

# Moves an organiser makes by hand; ``scheduled`` is reached by ``schedule_event`` only.
EVENT_MOVES: dict[str, tuple[str, ...]] = {
    Event.State.DRAFT: (Event.State.REGISTRATION,),
    Event.State.REGISTRATION: (Event.State.DRAFT, Event.State.REQUESTS),
    Event.State.REQUESTS: (Event.State.REGISTRATION,),
    Event.State.SCHEDULED: (Event.State.REQUESTS, Event.State.DONE),
    Event.State.DONE: (),
}
OPEN_FOR_REQUESTS = (Event.State.REGISTRATION, Event.State.REQUESTS)
OPEN_FOR_SCHEDULING = (Event.State.REGISTRATION, Event.State.REQUESTS, Event.State.SCHEDULED)

_SMS_VALIDATED = _(
    "Kết Nối: bạn đã được duyệt tham dự “%(event)s” ngày %(day)s. Hãy vào trang sự kiện để hẹn gặp."
)
_SMS_REJECTED = _("Kết Nối: đăng ký tham dự “%(event)s” chưa được duyệt. %(note)s")
_SMS_REQUEST = _(
    "Kết Nối: %(sender)s muốn gặp bạn ở “%(event)s”. Hãy vào trang sự kiện để đồng ý hoặc từ chối."
)
_SMS_ANSWER_YES = _("Kết Nối: %(receiver)s đã đồng ý gặp bạn ở “%(event)s”.")
_SMS_ANSWER_NO = _("Kết Nối: %(receiver)s không gặp được bạn ở “%(event)s”. Bạn có thể hẹn người khác.")
_SMS_SCHEDULE = _(
    "Kết Nối: lịch gặp của bạn ở “%(event)s” đã xếp xong: %(count)s cuộc gặp. Xem và in trên trang sự kiện."
)


def _refuse(message: Any, code: str, *, status: int = 422, **params: Any) -> DomainError:
    return DomainError(message, code=code, params=params or None, status=status)


def _tell(user: Any, message: Any, params: dict[str, Any]) -> None:
    """Text ``user`` in her language, after the transaction commits."""
    if user is None or not getattr(user, "phone", ""):
        return
    with translation.override(getattr(user, "language", "") or "vi"):
        message_send(to=str(user.phone), text=str(message) % params)


def _contacts(registrations: Sequence[Registration]) -> dict[int, Any]:
    """Who hears about each attendee: the partner herself, or the cooperative's leader (two queries)."""
    partner_users = {
        p.pk: p.user
        for p in Partner.objects.filter(
            pk__in=[r.partner_id for r in registrations if r.partner_id]
        ).select_related("user")
    }
    leaders = {
        s.pk: s.leader
        for s in Seller.objects.filter(pk__in=[r.seller_id for r in registrations if r.seller_id])
        .select_related("leader")
        .only("id", "leader")
    }
    return {
        r.pk: partner_users.get(r.partner_id) if r.partner_id else leaders.get(r.seller_id)  # type: ignore[arg-type]
        for r in registrations
    }


def _people(registration: Registration) -> list[Any]:
    person = _contacts([registration]).get(registration.pk)
    return [person] if person is not None else []


def _label(registration: Registration) -> str:
    if registration.partner_id:
        return Partner.objects.values_list("organisation", flat=True).get(pk=registration.partner_id)
    return Seller.objects.values_list("name", flat=True).filter(pk=registration.seller_id or 0).first() or ""


# --- Slots ----------------------------------------------------------------------------------------


def _minutes(text: str) -> int:
    match = _TIME.match(text.strip())
    if match is None:
        raise _refuse(_("Giờ “%(value)s” chưa đúng. Hãy viết như 08:30."), "slot_time", value=text)
    return int(match.group(1)) * 60 + int(match.group(2))


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def slots_validate(slots: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """The event's slots, each ``{"start": "HH:MM", "end": "HH:MM"}``, in order and not overlapping."""
    if not 1 <= len(slots) <= MAX_SLOTS:
        raise _refuse(_("Một sự kiện có từ 1 đến %(most)s khung giờ."), "slots_count", most=MAX_SLOTS)
    out, last_end = [], -1
    for span in slots:
        start, end = _minutes(str(span.get("start", ""))), _minutes(str(span.get("end", "")))
        if end <= start:
            raise _refuse(
                _("Khung giờ %(start)s phải kết thúc sau khi bắt đầu."), "slot_order", start=_clock(start)
            )
        if start < last_end:
            raise _refuse(
                _("Khung giờ %(start)s chồng lên khung trước."), "slot_overlap", start=_clock(start)
            )
        last_end = end
        out.append({"start": _clock(start), "end": _clock(end)})
    return out


def slots_build(*, first: str, minutes: int, count: int, pause: int = 0) -> list[dict[str, str]]:
    """``count`` slots of ``minutes`` from ``first``, ``pause`` minutes apart (e.g. 08:00, 20, 16, 5)."""
    start = _minutes(first)
    if not 5 <= int(minutes) <= 240 or not 0 <= int(pause) <= 120:
        raise _refuse(
            _("Mỗi cuộc gặp dài từ 5 đến 240 phút; nghỉ giữa hai cuộc tối đa 120 phút."), "slot_length"
        )
    if not 1 <= int(count) <= MAX_SLOTS:
        raise _refuse(_("Một sự kiện có từ 1 đến %(most)s khung giờ."), "slots_count", most=MAX_SLOTS)
    slots = []
    for i in range(int(count)):
        begin = start + i * (int(minutes) + int(pause))
        if begin + int(minutes) > 24 * 60:
            raise _refuse(
                _("Các khung giờ vượt quá nửa đêm. Hãy bớt số khung hoặc rút ngắn."), "slots_midnight"
            )
        slots.append({"start": _clock(begin), "end": _clock(begin + int(minutes))})
    return slots


def _slot_indexes(event: Event, chosen: Iterable[Any]) -> list[int]:
    indexes = set()
    for value in chosen:
        try:
            index = int(value)
        except (TypeError, ValueError):
            index = -1
        if not 0 <= index < len(event.slots):
            raise _refuse(_("Khung giờ đã chọn không có trong sự kiện."), "slot_unknown")
        indexes.add(index)
    return sorted(indexes)


# --- Events ---------------------------------------------------------------------------------------


def event_may_create(user: Any, province: Province) -> bool:
    return covers_province(programme_scopes(user), province.pk)


def _event_fields(
    *, name: str, kind: str, venue: str, tables: int, starts_on: date
) -> tuple[str, str, str, int, date]:
    name = nfc(str(name or "")).strip()
    if not name or len(name) > MAX_NAME:
        raise _refuse(_("Hãy đặt tên sự kiện (tối đa %(most)s ký tự)."), "event_name", most=MAX_NAME)
    if kind not in Event.Kind.values:
        raise _refuse(_("Hãy chọn hình thức sự kiện."), "event_kind")
    venue = nfc(str(venue or "")).strip()
    if len(venue) > MAX_NAME:
        raise _refuse(_("Địa điểm dài quá (tối đa %(most)s ký tự)."), "event_venue", most=MAX_NAME)
    try:
        tables = int(tables)
    except (TypeError, ValueError):
        tables = 0
    if not 1 <= tables <= MAX_TABLES:
        raise _refuse(_("Số bàn phải từ 1 đến %(most)s."), "event_tables", most=MAX_TABLES)
    if not isinstance(starts_on, date):
        raise _refuse(_("Hãy chọn ngày diễn ra."), "event_day")
    return name, kind, venue, tables, starts_on


@transaction.atomic
def event_create(
    *,
    actor: Any,
    name: str,
    kind: str,
    province: Province,
    starts_on: date,
    tables: int,
    slots: Sequence[dict[str, str]],
    venue: str = "",
) -> Event:
    """A draft event organised by ``actor`` (an administrator or a programme officer of ``province``)."""
    if not event_may_create(actor, province):
        raise PermissionDenied(
            _("Chỉ cán bộ chương trình của tỉnh này hoặc quản trị viên mới tổ chức được sự kiện."),
            code="event_forbidden",
        )
    name, kind, venue, tables, starts_on = _event_fields(
        name=name, kind=kind, venue=venue, tables=tables, starts_on=starts_on
    )
    if starts_on < timezone.localdate():
        raise _refuse(_("Ngày diễn ra đã qua. Hãy chọn hôm nay hoặc một ngày tới."), "event_past")
    event = Event(
        name=name,
        kind=kind,
        province=province,
        venue=venue,
        starts_on=starts_on,
        tables=tables,
        slots=slots_validate(slots),
        organiser=actor,
    )
    event.full_clean()
    event.save()
    audit_record(
        actor=actor, action="mentoring.event_create", target=event, changes={"state": (None, event.state)}
    )
    return event


def _check_manager(actor: Any, event: Event) -> None:
    if not event_may_manage(actor, event):
        raise PermissionDenied(_("Chỉ người tổ chức sự kiện mới làm được việc này."), code="event_forbidden")


@transaction.atomic
def event_state_set(event: Event, *, actor: Any, state: str) -> Event:
    """Move ``event`` one step (see ``EVENT_MOVES``); ``DomainError`` 409 for any other move."""
    _check_manager(actor, event)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if state not in EVENT_MOVES.get(event.state, ()):
        raise _refuse(
            _("Sự kiện đang ở bước “%(now)s”, không chuyển sang bước này được."),
            "event_move",
            status=409,
            now=event.get_state_display(),
        )
    old = event.state
    event.state = state
    event.save(update_fields=["state", "updated_at"])
    audit_record(actor=actor, action="mentoring.event_state", target=event, changes={"state": (old, state)})
    return event


# --- Registration ---------------------------------------------------------------------------------


@transaction.atomic
def registration_create(
    event: Event,
    *,
    actor: Any,
    seller: Seller | None = None,
    partner: Partner | None = None,
    available_slots: Iterable[Any] = (),
    note: str = "",
) -> Registration:
    """``actor`` registers one of her cooperatives, or her partner profile, for ``event``.

    Open only while registration is. Refused: not her cooperative or profile (403), both or
    neither given, already registered (409), a slot that the event does not have.
    """
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.state != Event.State.REGISTRATION:
        raise _refuse(_("Sự kiện này không nhận đăng ký lúc này."), "registration_closed", status=409)
    if (seller is None) == (partner is None):
        raise _refuse(_("Hãy chọn đăng ký cho hợp tác xã hoặc cho đối tác."), "registration_side")
    if seller is not None:
        if not seller_can_edit(actor, seller) or not seller.is_active:
            raise PermissionDenied(
                _("Bạn chỉ đăng ký được cho hợp tác xã của mình."), code="registration_forbidden"
            )
        if Registration.objects.filter(event=event, seller=seller).exists():
            raise _refuse(_("Hợp tác xã này đã đăng ký sự kiện rồi."), "registration_twice", status=409)
    if partner is not None:
        if partner.user_id != getattr(actor, "pk", None) or not partner.active:
            raise PermissionDenied(
                _("Bạn chỉ đăng ký được cho hồ sơ đối tác của mình."), code="registration_forbidden"
            )
        if Registration.objects.filter(event=event, partner=partner).exists():
            raise _refuse(_("Hồ sơ đối tác này đã đăng ký sự kiện rồi."), "registration_twice", status=409)
    if Registration.objects.filter(event=event, user=actor).exists():
        raise _refuse(
            _("Bạn đã đăng ký sự kiện này rồi (mỗi người một lần). Hãy nhờ người khác trong nhóm đăng ký."),
            "registration_twice",
            status=409,
        )
    note = nfc(str(note or "")).strip()
    if len(note) > MAX_NOTE:
        raise _refuse(_("Ghi chú dài quá (tối đa %(most)s ký tự)."), "note_too_long", most=MAX_NOTE)
    registration = Registration.objects.create(
        event=event,
        user=actor,
        seller=seller,
        partner=partner,
        available_slots=_slot_indexes(event, available_slots),
        note=note,
    )
    audit_record(actor=actor, action="mentoring.registration_create", target=registration)
    return registration


@transaction.atomic
def registration_slots_set(
    registration: Registration, *, actor: Any, available_slots: Iterable[Any]
) -> Registration:
    """The attendee changes when she is there; not once the schedule is made (409)."""
    if not registration_acts(actor, registration):
        raise PermissionDenied(_("Bạn không đổi được đăng ký của người khác."), code="registration_forbidden")
    registration = Registration.objects.select_for_update().select_related("event").get(pk=registration.pk)
    if registration.event.state not in OPEN_FOR_REQUESTS:
        raise _refuse(
            _("Lịch đã xếp xong. Hãy báo người tổ chức nếu cần đổi giờ."), "registration_frozen", status=409
        )
    old = registration.available_slots
    registration.available_slots = _slot_indexes(registration.event, available_slots)
    registration.save(update_fields=["available_slots", "updated_at"])
    audit_record(
        actor=actor,
        action="mentoring.registration_slots",
        target=registration,
        changes={"available_slots": (old, registration.available_slots)},
    )
    return registration


@transaction.atomic
def registration_decide(
    registration: Registration, *, actor: Any, validate: bool, note: str = ""
) -> Registration:
    """The organiser validates or rejects a registration (and may change her mind before the
    schedule is made). Rejecting cancels the attendee's open requests; she is told by SMS."""
    registration = Registration.objects.select_for_update().select_related("event").get(pk=registration.pk)
    event = registration.event
    _check_manager(actor, event)
    if event.state not in OPEN_FOR_REQUESTS:
        raise _refuse(
            _("Lịch đã xếp hoặc sự kiện đã xong; không duyệt thêm được."), "registration_frozen", status=409
        )
    note = nfc(str(note or "")).strip()[:MAX_NOTE]
    new = Registration.State.VALIDATED if validate else Registration.State.REJECTED
    old = registration.state
    if old == new:
        return registration
    registration.state = new
    registration.save(update_fields=["state", "updated_at"])
    if not validate:
        MeetingRequest.objects.filter(
            Q(sender=registration) | Q(receiver=registration),
            state__in=(MeetingRequest.State.PENDING, MeetingRequest.State.ACCEPTED),
        ).update(state=MeetingRequest.State.CANCELLED, updated_at=timezone.now())
    audit_record(
        actor=actor,
        action="mentoring.registration_decide",
        target=registration,
        changes={"state": (old, new)},
        reason=note,
    )
    params = {"event": event.name, "day": event.starts_on.strftime("%d/%m/%Y"), "note": note}
    for person in _people(registration):
        _tell(person, _SMS_VALIDATED if validate else _SMS_REJECTED, params)
    return registration


# --- Meeting requests -----------------------------------------------------------------------------


def _validated(registration: Registration) -> bool:
    return registration.state == Registration.State.VALIDATED


@transaction.atomic
def meeting_request_send(
    *, actor: Any, sender: Registration, receiver: Registration, message: str = ""
) -> MeetingRequest:
    """``actor``, for attendee ``sender``, asks ``receiver`` for a meeting.

    Refused: not her attendee (403); not both validated; the same side or herself; a request
    already between the two (either way); too many open requests; the event not taking requests.
    """
    if not registration_acts(actor, sender):
        raise PermissionDenied(
            _("Bạn chỉ gửi lời hẹn thay cho mình hoặc hợp tác xã của mình."), code="request_forbidden"
        )
    event = Event.objects.select_for_update().get(pk=sender.event_id)
    sender = Registration.objects.get(pk=sender.pk)
    receiver = Registration.objects.get(pk=receiver.pk)
    if receiver.event_id != event.pk:
        raise _refuse(_("Người này không tham dự sự kiện này."), "request_other_event")
    if event.state not in OPEN_FOR_REQUESTS:
        raise _refuse(_("Sự kiện không nhận lời hẹn lúc này."), "requests_closed", status=409)
    if sender.pk == receiver.pk:
        raise _refuse(_("Không thể hẹn gặp chính mình."), "request_self")
    if not _validated(sender):
        raise _refuse(
            _("Đăng ký của bạn chưa được duyệt nên chưa hẹn gặp được."), "request_not_validated", status=409
        )
    if not _validated(receiver):
        raise _refuse(_("Người này chưa được duyệt tham dự."), "request_receiver_not_validated", status=409)
    if (sender.seller_id is None) == (receiver.seller_id is None):
        raise _refuse(
            _("Lời hẹn là giữa hợp tác xã và đối tác; không hẹn được người cùng phía."), "request_same_side"
        )
    between = MeetingRequest.objects.filter(
        Q(sender=sender, receiver=receiver) | Q(sender=receiver, receiver=sender)
    ).exclude(state=MeetingRequest.State.CANCELLED)
    if between.exists():
        raise _refuse(_("Hai bên đã có lời hẹn với nhau rồi."), "request_twice", status=409)
    open_sent = MeetingRequest.objects.filter(
        sender=sender, state__in=(MeetingRequest.State.PENDING, MeetingRequest.State.ACCEPTED)
    ).count()
    most = REQUESTS_PER_SLOT * max(1, len(event.slots))
    if open_sent >= most:
        raise _refuse(
            _("Bạn đã gửi %(most)s lời hẹn, đủ cho các khung giờ của sự kiện. Hãy chờ trả lời."),
            "request_too_many",
            status=409,
            most=most,
        )
    message = nfc(str(message or "")).strip()
    if len(message) > MAX_NOTE:
        raise _refuse(_("Lời nhắn dài quá (tối đa %(most)s ký tự)."), "message_too_long", most=MAX_NOTE)
    request = MeetingRequest.objects.filter(sender=sender, receiver=receiver).first()
    if request is None:  # a cancelled one is sent again rather than stored twice
        request = MeetingRequest(event=event, sender=sender, receiver=receiver)
    request.message = message
    request.state = MeetingRequest.State.PENDING
    request.answered_at = None
    request.save()
    audit_record(actor=actor, action="mentoring.request_send", target=request)
    for person in _people(receiver):
        _tell(person, _SMS_REQUEST, {"sender": _label(sender), "event": event.name})
    return request


@transaction.atomic
def meeting_request_answer(request: MeetingRequest, *, actor: Any, accept: bool) -> MeetingRequest:
    """The receiver (only) accepts or declines a pending request; declining costs nothing."""
    request = (
        MeetingRequest.objects.select_for_update()
        .select_related("event", "receiver", "sender")
        .get(pk=request.pk)
    )
    if not registration_acts(actor, request.receiver):
        raise PermissionDenied(
            _("Chỉ người được hẹn mới trả lời được lời hẹn này."), code="request_forbidden"
        )
    if request.state != MeetingRequest.State.PENDING:
        raise _refuse(_("Lời hẹn này đã được trả lời hoặc đã huỷ."), "request_answered", status=409)
    if request.event.state not in OPEN_FOR_SCHEDULING:
        raise _refuse(_("Sự kiện đã kết thúc."), "event_done", status=409)
    new = MeetingRequest.State.ACCEPTED if accept else MeetingRequest.State.DECLINED
    request.state = new
    request.answered_at = timezone.now()
    request.save(update_fields=["state", "answered_at", "updated_at"])
    audit_record(
        actor=actor,
        action="mentoring.request_answer",
        target=request,
        changes={"state": (MeetingRequest.State.PENDING, new)},
    )
    for person in _people(request.sender):
        _tell(
            person,
            _SMS_ANSWER_YES if accept else _SMS_ANSWER_NO,
            {"receiver": _label(request.receiver), "event": request.event.name},
        )
    return request


@transaction.atomic
def meeting_request_cancel(request: MeetingRequest, *, actor: Any) -> MeetingRequest:
    """Either party withdraws a pending or accepted request; its meeting, if placed, is freed."""
    request = (
        MeetingRequest.objects.select_for_update().select_related("sender", "receiver").get(pk=request.pk)
    )
    if not (registration_acts(actor, request.sender) or registration_acts(actor, request.receiver)):
        raise PermissionDenied(_("Chỉ hai bên của lời hẹn mới huỷ được."), code="request_forbidden")
    if request.state not in (MeetingRequest.State.PENDING, MeetingRequest.State.ACCEPTED):
        raise _refuse(_("Lời hẹn này không còn để huỷ."), "request_closed", status=409)
    old = request.state
    request.state = MeetingRequest.State.CANCELLED
    request.save(update_fields=["state", "updated_at"])
    Meeting.objects.filter(request=request).delete()
    audit_record(
        actor=actor,
        action="mentoring.request_cancel",
        target=request,
        changes={"state": (old, request.state)},
    )
    return request


# --- The schedule ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleResult:
    placed: int
    requests: int
    upper_bound: int
    unplaced: list[int]  # request ids left out
    seconds: float

    @property
    def share_placed(self) -> float:
        return self.placed / self.requests if self.requests else 1.0


@transaction.atomic
def schedule_event(event: Event, *, actor: Any, notify: bool = True) -> ScheduleResult:
    """Place the event's accepted requests between validated attendees into tables × slots and
    replace its meetings, in one transaction (running it again gives a fresh schedule).

    Nobody is in two meetings in one slot, nobody meets outside the slots she gave, one meeting
    per table and slot. Attendees are told by SMS how many meetings they have.
    """
    _check_manager(actor, event)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.state not in OPEN_FOR_SCHEDULING:
        raise _refuse(_("Sự kiện đã xong; không xếp lại lịch được."), "event_done", status=409)
    if not event.slots or event.tables < 1:
        raise _refuse(_("Sự kiện chưa có khung giờ hoặc bàn."), "event_no_slots")
    registrations = list(
        Registration.objects.filter(event=event, state=Registration.State.VALIDATED)
        .only("id", "seller_id", "partner_id", "available_slots")
        .order_by("pk")
    )
    index = {r.pk: i for i, r in enumerate(registrations)}
    requests = list(
        MeetingRequest.objects.filter(
            event=event,
            state=MeetingRequest.State.ACCEPTED,
            sender_id__in=list(index),
            receiver_id__in=list(index),
        )
        .only("id", "sender_id", "receiver_id")
        .order_by("pk")
    )
    pairs = []
    for request in requests:
        a, b = index[request.sender_id], index[request.receiver_id]
        # The partner hosts: she keeps her table while cooperatives move.
        pairs.append((a, b) if registrations[b].partner_id else (b, a))
    schedule: Schedule = place_meetings(
        pairs, [r.available_slots or None for r in registrations], tables=event.tables, slots=len(event.slots)
    )
    before = Meeting.objects.filter(event=event).count()
    Meeting.objects.filter(event=event).delete()
    Meeting.objects.bulk_create(
        Meeting(request=requests[r], event=event, table=table, slot=slot)
        for r, table, slot in schedule.placements
    )
    old_state = event.state
    event.state = Event.State.SCHEDULED
    event.save(update_fields=["state", "updated_at"])
    placed_ids = {requests[r].pk for r, _t, _s in schedule.placements}
    result = ScheduleResult(
        placed=schedule.placed,
        requests=len(requests),
        upper_bound=schedule.upper_bound,
        unplaced=[q.pk for q in requests if q.pk not in placed_ids],
        seconds=float(schedule.meta.get("seconds", 0.0)),
    )
    audit_record(
        actor=actor,
        action="mentoring.event_schedule",
        target=event,
        changes={"state": (old_state, event.state), "meetings": (before, result.placed)},
        reason=f"{result.placed}/{result.requests} (≤ {result.upper_bound})",
    )
    if notify:
        counts: dict[int, int] = {}
        for r, _t, _s in schedule.placements:
            for attendee in pairs[r]:
                counts[attendee] = counts.get(attendee, 0) + 1
        contacts = _contacts(registrations)
        for i, registration in enumerate(registrations):
            _tell(
                contacts.get(registration.pk), _SMS_SCHEDULE, {"event": event.name, "count": counts.get(i, 0)}
            )
    return result
