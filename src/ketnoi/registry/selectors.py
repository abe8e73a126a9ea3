"""Reads of the registry, already limited to what the reader may see.

Only officers whose area covers a household's commune (commune officer,
programme officer of the province, administrator) see it; anyone else gets
"not found", never "forbidden", so the existence of a household outside
one's area is not revealed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.selectors import AREA_OFFICER_ROLES, user_scopes
from ketnoi.core.errors import NotFound
from ketnoi.core.scopes import AreaScope, filter_by_scope, scopes_cover
from ketnoi.core.text import fold

from .models import Assessment, Household, HouseholdStatus, Member, Relation

# Who may open households at all (and then only in their areas).
REGISTRY_ROLES: tuple[str, ...] = AREA_OFFICER_ROLES


def officer_scopes(user: Any) -> list[AreaScope]:
    """The areas whose households ``user`` may read and change."""
    return user_scopes(user, roles=REGISTRY_ROLES)


def households_for_officer(user: Any) -> QuerySet[Household]:
    """Households in ``user``'s areas, commune and province loaded (none for others)."""
    queryset = Household.objects.select_related("commune__province")
    return filter_by_scope(queryset, officer_scopes(user), commune_path="commune")


def verification_queue(user: Any) -> QuerySet[Household]:
    """Households waiting for an officer of ``user``'s areas, oldest first."""
    return (
        households_for_officer(user)
        .filter(
            status__in=[
                HouseholdStatus.SUBMITTED,
                HouseholdStatus.UNDER_REVIEW,
                HouseholdStatus.NEEDS_CORRECTION,
            ]
        )
        .order_by("created_at", "reference")
    )


def households_matching(queryset: QuerySet[Household], query: str) -> QuerySet[Household]:
    """``queryset`` narrowed to a reference (``HO-…`` or the self-registration's ``DK-…``)
    or a head of household whose folded name contains every typed word."""
    text = query.strip().upper().replace(" ", "")
    if text.startswith(("HO-", "DK-")):
        return queryset.filter(Q(reference=text) | Q(registration__reference=text))
    words = fold(query).split()
    if not words:
        return queryset
    heads = Member.objects.filter(relation=Relation.HEAD)
    for word in words:
        heads = heads.filter(name_folded__contains=word)
    return queryset.filter(pk__in=heads.values("household_id"))


def household_for_officer(*, user: Any, household_id: int) -> Household:
    """One household with its members and assessments, if ``user``'s area covers it.

    Raises ``NotFound`` otherwise — the same answer as for a household that
    does not exist.
    """
    household = (
        households_for_officer(user)
        .prefetch_related(
            Prefetch("members", queryset=Member.objects.order_by("birth_date", "id")),
            Prefetch("assessments", queryset=Assessment.objects.order_by("-year", "standard")),
        )
        .filter(pk=household_id)
        .first()
    )
    if household is None:
        raise NotFound(_("Không tìm thấy hộ này trong địa bàn của bạn."), code="household_not_found")
    return household


def officer_covers(user: Any, household: Household) -> bool:
    """Whether ``user`` may read ``household``'s sensitive data (ethnicity, health, income)."""
    return scopes_cover(
        officer_scopes(user), province_code=household.commune.province_id, commune_code=household.commune_id
    )


def latest_assessment(household: Household) -> Assessment | None:
    """The newest assessment, from prefetched rows when there are any."""
    rows = list(household.assessments.all())
    return max(rows, key=lambda a: (a.year, a.assessed_on, a.pk)) if rows else None
