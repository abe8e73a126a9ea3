"""Reminders by SMS: the day before a mentoring session, and once a milestone is overdue.

Each reminder goes to both sides (the seller's leader and the mentor) once:
its key (``session:<id>:<start>`` or ``milestone:<id>:<due>``) is written
to ``Reminder`` in the same transaction that queues the messages, and the
key is unique, so a second run (or two runs at once) sends nothing more. A
session moved to another time, or a milestone given a new date, has a new
key and is reminded again. Only plans of matches still accepted are
reminded; sessions already written down are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from ketnoi.core.notify import message_send

from ..models import Match, Milestone, Reminder, Session

_SMS_SESSION_TOMORROW = _(
    "Kết Nối nhắc lịch: ngày mai lúc %(time)s có buổi tư vấn giữa %(seller)s và %(mentor)s."
)
_SMS_MILESTONE_OVERDUE = _(
    "Kết Nối: mốc “%(title)s” trong kế hoạch cố vấn của %(seller)s đã quá hạn %(due)s. "
    "Hãy cùng cố vấn xem lại và đánh dấu khi xong."
)


@dataclass(frozen=True)
class RemindersSent:
    sessions: int
    milestones: int
    messages: int


def _send(person: Any, message: Any, params: dict[str, Any]) -> None:
    with translation.override(getattr(person, "language", "") or "vi"):
        message_send(to=str(person.phone), text=str(message) % params)


def _once(key: str, moment: datetime) -> bool:
    """Claim ``key``; ``False`` when it was sent already (by this run or another)."""
    try:
        with transaction.atomic():
            _reminder, created = Reminder.objects.get_or_create(key=key, defaults={"sent_at": moment})
    except IntegrityError:  # another run claimed it between our read and our write
        return False
    return created


def reminders_send(*, now: datetime | None = None) -> RemindersSent:
    """Send every reminder due at ``now`` that has not been sent; idempotent (run it hourly or daily)."""
    moment = now or timezone.now()
    today = timezone.localdate(moment)
    tomorrow = today + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, time.min))
    sessions = (
        Session.objects.filter(
            held=False,
            notes="",
            starts_at__gte=start,
            starts_at__lt=start + timedelta(days=1),
            plan__match__state=Match.State.ACCEPTED,
        )
        .select_related("plan__match__seller__leader", "plan__match__partner__user")
        .order_by("starts_at", "pk")
    )
    overdue = (
        Milestone.objects.filter(
            done_on__isnull=True, due_on__lt=today, plan__match__state=Match.State.ACCEPTED
        )
        .select_related("plan__match__seller__leader", "plan__match__partner__user")
        .order_by("due_on", "pk")
    )
    counts = {"sessions": 0, "milestones": 0, "messages": 0}
    for session in sessions:
        local = timezone.localtime(session.starts_at)
        with transaction.atomic():
            if not _once(f"session:{session.pk}:{local:%Y%m%d%H%M}", moment):
                continue
            match = session.plan.match
            for person in (match.seller.leader, match.partner.user):
                _send(
                    person,
                    _SMS_SESSION_TOMORROW,
                    {
                        "time": f"{local:%H:%M}",
                        "seller": match.seller.name,
                        "mentor": match.partner.organisation,
                    },
                )
                counts["messages"] += 1
        counts["sessions"] += 1
    for milestone in overdue:
        with transaction.atomic():
            if not _once(f"milestone:{milestone.pk}:{milestone.due_on:%Y%m%d}", moment):
                continue
            match = milestone.plan.match
            for person in (match.seller.leader, match.partner.user):
                with translation.override(getattr(person, "language", "") or "vi"):
                    due = date_format(milestone.due_on, "SHORT_DATE_FORMAT")
                _send(
                    person,
                    _SMS_MILESTONE_OVERDUE,
                    {"title": milestone.title, "seller": match.seller.name, "due": due},
                )
                counts["messages"] += 1
        counts["milestones"] += 1
    return RemindersSent(**counts)
