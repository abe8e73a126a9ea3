"""Reads of programmes, cycles and enrolments, already limited to the reader's area.

A programme is visible to the officers (``access.PROGRAMME_VIEWER_ROLES``)
whose area meets the programme's: an administrator sees every programme; a
province's programme officer those of her province and the national ones; a
commune officer those that include her commune. Outside that the answer is
"not found", the same as for a programme that does not exist. Inside a cycle,
a commune officer sees only her communes' households.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Concat
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import NotFound
from ketnoi.core.scopes import AreaScope, filter_by_scope
from ketnoi.core.text import fold
from ketnoi.ledger.models import Account
from ketnoi.registry.models import Member, Relation

from .access import programme_scopes
from .models import Cycle, Enrolment, Programme

ProgrammeCommune = Programme.communes.through


def _scope_q(scope: AreaScope) -> Q:
    """Programmes whose area meets ``scope`` (a province or a commune)."""
    national = Q(province__isnull=True)
    if scope.commune_code is None:
        return national | Q(province_id=scope.province_code)
    any_commune = Exists(ProgrammeCommune.objects.filter(programme_id=OuterRef("pk")))
    this_commune = Exists(
        ProgrammeCommune.objects.filter(programme_id=OuterRef("pk"), commune_id=scope.commune_code)
    )
    return national | (Q(province_id=scope.province_code) & (~any_commune | this_commune))


def programmes_for_user(user: Any) -> QuerySet[Programme]:
    """Programmes whose area meets ``user``'s, newest first, each with its province and fund
    balance (``fund_balance_vnd``, ``None`` before it is opened) and number of cycles."""
    scopes = programme_scopes(user)
    if not scopes:
        return Programme.objects.none()
    if any(scope.is_national for scope in scopes):
        condition = Q()
    else:
        condition = Q(pk__in=[])
        for scope in scopes:
            condition |= _scope_q(scope)
    fund = Account.objects.filter(code=Concat(Value("programme-"), OuterRef("code"), Value("-fund")))
    return (
        Programme.objects.filter(condition)
        .select_related("province")
        .annotate(
            fund_balance_vnd=Subquery(fund.values("balance_vnd")[:1]),
            cycles_count=Count("cycles", distinct=True),
        )
        .order_by("-starts_on", "-id")
    )


def programme_for_user(user: Any, code: str) -> Programme:
    """One programme ``user`` may see, with its communes loaded; ``NotFound`` otherwise."""
    programme = programmes_for_user(user).prefetch_related("communes").filter(code=code).first()
    if programme is None:
        raise NotFound(
            _("Không tìm thấy chương trình này trong địa bàn của bạn."), code="programme_not_found"
        )
    return programme


def programme_cycles(programme: Programme) -> QuerySet[Cycle]:
    """The programme's cycles, newest first, with who prepared and approved each."""
    return programme.cycles.select_related("prepared_by", "approved_by").order_by("-number")


def cycle_for_user(user: Any, code: str, number: int) -> Cycle:
    """Cycle ``number`` of programme ``code``, if ``user`` may see the programme; ``NotFound`` otherwise."""
    programme = programme_for_user(user, code)
    cycle = (
        Cycle.objects.select_related("prepared_by", "approved_by")
        .filter(programme=programme, number=number)
        .first()
    )
    if cycle is None:
        raise NotFound(_("Không tìm thấy đợt chi trả này."), code="cycle_not_found")
    cycle.programme = programme
    return cycle


def cycle_enrolments(
    user: Any, cycle: Cycle, *, commune_id: int | None = None, query: str = ""
) -> QuerySet[Enrolment]:
    """The cycle's list as ``user`` may see it (her communes only, for a commune officer),
    optionally one commune's, or households whose head's name (typed with or without
    diacritics) or reference matches ``query``; by commune, then name."""
    enrolments = filter_by_scope(
        Enrolment.objects.filter(cycle=cycle).select_related("commune", "household"),
        programme_scopes(user),
        commune_path="commune",
    )
    if commune_id is not None:
        enrolments = enrolments.filter(commune_id=commune_id)
    text = query.strip()
    if text.upper().startswith("HO-"):
        return enrolments.filter(household__reference=text.upper().replace(" ", "")).order_by("pk")
    words = fold(text).split()
    if words:
        heads = Member.objects.filter(relation=Relation.HEAD)
        for word in words:
            heads = heads.filter(name_folded__contains=word)
        enrolments = enrolments.filter(household_id__in=heads.values("household_id"))
    return enrolments.order_by("commune__name", "head_name", "pk")


@dataclass(frozen=True)
class CommuneTotal:
    commune_id: int
    name: str
    households: int
    members: int
    total_vnd: int


def cycle_commune_totals(user: Any, cycle: Cycle) -> list[CommuneTotal]:
    """Households, members and money per commune of the cycle's list (one query)."""
    rows = (
        filter_by_scope(Enrolment.objects.filter(cycle=cycle), programme_scopes(user), commune_path="commune")
        .order_by()
        .values("commune_id", "commune__name")
        .annotate(households=Count("pk"), members=Sum("members_count"), total=Coalesce(Sum("amount_vnd"), 0))
        .order_by("commune__name")
    )
    return [
        CommuneTotal(
            commune_id=row["commune_id"],
            name=row["commune__name"],
            households=row["households"],
            members=row["members"] or 0,
            total_vnd=row["total"],
        )
        for row in rows
    ]
