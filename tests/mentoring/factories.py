"""Shared builders for the mentoring tests.

Meet and Match (M1) first, then Mentor and Move (M2). Builders write through
the ORM for speed; tests of a service call the service itself.

    seller = seller_with_needs(needs=["buyers"], categories=["honey"])   # in Sơn La, leader = seller role
    partner = partner_build(provinces=[son_la()], capacity=2)           # a buyer serving Sơn La
    event, sellers, partners = fair_build(sellers=3, partners=2)        # registrations validated
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from ketnoi.accounts.models import Role
from ketnoi.market.models import Seller
from ketnoi.mentoring.models import Event, MeetingRequest, Partner, Registration, SellerNeeds
from ketnoi.places.models import Province
from tests.accounts.factories import user_with_role
from tests.market.factories import SellerFactory, category_get

_numbers = itertools.count(1)


def son_la() -> Province:
    return Province.objects.get(codename="son_la")


def lao_cai() -> Province:
    return Province.objects.get(codename="lao_cai")


def officer_of(province: Province | None = None):
    """A programme officer of ``province`` (Sơn La by default)."""
    return user_with_role(Role.PROGRAMME_OFFICER, province=province or son_la())


def admin_user():
    return user_with_role(Role.ADMINISTRATOR)


def needs_for(
    seller: Seller,
    *,
    needs=("buyers", "ecommerce"),
    categories=("brocade-textiles",),
    languages=("vi", "thai"),
    monthly_capacity: str = "200 tấm vải",
    notes: str = "",
) -> SellerNeeds:
    record = SellerNeeds.objects.create(
        seller=seller,
        needs=list(needs),
        languages=list(languages),
        monthly_capacity=monthly_capacity,
        notes=notes,
    )
    record.categories.set([category_get(slug) for slug in categories])
    return record


def seller_with_needs(
    *,
    commune=None,
    needs=("buyers", "ecommerce"),
    categories=("brocade-textiles",),
    languages=("vi", "thai"),
    **fields,
) -> Seller:
    """A cooperative (women-led, ethnic-minority-led: the sensitive flags set) with stated needs."""
    if commune is not None:
        fields["commune"] = commune
    seller = SellerFactory(**fields)
    needs_for(seller, needs=needs, categories=categories, languages=languages)
    return seller


def partner_build(
    *,
    user=None,
    kind: str = Partner.Kind.BUYER,
    organisation: str | None = None,
    offers=("buyers",),
    categories=("brocade-textiles",),
    provinces=None,
    languages=("vi",),
    capacity: int = 3,
    active: bool = True,
) -> Partner:
    """A partner whose user holds the partner role, serving ``provinces`` (default: Sơn La)."""
    partner = Partner.objects.create(
        user=user or user_with_role(Role.PARTNER),
        kind=kind,
        organisation=organisation or f"Công ty Thu mua Tây Bắc {next(_numbers)}",
        offers=list(offers),
        languages=list(languages),
        capacity=capacity,
        active=active,
    )
    partner.provinces.set(list(provinces) if provinces is not None else [son_la()])
    partner.categories.set([category_get(slug) for slug in categories])
    return partner


def event_build(
    *,
    organiser=None,
    province=None,
    tables: int = 4,
    slots: int = 4,
    state: str = Event.State.REGISTRATION,
    **fields,
) -> Event:
    """A fair in ``province`` (Sơn La) a week from now, ``slots`` slots of 20 minutes from 08:00."""
    province = province or son_la()
    return Event.objects.create(
        name=fields.pop("name", f"Hội chợ kết nối Sơn La {next(_numbers)}"),
        kind=fields.pop("kind", Event.Kind.FAIR),
        state=state,
        province=province,
        venue=fields.pop("venue", "Nhà văn hoá tỉnh"),
        starts_on=fields.pop("starts_on", timezone.localdate() + timedelta(days=7)),
        organiser=organiser or officer_of(province),
        tables=tables,
        slots=[
            {
                "start": f"{8 + (i * 20) // 60:02d}:{(i * 20) % 60:02d}",
                "end": f"{8 + (i * 20 + 20) // 60:02d}:{(i * 20 + 20) % 60:02d}",
            }
            for i in range(slots)
        ],
        **fields,
    )


def registration_build(
    event: Event, *, seller=None, partner=None, state: str = Registration.State.VALIDATED, available_slots=()
) -> Registration:
    user = partner.user if partner is not None else seller.leader
    return Registration.objects.create(
        event=event,
        user=user,
        seller=seller,
        partner=partner,
        state=state,
        available_slots=list(available_slots),
    )


def request_build(
    sender: Registration, receiver: Registration, *, state: str = MeetingRequest.State.ACCEPTED
) -> MeetingRequest:
    return MeetingRequest.objects.create(
        event_id=sender.event_id, sender=sender, receiver=receiver, state=state
    )


def fair_build(
    *, sellers: int = 3, partners: int = 2, tables: int = 4, slots: int = 4, state: str = Event.State.REQUESTS
):
    """An event with validated registrations: ``sellers`` cooperatives (with needs) and ``partners``."""
    event = event_build(tables=tables, slots=slots, state=state)
    seller_regs = [registration_build(event, seller=seller_with_needs()) for _ in range(sellers)]
    partner_regs = [registration_build(event, partner=partner_build()) for _ in range(partners)]
    return event, seller_regs, partner_regs


# --- Mentor and Move (M2): a partner, a match in any state, a plan with sessions -----------------


def partner_make(*, kind: str = "mentor", organisation: str = "Cố vấn Bảo Phạm", provinces=(), **fields):
    """A partner (her user holds the partner and mentor roles) serving ``provinces``."""
    from ketnoi.accounts.models import Role
    from ketnoi.mentoring.models import Partner
    from tests.accounts.factories import user_with_role

    user = fields.pop("user", None) or user_with_role(Role.PARTNER)
    partner = Partner.objects.create(
        user=user,
        kind=kind,
        organisation=organisation,
        offers=["buyers", "ecommerce"],
        languages=["vi"],
        **fields,
    )
    if provinces:
        partner.provinces.add(*provinces)
    return partner


def match_make(*, seller=None, partner=None, commune=None, state: str = "pending", round=None, **fields):
    """A match of ``seller`` (a new cooperative in ``commune``) and ``partner`` in ``state``.

    Answers follow the state: accepted and completed have both sides' yes,
    declined the seller's no.
    """
    from django.utils import timezone

    from ketnoi.mentoring.models import Match
    from tests.market.factories import SellerFactory

    seller = seller or SellerFactory(**({"commune": commune} if commune is not None else {}))
    partner = partner or partner_make(provinces=[seller.commune.province])
    answers = {
        "accepted": ("accept", "accept"),
        "completed": ("accept", "accept"),
        "declined": ("decline", ""),
    }.get(state, ("", ""))
    return Match.objects.create(
        seller=seller,
        partner=partner,
        round=round,
        score=fields.pop("score", 0.8),
        reasons=fields.pop("reasons", [{"code": "category", "label": "Cùng nhóm hàng", "weight": 0.3}]),
        state=state,
        seller_answer=answers[0],
        partner_answer=answers[1],
        proposed_at=timezone.now(),
        completed_at=timezone.now() if state == "completed" else None,
        **fields,
    )


def accepted_match(**kwargs):
    return match_make(state="accepted", **kwargs)


def plan_make(match, *, goals: str = "Lên sàn thương mại điện tử.", sessions=(), milestones=()):
    """A plan of ``match`` written straight to the tables: ``sessions`` are (starts_at, held) pairs."""
    from ketnoi.mentoring.models import MentoringPlan, Milestone, Session

    plan = MentoringPlan.objects.create(match=match, goals=goals)
    for starts_at, held in sessions:
        Session.objects.create(plan=plan, starts_at=starts_at, held=held, notes="Đã gặp" if held else "")
    for title, due_on, done_on in milestones:
        Milestone.objects.create(plan=plan, title=title, due_on=due_on, done_on=done_on)
    return plan


def programme_4m(*, province=None, code: str = "4m-son-la", name: str = "4M Sơn La 2026"):
    """A programme that 4M rounds and graduations can name (written straight to its table)."""
    from datetime import date

    from ketnoi.accounts.models import Role
    from ketnoi.programmes.models import Programme
    from tests.accounts.factories import user_with_role

    return Programme.objects.create(
        code=code,
        name=name,
        province=province,
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 12, 31),
        budget_vnd=0,
        entitlement="per_household",
        amount_vnd=0,
        state="active",
        created_by=user_with_role(Role.ADMINISTRATOR),
    )


def round_make(*, programme=None, province=None, state: str = "sent", name: str = "Đợt 1"):
    from ketnoi.accounts.models import Role
    from ketnoi.mentoring.models import Round
    from tests.accounts.factories import user_with_role

    return Round.objects.create(
        name=name,
        programme=programme,
        province=province,
        state=state,
        created_by=user_with_role(Role.PROGRAMME_OFFICER, province=province)
        if province
        else user_with_role(Role.ADMINISTRATOR),
    )


def needs_make(seller, needs=("buyers",)):
    from ketnoi.mentoring.models import SellerNeeds

    return SellerNeeds.objects.create(seller=seller, needs=list(needs), languages=["vi"])


def graduation_make(seller, *, programme=None):
    from django.utils import timezone

    from ketnoi.mentoring.models import Graduation

    return Graduation.objects.create(
        seller=seller,
        programme=programme,
        graduated_on=timezone.localdate(),
        criteria={"uplift_percent": 30, "months": 3},
        evidence={"baseline_vnd": 1_000_000, "threshold_vnd": 1_300_000, "months": []},
    )
