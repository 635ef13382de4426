"""The engine's compiled monthly steps (numba), path by path.

Imported on first use by :mod:`placecast.engine.step`, so that importing placecast does not
import numba. Each kernel does one month for every path of a batch, one path at a time, so a
path's arrays stay in cache; ``nogil`` lets the batches run on threads. numba does not check
bounds: the callers in ``step`` check the shapes.

Random numbers are *keyed*, not streamed: every uniform is a hash of (run key, month, path,
cell, leaver), computed where it is needed (:func:`_key`, :func:`_unit`). A cell that holds no
children costs nothing, and two runs on the same seed see the same uniform for the same child
slot whatever happened elsewhere: the common random numbers hold by construction, and a path's
numbers do not depend on the batch or thread that ran it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit


def _compiled(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """numba's ``njit``, releasing the GIL, cached on disk where numba can write its cache (next
    to this file, or the user's cache folder) and compiled afresh in each process where it
    cannot (a read-only install and home, as on locked-down machines), instead of failing at
    import."""

    def wrap(func: Callable[..., Any]) -> Any:
        try:
            return njit(nogil=True, cache=True, **options)(func)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return njit(nogil=True, **options)(func)

    return wrap


_BELOW_ONE = float(np.nextafter(1.0, 0.0))  # largest routing uniform
# SplitMix64's increment and finaliser (Steele, Lea & Flood 2014; Vigna's constants): a key's
# i-th child key is the finaliser of key + i * golden ratio, as SplitMix64 steps its state.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_UNIT = 2.0**-53


@_compiled(inline="always")
def _key(base: np.uint64, i: int) -> np.uint64:
    """The ``i``-th key under ``base`` (a bijective 64-bit mix of ``base + i * golden``)."""
    z = base + _GOLDEN * np.uint64(i)
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    return z ^ (z >> np.uint64(31))


@_compiled(inline="always")
def _unit(key: np.uint64) -> float:
    """A uniform on [0, 1) from a key's top 53 bits."""
    return float(key >> np.uint64(11)) * _UNIT


@_compiled()
def uniforms(run_key: np.uint64, month: int, path: int, slots: np.ndarray) -> np.ndarray:
    """The uniforms of ``slots`` (keys' indices under the path's month key) of one path-month:
    for tests and the documentation of the layout (see :func:`sampled_month`)."""
    path_key = _key(_key(run_key, month), path)
    out = np.empty(slots.size)
    for i in range(slots.size):
        out[i] = _unit(_key(path_key, slots[i]))
    return out


@_compiled(inline="always")
def _ages_of_band(band_start: np.ndarray, band_width: np.ndarray, b: int) -> tuple[Any, Any]:
    """The first and one past the last age month of band ``b``, unsigned: numba then drops its
    negative-index wraparound from loops over them, and LLVM can vectorise those loops (the
    mean field ran 23% faster)."""
    return np.uint64(band_start[b]), np.uint64(band_start[b] + band_width[b])


@_compiled(inline="always")
def _refuse(
    key: int,
    cur: np.ndarray,
    entries: np.ndarray,
    moves: np.ndarray,
    cap: int,
    ovf: int,
    P1: int,
) -> None:
    """An arrival (queue key ``a * (P + 1) + j``: age month ``a``, ``j`` 0 for an entrant or
    1 + p for a mover from placement ``p``) refused an in-house place: to the overflow placement
    at its age, its entry or move counted there instead (``entries``, ``moves``: the path's)."""
    a = key // P1
    j = key - a * P1
    cur[cap, a] -= 1
    cur[ovf, a] += 1
    if j == 0:
        entries[cap] -= 1
        entries[ovf] += 1
    else:
        moves[j - 1, cap] -= 1
        if j - 1 != ovf:  # refused in the overflow placement: stayed, not moved
            moves[j - 1, ovf] += 1


# Sums may be reordered (so vectorised) and multiply-adds fused: the mean field's numbers move
# in the last digits (1e-13 relative seen), not NaN or infinity handling; twice as fast.
@_compiled(fastmath={"reassoc", "contract", "nsz", "arcp"})
def mean_field_month(
    n: np.ndarray,
    into: np.ndarray,
    children: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    moves: np.ndarray,
    redirected: np.ndarray,
    displaced: np.ndarray,
    places: np.ndarray,
    leave: np.ndarray,
    route: np.ndarray,
    intensity: np.ndarray,
    age_share: np.ndarray,
    placement_share: np.ndarray,
    band_start: np.ndarray,
    band_width: np.ndarray,
    cap: int,
    ovf: int,
) -> None:
    """One mean-field month for every path (see :func:`placecast.engine.step.step_expected`):
    the month-end children into ``into``, the month's results into the run's arrays for the
    month, as :func:`sampled_month`. Every age month of a band shares the band's rates, so the
    work runs band by band along contiguous ages; ``leave`` is (path, band, placement).
    Arrivals wanting an in-house place are put there with everyone else and taken back only
    when places run short: the queue then has one age at which places run out, younger arrivals
    are admitted whole and older ones sent on, so no arrival is queued one by one."""
    S, P, A = n.shape
    B = band_start.size
    R = route.shape[3] - P
    cur = np.empty((P, A))  # the path's children this month, in cache
    leaving = np.empty((P, A))
    demand = np.empty((P + 1, A))  # (entrant then movers by origin, age), youngest first
    kept = np.empty(A)
    queued = np.empty(A)
    admitted = np.empty(P + 1)
    for s in range(S):
        # Step 1: leavers of each cell, routed by their age band.
        for p in range(P):
            for b in range(B):
                lo, hi = _ages_of_band(band_start, band_width, b)
                rate = leave[s, b, p]
                total = 0.0
                for a in range(lo, hi):
                    lv = n[s, p, a] * rate
                    leaving[p, a] = lv
                    cur[p, a] = n[s, p, a] - lv
                    total += lv
                for k in range(P):  # the run's arrays are zero before the month
                    moves[s, p, k] += total * route[s, b, p, k]
                for r in range(R):
                    exits[s, p, r] += total * route[s, b, p, P + r]
        for p in range(P):
            for b in range(B):
                lo, hi = _ages_of_band(band_start, band_width, b)
                for k in range(P):
                    r = route[s, b, p, k]
                    if r == 0.0:  # adds nothing (e.g. to the placement left)
                        continue
                    for a in range(lo, hi):
                        cur[k, a] += leaving[p, a] * r
                r = route[s, b, p, cap]
                for a in range(lo, hi):
                    demand[1 + p, a] = leaving[p, a] * r
        # Step 2: entrants, spread evenly over a band's age months and over first placements.
        for p in range(P):
            entries[s, p] = 0.0
        for b in range(B):
            lo, hi = _ages_of_band(band_start, band_width, b)
            per_month = intensity[s] * age_share[s, b] / band_width[b]
            for p in range(P):
                e = per_month * placement_share[s, b, p]
                for a in range(lo, hi):
                    cur[p, a] += e
                entries[s, p] += e * band_width[b]
            e = per_month * placement_share[s, b, cap]
            for a in range(lo, hi):
                demand[0, a] = e
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
                cur[ovf, a] += want - kept[a]
                lost += want - kept[a]
        free = places[s]
        for a in range(A):
            free -= kept[a]
        # Then arrivals queue, youngest first, entrants before movers of the same age. Steps 1-2
        # put every arrival in place and their totals in entries and moves: right unless short.
        for a in range(A):
            queued[a] = demand[0, a]
        for j in range(1, P + 1):
            for a in range(A):
                queued[a] += demand[j, a]
        wanted = 0.0
        for a in range(A):
            wanted += queued[a]
        sent_on = 0.0
        if wanted > free or lost > 0.0:
            # Ages before the first that does not fit are admitted whole, later ones sent on.
            before = 0.0
            first = A
            for a in range(A):
                if before + queued[a] > free:
                    first = a
                    break
                before += queued[a]
            for a in range(first):
                cur[cap, a] = kept[a] + queued[a]
            for a in range(first + 1, A):
                cur[cap, a] = kept[a]
                cur[ovf, a] += queued[a]
            for j in range(P + 1):
                got = 0.0
                for a in range(first):
                    got += demand[j, a]
                admitted[j] = got
            if first < A:  # the age at the boundary, entrants then movers by origin
                room = max(free - before, 0.0)
                cur[cap, first] = kept[first]
                for j in range(P + 1):
                    d = demand[j, first]
                    got = min(room, d)
                    room -= got
                    admitted[j] += got
                    cur[cap, first] += got
                    cur[ovf, first] += d - got
            # entries[s, cap] and moves[s, p, cap] hold every arrival's total so far.
            sent = entries[s, cap] - admitted[0]
            entries[s, cap] = admitted[0]
            entries[s, ovf] += sent
            sent_on += sent
            for p in range(P):
                sent = moves[s, p, cap] - admitted[1 + p]
                moves[s, p, cap] = admitted[1 + p]
                if p != ovf:  # refused in the overflow placement: stayed, not moved
                    moves[s, p, ovf] += sent
                sent_on += sent
        redirected[s] = sent_on
        moves[s, cap, ovf] += lost
        displaced[s] = lost
        # Step 4: everyone ages a month; those turning 18 leave care.
        _age_into(cur, into, children, exits, s, band_start, band_width)


@_compiled(inline="always")
def _age_into(
    cur: np.ndarray,
    into: np.ndarray,
    children: np.ndarray,
    exits: np.ndarray,
    s: int,
    band_start: np.ndarray,
    band_width: np.ndarray,
) -> None:
    """Step 4 for path ``s``: everyone in ``cur`` (placement, age month) ages a month into
    ``into[s]``; those turning 18 leave care (the last exit reason); ``children[s]`` gets the
    month-end children by age band."""
    P, A = cur.shape
    R = exits.shape[2] - 1
    for p in range(P):
        exits[s, p, R] = cur[p, A - 1]
        into[s, p, 0] = 0
        for a in range(A - 1):
            into[s, p, a + 1] = cur[p, a]
        for b in range(band_start.size):  # contiguous sums, one accumulator a band
            total = cur[p, 0] * 0
            lo, hi = _ages_of_band(band_start, band_width, b)
            for a in range(lo, hi):
                total += into[s, p, a]
            children[s, p, b] = total


@_compiled(inline="always")
def _leavers_of_cell(count: int, p: float, u: float) -> tuple[int, float]:
    """Leavers of a cell holding ``count`` children and the uniform that routes the first one:
    the binomial(``count``, p) CDF walked from the cell's uniform (inversion), the routing
    uniform being ``(u - F(k-1)) / P(k)``. The same uniform gives at least as many leavers to a
    cell holding more children (the coupling behind the common random numbers)."""
    if u < 1.0 - count * p:  # below (1 - p)^count, by Bernoulli's inequality: nobody leaves
        return 0, 0.0
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


@_compiled(inline="always")
def _poisson_by_inversion(mean: float, u: float) -> int:
    """The Poisson quantile of ``u``: a common uniform gives counts that rise with the mean, so
    a scenario with more entries adds entrants, it does not redraw them. Counts beyond
    ``mean + 8 sqrt(mean) + 8`` (probability below 1e-12) are capped."""
    if mean <= 0.0:
        return 0
    top = int(mean + 8.0 * math.sqrt(mean) + 8.0)
    log_mean = math.log(mean)
    if mean < 700.0:  # exp(-mean) is a normal double: the usual recurrence
        pmf = math.exp(-mean)
    else:
        pmf = 0.0
    cdf = pmf
    k = 0
    while k < top and u >= cdf:
        k += 1
        if mean < 700.0:
            pmf = pmf * mean / k
        else:
            pmf = math.exp(k * log_mean - mean - math.lgamma(k + 1.0))
        cdf += pmf
    return k


@_compiled(inline="always")
def _destination(cum: np.ndarray, row: int, v: float) -> int:
    """Category of uniform ``v`` under the cumulative weights ``cum[row]``."""
    K = cum.shape[1]
    x = v * cum[row, K - 1]
    k = 0
    for i in range(K - 1):
        if x >= cum[row, i]:
            k += 1
    return k


@_compiled()
def sampled_month(
    n: np.ndarray,
    new: np.ndarray,
    children: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    moves: np.ndarray,
    redirected: np.ndarray,
    displaced: np.ndarray,
    run_key: np.uint64,
    month: int,
    first_path: int,
    leave: np.ndarray,
    route_cum: np.ndarray,
    band: np.ndarray,
    intensity: np.ndarray,
    age_share_cum: np.ndarray,
    placement_share_cum: np.ndarray,
    band_start: np.ndarray,
    band_width: np.ndarray,
    places: np.ndarray,
    cap: int,
    ovf: int,
) -> None:
    """One month on whole children for every path (see
    :func:`placecast.engine.step.step_sampled`), ageing included: the month-end children into
    ``new`` (path, placement, age month), the month's results into the batch's rows of the
    run's arrays for the month (``children`` by age band, ``entries``, ``exits``, ``moves``,
    ``redirected``, ``displaced``; zero before the call), contiguous, so written in sequence.

    ``leave`` is the probability of leaving the placement this month by (path, age band,
    placement). The cumulative distributions come as rows: ``route_cum[(s * B + b) * P + p]``
    routes a leaver of path ``s``, band ``b``, placement ``p``; ``age_share_cum[s]`` an
    entrant's band; ``placement_share_cum[s * B + b]`` its first placement.

    Keys (see the module docstring): path ``first_path + s`` in ``month`` has the key
    ``_key(_key(run_key, month), first_path + s)``. Under it, slot ``p * A + a`` is the cell
    (placement ``p``, age month ``a``): its uniform decides how many leave and routes the first
    leaver, leaver ``i >= 1`` takes ``_key(cell key, i)``. Slot ``P * A`` gives the number of
    entrants (a Poisson quantile) and slot ``P * A + 1`` the entrants' key, under which entrant
    ``j`` takes slots ``3j, 3j + 1, 3j + 2``: its age band, its age month within the band, its
    first placement.

    Arrivals wanting an in-house place go in at once and are listed by queue key; only when
    they outnumber the free places are the keys sorted and the ones at the back sent on
    (:func:`_refuse`): a month without a shortage costs nothing for the queue, and one with a
    shortage costs a sort of its few arrivals, not a walk over every age and origin.
    """
    S, P, A = n.shape
    B = band_start.size
    cur = np.empty((P, A), dtype=np.int64)  # the path's children this month, in cache
    occupied = np.empty(P * A, dtype=np.int64)  # age months of the occupied cells, by placement
    ends = np.empty(P, dtype=np.int64)  # placement p's are occupied[ends[p - 1]:ends[p]]
    # Arrivals wanting an in-house place, each as its queue key a * (P + 1) + rank (0 =
    # entrant, 1 + p = mover from placement p): the queue runs youngest first.
    P1 = P + 1
    queue = np.empty(64, dtype=np.int64)
    month_key = _key(run_key, month)
    for s in range(S):
        path_key = _key(month_key, first_path + s)
        queued = 0
        # The occupied cells, listed without a branch (a quarter of the cells, at random: a
        # test per cell would be mispredicted half the time), placement by placement (no
        # division to recover the placement from a cell's index).
        m = 0
        most = 0  # arrivals this month are at most the children now plus the entrants' cap
        for p in range(P):
            for a in range(A):
                c = n[s, p, a]
                cur[p, a] = c
                occupied[m] = a
                m += c != 0
                most += c
            ends[p] = m
        most += int(intensity[s] + 8.0 * math.sqrt(intensity[s]) + 9.0)
        if queue.size < most:
            queue = np.empty(2 * most, dtype=np.int64)
        # Step 1: leavers, routed; arrivals at other placements go straight in.
        for p in range(P):
            for i in range(ends[p - 1] if p else 0, ends[p]):
                a = occupied[i]
                cell_key = _key(path_key, p * A + a)
                k, v = _leavers_of_cell(n[s, p, a], leave[s, band[a], p], _unit(cell_key))
                if k == 0:
                    continue
                cur[p, a] -= k
                row = (s * B + band[a]) * P + p
                for j in range(k):
                    if j > 0:
                        v = _unit(_key(cell_key, j))
                    dest = _destination(route_cum, row, v)
                    if dest >= P:
                        exits[s, p, dest - P] += 1
                    elif dest == cap:  # in for now; the queue may send it on
                        cur[cap, a] += 1
                        moves[s, p, cap] += 1
                        queue[queued] = a * P1 + 1 + p
                        queued += 1
                    else:
                        cur[dest, a] += 1
                        if dest != p:
                            moves[s, p, dest] += 1
        # Step 2: entrants.
        arriving = _poisson_by_inversion(intensity[s], _unit(_key(path_key, P * A)))
        entrant_key = _key(path_key, P * A + 1)
        for j in range(arriving):
            b = _destination(age_share_cum, s, _unit(_key(entrant_key, 3 * j)))
            a = band_start[b] + int(_unit(_key(entrant_key, 3 * j + 1)) * band_width[b])
            dest = _destination(placement_share_cum, s * B + b, _unit(_key(entrant_key, 3 * j + 2)))
            cur[dest, a] += 1
            entries[s, dest] += 1
            if dest == cap:  # in for now; the queue may send it on
                queue[queued] = a * P1
                queued += 1
        # Step 3: in-house places. Stayers keep theirs youngest first while places last, then
        # arrivals take what is free, youngest first, entrants before movers of the same age.
        entries_s, moves_s = entries[s], moves[s]
        stayers = -queued
        for a in range(A):
            stayers += cur[cap, a]
        free = places[s] - stayers
        if free < 0:  # every arrival is refused, and some stayers lose their places
            for i in range(queued):
                _refuse(queue[i], cur, entries_s, moves_s, cap, ovf, P1)
            redirected[s] += queued
            before = 0
            for a in range(A):
                here = cur[cap, a]
                kept = min(max(places[s] - before, 0), here)
                before += here
                cur[cap, a] = kept
                cur[ovf, a] += here - kept
                displaced[s] += here - kept
        elif queued > free:  # the arrivals at the back of the queue are sent on
            order = np.sort(queue[:queued])
            for i in range(free, queued):
                _refuse(order[i], cur, entries_s, moves_s, cap, ovf, P1)
            redirected[s] += queued - free
        moves[s, cap, ovf] += displaced[s]
        # Step 4: everyone ages a month; those turning 18 leave care.
        _age_into(cur, new, children, exits, s, band_start, band_width)
