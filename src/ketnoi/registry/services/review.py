"""The annual review of a commune's poor and near-poor households, step by step.

Decision 24/2021/QĐ-TTg: open → list (last year's recognised poor and
near-poor households plus those who asked) → score (verified data only) →
the village meeting agrees → the result is posted and objections received
for a few working days → the commune recognises it. Each step:

- may be taken only by an officer whose area covers the round's commune
  (anyone else gets ``NotFound``, as for a round that does not exist);
- takes a row lock on the round, checks the round is at the step before it
  (otherwise ``DomainError``, status 409, and nothing changes);
- writes one ``RoundStep`` (the round's history: when, who) and one audit entry.

Services that depend on the date take ``today`` (default: the local date),
so a test or a catch-up script can run a round on fixed dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.models import AuditEntry
from ketnoi.core.notify import message_send
from ketnoi.core.scopes import scopes_cover
from ketnoi.core.text import nfc
from ketnoi.places.models import Commune
from ketnoi.poverty import standards

from ..models import (
    Assessment,
    Household,
    HouseholdSource,
    HouseholdStatus,
    Objection,
    ReviewEntry,
    ReviewRound,
    RoundState,
    RoundStep,
)
from ..selectors import officer_scopes
from ..selectors_review import CLASSIFICATION_LABELS
from .households import household_assess

# Classifications that put a household on next year's list.
LISTED_CLASSIFICATIONS = ("poor", "near_poor")
# A household "asked" while its request is still open (Form 01).
ASKING_STATUSES = (HouseholdStatus.SUBMITTED, HouseholdStatus.UNDER_REVIEW, HouseholdStatus.NEEDS_CORRECTION)

MIN_OBJECTION_DAYS = 3
MAX_OBJECTION_DAYS = 30
NOTE_MAX = 400  # RoundStep.note holds 500; the meeting date goes in front
RESOLUTION_MAX = 2000
OBJECTION_NAME_MAX = 120
OBJECTION_TEXT_MIN = 10
OBJECTION_TEXT_MAX = 2000
OBJECTIONS_PER_ADDRESS_PER_HOUR = 5

# The step each state leads to, for "what comes next" on the page and the errors.
NEXT_STATE: dict[str, str | None] = {
    RoundState.OPEN: RoundState.LISTED,
    RoundState.LISTED: RoundState.SCORED,
    RoundState.SCORED: RoundState.AGREED,
    RoundState.AGREED: RoundState.PUBLISHED,
    RoundState.PUBLISHED: RoundState.RECOGNISED,
    RoundState.RECOGNISED: None,
}


@dataclass(frozen=True)
class ScoreReport:
    """What ``review_round_score`` did: how many were scored, and who could not be (unverified)."""

    round: ReviewRound
    scored: int
    unverified: list[Household] = field(default_factory=list)


# --- Dates ------------------------------------------------------------------------------------


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def round_date(year: int, *, today: date | None = None) -> date:
    """The date a round of ``year`` assesses on: today, or 31 December for last year's round.

    Assessments are filed under the year of this date, so a round finished
    in January still files its results under its own year.
    """
    day = _today(today)
    return day if day.year == year else date(year, 12, 31)


def working_days_after(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (Saturdays and Sundays skipped).

    Public holidays are not known to the platform; the commune extends the
    window by choosing more days when one falls inside it.
    """
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return day


def standard_on(day: date) -> str:
    """The code of the national standard in force on ``day`` (``DomainError`` when there is none)."""
    return standards.in_force(day).code


# --- Checks shared by the steps --------------------------------------------------------------


def _check_covers(actor: Any, commune: Commune) -> None:
    if not scopes_cover(officer_scopes(actor), province_code=commune.province_id, commune_code=commune.pk):
        raise NotFound(_("Không tìm thấy đợt rà soát này trong địa bàn của bạn."), code="round_not_found")


def _locked(actor: Any, round: ReviewRound) -> ReviewRound:
    """The round re-read under a row lock, if ``actor``'s area covers its commune."""
    locked = (
        ReviewRound.objects.select_for_update(of=("self",))
        .select_related("commune__province")
        .filter(pk=round.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("Không tìm thấy đợt rà soát này trong địa bàn của bạn."), code="round_not_found")
    _check_covers(actor, locked.commune)
    return locked


def _expect(round: ReviewRound, *states: str) -> None:
    """Refuse a step taken out of order, saying where the round stands and what comes next."""
    if round.state in states:
        return
    if round.state == RoundState.RECOGNISED:
        raise DomainError(
            _("Đợt rà soát này đã được xã công nhận: không thay đổi được nữa."),
            code="round_closed",
            status=409,
        )
    upcoming = NEXT_STATE.get(round.state)
    raise DomainError(
        _("Chưa làm được bước này: đợt rà soát đang ở bước “%(state)s”, bước tiếp theo là “%(next)s”."),
        code="step_out_of_order",
        status=409,
        params={
            "state": RoundState(round.state).label,
            "next": RoundState(upcoming).label if upcoming else "",
        },
    )


def _step(*, actor: Any, round: ReviewRound, state: str, note: str = "", action: str) -> RoundStep:
    """Move the round to ``state``: save it, add the history line and the audit entry."""
    before = round.state
    round.state = state
    round.save()
    step = RoundStep.objects.create(round=round, state=state, at=timezone.now(), by=actor, note=note[:500])
    audit_record(
        actor=actor,
        action=action,
        target=round,
        changes={"state": (before, state)},
        reason=note,
    )
    return step


def _clean_text(value: str | None, *, required: Any, too_long: Any, limit: int, code: str) -> str:
    text = nfc(value or "")
    if not text and required:
        raise DomainError(required, code=f"{code}_required")
    if len(text) > limit:
        raise DomainError(too_long, code=f"{code}_too_long", params={"max": limit})
    return text


# --- The steps --------------------------------------------------------------------------------


@transaction.atomic
def review_round_open(*, actor: Any, commune: Commune, year: int, today: date | None = None) -> ReviewRound:
    """Open the review of ``year`` for ``commune``, under the standard in force on the round's date.

    One round per commune and year (409 for a second). ``year`` is this year
    or, to catch up in January, last year.
    """
    _check_covers(actor, commune)
    day = _today(today)
    if year not in (day.year, day.year - 1):
        raise DomainError(
            _("Chỉ mở được đợt rà soát của năm nay (%(this)s) hoặc năm trước (%(last)s)."),
            code="year_invalid",
            params={"this": day.year, "last": day.year - 1},
        )
    exists = DomainError(
        _("Xã/phường này đã có đợt rà soát năm %(year)s."),
        code="round_exists",
        status=409,
        params={"year": year},
    )
    if ReviewRound.objects.filter(commune=commune, year=year).exists():
        raise exists
    standard = standard_on(round_date(year, today=day))
    try:
        with transaction.atomic():  # two officers opening the same round at once: one wins
            round = ReviewRound.objects.create(
                commune=commune, year=year, standard=standard, state=RoundState.OPEN
            )
    except IntegrityError:
        raise exists from None
    RoundStep.objects.create(round=round, state=RoundState.OPEN, at=timezone.now(), by=actor)
    audit_record(
        actor=actor,
        action="review_round_opened",
        target=round,
        changes={"year": (None, year), "standard": (None, standard)},
    )
    return round


def review_candidates(round: ReviewRound) -> dict[int, str]:
    """Household id → why it belongs on the round's list (last year's list wins over a request)."""
    in_commune = Household.objects.filter(commune_id=round.commune_id)
    last_list = in_commune.filter(
        assessments__year=round.year - 1,
        assessments__recognised=True,
        assessments__classification__in=LISTED_CLASSIFICATIONS,
    ).values_list("pk", flat=True)
    asked = in_commune.filter(
        Q(source=HouseholdSource.SELF, created_at__year=round.year) | Q(status__in=ASKING_STATUSES)
    ).values_list("pk", flat=True)
    why: dict[int, str] = dict.fromkeys(asked, ReviewEntry.Why.REQUESTED)
    why.update(dict.fromkeys(last_list, ReviewEntry.Why.ON_LAST_LIST))
    return why


@transaction.atomic
def review_round_list(*, actor: Any, round: ReviewRound) -> ReviewRound:
    """Build the list: last year's recognised poor and near-poor households, plus those who asked.

    Idempotent: run again before scoring, it adds only households not yet
    listed (a request that came in since) and changes nothing when there are none.
    """
    locked = _locked(actor, round)
    _expect(locked, RoundState.OPEN, RoundState.LISTED)
    listed = set(ReviewEntry.objects.filter(round=locked).values_list("household_id", flat=True))
    new = [
        ReviewEntry(round=locked, household_id=household_id, why=why)
        for household_id, why in sorted(review_candidates(locked).items())
        if household_id not in listed
    ]
    ReviewEntry.objects.bulk_create(new)
    if locked.state == RoundState.LISTED and not new:
        return locked
    total = len(listed) + len(new)
    on_last = sum(1 for entry in new if entry.why == ReviewEntry.Why.ON_LAST_LIST)
    with translation.override("vi"):  # the history is a public record, kept in the commune's language
        note = gettext("%(total)s hộ (thêm %(new)s: %(last)s hộ năm trước, %(asked)s hộ đề nghị)") % {
            "total": total,
            "new": len(new),
            "last": on_last,
            "asked": len(new) - on_last,
        }
    _step(actor=actor, round=locked, state=RoundState.LISTED, note=note, action="review_round_listed")
    return locked


@transaction.atomic
def review_round_score(*, actor: Any, round: ReviewRound, today: date | None = None) -> ScoreReport:
    """Assess every listed household on verified data and link its assessment to the list.

    An unverified household is not scored (and loses the result of an
    earlier scoring, if its data changed since): it is returned in
    ``unverified`` so the officer can verify it and score again (allowed
    until the village meeting has agreed).
    """
    locked = _locked(actor, round)
    _expect(locked, RoundState.LISTED, RoundState.SCORED)
    on = round_date(locked.year, today=today)
    entries = list(
        ReviewEntry.objects.filter(round=locked).select_related("household").order_by("household__reference")
    )
    if not entries:
        raise DomainError(_("Danh sách chưa có hộ nào để chấm điểm."), code="list_empty", status=409)
    scored: list[ReviewEntry] = []
    unverified: list[Household] = []
    changed: list[ReviewEntry] = []
    for entry in entries:
        if entry.household.status != HouseholdStatus.VERIFIED:
            unverified.append(entry.household)
            if entry.assessment_id is not None:  # changed since the last scoring: its result no longer holds
                entry.assessment = None
                entry.updated_at = timezone.now()
                changed.append(entry)
            continue
        assessment = household_assess(household=entry.household, actor=actor, on=on)
        if assessment.standard != locked.standard:
            raise DomainError(
                _("Chuẩn nghèo ngày %(day)s khác với chuẩn của đợt rà soát (%(standard)s)."),
                code="standard_mismatch",
                status=409,
                params={"day": on.strftime("%d/%m/%Y"), "standard": locked.standard},
            )
        entry.assessment = assessment
        entry.updated_at = timezone.now()
        scored.append(entry)
    ReviewEntry.objects.bulk_update(scored + changed, ["assessment", "updated_at"])
    with translation.override("vi"):
        note = gettext("Đã chấm %(scored)s hộ; %(unverified)s hộ chưa xác minh, chưa chấm.") % {
            "scored": len(scored),
            "unverified": len(unverified),
        }
    _step(actor=actor, round=locked, state=RoundState.SCORED, note=note, action="review_round_scored")
    return ScoreReport(round=locked, scored=len(scored), unverified=unverified)


@transaction.atomic
def review_round_agree(
    *, actor: Any, round: ReviewRound, meeting_date: date, note: str = "", today: date | None = None
) -> ReviewRound:
    """Record that the village meeting agreed the scored list on ``meeting_date`` (not in the future).

    Refused while a listed household has no result yet: the meeting agrees
    on every household on the list.
    """
    note = _clean_text(
        note, required=None, too_long=_("Ghi chú dài quá: tối đa %(max)s ký tự."), limit=NOTE_MAX, code="note"
    )
    day = _today(today)
    if meeting_date > day:
        raise DomainError(_("Ngày họp thôn không thể ở tương lai."), code="meeting_in_future")
    locked = _locked(actor, round)
    _expect(locked, RoundState.SCORED)
    if meeting_date.year < locked.year:
        raise DomainError(
            _("Ngày họp thôn phải trong năm %(year)s hoặc sau đó."),
            code="meeting_too_early",
            params={"year": locked.year},
        )
    unscored = ReviewEntry.objects.filter(round=locked, assessment__isnull=True).count()
    if unscored:
        raise DomainError(
            _("Còn %(count)s hộ chưa có kết quả (chưa xác minh). Hãy xác minh rồi bấm “Chấm điểm lại”."),
            code="entries_unscored",
            status=409,
            params={"count": unscored},
        )
    with translation.override("vi"):
        line = gettext("Họp thôn ngày %(date)s") % {"date": meeting_date.strftime("%d/%m/%Y")}
    _step(
        actor=actor,
        round=locked,
        state=RoundState.AGREED,
        note=f"{line}. {note}" if note else line,
        action="review_round_agreed",
    )
    return locked


@transaction.atomic
def review_round_publish(
    *, actor: Any, round: ReviewRound, days: int, today: date | None = None
) -> ReviewRound:
    """Post the agreed result; objections are received until ``days`` working days after today."""
    if not MIN_OBJECTION_DAYS <= days <= MAX_OBJECTION_DAYS:
        raise DomainError(
            _("Thời gian nhận ý kiến phải từ %(min)s đến %(max)s ngày làm việc."),
            code="days_invalid",
            params={"min": MIN_OBJECTION_DAYS, "max": MAX_OBJECTION_DAYS},
        )
    locked = _locked(actor, round)
    _expect(locked, RoundState.AGREED)
    locked.objections_until = working_days_after(_today(today), days)
    with translation.override("vi"):
        note = gettext("Niêm yết; nhận ý kiến đến hết ngày %(date)s (%(days)s ngày làm việc)") % {
            "date": locked.objections_until.strftime("%d/%m/%Y"),
            "days": days,
        }
    _step(actor=actor, round=locked, state=RoundState.PUBLISHED, note=note, action="review_round_published")
    return locked


def objection_window_open(round: ReviewRound, *, today: date | None = None) -> bool:
    """Whether the posted result still takes objections (to the end of ``objections_until``)."""
    return (
        round.state == RoundState.PUBLISHED
        and round.objections_until is not None
        and _today(today) <= round.objections_until
    )


@transaction.atomic
def objection_receive(
    *,
    round: ReviewRound,
    from_name: str,
    text: str,
    entry: ReviewEntry | None = None,
    household: Household | None = None,
    actor: Any | None = None,
    ip_address: str | None = None,
    today: date | None = None,
) -> Objection:
    """Take an objection to the posted result, from anyone, while the window is open.

    ``entry`` (or ``household``, if it is on the list) names the household
    it is about; neither means the list as a whole. At most
    ``OBJECTIONS_PER_ADDRESS_PER_HOUR`` from one address per round and hour.
    """
    from_name = _clean_text(
        from_name,
        required=_("Hãy ghi tên người gửi."),
        too_long=_("Tên dài quá: tối đa %(max)s ký tự."),
        limit=OBJECTION_NAME_MAX,
        code="name",
    )
    text = _clean_text(
        text,
        required=_("Hãy ghi nội dung ý kiến."),
        too_long=_("Nội dung dài quá: tối đa %(max)s ký tự."),
        limit=OBJECTION_TEXT_MAX,
        code="text",
    )
    if len(text) < OBJECTION_TEXT_MIN:
        raise DomainError(
            _("Nội dung ngắn quá: hãy ghi rõ hộ nào và vì sao (ít nhất %(min)s ký tự)."),
            code="text_too_short",
            params={"min": OBJECTION_TEXT_MIN},
        )
    locked = ReviewRound.objects.select_for_update().filter(pk=round.pk).first()
    if locked is None:
        raise NotFound(_("Không tìm thấy đợt rà soát này."), code="round_not_found")
    if locked.state != RoundState.PUBLISHED:
        raise DomainError(
            _("Danh sách này không trong thời gian nhận ý kiến."), code="objections_closed", status=409
        )
    if not objection_window_open(locked, today=today):
        assert locked.objections_until is not None
        raise DomainError(
            _("Đã hết hạn nhận ý kiến (hạn cuối: hết ngày %(date)s)."),
            code="objections_closed",
            status=409,
            params={"date": locked.objections_until.strftime("%d/%m/%Y")},
        )
    if household is not None and entry is None:
        entry = ReviewEntry.objects.filter(round=locked, household=household).first()
        if entry is None:
            raise DomainError(_("Hộ này không có trong danh sách rà soát."), code="entry_unknown")
    if entry is not None and entry.round_id != locked.pk:
        raise DomainError(_("Hộ này không có trong danh sách rà soát."), code="entry_unknown")
    if ip_address and _recent_objections_from(locked, ip_address) >= OBJECTIONS_PER_ADDRESS_PER_HOUR:
        raise DomainError(
            _("Bạn đã gửi nhiều ý kiến trong một giờ qua. Hãy thử lại sau, hoặc gặp cán bộ xã."),
            code="throttled",
            status=429,
        )
    objection = Objection.objects.create(
        round=locked, entry=entry, from_name=from_name, text=text, received_at=timezone.now()
    )
    audit_record(
        actor=actor,
        action="review_objection_received",
        target=locked,
        changes={"objection": (None, objection.pk), "entry": (None, entry.pk if entry else None)},
        ip_address=ip_address,
    )
    return objection


def _recent_objections_from(round: ReviewRound, ip_address: str) -> int:
    """Objections to ``round`` sent from ``ip_address`` in the last hour (from the audit trail)."""
    return AuditEntry.objects.filter(
        action="review_objection_received",
        object_id=str(round.pk),
        ip_address=ip_address,
        at__gte=timezone.now() - timedelta(hours=1),
    ).count()


@transaction.atomic
def objection_resolve(*, actor: Any, objection: Objection, resolution: str) -> Objection:
    """Record how the commune answered an objection (once; 409 if it already was)."""
    resolution = _clean_text(
        resolution,
        required=_("Hãy ghi cách giải quyết ý kiến."),
        too_long=_("Nội dung dài quá: tối đa %(max)s ký tự."),
        limit=RESOLUTION_MAX,
        code="resolution",
    )
    locked_round = _locked(actor, objection.round)
    _expect(locked_round, RoundState.PUBLISHED)
    locked = Objection.objects.select_for_update().get(pk=objection.pk)
    if locked.resolved_at is not None:
        raise DomainError(_("Ý kiến này đã được giải quyết rồi."), code="objection_resolved", status=409)
    locked.resolution = resolution
    locked.resolved_by = actor
    locked.resolved_at = timezone.now()
    locked.save()
    audit_record(
        actor=actor,
        action="review_objection_resolved",
        target=locked_round,
        changes={"objection": (None, locked.pk)},
        reason=resolution[:500],
    )
    return locked


def recognise_refusal(
    round: ReviewRound, *, open_objections: int, today: date | None = None
) -> DomainError | None:
    """Why the round cannot be recognised now, or ``None``; the page shows it beside the button."""
    if round.state != RoundState.PUBLISHED:
        return None  # ``_expect`` speaks for a step out of order
    if objection_window_open(round, today=today):
        assert round.objections_until is not None
        return DomainError(
            _("Còn đang nhận ý kiến đến hết ngày %(date)s. Công nhận được từ ngày hôm sau."),
            code="window_open",
            status=409,
            params={"date": round.objections_until.strftime("%d/%m/%Y")},
        )
    if open_objections:
        return DomainError(
            _("Còn %(count)s ý kiến chưa giải quyết. Hãy giải quyết hết rồi mới công nhận."),
            code="objections_open",
            status=409,
            params={"count": open_objections},
        )
    return None


def _result_sms(round: ReviewRound, household: Household, classification: str) -> str:
    """The SMS to the household, in Vietnamese whatever the officer's page language."""
    with translation.override("vi"):
        return gettext(
            "Kết Nối: %(commune)s đã công nhận kết quả rà soát năm %(year)s. Hộ %(reference)s: %(result)s."
        ) % {
            "commune": round.commune.name,
            "year": round.year,
            "reference": household.reference,
            "result": str(CLASSIFICATION_LABELS.get(classification, classification)),
        }


@transaction.atomic
def review_round_recognise(*, actor: Any, round: ReviewRound, today: date | None = None) -> ReviewRound:
    """The commune recognises the result: every listed household's assessment becomes recognised.

    Only after the objection window has closed and every objection is
    resolved. Each household with a contact phone gets its result by SMS
    once the transaction commits.
    """
    locked = _locked(actor, round)
    _expect(locked, RoundState.PUBLISHED)
    refusal = recognise_refusal(
        locked,
        open_objections=Objection.objects.filter(round=locked, resolved_at__isnull=True).count(),
        today=today,
    )
    if refusal is not None:
        raise refusal
    entries = list(
        ReviewEntry.objects.filter(round=locked, assessment__isnull=False).select_related(
            "household", "assessment"
        )
    )
    Assessment.objects.filter(pk__in=[e.assessment_id for e in entries]).update(
        recognised=True, updated_at=timezone.now()
    )
    for entry in entries:
        assert entry.assessment is not None
        audit_record(
            actor=actor,
            action="assessment_recognised",
            target=entry.household,
            changes={"recognised": (False, True)},
            reason=f"{locked.year} {locked.standard} {entry.assessment.classification}",
        )
    _step(
        actor=actor,
        round=locked,
        state=RoundState.RECOGNISED,
        note=_count_note(len(entries)),
        action="review_round_recognised",
    )
    _results_send(locked, entries)
    return locked


def _count_note(count: int) -> str:
    with translation.override("vi"):
        return gettext("%(count)s hộ được công nhận") % {"count": count}


def _results_send(round: ReviewRound, entries: Iterable[ReviewEntry]) -> None:
    for entry in entries:
        if entry.household.contact_phone and entry.assessment is not None:
            message_send(
                to=entry.household.contact_phone,
                text=_result_sms(round, entry.household, entry.assessment.classification),
            )
