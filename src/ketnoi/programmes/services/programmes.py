"""Programmes: create and edit one while it is a draft, preview who qualifies, activate, close.

A programme officer acts only for programmes whose area lies inside her
province; a national programme needs an administrator
(``access.programme_access_check``). Activating a programme opens its fund
in the ledger and posts its budget there from the donors, once (the key
``programme-<code>-budget``). Every change is in the audit trail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, IntegerField, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record, changes_between
from ketnoi.core.errors import DomainError
from ketnoi.core.money import MAX_VND
from ketnoi.core.text import nfc
from ketnoi.ledger.models import Account
from ketnoi.ledger.services import account_open, transfer_post
from ketnoi.places.models import Commune, Province

from .. import rules as eligibility
from ..access import programme_access_check
from ..models import Cycle, EntitlementKind, Programme

DONORS_ACCOUNT = "donors-external"
CODE_MAX = 40
NAME_MAX = 200
DESCRIPTION_MAX = 4000
SPONSOR_MAX = 200
VOUCHER_DAYS_MAX = 365
SAMPLE_SIZE = 10
_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# First path segments of the other pages under /programmes/: never a programme's code.
RESERVED_CODES = frozenset(
    {"new", "batches", "post-office", "my", "complaints", "dashboard", "api", "export", "vouchers"}
)

# The fields ``programme_update`` may change (the code names the ledger accounts: never).
EDITABLE = (
    "name",
    "description",
    "sponsor",
    "province",
    "communes",
    "starts_on",
    "ends_on",
    "budget_vnd",
    "rules",
    "entitlement",
    "amount_vnd",
    "voucher_valid_days",
)


def _invalid(message: Any, code: str, /, **params: Any) -> DomainError:
    return DomainError(message, code=code, params=params, status=422)


# --- Checks shared by create, update and preview ------------------------------------


def amount_check(value: Any, *, label: Any) -> int:
    """``value`` as a whole number of đồng above zero and at most ``MAX_VND``; 422 otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(_("%(label)s phải là một số đồng nguyên."), "amount_not_integer", label=label)
    if value <= 0:
        raise _invalid(_("%(label)s phải lớn hơn 0 đồng."), "amount_not_positive", label=label)
    if value > MAX_VND:
        raise _invalid(
            _("%(label)s quá lớn (tối đa %(max)s đồng): hãy kiểm tra lại số chữ số."),
            "amount_absurd",
            label=label,
            max=f"{MAX_VND:,}".replace(",", "."),
        )
    return value


def area_check(
    province: Province | int | None, communes: Iterable[Commune | int]
) -> tuple[int | None, list[int]]:
    """The programme's area as (province code or ``None`` for national, commune codes).

    Communes must lie in the province, and a national programme takes none
    (at most two queries).
    """
    province_id = province.pk if isinstance(province, Province) else province
    commune_ids = sorted({c.pk if isinstance(c, Commune) else int(c) for c in communes})
    if province_id is not None and not Province.objects.filter(pk=province_id).exists():
        raise _invalid(_("Không có tỉnh/thành phố mã %(code)s."), "province_unknown", code=province_id)
    if commune_ids:
        if province_id is None:
            raise _invalid(
                _("Hãy chọn tỉnh/thành phố trước khi chọn xã/phường."), "communes_without_province"
            )
        found = dict(Commune.objects.filter(pk__in=commune_ids).values_list("pk", "province_id"))
        outside = [code for code in commune_ids if found.get(code) != province_id]
        if outside:
            raise _invalid(
                _("Xã/phường mã %(codes)s không thuộc tỉnh/thành phố của chương trình."),
                "commune_outside_province",
                codes=", ".join(str(code) for code in outside),
            )
    return province_id, commune_ids


def _entitlement_check(entitlement: Any) -> str:
    if entitlement not in EntitlementKind.values:
        raise _invalid(
            _("Mức hưởng “%(value)s” không có: chọn theo hộ, theo nhân khẩu hoặc phiếu mua hàng."),
            "entitlement_unknown",
            value=entitlement,
        )
    return str(entitlement)


@dataclass(frozen=True)
class _Clean:
    name: str
    description: str
    sponsor: str
    province_id: int | None
    commune_ids: list[int]
    starts_on: date
    ends_on: date
    budget_vnd: int
    rules: dict[str, Any]
    entitlement: str
    amount_vnd: int
    voucher_valid_days: int


def _text(value: Any, *, label: Any, maximum: int, required: bool = False) -> str:
    text = nfc(value) if isinstance(value, str) else ""
    if required and not text:
        raise _invalid(_("Hãy nhập %(label)s."), "required", label=label)
    if len(text) > maximum:
        raise _invalid(_("%(label)s dài quá (tối đa %(max)s ký tự)."), "too_long", label=label, max=maximum)
    return text


def _clean(values: dict[str, Any]) -> _Clean:
    """Every check of a programme's details; raises ``DomainError`` (422) on the first problem."""
    name = _text(values["name"], label=_("tên chương trình"), maximum=NAME_MAX, required=True)
    starts_on, ends_on = values["starts_on"], values["ends_on"]
    if not isinstance(starts_on, date) or not isinstance(ends_on, date):
        raise _invalid(_("Hãy nhập ngày bắt đầu và ngày kết thúc."), "period_missing")
    if ends_on < starts_on:
        raise _invalid(_("Ngày kết thúc phải sau ngày bắt đầu."), "period_reversed")
    budget = amount_check(values["budget_vnd"], label=_("Ngân sách"))
    amount = amount_check(values["amount_vnd"], label=_("Số tiền được hưởng"))
    if amount > budget:
        raise _invalid(
            _("Số tiền được hưởng của một hộ lớn hơn cả ngân sách chương trình."), "amount_over_budget"
        )
    days = values["voucher_valid_days"]
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= VOUCHER_DAYS_MAX:
        raise _invalid(_("Phiếu phải dùng được từ 1 đến %(max)s ngày."), "voucher_days", max=VOUCHER_DAYS_MAX)
    entitlement = _entitlement_check(values["entitlement"])
    province_id, commune_ids = area_check(values["province"], values["communes"])
    return _Clean(
        name=name,
        description=_text(values["description"], label=_("mô tả"), maximum=DESCRIPTION_MAX),
        sponsor=_text(values["sponsor"], label=_("nhà tài trợ"), maximum=SPONSOR_MAX),
        province_id=province_id,
        commune_ids=commune_ids,
        starts_on=starts_on,
        ends_on=ends_on,
        budget_vnd=budget,
        rules=eligibility.rules_validate(values["rules"]),
        entitlement=entitlement,
        amount_vnd=amount,
        voucher_valid_days=days,
    )


def _apply(programme: Programme, clean: _Clean) -> None:
    for name in (
        "name",
        "description",
        "sponsor",
        "province_id",
        "starts_on",
        "ends_on",
        "budget_vnd",
        "rules",
        "entitlement",
        "amount_vnd",
        "voucher_valid_days",
    ):
        setattr(programme, name, getattr(clean, name))


def _snapshot(programme: Programme, commune_ids: list[int]) -> dict[str, Any]:
    return {
        "name": programme.name,
        "province": programme.province_id,
        "communes": commune_ids,
        "starts_on": programme.starts_on,
        "ends_on": programme.ends_on,
        "budget_vnd": programme.budget_vnd,
        "rules": programme.rules,
        "entitlement": programme.entitlement,
        "amount_vnd": programme.amount_vnd,
        "voucher_valid_days": programme.voucher_valid_days,
    }


# --- Writes ------------------------------------------------------------------------------


@transaction.atomic
def programme_create(
    *,
    actor: Any,
    code: str,
    name: str,
    description: str = "",
    sponsor: str = "",
    province: Province | int | None = None,
    communes: Iterable[Commune | int] = (),
    starts_on: date,
    ends_on: date,
    budget_vnd: int,
    rules: Any,
    entitlement: str,
    amount_vnd: int,
    voucher_valid_days: int = 60,
) -> Programme:
    """Create a draft programme. Refused (nothing saved): bad details (422), a code in use (409),
    an ``actor`` who may not run a programme of that area (403)."""
    clean_code = code.strip().lower() if isinstance(code, str) else ""
    if not _CODE.fullmatch(clean_code) or len(clean_code) > CODE_MAX:
        raise _invalid(
            _(
                "Mã chương trình chỉ gồm chữ thường không dấu, số và dấu “-”, tối đa %(max)s ký tự, ví dụ "
                "“covid-son-la-2026”."
            ),
            "programme_code_invalid",
            max=CODE_MAX,
        )
    if clean_code in RESERVED_CODES:
        raise _invalid(
            _("Mã “%(code)s” trùng với tên một trang của hệ thống; hãy chọn mã khác."),
            "programme_code_reserved",
            code=clean_code,
        )
    clean = _clean(
        {
            "name": name,
            "description": description,
            "sponsor": sponsor,
            "province": province,
            "communes": communes,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "budget_vnd": budget_vnd,
            "rules": rules,
            "entitlement": entitlement,
            "amount_vnd": amount_vnd,
            "voucher_valid_days": voucher_valid_days,
        }
    )
    programme = Programme(code=clean_code, created_by=actor)
    _apply(programme, clean)
    programme_access_check(actor, programme)
    if Programme.objects.filter(code=clean_code).exists():
        raise DomainError(
            _("Mã chương trình “%(code)s” đã được dùng; hãy chọn mã khác."),
            code="programme_code_taken",
            params={"code": clean_code},
            status=409,
        )
    programme.save()
    programme.communes.set(clean.commune_ids)
    audit_record(
        actor=actor,
        action="programme_created",
        target=programme,
        changes={key: (None, value) for key, value in _snapshot(programme, clean.commune_ids).items()},
    )
    return programme


@transaction.atomic
def programme_update(programme: Programme, *, actor: Any, **changes: Any) -> Programme:
    """Change a draft programme's details (any of ``EDITABLE``); once active it is fixed (409)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise TypeError(f"programme_update cannot change {', '.join(unknown)}")
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    programme_access_check(actor, locked)
    if locked.state != Programme.State.DRAFT:
        raise DomainError(
            _("Chương trình đã bắt đầu thực hiện nên không sửa được nữa."),
            code="programme_not_draft",
            status=409,
        )
    old_communes = sorted(locked.communes.values_list("pk", flat=True))
    before = _snapshot(locked, old_communes)
    current = {
        "name": locked.name,
        "description": locked.description,
        "sponsor": locked.sponsor,
        "province": locked.province_id,
        "communes": old_communes,
        "starts_on": locked.starts_on,
        "ends_on": locked.ends_on,
        "budget_vnd": locked.budget_vnd,
        "rules": locked.rules,
        "entitlement": locked.entitlement,
        "amount_vnd": locked.amount_vnd,
        "voucher_valid_days": locked.voucher_valid_days,
    }
    clean = _clean(current | changes)
    _apply(locked, clean)
    programme_access_check(actor, locked)  # the new area must be hers too
    locked.save()
    locked.communes.set(clean.commune_ids)
    audit_record(
        actor=actor,
        action="programme_updated",
        target=locked,
        changes=changes_between(before, _snapshot(locked, clean.commune_ids)),
    )
    return locked


@transaction.atomic
def programme_activate(programme: Programme, *, actor: Any) -> Programme:
    """Start a draft programme: open its fund and post its budget from the donors (once).

    Refused when the programme is not a draft (409) or its period is over (422).
    """
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    programme_access_check(actor, locked)
    if locked.state != Programme.State.DRAFT:
        raise DomainError(
            _("Chỉ bắt đầu được chương trình đang soạn."), code="programme_not_draft", status=409
        )
    if locked.ends_on < timezone.localdate():
        raise _invalid(_("Chương trình đã hết thời hạn; hãy sửa ngày kết thúc."), "programme_expired")
    account_open(
        code=DONORS_ACCOUNT,
        name="Nhà tài trợ, ngân sách (bên ngoài)",
        kind=Account.Kind.EXTERNAL,
        may_go_negative=True,
        actor=actor,
    )
    account_open(
        code=locked.fund_account_code,
        name=f"Quỹ chương trình {locked.name}"[:200],
        kind=Account.Kind.PROGRAMME_FUND,
        actor=actor,
    )
    transfer_post(
        idempotency_key=f"programme-{locked.code}-budget",
        postings=[(DONORS_ACCOUNT, -locked.budget_vnd), (locked.fund_account_code, locked.budget_vnd)],
        memo=f"Ngân sách chương trình {locked.code}",
        actor=actor,
    )
    locked.state = Programme.State.ACTIVE
    locked.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor,
        action="programme_activated",
        target=locked,
        changes={
            "state": (Programme.State.DRAFT, Programme.State.ACTIVE),
            "budget_vnd": (None, locked.budget_vnd),
        },
    )
    return locked


@transaction.atomic
def programme_close(programme: Programme, *, actor: Any) -> Programme:
    """Close an active programme: no new cycles. Refused while a cycle is not closed (409).

    Money left in the fund stays there (the audit entry records how much).
    """
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    programme_access_check(actor, locked)
    if locked.state != Programme.State.ACTIVE:
        raise DomainError(
            _("Chỉ kết thúc được chương trình đang thực hiện."), code="programme_not_active", status=409
        )
    open_cycles = list(
        Cycle.objects.filter(programme=locked)
        .exclude(state=Cycle.State.CLOSED)
        .values_list("number", flat=True)
    )
    if open_cycles:
        raise DomainError(
            _(
                "Còn đợt chi trả chưa đóng (đợt %(numbers)s): "
                "hãy đóng các đợt trước khi kết thúc chương trình."
            ),
            code="programme_cycles_open",
            params={"numbers": ", ".join(str(n) for n in open_cycles)},
            status=409,
        )
    left = Account.objects.filter(code=locked.fund_account_code).values_list("balance_vnd", flat=True).first()
    locked.state = Programme.State.CLOSED
    locked.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor,
        action="programme_closed",
        target=locked,
        changes={"state": (Programme.State.ACTIVE, Programme.State.CLOSED), "fund_left_vnd": (None, left)},
    )
    return locked


# --- Before anything is saved: who would qualify ---------------------------------------------


def entitlement_amount(*, entitlement: str, amount_vnd: int, members_count: int) -> int:
    """What one household gets: the amount, times its members for a per-member entitlement."""
    if entitlement == EntitlementKind.PER_MEMBER:
        return amount_vnd * members_count
    return amount_vnd


@dataclass(frozen=True)
class ConditionCount:
    text: str
    households: int


@dataclass(frozen=True)
class CommuneCount:
    commune_id: int
    name: str
    households: int
    members: int
    planned_vnd: int


@dataclass(frozen=True)
class SampleHousehold:
    household_id: int
    reference: str
    head_name: str
    commune_name: str
    classification: str
    members_count: int
    amount_vnd: int
    reasons: list[str]


@dataclass(frozen=True)
class EligibilityPreview:
    """Who would qualify under some rules, computed from the registry before anything is saved."""

    rules: dict[str, Any]
    rules_text: list[str]
    households: int
    members: int
    planned_total_vnd: int
    conditions: list[ConditionCount] = field(default_factory=list)
    communes: list[CommuneCount] = field(default_factory=list)
    sample: list[SampleHousehold] = field(default_factory=list)
    area_households: int = 0  # verified households of the area, before the rules


def eligibility_preview(
    *,
    rules: Any,
    province: Province | int | None = None,
    communes: Iterable[Commune | int] = (),
    entitlement: str,
    amount_vnd: int,
    today: date | None = None,
) -> EligibilityPreview:
    """How many verified households of the area meet ``rules``, their members, the planned total,
    how many meet each condition, counts per commune and a few of them with their reasons.

    Validates like ``programme_create`` (422) and writes nothing; a fixed
    number of queries whatever the number of households.
    """
    entitlement = _entitlement_check(entitlement)
    amount = amount_check(amount_vnd, label=_("Số tiền được hưởng"))
    province_id, commune_ids = area_check(province, communes)
    clean = eligibility.rules_validate(rules)
    place_names = eligibility.rules_place_names(clean)
    conditions = eligibility.rules_conditions(clean)
    members_field = eligibility.FIELDS["members_count"]
    fields = {f.name: f for f in eligibility.rules_fields(clean)} | {members_field.name: members_field}
    area = eligibility.area_households(province_id=province_id, commune_ids=commune_ids).annotate(
        **eligibility.rules_annotations(fields.values(), today=today)
    )
    members = Coalesce(Sum(members_field.alias), 0, output_field=IntegerField())
    matching = eligibility.rules_q(clean)
    totals = area.aggregate(
        area=Count("pk"),
        households=Count("pk", filter=matching),
        members=Coalesce(Sum(members_field.alias, filter=matching), 0, output_field=IntegerField()),
        **{f"c{i}": Count("pk", filter=eligibility.condition_q(c)) for i, c in enumerate(conditions)},
    )
    per_member = entitlement == EntitlementKind.PER_MEMBER
    qualifying = area.filter(matching)
    per_commune = [
        CommuneCount(
            commune_id=row["commune_id"],
            name=row["commune__name"],
            households=row["households"],
            members=row["people"],
            planned_vnd=amount * (row["people"] if per_member else row["households"]),
        )
        for row in qualifying.order_by()
        .values("commune_id", "commune__name")
        .annotate(households=Count("pk"), people=members)
        .order_by("-households", "commune__name")
    ]
    sample_qs = qualifying.order_by("reference")[:SAMPLE_SIZE]
    facts = eligibility.household_facts(sample_qs, today=today)
    sample = [
        SampleHousehold(
            household_id=pk,
            reference=one["reference"],
            head_name=one["head_name"],
            commune_name=one["commune_name"],
            classification=eligibility.value_text(
                eligibility.FIELDS["classification"], one["classification"]
            ),
            members_count=one["members_count"],
            amount_vnd=entitlement_amount(
                entitlement=entitlement, amount_vnd=amount, members_count=one["members_count"]
            ),
            reasons=eligibility.rules_explain(clean, one),
        )
        for pk, one in sorted(facts.items(), key=lambda item: item[1]["reference"])
    ]
    households, total_members = totals["households"], totals["members"]
    return EligibilityPreview(
        rules=clean,
        rules_text=eligibility.rules_describe(clean, place_names),
        households=households,
        members=total_members,
        planned_total_vnd=amount * (total_members if per_member else households),
        conditions=[
            ConditionCount(text=eligibility.condition_text(c, place_names), households=totals[f"c{i}"])
            for i, c in enumerate(conditions)
        ],
        communes=per_commune,
        sample=sample,
        area_households=totals["area"],
    )


def programme_preview(programme: Programme, *, today: date | None = None) -> EligibilityPreview:
    """``eligibility_preview`` for a saved programme's own rules and area."""
    return eligibility_preview(
        rules=programme.rules,
        province=programme.province_id,
        communes=list(programme.communes.values_list("pk", flat=True)),
        entitlement=programme.entitlement,
        amount_vnd=programme.amount_vnd,
        today=today,
    )
