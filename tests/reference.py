"""A per-child reference simulator: the model written the slow, obvious way.

Used only by tests (to check the vectorised engine's distribution) and benchmarks (to measure
the speed-up). It follows the same monthly order as :mod:`placecast.engine`: moves and exits,
entries, in-house capacity (stayers first, then arrivals youngest first, entrants before movers
of the same age, movers by placement order), ageing with exits at 18.

Also the engine's monthly steps written on dense numpy arrays, as they were before they were
compiled (:func:`step_sampled_reference`, :func:`step_expected_reference`, with their helpers),
drawing the same keyed uniforms (:func:`keyed_uniforms`, the layout documented in
:mod:`placecast.engine.kernels` written again in numpy): the tests hold the compiled steps to
their numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placecast.engine.step import RESULTS, Batch, _entry_intensity
from placecast.rates import Rates
from placecast.states import MONTHS_PER_YEAR, N_AGE_MONTHS
from placecast.stock import InitialStock


@dataclass
class _MonthResult:
    children: np.ndarray  # (S, P, A) at month end, after ageing
    entries: np.ndarray  # (S, P)
    exits: np.ndarray  # (S, P, R + 1), last = aged_18
    moves: np.ndarray  # (S, P, P)
    redirected: np.ndarray  # (S,) needed an in-house place, went to overflow
    displaced: np.ndarray  # (S,) lost an in-house place when capacity fell


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def keyed(base: np.ndarray, i: np.ndarray) -> np.ndarray:
    """The ``i``-th keys under ``base`` (SplitMix64's step and finaliser), elementwise."""
    with np.errstate(over="ignore"):
        z = np.asarray(base, dtype=np.uint64) + _GOLDEN * np.asarray(i, dtype=np.uint64)
        z = (z ^ (z >> np.uint64(30))) * _MIX_1
        z = (z ^ (z >> np.uint64(27))) * _MIX_2
        return z ^ (z >> np.uint64(31))


def unit(key: np.ndarray) -> np.ndarray:
    """Uniforms on [0, 1) from the keys' top 53 bits."""
    return (key >> np.uint64(11)).astype(float) * 2.0**-53


def keyed_uniforms(run_key: int, month: int, paths: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """The uniforms of ``slots`` (path, slot) under each path's month key."""
    path_key = keyed(keyed(np.uint64(run_key), month), paths)
    return unit(keyed(path_key[:, None], slots))


def simulate_reference(
    initial: InitialStock,
    rates: Rates,
    places: np.ndarray,
    *,
    months: int,
    paths: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """Simulate child by child. ``places`` is (paths, months + 1) usable in-house places.

    Returns totals by (path, month, placement) and exits by (path, month).
    """
    space = rates.space
    P = space.n_placements
    cap = space.index(space.capacity_placement)
    ovf = space.index(space.overflow_placement)
    probs = rates.monthly_probabilities()
    ds = rates.data
    rng = np.random.default_rng(seed)
    children = np.zeros((paths, months + 1, P), dtype=int)
    exits = np.zeros((paths, months + 1), dtype=int)
    start = [
        (p, a) for p in range(P) for a in range(N_AGE_MONTHS) for _ in range(initial.counts[p, a])
    ]
    for path in range(paths):
        d = path % rates.n_draws
        kids = list(start)
        children[path, 0] = np.bincount([p for p, _ in kids], minlength=P)
        for t in range(1, months + 1):
            stayers, arrivals = [], []
            for p, a in kids:
                row = probs[d, space.band_of_age_month[a], p]
                k = int(np.searchsorted(np.cumsum(row), rng.random() * row.sum(), side="right"))
                k = min(k, len(row) - 1)
                if k == p:
                    stayers.append((p, a))
                elif k < P:
                    arrivals.append((a, 1 + p, k))  # (age, priority, destination)
                else:
                    exits[path, t] += 1
            growth = (1 + ds["entry_growth_per_year"].values[d]) ** ((t - 1) / MONTHS_PER_YEAR)
            lam = ds["entries_per_year"].values[d] / MONTHS_PER_YEAR * growth
            for _ in range(rng.poisson(lam)):
                b = rng.choice(space.n_bands, p=ds["entry_age_band_share"].values[d])
                a = space.band_start_months[b] + rng.integers(space.band_width_months[b])
                p = rng.choice(P, p=ds["entry_placement_share"].values[d, b])
                arrivals.append((int(a), 0, int(p)))
            in_house = sorted(a for p, a in stayers if p == cap)
            free = int(places[path, t])
            kept = in_house[:free]
            new = [(p, a) for p, a in stayers if p != cap] + [(cap, a) for a in kept]
            new += [(ovf, a) for a in in_house[free:]]  # displaced, oldest first
            free -= len(kept)
            for a, _priority, dest in sorted(arrivals):
                if dest == cap:
                    if free > 0:
                        free -= 1
                    else:
                        dest = ovf
                new.append((dest, a))
            kids = []
            for p, a in new:
                if a + 1 >= N_AGE_MONTHS:
                    exits[path, t] += 1
                else:
                    kids.append((p, a + 1))
            children[path, t] = np.bincount([p for p, _ in kids], minlength=P)
    return {"children": children, "exits": exits}


def step_expected_reference(
    n: np.ndarray, places: np.ndarray, batch: Batch, month: int, multiplier: float
) -> _MonthResult:
    """The mean-field month on dense numpy arrays: the formulation the compiled
    :func:`placecast.engine.step.step_expected` replaced, kept to check it."""
    space = batch.space
    P = space.n_placements
    cap = space.index(space.capacity_placement)
    ovf = space.index(space.overflow_placement)
    band = space.band_of_age_month

    leaving = n * batch.p_leave
    stay = n - leaving
    # Where a leaver goes depends on the age band only, so leavers are routed band by band
    # (a loop over the few bands, not paths) rather than through a dense (path, placement, age
    # month, destination) array: that array was most of the mean-field model's time and memory.
    arrivals = np.empty_like(n)  # (S, to, A)
    for b, (lo, width) in enumerate(
        zip(space.band_start_months, space.band_width_months, strict=True)
    ):
        to_placement = np.swapaxes(batch.route[:, b, :, :P], 1, 2)  # (S, to, from)
        arrivals[:, :, lo : lo + width] = to_placement @ leaving[:, :, lo : lo + width]
    flows = np.einsum("spb,sbpk->spk", space.to_bands(leaving), batch.route)  # (S, P, K)
    moves = flows[..., :P].copy()
    exits = flows[..., P:]
    # Leavers heading for the capacity placement, by origin and age: they queue for its places.
    to_capacity = leaving * np.swapaxes(batch.route[:, :, :, cap], 1, 2)[:, :, band]  # (S, P, A)

    per_age = (batch.age_share / space.band_width_months)[:, band]  # (S, A)
    mix = np.swapaxes(batch.placement_share[:, band, :], 1, 2)  # (S, P, A)
    entries = _entry_intensity(batch, month, multiplier)[:, None, None] * per_age[:, None, :] * mix

    kept, displaced = _keep_in_place(places, stay[:, cap, :])
    demand = np.concatenate([entries[:, cap, None, :], to_capacity], axis=1)  # (S, 1+P, A)
    admitted = np.swapaxes(_allocate(places - kept.sum(axis=1), np.swapaxes(demand, 1, 2)), 1, 2)
    refused = demand - admitted

    new = stay + arrivals + entries
    new[:, cap, :] = kept + admitted.sum(axis=1)
    new[:, ovf, :] += displaced + refused.sum(axis=1)
    entries_by_p = entries.sum(axis=2)
    entries_by_p[:, cap] = admitted[:, 0].sum(axis=1)
    entries_by_p[:, ovf] += refused[:, 0].sum(axis=1)
    moves[:, :, cap] = admitted[:, 1:].sum(axis=2)
    moves[:, :, ovf] += refused[:, 1:].sum(axis=2)
    moves[:, cap, ovf] += displaced.sum(axis=1)
    moves[:, ovf, ovf] = 0.0
    return _age_one_month(
        new, entries_by_p, exits, moves, refused.sum(axis=(1, 2)), displaced.sum(axis=1)
    )


def step_sampled_reference(
    n: np.ndarray,
    into: np.ndarray,
    places: np.ndarray,
    batch: Batch,
    month: int,
    multiplier: float,
    run_key: np.uint64,
    first_path: int,
    out: dict[str, np.ndarray],
) -> None:
    """The sampled month on dense numpy arrays, with the compiled step's interface and keyed
    uniforms: the formulation :func:`placecast.engine.step.step_sampled` replaced, kept to check
    it gives the same numbers.

    The binomial number leaving each (path, placement, age month) cell is drawn by inversion from
    one uniform per cell. Leavers and entrants, a few percent of the children, are then handled
    as short lists and added back with ``np.add.at``.
    """
    space = batch.space
    S, P, A = n.shape
    cap = space.index(space.capacity_placement)
    ovf = space.index(space.overflow_placement)
    band = space.band_of_age_month
    R = batch.route.shape[-1] - P
    flat_n = n.reshape(-1).astype(np.int64)
    paths = first_path + np.arange(S)
    path_key = keyed(keyed(np.uint64(run_key), month), paths)  # (S,)

    # Step 1: who leaves, and where each leaver goes. One uniform per cell, whatever the counts.
    cell_key = keyed(path_key[:, None], np.arange(P * A)[None, :]).reshape(-1)
    u = unit(cell_key)
    p_leave = batch.p_leave.reshape(-1)
    occupied = np.flatnonzero(flat_n > 0)
    k, v = _binomial_by_inversion(flat_n[occupied], p_leave[occupied], u[occupied])
    first = k > 0
    leaving = occupied[first]
    extra = np.repeat(leaving, k[first] - 1)  # second and later leavers of a cell
    rank_in_cell = np.arange(extra.size) - np.repeat(
        np.cumsum(k[first] - 1) - (k[first] - 1), k[first] - 1
    )
    leaver_cell = np.concatenate([leaving, extra])
    v = np.concatenate([v[first], unit(keyed(cell_key[extra], rank_in_cell + 1))])
    s, p, a = np.unravel_index(leaver_cell, (S, P, A))
    dest = _categorical(batch.route_cum[s, band[a], p], v)
    moved = dest < P
    n_moved = int(moved.sum())

    # Step 2: entrants (path, age month, first placement): the count a Poisson quantile of the
    # path's entry slot, entrant j's three uniforms under the entrants' key.
    count = _poisson_by_inversion(
        _entry_intensity(batch, month, multiplier), unit(keyed(path_key, P * A))
    )
    es = np.repeat(np.arange(S), count)
    rank = np.arange(es.size) - np.repeat(np.cumsum(count) - count, count)
    entrant_key = keyed(path_key, P * A + 1)[es]
    u3 = unit(keyed(entrant_key[:, None], 3 * rank[:, None] + np.arange(3)[None, :]))
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
    new = np.array(n, dtype=np.int64, order="C")  # reshape(-1) below must be a view
    np.subtract.at(new.reshape(-1), leaver_cell, 1)
    kept, displaced = _keep_in_place(places.astype(np.int64), new[:, cap, :])
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
    month_end = _age_one_month(new, entries, exits, moves, redirected, displaced.sum(axis=1))
    into[...] = month_end.children
    results = (
        space.to_bands(month_end.children),
        month_end.entries,
        month_end.exits,
        month_end.moves,
        month_end.redirected,
        month_end.displaced,
    )
    for name, values in zip(RESULTS, results, strict=True):
        out[name][...] = values


def _poisson_by_inversion(mean: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Poisson quantiles of ``u``, every path at once, in the compiled step's arithmetic."""
    top = (mean + 8.0 * np.sqrt(mean) + 8.0).astype(np.int64)
    pmf = np.exp(-mean)
    cdf = pmf.copy()
    k = np.zeros(mean.shape, dtype=np.int64)
    walking = (mean > 0) & (k < top) & (u >= cdf)
    while walking.any():
        k += walking
        pmf = np.where(walking, pmf * mean / np.maximum(k, 1), pmf)
        cdf = np.where(walking, cdf + pmf, cdf)
        walking &= (k < top) & (u >= cdf)
    return k


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


def _categorical(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Category of each row of cumulative probabilities ``cum`` (n, K) at uniforms ``u`` (n,)."""
    return ((u * cum[:, -1])[:, None] >= cum[:, :-1]).sum(axis=1)


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
