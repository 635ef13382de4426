"""One month of the engine, for every path at once (steps 1-4 of :mod:`placecast.engine`).

The same step runs on random draws (:func:`step_sampled`, whole children) and on expected values
(:func:`step_expected`, the mean-field model).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class _MonthResult:
    children: np.ndarray  # (S, P, A) at month end, after ageing
    entries: np.ndarray  # (S, P)
    exits: np.ndarray  # (S, P, R + 1), last = aged_18
    moves: np.ndarray  # (S, P, P)
    redirected: np.ndarray  # (S,) needed an in-house place, went to overflow
    displaced: np.ndarray  # (S,) lost an in-house place when capacity fell


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

    Common random numbers: one uniform per (path, placement, age month) cell, drawn whatever the
    counts, decides how many of the cell's children leave (a Bernoulli comparison where the cell
    holds one child, the binomial CDF walked by inversion where it holds more) and routes the
    first leaver; later leavers of a cell take uniforms of their own, in cell order. Entrants
    come from each month's own stream (:func:`_poisson_with_uniforms`). The rest of the month
    runs compiled, path by path (:func:`placecast.engine.kernels.sampled_month`), drawing the
    extra leavers' uniforms from the same generator in the same order as the numpy step it
    replaced, so the numbers are that step's (kept as the tests' reference,
    ``tests/reference.py``).
    """
    from placecast.engine import kernels  # numba on first use: start-up stays fast

    space = batch.space
    S = n.shape[0]
    if n.shape != batch.p_leave.shape or places.shape != (S,):  # compiled: no bounds checks
        raise ValueError(f"children {n.shape} and places {places.shape} do not fit the batch")
    u = rng_moves.random(n.shape, dtype=np.float32)  # numpy's bulk fill: faster than per draw
    count, u_entrant = _poisson_with_uniforms(
        _entry_intensity(batch, month, multiplier), np.random.default_rng(entry_seeds[month - 1])
    )
    new, entries, exits, moves, redirected, displaced = kernels.sampled_month(
        n,
        u,
        rng_extra,
        batch.p_leave_f32,
        batch.route_cum,
        space.band_of_age_month.astype(np.intp),
        count,
        u_entrant,
        batch.age_share_cum,
        batch.placement_share_cum,
        space.band_start_months.astype(np.intp),
        space.band_width_months.astype(np.intp),
        places.astype(np.int64),
        space.index(space.capacity_placement),
        space.index(space.overflow_placement),
    )
    return _MonthResult(new, entries, exits, moves, redirected, displaced)


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
    from placecast.engine import kernels  # numba on first use: start-up stays fast

    new, entries, exits, moves, redirected, displaced = kernels.mean_field_month(
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
