"""Reads of the 4M cycle that pages need, already narrowed to what the reader may see.

A partner (or any attendee of an event) sees a seller only through
``SellerCard``: her name, place, products, needs and what she can supply.
The women-led and ethnic-minority-led flags, revenue, bank details and her
members' phones are never loaded for it (``SELLER_PUBLIC_FIELDS``), so no
template can show them by mistake.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ketnoi.accounts.models import Role
from ketnoi.accounts.selectors import AREA_OFFICER_ROLES, user_has_role, user_scopes
from ketnoi.core.errors import NotFound
from ketnoi.core.scopes import AreaScope, scope_q, scopes_cover
from ketnoi.market.models import Category, Product, Seller
from ketnoi.market.selectors import officer_covers_seller, seller_can_edit, sellers_of_user

from .models import (
    Baseline,
    Event,
    Graduation,
    Match,
    MeetingRequest,
    MentoringPlan,
    Milestone,
    Need,
    Partner,
    Registration,
    RevenueMonth,
    Round,
    SellerNeeds,
    Session,
)

PROGRAMME_ROLES: tuple[str, ...] = (Role.ADMINISTRATOR, Role.PROGRAMME_OFFICER)
SELLER_PUBLIC_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "slug",
    "kind",
    "village",
    "verified",
    "is_active",
    "commune__code",
    "commune__name",
    "commune__province__code",
    "commune__province__name",
)
PRODUCTS_ON_CARD = 6

# --- Who may --------------------------------------------------------------------------------------


def programme_scopes(user: Any) -> list[AreaScope]:
    """The areas ``user`` runs programmes for (administrator: the country; none: empty)."""
    return user_scopes(user, roles=PROGRAMME_ROLES)


def covers_province(scopes: Iterable[AreaScope], province_id: int | None) -> bool:
    """Whether a programme scope covers a whole province (a commune scope does not)."""
    return any(s.is_national or (s.commune_code is None and s.province_code == province_id) for s in scopes)


def may_run_programme(user: Any) -> bool:
    """An administrator or a programme officer: may organise events and match rounds."""
    return user_has_role(user, *PROGRAMME_ROLES)


def event_may_manage(user: Any, event: Event) -> bool:
    """The organiser, an administrator, or a programme officer of the event's province."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if event.organiser_id == user.pk:
        return True
    return covers_province(programme_scopes(user), event.province_id)


def registration_acts(user: Any, registration: Registration) -> bool:
    """Whether ``user`` speaks for this attendee: the partner herself, or the seller's leader or member."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if registration.partner_id is not None:
        return Partner.objects.filter(pk=registration.partner_id, user=user).exists()
    seller = Seller.objects.only("id", "leader_id").filter(pk=registration.seller_id or 0).first()
    return seller is not None and seller_can_edit(user, seller)


def round_may_manage(user: Any, round_: Round) -> bool:
    """An administrator, or a programme officer of the round's province (a national round: admins)."""
    scopes = programme_scopes(user)
    if round_.province_id is None:
        return any(s.is_national for s in scopes)
    return covers_province(scopes, round_.province_id)


def match_sides(user: Any, match: Match) -> set[str]:
    """``seller`` if ``user`` is the seller's leader or a member, ``partner`` if she is the partner."""
    sides: set[str] = set()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return sides
    if Partner.objects.filter(pk=match.partner_id, user=user).exists():
        sides.add("partner")
    if seller_can_edit(user, Seller.objects.only("id", "leader_id").get(pk=match.seller_id)):
        sides.add("seller")
    return sides


# --- Sellers as partners see them -----------------------------------------------------------------


@dataclass(frozen=True)
class SellerCard:
    """What a partner or another attendee may know about a seller. Nothing sensitive is in it."""

    id: int
    name: str
    slug: str
    kind: str
    village: str
    verified: bool
    commune: str
    province: str
    province_id: int
    needs: list[str] = field(default_factory=list)
    need_labels: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    monthly_capacity: str = ""
    languages: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)


def need_labels(values: Iterable[str]) -> list[str]:
    labels = dict(Need.choices)
    return [str(labels[v]) for v in values if v in labels]


def seller_cards(seller_ids: Iterable[int]) -> dict[int, SellerCard]:
    """Public cards of these sellers, in three queries whatever their number."""
    ids = list(dict.fromkeys(seller_ids))
    if not ids:
        return {}
    sellers = (
        Seller.objects.filter(pk__in=ids).select_related("commune__province").only(*SELLER_PUBLIC_FIELDS)
    )
    needs = {
        n.seller_id: n
        for n in SellerNeeds.objects.filter(seller_id__in=ids)
        .only("seller_id", "needs", "monthly_capacity", "languages")
        .prefetch_related(Prefetch("categories", queryset=Category.objects.only("id", "name")))
    }
    products: dict[int, list[str]] = defaultdict(list)
    for seller_id, name in (
        Product.objects.filter(seller_id__in=ids, is_active=True)
        .order_by("seller_id", "-created_at", "-pk")
        .values_list("seller_id", "name")
    ):
        if len(products[seller_id]) < PRODUCTS_ON_CARD:
            products[seller_id].append(name)
    cards = {}
    for seller in sellers:
        record = needs.get(seller.pk)
        cards[seller.pk] = SellerCard(
            id=seller.pk,
            name=seller.name,
            slug=seller.slug,
            kind=str(seller.get_kind_display()),
            village=seller.village,
            verified=seller.verified,
            commune=seller.commune.name,
            province=seller.commune.province.name,
            province_id=seller.commune.province_id,
            needs=list(record.needs) if record else [],
            need_labels=need_labels(record.needs) if record else [],
            categories=[c.name for c in record.categories.all()] if record else [],
            monthly_capacity=record.monthly_capacity if record else "",
            languages=list(record.languages) if record else [],
            products=products.get(seller.pk, []),
        )
    return cards


def seller_card(seller_id: int) -> SellerCard:
    card = seller_cards([seller_id]).get(seller_id)
    if card is None:
        raise NotFound(_("Không tìm thấy người bán này."), code="seller_not_found")
    return card


def seller_card_by_slug(slug: str) -> SellerCard:
    seller_id = Seller.objects.filter(slug=slug, is_active=True).values_list("pk", flat=True).first()
    if seller_id is None:
        raise NotFound(_("Không tìm thấy người bán này."), code="seller_not_found")
    return seller_card(seller_id)


# --- Needs and partners ---------------------------------------------------------------------------


def needs_of(seller: Seller) -> SellerNeeds | None:
    return SellerNeeds.objects.filter(seller=seller).prefetch_related("categories").first()


def partners_of_user(user: Any) -> QuerySet[Partner]:
    """Her partner profiles, with provinces and categories (three queries)."""
    if not getattr(user, "is_authenticated", False):
        return Partner.objects.none()
    return (
        Partner.objects.filter(user=user)
        .prefetch_related("provinces", "categories")
        .order_by("-created_at", "-pk")
    )


def partner_of_user(user: Any, partner_id: int | str) -> Partner:
    """Her own profile ``partner_id``, or ``NotFound`` (someone else's is as if absent)."""
    try:
        pk = int(partner_id)
    except (TypeError, ValueError):
        pk = 0
    partner = partners_of_user(user).filter(pk=pk).first()
    if partner is None:
        raise NotFound(_("Không tìm thấy hồ sơ đối tác này."), code="partner_not_found")
    return partner


def partner_load(partner: Partner) -> int:
    """Matches of ``partner`` pending or accepted now: what counts against her capacity."""
    return Match.objects.filter(
        partner=partner, state__in=(Match.State.PENDING, Match.State.ACCEPTED)
    ).count()


# --- Meet -----------------------------------------------------------------------------------------


def events_for_user(user: Any) -> QuerySet[Event]:
    """Events open to everybody (not drafts), and the drafts she may manage; newest day first."""
    scopes = programme_scopes(user)
    manage = Q(organiser=user) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    if any(s.is_national for s in scopes):
        manage = Q()
    else:
        provinces = [s.province_code for s in scopes if s.commune_code is None and s.province_code]
        if provinces:
            manage |= Q(province_id__in=provinces)
    return (
        Event.objects.filter(~Q(state=Event.State.DRAFT) | manage)
        .select_related("province")
        .annotate(
            validated=Count("registrations", filter=Q(registrations__state=Registration.State.VALIDATED))
        )
        .order_by("-starts_on", "-pk")
    )


def event_for_user(user: Any, event_id: int) -> Event:
    """The event if ``user`` may see it (a draft only its managers), else ``NotFound``."""
    event = Event.objects.select_related("province", "organiser").filter(pk=event_id).first()
    if event is None or (event.state == Event.State.DRAFT and not event_may_manage(user, event)):
        raise NotFound(_("Không tìm thấy sự kiện này."), code="event_not_found")
    return event


def registrations_of_user(user: Any, event: Event) -> list[Registration]:
    """The attendees ``user`` speaks for at ``event`` (herself as a partner, her cooperatives)."""
    if not getattr(user, "is_authenticated", False):
        return []
    seller_ids = sellers_of_user(user).values("pk")
    return list(
        Registration.objects.filter(event=event)
        .filter(Q(user=user) | Q(partner__user=user) | Q(seller__in=seller_ids))
        .select_related("partner", "seller")  # her own cooperative: she may see all of it
        .order_by("pk")
    )


@dataclass
class Attendee:
    """One registration as another attendee or the organiser sees it."""

    registration: Registration
    name: str
    side: str  # "seller" or "partner"
    place: str = ""
    card: SellerCard | None = None
    partner: Partner | None = None
    offers: list[str] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.registration.pk


def attendees(event: Event, *, states: Iterable[str] | None = None) -> list[Attendee]:
    """The registrations of ``event`` (optionally only in ``states``), sellers as public cards."""
    rows = (
        Registration.objects.filter(event=event)
        .select_related("user")
        .only(
            "id",
            "event_id",
            "user__id",
            "user__display_name",
            "seller_id",
            "partner_id",
            "state",
            "available_slots",
            "note",
            "created_at",
        )
    )
    if states is not None:
        rows = rows.filter(state__in=list(states))
    regs = list(rows.order_by("pk"))
    cards = seller_cards(r.seller_id for r in regs if r.seller_id)
    partners = {
        p.pk: p
        for p in Partner.objects.filter(pk__in=[r.partner_id for r in regs if r.partner_id]).prefetch_related(
            "provinces", "categories"
        )
    }
    out = []
    for reg in regs:
        if reg.seller_id:
            card = cards[reg.seller_id]
            out.append(Attendee(reg, card.name, "seller", f"{card.commune}, {card.province}", card=card))
        else:
            partner = partners[reg.partner_id]  # type: ignore[index]
            out.append(
                Attendee(
                    reg,
                    partner.organisation,
                    "partner",
                    str(partner.get_kind_display()),
                    partner=partner,
                    offers=need_labels(partner.offers or []),
                )
            )
    return out


def attendee_for_user(user: Any, event: Event, registration_id: int) -> Attendee:
    """A validated attendee's profile for another attendee or a manager; else ``NotFound``."""
    manager = event_may_manage(user, event)
    mine = registrations_of_user(user, event)
    if not manager and not any(r.state == Registration.State.VALIDATED for r in mine):
        raise NotFound(_("Chỉ người tham dự đã được duyệt mới xem được hồ sơ."), code="attendee_not_found")
    for attendee in attendees(event, states=None if manager else [Registration.State.VALIDATED]):
        if attendee.pk == registration_id:
            return attendee
    raise NotFound(_("Không tìm thấy người tham dự này."), code="attendee_not_found")


def requests_of(registrations: Iterable[Registration]) -> QuerySet[MeetingRequest]:
    """Requests sent or received by these registrations, with both ends' names loaded."""
    ids = [r.pk for r in registrations]
    return (
        MeetingRequest.objects.filter(Q(sender_id__in=ids) | Q(receiver_id__in=ids))
        .select_related("sender__partner", "receiver__partner", "sender__seller", "receiver__seller")
        .only(
            "id",
            "event_id",
            "state",
            "message",
            "created_at",
            "answered_at",
            "sender_id",
            "receiver_id",
            "sender__id",
            "sender__seller__id",
            "sender__seller__name",
            "sender__partner__id",
            "sender__partner__organisation",
            "receiver__id",
            "receiver__seller__id",
            "receiver__seller__name",
            "receiver__partner__id",
            "receiver__partner__organisation",
        )
        .order_by("-created_at", "-pk")
    )


def registration_label(registration: Registration) -> str:
    """The attendee's name: her cooperative's or her organisation's (from a ``requests_of`` row)."""
    if registration.seller_id:
        return registration.seller.name  # type: ignore[union-attr]
    return registration.partner.organisation  # type: ignore[union-attr]


@dataclass(frozen=True)
class ScheduleLine:
    slot: int
    start: str
    end: str
    table: int
    other: str
    other_id: int
    request_id: int


def schedule_by_attendee(event: Event) -> dict[int, list[ScheduleLine]]:
    """Each attendee's meetings in slot order, by registration id (two queries)."""
    names = {a.pk: a.name for a in attendees(event)}
    lines: dict[int, list[ScheduleLine]] = defaultdict(list)
    slots = event.slots or []
    for meeting in event.meetings.select_related("request").order_by("slot", "table"):
        sender, receiver = meeting.request.sender_id, meeting.request.receiver_id
        span = slots[meeting.slot] if meeting.slot < len(slots) else {"start": "", "end": ""}
        for me, other in ((sender, receiver), (receiver, sender)):
            lines[me].append(
                ScheduleLine(
                    meeting.slot,
                    span["start"],
                    span["end"],
                    meeting.table + 1,
                    names.get(other, ""),
                    other,
                    meeting.request_id,
                )
            )
    return lines


def schedule_by_table(event: Event) -> list[tuple[int, list[tuple[dict[str, str], str, str]]]]:
    """For each table (1-based), per slot: (slot's times, seller's name, partner's name); names
    empty where the table is free."""
    names = {a.pk: (a.side, a.name) for a in attendees(event)}
    grid: dict[int, dict[int, tuple[str, str]]] = defaultdict(dict)
    for meeting in event.meetings.select_related("request").order_by("table", "slot"):
        ends = [names.get(meeting.request.sender_id), names.get(meeting.request.receiver_id)]
        seller = next((n for side, n in filter(None, ends) if side == "seller"), "")
        partner = next((n for side, n in filter(None, ends) if side == "partner"), "")
        grid[meeting.table][meeting.slot] = (seller, partner)
    slots = event.slots or []
    out = []
    for table in range(event.tables):
        cells = grid.get(table, {})
        out.append((table + 1, [(span, *cells.get(index, ("", ""))) for index, span in enumerate(slots)]))
    return out


# --- Match ----------------------------------------------------------------------------------------


def matches_of_sellers(sellers: Iterable[Seller]) -> QuerySet[Match]:
    """Matches proposed to these sellers (not officer-only suggestions), newest first."""
    return (
        Match.objects.filter(seller__in=list(sellers))
        .exclude(state=Match.State.SUGGESTED)
        .select_related("partner", "seller")
        .only(
            "id",
            "state",
            "score",
            "reasons",
            "seller_answer",
            "partner_answer",
            "proposed_at",
            "created_at",
            "seller__id",
            "seller__name",
            "seller__slug",
            "partner__id",
            "partner__organisation",
            "partner__kind",
            "partner__about",
        )
        .order_by("-created_at", "-pk")
    )


def matches_of_partners(partners: Iterable[Partner]) -> QuerySet[Match]:
    """Matches proposed to these partner profiles, sellers with their public name only."""
    return (
        Match.objects.filter(partner__in=list(partners))
        .exclude(state=Match.State.SUGGESTED)
        .select_related("partner", "seller__commune__province")
        .only(
            "id",
            "state",
            "score",
            "reasons",
            "seller_answer",
            "partner_answer",
            "proposed_at",
            "created_at",
            "partner__id",
            "partner__organisation",
            "seller__id",
            "seller__name",
            "seller__slug",
            "seller__commune__name",
            "seller__commune__province__name",
        )
        .order_by("-created_at", "-pk")
    )


def match_for_party(user: Any, match_id: int) -> Match:
    """A match ``user`` is a party to (or may manage through its round), else ``NotFound``."""
    match = Match.objects.select_related("round").filter(pk=match_id).first()
    if match is None or not (
        match_sides(user, match) or (match.round and round_may_manage(user, match.round))
    ):
        raise NotFound(_("Không tìm thấy kết nối này."), code="match_not_found")
    return match


def rounds_for_user(user: Any) -> QuerySet[Round]:
    """Rounds of the provinces she runs programmes for (administrators: all)."""
    scopes = programme_scopes(user)
    rounds = Round.objects.select_related("province").annotate(count=Count("matches")).order_by("-created_at")
    if any(s.is_national for s in scopes):
        return rounds
    provinces = [s.province_code for s in scopes if s.commune_code is None and s.province_code]
    return rounds.filter(province_id__in=provinces)


def round_for_user(user: Any, round_id: int) -> Round:
    round_ = Round.objects.select_related("province", "programme").filter(pk=round_id).first()
    if round_ is None or not round_may_manage(user, round_):
        raise NotFound(_("Không tìm thấy đợt kết nối này."), code="round_not_found")
    return round_


def round_matches(round_: Round) -> QuerySet[Match]:
    """The round's matches, with the seller's public fields and the partner (two tables, one query)."""
    return (
        round_.matches.select_related("seller__commune__province", "partner")
        .only(
            "id",
            "round_id",
            "state",
            "score",
            "reasons",
            "seller_answer",
            "partner_answer",
            "seller__id",
            "seller__name",
            "seller__slug",
            "seller__commune__name",
            "seller__commune__province__name",
            "partner__id",
            "partner__organisation",
            "partner__kind",
            "partner__capacity",
        )
        .order_by("-score", "pk")
    )


# --- Mentor and Move ------------------------------------------------------------------------------

SELLER, MENTOR, OFFICER = "seller", "mentor", "officer"
# The seller's fields a mentoring page loads: public ones, and who leads her (to know her side).
PLAN_SELLER_FIELDS: tuple[str, ...] = (
    "match__seller__id",
    "match__seller__name",
    "match__seller__slug",
    "match__seller__leader_id",
    "match__seller__commune__code",
    "match__seller__commune__name",
    "match__seller__commune__province__code",
    "match__seller__commune__province__name",
)


def mentoring_sides(user: Any, match: Match) -> frozenset[str]:
    """The parts ``user`` plays in a match's mentoring: ``seller``, ``mentor``, ``officer`` (empty: none).

    The mentor is the match's partner; the seller's side her leader and
    members; an officer a programme officer of the seller's province or an
    administrator (not a commune officer). Load the match with
    ``seller__commune`` and ``partner`` to save queries.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    sides: set[str] = set()
    if match.partner.user_id == user.pk:
        sides.add(MENTOR)
    seller: Seller = match.seller
    if seller_can_edit(user, seller):
        sides.add(SELLER)
    scopes = programme_scopes(user)
    if scopes and scopes_cover(
        scopes, province_code=seller.commune.province_id, commune_code=seller.commune_id
    ):
        sides.add(OFFICER)
    return frozenset(sides)


def _mentoring_q(user: Any, *, prefix: str = "match__") -> Q:
    """Rows whose match ``user`` takes part in or oversees (``prefix`` leads from the row to its match)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    mine = (
        Q(**{f"{prefix}partner__user": user})
        | Q(**{f"{prefix}seller__leader": user})
        | Q(**{f"{prefix}seller__in": Seller.objects.filter(members=user).values("pk")})
    )
    scopes = programme_scopes(user)
    return mine | scope_q(scopes, commune_path=f"{prefix}seller__commune") if scopes else mine


def plans_for_user(user: Any) -> QuerySet[MentoringPlan]:
    """The plans she takes part in or oversees, newest first, with progress counts (one query)."""
    return (
        MentoringPlan.objects.filter(_mentoring_q(user))
        .select_related("match__seller__commune__province", "match__partner")
        .only(
            "id",
            "goals",
            "created_at",
            "match__id",
            "match__state",
            "match__partner__id",
            "match__partner__organisation",
            "match__partner__kind",
            "match__partner__user_id",
            *PLAN_SELLER_FIELDS,
        )
        .annotate(
            sessions_held=Count("sessions", filter=Q(sessions__held=True), distinct=True),
            milestones_total=Count("milestones", distinct=True),
            milestones_done=Count("milestones", filter=Q(milestones__done_on__isnull=False), distinct=True),
        )
        .order_by("-created_at", "-pk")
    )


def matches_awaiting_plan(user: Any) -> QuerySet[Match]:
    """Accepted matches without a plan that she may write one for (as their mentor or an officer)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Match.objects.none()
    scopes = programme_scopes(user)
    who = Q(partner__user=user) | (
        scope_q(scopes, commune_path="seller__commune") if scopes else Q(pk__in=[])
    )
    return (
        Match.objects.filter(who, state=Match.State.ACCEPTED, plan__isnull=True)
        .select_related("seller__commune__province", "partner")
        .only(
            "id",
            "state",
            "created_at",
            "partner__id",
            "partner__organisation",
            "partner__user_id",
            *(f.removeprefix("match__") for f in PLAN_SELLER_FIELDS),
        )
        .order_by("-created_at", "-pk")
    )


def match_for_mentoring(user: Any, match_id: int) -> tuple[Match, frozenset[str]]:
    """A match and ``user``'s sides in it, or ``NotFound`` when she has none."""
    match = (
        Match.objects.select_related("seller__commune__province", "partner")
        .only(
            "id",
            "state",
            "completed_at",
            "partner__id",
            "partner__organisation",
            "partner__kind",
            "partner__user_id",
            *(f.removeprefix("match__") for f in PLAN_SELLER_FIELDS),
        )
        .filter(pk=match_id)
        .first()
    )
    sides = mentoring_sides(user, match) if match is not None else frozenset()
    if match is None or not sides:
        raise NotFound(_("Không tìm thấy kết nối này."), code="match_not_found")
    return match, sides


def _plan_rows() -> QuerySet[MentoringPlan]:
    return MentoringPlan.objects.select_related("match__seller__commune__province", "match__partner").only(
        "id",
        "goals",
        "created_at",
        "match__id",
        "match__state",
        "match__completed_at",
        "match__partner__id",
        "match__partner__organisation",
        "match__partner__kind",
        "match__partner__user_id",
        *PLAN_SELLER_FIELDS,
    )


def plan_for_user(user: Any, plan_id: int) -> tuple[MentoringPlan, frozenset[str]]:
    """The plan and ``user``'s sides in it; ``NotFound`` for anyone without a side (as if absent)."""
    plan = _plan_rows().filter(pk=plan_id).first()
    sides = mentoring_sides(user, plan.match) if plan is not None else frozenset()
    if plan is None or not sides:
        raise NotFound(_("Không tìm thấy kế hoạch cố vấn này."), code="plan_not_found")
    return plan, sides


def plan_progress(plan: MentoringPlan) -> tuple[list[Milestone], list[Session]]:
    """The plan's milestones (by due date) and sessions (by time): two queries."""
    milestones = list(Milestone.objects.filter(plan=plan).order_by("due_on", "pk"))
    sessions = list(
        Session.objects.filter(plan=plan).select_related("recorded_by").order_by("starts_at", "pk")
    )
    return milestones, sessions


def session_for_user(user: Any, session_id: int) -> tuple[Session, frozenset[str]]:
    session = (
        Session.objects.filter(pk=session_id).only("id", "plan_id", "starts_at", "held", "notes").first()
    )
    if session is None:
        raise NotFound(_("Không tìm thấy buổi tư vấn này."), code="session_not_found")
    plan, sides = plan_for_user(user, session.plan_id)
    session.plan = plan
    return session, sides


def milestone_for_user(user: Any, milestone_id: int) -> tuple[Milestone, frozenset[str]]:
    milestone = Milestone.objects.filter(pk=milestone_id).first()
    if milestone is None:
        raise NotFound(_("Không tìm thấy mốc này."), code="milestone_not_found")
    plan, sides = plan_for_user(user, milestone.plan_id)
    milestone.plan = plan
    return milestone, sides


def sellers_for_outcomes(user: Any) -> QuerySet[Seller]:
    """Sellers whose outcomes ``user`` records: hers, and those of her area as an officer.

    Each with her baseline and whether she has graduated (one query).
    Partners and mentors get none: revenue is the seller's sensitive data.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Seller.objects.none()
    scopes = user_scopes(user, roles=AREA_OFFICER_ROLES)
    mine = Q(leader=user) | Q(pk__in=Seller.objects.filter(members=user).values("pk"))
    return (
        Seller.objects.filter(mine | scope_q(scopes, commune_path="commune") if scopes else mine)
        .select_related("commune__province", "revenue_baseline")
        .annotate(graduated=Exists(Graduation.objects.filter(seller=OuterRef("pk"))))
        .order_by("name_folded", "pk")
    )


def seller_for_outcomes(user: Any, slug: str) -> Seller:
    """The seller ``slug`` if ``user`` may read and record her outcomes; else ``NotFound``."""
    seller = Seller.objects.select_related("commune__province", "leader").filter(slug=slug).first()
    if seller is None or not (seller_can_edit(user, seller) or officer_covers_seller(user, seller)):
        raise NotFound(_("Không tìm thấy người bán này."), code="seller_not_found")
    return seller


@dataclass
class Outcomes:
    """A seller's outcomes as her page shows them."""

    baseline: Baseline | None
    months: list[RevenueMonth]  # newest first
    graduations: list[Graduation]

    @property
    def graduated(self) -> bool:
        return bool(self.graduations)


def outcomes_of(seller: Seller) -> Outcomes:
    """Her baseline, months and graduations (three queries)."""
    return Outcomes(
        baseline=Baseline.objects.filter(seller=seller).select_related("set_by").first(),
        months=list(
            RevenueMonth.objects.filter(seller=seller).select_related("entered_by").order_by("-month")
        ),
        graduations=list(
            Graduation.objects.filter(seller=seller)
            .select_related("programme")
            .order_by("-graduated_on", "-pk")
        ),
    )


def programmes_of_seller(seller: Seller) -> list[Any]:
    """Programmes whose rounds matched ``seller``, newest first: what her graduation may name (one query)."""
    from ketnoi.programmes.models import Programme

    return list(
        Programme.objects.filter(pk__in=Match.objects.filter(seller=seller).values("round__programme"))
        .distinct()
        .order_by("-starts_on", "-pk")
    )
