"""A programme's match round: a global assignment, reviewed by an officer, then sent to both sides.

``round_compute`` scores every seller with needs against every active
partner with room (of the round's province; a national round: all), keeps
the sparse candidate edges (``assignment.candidate_edges``: the hard rules
hold on every edge), and solves the assignment of greatest total fit under
each partner's remaining capacity (``assignment.assign``, a min-cost flow);
at most one match per seller per round. In the same run it computes what a
first-come greedy would have reached on the same candidates, kept beside the
result (``Round.greedy_fit``). The suggestions are matches in state
``suggested``, seen only by officers; they may drop some; ``round_send``
turns the rest into pending proposals (each partner's room checked again
with her row locked) and texts both sides.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketnoi.core.audit import audit_record
from ketnoi.core.errors import DomainError, PermissionDenied
from ketnoi.core.text import nfc
from ketnoi.places.models import Province

from ..models import Match, Partner, Round, SellerNeeds
from ..selectors import covers_province, programme_scopes, round_may_manage
from .assignment import FIT_SCALE, Candidates, assign, candidate_edges, greedy_assign, upper_bound
from .matching import (
    OPEN_STATES,
    SMS_PROPOSED,
    Encoding,
    match_notify,
    partner_lock,
    partner_room,
    partner_rows,
    reasons_for,
    seller_rows,
)

MAX_NAME = 200
EDITABLE = (Round.State.DRAFT, Round.State.REVIEWED)


def _refuse(message: Any, code: str, *, status: int = 409, **params: Any) -> DomainError:
    return DomainError(message, code=code, params=params or None, status=status)


def _check(actor: Any, round_: Round) -> None:
    if not round_may_manage(actor, round_):
        raise PermissionDenied(
            _("Chỉ cán bộ chương trình của tỉnh này hoặc quản trị viên mới làm được việc này."),
            code="round_forbidden",
        )


@transaction.atomic
def round_create(
    *, actor: Any, name: str, province: Province | None = None, programme: Any | None = None
) -> Round:
    """A draft round for ``province`` (a national round, without one: administrators only)."""
    if province is None and programme is not None and getattr(programme, "province_id", None):
        province = programme.province
    scopes = programme_scopes(actor)
    allowed = any(s.is_national for s in scopes) if province is None else covers_province(scopes, province.pk)
    if not allowed:
        raise PermissionDenied(
            _("Chỉ cán bộ chương trình của tỉnh này hoặc quản trị viên mới mở được đợt kết nối."),
            code="round_forbidden",
        )
    name = nfc(str(name or "")).strip()
    if not name or len(name) > MAX_NAME:
        raise _refuse(_("Hãy đặt tên đợt (tối đa %(most)s ký tự)."), "round_name", status=422, most=MAX_NAME)
    round_ = Round.objects.create(name=name, province=province, programme=programme, created_by=actor)
    audit_record(actor=actor, action="mentoring.round_create", target=round_)
    return round_


@dataclass(frozen=True)
class RoundResult:
    suggested: int
    sellers: int
    partners: int
    candidates: int
    total_fit: float
    greedy_fit: float
    upper_bound: float
    seconds: float


def _without_pairs(candidates: Candidates, keys: np.ndarray, banned: set[int]) -> Candidates:
    if not banned:
        return candidates
    keep = ~np.isin(keys, np.fromiter(banned, dtype=np.int64, count=len(banned)))
    return Candidates(candidates.seller[keep], candidates.partner[keep], candidates.points[keep])


@transaction.atomic
def round_compute(round_: Round, *, actor: Any) -> RoundResult:
    """Replace the round's suggestions with the assignment of greatest total fit (see the module).

    Pairs that already have an open match anywhere are left out. Only while the round is a draft
    or reviewed (409 once sent).
    """
    _check(actor, round_)
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.state not in EDITABLE:
        raise _refuse(_("Đợt này đã gửi đề xuất; không tính lại được."), "round_sent")
    start = time.perf_counter()
    round_.matches.filter(state=Match.State.SUGGESTED).delete()
    encoding = Encoding.load()
    needs = SellerNeeds.objects.all()
    partners_qs = Partner.objects.all()
    if round_.province_id is not None:
        needs = needs.filter(seller__commune__province_id=round_.province_id)
        partners_qs = partners_qs.filter(provinces=round_.province_id)
    sellers = seller_rows(needs, encoding)
    partners = partner_rows(partners_qs.distinct(), encoding)
    room = partners.arrays.room
    n = len(sellers.ids)
    candidates = candidate_edges(sellers.arrays, partners.arrays)
    m = max(1, len(partners.partners))
    keys = candidates.seller.astype(np.int64) * m + candidates.partner.astype(np.int64)
    seller_row = {pk: i for i, pk in enumerate(sellers.ids)}
    partner_row = {p.pk: j for j, p in enumerate(partners.partners)}
    banned = {
        seller_row[s] * m + partner_row[p]
        for s, p in Match.objects.filter(state__in=OPEN_STATES).values_list("seller_id", "partner_id")
        if s in seller_row and p in partner_row
    }
    candidates = _without_pairs(candidates, keys, banned)
    greedy = greedy_assign(n, room, candidates)
    best = assign(n, room, candidates)
    bound = upper_bound(n, room, candidates)
    now = timezone.now()
    rows = []
    for edge in best.edges.tolist():
        s, p = int(candidates.seller[edge]), int(candidates.partner[edge])
        score, reasons = reasons_for(sellers, s, partners, p, encoding)
        rows.append(
            Match(
                round=round_,
                seller_id=sellers.ids[s],
                partner=partners.partners[p],
                score=score,
                reasons=reasons,
                state=Match.State.SUGGESTED,
                created_at=now,
            )
        )
    Match.objects.bulk_create(rows)
    old = {"total_fit": round_.total_fit, "greedy_fit": round_.greedy_fit}
    round_.total_fit = best.total_fit
    round_.greedy_fit = greedy.total_fit
    round_.state = Round.State.DRAFT
    round_.save(update_fields=["total_fit", "greedy_fit", "state", "updated_at"])
    result = RoundResult(
        suggested=len(rows),
        sellers=n,
        partners=len(partners.partners),
        candidates=len(candidates),
        total_fit=best.total_fit,
        greedy_fit=greedy.total_fit,
        upper_bound=bound / FIT_SCALE,
        seconds=time.perf_counter() - start,
    )
    audit_record(
        actor=actor,
        action="mentoring.round_compute",
        target=round_,
        changes={k: (v, getattr(round_, k)) for k, v in old.items()},
        reason=f"{result.suggested} suggested of {n} sellers, {result.partners} partners",
    )
    return result


@transaction.atomic
def round_drop(round_: Round, *, actor: Any, match_ids: Iterable[int | str]) -> int:
    """The officer drops suggestions she does not want sent; how many were dropped."""
    _check(actor, round_)
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.state not in EDITABLE:
        raise _refuse(_("Đợt này đã gửi đề xuất; không bỏ bớt được."), "round_sent")
    ids = []
    for value in match_ids:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    dropped = list(
        round_.matches.filter(pk__in=ids, state=Match.State.SUGGESTED).values_list(
            "pk", "seller_id", "partner_id"
        )
    )
    round_.matches.filter(pk__in=[d[0] for d in dropped]).delete()
    if dropped:
        round_.state = Round.State.REVIEWED
        round_.reviewed_by = actor
        round_.save(update_fields=["state", "reviewed_by", "updated_at"])
        audit_record(
            actor=actor,
            action="mentoring.round_drop",
            target=round_,
            changes={"dropped": ([list(d) for d in dropped], None)},
        )
    return len(dropped)


@dataclass(frozen=True)
class SendResult:
    sent: int
    skipped: int  # suggestions that no longer held (partner full or no longer serving the province)


@transaction.atomic
def round_send(round_: Round, *, actor: Any) -> SendResult:
    """Turn the round's suggestions into pending proposals and text both sides.

    Each partner's room and region are checked again with her row locked; a suggestion that no
    longer holds is dropped (counted in ``skipped``), never sent over capacity.
    """
    _check(actor, round_)
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.state not in EDITABLE:
        raise _refuse(_("Đợt này đã gửi đề xuất rồi."), "round_sent")
    suggested = list(
        round_.matches.filter(state=Match.State.SUGGESTED)
        .select_related("seller__commune")
        .only("id", "seller_id", "partner_id", "seller__commune__province_id", "seller__id")
        .order_by("partner_id", "-score", "pk")
    )
    if not suggested:
        raise _refuse(_("Đợt này chưa có đề xuất nào để gửi."), "round_empty", status=422)
    now = timezone.now()
    sent, skipped = [], []
    for match in suggested:
        partner = partner_lock(match.partner_id)
        serves = partner.active and partner.provinces.filter(pk=match.seller.commune.province_id).exists()
        if serves and partner_room(partner) > 0:
            Match.objects.filter(pk=match.pk).update(
                state=Match.State.PENDING, proposed_at=now, updated_at=now
            )
            sent.append(match)
        else:
            skipped.append(match.pk)
    Match.objects.filter(pk__in=skipped).delete()
    old = round_.state
    round_.state = Round.State.SENT
    round_.reviewed_by = actor
    round_.save(update_fields=["state", "reviewed_by", "updated_at"])
    audit_record(
        actor=actor,
        action="mentoring.round_send",
        target=round_,
        changes={"state": (old, round_.state)},
        reason=f"{len(sent)} sent, {len(skipped)} skipped",
    )
    for match in sent:
        match_notify(match, SMS_PROPOSED)
    return SendResult(sent=len(sent), skipped=len(skipped))
