"""One month of the engine, for every path at once (steps 1-4 of :mod:`placecast.engine`).

The same step runs on random draws (:func:`step_sampled`, whole children) and on expected values
(:func:`step_expected`, the mean-field model).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from placecast.rates import Rates
from placecast.states import MONTHS_PER_YEAR, N_AGE_MONTHS, StateSpace


@dataclass
class Batch:
    """Per-batch constants: rates gathered to the paths of the batch."""

    space: StateSpace
    draw: np.ndarray  # (S,) rate draw of each path
    leave: np.ndarray  # (S, B, P) probability of leaving the placement this month, by age band
    route: np.ndarray  # (S, B, P, K) destination probabilities given leaving (K = P + R)
    entries_per_month: np.ndarray  # (S,) entry intensity at month 1
    entry_growth: np.ndarray  # (S,) yearly growth of the entry intensity
    age_share: np.ndarray  # (S, B)
    placement_share: np.ndarray  # (S, B, P)
    # For sampling: cumulative distributions for inversion.
    route_cum: np.ndarray = field(init=False)
    age_share_cum: np.ndarray = field(init=False)
    placement_share_cum: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.route_cum = np.cumsum(self.route, axis=-1)
        self.age_share_cum = np.cumsum(self.age_share, axis=-1)
        self.placement_share_cum = np.cumsum(self.placement_share, axis=-1)

    @property
    def p_leave(self) -> np.ndarray:
        """(S, P, A) the probability of leaving by age month (the band's, spread over its
        months; the compiled steps read :attr:`leave`, 36 times smaller)."""
        band = self.space.band_of_age_month
        return np.ascontiguousarray(np.swapaxes(self.leave[:, band, :], 1, 2))

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
        ds = rates.data
        return cls(
            space=space,
            draw=draw,
            leave=np.ascontiguousarray(leave[draw]),
            route=route[draw],
            entries_per_month=ds["entries_per_year"].values[draw] / MONTHS_PER_YEAR,
            entry_growth=ds["entry_growth_per_year"].values[draw],
            age_share=ds["entry_age_band_share"].values[draw],
            placement_share=ds["entry_placement_share"].values[draw],
        )


# The run's results, by (month, path, ...) while running: a step writes its month's for the
# batch's paths, contiguous (the dataset shows them as (path, month, ...)).
RESULTS = (
    "children",  # (path, month, placement, age band) at month end
    "entries",  # (path, month, placement)
    "exits",  # (path, month, placement, exit reason), last = aged_18
    "moves",  # (path, month, from, to)
    "redirected_to_overflow",  # (path, month) needed an in-house place, went to overflow
    "displaced_to_overflow",  # (path, month) lost an in-house place when capacity fell
)


def result_shapes(space: StateSpace) -> dict[str, tuple[int, ...]]:
    """Each of :data:`RESULTS`' shape for one path and month."""
    P = space.n_placements
    return {
        "children": (P, space.n_bands),
        "entries": (P,),
        "exits": (P, len(space.all_exit_reasons)),
        "moves": (P, P),
        "redirected_to_overflow": (),
        "displaced_to_overflow": (),
    }


def _check_shapes(
    n: np.ndarray, into: np.ndarray, places: np.ndarray, batch: Batch, out: dict[str, np.ndarray]
) -> None:
    """The compiled steps check no bounds: the arrays must fit the batch before they run."""
    S = batch.leave.shape[0]
    shapes = result_shapes(batch.space)
    fits = (
        n.shape == into.shape == (S, batch.space.n_placements, N_AGE_MONTHS)
        and places.shape == (S,)
        and all(out[k].shape == (S, *shapes[k]) and out[k].flags.c_contiguous for k in RESULTS)
    )
    if not fits:
        raise ValueError(f"children {n.shape} and places {places.shape} do not fit the batch")


def _entry_intensity(batch: Batch, month: int, multiplier: float) -> np.ndarray:
    """Expected entries this month, per path."""
    growth = (1.0 + batch.entry_growth) ** ((month - 1) / MONTHS_PER_YEAR)
    return batch.entries_per_month * growth * multiplier


def step_sampled(
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
    """One month on whole children with random draws (steps 1-4 of the module docstring).

    ``n`` holds the children by (path, placement, age month) at the start of the month; those
    at its end are written into ``into`` (same shape), and the month's results into ``out``:
    for each name in :data:`RESULTS`, the batch's paths' (path, ...) array for this month,
    contiguous and zero before.

    Common random numbers: one uniform per (path, placement, age month) cell decides how many of
    the cell's children leave (the binomial CDF walked by inversion; nobody, without arithmetic,
    in most cells) and routes the first leaver; later leavers of a cell take uniforms of their
    own. Entrants: a Poisson quantile of one uniform per path, then three uniforms for entrant
    ``j``. Every uniform is keyed by (``run_key``, month, path ``first_path + s``, cell,
    leaver), not drawn from a stream (:mod:`placecast.engine.kernels`), so the same slot has the
    same number in every scenario on the seed, and in every batch size. Compiled, path by path
    (:func:`placecast.engine.kernels.sampled_month`); the numpy formulation it replaced is kept
    in the tests (``tests/reference.py``), which give the same numbers from the same keys.
    """
    from placecast.engine import kernels  # numba on first use: start-up stays fast

    space = batch.space
    _check_shapes(n, into, places, batch, out)
    kernels.sampled_month(
        n,
        into,
        *(out[name] for name in RESULTS),
        np.uint64(run_key),
        month,
        first_path,
        batch.leave,
        batch.route_cum.reshape(-1, batch.route_cum.shape[-1]),
        space.band_of_age_month.astype(np.intp),
        _entry_intensity(batch, month, multiplier),
        batch.age_share_cum,
        batch.placement_share_cum.reshape(-1, space.n_placements),
        space.band_start_months.astype(np.intp),
        space.band_width_months.astype(np.intp),
        places.astype(np.int64),
        space.index(space.capacity_placement),
        space.index(space.overflow_placement),
    )


def step_expected(
    n: np.ndarray,
    into: np.ndarray,
    places: np.ndarray,
    batch: Batch,
    month: int,
    multiplier: float,
    out: dict[str, np.ndarray],
) -> None:
    """One month of the mean-field model: :func:`step_sampled` on expected values, with the
    same interface (``n``, ``into`` and ``out`` of floats).

    Compiled with numba, path by path: the month's work for one path (leavers routed, entrants
    spread over ages and placements, the in-house queue, ageing) fits in cache, where the same
    step on dense (path, placement, age month) numpy arrays made about ten passes over memory
    and took longer than the stochastic engine (issue 26). The numpy formulation it replaces is
    kept as the reference in the tests (``tests/reference.py``), which agree to 1e-12.
    """
    space = batch.space
    _check_shapes(n, into, places, batch, out)
    from placecast.engine import kernels  # numba on first use: start-up stays fast

    kernels.mean_field_month(
        n,
        into,
        *(out[name] for name in RESULTS),
        np.ascontiguousarray(places, dtype=float),
        batch.leave,
        np.ascontiguousarray(batch.route),
        _entry_intensity(batch, month, multiplier),
        batch.age_share,
        np.ascontiguousarray(batch.placement_share),
        space.band_start_months.astype(np.intp),
        space.band_width_months.astype(np.intp),
        space.index(space.capacity_placement),
        space.index(space.overflow_placement),
    )
