"""One month of the engine, for every path at once (steps 1-4 of :mod:`placecast.engine`).

The same step runs on random draws (:func:`step_sampled`, whole children) and on expected values
(:func:`step_expected`, the mean-field model).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from scipy.special import gammaln

from placecast.rates import Rates
from placecast.states import MONTHS_PER_YEAR, StateSpace


@dataclass
class Batch:
    """Per-batch constants: rates gathered to the paths of the batch."""

    space: StateSpace
    draw: np.ndarray  # (S,) rate draw of each path
    p_leave: np.ndarray  # (S, P, A) probability of leaving the placement this month
    route: np.ndarray  # (S, B, P, K) destination probabilities given leaving (K = P + R)
    entries_per_month: np.ndarray  # (S,) entry intensity at month 1
    entry_growth: np.ndarray  # (S,) yearly growth of the entry intensity
    age_share: np.ndarray  # (S, B)
    placement_share: np.ndarray  # (S, B, P)
    # For sampling: single-precision leave probabilities (halves the memory traffic of the
    # hottest gather) and cumulative distributions for inversion.
    p_leave_f32: np.ndarray = field(init=False)
    route_cum: np.ndarray = field(init=False)
    age_share_cum: np.ndarray = field(init=False)
    placement_share_cum: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.p_leave_f32 = self.p_leave.astype(np.float32)
        self.route_cum = np.cumsum(self.route, axis=-1)
        self.age_share_cum = np.cumsum(self.age_share, axis=-1)
        self.placement_share_cum = np.cumsum(self.placement_share, axis=-1)

    @classmethod
    def gather(cls, rates: Rates, probs: np.ndarray, draw: np.ndarray) -> Batch:
        """Gather per-draw rates to paths; ``probs`` = ``rates.monthly_probabilities()``."""
        space = rates.space
        P = space.n_placements
        stay = probs[:, :, np.arange(P), np.arange(P)]  # (D, B, P)
        leave = 1.0 - stay
        route = probs.copy()
        route[:, :, np.arange(P), np.arange(P)] = 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            route = np.where(leave[..., None] > 0, route / leave[..., None], 0.0)
        band = space.band_of_age_month
        ds = rates.data
        return cls(
            space=space,
            draw=draw,
            p_leave=np.ascontiguousarray(np.swapaxes(leave[draw][:, band, :], 1, 2)),  # (S, P, A)
            route=route[draw],
            entries_per_month=ds["entries_per_year"].values[draw] / MONTHS_PER_YEAR,
            entry_growth=ds["entry_growth_per_year"].values[draw],
            age_share=ds["entry_age_band_share"].values[draw],
            placement_share=ds["entry_placement_share"].values[draw],
        )


def _categorical(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Category of each row of cumulative probabilities ``cum`` (n, K) at uniforms ``u`` (n,)."""
    return ((u * cum[:, -1])[:, None] >= cum[:, :-1]).sum(axis=1)


def _binomial_by_inversion(
    n: np.ndarray, p: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Binomial(n, p) draws from uniforms ``u`` by inverting the CDF, for small n.

    Also returns, for each draw k, ``(u - F(k-1)) / P(k)``: a fresh uniform independent of k,
    used to route the first leaver of the cell without consuming more random numbers.
    Inversion makes the draw a monotone function of ``u``, so two scenarios on the same uniforms
    differ only where their counts differ (common random numbers).
    """
    q = 1.0 - p
    pmf = q**n
    cdf = pmf.copy()
    k = np.zeros_like(n)
    lower = np.zeros_like(u)
    chosen_pmf = pmf.copy()
    for j in range(1, int(n.max(initial=0)) + 1):  # loop over count values, not over children
        go = (u >= cdf) & (j <= n)
        if not go.any():
            break
        pmf = pmf * np.maximum(n - j + 1, 0) / j * p / q
        k += go
        lower = np.where(go, cdf, lower)
        chosen_pmf = np.where(go, pmf, chosen_pmf)
        cdf = cdf + pmf
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(chosen_pmf > 0, (u - lower) / chosen_pmf, u)
    return k, np.clip(v, 0.0, np.nextafter(1.0, 0.0))


def _allocate(free: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Give ``free`` places (S,) to ``demand`` (S, ...) in order along the flattened trailing axes.

    Vectorised greedy fill: entry i gets what is left after the entries before it.
    """
    flat = demand.reshape(demand.shape[0], -1)
    # Paths whose whole demand fits get all of it; only the others queue. (Most paths, most
    # months: the queue's cumulative sum was a quarter of the mean-field model's time.)
    short = flat.sum(axis=1) > free
    if not short.any():
        return demand.copy()
    given = flat.copy()
    queued = flat[short]
    before = np.cumsum(queued, axis=1) - queued
    given[short] = np.clip(free[short, None] - before, 0, queued)
    return given.reshape(demand.shape)


def _keep_in_place(places: np.ndarray, stayers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Children (S, A) already in in-house placements who keep them, youngest first.

    Only binds when capacity has fallen below the children placed (carers deregistered).
    """
    if not (stayers.sum(axis=1, dtype=stayers.dtype) > places).any():
        return stayers, np.zeros_like(stayers)
    kept = _allocate(places, stayers)
    return kept, stayers - kept


@dataclass
class _MonthResult:
    children: np.ndarray  # (S, P, A) at month end, after ageing
    entries: np.ndarray  # (S, P)
    exits: np.ndarray  # (S, P, R + 1), last = aged_18
    moves: np.ndarray  # (S, P, P)
    redirected: np.ndarray  # (S,) needed an in-house place, went to overflow
    displaced: np.ndarray  # (S,) lost an in-house place when capacity fell


def _age_one_month(
    new: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    moves: np.ndarray,
    redirected: np.ndarray,
    displaced: np.ndarray,
) -> _MonthResult:
    """Step 4: everyone ages a month; the month a child turns 18 they leave care."""
    aged_out = new[:, :, -1].copy()
    new[:, :, 1:] = new[:, :, :-1]
    new[:, :, 0] = 0
    return _MonthResult(
        children=new,
        entries=entries,
        exits=np.concatenate([exits, aged_out[..., None]], axis=2),
        moves=moves,
        redirected=redirected,
        displaced=displaced,
    )


def _entry_intensity(batch: Batch, month: int, multiplier: float) -> np.ndarray:
    """Expected entries this month, per path."""
    growth = (1.0 + batch.entry_growth) ** ((month - 1) / MONTHS_PER_YEAR)
    return batch.entries_per_month * growth * multiplier


def _poisson_with_uniforms(
    intensity: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts by inversion, plus three uniforms for each possible event.

    ``rng`` must be this month's own generator. The uniforms come as (event, path, 3), one row
    per event up to the largest count, so the first events of every path get the same numbers
    whatever the counts: a scenario with more entries adds entrants after the baseline's, it does
    not reshuffle them. Counts beyond the table's reach (probability below 1e-12) are capped.
    """
    top = float(intensity.max(initial=0.0))
    k_max = int(top + 8.0 * np.sqrt(top) + 8.0)
    k = np.arange(k_max + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmf = np.exp(k * np.log(intensity)[:, None] - intensity[:, None] - gammaln(k + 1))
    pmf[intensity == 0] = k == 0
    cdf = np.cumsum(pmf, axis=1)
    u = rng.random(intensity.shape)
    count = (u[:, None] >= cdf[:, :-1]).sum(axis=1)
    return count, rng.random((int(count.max(initial=0)), intensity.size, 3))


def step_sampled(
    n: np.ndarray,
    places: np.ndarray,
    batch: Batch,
    month: int,
    multiplier: float,
    rng_moves: np.random.Generator,
    rng_extra: np.random.Generator,
    entry_seeds: list[np.random.SeedSequence],
) -> _MonthResult:
    """One month on whole children with random draws (steps 1-4 of the module docstring).

    The binomial number leaving each (path, placement, age month) cell is drawn by inversion from
    one uniform per cell: a Bernoulli comparison where the cell holds one child (most occupied
    cells: a council of 450 spreads over ~1,300 states) and a short CDF walk where it holds more.
    This is several times faster than ``Generator.binomial`` over the whole array and keeps
    common random numbers across scenarios. Leavers and entrants, a few percent of the children,
    are then handled as short lists and added back with ``np.add.at``.
    """
    space = batch.space
    S, P, A = n.shape
    cap = space.index(space.capacity_placement)
    ovf = space.index(space.overflow_placement)
    band = space.band_of_age_month
    R = batch.route.shape[-1] - P
    flat_n = n.reshape(-1)

    # Step 1: who leaves, and where each leaver goes. One uniform per cell, drawn whatever the
    # counts, so scenarios on the same seed see the same uniforms cell by cell.
    # Single precision for the dense arrays halves memory traffic; the subsets are promoted.
    u = rng_moves.random(n.shape, dtype=np.float32).reshape(-1)
    p_leave = batch.p_leave_f32.reshape(-1)
    one = np.flatnonzero((flat_n == 1) & (u < p_leave))
    v_one = u[one].astype(float) / p_leave[one]  # uniform given leaving: routes the leaver
    many = np.flatnonzero(flat_n > 1)
    k, v_many = _binomial_by_inversion(
        flat_n[many], p_leave[many].astype(float), u[many].astype(float)
    )
    first = k > 0
    extra = np.repeat(many[first], k[first] - 1)  # rare: second and later leavers of a cell
    leaver_cell = np.concatenate([one, many[first], extra])
    v = np.concatenate([v_one, v_many[first], rng_extra.random(extra.size)])
    s, p, a = np.unravel_index(leaver_cell, (S, P, A))
    dest = _categorical(batch.route_cum[s, band[a], p], v)
    moved = dest < P
    n_moved = int(moved.sum())

    # Step 2: entrants (path, age month, first placement), on common random numbers too: the
    # count is a Poisson quantile of one uniform per path, and entrant j of a path takes the j-th
    # row of a fixed block of uniforms, so a demand scenario adds or removes entrants at the end.
    count, u_entrant = _poisson_with_uniforms(
        _entry_intensity(batch, month, multiplier), np.random.default_rng(entry_seeds[month - 1])
    )
    es = np.repeat(np.arange(S), count)
    rank = np.arange(es.size) - np.repeat(np.cumsum(count) - count, count)
    u3 = u_entrant[rank, es]
    eb = _categorical(batch.age_share_cum[es], u3[:, 0])
    ea = space.band_start_months[eb] + (u3[:, 1] * space.band_width_months[eb]).astype(np.intp)
    ep = _categorical(batch.placement_share_cum[es, eb], u3[:, 2])

    # Arrivals = movers then entrants; origin P marks an entrant.
    arr_s = np.concatenate([s[moved], es])
    arr_a = np.concatenate([a[moved], ea])
    arr_origin = np.concatenate([p[moved], np.full(es.size, P)])
    arr_dest = np.concatenate([dest[moved], ep])

    # Step 3: in-house places; stayers first, then arrivals youngest first (entrants before
    # movers of the same age): an arrival is admitted if its rank within its path < free places.
    new = n.copy()
    np.subtract.at(new.reshape(-1), leaver_cell, 1)
    kept, displaced = _keep_in_place(places.astype(n.dtype), new[:, cap, :])
    new[:, cap, :] = kept
    new[:, ovf, :] += displaced
    free = places - kept.sum(axis=1)
    want = np.flatnonzero(arr_dest == cap)
    priority = np.where(arr_origin[want] == P, 0, arr_origin[want] + 1)
    order = want[np.argsort((arr_s[want] * A + arr_a[want]) * (P + 1) + priority, kind="stable")]
    path_of = arr_s[order]
    rank = np.arange(order.size) - np.searchsorted(path_of, path_of, side="left")
    refused = order[rank >= free[path_of]]
    arr_dest[refused] = ovf
    np.add.at(new.reshape(-1), (arr_s * P + arr_dest) * A + arr_a, 1)

    # Records. A child in IFA refused an in-house place simply stays in IFA: not a move.
    ms, mo, md = arr_s[:n_moved], arr_origin[:n_moved], arr_dest[:n_moved]
    real = mo != md
    moves = np.bincount((ms[real] * P + mo[real]) * P + md[real], minlength=S * P * P).reshape(
        S, P, P
    )
    moves[:, cap, ovf] += displaced.sum(axis=1)
    entries = np.bincount(es * P + arr_dest[n_moved:], minlength=S * P).reshape(S, P)
    ex = ~moved
    exits = np.bincount((s[ex] * P + p[ex]) * R + (dest[ex] - P), minlength=S * P * R).reshape(
        S, P, R
    )
    redirected = np.bincount(arr_s[refused], minlength=S)
    return _age_one_month(new, entries, exits, moves, redirected, displaced.sum(axis=1))


def step_expected(
    n: np.ndarray, places: np.ndarray, batch: Batch, month: int, multiplier: float
) -> _MonthResult:
    """One month of the mean-field model: :func:`step_sampled` on expected values.

    Compiled with numba, path by path: the month's work for one path (leavers routed, entrants
    spread over ages and placements, the in-house queue, ageing) fits in cache, where the same
    step on dense (path, placement, age month) numpy arrays made about ten passes over memory
    and took longer than the stochastic engine (issue 26). The numpy formulation it replaces is
    kept as the reference in the tests (``tests/reference.py``), which agree to 1e-12.
    """
    space = batch.space
    if n.shape != batch.p_leave.shape or places.shape != n.shape[:1]:  # compiled: no bounds checks
        raise ValueError(f"children {n.shape} and places {places.shape} do not fit the batch")
    new, entries, exits, moves, redirected, displaced = _mean_field_kernel()(
        np.ascontiguousarray(n, dtype=float),
        np.ascontiguousarray(places, dtype=float),
        batch.p_leave,
        np.ascontiguousarray(batch.route),
        _entry_intensity(batch, month, multiplier),
        batch.age_share / space.band_width_months,
        np.ascontiguousarray(batch.placement_share),
        space.band_of_age_month.astype(np.intp),
        space.index(space.capacity_placement),
        space.index(space.overflow_placement),
    )
    return _MonthResult(new, entries, exits, moves, redirected, displaced)


@cache
def _mean_field_kernel() -> Callable[..., tuple[np.ndarray, ...]]:
    """The compiled month (numba imported on first use, so importing placecast stays fast)."""
    import numba

    @numba.njit(nogil=True, cache=True)
    def month(n, places, p_leave, route, intensity, per_age, placement_share, band, cap, ovf):  # type: ignore[no-untyped-def]
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
                placed = kept[a]
                for j in range(P + 1):
                    d = demand[a, j]
                    got = min(max(free - before, 0.0), d) if short else d
                    before += d
                    placed += got
                    new[s, ovf, a] += d - got
                    redirected[s] += d - got
                    if j == 0:
                        entries[s, cap] += got
                        entries[s, ovf] += d - got
                    else:
                        moves[s, j - 1, cap] += got
                        moves[s, j - 1, ovf] += d - got
                new[s, cap, a] = placed
            moves[s, cap, ovf] += lost
            moves[s, ovf, ovf] = 0.0  # refused in the overflow placement: stayed, not moved
            displaced[s] = lost
            # Step 4: everyone ages a month; those turning 18 leave care.
            for p in range(P):
                exits[s, p, R] = new[s, p, A - 1]
                for a in range(A - 1, 0, -1):
                    new[s, p, a] = new[s, p, a - 1]
                new[s, p, 0] = 0.0
        return new, entries, exits, moves, redirected, displaced

    return month  # type: ignore[no-any-return]
