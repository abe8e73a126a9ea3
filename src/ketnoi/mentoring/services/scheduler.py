"""Placing accepted meeting requests into tables × time slots, on plain lists (no database).

A request is a pair ``(guest, host)`` of attendee indexes; the host (the
partner, in an event) keeps her table from slot to slot when it is free, so
that guests walk and businesses stay put. Rules, never broken: nobody in two
meetings in the same slot; a meeting only in a slot both people said they
are there (``availability``: a set of slot indexes, empty or ``None`` = all);
at most ``tables`` meetings per slot, one per table.

Maximising the meetings placed is NP-hard once availability is uneven, so
``place_meetings`` runs two greedy orders, each followed by repair (an
unplaced request takes a slot after the one or two meetings in its way move
to another slot they can both make, or a full slot gives up a movable
meeting), and keeps the better. One of the two starts from the plain
first-fit greedy in request order (``greedy_first_fit``), so the result is
never below it. ``upper_bound`` says how far from perfect a schedule can be.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MAX_SLOTS = 64
REPAIR_SECONDS = 2.0

Pairs = Sequence[tuple[int, int]]
Availability = Sequence[Iterable[int] | None]


@dataclass(frozen=True)
class Schedule:
    """Where each placed request sits: ``placements`` of ``(request, table, slot)``."""

    placements: list[tuple[int, int, int]]
    requests: int
    upper_bound: int
    strategy: str = ""
    meta: dict[str, float] = field(default_factory=dict)

    @property
    def placed(self) -> int:
        return len(self.placements)

    @property
    def share_placed(self) -> float:
        return self.placed / self.requests if self.requests else 1.0

    @property
    def share_of_bound(self) -> float:
        return self.placed / self.upper_bound if self.upper_bound else 1.0


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _masks(pairs: Pairs, availability: Availability, slots: int) -> tuple[list[int], list[int]]:
    if not 0 < slots <= MAX_SLOTS:
        raise ValueError(f"slots must be 1..{MAX_SLOTS}")
    every = (1 << slots) - 1
    avail = []
    for chosen in availability:
        mask = 0
        for slot in chosen or ():
            if 0 <= int(slot) < slots:
                mask |= 1 << int(slot)
        # Nothing said means there all day; slots that do not exist are ignored.
        avail.append(mask if chosen else every)
    common = [avail[a] & avail[b] if a != b else 0 for a, b in pairs]
    return avail, common


class _Board:
    """The mutable state of one schedule: who is busy when, and how full each slot is."""

    def __init__(self, pairs: Pairs, common: list[int], attendees: int, tables: int, slots: int) -> None:
        self.pairs, self.common, self.tables, self.slots = pairs, common, tables, slots
        self.slot_of = [-1] * len(pairs)
        self.busy = [0] * attendees
        self.who: list[dict[int, int]] = [{} for _ in range(attendees)]
        self.at: list[set[int]] = [set() for _ in range(slots)]
        self.full = 0  # slots with every table taken
        self.count = [0] * attendees

    def free(self, r: int) -> int:
        a, b = self.pairs[r]
        return self.common[r] & ~self.busy[a] & ~self.busy[b] & ~self.full

    def put(self, r: int, s: int) -> None:
        a, b = self.pairs[r]
        bit = 1 << s
        self.slot_of[r] = s
        self.busy[a] |= bit
        self.busy[b] |= bit
        self.who[a][s] = self.who[b][s] = r
        self.count[a] += 1
        self.count[b] += 1
        self.at[s].add(r)
        if len(self.at[s]) >= self.tables:
            self.full |= bit

    def take(self, r: int) -> int:
        s = self.slot_of[r]
        a, b = self.pairs[r]
        bit = 1 << s
        self.slot_of[r] = -1
        self.busy[a] &= ~bit
        self.busy[b] &= ~bit
        del self.who[a][s], self.who[b][s]
        self.count[a] -= 1
        self.count[b] -= 1
        self.at[s].discard(r)
        self.full &= ~bit
        return s

    def least_loaded(self, mask: int) -> int:
        return min(_bits(mask), key=lambda s: (len(self.at[s]), s))

    def placed(self) -> int:
        return sum(1 for s in self.slot_of if s >= 0)

    # --- repair -------------------------------------------------------------------

    def _move_away(self, r: int, avoid: int) -> int | None:
        """Move placed request ``r`` to another slot it can take (not ``avoid``); its old slot, or None."""
        mask = self.free(r) & ~(1 << avoid)
        if not mask:
            return None
        old = self.take(r)
        self.put(r, self.least_loaded(mask))
        return old

    def try_insert(self, r: int) -> bool:
        """Place unplaced ``r``, moving at most the two meetings in its way (or one out of a full slot)."""
        a, b = self.pairs[r]
        for s in _bits(self.common[r]):
            blockers = {x for x in (self.who[a].get(s), self.who[b].get(s)) if x is not None}
            moved: list[tuple[int, int]] = []
            ok = True
            for blocker in blockers:
                old = self._move_away(blocker, s)
                if old is None:
                    ok = False
                    break
                moved.append((blocker, old))
            if ok and len(self.at[s]) >= self.tables:
                ok = False
                for other in list(self.at[s]):
                    old = self._move_away(other, s)
                    if old is not None:
                        moved.append((other, old))
                        ok = True
                        break
            if ok and not (self.busy[a] | self.busy[b]) & (1 << s) and len(self.at[s]) < self.tables:
                self.put(r, s)
                return True
            for blocker, old in reversed(moved):
                self.take(blocker)
                self.put(blocker, old)
        return False

    def try_swap(self, r: int) -> bool:
        """Place unplaced ``(a, b)`` by a Kempe swap: take slot α that ``a`` has free and β that ``b``
        has free; the chain of meetings from ``b`` alternating α, β trades its two slots, freeing α
        for ``b``. Each meeting on the chain must be able to make the other slot, and slots stay
        within their tables."""
        a, b = self.pairs[r]
        free_a = self.common[r] & ~self.busy[a] & ~self.full
        free_b = ~self.busy[b] & ((1 << self.slots) - 1)
        for alpha in _bits(free_a):
            for beta in _bits(free_b & ~(1 << alpha)):
                both = (1 << alpha) | (1 << beta)
                chain: list[int] = []
                person, colour = b, alpha
                seen: set[int] = set()
                while (m := self.who[person].get(colour)) is not None and m not in seen:
                    if self.common[m] & both != both:
                        chain = []
                        break
                    seen.add(m)
                    chain.append(m)
                    x, y = self.pairs[m]
                    person = y if x == person else x
                    colour = beta if colour == alpha else alpha
                if not chain or person == a:
                    continue
                on_alpha = sum(1 for m in chain if self.slot_of[m] == alpha)
                on_beta = len(chain) - on_alpha
                if len(self.at[alpha]) - on_alpha + on_beta + 1 > self.tables:
                    continue
                if len(self.at[beta]) - on_beta + on_alpha > self.tables:
                    continue
                olds = [(m, self.take(m)) for m in chain]
                for m, old in olds:
                    self.put(m, beta if old == alpha else alpha)
                if not (self.busy[a] | self.busy[b]) & (1 << alpha):
                    self.put(r, alpha)
                    return True
                for m, _old in olds:
                    self.take(m)
                for m, old in olds:
                    self.put(m, old)
        return False

    def repair(self, deadline: float) -> None:
        improved = True
        while improved and time.perf_counter() < deadline:
            improved = False
            for r in range(len(self.pairs)):
                if self.slot_of[r] < 0 and self.common[r] and (self.try_insert(r) or self.try_swap(r)):
                    improved = True
                if time.perf_counter() >= deadline:
                    return


def _tables(board: _Board) -> list[tuple[int, int, int]]:
    """Give each placed meeting a table; a host keeps the table she had, when it is free."""
    home: dict[int, int] = {}
    placements = []
    for s in range(board.slots):
        meetings = sorted(board.at[s])
        taken: set[int] = set()
        waiting = []
        for r in meetings:
            host = board.pairs[r][1]
            table = home.get(host)
            if table is not None and table not in taken:
                taken.add(table)
                placements.append((r, table, s))
            else:
                waiting.append(r)
        free_tables = (t for t in range(board.tables) if t not in taken)
        for r in waiting:
            table = next(free_tables)
            home.setdefault(board.pairs[r][1], table)
            placements.append((r, table, s))
    placements.sort()
    return placements


def greedy_first_fit(pairs: Pairs, availability: Availability, *, tables: int, slots: int) -> Schedule:
    """The plain baseline: requests in the order given, each in the first slot that fits."""
    avail, common = _masks(pairs, availability, slots)
    board = _Board(pairs, common, len(avail), tables, slots)
    for r in range(len(pairs)):
        free = board.free(r)
        if free:
            board.put(r, (free & -free).bit_length() - 1)
    return Schedule(_tables(board), len(pairs), upper_bound(pairs, availability, tables=tables, slots=slots))


def place_meetings(
    pairs: Pairs,
    availability: Availability,
    *,
    tables: int,
    slots: int,
    repair_seconds: float = REPAIR_SECONDS,
) -> Schedule:
    """As many of ``pairs`` as it can place, none double-booked; see the module's docstring."""
    if tables < 1:
        raise ValueError("tables must be at least 1")
    avail, common = _masks(pairs, availability, slots)
    attendees = len(avail)
    if any(not (0 <= a < attendees and 0 <= b < attendees) for a, b in pairs):
        raise ValueError("a request names an attendee outside availability")
    start = time.perf_counter()
    degree = [0] * attendees
    for a, b in pairs:
        degree[a] += 1
        degree[b] += 1

    # 1. Those with the fewest meetings so far first, then the hardest (fewest common slots, busiest
    # people): everybody gets a first meeting before anybody a second where tables run short.
    # Keys go stale as people get meetings; a stale entry goes back in the queue with its new key.
    fair = _Board(pairs, common, attendees, tables, slots)

    def key(r: int) -> tuple[int, int, int, int, int]:
        a, b = pairs[r]
        counts = (fair.count[a], fair.count[b])
        hard = (common[r].bit_count(), -(degree[a] + degree[b]), r)
        return (max(counts), sum(counts), *hard)

    queue = [key(r) for r in range(len(pairs)) if common[r]]
    heapq.heapify(queue)
    while queue:
        entry = heapq.heappop(queue)
        r = entry[-1]
        now = key(r)
        if now != entry:
            heapq.heappush(queue, now)
            continue
        free = fair.free(r)
        if free:  # a request that cannot be placed now never can in this greedy: slots only fill
            fair.put(r, fair.least_loaded(free))
    fair.repair(start + repair_seconds / 2)

    # 2. The plain first-fit greedy, repaired: the floor the result never goes below.
    plain = _Board(pairs, common, attendees, tables, slots)
    for r in range(len(pairs)):
        free = plain.free(r)
        if free:
            plain.put(r, (free & -free).bit_length() - 1)
    plain.repair(time.perf_counter() + repair_seconds / 2)

    board, strategy = (fair, "fair") if fair.placed() >= plain.placed() else (plain, "first_fit")
    return Schedule(
        _tables(board),
        len(pairs),
        upper_bound(pairs, availability, tables=tables, slots=slots),
        strategy,
        {"seconds": time.perf_counter() - start},
    )


def upper_bound(pairs: Pairs, availability: Availability, *, tables: int, slots: int) -> int:
    """No schedule places more than the least of: the requests that share a slot, tables × slots,
    per slot min(tables, people there ÷ 2), and a fractional matching where each person has at most
    as many meetings as slots she is there (a max flow on the bipartite double cover)."""
    from ortools.graph.python import max_flow

    avail, common = _masks(pairs, availability, slots)
    feasible = [r for r in range(len(pairs)) if common[r]]
    if not feasible:
        return 0
    reach = [0] * len(avail)  # the slots in which a person could meet anyone she asked for
    for r in feasible:
        a, b = pairs[r]
        reach[a] |= common[r]
        reach[b] |= common[r]
    per_slot = 0
    for s in range(slots):
        bit = 1 << s
        people = sum(1 for mask in reach if mask & bit)
        requests = sum(1 for r in feasible if common[r] & bit)
        per_slot += min(tables, people // 2, requests)
    people = len(avail)
    flow = max_flow.SimpleMaxFlow()
    source, sink = 2 * people, 2 * people + 1
    for a in range(people):
        if reach[a]:
            flow.add_arc_with_capacity(source, a, reach[a].bit_count())
            flow.add_arc_with_capacity(people + a, sink, reach[a].bit_count())
    for r in feasible:
        a, b = pairs[r]
        flow.add_arc_with_capacity(a, people + b, 1)
        flow.add_arc_with_capacity(b, people + a, 1)
    if flow.solve(source, sink) != flow.OPTIMAL:
        raise RuntimeError("max flow failed")
    return min(len(feasible), tables * slots, per_slot, flow.optimal_flow() // 2)
