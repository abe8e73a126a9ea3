"""Reads of disbursement batches and their payments, limited to what the reader may see.

A batch is visible to whoever can see its programme (``selectors.programme_for_user``);
inside it a commune officer sees only her communes' payments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import NotFound
from ketnoi.core.scopes import filter_by_scope
from ketnoi.places.models import Commune

from .access import programme_scopes
from .models import Batch, Cycle, Disbursement, DisbursementState, Enrolment, EntitlementKind
from .models.disbursements import LIVE_STATES
from .selectors import programme_for_user


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int
    total_vnd: int


def cycle_batches(cycle: Cycle) -> QuerySet[Batch]:
    """The cycle's batches in the order they were prepared, with who prepared and approved each."""
    return cycle.batches.select_related("prepared_by", "approved_by").order_by("number")


def batch_for_user(user: Any, batch_id: int) -> Batch:
    """Batch ``batch_id`` with its cycle and programme, if ``user`` may see the programme;
    ``NotFound`` otherwise."""
    batch = (
        Batch.objects.select_related("cycle__programme", "prepared_by", "approved_by")
        .filter(pk=batch_id)
        .first()
    )
    if batch is None:
        raise NotFound(_("Không tìm thấy lô chi trả này."), code="batch_not_found")
    batch.cycle.programme = programme_for_user(user, batch.cycle.programme.code)  # NotFound outside her area
    return batch


def batch_state_counts(batch: Batch) -> list[StateCount]:
    """How many payments of the batch are in each state, and their total, in the states' order."""
    rows = {
        state: (count, total)
        for state, count, total in Disbursement.objects.filter(batch=batch)
        .values("state")
        .annotate(count=Count("id"), total=Sum("amount_vnd"))
        .values_list("state", "count", "total")
    }
    return [
        StateCount(state=value, label=str(label), count=rows[value][0], total_vnd=rows[value][1] or 0)
        for value, label in DisbursementState.choices
        if value in rows
    ]


def batch_disbursements(user: Any, batch: Batch, *, state: str | None = None) -> QuerySet[Disbursement]:
    """The batch's payments ``user`` may see (her communes only, for a commune officer), by id,
    optionally only those in ``state``; with the household's frozen name and commune."""
    payments = filter_by_scope(
        Disbursement.objects.filter(batch=batch).select_related("enrolment", "commune"),
        programme_scopes(user),
        commune_path="commune",
    )
    if state:
        payments = payments.filter(state=state)
    return payments.order_by("id")


@dataclass(frozen=True)
class Unbatched:
    """Households of a cycle not yet in a live payment, by how they would be paid."""

    bank: int
    post_office: int
    voucher: int
    communes: list[tuple[int, str]]  # (code, name) of the communes they live in


def cycle_unbatched(cycle: Cycle) -> Unbatched:
    """Who in ``cycle`` still waits for a batch (two queries)."""
    waiting = Enrolment.objects.filter(cycle=cycle, amount_vnd__gt=0).exclude(
        disbursements__state__in=[str(s) for s in LIVE_STATES]
    )
    counts = waiting.aggregate(
        banked=Count("id", filter=~Q(payout_account="")), unbanked=Count("id", filter=Q(payout_account=""))
    )
    voucher = cycle.programme.entitlement == EntitlementKind.VOUCHER
    communes = list(
        Commune.objects.filter(pk__in=waiting.values("commune_id")).order_by("name").values_list("pk", "name")
    )
    total = (counts["banked"] or 0) + (counts["unbanked"] or 0)
    return Unbatched(
        bank=0 if voucher else counts["banked"] or 0,
        post_office=0 if voucher else counts["unbanked"] or 0,
        voucher=total if voucher else 0,
        communes=communes,
    )
