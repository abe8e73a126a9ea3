"""Match: fit between a seller and a partner with its reasons, ranked suggestions, and a match's life.

The fit itself is computed in ``assignment`` (weights in ``FIT_WEIGHTS``), on
arrays this module builds from the database, so a suggestion on a page and a
round's global assignment score a pair the same way. Hard rules, never
weighed: the partner is active, serves the seller's province, has room
left, and shares a product category or a need.

A match proposed (by a round or by one side) is pending until both sides
answer: both accept → accepted; either declines → declined, which costs
nobody anything (declines are not counted in any score). Pending and
accepted matches count against a partner's capacity, checked with her row
locked, so no partner is ever over capacity however many answer at once.
Completing a match is the mentoring step's (``services.mentoring``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.notify import message_send
from ketnoi.market.models import Category, Product, Seller
from ketnoi.places.models import Province

from ..models import Match, Need, Partner, SellerNeeds
from ..selectors import SellerCard, match_sides, need_labels, round_may_manage, seller_cards
from .assignment import (
    FIT_SCALE,
    FIT_WEIGHTS,
    PartnerArrays,
    SellerArrays,
    eligible,
    fit_components,
    fit_points,
    mask_of,
)
from .needs import LANGUAGES

OPEN_STATES = (Match.State.SUGGESTED, Match.State.PENDING, Match.State.ACCEPTED)
LOAD_STATES = (Match.State.PENDING, Match.State.ACCEPTED)
SUGGESTIONS = 10
NEEDS = list(Need.values)
LANGUAGE_CODES = list(LANGUAGES)

# How each reason reads; ``params`` fill it in the reader's language.
REASON_TEXT: dict[str, Any] = {
    "region": _("Phục vụ tỉnh %(province)s"),
    "category": _("Cùng nhóm hàng: %(names)s"),
    "category_any": _("Nhận mọi nhóm hàng"),
    "category_none": _("Khác nhóm hàng"),
    "need": _("Hỗ trợ được: %(names)s"),
    "need_none": _("Chưa hỗ trợ đúng việc cần"),
    "language": _("Cùng nói %(names)s"),
    "language_none": _("Không chung ngôn ngữ"),
    "capacity": _("Còn nhận được %(room)s/%(capacity)s hợp tác xã"),
    "outcomes": _("Đã hoàn thành %(completed)s kết nối"),
    "outcomes_new": _("Đối tác mới, chưa có kết nối hoàn thành"),
}

SMS_PROPOSED = _(
    "Kết Nối: có đề xuất kết nối giữa %(seller)s và %(partner)s. Vào mục Kết nối để đồng ý hoặc từ chối."
)
SMS_ACCEPTED = _("Kết Nối: %(seller)s và %(partner)s đã đồng ý kết nối. Chúc hai bên làm việc tốt!")
SMS_DECLINED = _(
    "Kết Nối: kết nối giữa %(seller)s và %(partner)s không tiếp tục. Không sao cả — sẽ có gợi ý khác."
)


# --- Encoding rows as arrays ----------------------------------------------------------------------


@dataclass
class Encoding:
    """Dense bit numbering of categories, provinces, needs and languages for one computation."""

    category_bit: dict[int, int]
    province_bit: dict[int, int]
    category_name: dict[int, str]
    province_name: dict[int, str]

    @classmethod
    def load(cls) -> Encoding:
        categories = list(Category.objects.order_by("pk").values_list("pk", "name"))
        provinces = list(Province.objects.order_by("pk").values_list("pk", "short_name"))
        if len(categories) > 64 or len(provinces) > 64:
            raise ValueError("more than 64 categories or provinces: widen the masks")
        return cls(
            category_bit={pk: i for i, (pk, _n) in enumerate(categories)},
            province_bit={pk: i for i, (pk, _n) in enumerate(provinces)},
            category_name=dict(categories),
            province_name=dict(provinces),
        )

    def categories(self, ids: Iterable[int]) -> int:
        return mask_of(self.category_bit[i] for i in ids if i in self.category_bit)

    def provinces(self, ids: Iterable[int]) -> int:
        return mask_of(self.province_bit[i] for i in ids if i in self.province_bit)

    @staticmethod
    def needs(values: Iterable[str]) -> int:
        return mask_of(NEEDS.index(v) for v in values if v in NEEDS)

    @staticmethod
    def languages(values: Iterable[str]) -> int:
        return mask_of(LANGUAGE_CODES.index(v) for v in values if v in LANGUAGE_CODES)


@dataclass
class SellerRows:
    """Sellers with needs, as arrays, in first-come order (when their needs were first saved)."""

    ids: list[int]
    province_ids: list[int]
    category_ids: list[set[int]]
    needs: list[list[str]]
    languages: list[list[str]]
    arrays: SellerArrays


@dataclass
class PartnerRows:
    partners: list[Partner]
    province_ids: list[set[int]]
    category_ids: list[set[int]]
    completed: list[int]
    arrays: PartnerArrays


def _u64(values: Sequence[int]) -> Any:
    return np.asarray(values, dtype=np.uint64)


def seller_rows(needs: QuerySet[SellerNeeds], encoding: Encoding) -> SellerRows:
    """Encode sellers' needs (three queries). Her categories are those she declared, or else those
    of her active products."""
    rows = list(
        needs.filter(seller__is_active=True)
        .order_by("created_at", "pk")
        .values_list("pk", "seller_id", "seller__commune__province_id", "needs", "languages")
    )
    need_ids = [r[0] for r in rows]
    declared: dict[int, set[int]] = {}
    through = SellerNeeds.categories.through.objects.filter(sellerneeds_id__in=need_ids)
    for needs_id, category_id in through.values_list("sellerneeds_id", "category_id"):
        declared.setdefault(needs_id, set()).add(category_id)
    selling: dict[int, set[int]] = {}
    for seller_id, category_id in (
        Product.objects.filter(seller_id__in=[r[1] for r in rows], is_active=True)
        .values_list("seller_id", "category_id")
        .distinct()
    ):
        selling.setdefault(seller_id, set()).add(category_id)
    categories = [declared.get(r[0]) or selling.get(r[1], set()) for r in rows]
    arrays = SellerArrays(
        province=np.asarray([encoding.province_bit[r[2]] for r in rows], dtype=np.int16),
        categories=_u64([encoding.categories(c) for c in categories]),
        needs=_u64([encoding.needs(r[3] or []) for r in rows]),
        languages=_u64([encoding.languages(r[4] or []) for r in rows]),
    )
    return SellerRows(
        ids=[r[1] for r in rows],
        province_ids=[r[2] for r in rows],
        category_ids=categories,
        needs=[list(r[3] or []) for r in rows],
        languages=[list(r[4] or []) for r in rows],
        arrays=arrays,
    )


def partner_rows(partners: QuerySet[Partner], encoding: Encoding) -> PartnerRows:
    """Encode active partners with their load and past outcomes (three queries)."""
    loaded = list(
        partners.filter(active=True)
        .annotate(
            load=Count("matches", filter=Q(matches__state__in=LOAD_STATES)),
            completed=Count("matches", filter=Q(matches__state=Match.State.COMPLETED)),
            # Accepted by both, then called off: the only thing that lowers past outcomes.
            fell_through=Count(
                "matches",
                filter=Q(
                    matches__state=Match.State.CANCELLED,
                    matches__seller_answer=Match.Answer.ACCEPT,
                    matches__partner_answer=Match.Answer.ACCEPT,
                ),
            ),
        )
        .prefetch_related("provinces", "categories")
        .order_by("pk")
    )
    provinces = [{p.pk for p in partner.provinces.all()} for partner in loaded]
    categories = [{c.pk for c in partner.categories.all()} for partner in loaded]
    completed = [partner.completed for partner in loaded]  # type: ignore[attr-defined]
    fell = [partner.fell_through for partner in loaded]  # type: ignore[attr-defined]
    arrays = PartnerArrays(
        provinces=_u64([encoding.provinces(p) for p in provinces]),
        categories=_u64([encoding.categories(c) for c in categories]),
        offers=_u64([encoding.needs(p.offers or []) for p in loaded]),
        languages=_u64([encoding.languages(p.languages or ["vi"]) for p in loaded]),
        capacity=np.asarray([p.capacity for p in loaded], dtype=np.int32),
        load=np.asarray([p.load for p in loaded], dtype=np.int32),  # type: ignore[attr-defined]
        # Smoothed completion rate: a new partner starts at one half.
        outcomes=np.asarray(
            [(c + 1) / (c + f + 2) for c, f in zip(completed, fell, strict=True)], dtype=float
        ),
    )
    return PartnerRows(list[Partner](loaded), provinces, categories, completed, arrays)


# --- Reasons --------------------------------------------------------------------------------------


def _reason(code: str, weight_code: str, value: float, **params: Any) -> dict[str, Any]:
    with translation.override("vi"):
        label = str(REASON_TEXT[code] % params) if params else str(REASON_TEXT[code])
    weight = FIT_WEIGHTS.get(weight_code, 0.0)
    return {
        "code": code,
        "label": label,
        "weight": weight,
        "points": round(weight * value * 100, 1),
        "params": params,
    }


def reasons_for(
    sellers: SellerRows, s: int, partners: PartnerRows, p: int, encoding: Encoding
) -> tuple[float, list[dict[str, Any]]]:
    """The fit of seller row ``s`` and partner row ``p`` (0..1) and its reasons, strongest first."""
    si, pi = np.asarray([s], dtype=np.int64), np.asarray([p], dtype=np.int64)
    parts = {k: float(v[0]) for k, v in fit_components(sellers.arrays, partners.arrays, si, pi).items()}
    score = int(fit_points({k: np.asarray([v]) for k, v in parts.items()})[0]) / FIT_SCALE
    partner = partners.partners[p]
    shared_categories = sorted(
        encoding.category_name[c] for c in sellers.category_ids[s] & partners.category_ids[p]
    )
    shared_needs = need_labels(n for n in NEEDS if n in sellers.needs[s] and n in (partner.offers or []))
    seller_languages = set(sellers.languages[s] or ["vi"])
    shared_languages = [
        LANGUAGES[c] for c in LANGUAGE_CODES if c in seller_languages and c in (partner.languages or ["vi"])
    ]
    ethnic = [name for code, name in LANGUAGES.items() if name in shared_languages and code != "vi"]
    room = int(partners.arrays.room[p])
    reasons = [_reason("region", "region", 0.0, province=encoding.province_name[sellers.province_ids[s]])]
    if not partners.category_ids[p]:
        reasons.append(_reason("category_any", "category", parts["category"]))
    elif shared_categories:
        reasons.append(_reason("category", "category", parts["category"], names=", ".join(shared_categories)))
    else:
        reasons.append(_reason("category_none", "category", 0.0))
    if shared_needs:
        reasons.append(_reason("need", "need", parts["need"], names=", ".join(shared_needs)))
    else:
        reasons.append(_reason("need_none", "need", 0.0))
    if shared_languages:
        reasons.append(
            _reason("language", "language", parts["language"], names=", ".join(ethnic or shared_languages))
        )
    else:
        reasons.append(_reason("language_none", "language", 0.0))
    reasons.append(_reason("capacity", "capacity", parts["capacity"], room=room, capacity=partner.capacity))
    completed = partners.completed[p]
    if completed:
        reasons.append(_reason("outcomes", "outcomes", parts["outcomes"], completed=completed))
    else:
        reasons.append(_reason("outcomes_new", "outcomes", parts["outcomes"]))
    reasons[1:] = sorted(reasons[1:], key=lambda r: -r["points"])
    return score, reasons


def reason_lines(reasons: Iterable[dict[str, Any]]) -> list[tuple[str, float]]:
    """Each stored reason as ``(text in the reader's language, points)``."""
    lines = []
    for reason in reasons or []:
        text = REASON_TEXT.get(reason.get("code", ""))
        params = reason.get("params") or {}
        label = str(reason.get("label", ""))  # as stored (Vietnamese), when it cannot be said again
        try:
            if text is not None and params:
                label = str(text % params)
            elif text is not None and "%(" not in str(text):
                label = str(text)
        except (KeyError, TypeError, ValueError):
            pass
        lines.append((label, float(reason.get("points", 0.0))))
    return lines


# --- Suggestions ----------------------------------------------------------------------------------


@dataclass
class Suggestion:
    score: float
    reasons: list[dict[str, Any]]
    partner: Partner | None = None
    seller: SellerCard | None = None
    lines: list[tuple[str, float]] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def _open_pairs(
    *, seller_ids: Iterable[int] | None = None, partner_ids: Iterable[int] | None = None
) -> set[tuple[int, int]]:
    rows = Match.objects.filter(state__in=OPEN_STATES)
    if seller_ids is not None:
        rows = rows.filter(seller_id__in=list(seller_ids))
    if partner_ids is not None:
        rows = rows.filter(partner_id__in=list(partner_ids))
    return set(rows.values_list("seller_id", "partner_id"))


def _ranked(
    sellers: SellerRows, partners: PartnerRows, encoding: Encoding, limit: int
) -> list[tuple[int, int, float, list[dict[str, Any]]]]:
    """The ``limit`` best eligible pairs without an open match, as (seller row, partner row, fit, reasons)."""
    n, m = len(sellers.ids), len(partners.partners)
    if not n or not m:
        return []
    s_idx = np.repeat(np.arange(n), m)
    p_idx = np.tile(np.arange(m), n)
    ok = eligible(sellers.arrays, partners.arrays, s_idx, p_idx)
    open_pairs = _open_pairs(seller_ids=sellers.ids, partner_ids=[p.pk for p in partners.partners])
    points = fit_points(fit_components(sellers.arrays, partners.arrays, s_idx, p_idx))
    out = []
    for k in np.lexsort((p_idx, s_idx, -points)).tolist():
        s, p = int(s_idx[k]), int(p_idx[k])
        if not ok[k] or (sellers.ids[s], partners.partners[p].pk) in open_pairs:
            continue
        out.append((s, p, *reasons_for(sellers, s, partners, p, encoding)))
        if len(out) >= limit:
            break
    return out


def suggestions_for_seller(seller: Seller, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """Partners for ``seller``, best fit first, each with its reasons; none until she states needs."""
    encoding = Encoding.load()
    sellers = seller_rows(SellerNeeds.objects.filter(seller=seller), encoding)
    if not sellers.ids:
        return []
    partners = partner_rows(Partner.objects.filter(provinces=sellers.province_ids[0]), encoding)
    return [
        Suggestion(score, reasons, partner=partners.partners[p], lines=reason_lines(reasons))
        for _s, p, score, reasons in _ranked(sellers, partners, encoding, limit)
    ]


def suggestions_for_partner(partner: Partner, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """Sellers for ``partner`` in the provinces she serves, best fit first, each as a public card
    (nothing sensitive). Empty when she is inactive or has no room left."""
    encoding = Encoding.load()
    partners = partner_rows(Partner.objects.filter(pk=partner.pk), encoding)
    if not partners.partners or int(partners.arrays.room[0]) <= 0:
        return []
    sellers = seller_rows(
        SellerNeeds.objects.filter(seller__commune__province_id__in=partners.province_ids[0]), encoding
    )
    ranked = _ranked(sellers, partners, encoding, limit)
    cards = seller_cards(sellers.ids[s] for s, _p, _f, _r in ranked)
    return [
        Suggestion(score, reasons, seller=cards[sellers.ids[s]], lines=reason_lines(reasons))
        for s, _p, score, reasons in ranked
    ]


def pair_fit(seller: Seller, partner: Partner) -> tuple[bool, float, list[dict[str, Any]]]:
    """Whether the pair passes the hard rules now, its fit and its reasons."""
    encoding = Encoding.load()
    sellers = seller_rows(SellerNeeds.objects.filter(seller=seller), encoding)
    partners = partner_rows(Partner.objects.filter(pk=partner.pk), encoding)
    if not sellers.ids or not partners.partners:
        return False, 0.0, []
    zero = np.asarray([0], dtype=np.int64)
    ok = bool(eligible(sellers.arrays, partners.arrays, zero, zero)[0])
    score, reasons = reasons_for(sellers, 0, partners, 0, encoding)
    return ok, score, reasons


# --- A match's life -------------------------------------------------------------------------------


def _refuse(message: Any, code: str, *, status: int = 409, **params: Any) -> DomainError:
    return DomainError(message, code=code, params=params or None, status=status)


def partner_lock(partner_id: int) -> Partner:
    """The partner's row, locked until the transaction ends (PostgreSQL; SQLite's writers queue anyway)."""
    return Partner.objects.select_for_update().get(pk=partner_id)


def partner_room(partner: Partner, *, exclude: int | None = None) -> int:
    """Her capacity minus the matches pending or accepted now (call with her row locked)."""
    taken = Match.objects.filter(partner=partner, state__in=LOAD_STATES)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    return partner.capacity - taken.count()


def match_notify(match: Match, message: Any) -> None:
    seller = Seller.objects.select_related("leader").only("id", "name", "leader").get(pk=match.seller_id)
    partner = Partner.objects.select_related("user").get(pk=match.partner_id)
    params = {"seller": seller.name, "partner": partner.organisation}
    for person in (seller.leader, partner.user):
        with translation.override(getattr(person, "language", "") or "vi"):
            message_send(to=str(person.phone), text=str(message) % params)


@transaction.atomic
def match_propose(*, actor: Any, seller: Seller, partner: Partner) -> Match:
    """One side proposes a match from a suggestion: pending, with her own answer already "accept".

    Refused: ``actor`` on neither side (403); the pair fails a hard rule (outside the partner's
    provinces, nothing shared, inactive) (422); already an open match (409); the partner full (409).
    """
    locked = partner_lock(partner.pk)
    probe = Match(seller=seller, partner=locked)
    sides = match_sides(actor, probe)
    if not sides:
        raise PermissionDenied(
            _("Chỉ hợp tác xã hoặc đối tác này mới đề xuất được kết nối."), code="match_forbidden"
        )
    if not SellerNeeds.objects.filter(seller=seller).exists():
        raise _refuse(
            _("Hợp tác xã chưa ghi nhu cầu. Hãy ghi nhu cầu trước khi kết nối."), "match_no_needs", status=422
        )
    ok, score, reasons = pair_fit(seller, locked)
    if not ok:
        if not locked.provinces.filter(pk=seller.commune.province_id).exists():
            raise _refuse(_("Đối tác này không phục vụ tỉnh của hợp tác xã."), "match_region", status=422)
        if partner_room(locked) <= 0:
            raise _refuse(_("Đối tác đã nhận đủ số hợp tác xã."), "match_capacity")
        raise _refuse(
            _("Hai bên chưa có nhóm hàng hay nhu cầu chung, hoặc đối tác đang tạm ngừng nhận."),
            "match_no_fit",
            status=422,
        )
    if Match.objects.filter(seller=seller, partner=locked, state__in=OPEN_STATES).exists():
        raise _refuse(_("Hai bên đã có một kết nối đang mở."), "match_twice")
    if partner_room(locked) <= 0:
        raise _refuse(_("Đối tác đã nhận đủ số hợp tác xã."), "match_capacity")
    match = Match.objects.create(
        seller=seller,
        partner=locked,
        score=score,
        reasons=reasons,
        state=Match.State.PENDING,
        seller_answer=Match.Answer.ACCEPT if "seller" in sides else Match.Answer.NONE,
        partner_answer=Match.Answer.ACCEPT if "partner" in sides else Match.Answer.NONE,
        proposed_at=timezone.now(),
    )
    audit_record(
        actor=actor, action="mentoring.match_propose", target=match, changes={"state": (None, match.state)}
    )
    if match.seller_answer == Match.Answer.ACCEPT and match.partner_answer == Match.Answer.ACCEPT:
        match.state = Match.State.ACCEPTED
        match.save(update_fields=["state", "updated_at"])
        match_notify(match, SMS_ACCEPTED)
    else:
        match_notify(match, SMS_PROPOSED)
    return match


@transaction.atomic
def match_answer(match: Match, *, actor: Any, accept: bool) -> Match:
    """The seller's leader or a member, or the partner, answers a pending match.

    Both accept → accepted (if the partner still has room, else 409 and nothing changes); either
    declines → declined, with no penalty to anyone. Anyone else: 403. Not pending: 409.
    """
    current = Match.objects.only("id", "partner_id").get(pk=match.pk)
    locked_partner = partner_lock(current.partner_id)
    match = Match.objects.select_for_update().get(pk=match.pk)
    sides = match_sides(actor, match)
    if not sides:
        raise PermissionDenied(
            _("Chỉ hợp tác xã và đối tác của kết nối này mới trả lời được."), code="match_forbidden"
        )
    if match.state != Match.State.PENDING:
        raise _refuse(_("Kết nối này không còn chờ trả lời."), "match_not_pending")
    old = {"state": match.state, "seller_answer": match.seller_answer, "partner_answer": match.partner_answer}
    answer = Match.Answer.ACCEPT if accept else Match.Answer.DECLINE
    if "seller" in sides:
        match.seller_answer = answer
    if "partner" in sides:
        match.partner_answer = answer
    if not accept:
        match.state = Match.State.DECLINED
    elif match.seller_answer == Match.Answer.ACCEPT and match.partner_answer == Match.Answer.ACCEPT:
        accepted_others = (
            Match.objects.filter(partner=locked_partner, state=Match.State.ACCEPTED)
            .exclude(pk=match.pk)
            .count()
        )
        if accepted_others >= locked_partner.capacity:
            raise _refuse(_("Đối tác đã nhận đủ số hợp tác xã, nên chưa nhận thêm được."), "match_capacity")
        match.state = Match.State.ACCEPTED
    match.save(update_fields=["state", "seller_answer", "partner_answer", "updated_at"])
    new = {"state": match.state, "seller_answer": match.seller_answer, "partner_answer": match.partner_answer}
    audit_record(
        actor=actor,
        action="mentoring.match_answer",
        target=match,
        changes={k: (old[k], new[k]) for k in new if old[k] != new[k]},
    )
    if match.state == Match.State.ACCEPTED:
        match_notify(match, SMS_ACCEPTED)
    elif match.state == Match.State.DECLINED:
        match_notify(match, SMS_DECLINED)
    return match


@transaction.atomic
def match_cancel(match: Match, *, actor: Any, reason: str = "") -> Match:
    """A party or an officer of the round calls off a pending or accepted match (409 otherwise)."""
    match = Match.objects.select_for_update(of=("self",)).select_related("round").get(pk=match.pk)
    if not match_sides(actor, match) and not (match.round and round_may_manage(actor, match.round)):
        raise PermissionDenied(
            _("Chỉ hai bên hoặc cán bộ của đợt mới huỷ được kết nối."), code="match_forbidden"
        )
    if match.state not in LOAD_STATES:
        raise _refuse(_("Kết nối này không còn để huỷ."), "match_closed")
    old = match.state
    match.state = Match.State.CANCELLED
    match.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor,
        action="mentoring.match_cancel",
        target=match,
        changes={"state": (old, match.state)},
        reason=reason[:500],
    )
    return match
