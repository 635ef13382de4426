"""A per-child reference simulator: the model written the slow, obvious way.

Used only by tests (to check the vectorised engine's distribution) and benchmarks (to measure
the speed-up). It follows the same monthly order as :mod:`placecast.engine`: moves and exits,
entries, in-house capacity (stayers first, then arrivals youngest first, entrants before movers
of the same age, movers by placement order), ageing with exits at 18.
"""

from __future__ import annotations

import numpy as np

from placecast.engine.step import (
    Batch,
    _age_one_month,
    _allocate,
    _entry_intensity,
    _keep_in_place,
    _MonthResult,
)
from placecast.rates import Rates
from placecast.states import MONTHS_PER_YEAR, N_AGE_MONTHS
from placecast.stock import InitialStock


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
