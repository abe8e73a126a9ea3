"""The daily job about complaints: remind officers of those near or past due, close the finished.

``grievances_remind`` runs once a day (``manage.py grievances_remind``, or
the task in ``tasks_grievances``); it is safe to run again the same day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role, RoleAssignment, User
from ketnoi.core.audit import audit_record
from ketnoi.core.models import AuditEntry
from ketnoi.core.notify import message_send

from ..models import Grievance
from .grievance_rules import ACTIVE_STATES, APPEAL_WINDOW, AT_RISK_HORIZON, GrievanceFlags, grievance_flags
from .grievances import grievance_close

State = Grievance.State


@dataclass(frozen=True)
class RemindOutcome:
    reminded: int  # officers sent an SMS
    closed: int  # resolved grievances closed because their appeal time ran out


def grievances_remind(*, now: datetime | None = None) -> RemindOutcome:
    """Once a day: SMS each officer about her at-risk and breached grievances, and close the
    resolved ones whose appeal time has run out.

    Unassigned ones are told to the province's programme officers. Idempotent
    per local day: an officer already reminded today (audit action
    ``grievances_reminded`` on her, with the day as its reason) is not sent
    another. Returns how many officers were told and how many were closed.
    """
    now = now or timezone.now()
    due_soon = (
        Grievance.objects.filter(state__in=ACTIVE_STATES, due_at__lt=now + AT_RISK_HORIZON)
        .select_related("commune")
        .order_by("due_at", "pk")
    )
    per_officer: dict[int, list[tuple[Grievance, GrievanceFlags]]] = {}
    province_waiting: dict[int, list[tuple[Grievance, GrievanceFlags]]] = {}
    for grievance in due_soon:
        flags = grievance_flags(grievance, now)
        if not (flags.at_risk or flags.breached):
            continue
        if grievance.assigned_to_id is not None:
            per_officer.setdefault(grievance.assigned_to_id, []).append((grievance, flags))
        else:
            province_waiting.setdefault(grievance.commune.province_id, []).append((grievance, flags))
    for province_id, items in province_waiting.items():
        province_officers = RoleAssignment.objects.filter(
            role=Role.PROGRAMME_OFFICER, province=province_id, commune__isnull=True, user__is_active=True
        ).values_list("user_id", flat=True)
        for officer_id in set(province_officers):
            per_officer.setdefault(officer_id, []).extend(items)

    # The day is written in the entry's reason: "already reminded today" reads it, not the clock.
    day = f"reminder {timezone.localdate(now).isoformat()}"
    user_type = ContentType.objects.get_for_model(User)
    reminded = 0
    for officer_id in sorted(per_officer):
        items = per_officer[officer_id]
        breached = [g.reference for g, f in items if f.breached]
        at_risk = [g.reference for g, f in items if f.at_risk]
        with transaction.atomic():
            # The lock on her row makes two runs at once send one SMS, not two.
            officer = User.objects.select_for_update().filter(pk=officer_id, is_active=True).first()
            if (
                officer is None
                or AuditEntry.objects.filter(
                    action="grievances_reminded", object_type=user_type, object_id=str(officer_id), reason=day
                ).exists()
            ):
                continue
            with translation.override(officer.language or "vi"):
                text = str(
                    _(
                        "Kết Nối: %(breached)s phản ánh đã quá hạn, "
                        "%(at_risk)s phản ánh sắp đến hạn: %(refs)s."
                    )
                ) % {
                    "breached": len(breached),
                    "at_risk": len(at_risk),
                    "refs": ", ".join((breached + at_risk)[:5]) + ("…" if len(items) > 5 else ""),
                }
            message_send(to=officer.phone, text=text)
            audit_record(
                actor=None,
                action="grievances_reminded",
                target=officer,
                changes={"breached": (None, breached), "at_risk": (None, at_risk)},
                reason=day,
            )
        reminded += 1

    closed = 0
    expired = Grievance.objects.filter(state=State.RESOLVED, resolved_at__lt=now - APPEAL_WINDOW)
    for grievance in expired.order_by("pk"):
        grievance_close(grievance, now=now)
        closed += 1
    return RemindOutcome(reminded=reminded, closed=closed)
