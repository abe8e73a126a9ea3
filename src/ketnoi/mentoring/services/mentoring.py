"""Mentor: a plan per accepted match, its milestones and sessions, and completing the match.

Who may do what (checked here, whatever page or command calls):

* the mentor's side is the partner of the match (``match.partner.user``);
* the seller's side is the seller's leader or a member;
* an officer is a programme officer of the seller's province, or an
  administrator.

The mentor or an officer writes the plan, records sessions and completes
the match; either side (or an officer) adds milestones, marks them done and
schedules sessions. Every write is audited; scheduling a session texts the
other side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.notify import message_send
from ketnoi.core.text import nfc

from ..models import Match, MentoringPlan, Milestone, Session
from ..selectors import MENTOR, OFFICER, SELLER, mentoring_sides

MAX_GOALS = 4000
MAX_TITLE = 200
MAX_NOTES = 4000
MAX_NEXT_STEPS = 2000
MAX_MILESTONES = 30
MAX_SESSIONS = 100
SCHEDULE_PAST = timedelta(days=90)  # a session held and not yet written down may be entered late
SCHEDULE_AHEAD = timedelta(days=366)
RECORD_EARLY = timedelta(hours=1)  # a session can be written down from shortly before it starts

_SMS_SESSION = _(
    "Kết Nối: buổi tư vấn giữa %(seller)s và %(mentor)s lúc %(when)s. Trả lời cố vấn nếu cần đổi giờ."
)


def _require(sides: frozenset[str], allowed: Iterable[str], message: Any) -> None:
    if not sides & set(allowed):
        raise PermissionDenied(message, code="mentoring_forbidden")


_ONLY_MENTOR = _("Chỉ cố vấn của kết nối này hoặc cán bộ chương trình phụ trách mới làm được việc này.")
_ONLY_PARTIES = _("Chỉ hai bên của kết nối này hoặc cán bộ chương trình phụ trách mới làm được việc này.")


def _locked_match(match: Match) -> Match:
    return (
        Match.objects.select_for_update(of=("self",))
        .select_related("seller__commune", "seller__leader", "partner__user")
        .get(pk=match.pk)
    )


def _open_plan(plan: MentoringPlan) -> tuple[MentoringPlan, Match]:
    """The plan with its match locked; refused once the match is no longer accepted."""
    match = _locked_match(plan.match)
    plan = MentoringPlan.objects.get(pk=plan.pk)
    plan.match = match
    if match.state != Match.State.ACCEPTED:
        raise DomainError(
            _("Kết nối này đã %(state)s, không sửa kế hoạch được nữa."),
            code="plan_closed",
            params={"state": str(match.get_state_display()).lower()},
            status=409,
        )
    return plan, match


# --- Checks on what people type -------------------------------------------------------------------


def _text(value: Any, *, label: Any, max_length: int, required: bool) -> str:
    text = nfc(str(value or ""))
    if required and not text:
        raise DomainError(_("Hãy ghi %(field)s."), code="required", params={"field": label}, status=422)
    if len(text) > max_length:
        raise DomainError(
            _("%(field)s dài quá %(max)s ký tự."),
            code="too_long",
            params={"field": label, "max": max_length},
            status=422,
        )
    return text


def _due(value: Any) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise DomainError(_("Hãy chọn ngày hạn của mốc."), code="due_invalid", status=422)
    return value


def _milestone_specs(milestones: Iterable[Any]) -> list[tuple[str, date]]:
    specs = []
    for item in milestones:
        if isinstance(item, Mapping):
            title, due_on = item.get("title"), item.get("due_on")
        else:
            title, due_on = item
        specs.append((_text(title, label=_("tên mốc"), max_length=MAX_TITLE, required=True), _due(due_on)))
    if len(specs) > MAX_MILESTONES:
        raise DomainError(
            _("Một kế hoạch có tối đa %(max)s mốc."),
            code="too_many_milestones",
            params={"max": MAX_MILESTONES},
        )
    return specs


# --- The plan -----------------------------------------------------------------------------------


@transaction.atomic
def plan_create(match: Match, *, actor: Any, goals: str, milestones: Iterable[Any] = ()) -> MentoringPlan:
    """Write the mentoring plan of an accepted match (one per match): goals and dated milestones.

    ``milestones``: ``(title, due_on)`` pairs or ``{"title", "due_on"}``.
    Only the mentor's side or an officer; 409 when the match is not
    accepted or already has a plan; 422 on empty or overlong text.
    """
    match = _locked_match(match)
    _require(mentoring_sides(actor, match), (MENTOR, OFFICER), _ONLY_MENTOR)
    if match.state != Match.State.ACCEPTED:
        raise DomainError(
            _("Chỉ lập được kế hoạch khi cả hai bên đã đồng ý kết nối."),
            code="match_not_accepted",
            status=409,
        )
    if MentoringPlan.objects.filter(match=match).exists():
        raise DomainError(_("Kết nối này đã có kế hoạch cố vấn."), code="plan_exists", status=409)
    text = _text(goals, label=_("mục tiêu"), max_length=MAX_GOALS, required=True)
    specs = _milestone_specs(milestones)
    plan = MentoringPlan.objects.create(match=match, goals=text)
    Milestone.objects.bulk_create([Milestone(plan=plan, title=t, due_on=d) for t, d in specs])
    audit_record(
        actor=actor,
        action="mentoring.plan_create",
        target=plan,
        changes={"goals": (None, text), "milestones": (None, [f"{d:%Y-%m-%d} {t}" for t, d in specs])},
    )
    return plan


@transaction.atomic
def plan_goals_update(plan: MentoringPlan, *, actor: Any, goals: str) -> MentoringPlan:
    """Rewrite the plan's goals (the mentor's side or an officer)."""
    plan, match = _open_plan(plan)
    _require(mentoring_sides(actor, match), (MENTOR, OFFICER), _ONLY_MENTOR)
    text = _text(goals, label=_("mục tiêu"), max_length=MAX_GOALS, required=True)
    if text != plan.goals:
        audit_record(
            actor=actor, action="mentoring.plan_goals", target=plan, changes={"goals": (plan.goals, text)}
        )
        plan.goals = text
        plan.save(update_fields=["goals", "updated_at"])
    return plan


@transaction.atomic
def milestone_add(plan: MentoringPlan, *, actor: Any, title: str, due_on: date) -> Milestone:
    """Add a dated milestone to an open plan (either side or an officer)."""
    plan, match = _open_plan(plan)
    _require(mentoring_sides(actor, match), (SELLER, MENTOR, OFFICER), _ONLY_PARTIES)
    ((text, due),) = _milestone_specs([(title, due_on)])
    if plan.milestones.count() >= MAX_MILESTONES:
        raise DomainError(
            _("Một kế hoạch có tối đa %(max)s mốc."),
            code="too_many_milestones",
            params={"max": MAX_MILESTONES},
        )
    milestone = Milestone.objects.create(plan=plan, title=text, due_on=due)
    audit_record(
        actor=actor,
        action="mentoring.milestone_add",
        target=plan,
        changes={"milestone": (None, f"{due:%Y-%m-%d} {text}")},
    )
    return milestone


@transaction.atomic
def milestone_done(milestone: Milestone, *, actor: Any, done_on: date | None = None) -> Milestone:
    """Mark a milestone reached (either side or an officer); marking it again changes nothing."""
    plan, match = _open_plan(milestone.plan)
    _require(mentoring_sides(actor, match), (SELLER, MENTOR, OFFICER), _ONLY_PARTIES)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.done_on is not None:
        return milestone
    today = timezone.localdate()
    day = done_on or today
    if day > today:
        raise DomainError(_("Ngày hoàn thành không thể ở tương lai."), code="done_in_future", status=422)
    milestone.done_on = day
    milestone.save(update_fields=["done_on"])
    audit_record(
        actor=actor,
        action="mentoring.milestone_done",
        target=plan,
        changes={f"milestone {milestone.pk}": (None, day)},
    )
    return milestone


# --- Sessions -----------------------------------------------------------------------------------


def _when(at: datetime, person: Any) -> str:
    local = timezone.localtime(at)
    with translation.override(getattr(person, "language", "") or "vi"):
        return f"{local:%H:%M} {date_format(local.date(), 'SHORT_DATE_FORMAT')}"


def _tell(person: Any, message: Any, params: dict[str, Any]) -> None:
    with translation.override(getattr(person, "language", "") or "vi"):
        message_send(to=str(person.phone), text=str(message) % params)


@transaction.atomic
def session_schedule(
    plan: MentoringPlan, *, actor: Any, starts_at: datetime, now: datetime | None = None
) -> Session:
    """Put a session in the plan (either side or an officer) and text the other side.

    ``starts_at`` is an aware datetime up to a year ahead, or up to 90 days
    back for a session held but not yet written down.
    """
    plan, match = _open_plan(plan)
    sides = mentoring_sides(actor, match)
    _require(sides, (SELLER, MENTOR, OFFICER), _ONLY_PARTIES)
    if not isinstance(starts_at, datetime) or timezone.is_naive(starts_at):
        raise DomainError(_("Hãy chọn ngày và giờ của buổi tư vấn."), code="starts_at_invalid", status=422)
    moment = now or timezone.now()
    if not moment - SCHEDULE_PAST <= starts_at <= moment + SCHEDULE_AHEAD:
        raise DomainError(
            _("Chỉ hẹn được buổi tư vấn trong một năm tới, hoặc ghi lại buổi đã qua trong 90 ngày."),
            code="starts_at_range",
            status=422,
        )
    if plan.sessions.count() >= MAX_SESSIONS:
        raise DomainError(
            _("Một kế hoạch có tối đa %(max)s buổi."), code="too_many_sessions", params={"max": MAX_SESSIONS}
        )
    session = Session.objects.create(plan=plan, starts_at=starts_at)
    audit_record(
        actor=actor, action="mentoring.session_schedule", target=plan, changes={"session": (None, starts_at)}
    )
    if starts_at > moment:
        leader, mentor = match.seller.leader, match.partner.user
        for person in (leader, mentor):
            if person.pk == getattr(actor, "pk", None):
                continue  # she set it herself
            _tell(
                person,
                _SMS_SESSION,
                {
                    "seller": match.seller.name,
                    "mentor": match.partner.organisation,
                    "when": _when(starts_at, person),
                },
            )
    return session


@transaction.atomic
def session_record(
    session: Session,
    *,
    actor: Any,
    notes: str,
    next_steps: str = "",
    held: bool = True,
    now: datetime | None = None,
) -> Session:
    """Write down what a session covered and the steps agreed (the mentor's side or an officer).

    ``held=False`` records that it did not take place (notes say why). A
    session that has not started yet cannot be recorded as held.
    """
    plan, match = _open_plan(session.plan)
    _require(mentoring_sides(actor, match), (MENTOR, OFFICER), _ONLY_MENTOR)
    session = Session.objects.select_for_update().get(pk=session.pk)
    moment = now or timezone.now()
    if held and session.starts_at > moment + RECORD_EARLY:
        raise DomainError(
            _("Buổi này chưa diễn ra (hẹn lúc %(when)s), chưa ghi kết quả được."),
            code="session_not_yet",
            params={"when": _when(session.starts_at, actor)},
            status=422,
        )
    values = {
        "notes": _text(notes, label=_("ghi chép"), max_length=MAX_NOTES, required=True),
        "next_steps": _text(next_steps, label=_("việc tiếp theo"), max_length=MAX_NEXT_STEPS, required=False),
        "held": bool(held),
    }
    before = {name: getattr(session, name) for name in values}
    for name, value in values.items():
        setattr(session, name, value)
    session.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    session.save(update_fields=[*values, "recorded_by"])
    audit_record(
        actor=actor,
        action="mentoring.session_record",
        target=plan,
        changes={
            f"session {session.pk}.{name}": (before[name], value)
            for name, value in values.items()
            if before[name] != value
        },
    )
    return session


# --- Completing the match -------------------------------------------------------------------------


@transaction.atomic
def match_complete(match: Match, *, actor: Any, now: datetime | None = None) -> Match:
    """Close an accepted match as completed (the mentor's side or an officer). 409 from any other state."""
    match = _locked_match(match)
    _require(mentoring_sides(actor, match), (MENTOR, OFFICER), _ONLY_MENTOR)
    if match.state != Match.State.ACCEPTED:
        raise DomainError(
            _("Chỉ kết nối mà hai bên đã đồng ý mới hoàn thành được (kết nối này: %(state)s)."),
            code="match_not_accepted",
            params={"state": str(match.get_state_display()).lower()},
            status=409,
        )
    match.state = Match.State.COMPLETED
    match.completed_at = now or timezone.now()
    match.save(update_fields=["state", "completed_at", "updated_at"])
    audit_record(
        actor=actor,
        action="mentoring.match_complete",
        target=match,
        changes={"state": (Match.State.ACCEPTED, Match.State.COMPLETED)},
    )
    return match
