"""The engine's compiled monthly steps (numba), path by path.

Imported on first use by :mod:`placecast.engine.step`, so that importing placecast does not
import numba. Each kernel does one month for every path of a batch, one path at a time, so a
path's arrays stay in cache; ``nogil`` lets the batches run on threads. numba does not check
bounds: the callers in ``step`` check the shapes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_BELOW_ONE = float(np.nextafter(1.0, 0.0))  # largest routing uniform, as the numpy step's clip


@njit(nogil=True, cache=True, inline="always")
def _queue_for_places(
    want: np.ndarray,
    free: float,
    before: float,
    short: bool,
    s: int,
    a: int,
    cap: int,
    ovf: int,
    new: np.ndarray,
    entries: np.ndarray,
    moves: np.ndarray,
    redirected: np.ndarray,
) -> float:
    """Arrivals of age month ``a`` of path ``s`` queueing for in-house places, in queue order
    (``want[0]`` entrants, ``want[1 + p]`` movers from placement ``p``): each is admitted while
    ``free`` places last after the ``before`` queued ahead (all of them unless ``short``), the
    rest go to the overflow placement. Returns the number queued so far. Whole children or
    expected values alike (the two kernels)."""
    for j in range(want.size):
        d = want[j]
        if d == 0:
            continue
        got = min(max(free - before, 0), d) if short else d
        before += d
        new[s, cap, a] += got
        new[s, ovf, a] += d - got
        redirected[s] += d - got
        if j == 0:
            entries[s, cap] += got
            entries[s, ovf] += d - got
        else:
            moves[s, j - 1, cap] += got
            if j - 1 != ovf:  # refused in the overflow placement: stayed, not moved
                moves[s, j - 1, ovf] += d - got
    return before


@njit(nogil=True, cache=True)
def mean_field_month(
    n: np.ndarray,
    places: np.ndarray,
    p_leave: np.ndarray,
    route: np.ndarray,
    intensity: np.ndarray,
    per_age: np.ndarray,
    placement_share: np.ndarray,
    band: np.ndarray,
    cap: int,
    ovf: int,
) -> tuple[np.ndarray, ...]:
    """One mean-field month for every path (see :func:`placecast.engine.step.step_expected`)."""
    S, P, A = n.shape
    K = route.shape[3]
    R = K - P
    new = np.empty((S, P, A))
    entries = np.zeros((S, P))
    exits = np.zeros((S, P, R + 1))
    moves = np.zeros((S, P, P))
    redirected = np.zeros(S)
    displaced = np.zeros(S)
    B = route.shape[1]
    leaving = np.empty((P, A))
    by_band = np.empty(B)
    demand = np.empty((A, P + 1))  # (age, entrant then movers by origin), youngest first
    kept = np.empty(A)
    for s in range(S):
        # Step 1: leavers of each cell, routed by their age band: arrivals age month by age
        # month (inner loops run along ages, contiguous), flows by band (few).
        for p in range(P):
            for a in range(A):
                lv = n[s, p, a] * p_leave[s, p, a]
                leaving[p, a] = lv
                new[s, p, a] = n[s, p, a] - lv
        for p in range(P):
            for k in range(P):
                for a in range(A):
                    new[s, k, a] += leaving[p, a] * route[s, band[a], p, k]
            for a in range(A):
                demand[a, 1 + p] = leaving[p, a] * route[s, band[a], p, cap]
            by_band[:] = 0.0
            for a in range(A):
                by_band[band[a]] += leaving[p, a]
            for b in range(B):
                for k in range(P):
                    moves[s, p, k] += by_band[b] * route[s, b, p, k]
                for r in range(R):
                    exits[s, p, r] += by_band[b] * route[s, b, p, P + r]
        # Step 2: entrants, spread over age months and first placements.
        for a in range(A):
            b = band[a]
            e_age = intensity[s] * per_age[s, b]
            for p in range(P):
                e = e_age * placement_share[s, b, p]
                new[s, p, a] += e
                entries[s, p] += e
            demand[a, 0] = e_age * placement_share[s, b, cap]
        # Step 3: in-house places. Stayers keep theirs, youngest first, while places last.
        stayers = 0.0
        for a in range(A):
            kept[a] = n[s, cap, a] - leaving[cap, a]
            stayers += kept[a]
        lost = 0.0
        if stayers > places[s]:
            before = 0.0
            for a in range(A):
                want = kept[a]
                kept[a] = min(max(places[s] - before, 0.0), want)
                before += want
                new[s, ovf, a] += want - kept[a]
                lost += want - kept[a]
        free = places[s]
        for a in range(A):
            free -= kept[a]
        # Then arrivals queue, youngest first, entrants before movers of the same age.
        wanted = 0.0
        for a in range(A):
            for j in range(P + 1):
                wanted += demand[a, j]
        short = wanted > free
        entries[s, cap] = 0.0
        for p in range(P):
            moves[s, p, cap] = 0.0
        before = 0.0
        for a in range(A):
            new[s, cap, a] = kept[a]
            before = _queue_for_places(
                demand[a], free, before, short, s, a, cap, ovf, new, entries, moves, redirected
            )
        moves[s, cap, ovf] += lost
        displaced[s] = lost
        # Step 4: everyone ages a month; those turning 18 leave care.
        for p in range(P):
            exits[s, p, R] = new[s, p, A - 1]
            for a in range(A - 1, 0, -1):
                new[s, p, a] = new[s, p, a - 1]
            new[s, p, 0] = 0.0
    return new, entries, exits, moves, redirected, displaced


@njit(nogil=True, cache=True, inline="always")
def _leavers_of_cell(count: int, p32: np.float32, u32: np.float32) -> tuple[int, float]:
    """Leavers of a cell holding ``count`` children and the uniform that routes the first one.

    One child: a Bernoulli comparison in single precision. More: the binomial CDF walked from
    the cell's uniform (inversion), the routing uniform being ``(u - F(k-1)) / P(k)``. The
    arithmetic is written in the order of the numpy step it replaced, so the numbers match.
    """
    if count == 1:
        if u32 < p32:
            return 1, float(u32) / float(p32)
        return 0, 0.0
    u = float(u32)
    p = float(p32)
    q = 1.0 - p
    pmf = q ** float(count)
    cdf = pmf
    k = 0
    lower = 0.0
    chosen = pmf
    j = 1
    while j <= count and u >= cdf:
        pmf = pmf * float(count - j + 1) / j * p / q
        k += 1
        lower = cdf
        chosen = pmf
        cdf = cdf + pmf
        j += 1
    v = (u - lower) / chosen if chosen > 0 else u
    return k, min(max(v, 0.0), _BELOW_ONE)


@njit(nogil=True, cache=True, inline="always")
def _destination(cum: np.ndarray, v: float) -> int:
    """Category of uniform ``v`` under the cumulative weights ``cum``."""
    x = v * cum[-1]
    k = 0
    for i in range(cum.size - 1):
        if x >= cum[i]:
            k += 1
    return k


@njit(nogil=True, cache=True)
def sampled_month(
    n: np.ndarray,
    u: np.ndarray,
    rng_extra: np.random.Generator,
    p_leave: np.ndarray,
    route_cum: np.ndarray,
    band: np.ndarray,
    entrants: np.ndarray,
    entrant_u: np.ndarray,
    age_share_cum: np.ndarray,
    placement_share_cum: np.ndarray,
    band_start: np.ndarray,
    band_width: np.ndarray,
    places: np.ndarray,
    cap: int,
    ovf: int,
) -> tuple[np.ndarray, ...]:
    """One month on whole children for every path (see
    :func:`placecast.engine.step.step_sampled`): the numpy step's numbers, from its uniforms.

    ``u`` holds one single-precision uniform per cell, drawn whatever the counts (the common
    random numbers); each second and later leaver of a cell draws one from ``rng_extra``, in
    cell order, as the numpy step did, so the numbers are the same. Path ``s`` has
    ``entrants[s]`` entrants; entrant ``j`` takes the uniforms ``entrant_u[j, s]``: its age
    band, its age month within the band, its first placement.
    """
    S, P, A = n.shape
    K = route_cum.shape[3]
    R = K - P
    new = n.copy()
    entries = np.zeros((S, P), dtype=np.int64)
    exits = np.zeros((S, P, R + 1), dtype=np.int64)
    moves = np.zeros((S, P, P), dtype=np.int64)
    redirected = np.zeros(S, dtype=np.int64)
    displaced = np.zeros(S, dtype=np.int64)
    # Arrivals wanting an in-house place, by age month and queue rank within the age
    # (0 = entrant, 1 + p = mover from placement p): the queue runs youngest first.
    want = np.zeros((A, P + 1), dtype=np.int64)
    for s in range(S):
        want[:] = 0
        # Step 1: leavers, routed; arrivals at other placements go straight in.
        for p in range(P):
            for a in range(A):
                count = n[s, p, a]
                if count == 0:
                    continue
                k, v = _leavers_of_cell(count, p_leave[s, p, a], u[s, p, a])
                if k == 0:
                    continue
                new[s, p, a] -= k
                cum = route_cum[s, band[a], p]
                for i in range(k):
                    if i > 0:
                        v = rng_extra.random()
                    dest = _destination(cum, v)
                    if dest >= P:
                        exits[s, p, dest - P] += 1
                    elif dest == cap:
                        want[a, 1 + p] += 1
                    else:
                        new[s, dest, a] += 1
                        if dest != p:
                            moves[s, p, dest] += 1
        # Step 2: entrants.
        for j in range(entrants[s]):
            b = _destination(age_share_cum[s], entrant_u[j, s, 0])
            a = band_start[b] + int(entrant_u[j, s, 1] * band_width[b])
            dest = _destination(placement_share_cum[s, b], entrant_u[j, s, 2])
            if dest == cap:
                want[a, 0] += 1
            else:
                new[s, dest, a] += 1
                entries[s, dest] += 1
        # Step 3: in-house places. Stayers keep theirs youngest first while places last.
        stayers = 0
        for a in range(A):
            stayers += new[s, cap, a]
        free = places[s]
        if stayers > places[s]:
            before = 0
            for a in range(A):
                here = new[s, cap, a]
                kept = min(max(places[s] - before, 0), here)
                before += here
                new[s, cap, a] = kept
                new[s, ovf, a] += here - kept
                displaced[s] += here - kept
                free -= kept
        else:
            free -= stayers
        # Then arrivals, youngest first, entrants before movers of the same age.
        rank = 0
        for a in range(A):
            rank = _queue_for_places(
                want[a], free, rank, True, s, a, cap, ovf, new, entries, moves, redirected
            )
        moves[s, cap, ovf] += displaced[s]
        # Step 4: everyone ages a month; those turning 18 leave care.
        for p in range(P):
            exits[s, p, R] = new[s, p, A - 1]
            for a in range(A - 1, 0, -1):
                new[s, p, a] = new[s, p, a - 1]
            new[s, p, 0] = 0
    return new, entries, exits, moves, redirected, displaced
