"""The capacity-aware cohort engine, vectorised over (path, placement, age month).

One month of the model, for every simulated path at once:

1. **Moves and exits.** Each child in (placement p, age band b) stays, moves to placement q or
   leaves for exit reason r with the probabilities ``expm(Q_b / 12)`` of :mod:`placecast.rates`.
   The number leaving each cell is binomial; each leaver's destination is then drawn from the
   conditional probabilities. Together this is an exact multinomial draw per cell.
2. **Entries.** A Poisson number of children enter care, with an age band drawn from the entry
   age distribution, an age month uniform within the band, and an initial placement from the
   placement mix of that band.
3. **In-house capacity.** Children already in in-house placements keep them while places allow.
   Free places go to arrivals (entries and moves into in-house fostering) youngest first; a child
   who needs an in-house place when none is free goes to the overflow placement (IFA) at the same
   age. If capacity falls below the children already placed (carers deregister), the oldest are
   displaced to IFA. When places free up later, children already in IFA are *not* moved back
   (that would be a placement move made for cost alone); the freed places go to later arrivals.
4. **Ageing.** Every child ages one month; those reaching 18 leave care (``aged_18``).

Children are conserved exactly: ``children[t] = children[t-1] + entries[t] - exits[t]`` per path,
per month. The same step run on expected values instead of random draws gives the mean-field
(deterministic) cohort model, :func:`expected`.

Path ``i`` uses rate draw ``i % n_draws`` (posterior draws drive the engine one per path). Paths
run in fixed batches of ``batch_paths``, each with its own random streams spawned from the seed,
so results depend only on (inputs, seed, batch_paths) and not on the number of worker threads.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import gammaln

from placecast.errors import ConfigError
from placecast.rates import Rates
from placecast.states import MONTHS_PER_YEAR, N_AGE_MONTHS, StateSpace
from placecast.supply import CarerSupply, SupplyPaths, simulate_supply

__all__ = ["Drivers", "InitialStock", "expected", "simulate"]


# ------------------------------------------------------------------------------------------
# Inputs
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InitialStock:
    """Children in care at the start of the forecast, by placement and age in months.

    Parameters
    ----------
    space
        The state space.
    counts
        Array (placement, age month) of non-negative whole numbers.

    Examples
    --------
    >>> from placecast.states import StateSpace
    >>> s = StateSpace()
    >>> stock = InitialStock.from_band_table(s, {"ifa": {"10_15": 12}})
    >>> int(stock.counts.sum()), stock.by_band().loc["ifa", "10_15"]
    (12, np.int64(12))
    """

    space: StateSpace
    counts: np.ndarray

    def __post_init__(self) -> None:
        counts = np.asarray(self.counts)
        shape = (self.space.n_placements, N_AGE_MONTHS)
        if counts.shape != shape:
            raise ConfigError(f"InitialStock.counts must have shape {shape}, got {counts.shape}")
        if (counts < 0).any() or not np.all(np.floor(counts) == counts):
            raise ConfigError("InitialStock.counts must be whole numbers >= 0")
        bad = (counts > 0) & ~self.space.allowed
        if bad.any():
            p, a = np.argwhere(bad)[0]
            raise ConfigError(
                f"InitialStock: {int(counts[p, a])} children in "
                f"{self.space.placement_names[p]!r} at age {a // 12}y{a % 12}m, below that "
                f"placement's minimum age of {self.space.placements[p].min_age_years}"
            )
        object.__setattr__(self, "counts", counts.astype(np.int64))

    @classmethod
    def from_band_table(
        cls, space: StateSpace, table: Any, *, age_profile: Any = None
    ) -> InitialStock:
        """Spread counts by (placement, age band) over the age months of each band.

        ``table`` is a DataFrame (index placement, columns age bands) or a nested mapping
        ``{placement: {age_band: count}}``; missing entries are zero. By default children are
        spread over the months of a band as evenly as whole numbers allow (evenly spaced ages).
        ``age_profile`` (placement, age month), e.g. :meth:`Rates.steady_state_stock`, instead
        spreads each placement's count in a band in proportion to the profile's months of that
        band (evenly where the profile has none there). It matters most at 16-17: under the
        default rates, children in semi-independent accommodation are mostly 17, and spread
        evenly too few of them turn 18 in the first year, so the first year's stock is too high.
        """
        frame = pd.DataFrame(table).T if isinstance(table, dict) else pd.DataFrame(table)
        frame = frame.fillna(0)
        for name in frame.index:
            space.index(str(name))
        unknown = set(map(str, frame.columns)) - set(space.age_band_labels)
        if unknown:
            raise ConfigError(
                f"InitialStock: unknown age bands {sorted(unknown)}; use {space.age_band_labels}"
            )
        full = frame.reindex(
            index=list(space.placement_names), columns=list(space.age_band_labels), fill_value=0
        ).to_numpy(dtype=float)
        if (full < 0).any() or not np.all(np.floor(full) == full):
            raise ConfigError(
                "InitialStock: counts by placement and age band must be whole numbers >= 0"
            )
        profile = np.ones((space.n_placements, N_AGE_MONTHS))
        if age_profile is not None:
            if isinstance(age_profile, xr.DataArray) and set(age_profile.dims) == {
                "placement",
                "age_month",
            }:
                age_profile = age_profile.transpose("placement", "age_month")
            profile = np.asarray(age_profile, dtype=float)
            shape = (space.n_placements, N_AGE_MONTHS)
            if profile.shape != shape or not np.isfinite(profile).all() or (profile < 0).any():
                raise ConfigError(
                    f"InitialStock: age_profile must be finite, >= 0 and of shape {shape} "
                    f"(placement, age month), got shape {profile.shape}"
                )
        counts = np.zeros((space.n_placements, N_AGE_MONTHS), dtype=np.int64)
        for b, (start, width) in enumerate(
            zip(space.band_start_months, space.band_width_months, strict=True)
        ):
            weight = profile[:, start : start + width].copy()
            empty = weight.sum(axis=1) <= 0
            weight[empty] = 1.0  # nothing in the profile here: evenly
            # Whole children by cumulative share: with even weights child i of c sits at
            # (i + 0.5) / c of the band (filling the youngest months first would make a small
            # council's residential 16-17s all 16, and none would turn 18 in the first year).
            share = np.concatenate([np.zeros((weight.shape[0], 1)), weight.cumsum(axis=1)], axis=1)
            share /= share[:, -1:]
            cum = np.floor(full[:, b, None] * share + 0.5)
            counts[:, start : start + width] = np.diff(cum, axis=1).astype(np.int64)
        return cls(space, counts)

    def by_band(self) -> pd.DataFrame:
        """Counts by placement (rows) and age band (columns)."""
        return pd.DataFrame(
            self.space.to_bands(self.counts),
            index=pd.Index(self.space.placement_names, name="placement"),
            columns=pd.Index(self.space.age_band_labels, name="age_band"),
        )

    @property
    def total(self) -> int:
        return int(self.counts.sum())


@dataclass(frozen=True)
class Drivers:
    """Month-by-month drivers of a run (what scenarios change), each of length ``months``.

    Parameters
    ----------
    entry_multiplier
        Multiplier on the entry intensity each month (1 = as the rates say).
    approvals_per_year
        Carer households approved per year, by month.
    deregistration_rate_per_year
        Carer deregistration rate per year, by month.
    places_per_household
        Approved places per household, by month.
    lever_rates
        Rates that replace the council's rates from ``lever_from_month`` on (scenarios that
        change moves or placement choices); ``None`` keeps the council's rates throughout.
    lever_from_month
        First month (1 = the month after the stock date) ``lever_rates`` apply to.
    """

    entry_multiplier: np.ndarray
    approvals_per_year: np.ndarray
    deregistration_rate_per_year: np.ndarray
    places_per_household: np.ndarray
    lever_rates: Rates | None = None
    lever_from_month: int = 1
    months: int = field(init=False)

    def __post_init__(self) -> None:
        arrays = {
            name: np.asarray(getattr(self, name), dtype=float)
            for name in (
                "entry_multiplier",
                "approvals_per_year",
                "deregistration_rate_per_year",
                "places_per_household",
            )
        }
        lengths = {a.shape for a in arrays.values()}
        if len(lengths) != 1 or len(next(iter(lengths))) != 1:
            raise ConfigError(
                f"Drivers: every driver must be 1-D of the same length, got {lengths}"
            )
        for name, a in arrays.items():
            if not np.all(np.isfinite(a)) or (a < 0).any():
                raise ConfigError(f"Drivers.{name} must be finite and >= 0")
            object.__setattr__(self, name, a)
        object.__setattr__(self, "months", len(arrays["entry_multiplier"]))
        if not 1 <= self.lever_from_month <= self.months:
            raise ConfigError(
                f"Drivers.lever_from_month={self.lever_from_month} is outside months "
                f"1..{self.months}"
            )

    @classmethod
    def constant(cls, supply: CarerSupply, months: int) -> Drivers:
        """Drivers that hold the supply's rates and the entry intensity constant."""
        if months < 1:
            raise ConfigError(f"months must be >= 1, got {months}")
        ones = np.ones(months)
        return cls(
            entry_multiplier=ones,
            approvals_per_year=ones * supply.approvals_per_year,
            deregistration_rate_per_year=ones * supply.deregistration_rate_per_year,
            places_per_household=ones * supply.places_per_household,
        )


# ------------------------------------------------------------------------------------------
# The monthly step, shared by the stochastic engine and the mean-field model
# ------------------------------------------------------------------------------------------
@dataclass
class _Batch:
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
    def gather(cls, rates: Rates, probs: np.ndarray, draw: np.ndarray) -> _Batch:
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
    before = np.cumsum(flat, axis=1) - flat
    return np.clip(free[:, None] - before, 0, flat).reshape(demand.shape)


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


def _entry_intensity(batch: _Batch, month: int, multiplier: float) -> np.ndarray:
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


def _step_sampled(
    n: np.ndarray,
    places: np.ndarray,
    batch: _Batch,
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


def _step_expected(
    n: np.ndarray, places: np.ndarray, batch: _Batch, month: int, multiplier: float
) -> _MonthResult:
    """One month of the mean-field model: :func:`_step_sampled` on expected values."""
    space = batch.space
    P = space.n_placements
    cap = space.index(space.capacity_placement)
    ovf = space.index(space.overflow_placement)
    band = space.band_of_age_month

    leaving = n * batch.p_leave
    routed = leaving[..., None] * np.swapaxes(batch.route, 1, 2)[:, :, band, :]  # (S,P,A,K)
    stay = n - leaving
    arrivals = np.moveaxis(routed[..., :P].sum(axis=1), 2, 1)  # (S, to, A)
    moves = routed[..., :P].sum(axis=2)
    exits = routed[..., P:].sum(axis=2)

    per_age = (batch.age_share / space.band_width_months)[:, band]  # (S, A)
    mix = np.swapaxes(batch.placement_share[:, band, :], 1, 2)  # (S, P, A)
    entries = _entry_intensity(batch, month, multiplier)[:, None, None] * per_age[:, None, :] * mix

    kept, displaced = _keep_in_place(places, stay[:, cap, :])
    demand = np.concatenate([entries[:, cap, None, :], routed[..., cap]], axis=1)  # (S, 1+P, A)
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


def _run_batch(
    initial: InitialStock,
    regimes: list[list[tuple[Rates, np.ndarray]]],
    places: np.ndarray,
    drivers: Drivers,
    draw: np.ndarray,
    seed: np.random.SeedSequence | None,
) -> dict[str, np.ndarray]:
    """Simulate children for a batch of paths (the mean-field model when ``seed`` is None).

    ``regimes`` holds (rates, monthly probabilities) by forecast year for the council's rates
    and, if the drivers have lever rates, for those (used from ``drivers.lever_from_month``).
    ``places`` holds the usable in-house places of each path, shape (S, T + 1).
    """
    space = regimes[0][0][0].space
    batches = [[_Batch.gather(rates, probs, draw) for rates, probs in years] for years in regimes]
    S, P, B, T = draw.size, space.n_placements, space.n_bands, drivers.months
    count = np.int32 if seed is not None else float
    out = {
        "children": np.zeros((S, T + 1, P, B), dtype=count),
        "entries": np.zeros((S, T + 1, P), dtype=count),
        "exits": np.zeros((S, T + 1, P, len(space.all_exit_reasons)), dtype=count),
        "moves": np.zeros((S, T + 1, P, P), dtype=count),
        "redirected_to_overflow": np.zeros((S, T + 1), dtype=count),
        "displaced_to_overflow": np.zeros((S, T + 1), dtype=count),
    }
    # int32 counts halve the memory traffic of the monthly copies (2^31 children per cell).
    n = np.broadcast_to(initial.counts, (S, P, N_AGE_MONTHS)).astype(
        np.int32 if seed is not None else float
    )
    out["children"][:, 0] = space.to_bands(n)
    # Three streams: one uniform per cell (fixed consumption, the common random numbers), the
    # rare extra leavers of a cell, and entries. Keeping them apart stops a difference in one
    # from shifting the others.
    if seed is not None:
        moves_seed, extra_seed, entries_seed = seed.spawn(3)
        # Entries get a stream per month, so a month with more entrants leaves later months alone.
        rngs = (
            np.random.default_rng(moves_seed),
            np.random.default_rng(extra_seed),
            entries_seed.spawn(T),
        )
    else:
        rngs = None
    for t in range(1, T + 1):
        multiplier = float(drivers.entry_multiplier[t - 1])
        by_year = batches[-1] if t >= drivers.lever_from_month else batches[0]
        batch = by_year[min((t - 1) // MONTHS_PER_YEAR, len(by_year) - 1)]
        if rngs is not None:
            res = _step_sampled(n, places[:, t], batch, t, multiplier, *rngs)
        else:
            res = _step_expected(n, places[:, t], batch, t, multiplier)
        n = res.children
        out["children"][:, t] = space.to_bands(n)
        out["entries"][:, t] = res.entries
        out["exits"][:, t] = res.exits
        out["moves"][:, t] = res.moves
        out["redirected_to_overflow"][:, t] = res.redirected
        out["displaced_to_overflow"][:, t] = res.displaced
    return out


def _supply_vars(supply: SupplyPaths) -> dict[str, np.ndarray]:
    return {
        "carer_households": supply.households,
        "carer_approvals": supply.approvals,
        "carer_deregistrations": supply.deregistrations,
        "in_house_places": supply.places,
    }


# ------------------------------------------------------------------------------------------
# Public API
# ------------------------------------------------------------------------------------------
def month_end_dates(start: str | pd.Period, months: int) -> pd.DatetimeIndex:
    """Month-end dates from the stock date ``start`` (month 0) to ``months`` months later."""
    try:
        period = pd.Period(start, freq="M")
    except (ValueError, TypeError) as err:
        raise ConfigError(f"start={start!r} is not a month (use e.g. '2020-03')") from err
    return pd.period_range(period, periods=months + 1, freq="M").to_timestamp(how="end").normalize()


def financial_year_of(dates: pd.DatetimeIndex) -> np.ndarray:
    """Financial year (April-March) labelled by its starting calendar year: 2020 = 2020/21."""
    return np.where(dates.month >= 4, dates.year, dates.year - 1)


def _to_dataset(
    out: dict[str, np.ndarray],
    space: StateSpace,
    draw: np.ndarray,
    start: str | pd.Period,
    attrs: dict[str, Any],
) -> xr.Dataset:
    T = out["children"].shape[1] - 1
    dates = month_end_dates(start, T)
    dims = {
        "children": ("path", "month", "placement", "age_band"),
        "entries": ("path", "month", "placement"),
        "exits": ("path", "month", "placement", "exit_reason"),
        "moves": ("path", "month", "from_placement", "to_placement"),
    }
    data_vars = {name: (dims.get(name, ("path", "month")), values) for name, values in out.items()}
    ds = xr.Dataset(
        data_vars,
        coords={
            "path": np.arange(draw.size),
            "month": np.arange(T + 1),
            "placement": list(space.placement_names),
            "from_placement": list(space.placement_names),
            "to_placement": list(space.placement_names),
            "age_band": list(space.age_band_labels),
            "exit_reason": list(space.all_exit_reasons),
            "date": ("month", dates),
            "financial_year": ("month", financial_year_of(dates)),
            "draw": ("path", draw),
        },
        attrs=attrs,
    )
    ds["children"].attrs["description"] = (
        "children in care at the end of the month (month 0 = start)"
    )
    ds["entries"].attrs["description"] = (
        "children entering care during the month, by first placement"
    )
    ds["exits"].attrs["description"] = "children leaving care during the month, by last placement"
    ds["moves"].attrs["description"] = "moves between placement categories during the month"
    ds["redirected_to_overflow"].attrs["description"] = (
        f"children who needed a {space.capacity_placement} place but went to "
        f"{space.overflow_placement} because none was free"
    )
    ds["displaced_to_overflow"].attrs["description"] = (
        f"children moved from {space.capacity_placement} to {space.overflow_placement} because "
        "capacity fell below the children placed"
    )
    return ds


def _regimes(rates: Rates, drivers: Drivers) -> list[list[tuple[Rates, np.ndarray]]]:
    """The council's rates and any lever rates, each with its monthly probabilities by forecast
    year (one year when no rate changes from year to year)."""
    sets = [rates] if drivers.lever_rates is None else [rates, drivers.lever_rates]
    for other in sets[1:]:
        if other.space != rates.space or other.n_draws != rates.n_draws:
            raise ConfigError(
                "Drivers.lever_rates must share the state space and draws of the rates"
            )
    years = -(-drivers.months // MONTHS_PER_YEAR)
    out = []
    for r in sets:
        by_year = [r.in_year(k) for k in range(years if r.changes_by_year else 1)]
        out.append([(y, y.monthly_probabilities()) for y in by_year])
    return out


def _check_inputs(initial: InitialStock, rates: Rates) -> None:
    if initial.space != rates.space:
        raise ConfigError("InitialStock and Rates were built on different state spaces")


def simulate(
    initial: InitialStock,
    rates: Rates,
    supply: CarerSupply,
    *,
    months: int = 60,
    paths: int = 1000,
    seed: int | np.random.SeedSequence = 0,
    start: str | pd.Period = "2020-03",
    drivers: Drivers | None = None,
    batch_paths: int = 500,
    workers: int | None = None,
) -> xr.Dataset:
    """Simulate children in care, month by month, on many paths.

    Parameters
    ----------
    initial
        Children in care at the start (the stock date is ``start``).
    rates
        Entry, move and exit rates; path ``i`` uses rate draw ``i % rates.n_draws``.
    supply
        Mainstream in-house foster-carer supply (capacity).
    months
        Forecast horizon in months.
    paths
        Number of simulated paths.
    seed
        Seed for all random numbers; the same seed gives the same result.
    start
        Month of the starting stock, e.g. ``"2020-03"`` for 31 March 2020.
    drivers
        Month-by-month drivers (scenarios); default holds everything constant.
    batch_paths
        Paths simulated together in one vectorised batch (affects memory, and which random
        numbers each path gets).
    workers
        Threads running batches in parallel (default: number of CPUs, at most 4).

    Returns
    -------
    xarray.Dataset
        Dimensions ``path``, ``month`` (0 = start), ``placement``, ``age_band``, ``exit_reason``,
        ``from_placement``, ``to_placement``; variables ``children``, ``entries``, ``exits``,
        ``moves``, ``redirected_to_overflow``, ``displaced_to_overflow``, ``carer_households``,
        ``carer_approvals``, ``carer_deregistrations``, ``in_house_places``. Coordinates ``date``
        (month end) and ``financial_year`` along ``month``; ``draw`` along ``path``.

    Examples
    --------
    >>> import placecast as pc
    >>> inputs = pc.hackney_2020()
    >>> ds = simulate(inputs.initial, inputs.rates, inputs.supply, months=12, paths=20, seed=1)
    >>> int(ds["children"].isel(month=0).sum(("placement", "age_band"))[0])
    432
    """
    drivers = Drivers.constant(supply, months) if drivers is None else drivers
    if drivers.months != months:
        raise ConfigError(f"drivers cover {drivers.months} months but months={months}")
    if paths < 1 or batch_paths < 1:
        raise ConfigError(f"paths and batch_paths must be >= 1, got {paths}, {batch_paths}")
    _check_inputs(initial, rates)
    month_end_dates(start, months)  # validates ``start`` before any work
    draw = np.arange(paths) % rates.n_draws
    batches = [draw[i : i + batch_paths] for i in range(0, paths, batch_paths)]
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    supply_seed, children_seed = root.spawn(2)
    seeds = children_seed.spawn(len(batches))
    carers = simulate_supply(
        supply,
        approvals_per_year=drivers.approvals_per_year,
        deregistration_rate_per_year=drivers.deregistration_rate_per_year,
        places_per_household=drivers.places_per_household,
        paths=paths,
        rng=np.random.default_rng(supply_seed),
    )
    workers = workers or min(4, os.cpu_count() or 1)
    regimes = _regimes(rates, drivers)  # transition probabilities once for all batches

    def run(i: int) -> dict[str, np.ndarray]:
        rows = slice(i * batch_paths, i * batch_paths + batches[i].size)
        return _run_batch(initial, regimes, carers.places[rows], drivers, batches[i], seeds[i])

    # numpy releases the GIL in its array kernels, so threads give real parallelism here.
    if workers > 1 and len(batches) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(run, range(len(batches))))
    else:
        parts = [run(i) for i in range(len(batches))]
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    out.update(_supply_vars(carers))
    attrs = {
        "seed": str(root.entropy),
        "batch_paths": batch_paths,
        "model": "stochastic",
        "start": str(pd.Period(start, freq="M")),
    }
    return _to_dataset(out, rates.space, draw, start, attrs)


def expected(
    initial: InitialStock,
    rates: Rates,
    supply: CarerSupply,
    *,
    months: int = 60,
    start: str | pd.Period = "2020-03",
    drivers: Drivers | None = None,
    draws: Sequence[int] | None = None,
) -> xr.Dataset:
    """The mean-field cohort model: the engine's step applied to expected values.

    Same output layout as :func:`simulate`, with one "path" per rate draw and fractional counts.
    Flows and stocks are expectations conditional on the capacity rule being applied to expected
    numbers (capacity makes the true expectation slightly different; see the methodology page).
    """
    drivers = Drivers.constant(supply, months) if drivers is None else drivers
    if drivers.months != months:
        raise ConfigError(f"drivers cover {drivers.months} months but months={months}")
    _check_inputs(initial, rates)
    month_end_dates(start, months)
    draw = np.arange(rates.n_draws) if draws is None else np.asarray(draws)
    carers = simulate_supply(
        supply,
        approvals_per_year=drivers.approvals_per_year,
        deregistration_rate_per_year=drivers.deregistration_rate_per_year,
        places_per_household=drivers.places_per_household,
        paths=draw.size,
        rng=None,
    )
    out = _run_batch(initial, _regimes(rates, drivers), carers.places, drivers, draw, None)
    out.update(_supply_vars(carers))
    attrs = {"model": "mean_field", "start": str(pd.Period(start, freq="M"))}
    return _to_dataset(out, rates.space, draw, start, attrs)
