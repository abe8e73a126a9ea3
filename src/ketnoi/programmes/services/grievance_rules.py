"""The rules of complaints that reads and writes share: the service standard (deadlines),
the at-risk and breached flags, who may see a complaint, and tracking codes.

Kept apart from ``grievances`` (the writes) so that the selectors can use
them without importing the services.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ketnoi.core.scopes import scope_q

from ..access import programme_scopes
from ..models import Grievance

Category = Grievance.Category
State = Grievance.State

# --- The service standard (data) ----------------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    """How long the office has: ``days`` calendar days, or working days (Monday–Friday)."""

    days: int
    working: bool = False

    def due_from(self, start: datetime) -> datetime:
        """The moment the allowance runs out, counted from ``start`` in local time.

        Working days skip Saturdays and Sundays (public holidays are not
        counted out: the standard errs on the short side).
        """
        local = timezone.localtime(start)
        if not self.working:
            return local + timedelta(days=self.days)
        day, left = local, self.days
        while left:
            day += timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
        return day

    @property
    def longest(self) -> timedelta:
        """The longest calendar span this allowance can take (a start on Friday evening)."""
        if not self.working:
            return timedelta(days=self.days)
        weeks, rest = divmod(self.days, 5)
        return timedelta(days=weeks * 7 + rest + 2)


# The programme's service standard: the time the office promises to answer each kind of
# complaint in, and an appeal (shorter: the facts are already gathered). It is a promise to
# the people served, not a law; a programme may adjust it here, in this one table.
SERVICE_STANDARD: dict[str, tuple[Allowance, Allowance]] = {
    # (first answer, answer to an appeal)
    Category.ABUSE: (Allowance(3), Allowance(2)),  # someone may be in danger: calendar days
    Category.NOT_PAID: (Allowance(10, working=True), Allowance(5, working=True)),
    Category.WRONG_AMOUNT: (Allowance(10, working=True), Allowance(5, working=True)),
    Category.WRONGLY_EXCLUDED: (Allowance(15, working=True), Allowance(7, working=True)),
    Category.DATA_ERROR: (Allowance(15, working=True), Allowance(7, working=True)),
    Category.OTHER: (Allowance(15, working=True), Allowance(7, working=True)),
}
APPEAL_WINDOW = timedelta(days=30)  # after the resolution; one appeal only
AT_RISK_SHARE = 0.25  # at risk when less than this share of the allowed time is left…
AT_RISK_MIN = timedelta(days=1)  # …or less than a day
# Nothing due later than this from now can be at risk: lets a query narrow before the exact check.
AT_RISK_HORIZON = max(
    AT_RISK_MIN, *(a.longest * AT_RISK_SHARE for pair in SERVICE_STANDARD.values() for a in pair)
)

ACTIVE_STATES: tuple[str, ...] = (State.OPEN, State.IN_PROGRESS, State.APPEALED)


# --- Flags ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrievanceFlags:
    """Where a grievance stands against its deadline; ``time_left`` is negative once past due."""

    at_risk: bool
    breached: bool
    time_left: timedelta


def grievance_flags(grievance: Grievance, now: datetime | None = None) -> GrievanceFlags:
    """At risk: still in time but less than a quarter of the allowed time (or a day) is left.
    Breached: past due while not resolved or closed. A resolved or closed one has no flag."""
    now = now or timezone.now()
    left = grievance.due_at - now
    if grievance.state not in ACTIVE_STATES:
        return GrievanceFlags(at_risk=False, breached=False, time_left=left)
    if now > grievance.due_at:
        return GrievanceFlags(at_risk=False, breached=True, time_left=left)
    start = grievance.appealed_at if grievance.state == State.APPEALED and grievance.appealed_at else None
    allowed = grievance.due_at - (start or grievance.created_at)
    return GrievanceFlags(
        at_risk=left < max(AT_RISK_MIN, allowed * AT_RISK_SHARE), breached=False, time_left=left
    )


# --- Who sees what --------------------------------------------------------------------------


def grievance_visibility_q(user: Any) -> Q:
    """The grievances ``user`` may see and act on, as a ``Q``.

    Those in her areas; but an abuse report only for a province or national
    scope, or when it was handed to her by name.
    """
    scopes = programme_scopes(user)
    wide = [scope for scope in scopes if scope.commune_code is None]
    in_area = scope_q(scopes)
    return in_area & (~Q(category=Category.ABUSE) | scope_q(wide) | Q(assigned_to=user.pk))


def grievance_visible(user: Any, grievance: Grievance) -> bool:
    """Whether ``user`` may see ``grievance`` (one query)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Grievance.objects.filter(grievance_visibility_q(user), pk=grievance.pk).exists()


# --- Tracking codes -------------------------------------------------------------------------


def tracking_code_normalize(code: str) -> str:
    """What the person typed, as stored: capitals, no spaces or dashes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def tracking_code_hash(reference: str, code: str) -> str:
    """The keyed hash stored for an anonymous complaint's tracking code (bound to its reference)."""
    return salted_hmac(
        "ketnoi.programmes.grievance",
        f"{reference}|{tracking_code_normalize(code)}",
        algorithm="sha256",
    ).hexdigest()


def tracking_code_matches(grievance: Grievance, code: str) -> bool:
    """Whether ``code`` is this grievance's tracking code (constant-time)."""
    if not grievance.tracking_code_hash or not tracking_code_normalize(code):
        return False
    return hmac.compare_digest(grievance.tracking_code_hash, tracking_code_hash(grievance.reference, code))


def appeal_open_until(grievance: Grievance) -> datetime | None:
    """Until when the complainant may appeal (``None``: she may not, or no longer)."""
    if grievance.state != State.RESOLVED or grievance.appealed_at or grievance.resolved_at is None:
        return None
    return grievance.resolved_at + APPEAL_WINDOW
