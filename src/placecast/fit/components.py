"""The PyMC graph of the published-statistics fit, one function per component.

:func:`build_model` calls, in this order (the order in which PyMC meets the free variables, which
the sampler's start depends on): the entry level (:data:`ENTRY_LEVELS`, by ``entry_model``),
the age mix, exit multipliers and tilts, the pull of residential / semi-independent placements
(:data:`PULLS`, by ``placement_model``), the noise, the rates of the first year of flows, the exit
level (:data:`EXIT_LEVELS`, by ``exit_model``), the cohort dynamics (a PyTensor ``scan`` over
years) and the likelihood. A new model variant is a new function in one of the three mappings.
See :mod:`placecast.fit.aggregate` for the model in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt

from placecast.data.dfe import CEASE_AGE_BANDS, PLACEMENT_GROUPS, PublishedCounts
from placecast.errors import ConfigError, InputError
from placecast.fit.priors import AggregatePriors, structure_arrays
from placecast.fit.settings import CENTERED_FROM_STARTS, AggregateSettings
from placecast.fit.starting_stock import published_initial_stock
from placecast.states import MONTHS_PER_YEAR, StateSpace

__all__ = [
    "COUNT_NOISES",
    "ENTRY_LEVELS",
    "EXIT_LEVELS",
    "PULLS",
    "STANDARDISED",
    "build_model",
    "fit_window",
    "national_changes",
    "uses_centered_shocks",
]

_TAYLOR_TERMS = 8
#: A month's exp(a) is taken as exp(a / 2**n) ** (2**n): the Taylor series alone is accurate
#: only while the rates are small (a quarter's series missed scipy's by 0.02 at 8 leavings a
#: year and by 59 at 20), and a sampler that reaches such rates - a small council's poorly
#: pinned ones - then sees wrong probabilities and diverges. With a month scaled by 8, a
#: quarter's probabilities (the month's cubed) are within 1e-11 of scipy's up to 120 a year.
_SQUARINGS = 3


@dataclass(frozen=True)
class _Frame:
    """What every component needs: priors, structure, the window and the time grid."""

    pr: AggregatePriors
    space: StateSpace
    st: dict[str, np.ndarray]
    obs: dict[str, np.ndarray]
    n_years: int
    run_years: int  # one more than n_years with a stock-growth prior
    pooled: bool
    centered: bool  # random-walk shocks as shocks, not standardised (see AggregateSettings)
    step: int
    per_year: int
    entry_timing: str  # "monthly" or "end_of_step" (see AggregateSettings)
    band: np.ndarray  # band of each age step
    width: np.ndarray  # band widths in steps
    # England's change beyond its trend in each year (national_years="england"), else None:
    # exits by shock year (years[2:]), entries by later year (years[1:]).
    national: dict[str, Any] | None = None


def fit_window(counts: PublishedCounts) -> tuple[int, int]:
    """First year with a usable starting stock (a total above 0 and most age bands), and the
    last year with a total; a council with no children in care, or none at that last year,
    is refused."""
    has_total = ~np.isnan(counts.children_in_care)
    with_children = has_total & (np.nan_to_num(counts.children_in_care) > 0)
    if not with_children.any():
        # The Isles of Scilly: 0 at every 31 March 2015-2019, suppressed since.
        published = counts.years[has_total]
        years = f" ({published.min()}-{published.max()})" if published.size else ""
        raise InputError(
            f"{counts.council}: DfE published no child in care at any 31 March{years}, 0 or "
            "suppressed, so there are no rates to fit and no stock to forecast; fit the "
            "council from its own SSDA903 returns instead (placecast fit --episodes ... "
            "--header ...)"
        )
    last = int(counts.years[np.flatnonzero(has_total)[-1]])
    if not with_children[counts.years == last].all():
        raise InputError(
            f"{counts.council}: DfE published 0 children in care at 31 March {last}, so there "
            "is no stock to forecast from; fit to an earlier year with --last-year"
        )
    has_breakdown = (~np.isnan(counts.stock_by_age_band)).sum(axis=1) >= 3
    # A stock of 0 has no age mix to start from.
    start = np.flatnonzero(with_children & has_breakdown)
    if start.size == 0:
        raise InputError(
            f"{counts.council}: no year with children in care by age band to start from"
        )
    first = int(counts.years[start[0]])
    if last <= first:
        # Councils formed in 2019-2021 (North and West Northamptonshire: 2022 only).
        raise InputError(
            f"{counts.council}: the fit starts from the children in care by age band at 31 "
            f"March {first} and needs the totals of at least one later year, but these tables "
            f"end there for it ({last}); add a later DfE release with --data (or give a later "
            "--last-year), or fit the council's own SSDA903 returns (placecast fit --episodes "
            "... --header ...)"
        )
    return first, last


def build_model(
    counts: PublishedCounts, priors: AggregatePriors, settings: AggregateSettings
) -> pm.Model:
    """The PyMC model of ``counts`` (not yet sampled)."""
    space = priors.structure.space
    _check_space(space)
    first, last = fit_window(counts)
    step = settings.step_months
    sel = (counts.years >= first) & (counts.years <= last)
    years = counts.years[sel]
    ages_on_ceasing = counts.ceases_by_age_band
    assert ages_on_ceasing is not None  # set by PublishedCounts
    obs = {
        "total": counts.children_in_care[sel],
        "bands": counts.stock_by_age_band[sel],
        "groups": counts.stock_by_group[sel],
        "starts": counts.starts[sel],
        "starts_bands": counts.starts_by_age_band[sel],
        "ceases": counts.ceases[sel],
        # Ages on ceasing (18 and over: the 18th birthdays); all NaN leaves them out.
        "ceases_bands": ages_on_ceasing[sel]
        if settings.ceases_by_age == "observed"
        else np.full((int(sel.sum()), len(CEASE_AGE_BANDS)), np.nan),
    }
    if years[~np.isnan(obs["starts"])].size == 0:
        raise InputError(f"{counts.council}: no published starts between {first} and {last}")
    # With a prior on the forecast year's stock growth, the model runs one year past the data:
    # the entry and exit levels the forecast starts from may be adjusted (by up to about a
    # year's shock) and are sampled with the fit, and the prior on the stock change their flows
    # imply pools a council's expected growth towards England's.
    pooled = priors.stock_growth_sd is not None
    centered = settings.random_walks == "centered" or (
        settings.random_walks == "auto" and _typical_starts(obs["starts"]) >= CENTERED_FROM_STARTS
    )
    frame = _Frame(
        pr=priors,
        space=space,
        st=structure_arrays(priors),
        obs=obs,
        n_years=last - first,
        run_years=last - first + int(pooled),
        pooled=pooled,
        centered=centered,
        step=step,
        per_year=MONTHS_PER_YEAR // step,
        entry_timing=settings.entry_timing,
        band=space.band_of_age_month[::step],
        width=space.band_width_months.astype(float) / step,
    )
    if settings.national_years == "england":  # random walks both (AggregateSettings checks)
        frame = replace(frame, national=national_changes(priors, years))
    x0 = published_initial_stock(counts, first, priors).counts.T  # (age months, P)
    x0 = x0.reshape(-1, step, space.n_placements).sum(axis=1).astype(float)  # (ages, P)
    with pm.Model(coords=_coords(space, years)) as model:
        entry = ENTRY_LEVELS[settings.entry_model](frame)
        mix = _mix_priors(frame)
        pull = PULLS[settings.placement_model](frame)
        noise = COUNT_NOISES[settings.count_noise](frame)
        first_rates = _first_year_rates(frame, mix)
        exit_level = EXIT_LEVELS[settings.exit_model](frame)
        expected = _dynamics(frame, x0, entry, mix, pull, first_rates, exit_level, noise)
        _likelihood(frame, expected, mix, noise)
    return model


def _typical_starts(starts: np.ndarray) -> float:
    """Mean published starts a year (0 when none is published)."""
    published = starts[~np.isnan(starts)]
    return float(published.mean()) if published.size else 0.0


def uses_centered_shocks(counts: PublishedCounts, settings: AggregateSettings) -> bool:
    """Whether the fit of ``counts`` centres the random walks' shocks (``random_walks``)."""
    if settings.random_walks != "auto":
        return settings.random_walks == "centered"
    first, last = fit_window(counts)
    sel = (counts.years >= first) & (counts.years <= last)
    return _typical_starts(counts.starts[sel]) >= CENTERED_FROM_STARTS


def national_changes(priors: AggregatePriors, years: np.ndarray) -> dict[str, Any]:
    """England's changes beyond its trend that a ``national_years="england"`` fit of
    ``years`` (31 March years, first to last) adds to its random walks: ``"exit"`` for each
    exit shock year (``years[2:]``), ``"entry"`` for each later year (``years[1:]``); see
    :meth:`~placecast.fit.priors.AggregatePriors.national_change`."""
    return {
        "exit": priors.national_change("exit", years[2:]),
        "entry": priors.national_change("entry", years[1:]),
    }


def _shocks(f: _Frame, name: str, mean: Any, sd: Any, dims: str) -> Any:
    """Yearly shocks of a random walk, Normal(``mean``, ``sd``): sampled as the shocks
    (centred) or as standardised shocks ``name`` times ``sd`` (non-centred). Either way the
    standardised shocks are in the posterior as ``name``, which the forecast reads."""
    if f.centered:
        shock = pm.Normal(name.replace("_z", "_shock"), mean, sd, dims=dims)
        pm.Deterministic(name, (shock - mean) / sd, dims=dims)
        return shock
    return mean + sd * pm.Normal(name, 0.0, 1.0, dims=dims)


#: Parameters sampled standardised: the model's name -> the priors' mean and sd fields.
#: nutpie starts each chain at a U(-1, 1) jitter on the sampler's scale: one prior sd for
#: these, but 33 for a raw drift of prior sd 0.03, from where a chain could stay in a mode that
#: does not fit the counts (Hackney to 2018, seed 1: R-hat 2.25).
STANDARDISED = {
    "entry_log_growth": ("entry_growth_mean", "entry_growth_sd"),
    "residential_drift": ("residential_drift_mean", "residential_drift_sd"),
    "starts_counted_share": ("starts_counted_share", "starts_counted_share_sd"),
    "exit_drift": ("exit_drift_mean", "exit_drift_sd"),
}


def _standardised(f: _Frame, name: str) -> Any:
    """Normal(mean, sd) from the priors, sampled as ``name + "_z"`` ~ Normal(0, 1) times the
    sd and kept in the posterior as ``name`` (see :data:`STANDARDISED`)."""
    mean, sd = (getattr(f.pr, field) for field in STANDARDISED[name])
    return pm.Deterministic(name, mean + sd * pm.Normal(f"{name}_z", 0.0, 1.0))


def _coords(space: StateSpace, years: np.ndarray) -> dict[str, list[Any]]:
    return {
        "age_band": list(space.age_band_labels),
        "placement": list(space.placement_names),
        "from_placement": list(space.placement_names),
        "to_placement": list(space.placement_names),
        "exit_reason": list(space.exit_reasons),
        "entry_group": ["residential_semi_independent", "other"],
        "year": [int(y) for y in years],
        "later_year": [int(y) for y in years[1:]],
        "flow_year": [int(y) for y in years[1:]],
        "exit_shock_year": [int(y) for y in years[2:]],
        "pull_shock_year": [int(y) for y in years[2:]],
    }


# -- entries ---------------------------------------------------------------------------------
def _entry_base(f: _Frame) -> tuple[Any, Any, Any]:
    """Monthly intensity exp(log_e + growth * (t - 1) / 12 + year effect), t = 1 the first
    month after 31 March of the first year: the level, growth and year-to-year sd."""
    typical = float(np.nanmean(f.obs["starts"]))
    log_e = pm.Normal("log_entries_per_year", np.log(max(typical, 1.0)), 1.0)
    growth = _standardised(f, "entry_log_growth")
    year_sd = pm.LogNormal("entry_year_sd", np.log(f.pr.entry_year_sd), 0.5)
    return log_e, growth, year_sd


def _entries_random_walk(f: _Frame) -> tuple[Any, Any, Any]:
    """Each year's level is the last one's plus the drift and a shock: shocks last."""
    log_e, growth, year_sd = _entry_base(f)
    # With national_years, each year's step also carries England's change beyond its trend.
    national = 0.0 if f.national is None else f.national["entry"]
    shocks = _shocks(f, "entry_year_z", national, year_sd, "later_year")
    year_effect = pt.concatenate([pt.zeros(1), pt.cumsum(shocks)])
    if f.pooled:
        next_z = pm.Normal("entry_forecast_adjust_z", 0.0, 1.0)
        year_effect = pt.concatenate([year_effect, (year_effect[-1] + year_sd * next_z)[None]])
    return log_e, growth, year_effect


def _entries_trend(f: _Frame) -> tuple[Any, Any, Any]:
    """Shocks around a log-linear trend: each year returns to the trend."""
    log_e, growth, year_sd = _entry_base(f)
    year_effect = _shocks(f, "entry_year_z", 0.0, year_sd, "year")
    if f.pooled:
        next_z = pm.Normal("entry_forecast_adjust_z", 0.0, 1.0)
        year_effect = pt.concatenate([year_effect, (0.0 + year_sd * next_z)[None]])
    return log_e, growth, year_effect


#: Entry levels by ``entry_model``: (log level, log growth, year effect by run year).
ENTRY_LEVELS: dict[str, Callable[[_Frame], tuple[Any, Any, Any]]] = {
    "random_walk": _entries_random_walk,
    "trend": _entries_trend,
}


# -- mix, pull, noise ------------------------------------------------------------------------
def _mix_priors(f: _Frame) -> dict[str, Any]:
    """Age mix of entrants, exit multipliers by band, entry tilts and the move tilt."""
    pr = f.pr
    return {
        "age_share": pm.Dirichlet(
            "entry_age_band_share",
            pr.entry_age_concentration * np.asarray(pr.entry_age_share),
            dims="age_band",
        ),
        "exit_scale": pm.Normal(
            "log_exit_scale",
            np.asarray(pr.log_exit_scale_mean),
            pr.log_exit_scale_sd,
            dims="age_band",
        ),
        "entry_tilt": pm.Normal(
            "entry_tilt", np.asarray(pr.entry_tilt_mean), pr.entry_tilt_sd, dims="entry_group"
        ),
        "move_tilt": pm.Normal("move_tilt", pr.move_tilt_mean, pr.move_tilt_sd),
    }


def _pull_fixed(f: _Frame) -> Any:
    """The entry tilt and the move multiplier are the same in every year."""
    return pt.zeros(f.run_years)


def _pull_drift(f: _Frame) -> Any:
    """Both change by one fitted log drift per year."""
    drift = _standardised(f, "residential_drift")
    return drift * np.arange(f.run_years)


def _pull_random_walk(f: _Frame) -> Any:
    """Shocks that last; the pull of the first year of flows is the tilts' (0)."""
    pull_sd = pm.LogNormal("pull_year_sd", np.log(f.pr.pull_year_sd), 0.5)
    pull = pt.zeros(f.n_years)
    if f.n_years > 1:
        pull_z = pm.Normal("pull_year_z", 0.0, 1.0, dims="pull_shock_year")
        pull = pt.concatenate([pt.zeros(1), pt.cumsum(pull_sd * pull_z)])
    pm.Deterministic("log_residential_pull", pull, dims="flow_year")
    if f.pooled:  # the forecast year's own shock is drawn with the forecast
        pull = pt.concatenate([pull, pull[-1:]])
    return pull


#: Log pull of residential / semi-independent placements by year of flows, relative to the
#: first, by ``placement_model`` (entry tilt and move multiplier move together).
PULLS: dict[str, Callable[[_Frame], Any]] = {
    "fixed": _pull_fixed,
    "drift": _pull_drift,
    "random_walk": _pull_random_walk,
}


def _noise_shared(f: _Frame) -> dict[str, Any]:
    """One extra count noise for children in care, starts and ceases alike."""
    cv = pm.LogNormal("count_cv", np.log(f.pr.count_cv), f.pr.count_cv_sd)
    return {"stock_cv": cv, "starts_cv": cv, "ceases_cv": cv, **_counted_and_mix(f)}


def _noise_by_measure(f: _Frame) -> dict[str, Any]:
    """An extra count noise of each published count's own: the DfE tables show none in
    children in care beyond counting, but starts that partly reverse from year to year."""
    pr = f.pr
    cvs = {
        f"{measure}_cv": pm.LogNormal(
            f"{measure}_count_cv", np.log(getattr(pr, f"{measure}_count_cv")), pr.count_cv_sd
        )
        for measure in ("stock", "starts", "ceases")
    }
    return {**cvs, **_counted_and_mix(f)}


def _counted_and_mix(f: _Frame) -> dict[str, Any]:
    """The share of joiners counted as starts, and the mix concentrations."""
    out = {
        # Published starts are a share of the children who join the stock (DfE's stock grows
        # by more than starts minus ceases; see AggregatePriors).
        "counted": _standardised(f, "starts_counted_share"),
        "concentration": pm.LogNormal("share_concentration", np.log(f.pr.share_concentration), 1.0),
    }
    if _mix_rows(f.obs["ceases_bands"][1:]).size:  # only if some year is observed
        # Ages on ceasing get their own: where they fit worse (a council's count of 18th
        # birthdays can jump, e.g. Newcastle 7 then 24), the stock's mixes stay as tight.
        out["ceases_concentration"] = pm.LogNormal(
            "ceases_age_concentration", np.log(f.pr.share_concentration), 1.0
        )
    return out


#: Extra (beyond Poisson) noise of published counts, by ``count_noise``.
COUNT_NOISES: dict[str, Callable[[_Frame], dict[str, Any]]] = {
    "by_measure": _noise_by_measure,
    "shared": _noise_shared,
}


# -- rates and exit level ----------------------------------------------------------------------
def _first_year_rates(f: _Frame, mix: dict[str, Any]) -> dict[str, Any]:
    """Entry mix weights, move and exit rates in the first year of flows."""
    into_group = f.st["group"]
    move_tilted = (into_group[None, :] == 1) & (into_group[:, None] != 1)  # (from, to)
    tilt_of_group = pt.concatenate([pt.zeros(1), mix["entry_tilt"]])[into_group]  # (P,)
    weights = f.st["mix"] * pt.exp(tilt_of_group)[None, :]
    pm.Deterministic(  # in the first year of flows; later: the pull's drift
        "entry_placement_share",
        weights / weights.sum(axis=1, keepdims=True),
        dims=("age_band", "placement"),
    )
    move = pm.Deterministic(
        "move_rate_per_year",
        f.st["move"] * pt.where(move_tilted, pt.exp(mix["move_tilt"]), 1.0)[None],
        dims=("age_band", "from_placement", "to_placement"),
    )
    exit_ = pm.Deterministic(  # in the first year of flows; later: log_exit_level
        "exit_rate_per_year",
        f.st["exit"] * pt.exp(mix["exit_scale"])[:, None, None],
        dims=("age_band", "placement", "exit_reason"),
    )
    return {"weights": weights, "move": move, "exit": exit_}


def _exit_level_fixed(f: _Frame) -> Any:
    """Exit rates are the same in every year."""
    level = pt.zeros(f.n_years)
    pm.Deterministic("log_exit_level", level, dims="flow_year")
    return pt.concatenate([level, pt.zeros(())[None]]) if f.pooled else level


def _exit_level_random_walk(f: _Frame) -> Any:
    """One log multiplier on all exit rates moves as a random walk with a drift."""
    exit_sd = pm.LogNormal("exit_year_sd", np.log(f.pr.exit_year_sd), 0.5)
    # With one year of flows the drift is its prior (e.g. England's) - which the forecast then
    # follows.
    drift = _standardised(f, "exit_drift")
    level = pt.zeros(f.n_years)
    if f.n_years > 1:
        # With national_years, each year's step also carries England's change beyond its trend.
        mean = drift if f.national is None else drift + f.national["exit"]
        shocks = _shocks(f, "exit_year_z", mean, exit_sd, "exit_shock_year")
        level = pt.concatenate([pt.zeros(1), pt.cumsum(shocks)])
    pm.Deterministic("log_exit_level", level, dims="flow_year")
    if f.pooled:
        next_exit_z = pm.Normal("exit_forecast_adjust_z", 0.0, 1.0)
        level = pt.concatenate([level, (level[-1] + drift + exit_sd * next_exit_z)[None]])
    return level


#: Log exit level by year of flows (0 in the first), by ``exit_model``: exit rates that year
#: are the first year's times exp(level).
EXIT_LEVELS: dict[str, Callable[[_Frame], Any]] = {
    "random_walk": _exit_level_random_walk,
    "fixed": _exit_level_fixed,
}


# -- dynamics and likelihood -----------------------------------------------------------------
def _expm(a: Any) -> Any:
    """exp(a) for a stack of small generator matrices (..., K, K), a month's: a Taylor series of
    a / 2**:data:`_SQUARINGS`, squared that many times (fixed, so the gradient is smooth)."""
    a = a / 2**_SQUARINGS
    eye = pt.eye(a.shape[-1])[None]
    term, total = eye, eye
    for k in range(1, _TAYLOR_TERMS + 1):
        term = pt.matmul(term, a) / k
        total = total + term
    for _ in range(_SQUARINGS):
        total = pt.matmul(total, total)
    return total


def _transitions(f: _Frame, rates: dict[str, Any], pull: Any, exit_level: Any) -> Any:
    """Per-step transition probabilities by run year and age step (Y, ages, P, P + R), and
    where a step's entrants are at its end (same shape; the identity when they all arrive at
    the step's end, see :func:`_step_matrices`)."""
    P, B, R = f.space.n_placements, f.space.n_bands, len(f.space.exit_reasons)
    exit_by_year = rates["exit"][None] * pt.exp(exit_level)[:, None, None, None]
    # Moves from p to q scale with q's pull over p's: into the group up, out of it down.
    in_group = (f.st["group"] == 1).astype(float)
    towards = in_group[None, :] - in_group[:, None]  # (from, to): +1 in, -1 out, else 0
    move_by_year = rates["move"][None] * pt.exp(pull[:, None, None, None] * towards[None, None])
    q_top = pt.concatenate([move_by_year, exit_by_year], axis=3)  # (Y, B, P, P + R)
    leave = q_top.sum(axis=3)
    q_top = q_top - leave[..., None] * pt.eye(P, P + R)[None, None]
    q = pt.concatenate([q_top, pt.zeros((f.run_years, B, R, P + R))], axis=2)
    probs, entrants = _step_matrices(q, f.step, P, end_of_step=f.entry_timing == "end_of_step")
    return probs[:, f.band], entrants[:, f.band]


def _step_matrices(q: Any, step: int, placements: int, *, end_of_step: bool) -> tuple[Any, Any]:
    """A step's transition probabilities and where its entrants are at its end, both the
    placements' rows (..., P, P + R), from one month's matrix ``M = expm(Q / 12)``.

    The step's probabilities are ``M ** step``, as the engine's months compound (one matrix
    exponential instead of two). As in the engine, a month's entrants arrive at its end and may
    move or leave from the next month on, so of a step of ``s`` months the entrants of its month
    ``j`` have ``s - j`` months of the step's transitions: on average ``mean(M ** i, i =
    0..s-1)``. With ``end_of_step`` (``entry_timing="end_of_step"``, fits made before
    2026-12-04) all arrive at the step's end: the identity, which left a quarter's entrants a
    month of exposure short of the engine's on average, and so fitted exit rates the engine then
    turned into about 2% more ceases a year than the fit had.
    """
    month = _expm(q / MONTHS_PER_YEAR)
    identity = pt.eye(q.shape[-1]) * pt.ones_like(q)
    power, total = month, identity
    for _ in range(step - 1):
        total = total + power
        power = pt.matmul(power, month)
    entrants = identity if end_of_step else total / step
    return power[..., :placements, :], entrants[..., :placements, :]


def _entering(f: _Frame, entry: tuple[Any, Any, Any]) -> tuple[Any, np.ndarray]:
    """Entries in step k (k = 1 is the first step after the starting stock; k <= 0 the year
    before): the monthly intensity summed over the step's months. Returns them and the steps."""
    log_e, growth, year_effect = entry
    steps = np.arange(-(f.per_year - 1), f.run_years * f.per_year + 1)
    year_of_step = (steps - 1) // f.per_year + 1  # 0 = the year before the stock
    within = pt.exp(growth * np.arange(f.step) / MONTHS_PER_YEAR).sum()
    entering = (
        pt.exp(log_e + growth * (steps - 1) * f.step / MONTHS_PER_YEAR + year_effect[year_of_step])
        * within
        / MONTHS_PER_YEAR
    )
    return entering, steps


def _dynamics(
    f: _Frame,
    x0: np.ndarray,
    entry: tuple[Any, Any, Any],
    mix: dict[str, Any],
    pull: Any,
    rates: dict[str, Any],
    exit_level: Any,
    noise: dict[str, Any],
) -> dict[str, Any]:
    """Stock at each 31 March, starts and ceases the rates imply (the mean-field cohort model)."""
    P = f.space.n_placements
    probs_by_age, entrants_by_age = _transitions(f, rates, pull, exit_level)  # (Y, ages, P, K)
    in_group = (f.st["group"] == 1).astype(float)
    pulled = rates["weights"][None] * pt.exp(pull[:, None, None] * in_group[None, None])
    mix_by_year = pulled / pulled.sum(axis=2, keepdims=True)  # (Y, B, P)
    entry_pattern = (mix["age_share"] / f.width)[f.band][None, :, None] * mix_by_year[:, f.band]
    # The entry pattern at the step's end: in placements, and left care during the step.
    entry_pattern = pt.matmul(entry_pattern[:, :, None, :], entrants_by_age)[:, :, 0, :]
    entering, steps = _entering(f, entry)
    year_of_step = (steps - 1) // f.per_year + 1
    joined_t = pt.stack([entering[year_of_step == y].sum() for y in range(f.run_years + 1)])
    starts_t = noise["counted"] * joined_t[: f.n_years + 1]

    # One year: in each step children move / leave, entries arrive and everyone ages one step
    # (those past the last step of age 17 leave at 18). A scan over years keeps the graph one
    # year long, so it compiles in seconds whatever the number of years.
    # Leavers by age on leaving: the age bands, then those leaving at 18.
    band_onehot = np.eye(f.space.n_bands)[f.band]  # (ages, B)

    def one_year(entering_y: Any, probs_y: Any, pattern: Any, x: Any) -> tuple[Any, Any]:
        left_y = pt.zeros(f.space.n_bands + 1)
        for k in range(f.per_year):
            after = pt.matmul(x[:, None, :], probs_y)[:, 0, :]  # (ages, K)
            new = after[:, :P] + entering_y[k] * pattern[:, :P]
            # Exits of the stock and of the step's entrants, by band; then the 18th birthdays.
            exits = after[:, P:].sum(axis=1) + entering_y[k] * pattern[:, P:].sum(axis=1)
            by_band = pt.dot(exits, band_onehot)
            left_y = left_y + pt.concatenate([by_band, new[-1].sum()[None]])
            x = pt.concatenate([pt.zeros((1, P)), new[:-1]], axis=0)
        return x, left_y

    first_step = int(np.flatnonzero(steps == 1)[0])
    at_year_end, leavers_t = pytensor.scan(
        one_year,
        sequences=[
            entering[first_step:].reshape((f.run_years, f.per_year)),
            probs_by_age,
            entry_pattern,
        ],
        outputs_info=[pt.as_tensor_variable(x0), None],
        return_list=True,
        return_updates=False,
    )  # stock at 31 March (run_years, ages, P); leavers by year and age on leaving
    if f.pooled:
        # The forecast year's flows against the last year's stock (model scale).
        growth_next = (joined_t[-1] - leavers_t[-1].sum()) / at_year_end[f.n_years - 1].sum()
        pm.Deterministic("expected_stock_growth_next_year", growth_next)
        pm.Potential(
            "stock_growth_pooling",
            pm.logp(pm.Normal.dist(f.pr.stock_growth_mean, f.pr.stock_growth_sd), growth_next),
        )
        at_year_end = at_year_end[: f.n_years]
    leavers_t = leavers_t[: f.n_years]
    return {
        "at_year_end": at_year_end,
        "starts": starts_t,
        "ceases": leavers_t.sum(axis=1),
        "ceases_by_age": leavers_t,
    }


def _likelihood(
    f: _Frame, expected: dict[str, Any], mix: dict[str, Any], noise: dict[str, Any]
) -> None:
    """Published counts and mixes observed around the model's expectations."""
    B = f.space.n_bands
    obs, at_year_end = f.obs, expected["at_year_end"]
    band_onehot = np.eye(B)[f.band]  # (ages, B)
    group_onehot = np.eye(3)[f.st["group"]]  # (P, 3)
    by_band = pt.tensordot(at_year_end, band_onehot, axes=[[1], [0]])  # (years, P, B)
    pm.Deterministic("expected_stock_at_end", by_band[-1], dims=("placement", "age_band"))
    stock_bands_t = by_band.sum(axis=1)  # (n_years, B), years first+1..last
    stock_groups_t = pt.dot(at_year_end.sum(axis=1), group_onehot)

    def alpha(measure: str) -> Any:
        return 1.0 / pt.sqr(noise[f"{measure}_cv"])

    total_t = stock_bands_t.sum(axis=1)
    concentration = noise["concentration"]
    _observe_counts("children_in_care", total_t, obs["total"][1:], alpha("stock"))
    _observe_counts("starts", expected["starts"], obs["starts"], alpha("starts"))
    _observe_counts("ceases", expected["ceases"], obs["ceases"][1:], alpha("ceases"))
    _observe_mix("stock_by_age_band", stock_bands_t, obs["bands"][1:], concentration)
    _observe_mix("stock_by_group", stock_groups_t, obs["groups"][1:], concentration)
    if "ceases_concentration" in noise:
        _observe_mix(
            "ceases_by_age_band",
            expected["ceases_by_age"],
            obs["ceases_bands"][1:],
            noise["ceases_concentration"],
        )
    _observe_mix(
        "starts_by_age_band",
        pt.repeat(mix["age_share"][None], f.n_years + 1, axis=0),
        obs["starts_bands"],
        concentration,
    )
    pm.Deterministic("expected_children_in_care", total_t)
    pm.Deterministic("expected_stock_by_group", stock_groups_t)
    pm.Deterministic("expected_starts", expected["starts"])
    pm.Deterministic("expected_ceases", expected["ceases"])
    pm.Deterministic("expected_ceases_by_age_band", expected["ceases_by_age"])


def _observe_counts(name: str, expected: Any, observed: np.ndarray, alpha: Any) -> None:
    keep = np.flatnonzero(~np.isnan(observed))
    if keep.size:
        pm.NegativeBinomial(name, mu=expected[keep], alpha=alpha, observed=observed[keep])


def _mix_rows(observed: np.ndarray) -> np.ndarray:
    """Rows of a published mix that are observed: none of its parts suppressed, some children."""
    return np.flatnonzero(~np.isnan(observed).any(axis=1) & (observed.sum(axis=1) > 0))


def _observe_mix(name: str, expected: Any, observed: np.ndarray, concentration: Any) -> None:
    """Dirichlet-multinomial on the rows of ``observed`` with no suppressed part."""
    keep = _mix_rows(observed)
    if keep.size == 0:
        return
    share = expected[keep] / expected[keep].sum(axis=1, keepdims=True)
    counts = np.round(observed[keep]).astype(int)
    pm.DirichletMultinomial(
        name, n=counts.sum(axis=1), a=concentration * share + 1e-6, observed=counts
    )


def _check_space(space: StateSpace) -> None:
    names = {p for members in PLACEMENT_GROUPS.values() for p in members}
    if set(space.placement_names) != names or space.n_bands != 5:
        raise ConfigError(
            "AggregateModel needs the default state space (the published placement groups and "
            "DfE's five age bands)"
        )
