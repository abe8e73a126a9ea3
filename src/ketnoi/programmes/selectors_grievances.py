"""Reads about complaints: the officer's queue, one complaint, counts by age, the complainant's view.

Everything an officer reads goes through ``grievance_visibility_q`` (her
areas; abuse reports only at province level). The complainant reaches her
complaint with its reference and her tracking code, or with the phone she
filed with once it is proved by a one-time code.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role, RoleAssignment, User
from ketnoi.core.errors import NotFound
from ketnoi.core.scopes import AreaScope, filter_by_scope

from .models import Grievance, GrievanceEvent, Programme
from .services.grievance_rules import (
    ACTIVE_STATES,
    AT_RISK_HORIZON,
    grievance_flags,
    grievance_visibility_q,
    tracking_code_matches,
)

FLAG_AT_RISK = "at_risk"
FLAG_BREACHED = "breached"
STATE_ACTIVE = "active"  # the queue's default: open, in progress or appealed
STATE_ALL = "all"

# Open grievances by how long ago they were filed, for the dashboard: (key, first day, last day).
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (("0_7", 0, 7), ("8_30", 8, 30), ("over_30", 31, None))


def grievances_for_officer(user: Any) -> QuerySet[Grievance]:
    """The grievances ``user`` may see (her areas; abuse reports only at province level)."""
    if not getattr(user, "is_authenticated", False):
        return Grievance.objects.none()
    return Grievance.objects.filter(grievance_visibility_q(user))


def grievance_for_officer(*, user: Any, reference: str) -> Grievance:
    """One grievance ``user`` may see, with its commune, people and programme; else ``NotFound``.

    Outside her area it is "not found", not "forbidden": the page does not
    tell an officer of commune B that commune A has such a complaint.
    """
    found = (
        grievances_for_officer(user)
        .select_related(
            "commune__province", "programme", "household", "assigned_to", "resolved_by", "filed_by"
        )
        .filter(reference=(reference or "").strip().upper())
        .first()
    )
    if found is None:
        raise NotFound(
            _("Không có phản ánh mã %(reference)s ở địa bàn của bạn."),
            code="grievance_unknown",
            params={"reference": reference},
        )
    return found


def grievance_queue(
    user: Any,
    *,
    state: str = STATE_ACTIVE,
    category: str = "",
    flag: str = "",
    mine: bool = False,
    now: datetime | None = None,
) -> QuerySet[Grievance]:
    """The officer's queue, soonest due first: filtered by state, category, flag, or hers only.

    ``flag`` "breached" keeps those past due; "at_risk" those still in time
    but near their deadline (an extra query narrows by date, then the exact
    rule picks).
    """
    now = now or timezone.now()
    rows = grievances_for_officer(user).select_related("commune", "assigned_to")
    if state == STATE_ACTIVE:
        rows = rows.filter(state__in=ACTIVE_STATES)
    elif state and state != STATE_ALL:
        rows = rows.filter(state=state)
    if category:
        rows = rows.filter(category=category)
    if mine:
        rows = rows.filter(assigned_to=user.pk)
    if flag == FLAG_BREACHED:
        rows = rows.filter(state__in=ACTIVE_STATES, due_at__lt=now)
    elif flag == FLAG_AT_RISK:
        near = rows.filter(state__in=ACTIVE_STATES, due_at__gte=now, due_at__lt=now + AT_RISK_HORIZON)
        ids = [
            g.pk
            for g in near.select_related(None).only("pk", "state", "due_at", "created_at", "appealed_at")
            if grievance_flags(g, now).at_risk
        ]
        rows = rows.filter(pk__in=ids)
    return rows.order_by("due_at", "pk")


def grievances_open_by_age(
    scopes: Iterable[AreaScope], programme: Programme | int | None = None, *, now: datetime | None = None
) -> dict[str, int]:
    """Open grievances (not resolved or closed) in ``scopes`` by days since filing, in one query.

    Returns ``{"0_7": n, "8_30": n, "over_30": n}`` (keys of ``AGE_BUCKETS``,
    in that order). ``programme`` narrows to one programme (object or id).
    """
    rows = filter_by_scope(Grievance.objects.all(), list(scopes))
    if programme is not None:
        rows = rows.filter(programme=programme)
    return grievances_count_by_age(rows, now=now)


def grievances_count_by_age(rows: QuerySet[Grievance], *, now: datetime | None = None) -> dict[str, int]:
    """The open ones of ``rows`` counted by ``AGE_BUCKETS`` (days since filing), in one query."""
    now = now or timezone.now()
    counts: dict[str, Any] = {}
    for key, first, last in AGE_BUCKETS:
        # Filed d whole days ago: d ≥ first ⇔ filed ≤ now − first days;
        # d ≤ last ⇔ filed > now − (last + 1) days.
        condition = Q(created_at__lte=now - timedelta(days=first))
        if last is not None:
            condition &= Q(created_at__gt=now - timedelta(days=last + 1))
        counts[key] = Count("pk", filter=condition)
    totals = rows.filter(state__in=ACTIVE_STATES).aggregate(**counts)
    return {key: int(totals[key] or 0) for key, _first, _last in AGE_BUCKETS}


def grievance_events(grievance: Grievance, *, public_only: bool = False) -> list[GrievanceEvent]:
    """The grievance's history, oldest first; the complainant sees only the public steps."""
    events = GrievanceEvent.objects.filter(grievance=grievance).select_related("by")
    if public_only:
        events = events.filter(public=True)
    return list(events.order_by("at", "id"))


def grievance_assignees(grievance: Grievance) -> list[User]:
    """Officers this grievance can be handed to: its commune's officers (not for abuse reports)
    and its province's programme officers, by name."""
    area = Q(role=Role.PROGRAMME_OFFICER, province=grievance.commune.province_id, commune__isnull=True)
    if grievance.category != Grievance.Category.ABUSE:
        area |= Q(role=Role.COMMUNE_OFFICER, commune=grievance.commune_id)
    ids = RoleAssignment.objects.filter(area, user__is_active=True).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=ids).order_by("display_name", "pk"))


# --- The complainant's view ---------------------------------------------------------------------


def _not_found(reference: str) -> NotFound:
    return NotFound(
        _("Mã phản ánh hoặc mã theo dõi không đúng. Hãy xem lại giấy bạn đã ghi."),
        code="grievance_not_found",
        params={"reference": reference},
    )


def grievance_for_complainant(*, reference: str, tracking_code: str = "", phone: str = "") -> Grievance:
    """Her grievance, from its reference and either her tracking code or the phone she filed with
    (already proved by a code). A wrong code and an unknown reference give the same ``NotFound``."""
    text = (reference or "").strip().upper()
    found = Grievance.objects.select_related("commune__province", "programme").filter(reference=text).first()
    if found is None:
        raise _not_found(text)
    if phone and found.complainant_phone and phone == found.complainant_phone:
        return found
    if tracking_code and tracking_code_matches(found, tracking_code):
        return found
    raise _not_found(text)


def grievances_for_phone(phone: str) -> list[Grievance]:
    """The grievances filed with ``phone`` (proved by a code), newest first."""
    if not phone:
        return []
    return list(
        Grievance.objects.filter(complainant_phone=phone)
        .select_related("commune__province", "programme")
        .order_by("-created_at", "-pk")
    )


def grievance_opened(reference: str) -> Grievance:
    """Her grievance by reference, for a page that already holds her proof (a tracking code or a
    proved phone checked earlier in the same session); ``NotFound`` when there is none."""
    text = (reference or "").strip().upper()
    found = Grievance.objects.select_related("commune__province", "programme").filter(reference=text).first()
    if found is None:
        raise _not_found(text)
    return found
