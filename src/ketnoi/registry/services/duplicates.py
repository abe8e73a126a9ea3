"""Find members who may already be registered elsewhere; flag, never merge.

Two signals (issue: verification): the same CCCD (by keyed hash), or a close
name (rapidfuzz ratio on the folded name) with the same birth date in the
same province. A flag waits for an officer's decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError
from ketnoi.core.text import nfc

from ..models import DuplicateFlag, Member

NAME_SIMILARITY_MIN = 90  # percent, on folded names ("Lò Thị Xuân" ~ "Lo Thi Xuan")


def duplicate_candidates(member: Member) -> list[tuple[Member, str, int]]:
    """Members of other households who may be ``member``: ``(other, reason, score)``."""
    found: dict[int, tuple[Member, str, int]] = {}
    others = Member.objects.exclude(household_id=member.household_id).select_related("household")
    if member.citizen_id_hash:
        for other in others.filter(citizen_id_hash=member.citizen_id_hash):
            found[other.pk] = (other, DuplicateFlag.Reason.SAME_CITIZEN_ID, 100)
    province_id = member.household.commune.province_id
    for other in others.filter(birth_date=member.birth_date, household__commune__province_id=province_id):
        if other.pk in found:
            continue
        score = round(fuzz.ratio(member.name_folded, other.name_folded))
        if score >= NAME_SIMILARITY_MIN:
            found[other.pk] = (other, DuplicateFlag.Reason.SIMILAR_NAME, score)
    return list(found.values())


def duplicates_flag(*, members: Iterable[Member]) -> list[DuplicateFlag]:
    """Open a flag for each possible duplicate of ``members`` not flagged before."""
    flags = []
    for member in members:
        for other, reason, score in duplicate_candidates(member):
            pair = sorted([member, other], key=lambda m: m.pk)
            flag, created = DuplicateFlag.objects.get_or_create(
                member=pair[0], other_member=pair[1], defaults={"reason": reason, "score": score}
            )
            if created:
                flags.append(flag)
    return flags


@transaction.atomic
def duplicate_decide(*, actor: Any, flag: DuplicateFlag, decision: str, note: str = "") -> DuplicateFlag:
    """Record an officer's decision on a flag. Nothing is merged: a same-person
    decision leaves the correction (removing the member from one household) to
    an explicit ``household_update``."""
    if decision not in (DuplicateFlag.Decision.DIFFERENT, DuplicateFlag.Decision.SAME_PERSON):
        raise DomainError(_("Hãy chọn: hai người khác nhau, hay cùng một người."), code="decision_invalid")
    locked = DuplicateFlag.objects.select_for_update().get(pk=flag.pk)
    if locked.decision != DuplicateFlag.Decision.OPEN:
        raise DomainError(_("Trường hợp này đã được quyết định rồi."), code="decision_taken", status=409)
    locked.decision = decision
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.note = nfc(note)[:500]
    locked.save()
    audit_record(
        actor=actor,
        action="duplicate_decided",
        target=locked.member.household,
        changes={"decision": (DuplicateFlag.Decision.OPEN, decision)},
        reason=locked.note,
    )
    return locked
