"""Demo households for communes A (Xã Mường Bú, Sơn La) and B (Xã Bắc Hà, Lào Cai).

A few hundred invented households with spreads like the real ones: Thái
families in Mường Bú; Mông, Tày, Dao and Nùng in Bắc Hà, which is poorer
(more deprivations, lower incomes). Incomes are log-normal around the poor
line. A random generator with a fixed seed makes the same world every time.

Rows are filled by the same helpers as ``household_create`` (CCCDs
encrypted and hashed through ``citizen_id``) and saved with ``bulk_create``
so the whole world takes a second or two; each household still gets its
audit entries. Most are self-registrations (some entered by the commune
officer or from a file). About half of the self-registrations are verified
by the commune officer — who did not enter them, as maker–checker requires
— and assessed; some are under review, some wait for a correction. Two
households per commune list a person of another household (same CCCD;
same name and birth date): those go through ``household_create`` itself,
whose duplicate search opens the flags. Households on last year's list
carry the two previous years' recognised assessments, so the annual review
and the dashboard's trend have data.

Idempotent: a commune that already has demo households (phones in the
reserved ``0900 99x xxx`` range) is skipped.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TextIO

from django.db.models import QuerySet
from django.utils import timezone

from ketnoi.accounts.models import Role, User
from ketnoi.core.audit import audit_record
from ketnoi.core.models import normalize_text_fields
from ketnoi.core.phone import normalize_phone
from ketnoi.places.models import Commune
from ketnoi.poverty import assess

from .facts import household_facts
from .models import Assessment, Household, HouseholdSource, HouseholdStatus, Member
from .services.households import (
    HouseholdInput,
    MemberInput,
    household_create,
    household_fill,
    member_fill,
    reference_new,
)

DEMO_PHONE_PREFIX = "+8490099"  # 0900 99x xxx: never given to a real household here


@dataclass(frozen=True)
class People:
    code: str  # ethnic group
    families: tuple[str, ...]
    men: tuple[str, ...]  # middle + given names
    women: tuple[str, ...]


def _w(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


THAI = People(
    "03",
    _w("Lò, Cầm, Quàng, Lường, Vì, Tòng, Hoàng, Lù"),
    _w("Văn Pâng, Văn Xuân, Văn Ính, Văn Khăm, Văn Piêng, Văn Thanh, Văn Hoan, Văn Tiến, Văn Chiến"),
    _w("Thị Ơn, Thị Xuân, Thị Ánh, Thị Pâng, Thị Lả, Thị Hương, Thị Mai, Thị Biên, Thị Ỏn, Thị Sương"),
)
KINH = People(
    "01",
    _w("Nguyễn, Trần, Lê, Phạm, Đỗ, Vũ"),
    _w("Văn Hùng, Đức Minh, Văn Tuấn, Quang Huy, Văn Nam"),
    _w("Thị Hà, Thị Lan, Thu Trang, Thị Hạnh, Ngọc Ánh"),
)
MONG = People(
    "08",
    _w("Giàng, Sùng, Vàng, Mùa, Thào, Lù, Hầu, Lý"),
    _w("A Chứ, Seo Pao, A Sính, Seo Dình, A Tủa, Seo Chá, Văn Sử"),
    _w("Thị Mỷ, Thị Dợ, Thị Chử, Thị Súa, Thị Mai, Thị Pằng, Thị Sênh, Thị Dế"),
)
TAY = People(
    "02",
    _w("Hoàng, Nông, Ma, Lục, Bế, Hà"),
    _w("Văn Toàn, Văn Thắng, Văn Luận, Văn Bình, Đức Hải"),
    _w("Thị Nhung, Thị Lan, Thị Hoa, Thị Thắm, Thị Duyên"),
)
DAO = People(
    "09",
    _w("Bàn, Triệu, Đặng, Lý, Chảo"),
    _w("Văn Phú, Tà Quẩy, Văn Lở, Văn Vần, Tà Chiêu"),
    _w("Thị Mẩy, Tả Liều, Thị Xuân, Thị Nhất, Thị Cói"),
)
NUNG = People(
    "07",
    _w("Nông, Hoàng, Lương, Vi, Mã"),
    _w("Văn Sáng, Văn Tài, Văn Chung, Văn Dũng"),
    _w("Thị Đào, Thị Hiền, Thị Sen, Thị Hảo"),
)


@dataclass(frozen=True)
class DemoCommune:
    province: str  # codename
    short_name: str
    officer_phone: str
    households: int
    peoples: tuple[tuple[People, float], ...]
    villages: tuple[str, ...]
    birth_province: str  # first three digits of the CCCDs of people born here
    median_income: int  # per person per month, đồng
    deprivation: float  # how often a household lacks something (scales every rate)
    seed: int


DEMO_COMMUNES = (
    DemoCommune(
        "son_la",
        "Mường Bú",
        "0900000002",
        160,
        ((THAI, 0.88), (KINH, 0.12)),
        _w("Bản Bú, Bản Hua Ná, Bản Nà Ngùa, Bản Phiêng Cại, Bản Mường, Bản Hé"),
        "014",
        1_950_000,
        0.18,
        2026_01,
    ),
    DemoCommune(
        "lao_cai",
        "Bắc Hà",
        "0900000003",
        200,
        ((MONG, 0.5), (TAY, 0.2), (DAO, 0.15), (NUNG, 0.15)),
        _w("Thôn Na Hối, Thôn Bản Phố, Thôn Làng Lò, Thôn Nậm Mòn, Thôn Na Kim, Thôn Sín Chải"),
        "010",
        1_450_000,
        0.32,
        2026_02,
    ),
)


def _pick(rng: random.Random, weighted: tuple[tuple[People, float], ...]) -> People:
    return rng.choices([p for p, _w in weighted], weights=[w for _p, w in weighted])[0]


def _birth(rng: random.Random, today: date, age: int) -> date:
    born = date(today.year - age, 1, 1) + timedelta(days=rng.randrange(365))
    return min(born, today - timedelta(days=30 + 365 * age))


def _citizen_id(rng: random.Random, province: str, born: date, sex: str) -> str:
    century = (born.year // 100 - 19) * 2 + (1 if sex == "female" else 0)
    return f"{province}{century}{born.year % 100:02d}{rng.randrange(1_000_000):06d}"


class _Maker:
    """Invents one commune's households, deterministically from its seed."""

    def __init__(self, place: DemoCommune, commune: Commune, today: date) -> None:
        self.place = place
        self.commune = commune
        self.today = today
        self.rng = random.Random(place.seed)  # noqa: S311 - invented data, reproducible on purpose
        self.phones = 0

    def chance(self, rate: float) -> bool:
        return self.rng.random() < rate * self.place.deprivation / 0.25

    def phone(self) -> str:
        self.phones += 1
        number = f"090099{self.place.seed % 10}{self.phones:03d}"
        return normalize_phone(number)

    def member(self, people: People, *, relation: str, sex: str, age: int, family: str) -> MemberInput:
        rng = self.rng
        name = f"{family} {rng.choice(people.men if sex == 'male' else people.women)}"
        born = _birth(rng, self.today, age)
        if age < 6:
            education, school, work = "none", age >= 3 and not self.chance(0.1), "not_in_labour_force"
        elif age < 16:
            school = not self.chance(0.07)
            education = "primary" if age >= 11 else "none"
            work = "not_in_labour_force"
        else:
            school = 16 <= age <= 18 and not self.chance(0.3)
            levels = ["none", "primary", "lower_secondary", "upper_secondary", "vocational"]
            weights = [1.0, 2.0, 3.5, 2.5, 1.0] if not self.chance(0.15) else [3, 3, 1, 0.2, 0.1]
            education = rng.choices(levels, weights=weights)[0]
            if school or age > 62:
                work = "not_in_labour_force"
            elif self.chance(0.12):
                work = rng.choice(["wage_without_contract", "unemployed"])
            else:
                work = rng.choices(["self_employed", "wage_with_contract"], weights=[8, 1])[0]
        number = ""
        if age >= 14 and rng.random() < 0.85:
            number = _citizen_id(rng, self.place.birth_province, born, sex)
        return MemberInput(
            full_name=name,
            birth_date=born,
            sex=sex,
            relation=relation,
            ethnic_group=people.code,
            education=education,
            has_health_insurance=True,
            work=work,
            citizen_id=number,
            has_disability=rng.random() < 0.03,
            able_to_work=rng.random() > 0.04,
            attending_school=school,
            stunted_or_underweight=age < 16 and self.chance(0.08),
        )

    def household(self) -> HouseholdInput:
        rng = self.rng
        people = _pick(rng, self.place.peoples)
        family = rng.choice(people.families)
        head_sex = "male" if rng.random() < 0.8 else "female"
        head_age = rng.randint(23, 68)
        members = [self.member(people, relation="head", sex=head_sex, age=head_age, family=family)]
        if rng.random() < 0.85:
            spouse_sex = "female" if head_sex == "male" else "male"
            spouse_family = rng.choice(people.families)
            members.append(
                self.member(
                    people,
                    relation="spouse",
                    sex=spouse_sex,
                    age=max(18, head_age + rng.randint(-6, 4)),
                    family=spouse_family,
                )
            )
        for _ in range(rng.choices([0, 1, 2, 3, 4, 5], weights=[2, 3, 3, 2, 1, 0.5])[0]):
            age = max(0, min(head_age - 18, rng.randint(0, 24)))
            members.append(
                self.member(
                    people, relation="child", sex=rng.choice(["male", "female"]), age=age, family=family
                )
            )
        if rng.random() < 0.2:
            members.append(
                self.member(
                    people,
                    relation="parent",
                    sex=rng.choice(["male", "female"]),
                    age=min(95, head_age + rng.randint(20, 30)),
                    family=family,
                )
            )
        if self.chance(0.15):  # someone's health insurance card has lapsed
            lapsed = rng.choice(
                [i for i, m in enumerate(members) if self.today.year - m.birth_date.year >= 7]
            )
            members[lapsed] = replace(members[lapsed], has_health_insurance=False)
        size = len(members)
        per_person = self.place.median_income * math.exp(rng.gauss(0, 0.55))
        income = int(round(per_person * 12 * size, -5))
        poor_home = self.chance(0.25)
        parts = ["non_durable" if poor_home and rng.random() < 0.8 else "durable" for _ in range(3)]
        m2_per_person = rng.uniform(5.0, 8.0) if self.chance(0.2) else rng.uniform(8.0, 25.0)
        telecom = not self.chance(0.1)
        devices = (
            [] if self.chance(0.15) else rng.sample(["television", "radio", "smartphone"], rng.randint(1, 3))
        )
        if telecom and "smartphone" not in devices and rng.random() < 0.5:
            devices.append("smartphone")
        return HouseholdInput(
            commune_code=self.commune.code,
            area="rural",
            income_12m_vnd=income,
            walls=parts[0],
            frame=parts[1],
            roof=parts[2],
            floor_area_m2=Decimal(str(round(m2_per_person * size, 1))),
            water_source=(
                rng.choice(["unprotected_spring", "surface", "unprotected_well"])
                if self.chance(0.2)
                else rng.choice(["piped", "protected_spring", "protected_well", "rainwater"])
            ),
            latrine=rng.choice(["unhygienic", "none"])
            if self.chance(0.25)
            else rng.choice(["flush_septic", "semi_septic", "double_vault"]),
            uses_telecom=telecom,
            waste_collected_or_treated=not self.chance(0.45),
            devices=devices,
            address_line=rng.choice(self.place.villages),
            contact_phone=self.phone(),
            members=members,
        )


def _officer(phone: str, commune: Commune) -> User | None:
    return (
        User.objects.filter(
            phone=normalize_phone(phone),
            role_assignments__role=Role.COMMUNE_OFFICER,
            role_assignments__commune=commune,
        )
        .distinct()
        .first()
    )


@dataclass
class _Made:
    data: HouseholdInput
    household: Household
    members: list[Member]


def _build(
    data: HouseholdInput, commune: Commune, *, source: str, registered_by: User | None, today: date
) -> _Made:
    """Unsaved rows for ``data``, filled as ``household_create`` fills them (CCCDs encrypted, hashed)."""
    household = household_fill(data, Household(commune=commune, source=source))
    household.reference = reference_new()
    household.status = HouseholdStatus.SUBMITTED
    household.registered_by = household.last_changed_by = registered_by
    normalize_text_fields(household)
    members = [member_fill(m, Member(household=household), today=today) for m in data.members]
    for member in members:
        normalize_text_fields(member)
    return _Made(data, household, members)


def _assessment(
    made: _Made, officer: User, on: date, *, income_factor: float, recognised: bool
) -> Assessment | None:
    members = [m for m in made.members if m.birth_date <= on]  # a younger child was not yet there
    if not any(m.relation == "head" for m in members):
        return None
    facts = household_facts(made.household, members, on=on)
    facts = replace(facts, income_12m_vnd=int(facts.income_12m_vnd * income_factor))
    result = assess("auto", facts, on=on)
    return Assessment(
        household=made.household,
        year=on.year,
        standard=result.standard,
        standard_version=result.standard_version,
        assessed_on=on,
        income_per_capita_vnd=facts.income_per_capita_month_vnd,
        deprived=list(result.deprived),
        deprivation_count=result.deprivation_count,
        classification=result.classification,
        assessed_by=officer,
        recognised=recognised,
    )


def _plant_duplicates(maker: _Maker, made: list[_Made]) -> list[Household]:
    """Households that list a person of another household: once with the same CCCD, once with
    the same name and birth date. Each is flagged for the officer's decision; nothing merges."""
    planted = []
    sources = [m for m in made if any(x.relation != "head" and x.citizen_id for x in m.data.members)]
    for index, source in enumerate(sources[:2]):
        person = next(x for x in source.data.members if x.relation != "head" and x.citizen_id)
        copy = replace(person, relation="spouse", citizen_id=person.citizen_id if index == 0 else "")
        data = maker.household()
        kept = [m for m in data.members if m.relation not in ("spouse", "parent")][:3]
        data.members = [*kept, copy]
        planted.append(household_create(actor=None, data=data, source=HouseholdSource.SELF))
    return planted


def _seed_commune(place: DemoCommune, stdout: TextIO, today: date) -> None:
    commune = (
        Commune.objects.select_related("province")
        .filter(province__codename=place.province, short_name=place.short_name)
        .first()
    )
    if commune is None:
        stdout.write(f"Registry demo: commune {place.short_name} not found; skipped.\n")
        return
    if demo_households().filter(commune=commune).exists():
        stdout.write(f"Registry demo: {commune.name} already has demo households.\n")
        return
    officer = _officer(place.officer_phone, commune)
    if officer is None:
        stdout.write(f"Registry demo: no commune officer for {commune.name}; skipped.\n")
        return
    maker = _Maker(place, commune, today)
    made: list[_Made] = []
    for _number in range(place.households):
        data = maker.household()
        draw = maker.rng.random()
        if draw < 0.1:
            made.append(
                _build(data, commune, source=HouseholdSource.OFFICER, registered_by=officer, today=today)
            )
        elif draw < 0.15:
            made.append(
                _build(data, commune, source=HouseholdSource.IMPORT, registered_by=officer, today=today)
            )
        else:
            made.append(_build(data, commune, source=HouseholdSource.SELF, registered_by=None, today=today))
    # Maker–checker: the officer verifies only households she did not enter herself.
    self_made = [m for m in made if m.household.registered_by is None]
    now = timezone.now()
    steps: dict[str, list[_Made]] = {
        HouseholdStatus.VERIFIED: [],
        HouseholdStatus.UNDER_REVIEW: [],
        HouseholdStatus.NEEDS_CORRECTION: [],
    }
    for index, one in enumerate(self_made):
        share = index / len(self_made)
        if share >= 0.78:
            continue  # still "submitted": the queue
        step = (
            HouseholdStatus.VERIFIED
            if share < 0.6
            else HouseholdStatus.UNDER_REVIEW
            if share < 0.7
            else HouseholdStatus.NEEDS_CORRECTION
        )
        steps[step].append(one)
        one.household.status = step
    for one in steps[HouseholdStatus.VERIFIED]:
        one.household.verified_by = officer
        one.household.verified_at = now
    Household.objects.bulk_create([m.household for m in made])
    for one in made:
        for member in one.members:
            member.household = one.household
    Member.objects.bulk_create([x for m in made for x in m.members], batch_size=500)
    for one in made:
        audit_record(
            actor=one.household.registered_by,
            action="household_created",
            target=one.household,
            changes={"source": (None, one.household.source), "members": (None, len(one.members))},
            reason="demo",
        )
    actions: dict[str, str] = {
        HouseholdStatus.VERIFIED: "household_verified",
        HouseholdStatus.UNDER_REVIEW: "household_review_started",
        HouseholdStatus.NEEDS_CORRECTION: "household_returned",
    }
    for status, ones in steps.items():
        for one in ones:
            audit_record(
                actor=officer,
                action=actions[status],
                target=one.household,
                changes={"status": (HouseholdStatus.SUBMITTED, status)},
                reason="Thiếu số CCCD của vợ; hãy bổ sung."
                if status == HouseholdStatus.NEEDS_CORRECTION
                else "",
            )
    assessments = [
        _assessment(m, officer, today, income_factor=1.0, recognised=False)
        for m in steps[HouseholdStatus.VERIFIED]
    ]
    # Households on last year's list: the two previous years' recognised results (incomes were lower).
    for one in made[: len(made) * 7 // 10]:
        for years_ago, factor in ((1, 0.9), (2, 0.8)):
            on = date(today.year - years_ago, 10, 15)
            assessments.append(_assessment(one, officer, on, income_factor=factor, recognised=True))
    rows = [a for a in assessments if a is not None]
    Assessment.objects.bulk_create(rows, batch_size=500)
    years: dict[Household, list[int]] = {}
    for assessment in rows:
        years.setdefault(assessment.household, []).append(assessment.year)
    for household, assessed in years.items():
        audit_record(
            actor=officer,
            action="household_assessed",
            target=household,
            changes={"years": (None, sorted(assessed))},
            reason="demo",
        )
    planted = _plant_duplicates(maker, made)
    stdout.write(
        f"Registry demo: {commune.name}: {len(made) + len(planted)} households "
        f"({len(steps[HouseholdStatus.VERIFIED])} verified and assessed, "
        f"{len(steps[HouseholdStatus.UNDER_REVIEW])} under review, "
        f"{len(steps[HouseholdStatus.NEEDS_CORRECTION])} to correct, "
        f"{len(planted)} with a possible duplicate), {len(rows)} assessments.\n"
    )


def seed(stdout: TextIO) -> None:
    today = timezone.localdate()
    for place in DEMO_COMMUNES:
        _seed_commune(place, stdout, today)


def demo_households() -> QuerySet[Household]:
    """The demo households (for tests and clean-up)."""
    return Household.objects.filter(contact_phone__startswith=DEMO_PHONE_PREFIX)
