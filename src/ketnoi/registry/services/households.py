"""Create and change households and their members; assess them.

Every write validates first and saves nothing on error, runs in one
transaction, and records who changed what in the audit trail.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record, changes_between, snapshot
from ketnoi.core.errors import DomainError
from ketnoi.core.text import fold, nfc
from ketnoi.places.models import Commune
from ketnoi.poverty import assess
from ketnoi.poverty.facts import Device

from .. import citizen_id
from ..facts import household_facts
from ..models import Assessment, Household, HouseholdStatus, Member, Relation

# Household fields a person or an officer fills in (the facts behind the indicators).
HOUSEHOLD_FIELDS = (
    "address_line",
    "area",
    "contact_phone",
    "income_12m_vnd",
    "walls",
    "frame",
    "roof",
    "floor_area_m2",
    "water_source",
    "latrine",
    "uses_telecom",
    "devices",
    "waste_collected_or_treated",
)
MEMBER_FIELDS = (
    "full_name",
    "birth_date",
    "sex",
    "relation",
    "ethnic_group",
    "has_disability",
    "able_to_work",
    "attending_school",
    "education",
    "has_health_insurance",
    "work",
    "stunted_or_underweight",
)
MAX_MEMBERS = 30
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


@dataclass
class MemberInput:
    full_name: str
    birth_date: date
    sex: str
    relation: str
    ethnic_group: str
    education: str
    has_health_insurance: bool
    work: str
    citizen_id: str = ""
    has_disability: bool = False
    able_to_work: bool = True
    attending_school: bool = False
    stunted_or_underweight: bool = False


@dataclass
class HouseholdInput:
    commune_code: int
    area: str
    income_12m_vnd: int
    walls: str
    frame: str
    roof: str
    floor_area_m2: Decimal
    water_source: str
    latrine: str
    uses_telecom: bool
    waste_collected_or_treated: bool
    members: list[MemberInput]
    devices: list[str] = field(default_factory=list)
    address_line: str = ""
    contact_phone: str = ""


def reference_new(prefix: str = "HO") -> str:
    """A short, unguessable reference such as ``HO-7KQ2-M4TX``."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{prefix}-{body[:4]}-{body[4:]}"


def _commune(code: int) -> Commune:
    commune = Commune.objects.select_related("province").filter(pk=code).first()
    if commune is None:
        raise DomainError(_("Không có xã/phường mã %(code)s."), code="commune_unknown", params={"code": code})
    return commune


def _floor_area(value: Any) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {"floor_area_m2": _("Diện tích nhà phải là một số, ví dụ 35 hoặc 35,5.")}
        ) from None


def household_fill(data: HouseholdInput, household: Household) -> Household:
    """Copy ``data``'s household facts onto ``household`` (unsaved); ``ValidationError`` on bad values.

    Shared by ``household_create``, the roll import's dry run and the demo data.
    """
    for name in HOUSEHOLD_FIELDS:
        setattr(household, name, getattr(data, name))
    household.floor_area_m2 = _floor_area(data.floor_area_m2)
    unknown = [d for d in data.devices if d not in {x.value for x in Device}]
    if unknown:
        raise ValidationError(
            {"devices": _("Thiết bị không có trong danh sách: %(d)s") % {"d": ", ".join(unknown)}}
        )
    household.devices = sorted(set(data.devices))
    return household


def member_fill(data: MemberInput, member: Member, *, today: date) -> Member:
    """Copy ``data`` onto ``member`` (unsaved): NFC name, birth date checks, CCCD checked and encrypted."""
    for name in MEMBER_FIELDS:
        setattr(member, name, getattr(data, name))
    member.full_name = nfc(data.full_name)
    member.name_folded = fold(member.full_name)
    if data.birth_date > today:
        raise ValidationError({"birth_date": _("Ngày sinh không thể ở tương lai.")})
    if data.birth_date.year < today.year - 120:
        raise ValidationError({"birth_date": _("Ngày sinh quá xa, hãy kiểm tra lại năm sinh.")})
    number = "".join((data.citizen_id or "").split())
    if number:
        parsed = citizen_id.parse(number)
        citizen_id.check_matches(parsed, birth_date=data.birth_date, sex=data.sex)
        member.citizen_id_encrypted = citizen_id.encrypt(parsed.number)
        member.citizen_id_hash = citizen_id.lookup_hash(parsed.number)
        member.citizen_id_masked = parsed.masked
    else:
        member.citizen_id_encrypted = member.citizen_id_hash = member.citizen_id_masked = ""
    return member


def members_check(members: list[MemberInput]) -> None:
    """The rules over the member list as a whole: one head, no shared CCCD, a size limit."""
    if not members:
        raise ValidationError(_("Hộ phải có ít nhất một thành viên."))
    if len(members) > MAX_MEMBERS:
        raise ValidationError(_("Một hộ có tối đa %(max)s thành viên.") % {"max": MAX_MEMBERS})
    heads = sum(1 for m in members if m.relation == Relation.HEAD)
    if heads != 1:
        raise ValidationError(_("Hộ phải có đúng một chủ hộ."))
    numbers = [m.citizen_id for m in members if m.citizen_id]
    if len(numbers) != len(set(numbers)):
        raise ValidationError(_("Hai thành viên trong hộ có cùng số CCCD."))


def _validated_members(data: HouseholdInput, household: Household) -> list[Member]:
    """Member rows for ``data`` (unsaved), each checked; errors name the member by position."""
    members_check(data.members)
    today = timezone.localdate()
    rows = []
    for position, member_data in enumerate(data.members, start=1):
        try:
            member = member_fill(member_data, Member(household=household), today=today)
            member.full_clean(exclude=["household", "name_folded"])
        except ValidationError as error:
            raise ValidationError(
                [_("Thành viên thứ %(n)s: %(errors)s") % {"n": position, "errors": "; ".join(error.messages)}]
            ) from None
        rows.append(member)
    return rows


@transaction.atomic
def household_create(
    *, actor: Any | None, data: HouseholdInput, source: str, ip_address: str | None = None
) -> Household:
    """Register a household with its members; status "submitted", not yet verified.

    Raises ``ValidationError``/``DomainError`` and saves nothing when any part
    is wrong. Members whose CCCD, or name and birth date, match someone
    already registered are flagged for an officer (``registry.services.duplicates``).
    """
    commune = _commune(data.commune_code)
    household = household_fill(data, Household(commune=commune, source=source))
    household.reference = reference_new()
    household.status = HouseholdStatus.SUBMITTED
    who = actor if getattr(actor, "is_authenticated", False) else None
    household.registered_by = household.last_changed_by = who
    household.full_clean(exclude=["reference"])
    members = _validated_members(data, household)
    household.save()
    for member in members:
        member.household = household
        member.save()
    audit_record(
        actor=who,
        action="household_created",
        target=household,
        changes={"source": (None, source), "members": (None, len(members))},
        ip_address=ip_address,
    )
    from .duplicates import duplicates_flag  # a flow of its own; imported late to keep modules small

    duplicates_flag(members=members)
    return household


def _same_person(old: Member, new: Member) -> bool:
    """Whether ``new`` (from a correction) is the person stored as ``old``: same CCCD, or
    same folded name and birth date where either has no CCCD."""
    if old.citizen_id_hash and new.citizen_id_hash:
        return old.citizen_id_hash == new.citizen_id_hash
    return (old.name_folded, old.birth_date) == (new.name_folded, new.birth_date)


def _members_replace(household: Household, old: list[Member], new: list[Member]) -> None:
    """Save ``new`` as the household's members, keeping the row of each person already there.

    Keeping the rows keeps what hangs on them (duplicate flags and their
    decisions): a correction of the income must not re-open a decided flag.
    The head is saved last so the one-head constraint holds at every step.
    """
    unused = list(old)
    for member in new:
        match = next((o for o in unused if _same_person(o, member)), None)
        if match is not None:
            unused.remove(match)
            member.pk, member.created_at = match.pk, match.created_at
            member._state.adding = False
    Member.objects.filter(pk__in=[o.pk for o in unused]).delete()
    for member in sorted(new, key=lambda m: m.relation == Relation.HEAD):
        member.household = household
        member.save()


@transaction.atomic
def household_update(
    *,
    actor: Any,
    household: Household,
    data: HouseholdInput,
    reason: str,
    ip_address: str | None = None,
) -> Household:
    """Replace a household's facts and members with ``data``, with a reason for the record.

    The change makes ``actor`` the last to have touched the data, so she
    cannot also verify it (maker–checker). A verified household goes back to
    "under review".
    """
    reason = nfc(reason or "")
    if not reason:
        raise DomainError(_("Hãy ghi lý do sửa."), code="reason_required")
    locked = Household.objects.select_for_update().get(pk=household.pk)
    before = snapshot(locked, HOUSEHOLD_FIELDS)
    old_members = list(locked.members.all())
    before_members = [snapshot(m, MEMBER_FIELDS) | {"citizen_id": m.citizen_id_masked} for m in old_members]
    if data.commune_code != locked.commune_id:
        raise DomainError(
            _("Không đổi xã/phường của hộ ở đây: hộ chuyển đi cần đăng ký lại ở xã/phường mới."),
            code="commune_change",
        )
    household_fill(data, locked)
    locked.full_clean()
    members = _validated_members(data, locked)
    locked.last_changed_by = actor
    if locked.status == HouseholdStatus.VERIFIED:
        locked.status = HouseholdStatus.UNDER_REVIEW
        locked.verified_by = None
        locked.verified_at = None
    locked.save()
    _members_replace(locked, old_members, members)
    after_members = [snapshot(m, MEMBER_FIELDS) | {"citizen_id": m.citizen_id_masked} for m in members]
    changes = changes_between(before, snapshot(locked, HOUSEHOLD_FIELDS))
    if before_members != after_members:
        changes["members"] = (before_members, after_members)
    audit_record(
        actor=actor,
        action="household_corrected",
        target=locked,
        changes=changes,
        reason=reason,
        ip_address=ip_address,
    )
    from .duplicates import duplicates_flag

    duplicates_flag(members=members)
    return locked


def household_input_from(household: Household, members: list[Member]) -> HouseholdInput:
    """The current data of ``household`` as an input to edit (CCCDs decrypted)."""
    return HouseholdInput(
        commune_code=household.commune_id,
        **{name: getattr(household, name) for name in HOUSEHOLD_FIELDS},
        members=[
            MemberInput(
                **{name: getattr(m, name) for name in MEMBER_FIELDS},
                citizen_id=citizen_id.decrypt(m.citizen_id_encrypted) if m.citizen_id_encrypted else "",
            )
            for m in members
        ],
    )


@transaction.atomic
def household_assess(*, household: Household, actor: Any | None, on: date | None = None) -> Assessment:
    """Classify ``household`` under the standard in force on ``on`` (default today).

    One assessment per household, year and standard: assessing again in the
    same year replaces it, and the audit trail keeps the old result — except
    a result the commune has recognised, which is a decision of record: it is
    returned unchanged (the next review round re-assesses).
    """
    on = on or timezone.localdate()
    facts = household_facts(household, list(household.members.all()), on=on)
    result = assess("auto", facts, on=on)
    values = {
        "standard_version": result.standard_version,
        "assessed_on": on,
        "income_per_capita_vnd": facts.income_per_capita_month_vnd,
        "deprived": list(result.deprived),
        "deprivation_count": result.deprivation_count,
        "classification": result.classification,
        "assessed_by": actor if getattr(actor, "is_authenticated", False) else None,
        "recognised": False,
    }
    existing = (
        Assessment.objects.select_for_update()
        .filter(household=household, year=on.year, standard=result.standard)
        .first()
    )
    if existing is not None and existing.recognised:
        audit_record(
            actor=values["assessed_by"],
            action="household_assessment_kept",
            target=household,
            reason="recognised result kept; the next review round re-assesses",
        )
        return existing
    before = snapshot(existing, ["classification", "deprived"]) if existing else {}
    assessment, _created = Assessment.objects.update_or_create(
        household=household, year=on.year, standard=result.standard, defaults=values
    )
    audit_record(
        actor=values["assessed_by"],
        action="household_assessed",
        target=household,
        changes=changes_between(before, snapshot(assessment, ["classification", "deprived"]))
        | {"standard": (None, result.standard)},
    )
    return assessment
