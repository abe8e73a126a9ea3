"""Reads of the annual review, already limited to what the reader may see.

Officers see the rounds of the communes their areas cover (others: "not
found"). Anyone sees a round's *posted result* while it is published or
recognised, and then only what the law asks to post: the head of
household's name, the village and the result (``PublicRow``), never a
CCCD, ethnicity, income, phone or members' details.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import NotFound
from ketnoi.core.scopes import filter_by_scope
from ketnoi.places.models import Commune

from .labels import CLASSIFICATION_LABELS as LABELS
from .models import Member, Objection, Relation, ReviewEntry, ReviewRound, RoundState, RoundStep
from .selectors import officer_scopes

PUBLIC_STATES = (RoundState.PUBLISHED, RoundState.RECOGNISED)
# The national standards' classifications, in the order pages list them (wording shared with
# the household pages, ``labels.py``).
NATIONAL_CLASSIFICATIONS = ("poor", "near_poor", "middle", "not_poor")
CLASSIFICATION_LABELS: dict[str, Any] = {code: LABELS[code] for code in NATIONAL_CLASSIFICATIONS}
# What the posted list says: the law asks for poor / near-poor / not poor.
PUBLIC_RESULT_LABELS: dict[str, Any] = {
    "poor": LABELS["poor"],
    "near_poor": LABELS["near_poor"],
    "middle": LABELS["not_poor"],
    "not_poor": LABELS["not_poor"],
}

# Above this many communes, the "open a round" form asks for a commune code instead of a list.
COMMUNE_CHOICES_MAX = 300


def rounds_for_officer(user: Any) -> QuerySet[ReviewRound]:
    """Rounds of the communes in ``user``'s areas, newest year first, commune and province loaded."""
    queryset = ReviewRound.objects.select_related("commune__province").order_by(
        "-year", "commune__province__name_folded", "commune__name_folded"
    )
    return filter_by_scope(queryset, officer_scopes(user), commune_path="commune")


def round_for_officer(*, user: Any, round_id: int) -> ReviewRound:
    """One round, if ``user``'s area covers its commune; ``NotFound`` otherwise (as for none)."""
    found = rounds_for_officer(user).filter(pk=round_id).first()
    if found is None:
        raise NotFound(_("Không tìm thấy đợt rà soát này trong địa bàn của bạn."), code="round_not_found")
    return found


def communes_for_opening(user: Any) -> QuerySet[Commune] | None:
    """The communes ``user`` may open a round for, by name; ``None`` when there are too many to list."""
    condition = Q(pk__in=[])
    for scope in officer_scopes(user):
        if scope.is_national:
            return None
        if scope.commune_code is not None:
            condition |= Q(pk=scope.commune_code)
        else:
            condition |= Q(province_id=scope.province_code)
    communes = Commune.objects.filter(condition).select_related("province")
    communes = communes.order_by("province__name_folded", "name_folded")
    return None if communes.count() > COMMUNE_CHOICES_MAX else communes


def round_history(round: ReviewRound) -> list[RoundStep]:
    """The round's steps, oldest first, each with who took it."""
    return list(RoundStep.objects.filter(round=round).select_related("by").order_by("at", "id"))


def _head_name(field: str) -> Subquery:
    heads = Member.objects.filter(household=OuterRef("household"), relation=Relation.HEAD)
    return Subquery(heads.values(field)[:1])


def round_entries(round: ReviewRound) -> QuerySet[ReviewEntry]:
    """The round's list in posting order (village, then head's name), with ``head_name`` annotated."""
    return (
        ReviewEntry.objects.filter(round=round)
        .select_related("household", "assessment")
        .annotate(head_name=_head_name("full_name"), head_folded=_head_name("name_folded"))
        .order_by("household__address_line", "head_folded", "household__reference")
    )


@dataclass(frozen=True)
class RoundCounts:
    total: int
    unscored: int
    by_classification: dict[str, int]

    def get(self, classification: str) -> int:
        return self.by_classification.get(classification, 0)


def round_counts(round: ReviewRound) -> RoundCounts:
    """How many listed households fall in each classification, and how many have no result yet."""
    rows = (
        ReviewEntry.objects.filter(round=round)
        .values("assessment__classification")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: Counter[str] = Counter()
    unscored = 0
    for row in rows:
        if row["assessment__classification"] is None:
            unscored += row["n"]
        else:
            counts[row["assessment__classification"]] += row["n"]
    return RoundCounts(
        total=unscored + sum(counts.values()), unscored=unscored, by_classification=dict(counts)
    )


def round_objections(round: ReviewRound) -> QuerySet[Objection]:
    """The round's objections, open ones first, then by arrival, with the household they name."""
    return (
        Objection.objects.filter(round=round)
        .select_related("entry__household", "resolved_by")
        .annotate(
            head_name=Subquery(
                Member.objects.filter(household=OuterRef("entry__household"), relation=Relation.HEAD).values(
                    "full_name"
                )[:1]
            )
        )
        .order_by("resolved_at", "received_at", "id")
    )


def open_objections_count(round: ReviewRound) -> int:
    return Objection.objects.filter(round=round, resolved_at__isnull=True).count()


# --- What anyone may see ---------------------------------------------------------------------


def round_public(*, commune_code: int, year: int) -> ReviewRound:
    """A round whose result is posted (published or recognised); ``NotFound`` otherwise."""
    found = (
        ReviewRound.objects.select_related("commune__province")
        .filter(commune_id=commune_code, year=year, state__in=PUBLIC_STATES)
        .first()
    )
    if found is None:
        raise NotFound(_("Không có danh sách công khai nào ở đây."), code="round_not_public")
    return found


@dataclass(frozen=True)
class PublicRow:
    """One line of the posted list: only what the law asks to post."""

    number: int
    head_name: str
    village: str
    classification: str
    entry_id: int  # to attach an objection; never shown


def public_rows(round: ReviewRound) -> list[PublicRow]:
    """The posted list (scored households only), numbered in posting order; one query.

    Only the columns needed are read from the database, so nothing else
    about a household can reach the public page or PDF by mistake.
    """
    rows = (
        ReviewEntry.objects.filter(round=round, assessment__isnull=False)
        .annotate(head_name=_head_name("full_name"), head_folded=_head_name("name_folded"))
        .order_by("household__address_line", "head_folded", "household__reference")
        .values_list("pk", "head_name", "household__address_line", "assessment__classification")
    )
    return [
        PublicRow(number=n, head_name=head or "", village=village, classification=classification, entry_id=pk)
        for n, (pk, head, village, classification) in enumerate(rows, start=1)
    ]


def public_totals(rows: list[PublicRow]) -> list[tuple[Any, int]]:
    """How many posted households have each public result, in a fixed order (poor first)."""
    counts = Counter(PUBLIC_RESULT_LABELS[row.classification] for row in rows)
    return [(label, counts[label]) for label in dict.fromkeys(PUBLIC_RESULT_LABELS.values())]
