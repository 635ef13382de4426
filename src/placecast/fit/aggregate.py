"""Fit entry, move and exit rates to published statistics (stocks at 31 March, starts, ceases).

The rates are pushed through the mean-field cohort model - the engine's step on expected values,
ages advancing with time and leaving care exactly at 18 - inside PyMC, and the published counts
are observed with count noise:

* children in care at 31 March, starts and ceases: negative binomial around the model's
  expectation (Poisson plus a fitted relative noise ``count_cv``);
* the age mix and the placement-group mix at 31 March, and the age mix of starts:
  Dirichlet-multinomial around the model's shares.

The model starts from the published stock at 31 March of the first year (its age bands and
placement groups joined by iterative proportional fitting) and runs in steps of a quarter (or a
month, as the engine) to the last year, one year of steps per iteration of a PyTensor ``scan``.
Rates are a fixed structure times a few fitted multipliers (see :mod:`placecast.fit.priors`),
and by default the level of all exit rates may change from year to year. Transition
probabilities over a step are ``expm(Q * step)`` as in the engine, here by a Taylor series (rates
over one step are small, so 8 terms are exact to about 1e-10). The posterior becomes a
:class:`~placecast.rates.Rates` with one set per draw, for forecasting from 31 March of the last
year - the same object the episode fit returns, so the engine and scenarios do not care which fit
produced it.

With a prior on the stock growth of the first forecast year (``AggregatePriors.stock_growth_sd``,
set by :meth:`~placecast.fit.priors.AggregatePriors.national`), the model runs one year past the
data: the entry and exit levels the forecast starts from may be adjusted (prior: one year's
shock) and are sampled with the fit, and the change of children in care their flows imply is
pulled towards England's, as councils' own past changes barely predict their next. The forecast
year's own shocks are then drawn on top, as without the prior.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import pytensor.tensor as pt

from placecast.data.dfe import PLACEMENT_GROUPS, PublishedCounts
from placecast.data.margins import ipf, round_preserving
from placecast.errors import ConfigError, InputError
from placecast.fit.diagnostics import SAMPLERS, sample_posterior, sampler_diagnostics
from placecast.fit.priors import AggregatePriors
from placecast.rates import Rates
from placecast.simulate import InitialStock
from placecast.states import MONTHS_PER_YEAR, StateSpace

_TAYLOR_TERMS = 8
#: How entries move from year to year (see :class:`AggregateModel`).
ENTRY_MODELS = ("random_walk", "trend")
#: How the level of exit rates moves from year to year (see :class:`AggregateModel`).
EXIT_MODELS = ("random_walk", "fixed")
#: How the pull of residential / semi-independent placements moves from year to year.
PLACEMENT_MODELS = ("random_walk", "fixed", "drift")
#: How NUTS adapts its mass matrix (see :class:`AggregateModel`).
MASS_MATRICES = ("low_rank", "diagonal")
#: Relative propensity of each placement group by age band (under 1 ... 16-17), used only to join
#: the two published margins of the stock; the shape of the Hackney calibration's joint table.
_GROUP_AGE_PATTERN = np.array(
    [
        [2.6, 2.8, 3.0, 3.0, 2.0],  # fostering
        [0.0, 0.05, 0.2, 1.0, 2.0],  # residential and semi-independent
        [3.0, 2.0, 1.0, 0.3, 0.2],  # other: placed with parents / for adoption, mostly young
    ]
)


def _complete(values: np.ndarray, total: float, shares: np.ndarray) -> np.ndarray:
    """Fill suppressed (NaN) parts of a margin from the total, then scale to the total."""
    out = np.asarray(values, dtype=float).copy()
    missing = np.isnan(out)
    if missing.any():
        rest = max(total - np.nansum(out), 0.0)
        w = shares[missing]
        out[missing] = rest * (w / w.sum() if w.sum() > 0 else np.full(w.size, 1 / w.size))
    s = out.sum()
    return out * (total / s) if s > 0 else np.full(out.size, total / out.size)


def published_stock(
    counts: PublishedCounts,
    year: int,
    priors: AggregatePriors | None = None,
    pattern: np.ndarray | None = None,
) -> pd.DataFrame:
    """Children in care at 31 March ``year`` by placement and age band, from published margins.

    Suppressed parts of a margin are filled from the total. Without ``pattern``, the age bands and
    placement groups are joined by iterative proportional fitting and fostering and residential /
    semi-independent are split into the model's placements with ``priors.fostering_split`` and
    ``priors.semi_independent_share_16_17``. With ``pattern`` (placement, age band), e.g. a fitted
    model's expected stock, that table is scaled to the published age bands and placement groups
    instead. Whole children, margins kept (groups to within rounding).

    Raises
    ------
    InputError
        When the total for ``year`` is missing.
    """
    priors = AggregatePriors() if priors is None else priors
    space = priors.structure.space
    where = np.flatnonzero(counts.years == year)
    if where.size == 0 or np.isnan(counts.children_in_care[where[0]]):
        raise InputError(f"{counts.council}: no published children in care at 31 March {year}")
    i = int(where[0])
    total = float(counts.children_in_care[i])
    bands = _complete(counts.stock_by_age_band[i], total, np.asarray(priors.entry_age_share))
    group_of = _structure(priors)["group"]
    if pattern is not None:
        pattern = np.asarray(pattern, dtype=float)
        share = np.bincount(group_of, weights=pattern.sum(axis=1), minlength=3)
        groups = _complete(counts.stock_by_group[i], total, share / share.sum())
        allowed = np.arange(space.n_bands)[None, :] >= space.min_age_band[:, None]
        table = pattern + 1e-9 * (pattern.sum() + 1.0) * allowed
        with np.errstate(invalid="ignore", divide="ignore"):  # empty bands or groups: 0 / 0
            for _ in range(200):  # IPF on (placement groups, age bands)
                table *= np.nan_to_num(bands / table.sum(axis=0))[None, :]
                by_group = np.bincount(group_of, weights=table.sum(axis=1), minlength=3)
                table *= np.nan_to_num(groups / by_group)[group_of][:, None]
    else:
        group_share = _GROUP_AGE_PATTERN @ bands
        groups = _complete(counts.stock_by_group[i], total, group_share / group_share.sum())
        joint = ipf(_GROUP_AGE_PATTERN, groups, bands)
        table = np.zeros((space.n_placements, space.n_bands))
        names = list(PLACEMENT_GROUPS)
        for g, members in enumerate(PLACEMENT_GROUPS.values()):
            for placement in members:
                p = space.index(placement)
                if names[g] == "fostering":
                    split = np.full(space.n_bands, priors.fostering_split[members.index(placement)])
                elif names[g] == "residential_semi_independent":
                    semi = (
                        space.min_age_band[space.index("semi_independent")]
                        <= np.arange(space.n_bands)
                    ) * priors.semi_independent_share_16_17
                    split = semi if placement == "semi_independent" else 1.0 - semi
                else:
                    split = np.ones(space.n_bands)
                table[p] = joint[g] * split
    rows = table.sum(axis=1)
    whole_rows = _round_sum(rows)
    whole = round_preserving(table, whole_rows, _round_sum(bands))
    return pd.DataFrame(
        whole,
        index=pd.Index(space.placement_names, name="placement"),
        columns=pd.Index(space.age_band_labels, name="age_band"),
    )


def published_initial_stock(
    counts: PublishedCounts,
    year: int,
    priors: AggregatePriors | None = None,
    *,
    pattern: np.ndarray | None = None,
    rates: Rates | None = None,
) -> InitialStock:
    """The published stock at 31 March ``year`` as a starting stock for the engine.

    :func:`published_stock` by placement and age band (``pattern`` as there), spread over the
    age months of each band like the steady state of ``rates`` (default: the priors'
    structure; :meth:`Rates.steady_state_stock`) rather than evenly: the tables do not say how
    many of a council's 16-17s are about to turn 18, and evenly spread too few are, which made
    the first forecast year's residential / semi-independent stock jump and the next fall back.
    """
    priors = AggregatePriors() if priors is None else priors
    table = published_stock(counts, year, priors, pattern=pattern)
    profile = (priors.structure if rates is None else rates).steady_state_stock()
    return InitialStock.from_band_table(priors.structure.space, table, age_profile=profile)


def _round_sum(values: np.ndarray) -> np.ndarray:
    """Whole numbers with the same (rounded) total, by largest remainder."""
    out = np.floor(values).astype(int)
    short = round(float(values.sum())) - int(out.sum())
    out[np.argsort(-(values - out), kind="stable")[:short]] += 1
    return out


def _structure(priors: AggregatePriors) -> dict[str, np.ndarray]:
    ds = priors.structure.data.isel(draw=0)
    space = priors.structure.space
    group = np.zeros(space.n_placements, dtype=int)
    for g, members in enumerate(PLACEMENT_GROUPS.values()):
        for placement in members:
            group[space.index(placement)] = g
    return {
        "move": ds["move_rate_per_year"].values,  # (B, P, P)
        "exit": ds["exit_rate_per_year"].values,  # (B, P, R)
        "mix": ds["entry_placement_share"].values,  # (B, P)
        "group": group,
    }


def _expm(a: Any) -> Any:
    """exp(a) for a stack of small generator matrices (B, K, K), by a Taylor series."""
    eye = pt.eye(a.shape[-1])[None]
    term, total = eye, eye
    for k in range(1, _TAYLOR_TERMS + 1):
        term = pt.matmul(term, a) / k
        total = total + term
    return total


@dataclass
class AggregateModel:
    """Bayesian rates from published stocks and flows; scikit-learn style (configure, ``fit``).

    Parameters
    ----------
    priors
        Priors and fixed structure (:class:`~placecast.fit.priors.AggregatePriors`; use
        :meth:`AggregatePriors.national` for priors from England's series).
    draws, tune, chains, cores, target_accept
        NUTS settings. 300 tuning steps is nutpie's default; in the backtest on every council
        R-hat was at most 1.02 with them and the low-rank mass matrix, but 1.02 (which warns)
        in 25 of 151 councils against 11 with 500 steps and a diagonal one, at the same forecast
        accuracy (``docs/published-statistics.md``; which change the extra warnings come from
        was not measured).
        For a one-off budget fit, ``tune=500`` costs about 7 s more for Kent.
    mass_matrix
        How NUTS adapts its mass matrix: ``"low_rank"`` (a diagonal plus a low-rank part fitted
        to the gradients; nutpie only) or ``"diagonal"``; ``None`` (default): ``"low_rank"``
        with nutpie, ``"diagonal"`` with PyMC's sampler. The posterior of a large council is
        strongly correlated (its counts pin down combinations of rates, not each rate), and
        the low-rank part follows that: for Kent it cut the leapfrog steps per draw from 54 to
        24 and the fit from 86 s to 53 s, with a better R-hat and effective sample size.
    step_months
        Time step and age resolution of the fitted model. ``1`` is the engine's monthly model
        exactly; the default ``3`` (quarters) is about 9 times cheaper and its stock stays within
        1.5% of the monthly model's over two years (tested), less than the counting noise.
    entry_model
        ``"random_walk"`` (default): the log of yearly entries is last year's plus a fitted
        drift and a shock, so a forecast starts from the latest level; ``"trend"``: shocks
        around a log-linear trend, so a forecast returns to the line.
    exit_model
        ``"random_walk"`` (default): one log multiplier on all exit rates (not on 18th
        birthdays) moves from year to year as a random walk with a drift (prior: England's, with
        :meth:`AggregatePriors.national`), so a forecast starts from the latest year's exit level
        plus a year's drift, its uncertainty includes one more year's change, and later forecast
        years follow the drift (``Rates.exit_change_per_year``); ``"fixed"``: exit rates are the
        same in every year.
    placement_model
        ``"random_walk"`` (default): the log pull towards residential / semi-independent
        placements (the entry tilt and the move multiplier together) moves from year to year as
        a random walk without drift (fitted year-to-year sd, prior median
        ``AggregatePriors.pull_year_sd``), so a forecast starts from the latest year's pull
        plus a fresh shock, and the intervals of the placement groups include a change of the
        mix as well as counting noise (as for entries, one shock for all forecast years). In
        the backtest on every council it beat ``"fixed"`` on residential / semi-independent
        placements (median MASE 1.34 against 1.39, coverage 47% / 90% against 43% / 86%) with
        the other measures within 0.03 (``docs/published-statistics.md``). ``"fixed"``: the
        entry tilt and the move multiplier are the same in every year; ``"drift"``: both change
        by one fitted log drift per year (prior ``AggregatePriors.residential_drift_mean`` and
        ``_sd``; England's with :meth:`AggregatePriors.national`), so the share of children in
        those placements can keep rising (in England it rose from 9.5% of children in care in
        2015 to 12.2% in 2019), and forecast years follow the drift
        (``Rates.pull_change_per_year``).
    sampler
        ``"nutpie"`` (default: nutpie's NUTS on the model compiled with JAX; a five-year fit
        took 33 s for Rutland, 51 s for Hackney and 53 s for Kent on 2 cores in a fresh
        process, compiling included, ``benchmarks/README.md``) or
        ``"pymc"`` (PyMC's NUTS on the C backend; about 150 s on a fresh machine, mostly
        compiling).

    Attributes
    ----------
    idata_ : arviz.InferenceData
        Posterior with sampler statistics and the observed data.
    rates_ : Rates
        Posterior draws as rates for forecasting from 31 March of the last fitted year.
    diagnostics_ : pandas.DataFrame
        Worst R-hat, smallest effective sample sizes, divergences.
    fitted_ : pandas.DataFrame
        Published values next to the model's posterior mean, by year.
    first_year_, last_year_ : int
        The fitted window: the starting stock's year and the last year observed.
    """

    priors: AggregatePriors = field(default_factory=AggregatePriors)
    draws: int = 500
    tune: int = 300
    chains: int = 2
    cores: int = 2
    target_accept: float = 0.95
    mass_matrix: str | None = None
    step_months: int = 3
    sampler: str = "nutpie"
    entry_model: str = "random_walk"
    exit_model: str = "random_walk"
    placement_model: str = "random_walk"

    def __post_init__(self) -> None:
        for name, allowed in (
            ("entry_model", ENTRY_MODELS),
            ("exit_model", EXIT_MODELS),
            ("placement_model", PLACEMENT_MODELS),
            ("sampler", SAMPLERS),
        ):
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    f"AggregateModel.{name} must be one of {', '.join(allowed)}; "
                    f"got {getattr(self, name)!r}"
                )
        if self.mass_matrix is not None and self.mass_matrix not in MASS_MATRICES:
            raise ConfigError(
                f"AggregateModel.mass_matrix must be one of {', '.join(MASS_MATRICES)} or None; "
                f"got {self.mass_matrix!r}"
            )
        if self.mass_matrix == "low_rank" and self.sampler != "nutpie":
            raise ConfigError(
                "AggregateModel.mass_matrix='low_rank' needs sampler='nutpie' (PyMC's sampler "
                "adapts a diagonal mass matrix only)"
            )
        if self.step_months not in (1, 2, 3, 4, 6, 12):
            raise ConfigError("AggregateModel.step_months must divide 12 (1, 2, 3, 4, 6 or 12)")

    def _window(self, counts: PublishedCounts) -> tuple[int, int]:
        """First year with a usable starting stock, and the last year with a total."""
        has_total = ~np.isnan(counts.children_in_care)
        has_breakdown = (~np.isnan(counts.stock_by_age_band)).sum(axis=1) >= 3
        start = np.flatnonzero(has_total & has_breakdown)
        if start.size == 0:
            raise InputError(
                f"{counts.council}: no year with children in care by age band to start from"
            )
        first = int(counts.years[start[0]])
        last = int(counts.years[np.flatnonzero(has_total)[-1]])
        if last <= first:
            raise InputError(
                f"{counts.council}: need published totals for at least two years from {first}; "
                f"the last is {last}"
            )
        return first, last

    def build(self, counts: PublishedCounts) -> pm.Model:
        """The PyMC model for ``counts`` (not yet sampled)."""
        pr = self.priors
        space = pr.structure.space
        _check_space(space)
        P, B, R = space.n_placements, space.n_bands, len(space.exit_reasons)
        first, last = self._window(counts)
        n_years = last - first
        st = _structure(pr)
        step = self.step_months

        # Ages and time in steps of `step` months (see the module docstring).
        band = space.band_of_age_month[::step]
        width = space.band_width_months.astype(float) / step
        x0 = published_initial_stock(counts, first, pr).counts.T  # (age months, P)
        x0 = x0.reshape(-1, step, P).sum(axis=1).astype(float)  # (ages, P)
        sel = (counts.years >= first) & (counts.years <= last)
        years = counts.years[sel]
        obs = {
            "total": counts.children_in_care[sel],
            "bands": counts.stock_by_age_band[sel],
            "groups": counts.stock_by_group[sel],
            "starts": counts.starts[sel],
            "starts_bands": counts.starts_by_age_band[sel],
            "ceases": counts.ceases[sel],
        }
        start_years = years[~np.isnan(obs["starts"])]
        if start_years.size == 0:
            raise InputError(f"{counts.council}: no published starts between {first} and {last}")

        coords = {
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
        # With a prior on the forecast year's stock growth, the model runs one year past the
        # data: the entry and exit levels the forecast starts from may be adjusted (by up to
        # about a year's shock) and are sampled with the fit, and the prior on the stock change
        # their flows imply pools a council's expected growth towards England's.
        pooled = pr.stock_growth_sd is not None
        run_years = n_years + int(pooled)
        into_group = st["group"]
        move_tilted = (into_group[None, :] == 1) & (into_group[:, None] != 1)  # (from, to)
        with pm.Model(coords=coords) as model:
            # Entries: monthly intensity exp(log_e + growth * (t - 1) / 12 + year effect), t = 1
            # the first month after 31 March of the first year.
            typical = float(np.nanmean(obs["starts"]))
            log_e = pm.Normal("log_entries_per_year", np.log(max(typical, 1.0)), 1.0)
            growth = pm.Normal("entry_log_growth", pr.entry_growth_mean, pr.entry_growth_sd)
            year_sd = pm.LogNormal("entry_year_sd", np.log(pr.entry_year_sd), 0.5)
            if self.entry_model == "random_walk":
                # Each year's level is the last one's plus the drift and a shock: shocks last.
                year_z = pm.Normal("entry_year_z", 0.0, 1.0, dims="later_year")
                year_effect = pt.concatenate([pt.zeros(1), pt.cumsum(year_sd * year_z)])
            else:
                # Shocks around a log-linear trend: each year returns to the trend.
                year_z = pm.Normal("entry_year_z", 0.0, 1.0, dims="year")
                year_effect = year_sd * year_z
            if pooled:
                next_z = pm.Normal("entry_forecast_adjust_z", 0.0, 1.0)
                walk = year_effect[-1] if self.entry_model == "random_walk" else 0.0
                year_effect = pt.concatenate([year_effect, (walk + year_sd * next_z)[None]])
            age_share = pm.Dirichlet(
                "entry_age_band_share",
                pr.entry_age_concentration * np.asarray(pr.entry_age_share),
                dims="age_band",
            )
            exit_scale = pm.Normal(
                "log_exit_scale",
                np.asarray(pr.log_exit_scale_mean),
                pr.log_exit_scale_sd,
                dims="age_band",
            )
            entry_tilt = pm.Normal(
                "entry_tilt", np.asarray(pr.entry_tilt_mean), pr.entry_tilt_sd, dims="entry_group"
            )
            move_tilt = pm.Normal("move_tilt", pr.move_tilt_mean, pr.move_tilt_sd)
            # Log pull of residential / semi-independent placements by year of flows, relative
            # to the first (entry tilt and move multiplier move together).
            pull = pt.zeros(run_years)
            if self.placement_model == "drift":
                resid_drift = pm.Normal(
                    "residential_drift", pr.residential_drift_mean, pr.residential_drift_sd
                )
                pull = resid_drift * np.arange(run_years)
            elif self.placement_model == "random_walk":
                # Shocks last; the pull of the first year of flows is the tilts' (0).
                pull_sd = pm.LogNormal("pull_year_sd", np.log(pr.pull_year_sd), 0.5)
                pull = pt.zeros(n_years)
                if n_years > 1:
                    pull_z = pm.Normal("pull_year_z", 0.0, 1.0, dims="pull_shock_year")
                    pull = pt.concatenate([pt.zeros(1), pt.cumsum(pull_sd * pull_z)])
                pm.Deterministic("log_residential_pull", pull, dims="flow_year")
                if pooled:  # the forecast year's own shock is drawn with the forecast
                    pull = pt.concatenate([pull, pull[-1:]])
            count_cv = pm.LogNormal("count_cv", np.log(pr.count_cv), 0.7)
            # Published starts are a share of the children who join the stock (DfE's stock
            # grows by more than starts minus ceases; see AggregatePriors).
            counted = pm.Normal(
                "starts_counted_share", pr.starts_counted_share, pr.starts_counted_share_sd
            )
            concentration = pm.LogNormal("share_concentration", np.log(pr.share_concentration), 1.0)

            tilt_of_group = pt.concatenate([pt.zeros(1), entry_tilt])[into_group]  # (P,)
            weights = st["mix"] * pt.exp(tilt_of_group)[None, :]
            pm.Deterministic(  # in the first year of flows; later: the pull's drift
                "entry_placement_share",
                weights / weights.sum(axis=1, keepdims=True),
                dims=("age_band", "placement"),
            )
            move = pm.Deterministic(
                "move_rate_per_year",
                st["move"] * pt.where(move_tilted, pt.exp(move_tilt), 1.0)[None],
                dims=("age_band", "from_placement", "to_placement"),
            )
            exit_ = pm.Deterministic(  # in the first year of flows; later: log_exit_level
                "exit_rate_per_year",
                st["exit"] * pt.exp(exit_scale)[:, None, None],
                dims=("age_band", "placement", "exit_reason"),
            )
            # Exit level by year of flows (0 in the first): exit rates that year are exit_ times
            # exp(level).
            exit_level = pt.zeros(n_years)
            if self.exit_model == "random_walk":
                exit_sd = pm.LogNormal("exit_year_sd", np.log(pr.exit_year_sd), 0.5)
                # With one year of flows the drift is its prior (e.g. England's) - which the
                # forecast then follows.
                drift = pm.Normal("exit_drift", pr.exit_drift_mean, pr.exit_drift_sd)
                if n_years > 1:
                    exit_z = pm.Normal("exit_year_z", 0.0, 1.0, dims="exit_shock_year")
                    exit_level = pt.concatenate([pt.zeros(1), pt.cumsum(drift + exit_sd * exit_z)])
            pm.Deterministic("log_exit_level", exit_level, dims="flow_year")
            if pooled:
                next_level = pt.zeros(())
                if self.exit_model == "random_walk":
                    next_exit_z = pm.Normal("exit_forecast_adjust_z", 0.0, 1.0)
                    next_level = exit_level[-1] + drift + exit_sd * next_exit_z
                exit_level = pt.concatenate([exit_level, next_level[None]])

            # Generator by year and band over placements + exit reasons; per-step transition
            # probabilities (years, B, P, K).
            exit_by_year = exit_[None] * pt.exp(exit_level)[:, None, None, None]
            # Moves from p to q scale with q's pull over p's: into the group up, out of it down.
            in_group = (into_group == 1).astype(float)
            towards = in_group[None, :] - in_group[:, None]  # (from, to): +1 in, -1 out, else 0
            move_by_year = move[None] * pt.exp(pull[:, None, None, None] * towards[None, None])
            q_top = pt.concatenate([move_by_year, exit_by_year], axis=3)  # (Y, B, P, P + R)
            leave = q_top.sum(axis=3)
            q_top = q_top - leave[..., None] * pt.eye(P, P + R)[None, None]
            q = pt.concatenate([q_top, pt.zeros((run_years, B, R, P + R))], axis=2)
            per_year = MONTHS_PER_YEAR // step
            probs = _expm(q / per_year)[:, :, :P, :]
            probs_by_age = probs[:, band]  # (Y, ages, P, K)
            pulled = weights[None] * pt.exp(pull[:, None, None] * in_group[None, None])
            mix_by_year = pulled / pulled.sum(axis=2, keepdims=True)  # (Y, B, P)
            entry_pattern = (age_share / width)[band][None, :, None] * mix_by_year[:, band]

            # Entries in step k (k = 1 is the first step after the starting stock; k <= 0 the
            # year before): the monthly intensity exp(log_e + growth (t - 1) / 12 + year
            # effect) summed over the step's months t.
            steps = np.arange(-(per_year - 1), run_years * per_year + 1)
            year_of_step = (steps - 1) // per_year + 1  # 0 = the year before the stock
            within = pt.exp(growth * np.arange(step) / MONTHS_PER_YEAR).sum()
            entering = (
                pt.exp(
                    log_e
                    + growth * (steps - 1) * step / MONTHS_PER_YEAR
                    + year_effect[year_of_step]
                )
                * within
                / MONTHS_PER_YEAR
            )
            joined_t = pt.stack([entering[year_of_step == y].sum() for y in range(run_years + 1)])
            starts_t = counted * joined_t[: n_years + 1]

            # One year: in each step children move / leave, entries arrive and everyone ages
            # one step (those past the last step of age 17 leave at 18). A scan over years keeps
            # the graph one year long, so it compiles in seconds whatever the number of years.
            def one_year(entering_y: Any, probs_y: Any, pattern: Any, x: Any) -> tuple[Any, Any]:
                left_y = pt.zeros(())
                for k in range(per_year):
                    after = pt.matmul(x[:, None, :], probs_y)[:, 0, :]  # (ages, K)
                    new = after[:, :P] + entering_y[k] * pattern
                    left_y = left_y + after[:, P:].sum() + new[-1].sum()  # exits + 18ths
                    x = pt.concatenate([pt.zeros((1, P)), new[:-1]], axis=0)
                return x, left_y

            first_step = int(np.flatnonzero(steps == 1)[0])
            at_year_end, leavers_t = pytensor.scan(
                one_year,
                sequences=[
                    entering[first_step:].reshape((run_years, per_year)),
                    probs_by_age,
                    entry_pattern,
                ],
                outputs_info=[pt.as_tensor_variable(x0), None],
                return_list=True,
                return_updates=False,
            )  # stock at 31 March (run_years, ages, P); leavers by year
            if pooled:
                # The forecast year's flows against the last year's stock (model scale).
                growth_next = (joined_t[-1] - leavers_t[-1]) / at_year_end[n_years - 1].sum()
                pm.Deterministic("expected_stock_growth_next_year", growth_next)
                pm.Potential(
                    "stock_growth_pooling",
                    pm.logp(pm.Normal.dist(pr.stock_growth_mean, pr.stock_growth_sd), growth_next),
                )
                at_year_end = at_year_end[:n_years]
            ceases_t = leavers_t[:n_years]
            band_onehot = np.eye(B)[band]  # (ages, B)
            group_onehot = np.eye(3)[into_group]  # (P, 3)
            by_band = pt.tensordot(at_year_end, band_onehot, axes=[[1], [0]])  # (years, P, B)
            pm.Deterministic("expected_stock_at_end", by_band[-1], dims=("placement", "age_band"))
            stock_bands_t = by_band.sum(axis=1)  # (n_years, B), years first+1..last
            stock_groups_t = pt.dot(at_year_end.sum(axis=1), group_onehot)

            alpha = 1.0 / pt.sqr(count_cv)
            total_t = stock_bands_t.sum(axis=1)
            _observe_counts("children_in_care", total_t, obs["total"][1:], alpha)
            _observe_counts("starts", starts_t, obs["starts"], alpha)
            _observe_counts("ceases", ceases_t, obs["ceases"][1:], alpha)
            _observe_mix("stock_by_age_band", stock_bands_t, obs["bands"][1:], concentration)
            _observe_mix("stock_by_group", stock_groups_t, obs["groups"][1:], concentration)
            _observe_mix(
                "starts_by_age_band",
                pt.repeat(age_share[None], n_years + 1, axis=0),
                obs["starts_bands"],
                concentration,
            )
            pm.Deterministic("expected_children_in_care", total_t)
            pm.Deterministic("expected_stock_by_group", stock_groups_t)
            pm.Deterministic("expected_starts", starts_t)
            pm.Deterministic("expected_ceases", ceases_t)
        self.first_year_, self.last_year_ = first, last
        return model

    def fit(
        self, counts: PublishedCounts, *, seed: int = 0, progressbar: bool = False
    ) -> AggregateModel:
        """Sample the posterior; sets ``idata_``, ``rates_``, ``diagnostics_`` and ``fitted_``.

        Warns (``UserWarning``) when R-hat > 1.01, the bulk ESS is under 100 per chain or any
        transition diverged.
        """
        self.idata_ = sample_posterior(
            self.build(counts),
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            cores=self.cores,
            target_accept=self.target_accept,
            seed=seed,
            progressbar=progressbar,
            sampler=self.sampler,
            # nutpie unless a diagonal one is asked for (low rank with PyMC is refused above)
            low_rank_mass_matrix=self.sampler == "nutpie" and self.mass_matrix != "diagonal",
        )
        self.counts_ = counts
        self.diagnostics_ = self._diagnostics()
        self.rates_ = self._rates(np.random.default_rng(seed))
        self.fitted_ = self._fitted()
        return self

    def _diagnostics(self) -> pd.DataFrame:
        names = [
            "log_entries_per_year",
            "entry_log_growth",
            "entry_year_sd",
            "entry_year_z",
            "entry_age_band_share",
            "log_exit_scale",
            "entry_tilt",
            "move_tilt",
            "count_cv",
            "starts_counted_share",
            "share_concentration",
            "exit_year_sd",
            "exit_drift",
            "exit_year_z",
            "residential_drift",
            "pull_year_sd",
            "pull_year_z",
            "entry_forecast_adjust_z",
            "exit_forecast_adjust_z",
        ]
        names = [n for n in names if n in self.idata_.posterior]  # by model and priors
        return sampler_diagnostics(
            self.idata_, names, chains=self.chains, label=f"AggregateModel ({self.counts_.council})"
        )

    @staticmethod
    def _forecast_year_z(post: Any, name: str, rng: np.random.Generator) -> np.ndarray:
        """The forecast year's standardised change of a level per draw: a fresh shock, plus the
        adjustment ``name`` sampled with the fit when there is a stock-growth prior."""
        z = rng.standard_normal(post.sizes["sample"])
        return z + np.asarray(post[name].values) if name in post else z

    def _rates(self, rng: np.random.Generator) -> Rates:
        post = self.idata_.posterior.stack(sample=("chain", "draw"))

        def draws(name: str) -> np.ndarray:
            return post[name].transpose("sample", ...).values

        growth = draws("entry_log_growth")
        year_sd = draws("entry_year_sd")
        # Entry intensity one month after 31 March of the last year, with a fresh shock for the
        # forecast years: the fitted year-to-year variation is part of the uncertainty. A random
        # walk starts from the last year's level (the shocks so far), a trend from the line; with
        # a stock-growth prior, plus the adjustment sampled with the fit.
        shock = year_sd * self._forecast_year_z(post, "entry_forecast_adjust_z", rng)
        if self.entry_model == "random_walk":
            shock = shock + year_sd * draws("entry_year_z").sum(axis=1)
        level = np.exp(
            draws("log_entries_per_year") + growth * (self.last_year_ - self.first_year_) + shock
        )
        # Exit rates in the first forecast year: the last year's level plus a year's drift and a
        # fresh change (random walk); later years follow the drift.
        exit_rate = draws("exit_rate_per_year")
        exit_change = np.zeros(growth.size)
        if self.exit_model == "random_walk":
            drift = draws("exit_drift")
            exit_shock = draws("exit_year_sd") * self._forecast_year_z(
                post, "exit_forecast_adjust_z", rng
            )
            exit_level = draws("log_exit_level")[:, -1] + drift + exit_shock
            exit_rate = exit_rate * np.exp(exit_level)[:, None, None, None]
            exit_change = np.exp(drift) - 1.0
        # The pull of residential / semi-independent placements in the first forecast year
        # (the fitted tilts are those of the first year of flows): with a drift, a year's drift
        # a year; as a random walk, the last year's pull plus a fresh shock, then unchanged.
        mix = draws("entry_placement_share")
        move = draws("move_rate_per_year")
        pull_change = np.zeros((growth.size, mix.shape[-1]))
        if self.placement_model != "fixed":
            in_group = (_structure(self.priors)["group"] == 1).astype(float)  # (P,)
            if self.placement_model == "drift":
                resid_drift = draws("residential_drift")
                pull = resid_drift * (self.last_year_ - self.first_year_)  # (draw,)
                pull_change[:, in_group == 1] = np.expm1(resid_drift)[:, None]
            else:
                fresh = draws("pull_year_sd") * rng.standard_normal(growth.size)
                pull = draws("log_residential_pull")[:, -1] + fresh
            weights = mix * np.exp(pull[:, None, None] * in_group)
            mix = weights / weights.sum(axis=-1, keepdims=True)
            towards = in_group[None, :] - in_group[:, None]  # as in the fit
            move = move * np.exp(pull[:, None, None] * towards)[:, None]  # (draw, B, P, P)
        return Rates.build(
            self.priors.structure.space,
            entries_per_year=level,
            entry_growth_per_year=np.exp(growth) - 1.0,
            entry_age_band_share=draws("entry_age_band_share"),
            entry_placement_share=mix,
            move_rate_per_year=move,
            exit_rate_per_year=exit_rate,
            exit_change_per_year=exit_change,
            pull_change_per_year=pull_change,
        )

    def _fitted(self) -> pd.DataFrame:
        post = self.idata_.posterior
        frame = self.counts_.upto(self.last_year_).since(self.first_year_).frame()
        mean = {
            k: post[k].mean(("chain", "draw")).values
            for k in post.data_vars
            if k.startswith("expected_")
        }
        frame["fitted_children_in_care"] = np.r_[np.nan, mean["expected_children_in_care"]]
        frame["fitted_starts"] = mean["expected_starts"]
        frame["fitted_ceases"] = np.r_[np.nan, mean["expected_ceases"]]
        for g, name in enumerate(PLACEMENT_GROUPS):
            frame[f"fitted_{name}"] = np.r_[np.nan, mean["expected_stock_by_group"][:, g]]
        return frame

    def initial_stock(self, year: int | None = None) -> InitialStock:
        """The published stock at 31 March ``year`` (default: the last fitted year), for the
        engine.

        For the last fitted year the published margins are joined using the fitted model's
        expected stock by placement and age band as the pattern, and spread within bands like
        the fitted rates' steady state, so the forecast starts from a mix the fitted rates agree
        with (not only the margins). See :func:`published_initial_stock`.
        """
        year = self.last_year_ if year is None else year
        if year != self.last_year_:
            return published_initial_stock(self.counts_, year, self.priors)
        pattern = self.idata_.posterior["expected_stock_at_end"].mean(("chain", "draw"))
        pattern = pattern.transpose("placement", "age_band").values
        return published_initial_stock(
            self.counts_, year, self.priors, pattern=pattern, rates=self.rates_
        )


def _observe_counts(name: str, expected: Any, observed: np.ndarray, alpha: Any) -> None:
    keep = np.flatnonzero(~np.isnan(observed))
    if keep.size:
        pm.NegativeBinomial(name, mu=expected[keep], alpha=alpha, observed=observed[keep])


def _observe_mix(name: str, expected: Any, observed: np.ndarray, concentration: Any) -> None:
    """Dirichlet-multinomial on the rows of ``observed`` with no suppressed part."""
    keep = np.flatnonzero(~np.isnan(observed).any(axis=1) & (observed.sum(axis=1) > 0))
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
