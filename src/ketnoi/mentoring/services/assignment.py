"""Fit between sellers and partners, and the global assignment of a match round, on plain arrays.

No database and no Django here: ``matching`` and ``rounds`` encode rows into
these arrays, and ``bench/bench_matching.py`` feeds the same functions a
synthetic country. Sets (categories, needs and offers, languages, provinces)
are bit masks in ``uint64`` (bit *i* = the *i*-th item of the caller's
dense numbering, so at most 64 of each).

Fit of a pair = Σ ``FIT_WEIGHTS[c]`` × component *c* (each in [0, 1]),
kept as integer points out of ``FIT_SCALE`` so that every total (solver,
greedy, bound) is an exact integer sum. Region is not a weight but a hard
rule: a partner is a candidate for a seller only if she serves the seller's
province, has capacity left, and shares a product category or a need.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

# What counts, and how much, in one place. Region is a hard rule, not a weight.
FIT_WEIGHTS: Final[dict[str, float]] = {
    "category": 0.30,  # the partner works with the seller's product categories
    "need": 0.35,  # the partner offers what the seller asks for
    "language": 0.10,  # they share a language (an ethnic language counts more than Vietnamese)
    "capacity": 0.10,  # the partner's room left, so that load spreads
    "outcomes": 0.15,  # the partner's completed matches (declining never counts against anyone)
}
FIT_SCALE: Final = 10_000  # points for a perfect fit
# A partner who names no category works with any: half the category points.
ANY_CATEGORY: Final = 0.5
# Sharing only Vietnamese: half the language points.
VIETNAMESE_ONLY: Final = 0.5
VIETNAMESE_BIT: Final = np.uint64(1)  # bit 0 of a language mask is Vietnamese
# Sparse candidates: each seller's best partners, and each partner's best sellers per unit of room.
PER_SELLER: Final = 8
PER_PARTNER_ROOM: Final = 3
MAX_BITS: Final = 64
CHUNK_ROWS: Final = 2048

U64 = NDArray[np.uint64]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class SellerArrays:
    """One row per seller, in the order a first-come greedy would serve them."""

    province: NDArray[np.int16]  # dense province index, 0..63
    categories: U64
    needs: U64
    languages: U64  # 0 is read as Vietnamese only

    def __len__(self) -> int:
        return len(self.province)


@dataclass(frozen=True)
class PartnerArrays:
    """One row per active partner."""

    provinces: U64  # provinces served
    categories: U64  # 0 = any category
    offers: U64
    languages: U64
    capacity: I32  # cooperatives she can take at once
    load: I32  # matches now pending or accepted
    outcomes: F64  # past outcomes in [0, 1]

    def __len__(self) -> int:
        return len(self.capacity)

    @property
    def room(self) -> I32:
        return np.maximum(self.capacity - self.load, 0).astype(np.int32)


@dataclass(frozen=True)
class Candidates:
    """Sparse seller–partner edges, sorted by seller then by fit, best first."""

    seller: I32
    partner: I32
    points: I32

    def __len__(self) -> int:
        return len(self.seller)


@dataclass(frozen=True)
class Assignment:
    edges: I64  # indexes into the candidates
    total_points: int

    @property
    def total_fit(self) -> float:
        return self.total_points / FIT_SCALE


def mask_of(indexes: Iterable[int]) -> int:
    """The bit mask of an iterable of small indexes (each < 64)."""
    mask = 0
    for index in indexes:
        if not 0 <= int(index) < MAX_BITS:
            raise ValueError(f"bit index {index} out of range")
        mask |= 1 << int(index)
    return mask


def _popcount(values: NDArray[np.uint64]) -> NDArray[np.uint8]:
    return np.bitwise_count(values)


def fit_components(sellers: SellerArrays, partners: PartnerArrays, s: I64, p: I64) -> dict[str, F64]:
    """Each component of ``FIT_WEIGHTS`` for the pairs ``(s[k], p[k])`` (or broadcast shapes)."""
    s_cat, p_cat = sellers.categories[s], partners.categories[p]
    shared_cat = _popcount(s_cat & p_cat).astype(np.float64)
    own_cat = _popcount(s_cat).astype(np.float64)
    category = np.where(p_cat == 0, ANY_CATEGORY, shared_cat / np.maximum(own_cat, 1.0))
    s_need = sellers.needs[s]
    need = _popcount(s_need & partners.offers[p]) / np.maximum(_popcount(s_need), 1).astype(np.float64)
    s_lang = np.where(sellers.languages[s] == 0, VIETNAMESE_BIT, sellers.languages[s])
    shared_lang = s_lang & partners.languages[p]
    language = np.where(
        (shared_lang & ~VIETNAMESE_BIT) != 0, 1.0, np.where(shared_lang != 0, VIETNAMESE_ONLY, 0.0)
    )
    capacity = partners.capacity[p].astype(np.float64)
    room = partners.room[p].astype(np.float64)
    return {
        "category": category,
        "need": need,
        "language": language,
        "capacity": np.divide(room, capacity, out=np.zeros_like(room), where=capacity > 0),
        "outcomes": np.clip(partners.outcomes[p], 0.0, 1.0),
    }


def fit_points(components: dict[str, F64]) -> I32:
    """The weighted sum of ``components`` as integer points out of ``FIT_SCALE``."""
    total = sum(FIT_WEIGHTS[name] * np.asarray(value) for name, value in components.items())
    return np.rint(np.asarray(total) * FIT_SCALE).astype(np.int32)


def eligible(sellers: SellerArrays, partners: PartnerArrays, s: I64, p: I64) -> NDArray[np.bool_]:
    """The hard rules: serves the seller's province, has room, shares a category or a need."""
    province_bit = np.left_shift(np.uint64(1), sellers.province[s].astype(np.uint64))
    serves = (partners.provinces[p] & province_bit) != 0
    shares = ((sellers.categories[s] & partners.categories[p]) != 0) | (
        (sellers.needs[s] & partners.offers[p]) != 0
    )
    return serves & shares & (partners.room[p] > 0)


def _block(
    sellers: SellerArrays,
    partners: PartnerArrays,
    rows_ids: I64,
    serving: I64,
    room: I32,
    per_seller: int,
    per_partner_room: int,
) -> tuple[I64, I64, I32]:
    s, p = rows_ids[:, None], serving[None, :]
    ok = eligible(sellers, partners, s, p)
    points = np.where(ok, fit_points(fit_components(sellers, partners, s, p)), -1).astype(np.int32)
    keep = np.zeros(points.shape, dtype=bool)
    rows, cols = points.shape
    if cols <= per_seller:
        keep[:] = True
    else:
        best = np.argpartition(-points, per_seller - 1, axis=1)[:, :per_seller]
        np.put_along_axis(keep, best, True, axis=1)
    want = np.minimum(room[serving].astype(np.int64) * per_partner_room, rows)
    deep = int(want.max())
    if deep >= rows:
        top = np.argsort(-points, axis=0, kind="stable")
    else:
        top = np.argpartition(-points, deep - 1, axis=0)[:deep]
        # Best first within the kept rows, so that each partner keeps exactly her ``want`` best.
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(points, top, 0), 0), 0)
    top_rows, top_cols = np.nonzero(np.arange(top.shape[0])[:, None] < want[None, :])
    keep[top[top_rows, top_cols], top_cols] = True
    keep &= ok
    r, c = np.nonzero(keep)
    return r.astype(np.int64), c.astype(np.int64), points[r, c]


def candidate_edges(
    sellers: SellerArrays,
    partners: PartnerArrays,
    *,
    per_seller: int = PER_SELLER,
    per_partner_room: int = PER_PARTNER_ROOM,
) -> Candidates:
    """The sparse candidate graph: for each seller her ``per_seller`` best eligible partners, plus for
    each partner her ``per_partner_room`` × room best eligible sellers of every province she serves.

    A seller's best fit and a partner's best ``room`` fits are always kept, so the simple upper
    bound (``upper_bound``) read on this graph equals the one on the full graph.
    """
    n, m = len(sellers), len(partners)
    if n == 0 or m == 0:
        empty = np.zeros(0, dtype=np.int32)
        return Candidates(empty, empty, empty)
    order = np.argsort(sellers.province, kind="stable")
    bounds = np.searchsorted(sellers.province[order], np.arange(MAX_BITS + 1))
    room = partners.room
    keys: list[I64] = []
    points_parts: list[I32] = []
    for province in range(MAX_BITS):
        in_province = order[bounds[province] : bounds[province + 1]].astype(np.int64)
        serving = np.flatnonzero(((partners.provinces >> np.uint64(province)) & np.uint64(1)) != 0)
        serving = serving[room[serving] > 0].astype(np.int64)
        if not len(in_province) or not len(serving):
            continue
        # Rows in chunks bound the memory; a partner's best sellers of each chunk are kept, a
        # superset of her best in the province.
        for start in range(0, len(in_province), CHUNK_ROWS):
            rows_ids = in_province[start : start + CHUNK_ROWS]
            r, c, pts = _block(sellers, partners, rows_ids, serving, room, per_seller, per_partner_room)
            keys.append(rows_ids[r] * m + serving[c])
            points_parts.append(pts)
    if not keys:
        empty = np.zeros(0, dtype=np.int32)
        return Candidates(empty, empty, empty)
    key = np.concatenate(keys)
    pts = np.concatenate(points_parts)
    key, first = np.unique(key, return_index=True)
    pts = pts[first]
    seller = (key // m).astype(np.int32)
    partner = (key % m).astype(np.int32)
    by = np.lexsort((-pts, seller))
    return Candidates(seller[by], partner[by], pts[by])


def _total(candidates: Candidates, edges: I64) -> int:
    return int(candidates.points[edges].astype(np.int64).sum())


def greedy_assign(
    n_sellers: int, room: I32, candidates: Candidates, *, order: I64 | None = None
) -> Assignment:
    """First come, first served: each seller in ``order`` (default: her index) takes her best
    candidate that still has room. What a round would reach without a global view."""
    seller_order = np.arange(n_sellers) if order is None else order
    starts = np.searchsorted(candidates.seller, np.arange(n_sellers + 1)).tolist()
    partner = candidates.partner.tolist()
    left = room.astype(np.int64).tolist()
    chosen: list[int] = []
    for s in seller_order.tolist():
        for edge in range(starts[s], starts[s + 1]):
            p = partner[edge]
            if left[p] > 0:
                left[p] -= 1
                chosen.append(edge)
                break
    edges = np.asarray(chosen, dtype=np.int64)
    return Assignment(edges, _total(candidates, edges))


def greedy_best_first(n_sellers: int, room: I32, candidates: Candidates) -> Assignment:
    """The stronger greedy: the best remaining edge first (a ½-approximation). Bench comparison only."""
    taken = [False] * n_sellers
    left = room.astype(np.int64).tolist()
    seller, partner = candidates.seller.tolist(), candidates.partner.tolist()
    chosen: list[int] = []
    for edge in np.argsort(-candidates.points, kind="stable").tolist():
        s, p = seller[edge], partner[edge]
        if not taken[s] and left[p] > 0:
            taken[s] = True
            left[p] -= 1
            chosen.append(edge)
    edges = np.asarray(chosen, dtype=np.int64)
    return Assignment(edges, _total(candidates, edges))


def assign(n_sellers: int, room: I32, candidates: Candidates) -> Assignment:
    """The assignment of greatest total fit: at most one partner per seller, at most ``room[p]``
    sellers per partner, only over ``candidates`` (a min-cost flow solved by OR-Tools).

    Optimal on the candidate graph, so never below any greedy run on the same candidates.
    """
    from ortools.graph.python import min_cost_flow

    e = len(candidates)
    if e == 0:
        return Assignment(np.zeros(0, dtype=np.int64), 0)
    m = len(room)
    sellers_used, seller_node = np.unique(candidates.seller, return_inverse=True)
    partners_used, partner_node = np.unique(candidates.partner, return_inverse=True)
    k, q = len(sellers_used), len(partners_used)
    if m and int(partners_used.max()) >= m:
        raise ValueError("a candidate names a partner outside room")
    # Nodes: 0 source, 1 sink, 2.. sellers, then partners. A bypass arc lets sellers stay unmatched.
    seller_base, partner_base = 2, 2 + k
    tails = np.concatenate(
        [
            np.zeros(k, dtype=np.int64),
            seller_base + seller_node.astype(np.int64),
            partner_base + np.arange(q, dtype=np.int64),
            [0],
        ]
    )
    heads = np.concatenate(
        [
            seller_base + np.arange(k, dtype=np.int64),
            partner_base + partner_node.astype(np.int64),
            np.ones(q, dtype=np.int64),
            [1],
        ]
    )
    capacities = np.concatenate(
        [
            np.ones(k, dtype=np.int64),
            np.ones(e, dtype=np.int64),
            np.maximum(room[partners_used].astype(np.int64), 0),
            [k],
        ]
    )
    costs = np.concatenate(
        [np.zeros(k, dtype=np.int64), -candidates.points.astype(np.int64), np.zeros(q + 1, dtype=np.int64)]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    flow.set_node_supply(0, k)
    flow.set_node_supply(1, -k)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    used = flow.flows(np.arange(k, k + e, dtype=np.int64))
    edges = np.flatnonzero(used > 0).astype(np.int64)
    return Assignment(edges, _total(candidates, edges))


def upper_bound(n_sellers: int, room: I32, candidates: Candidates) -> int:
    """A bound no assignment can pass: min(Σ each seller's best fit, Σ each partner's ``room`` best fits).

    On graphs from ``candidate_edges`` it is also a bound for the full, unpruned graph.
    """
    if not len(candidates):
        return 0
    points = candidates.points.astype(np.int64)
    first = np.searchsorted(candidates.seller, np.unique(candidates.seller))
    by_sellers = int(points[first].sum())  # sorted best first within each seller
    order = np.lexsort((-points, candidates.partner))
    partner_sorted = candidates.partner[order]
    starts = np.searchsorted(partner_sorted, partner_sorted)
    rank = np.arange(len(order)) - starts
    by_partners = int(points[order][rank < room[partner_sorted]].sum())
    return min(by_sellers, by_partners)


def check_assignment(n_sellers: int, room: I32, candidates: Candidates, assignment: Assignment) -> None:
    """Raise ``AssertionError`` if a seller has two partners or a partner is over her room."""
    sellers = candidates.seller[assignment.edges]
    assert len(np.unique(sellers)) == len(sellers), "a seller matched twice"
    counts = np.bincount(candidates.partner[assignment.edges], minlength=len(room))
    assert (counts <= room).all(), "a partner over capacity"
