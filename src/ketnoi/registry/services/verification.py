"""An officer's work on a household: review, correct, visit, return it, verify it.

Self-reported data is never treated as verified until an officer whose area
covers the household's commune signs it (``household_verify``), and that
officer may not be the one who entered or last changed it (maker–checker).
Every step is checked against the officer's area first: outside it the answer
is ``NotFound``, the same as for a household that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound, PermissionDenied
from ketnoi.core.notify import message_send
from ketnoi.core.text import nfc

from ..models import DuplicateFlag, FieldVisit, Household, HouseholdStatus
from ..selectors import officer_covers
from .households import HouseholdInput, household_assess, household_update

REASON_MAX = 500
NOTES_MAX = 2000
SMS_REASON_MAX = 240  # the SMS stays short enough for a few segments on a basic phone

# Households an officer may still act on before verification.
OPEN_STATUSES = (HouseholdStatus.SUBMITTED, HouseholdStatus.UNDER_REVIEW, HouseholdStatus.NEEDS_CORRECTION)


def _locked_in_scope(actor: Any, household: Household) -> Household:
    """``household`` re-read under a row lock, if ``actor``'s area covers it; else ``NotFound``."""
    locked = (
        Household.objects.select_for_update(of=("self",))
        .select_related("commune__province")
        .filter(pk=household.pk)
        .first()
    )
    if locked is None or not officer_covers(actor, locked):
        raise NotFound(_("Không tìm thấy hộ này trong địa bàn của bạn."), code="household_not_found")
    return locked


# Flags that stop a verification: undecided ones, and "same person" ones whose
# two members still both exist (a flag goes with its member when one household
# is corrected to drop her), so nobody is counted in two households.
BLOCKING_DECISIONS = (DuplicateFlag.Decision.OPEN, DuplicateFlag.Decision.SAME_PERSON)


def blocking_duplicates(household: Household) -> set[str]:
    """The decisions (``open``, ``same_person``) of the flags that stop ``household``'s verification."""
    return set(
        DuplicateFlag.objects.filter(
            Q(member__household=household) | Q(other_member__household=household),
            decision__in=BLOCKING_DECISIONS,
        ).values_list("decision", flat=True)
    )


def verify_refusal(*, actor: Any, household: Household, duplicates: set[str]) -> DomainError | None:
    """Why ``actor`` may not verify ``household`` now, or ``None`` when she may.

    The page shows this reason beside the button; ``household_verify``
    raises it. ``duplicates`` (see ``blocking_duplicates``) is passed in so a
    page that already loaded the flags spends no extra query.
    """
    if household.status == HouseholdStatus.VERIFIED:
        return DomainError(_("Hộ này đã được xác minh rồi."), code="already_verified", status=409)
    if household.status == HouseholdStatus.NEEDS_CORRECTION:
        return DomainError(
            _("Hộ đang chờ sửa thông tin. Hãy sửa hồ sơ (hoặc chờ hộ sửa) rồi mới xác minh."),
            code="needs_correction",
            status=409,
        )
    actor_id = getattr(actor, "pk", None)
    if actor_id is not None and household.registered_by_id == actor_id:
        return PermissionDenied(
            _("Bạn đã nhập hồ sơ hộ này nên không thể tự xác minh. Hãy nhờ một cán bộ khác xác minh."),
            code="maker_checker_registered",
        )
    if actor_id is not None and household.last_changed_by_id == actor_id:
        return PermissionDenied(
            _("Bạn là người sửa hồ sơ hộ này gần nhất nên không thể tự xác minh. Hãy nhờ một cán bộ khác."),
            code="maker_checker_changed",
        )
    if DuplicateFlag.Decision.OPEN in duplicates:
        return DomainError(
            _("Hộ có thành viên nghi trùng với người ở hộ khác. Hãy quyết định từng trường hợp trước."),
            code="open_duplicates",
            status=409,
        )
    if DuplicateFlag.Decision.SAME_PERSON in duplicates:
        return DomainError(
            _(
                "Một thành viên đã được xác định là cùng một người với người ở hộ khác. Hãy bỏ người này "
                "khỏi hộ không đúng trước khi xác minh."
            ),
            code="same_person_in_two_households",
            status=409,
        )
    return None


@transaction.atomic
def household_verify(*, actor: Any, household: Household, ip_address: str | None = None) -> Household:
    """Sign ``household``'s data as checked, then assess it under the standard in force today.

    Refuses (``NotFound``) outside ``actor``'s area; refuses (403) when she
    entered or last changed the data; refuses (409) while a possible
    duplicate is undecided, while a member found to be the same person as
    someone in another household is still in both, or while the household
    waits for a correction. Takes a row lock, so two officers cannot verify the same household at once.
    """
    locked = _locked_in_scope(actor, household)
    refusal = verify_refusal(actor=actor, household=locked, duplicates=blocking_duplicates(locked))
    if refusal is not None:
        raise refusal
    before = locked.status
    locked.status = HouseholdStatus.VERIFIED
    locked.verified_by = actor
    locked.verified_at = timezone.now()
    locked.save(update_fields=["status", "verified_by", "verified_at", "updated_at"])
    audit_record(
        actor=actor,
        action="household_verified",
        target=locked,
        changes={"status": (before, locked.status)},
        ip_address=ip_address,
    )
    household_assess(household=locked, actor=actor)
    return locked


@transaction.atomic
def household_review_start(*, actor: Any, household: Household, ip_address: str | None = None) -> Household:
    """Mark a submitted (or corrected) household as being reviewed by the commune."""
    locked = _locked_in_scope(actor, household)
    if locked.status not in (HouseholdStatus.SUBMITTED, HouseholdStatus.NEEDS_CORRECTION):
        raise DomainError(
            _("Chỉ bắt đầu xem xét được hồ sơ vừa gửi hoặc vừa sửa."), code="status_invalid", status=409
        )
    before = locked.status
    locked.status = HouseholdStatus.UNDER_REVIEW
    locked.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="household_review_started",
        target=locked,
        changes={"status": (before, locked.status)},
        ip_address=ip_address,
    )
    return locked


@transaction.atomic
def household_correct(
    *, actor: Any, household: Household, data: HouseholdInput, reason: str, ip_address: str | None = None
) -> Household:
    """An officer's correction (``household_update``, with its reason) as part of the review.

    Outside ``actor``'s area: ``NotFound``. A household that was submitted or
    waiting for correction is now under review; a verified one goes back to
    review (``household_update`` does that). ``actor`` becomes the last to
    have changed the data, so another officer must verify it.
    """
    locked = _locked_in_scope(actor, household)
    updated = household_update(actor=actor, household=locked, data=data, reason=reason, ip_address=ip_address)
    if updated.status in (HouseholdStatus.SUBMITTED, HouseholdStatus.NEEDS_CORRECTION):
        before = updated.status
        updated.status = HouseholdStatus.UNDER_REVIEW
        updated.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="household_review_started",
            target=updated,
            changes={"status": (before, updated.status)},
            ip_address=ip_address,
        )
    return updated


def _correction_sms(household: Household, reason: str) -> str:
    """The SMS to the household, in Vietnamese whatever the officer's page language."""
    if len(reason) > SMS_REASON_MAX:
        reason = reason[: SMS_REASON_MAX - 1].rstrip() + "…"
    with translation.override("vi"):
        return gettext(
            "Kết Nối: Hồ sơ %(reference)s cần bổ sung, sửa: %(reason)s. Hãy sửa hồ sơ hoặc liên hệ cán bộ xã."
        ) % {"reference": household.reference, "reason": reason}


@transaction.atomic
def household_return_for_correction(
    *, actor: Any, household: Household, reason: str, ip_address: str | None = None
) -> Household:
    """Send a household's data back for correction, telling the household by SMS what to fix.

    ``reason`` is required: it is what the household reads. The SMS goes to
    the household's contact phone after the transaction commits.
    """
    reason = nfc(reason or "")
    if not reason:
        raise DomainError(_("Hãy ghi rõ hộ cần sửa hoặc bổ sung điều gì."), code="reason_required")
    if len(reason) > REASON_MAX:
        raise DomainError(
            _("Lý do dài quá: tối đa %(max)s ký tự."), code="reason_too_long", params={"max": REASON_MAX}
        )
    locked = _locked_in_scope(actor, household)
    if locked.status not in (HouseholdStatus.SUBMITTED, HouseholdStatus.UNDER_REVIEW):
        raise DomainError(
            _("Chỉ trả lại để sửa được hồ sơ đang chờ hoặc đang xem xét."), code="status_invalid", status=409
        )
    before = locked.status
    locked.status = HouseholdStatus.NEEDS_CORRECTION
    locked.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="household_returned_for_correction",
        target=locked,
        changes={"status": (before, locked.status)},
        reason=reason,
        ip_address=ip_address,
    )
    if locked.contact_phone:
        message_send(to=locked.contact_phone, text=_correction_sms(locked, reason))
    return locked


@transaction.atomic
def field_visit_record(
    *,
    actor: Any,
    household: Household,
    visited_on: date,
    notes: str = "",
    ip_address: str | None = None,
) -> FieldVisit:
    """Record that ``actor`` visited the household on ``visited_on`` (today or earlier)."""
    if visited_on > timezone.localdate():
        raise DomainError(_("Ngày đến hộ không thể ở tương lai."), code="visit_in_future")
    notes = nfc(notes or "")
    if len(notes) > NOTES_MAX:
        raise DomainError(
            _("Ghi chú dài quá: tối đa %(max)s ký tự."), code="notes_too_long", params={"max": NOTES_MAX}
        )
    locked = _locked_in_scope(actor, household)
    visit = FieldVisit(household=locked, officer=actor, visited_on=visited_on, notes=notes)
    visit.full_clean()
    visit.save()
    audit_record(
        actor=actor,
        action="field_visit_recorded",
        target=locked,
        changes={"visited_on": (None, visited_on)},
        reason=notes[:REASON_MAX],
        ip_address=ip_address,
    )
    return visit
