"""Complaints: filing, assignment by area, deadlines, resolution, appeal and closing.

The rules that reads share (deadlines, flags, who may see a complaint,
tracking codes) are in ``grievance_rules``. Every step writes a ``GrievanceEvent`` (public
ones are the history the complainant sees) and an audit entry, in the same
transaction as the change; SMS go out after commit.

Abuse reports (someone demanding money, threatening) may be about the
commune officer herself, so they never go to the commune: they are assigned
to a programme officer of the province, and a commune officer does not see
them unless a province officer hands one to her by name.

An anonymous complainant gets a tracking code once, at filing; only a keyed
hash of it is stored, so neither the database nor an officer can give it back.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role, RoleAssignment, User
from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.notify import message_send
from ketnoi.core.phone import mask_phone, normalize_phone
from ketnoi.core.text import nfc
from ketnoi.places.models import Commune
from ketnoi.registry.models import Household
from ketnoi.registry.services.otp import otp_issue, otp_verify

from ..access import programme_scopes
from ..models import Grievance, GrievanceEvent, Programme
from .grievance_rules import (
    ACTIVE_STATES,
    APPEAL_WINDOW,
    SERVICE_STANDARD,
    appeal_open_until,
    grievance_visibility_q,
    grievance_visible,
    tracking_code_hash,
    tracking_code_matches,
)

# Re-exported: callers find the flags next to the steps that move a grievance.
from .grievance_rules import GrievanceFlags as GrievanceFlags
from .grievance_rules import grievance_flags as grievance_flags

Category = Grievance.Category
Source = Grievance.Source
State = Grievance.State

DESCRIPTION_MAX = 4000
NAME_MAX = 120
REFERENCE_PREFIX = "PA"  # "phản ánh"
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
TRACKING_LENGTH = 10
OTP_PURPOSE = "complaint"


def _officer_check(actor: Any, grievance: Grievance) -> None:
    if not grievance_visible(actor, grievance):
        raise PermissionDenied(
            _("Phản ánh %(reference)s không thuộc địa bàn của bạn."),
            code="grievance_out_of_area",
            params={"reference": grievance.reference},
        )


# --- Tracking codes and phone codes ----------------------------------------------------------


def complaint_code_send(*, phone: str) -> str:
    """Send a one-time code to ``phone`` to prove it before filing or following a complaint.

    Returns the number in E.164. Refused (``DomainError``) for a number that
    is not a Vietnamese mobile, or when codes were asked for too often.
    """
    number = _phone(phone)
    otp_issue(phone=number, purpose=OTP_PURPOSE)
    return number


def complaint_code_check(*, phone: str, code: str) -> str:
    """Check the code sent to ``phone``; the proved number (E.164), or ``DomainError``."""
    number = _phone(phone)
    otp_verify(phone=number, purpose=OTP_PURPOSE, code=code)
    return number


# --- Filing ---------------------------------------------------------------------------------


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except ValidationError as error:
        raise DomainError(error.messages[0], code="phone_invalid", status=422) from None


def _text(value: str, *, field: str, required: Any, too_long: Any, limit: int = DESCRIPTION_MAX) -> str:
    text = nfc(value or "")
    if not text:
        raise DomainError(required, code=f"{field}_required", status=422)
    if len(text) > limit:
        raise DomainError(
            too_long, code=f"{field}_too_long", params={"max": limit, "length": len(text)}, status=422
        )
    return text


def _description(value: str) -> str:
    return _text(
        value,
        field="description",
        required=_("Hãy viết vài dòng: chuyện gì đã xảy ra, ở đâu, khi nào."),
        too_long=_("Nội dung dài quá: tối đa %(max)s ký tự, bạn đã viết %(length)s ký tự."),
    )


def _commune(commune: Commune | int | str) -> Commune:
    if isinstance(commune, Commune):
        return commune
    text = str(commune).strip()
    found = (
        Commune.objects.select_related("province").filter(pk=int(text)).first()
        if text.isascii() and text.isdigit() and len(text) <= 9
        else None
    )
    if found is None:
        raise DomainError(
            _("Hãy chọn xã/phường nơi xảy ra việc (tìm theo tên rồi chọn trong danh sách)."),
            code="commune_unknown",
            status=422,
        )
    return found


def _new_reference(now: datetime) -> str:
    year = timezone.localtime(now).year
    return f"{REFERENCE_PREFIX}-{year}-{secrets.randbelow(10**6):06d}"


def _new_tracking_code() -> str:
    body = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
    return f"{body[:5]}-{body[5:]}"


def _open_counts(user_ids: list[int]) -> dict[int, int]:
    rows = (
        Grievance.objects.filter(assigned_to__in=user_ids, state__in=ACTIVE_STATES)
        .values("assigned_to")
        .annotate(n=Count("pk"))
    )
    return {row["assigned_to"]: row["n"] for row in rows}


def _least_busy(role: str, *, exclude: Iterable[int | None] = (), **area: Any) -> User | None:
    """Of the active users holding ``role`` for ``area``, the one with fewest open grievances."""
    skip = {pk for pk in exclude if pk is not None}
    ids = sorted(
        set(
            RoleAssignment.objects.filter(role=role, user__is_active=True, **area)
            .exclude(user__in=skip)
            .values_list("user_id", flat=True)
        )
    )
    if not ids:
        return None
    counts = _open_counts(ids)
    chosen = min(ids, key=lambda pk: (counts.get(pk, 0), pk))
    return User.objects.get(pk=chosen)


def _province_officer(commune: Commune, *, exclude: Iterable[int | None] = ()) -> User | None:
    return _least_busy(
        Role.PROGRAMME_OFFICER, province=commune.province_id, commune__isnull=True, exclude=exclude
    )


def _assignee_for(commune: Commune, category: str) -> User | None:
    """The commune officer with fewest open grievances, else a programme officer of the province.

    Abuse reports skip the commune: its officer may be the one accused.
    """
    if category != Category.ABUSE:
        officer = _least_busy(Role.COMMUNE_OFFICER, commune=commune)
        if officer is not None:
            return officer
    return _province_officer(commune)


def _household_for(commune: Commune, phone: str) -> Household | None:
    """The one household of ``commune`` reachable at ``phone`` (none when there are several)."""
    found = list(Household.objects.filter(commune=commune, contact_phone=phone).order_by("pk")[:2])
    return found[0] if len(found) == 1 else None


def _event(grievance: Grievance, *, by: Any, note: str = "", public: bool = True) -> GrievanceEvent:
    return GrievanceEvent.objects.create(
        grievance=grievance,
        at=timezone.now(),
        by=by if getattr(by, "is_authenticated", False) else None,
        state=grievance.state,
        note=note,
        public=public,
    )


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y")


def _tell_assignee(grievance: Grievance, assignee: User, *, why: Any) -> None:
    with translation.override(assignee.language or "vi"):
        text = str(
            _("Kết Nối: %(why)s phản ánh %(reference)s (%(category)s) ở %(commune)s, hạn giải quyết %(due)s.")
        ) % {
            "why": str(why),
            "reference": grievance.reference,
            "category": str(Category(grievance.category).label),
            "commune": grievance.commune.name,
            "due": _local(grievance.due_at),
        }
    message_send(to=assignee.phone, text=text)


def _assignment_note(assignee: User | None) -> str:
    """Stored in the site's language (Vietnamese) whoever's session wrote it: the history reads as one."""
    with translation.override(settings.LANGUAGE_CODE):
        if assignee is None:
            return str(_("Chưa có cán bộ phụ trách: phản ánh chờ ở danh sách của tỉnh."))
        return str(_("Giao cho %(name)s.")) % {"name": str(assignee)}


@transaction.atomic
def grievance_file(
    *,
    category: str,
    description: str,
    commune: Commune | int | str,
    source: str,
    programme: Programme | None = None,
    household: Household | None = None,
    complainant_name: str = "",
    complainant_phone: str = "",
    actor: Any = None,
) -> tuple[Grievance, str | None]:
    """Record a complaint, assign it by area, set its deadline; returns it and the tracking code.

    ``source`` says who files: ``phone`` and ``self_service`` need
    ``complainant_phone`` already proved by a one-time code (the caller
    checks it, e.g. ``complaint_code_check``); ``anonymous`` takes no name
    or phone and returns a tracking code, shown once and stored only as a
    keyed hash; ``officer`` needs ``actor``, an officer of the commune.
    With a phone and no ``household``, the household of the commune with
    that contact phone is linked. Assigned to the commune officer with
    fewest open grievances, else a programme officer of the province, else
    left for the province queue. Abuse reports go to the province, never to
    the commune officer (she may be the one accused, and she does not see
    them). The assignee (and a complainant with a phone) get an SMS after commit.
    Bad input → ``DomainError`` (422), and nothing is written.
    """
    now = timezone.now()
    if category not in Category.values:
        raise DomainError(_("Hãy chọn loại phản ánh trong danh sách."), code="grievance_category", status=422)
    if source not in Source.values:
        raise DomainError(_("Cách gửi phản ánh không hợp lệ."), code="grievance_source", status=422)
    text = _description(description)
    place = _commune(commune)
    name = nfc(complainant_name or "")
    if len(name) > NAME_MAX:
        raise DomainError(
            _("Tên dài quá: tối đa %(max)s ký tự."),
            code="name_too_long",
            params={"max": NAME_MAX},
            status=422,
        )
    phone = _phone(complainant_phone) if (complainant_phone or "").strip() else ""
    if source == Source.ANONYMOUS and (name or phone):
        raise DomainError(
            _("Phản ánh không ghi tên thì không lưu tên hay số điện thoại."),
            code="anonymous_with_identity",
            status=422,
        )
    if source in (Source.PHONE, Source.SELF_SERVICE) and not phone:
        raise DomainError(
            _("Hãy xác nhận số điện thoại bằng mã gửi qua tin nhắn trước khi gửi phản ánh."),
            code="phone_not_verified",
            status=422,
        )
    if source == Source.OFFICER:
        scopes = programme_scopes(actor)
        if not any(s.covers(province_code=place.province_id, commune_code=place.pk) for s in scopes):
            raise PermissionDenied(
                _("Bạn chỉ ghi nhận được phản ánh ở xã/phường mình phụ trách."), code="grievance_out_of_area"
            )
    if programme is not None and programme.state == Programme.State.DRAFT:
        raise DomainError(
            _("Chương trình này chưa bắt đầu, chưa nhận phản ánh."), code="programme_draft", status=422
        )
    if programme is not None and programme.province_id not in (None, place.province_id):
        raise DomainError(
            _("Chương trình “%(name)s” không thực hiện ở %(commune)s."),
            code="programme_other_area",
            params={"name": programme.name, "commune": place.name},
            status=422,
        )
    if household is not None and household.commune_id != place.pk:
        raise DomainError(
            _("Hộ %(reference)s không ở xã/phường đã chọn."),
            code="household_other_commune",
            params={"reference": household.reference},
            status=422,
        )
    if household is None and phone:
        household = _household_for(place, phone)

    assignee = _assignee_for(place, category)
    due_at = SERVICE_STANDARD[category][0].due_from(now)
    tracking_code = _new_tracking_code() if source == Source.ANONYMOUS else None
    grievance = None
    for _attempt in range(8):
        reference = _new_reference(now)
        candidate = Grievance(
            reference=reference,
            tracking_code_hash=tracking_code_hash(reference, tracking_code) if tracking_code else "",
            category=category,
            source=source,
            programme=programme,
            household=household,
            commune=place,
            complainant_name=name,
            complainant_phone=phone,
            description=text,
            assigned_to=assignee,
            filed_by=actor if getattr(actor, "is_authenticated", False) else None,
            due_at=due_at,
            created_at=now,
        )
        try:
            with transaction.atomic():  # a savepoint: a clashing reference is drawn again
                candidate.save()
        except IntegrityError:
            if Grievance.objects.filter(reference=reference).exists():
                continue
            raise
        grievance = candidate
        break
    if grievance is None:  # 10⁶ references a year: never in practice
        raise RuntimeError("Could not draw a free grievance reference.")

    _event(grievance, by=actor)  # the page words each step by its state
    _event(grievance, by=actor, note=_assignment_note(assignee), public=False)
    audit_record(
        actor=actor,
        action="grievance_filed",
        target=grievance,
        changes={
            "category": (None, category),
            "source": (None, source),
            "commune": (None, place.pk),
            "household": (None, household.pk if household else None),
            "complainant_phone": (None, mask_phone(phone)),
            "assigned_to": (None, assignee.pk if assignee else None),
            "due_at": (None, due_at),
        },
    )
    if assignee is not None:
        _tell_assignee(grievance, assignee, why=_("bạn được giao"))
    if phone:
        message_send(
            to=phone,
            text=str(_("Kết Nối đã nhận phản ánh của bạn, mã %(reference)s. Hạn trả lời: %(due)s."))
            % {"reference": grievance.reference, "due": _local(due_at)},
        )
    return grievance, tracking_code


# --- Working on it --------------------------------------------------------------------------


def _locked(grievance: Grievance) -> Grievance:
    return Grievance.objects.select_for_update().select_related("commune").get(pk=grievance.pk)


def _state_refusal(grievance: Grievance) -> DomainError:
    return DomainError(
        _("Phản ánh %(reference)s đang ở trạng thái “%(state)s”, không làm được việc này."),
        code="grievance_state",
        params={"reference": grievance.reference, "state": State(grievance.state).label},
        status=409,
    )


@transaction.atomic
def grievance_assign(grievance: Grievance, *, assignee: User, actor: Any, note: str = "") -> Grievance:
    """Hand an open grievance to ``assignee``, an officer who covers its commune; she gets an SMS.

    Refused when ``actor`` or ``assignee`` does not cover it (an abuse report
    can be handed to a commune officer only by name, by a province officer).
    """
    locked = _locked(grievance)
    _officer_check(actor, locked)
    if locked.state not in ACTIVE_STATES:
        raise _state_refusal(locked)
    if (
        not getattr(assignee, "is_active", False)
        or not Grievance.objects.filter(
            grievance_visibility_q(assignee) | Q(category=Category.ABUSE, **_abuse_handover_q(assignee)),
            pk=locked.pk,
        ).exists()
    ):
        raise DomainError(
            _("%(name)s không phụ trách xã/phường của phản ánh này."),
            code="assignee_out_of_area",
            params={"name": str(assignee)},
            status=422,
        )
    if locked.state == State.APPEALED and assignee.pk == locked.resolved_by_id:
        raise DomainError(
            _("Khiếu nại lại phải do một cán bộ khác với người đã giải quyết lần trước xem xét."),
            code="appeal_same_officer",
            status=422,
        )
    before = locked.assigned_to_id
    locked.assigned_to = assignee
    locked.save(update_fields=["assigned_to", "updated_at"])
    extra = nfc(note or "")[:500]
    _event(locked, by=actor, note=f"{_assignment_note(assignee)} {extra}".strip(), public=False)
    audit_record(
        actor=actor,
        action="grievance_assigned",
        target=locked,
        changes={"assigned_to": (before, assignee.pk)},
        reason=extra,
    )
    if assignee.pk != getattr(actor, "pk", None):
        _tell_assignee(locked, assignee, why=_("bạn được giao"))
    return locked


def _abuse_handover_q(assignee: User) -> dict[str, Any]:
    """An abuse report may be handed by name to a commune officer of its commune."""
    communes = [s.commune_code for s in programme_scopes(assignee) if s.commune_code is not None]
    return {"commune__in": communes}


@transaction.atomic
def grievance_start(grievance: Grievance, *, actor: Any) -> Grievance:
    """Mark an open grievance as being worked on; an unassigned one becomes ``actor``'s."""
    locked = _locked(grievance)
    _officer_check(actor, locked)
    if locked.state != State.OPEN:
        raise _state_refusal(locked)
    before = {"state": locked.state, "assigned_to": locked.assigned_to_id}
    locked.state = State.IN_PROGRESS
    if locked.assigned_to_id is None:
        locked.assigned_to = actor
    locked.save(update_fields=["state", "assigned_to", "updated_at"])
    _event(locked, by=actor)
    audit_record(
        actor=actor,
        action="grievance_started",
        target=locked,
        changes={
            "state": (before["state"], locked.state),
            "assigned_to": (before["assigned_to"], locked.assigned_to_id),
        },
    )
    return locked


@transaction.atomic
def grievance_note(grievance: Grievance, *, actor: Any, text: str, public: bool = False) -> GrievanceEvent:
    """Add a note to the history: internal (officers only) or public (the complainant sees it)."""
    locked = _locked(grievance)
    _officer_check(actor, locked)
    if locked.state == State.CLOSED:
        raise _state_refusal(locked)
    body = _text(
        text,
        field="note",
        required=_("Hãy viết nội dung ghi chú."),
        too_long=_("Ghi chú dài quá: tối đa %(max)s ký tự, bạn đã viết %(length)s ký tự."),
    )
    event = _event(locked, by=actor, note=body, public=public)
    audit_record(actor=actor, action="grievance_noted", target=locked, changes={"public": (None, public)})
    return event


@transaction.atomic
def grievance_resolve(grievance: Grievance, *, actor: Any, resolution: str) -> Grievance:
    """Record the answer; the complainant sees it (and gets an SMS when she gave a phone).

    An appeal cannot be resolved by the officer who resolved the grievance the first time.
    """
    locked = _locked(grievance)
    _officer_check(actor, locked)
    if locked.state not in ACTIVE_STATES:
        raise _state_refusal(locked)
    if locked.state == State.APPEALED and locked.resolved_by_id == getattr(actor, "pk", None):
        raise PermissionDenied(
            _("Khiếu nại lại phải do một cán bộ khác với người đã giải quyết lần trước xem xét."),
            code="appeal_same_officer",
        )
    answer = _text(
        resolution,
        field="resolution",
        required=_("Hãy ghi kết quả giải quyết để người phản ánh đọc được."),
        too_long=_("Kết quả dài quá: tối đa %(max)s ký tự, bạn đã viết %(length)s ký tự."),
    )
    before = locked.state
    locked.state = State.RESOLVED
    locked.resolution = answer
    locked.resolved_by = actor
    locked.resolved_at = timezone.now()
    locked.save(update_fields=["state", "resolution", "resolved_by", "resolved_at", "updated_at"])
    _event(locked, by=actor, note=answer)
    audit_record(
        actor=actor,
        action="grievance_resolved",
        target=locked,
        changes={"state": (before, locked.state), "resolved_at": (None, locked.resolved_at)},
    )
    if locked.complainant_phone:
        message_send(
            to=locked.complainant_phone,
            text=str(
                _(
                    "Kết Nối: phản ánh %(reference)s đã có kết quả. Không đồng ý thì bạn được khiếu nại lại "
                    "trong %(days)s ngày."
                )
            )
            % {"reference": locked.reference, "days": APPEAL_WINDOW.days},
        )
    return locked


@transaction.atomic
def grievance_appeal(
    grievance: Grievance, *, text: str, by_phone: str = "", tracking_code: str = ""
) -> Grievance:
    """The complainant disagrees with the resolution: reopen it, once, within 30 days.

    She proves who she is with the phone she filed with (``by_phone``, proved
    by a one-time code by the caller) or the tracking code. The appeal gets a
    new, shorter deadline and goes to a programme officer of the province who
    did not resolve it (else the province queue).
    """
    locked = _locked(grievance)
    proved = (
        bool(by_phone) and bool(locked.complainant_phone) and _phone(by_phone) == locked.complainant_phone
    ) or (bool(tracking_code) and tracking_code_matches(locked, tracking_code))
    if not proved:
        raise PermissionDenied(
            _(
                "Chỉ người đã gửi phản ánh mới khiếu nại lại được: "
                "hãy dùng đúng số điện thoại hoặc mã theo dõi."
            ),
            code="appeal_not_complainant",
        )
    now = timezone.now()
    if locked.state != State.RESOLVED or locked.appealed_at is not None:
        raise DomainError(
            _("Phản ánh %(reference)s chỉ được khiếu nại lại một lần, sau khi có kết quả."),
            code="appeal_not_open",
            params={"reference": locked.reference},
            status=409,
        )
    until = appeal_open_until(locked)
    if until is None or now > until:
        raise DomainError(
            _("Đã quá %(days)s ngày kể từ khi có kết quả nên không khiếu nại lại được nữa."),
            code="appeal_too_late",
            params={"days": APPEAL_WINDOW.days},
            status=409,
        )
    body = _text(
        text,
        field="appeal",
        required=_("Hãy viết vì sao bạn chưa đồng ý với kết quả."),
        too_long=_("Nội dung dài quá: tối đa %(max)s ký tự, bạn đã viết %(length)s ký tự."),
    )
    assignee = _province_officer(locked.commune, exclude=[locked.resolved_by_id])
    before = {"state": locked.state, "assigned_to": locked.assigned_to_id, "due_at": locked.due_at}
    locked.state = State.APPEALED
    locked.appeal_text = body
    locked.appealed_at = now
    locked.assigned_to = assignee
    locked.due_at = SERVICE_STANDARD[locked.category][1].due_from(now)
    locked.save(update_fields=["state", "appeal_text", "appealed_at", "assigned_to", "due_at", "updated_at"])
    _event(locked, by=None, note=body)
    _event(locked, by=None, note=_assignment_note(assignee), public=False)
    audit_record(
        actor=None,
        action="grievance_appealed",
        target=locked,
        changes={
            "state": (before["state"], locked.state),
            "assigned_to": (before["assigned_to"], locked.assigned_to_id),
            "due_at": (before["due_at"], locked.due_at),
        },
    )
    if assignee is not None:
        _tell_assignee(locked, assignee, why=_("có khiếu nại lại cho"))
    return locked


@transaction.atomic
def grievance_close(grievance: Grievance, *, actor: Any = None, now: datetime | None = None) -> Grievance:
    """Close a resolved grievance once it can no longer be appealed.

    That is after an appeal was answered, or when the 30 days to appeal have
    passed; until then closing would take her right to appeal away. With no
    ``actor`` it is the daily job closing it.
    """
    now = now or timezone.now()
    locked = _locked(grievance)
    if actor is not None:
        _officer_check(actor, locked)
    if locked.state != State.RESOLVED:
        raise _state_refusal(locked)
    until = appeal_open_until(locked)
    if until is not None and now <= until:
        raise DomainError(
            _("Người phản ánh còn được khiếu nại lại đến %(until)s; hãy đóng sau ngày đó."),
            code="appeal_still_open",
            params={"until": _local(until)},
            status=409,
        )
    locked.state = State.CLOSED
    locked.closed_at = now
    locked.save(update_fields=["state", "closed_at", "updated_at"])
    _event(locked, by=actor)
    audit_record(
        actor=actor,
        action="grievance_closed",
        target=locked,
        changes={"state": (State.RESOLVED, State.CLOSED)},
    )
    return locked
