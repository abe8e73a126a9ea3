"""Self-registration: a household asks, from a phone, to be reviewed.

The form is filled step by step; each step's answers are kept in the
draft (``Registration.answers``) as soon as she presses Next, so a person
who loses her 3G connection comes back to where she was. Sending the draft
creates the ``Household`` (status "submitted", source "self") through
``households.household_create``, which validates everything once more and
saves nothing when any part is wrong.

Each step's answers are checked by ``registration_answers``. A draft holds
no CCCD in clear: each member's number is encrypted as soon as it is saved,
like the registry's own rows. Once sent, the draft's answers are emptied:
the household's rows (and the audit trail) are the record.

The status page is opened with a one-time code (``otp``) sent to the phone
the requests were made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.consents import CONSENT_TEXTS
from ketnoi.accounts.models import ConsentPurpose
from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError
from ketnoi.core.models import AuditEntry
from ketnoi.core.notify import message_send
from ketnoi.core.phone import mask_phone, normalize_phone
from ketnoi.core.text import nfc

from .. import citizen_id
from ..models import (
    Assessment,
    Household,
    HouseholdSource,
    HouseholdStatus,
    Member,
    Registration,
    RegistrationConsent,
    Relation,
)
from .households import MAX_MEMBERS, HouseholdInput, MemberInput, household_create, reference_new
from .otp import otp_issue, otp_verify
from .registration_answers import STEP_CLEANERS, field_error, helper_name_clean, member_clean, members_check

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# --- The steps -------------------------------------------------------------------

# In the order a person meets them; ``Registration.step`` is the next one to fill.
STEPS: tuple[str, ...] = ("start", "place", "people", "home", "connect", "income", "consent", "review")
DATA_STEPS: tuple[str, ...] = ("start", "place", "people", "home", "connect", "income")
STEP_DONE = "done"
REFERENCE_PREFIX = "DK"

MAX_OPEN_DRAFTS_PER_PHONE_PER_DAY = 3
# Purposes asked on the form: the review itself (required) and later messages (optional).
REGISTRATION_PURPOSES: tuple[str, ...] = (ConsentPurpose.HOUSEHOLD_REVIEW, ConsentPurpose.NOTIFICATIONS)
REQUIRED_PURPOSE = ConsentPurpose.HOUSEHOLD_REVIEW
OTP_PURPOSE_STATUS = "registration_status"

_SMS_SUBMITTED = _(
    "Kết Nối: đã nhận đơn đề nghị rà soát hộ của bạn. Mã hồ sơ: %(reference)s. Hãy giữ mã này để hỏi kết quả."
)


def step_number(step: str) -> int:
    """1 for "start" … 8 for "review" (what "Bước 3/8" shows)."""
    return STEPS.index(step) + 1


def step_reached(registration: Registration, step: str) -> bool:
    """Whether the person may open ``step``: it is one she has already reached."""
    if registration.step == STEP_DONE:
        return False
    current = registration.step if registration.step in STEPS else STEPS[1]
    return STEPS.index(step) <= STEPS.index(current)


def _advance(registration: Registration, step: str) -> None:
    following = STEPS[min(STEPS.index(step) + 1, len(STEPS) - 1)]
    current = registration.step if registration.step in STEPS else STEPS[0]
    if STEPS.index(following) > STEPS.index(current):
        registration.step = following


def _not_submitted(registration: Registration) -> None:
    if registration.submitted_at is not None:
        raise DomainError(
            _("Đơn %(reference)s đã gửi rồi, không sửa ở đây được nữa."),
            code="already_submitted",
            params={"reference": registration.reference},
            status=409,
        )


# --- Writing the draft -------------------------------------------------------------


def _new_reference() -> str:
    for _attempt in range(5):
        reference = reference_new(REFERENCE_PREFIX)
        if not Registration.objects.filter(reference=reference).exists():
            return reference
    raise RuntimeError("Could not draw a free registration reference.")  # 32⁸ references: never in practice


@transaction.atomic
def registration_start(*, phone: str, helper_name: str = "", ip_address: str | None = None) -> Registration:
    """Open a draft for the household reachable at ``phone``; nothing else is asked yet.

    Refuses (``DomainError``, 429) when this phone already opened
    ``MAX_OPEN_DRAFTS_PER_PHONE_PER_DAY`` drafts in the last day that were
    not sent: a person continues her draft rather than opening many.
    """
    try:
        number = normalize_phone(phone)
    except ValidationError as error:
        raise ValidationError({"phone": error.error_list}) from None
    helper = helper_name_clean(helper_name)
    since = timezone.now() - timedelta(days=1)
    open_drafts = Registration.objects.filter(phone=number, submitted_at__isnull=True, created_at__gte=since)
    if open_drafts.count() >= MAX_OPEN_DRAFTS_PER_PHONE_PER_DAY:
        raise DomainError(
            _(
                "Số điện thoại này đã mở %(count)s đơn chưa gửi hôm nay. Hãy điền tiếp đơn cũ "
                "(vào trang Xem kết quả đơn) hoặc thử lại vào ngày mai."
            ),
            code="too_many_drafts",
            params={"count": MAX_OPEN_DRAFTS_PER_PHONE_PER_DAY},
            status=429,
        )
    registration = Registration.objects.create(
        reference=_new_reference(),
        phone=number,
        helper_name=helper,
        step=STEPS[1],
        answers={"start": {"filler": "helper" if helper else "self"}},
    )
    audit_record(
        actor=None,
        action="registration_started",
        target=registration,
        changes={"helper": (None, bool(helper))},
        ip_address=ip_address,
    )
    return registration


def _locked(registration: Registration) -> Registration:
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    _not_submitted(locked)
    return locked


def _save(
    locked: Registration, registration: Registration, *, step: str, keys: list[str], ip_address: str | None
) -> Registration:
    locked.save(update_fields=["phone", "helper_name", "step", "answers", "updated_at"])
    audit_record(
        actor=None,
        action="registration_step_saved",
        target=locked,
        # Which answers changed, not their values: the audit trail is no second copy of sensitive data.
        changes={step: (None, sorted(keys))},
        ip_address=ip_address,
    )
    for name in ("phone", "helper_name", "step", "answers", "updated_at"):
        setattr(registration, name, getattr(locked, name))
    return registration


@transaction.atomic
def registration_step_save(
    *, registration: Registration, step: str, cleaned_data: dict[str, Any], ip_address: str | None = None
) -> Registration:
    """Keep one step's answers in the draft and move the draft on to the next step.

    The answers are checked again here (``ValidationError`` keyed by the
    form's field names; nothing saved). For "people", the members are
    those already added one by one (``registration_member_save``) unless
    ``cleaned_data["members"]`` gives the whole list.
    """
    if step not in DATA_STEPS:
        raise DomainError(_("Không có bước này."), code="step_unknown", status=404)
    locked = _locked(registration)
    answers = dict(locked.answers or {})
    if step == "start":
        try:
            locked.phone = normalize_phone(str(cleaned_data.get("phone") or locked.phone))
        except ValidationError as error:
            raise ValidationError({"phone": error.error_list}) from None
        locked.helper_name = helper_name_clean(str(cleaned_data.get("helper_name") or ""))
        value: dict[str, Any] = {"filler": "helper" if locked.helper_name else "self"}
    elif step == "people":
        if "members" in cleaned_data:
            members = [member_clean(m) for m in cleaned_data["members"]]
        else:
            members = list((answers.get("people") or {}).get("members") or [])
        members_check(members)
        value = {"members": members}
    else:
        value = STEP_CLEANERS[step](cleaned_data)
    before = answers.get(step) or {}
    answers[step] = value
    locked.answers = answers
    _advance(locked, step)
    changed = (
        [key for key in value if before.get(key) != value[key]] if isinstance(before, dict) else list(value)
    )
    return _save(locked, registration, step=step, keys=changed, ip_address=ip_address)


def registration_members(registration: Registration) -> list[dict[str, Any]]:
    """The members added so far, as kept in the draft."""
    return list(((registration.answers or {}).get("people") or {}).get("members") or [])


@transaction.atomic
def registration_member_save(
    *,
    registration: Registration,
    cleaned_data: dict[str, Any],
    position: int | None = None,
    ip_address: str | None = None,
) -> Registration:
    """Add a member to the draft (``position`` None) or replace the one at ``position`` (0-based)."""
    locked = _locked(registration)
    members = registration_members(locked)
    if position is not None and not 0 <= position < len(members):
        raise DomainError(_("Không tìm thấy người này trong danh sách."), code="member_unknown", status=404)
    if position is None and len(members) >= MAX_MEMBERS:
        raise ValidationError(
            _("Một hộ có tối đa %(max)s người."), code="too_many", params={"max": MAX_MEMBERS}
        )
    member = member_clean(cleaned_data)
    others = [m for i, m in enumerate(members) if i != position]
    if member.get("citizen_id_hash") and any(
        m.get("citizen_id_hash") == member["citizen_id_hash"] for m in others
    ):
        raise field_error(
            "citizen_id", _("Số CCCD này đã ghi cho một người khác trong hộ."), code="same_cccd"
        )
    if member["relation"] == Relation.HEAD and any(m.get("relation") == Relation.HEAD for m in others):
        raise field_error(
            "relation",
            _("Hộ đã có chủ hộ. Hãy chọn quan hệ khác, hoặc sửa người kia trước."),
            code="two_heads",
        )
    if position is None:
        members.append(member)
    else:
        members[position] = member
    answers = dict(locked.answers or {})
    answers["people"] = {"members": members}
    locked.answers = answers
    return _save(
        locked,
        registration,
        step="people",
        keys=[f"member_{(len(members) - 1) if position is None else position}"],
        ip_address=ip_address,
    )


@transaction.atomic
def registration_member_remove(
    *, registration: Registration, position: int, ip_address: str | None = None
) -> Registration:
    """Take the member at ``position`` (0-based) out of the draft."""
    locked = _locked(registration)
    members = registration_members(locked)
    if not 0 <= position < len(members):
        raise DomainError(_("Không tìm thấy người này trong danh sách."), code="member_unknown", status=404)
    del members[position]
    answers = dict(locked.answers or {})
    answers["people"] = {"members": members}
    locked.answers = answers
    return _save(
        locked, registration, step="people", keys=[f"member_{position}_removed"], ip_address=ip_address
    )


# --- Consent -------------------------------------------------------------------------


def registration_consent_latest(registration: Registration, purpose: str) -> RegistrationConsent | None:
    return (
        RegistrationConsent.objects.filter(registration=registration, purpose=purpose)
        .order_by("-at", "-id")
        .first()
    )


def registration_consent_current(registration: Registration, purpose: str) -> bool:
    """Whether consent to the *current* text of ``purpose`` is given now."""
    latest = registration_consent_latest(registration, purpose)
    return (
        latest is not None
        and latest.action == "given"
        and latest.text_version == CONSENT_TEXTS[purpose].version
    )


@transaction.atomic
def registration_consent_record(
    *, registration: Registration, purpose: str, given: bool, ip_address: str | None = None
) -> RegistrationConsent | None:
    """Record that the person ticked (``given``) or unticked the box for ``purpose``.

    Append-only and idempotent: nothing is written when the latest record
    already says the same about the same text version, and an unticked box
    with nothing given before writes nothing (silence is not consent, and
    there is nothing to withdraw). Returns the record now in force, if any.
    """
    if purpose not in REGISTRATION_PURPOSES:
        raise DomainError(_("Không có mục đồng ý này."), code="purpose_unknown")
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    version = CONSENT_TEXTS[purpose].version
    latest = registration_consent_latest(locked, purpose)
    if given:
        if latest is not None and latest.action == "given" and latest.text_version == version:
            return latest
        action, text_version = "given", version
    else:
        if latest is None or latest.action != "given":
            return latest
        action, text_version = "withdrawn", latest.text_version
    record = RegistrationConsent.objects.create(
        registration=locked,
        purpose=purpose,
        action=action,
        text_version=text_version,
        at=timezone.now(),
        ip_address=ip_address,
    )
    audit_record(
        actor=None,
        action=f"registration_consent_{action}",
        target=locked,
        changes={purpose: (None, text_version) if given else (text_version, None)},
        ip_address=ip_address,
    )
    return record


def registration_consents_save(
    *, registration: Registration, choices: dict[str, bool], ip_address: str | None = None
) -> Registration:
    """The consent step: record each purpose's box; the review purpose must be ticked.

    ``ValidationError`` (keyed by purpose) when the required box is not
    ticked; the other choices are still recorded (each in its own transaction).
    """
    _not_submitted(registration)
    for purpose in REGISTRATION_PURPOSES:
        registration_consent_record(
            registration=registration,
            purpose=purpose,
            given=bool(choices.get(purpose)),
            ip_address=ip_address,
        )
    if not choices.get(REQUIRED_PURPOSE):
        raise field_error(
            REQUIRED_PURPOSE,
            _("Cán bộ xã chỉ xem được đơn khi bạn đồng ý. Hãy đánh dấu vào ô này nếu bạn đồng ý."),
            code="consent_required",
        )
    with transaction.atomic():
        locked = _locked(registration)
        _advance(locked, "consent")
        locked.save(update_fields=["step", "updated_at"])
    registration.step = locked.step
    return registration


# --- Sending -------------------------------------------------------------------------


def _missing_step(answers: dict[str, Any]) -> str | None:
    for step in DATA_STEPS:
        if step != "start" and not answers.get(step):
            return step
    return None


def household_input_from_answers(registration: Registration) -> HouseholdInput:
    """The draft's answers as an input to ``household_create`` (CCCDs decrypted here only)."""
    answers = registration.answers or {}
    missing = _missing_step(answers)
    if missing is not None:
        raise DomainError(
            _("Đơn chưa điền xong: hãy điền bước %(number)s."),
            code="incomplete",
            params={"number": step_number(missing), "step": missing},
        )
    place, home, connect, income = answers["place"], answers["home"], answers["connect"], answers["income"]
    members = [
        MemberInput(
            full_name=m["full_name"],
            birth_date=date.fromisoformat(m["birth_date"]),
            sex=m["sex"],
            relation=m["relation"],
            ethnic_group=m["ethnic_group"],
            education=m["education"],
            has_health_insurance=m["has_health_insurance"],
            work=m["work"],
            citizen_id=citizen_id.decrypt(m["citizen_id_encrypted"]) if m.get("citizen_id_encrypted") else "",
            has_disability=m["has_disability"],
            able_to_work=m["able_to_work"],
            attending_school=m["attending_school"],
            stunted_or_underweight=m["stunted_or_underweight"],
        )
        for m in answers["people"]["members"]
    ]
    return HouseholdInput(
        commune_code=int(place["commune"]),
        area=place["area"],
        address_line=place["address_line"],
        contact_phone=registration.phone,
        income_12m_vnd=int(income["income_12m_vnd"]),
        walls=home["walls"],
        frame=home["frame"],
        roof=home["roof"],
        floor_area_m2=Decimal(home["floor_area_m2"]),
        water_source=home["water_source"],
        latrine=home["latrine"],
        uses_telecom=connect["uses_telecom"],
        devices=list(connect["devices"]),
        waste_collected_or_treated=connect["waste_collected_or_treated"],
        members=members,
    )


@transaction.atomic
def registration_submit(*, registration: Registration, ip_address: str | None = None) -> Registration:
    """Send the draft: create the household (status "submitted", source "self") and text the reference.

    Requires the household-review consent, given to the current text.
    Idempotent: a draft already sent is returned as it is, with no second
    household and no second message. Raises ``DomainError``/``ValidationError``
    and changes nothing when the draft is incomplete or wrong.
    """
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    if locked.household_id is not None:
        return locked
    if not registration_consent_current(locked, REQUIRED_PURPOSE):
        raise DomainError(
            _(
                "Bạn chưa đồng ý cho cán bộ xã dùng thông tin của hộ để rà soát. "
                "Hãy quay lại bước %(number)s."
            ),
            code="consent_required",
            params={"number": step_number("consent")},
        )
    data = household_input_from_answers(locked)
    household = household_create(actor=None, data=data, source=HouseholdSource.SELF, ip_address=ip_address)
    locked.household = household
    locked.submitted_at = timezone.now()
    locked.step = STEP_DONE
    locked.answers = {"start": (locked.answers or {}).get("start") or {}}
    locked.save(update_fields=["household", "submitted_at", "step", "answers", "updated_at"])
    audit_record(
        actor=None,
        action="registration_submitted",
        target=locked,
        changes={"household": (None, household.reference)},
        ip_address=ip_address,
    )
    message_send(to=locked.phone, text=str(_SMS_SUBMITTED) % {"reference": locked.reference})
    return locked


def status_code_send(*, phone: str) -> str:
    """Send a code for the status page to ``phone``; returns the number in E.164.

    The code is sent only when the number has requests, but the answer is
    the same either way: the page never says whether a number registered.
    """
    try:
        number = normalize_phone(phone)
    except ValidationError as error:
        raise ValidationError({"phone": error.error_list}) from None
    has_requests = Registration.objects.filter(phone=number).exists()
    otp_issue(phone=number, purpose=OTP_PURPOSE_STATUS, deliver=has_requests)
    return number


def status_code_check(*, phone: str, code: str, ip_address: str | None = None) -> None:
    """Check the status page's code; the opening is recorded (the page shows sensitive data)."""
    otp_verify(phone=phone, purpose=OTP_PURPOSE_STATUS, code=code)
    audit_record(
        actor=None,
        action="registration_status_opened",
        changes={"phone": (None, mask_phone(normalize_phone(phone)))},
        ip_address=ip_address,
    )


# --- What the household sees ---------------------------------------------------------

CLASSIFICATION_WORDS: dict[str, StrOrPromise] = {
    "poor": _("hộ nghèo"),
    "near_poor": _("hộ cận nghèo"),
    "middle": _("hộ có mức sống trung bình"),
    "not_poor": _("không thuộc hộ nghèo, cận nghèo"),
}


@dataclass(frozen=True)
class RegistrationStatus:
    """One request as its household sees it: ``state`` a code, ``label`` in words."""

    registration: Registration
    state: str  # draft, submitted, under_review, verified, recognised, needs_correction
    label: str
    reason: str = ""
    household: Household | None = None
    assessment: Assessment | None = None


def _recognised_prefetch() -> Prefetch:  # type: ignore[type-arg]
    return Prefetch(
        "household__assessments",
        queryset=Assessment.objects.filter(recognised=True).order_by("-year", "-assessed_on", "-id"),
        to_attr="recognised_assessments",
    )


def _correction_reasons(household_ids: list[int]) -> dict[int, str]:
    """Each household's reason for "needs correction", from the audit trail (one query)."""
    if not household_ids:
        return {}
    entries = (
        AuditEntry.objects.filter(
            object_type=ContentType.objects.get_for_model(Household),
            object_id__in=[str(pk) for pk in household_ids],
        )
        .exclude(reason="")
        .order_by("-at", "-id")
    )
    reasons: dict[int, str] = {}
    fallback: dict[int, str] = {}
    for entry in entries.only("object_id", "reason", "changes"):
        pk = int(entry.object_id)
        status = (entry.changes or {}).get("status")
        if isinstance(status, list) and len(status) == 2 and status[1] == HouseholdStatus.NEEDS_CORRECTION:
            reasons.setdefault(pk, entry.reason)
        fallback.setdefault(pk, entry.reason)
    return {pk: reasons.get(pk, fallback[pk]) for pk in fallback}


def _status_of(registration: Registration, reasons: dict[int, str]) -> RegistrationStatus:
    household = registration.household
    if household is None:
        return RegistrationStatus(registration, "draft", str(_("Chưa gửi: đang điền dở")))
    if household.status == HouseholdStatus.NEEDS_CORRECTION:
        return RegistrationStatus(
            registration,
            "needs_correction",
            str(_("Cần bổ sung, sửa")),
            reason=reasons.get(household.pk, ""),
            household=household,
        )
    recognised = getattr(household, "recognised_assessments", [])
    if recognised:
        assessment = recognised[0]
        words = CLASSIFICATION_WORDS.get(assessment.classification, assessment.classification)
        label = str(_("Xã đã công nhận: %(words)s (năm %(year)s)")) % {
            "words": words,
            "year": assessment.year,
        }
        return RegistrationStatus(
            registration, "recognised", label, household=household, assessment=assessment
        )
    labels: dict[str, StrOrPromise] = {
        HouseholdStatus.SUBMITTED: _("Đã gửi, chờ cán bộ xã xem"),
        HouseholdStatus.UNDER_REVIEW: _("Cán bộ xã đang xem xét"),
        HouseholdStatus.VERIFIED: _("Đã xác minh"),
    }
    return RegistrationStatus(
        registration,
        household.status,
        str(labels.get(household.status, household.status)),
        household=household,
    )


def registration_status(*, reference_or_phone: str) -> list[RegistrationStatus]:
    """The requests with this reference, or made from this phone, newest first, with their status.

    Each sent request comes with its household, members and commune loaded
    (a fixed number of queries, however many requests). The caller must
    have proved the phone (or be entitled to the reference): this shows the
    household's own, sensitive data.
    """
    text = nfc(reference_or_phone or "").upper()
    registrations = Registration.objects.select_related("household__commune__province").prefetch_related(
        Prefetch("household__members", queryset=Member.objects.order_by("birth_date", "id")),
        _recognised_prefetch(),
    )
    if text.startswith(f"{REFERENCE_PREFIX}-"):
        registrations = registrations.filter(reference=text)
    else:
        try:
            registrations = registrations.filter(phone=normalize_phone(text))
        except ValidationError:
            return []
    rows = list(registrations.order_by("-created_at", "-id"))
    waiting = [
        r.household.pk for r in rows if r.household and r.household.status == HouseholdStatus.NEEDS_CORRECTION
    ]
    reasons = _correction_reasons(waiting)
    return [_status_of(r, reasons) for r in rows]


def registration_resume(*, phone: str, reference: str) -> Registration:
    """The open draft ``reference`` made from ``phone`` (proved by a code), to fill in further."""
    registration = Registration.objects.filter(
        phone=normalize_phone(phone), reference=nfc(reference).upper(), submitted_at__isnull=True
    ).first()
    if registration is None:
        raise DomainError(
            _("Không tìm thấy đơn đang điền dở này."), code="registration_not_found", status=404
        )
    return registration
