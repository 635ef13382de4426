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
probabilities over a step are ``expm(Q * step)`` as in the engine: a month's ``expm(Q / 12)``
by a Taylor series of an eighth of it squared three times, raised to the step's months (within
1e-11 of scipy's for rates up to 120 a year, which a sampler may try for a small council's
poorly pinned rates; a quarter's series alone went wrong from about 8 a year). The posterior
becomes a
:class:`~placecast.rates.Rates` with one set per draw, for forecasting from 31 March of the last
year - the same object the episode fit returns, so the engine and scenarios do not care which fit
produced it.

With a prior on the stock growth of the first forecast year (``AggregatePriors.stock_growth_sd``,
set by ``national_priors``), the model runs one year past the
data: the entry and exit levels the forecast starts from may be adjusted (prior: one year's
shock) and are sampled with the fit, and the change of children in care their flows imply is
pulled towards England's, as councils' own past changes barely predict their next. The forecast
year's own shocks are then drawn on top, as without the prior.
"""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm

from placecast.data.dfe import PLACEMENT_GROUPS, PublishedCounts
from placecast.errors import ConfigError
from placecast.fit.components import build_model, fit_window, national_changes
from placecast.fit.priors import AggregatePriors, structure_arrays
from placecast.fit.quality import FitCheck, check_fit
from placecast.fit.sampling import retried_sampling, sample_posterior, sampler_diagnostics
from placecast.fit.settings import (
    ENTRY_MODELS,
    EXIT_MODELS,
    FORECAST_SETTINGS,
    MASS_MATRICES,
    PLACEMENT_MODELS,
    AggregateSettings,
)
from placecast.fit.starting_stock import published_initial_stock, published_stock
from placecast.fit.store import read_fit, write_fit
from placecast.rates import RATE_DIMS, Rates
from placecast.states import space_from_dict, space_to_dict
from placecast.stock import InitialStock

__all__ = [
    "ENTRY_MODELS",
    "EXIT_MODELS",
    "MASS_MATRICES",
    "PLACEMENT_MODELS",
    "AggregateModel",
    "published_initial_stock",
    "published_stock",
]

_SETTINGS = tuple(f.name for f in fields(AggregateSettings))
#: Forecast years the fitted paths of levels cover; later years keep the last one's.
FORECAST_YEARS = 10
#: Parameters :meth:`AggregateModel.summary` reports (those of the model variant that exist).
_SUMMARISED = (
    "log_entries_per_year",
    "entry_log_growth",
    "entry_year_sd",
    "entry_age_band_share",
    "log_exit_scale",
    "log_exit_level",
    "exit_drift",  # random-walk exit model only
    "entry_tilt",
    "move_tilt",
    "residential_drift",  # placement_model="drift" only
    "pull_year_sd",  # placement_model="random_walk" only
    "log_residential_pull",  # placement_model="random_walk" only
    "starts_counted_share",
    "count_cv",  # count_noise="shared" only
    "stock_count_cv",  # count_noise="by_measure" only (and the two below)
    "starts_count_cv",
    "ceases_count_cv",
    "expected_stock_growth_next_year",  # with a stock-growth prior only
)


#: The parameters whose R-hat and effective sample size the fit check judges.
_JUDGED = (
    "log_entries_per_year",
    "entry_log_growth",
    "entry_year_sd",
    "entry_year_z",
    "entry_age_band_share",
    "log_exit_scale",
    "entry_tilt",
    "move_tilt",
    "count_cv",
    "stock_count_cv",
    "starts_count_cv",
    "ceases_count_cv",
    "starts_counted_share",
    "share_concentration",
    "ceases_age_concentration",
    "exit_year_sd",
    "exit_drift",
    "exit_year_z",
    "residential_drift",
    "pull_year_sd",
    "pull_year_z",
    "entry_forecast_adjust_z",
    "exit_forecast_adjust_z",
)


class AggregateModel:
    """Bayesian rates from published stocks and flows; scikit-learn style (configure, ``fit``).

    Parameters
    ----------
    priors
        Priors and fixed structure (:class:`~placecast.fit.priors.AggregatePriors`; use
        ``national_priors`` for priors from England's series).
    settings
        How the model is built and sampled (:class:`~placecast.fit.settings.AggregateSettings`);
        any of its fields may also be given by name and override it, e.g.
        ``AggregateModel(draws=200)``. Each setting reads as an attribute (``model.draws``).
    **overrides
        Any field of :class:`~placecast.fit.settings.AggregateSettings` by name, overriding
        ``settings`` (e.g. ``draws=200``); the model's own choices among them are described
        under Notes.

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

    Notes
    -----
    ``draws``, ``tune``, ``chains``, ``cores``, ``target_accept``: NUTS settings (300 tuning
    steps is nutpie's default; how they behave in the backtest, and what more tuning costs, is
    in ``docs/published-statistics.md``).

    ``mass_matrix``: how NUTS adapts its mass matrix: ``"low_rank"`` (a diagonal plus a low-rank
    part fitted to the gradients; nutpie only) or ``"diagonal"``; ``None`` (default):
    ``"low_rank"`` with nutpie, ``"diagonal"`` with PyMC's sampler. The posterior of a large
    council is strongly correlated (its counts pin down combinations of rates, not each rate),
    and the low-rank part follows that (measured in ``benchmarks/README.md``).

    ``step_months``: time step and age resolution of the fitted model. ``1`` is the engine's
    monthly model exactly; the default ``3`` (quarters) is about 9 times cheaper and its stock
    stays within 1.5% of the monthly model's over two years (tested), less than the counting
    noise.

    ``entry_model``: ``"random_walk"`` (default): the log of yearly entries is last year's plus
    a fitted drift and a shock, so a forecast starts from the latest level; ``"trend"``: shocks
    around a log-linear trend, so a forecast returns to the line.

    ``exit_model``: ``"random_walk"`` (default): one log multiplier on all exit rates (not on
    18th birthdays) moves from year to year as a random walk with a drift (prior: England's,
    with ``national_priors``), so a forecast starts from the latest year's exit level plus a
    year's drift, its uncertainty includes one more year's change, and later forecast years
    follow the drift (``Rates.exit_change_per_year``); ``"fixed"``: exit rates are the same in
    every year.

    ``placement_model``: ``"random_walk"`` (default): the log pull towards residential /
    semi-independent placements (the entry tilt and the move multiplier together) moves from
    year to year as a random walk without drift (fitted year-to-year sd, prior median
    ``AggregatePriors.pull_year_sd``), so a forecast starts from the latest year's pull plus a
    fresh shock, and the intervals of the placement groups include a change of the mix as well
    as counting noise (as for entries, one shock for all forecast years; its backtest against
    the others is in ``docs/published-statistics.md``). ``"fixed"``: the entry tilt and the move
    multiplier are the same in every year; ``"drift"``: both change by one fitted log drift per
    year (prior ``AggregatePriors.residential_drift_mean`` and ``_sd``; England's with
    ``national_priors``), so the share of children in those placements can keep rising (in
    England it rose from 9.5% of children in care in 2015 to 12.2% in 2019), and forecast years
    follow the drift (``Rates.pull_change_per_year``).

    ``sampler``: ``"nutpie"`` (default: nutpie's NUTS on the model compiled with JAX) or
    ``"pymc"`` (PyMC's NUTS on the C backend, much slower to compile); fit times are in
    ``benchmarks/README.md``.
    """

    def __init__(
        self,
        priors: AggregatePriors | None = None,
        settings: AggregateSettings | None = None,
        **overrides: Any,
    ) -> None:
        unknown = sorted(set(overrides) - set(_SETTINGS))
        if unknown:
            raise ConfigError(
                f"AggregateModel: unknown setting(s) {unknown}; known: {', '.join(_SETTINGS)}"
            )
        base = AggregateSettings() if settings is None else settings.fit_settings()
        try:
            self.settings = replace(base, **overrides)
        except ConfigError as err:
            raise ConfigError(str(err).replace("AggregateSettings.", "AggregateModel.")) from None
        self.priors = AggregatePriors() if priors is None else priors

    def __getattr__(self, name: str) -> Any:
        # Settings read as attributes; guarded so that copying or unpickling (no settings yet)
        # does not recurse.
        if name in _SETTINGS and "settings" in self.__dict__:
            return getattr(self.__dict__["settings"], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        return f"AggregateModel(priors={self.priors.source!r}, settings={self.settings!r})"

    def build(self, counts: PublishedCounts) -> pm.Model:
        """The PyMC model for ``counts`` (not yet sampled); see :mod:`placecast.fit.components`."""
        return build_model(counts, self.priors, self.settings)

    def fit(
        self, counts: PublishedCounts, *, seed: int = 0, progressbar: bool = False
    ) -> AggregateModel:
        """Sample the posterior; sets ``idata_``, ``rates_``, ``diagnostics_`` and ``fitted_``.

        With ``retry="auto"`` (the default) a fit that fails the check's convergence limits is
        sampled again once (divergences: at ``target_accept`` 0.99; R-hat or ESS: as many
        chains again; :func:`~placecast.fit.sampling.sample_posterior`), and
        ``idata_.posterior.attrs["sampling"]`` says what was done. Warns (``UserWarning``) when
        the result still has R-hat > 1.01, a bulk ESS under 100 per chain or a divergence.
        """
        model = self.build(counts)
        self.idata_ = sample_posterior(
            model,
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            cores=self.cores,
            target_accept=self.target_accept,
            seed=seed,
            progressbar=progressbar,
            sampler=self.sampler,
            low_rank_mass_matrix=self.settings.low_rank_mass_matrix,
            retry_var_names=(
                [n for n in _JUDGED if n in model.named_vars] if self.retry == "auto" else None
            ),
        )
        return self._learn(counts, seed)

    def reforecast(self, **settings: Any) -> AggregateModel:
        """The same posterior forecast another way: a copy with other forecast settings
        (``trend_damping``, ``exit_trend_damping``, ``trend_uncertainty``, ``forecast_shocks``,
        ``starting_ages``, ``pull_trend``) and the rates and starting stock they give; nothing
        is refitted.

        Raises
        ------
        ConfigError
            The model is not fitted, or a setting is not a forecast setting.
        """
        if "idata_" not in self.__dict__:
            raise ConfigError("AggregateModel.reforecast: fit the model first")
        other = sorted(set(settings) - set(FORECAST_SETTINGS))
        if other:
            raise ConfigError(
                f"AggregateModel.reforecast: {other} change the fit; only "
                f"{', '.join(FORECAST_SETTINGS)} can change without refitting"
            )
        model = type(self)(self.priors, replace(self.settings, **settings))
        model.idata_ = self.idata_
        # The same posterior: its diagnostics, and any warning about them, are the fit's.
        return model._learn(self.counts_, self.seed_, self.diagnostics_)

    def _learn(
        self, counts: PublishedCounts, seed: int, diagnostics: pd.DataFrame | None = None
    ) -> AggregateModel:
        """What follows from the posterior (``idata_`` set): diagnostics (``diagnostics`` when
        this posterior's are already known: not computed, nor warned about, again), rates and
        fitted values."""
        self.counts_, self.seed_ = counts, seed
        self.first_year_, self.last_year_ = fit_window(counts)
        self.diagnostics_ = self._diagnostics() if diagnostics is None else diagnostics
        self.rates_ = self._rates(np.random.default_rng(seed))
        self.fitted_ = self._fitted()
        return self

    def check(self) -> FitCheck:
        """Whether this fit is good enough to forecast from (:mod:`placecast.fit.quality`):
        convergence, and the last published stock reproduced."""
        last = self.fitted_.loc[self.last_year_]
        return check_fit(
            self.diagnostics_,
            model=f"AggregateModel ({self.counts_.council}, to {self.last_year_})",
            chains=int(self.idata_.posterior.sizes["chain"]),
            fitted_stock=float(last["fitted_children_in_care"]),
            published_stock=float(last["children_in_care"]),
            sampling=retried_sampling(self.idata_),
        )

    def summary(self, hdi_prob: float = 0.94) -> pd.DataFrame:
        """The fitted parameters (:func:`arviz.summary`: means, intervals, R-hat, ESS)."""
        names = [n for n in _SUMMARISED if n in self.idata_.posterior]
        # The first year's exit level and pull are 0 by construction (the reference): their
        # R-hat is 0 / 0, NaN in the table, not a numpy warning on the user's screen.
        with np.errstate(invalid="ignore", divide="ignore"):
            return az.summary(self.idata_, var_names=names, hdi_prob=hdi_prob)

    def save(self, path: str | Path) -> Path:
        """Write the fit to one netCDF file: the posterior, and in its attributes the settings,
        priors, published series and seed that :meth:`load` rebuilds the model from."""
        if "idata_" not in self.__dict__:
            raise ConfigError("AggregateModel.save: fit the model first")
        structure = self.priors.structure
        config = {
            "settings": self.settings.to_dict(),
            "priors": self.priors.to_dict(),
            "space": space_to_dict(structure.space),
            "counts": self.counts_.to_dict(),
            "seed": int(self.seed_),
        }
        return write_fit(
            self.idata_,
            path,
            kind="AggregateModel",
            config=config,
            groups={"placecast_structure": structure.data},
        )

    @classmethod
    def load(cls, path: str | Path) -> AggregateModel:
        """A fit written by :meth:`save`, with the same rates, diagnostics and fitted values.

        Raises
        ------
        InputError
            The file is missing, or was written by another model or file layout.
        """
        idata, config = read_fit(path, "AggregateModel")
        space = space_from_dict(config["space"])
        ds = idata["placecast_structure"]
        structure = Rates.build(space, **{n: ds[n] for n in RATE_DIMS if n in ds})
        priors = AggregatePriors.from_dict(config["priors"], structure)
        # Fits saved before ``random_walks`` existed sampled standardised shocks; before
        # ``count_noise``, one noise was shared by the published counts; before
        # ``entry_timing``, a step's entrants all arrived at its end; before
        # ``ceases_by_age``, ages on ceasing were not read.
        saved = {
            "random_walks": "non_centered",
            "count_noise": "shared",
            "entry_timing": "end_of_step",
            "ceases_by_age": "ignored",
            **config["settings"],
        }
        model = cls(priors, AggregateSettings(**saved))
        model.idata_ = idata
        return model._learn(PublishedCounts.from_dict(config["counts"]), config["seed"])

    def _diagnostics(self) -> pd.DataFrame:
        names = [n for n in _JUDGED if n in self.idata_.posterior]  # by model and priors
        return sampler_diagnostics(
            self.idata_,
            names,
            chains=int(self.idata_.posterior.sizes["chain"]),
            label=f"AggregateModel ({self.counts_.council})",
        )

    def _forecast_z(self, post: Any, name: str, rng: np.random.Generator) -> np.ndarray:
        """Standardised changes of a random walk in each forecast year, shape (draw, year),
        from the last fitted level: a fresh shock each year, cumulated
        (``forecast_shocks="yearly"``); the first year's held (``"once"``); or a fresh one each
        year that does not carry into the next (``"passing"``). The adjustment ``name``
        sampled with the fit when there is a stock-growth prior moves the level for good: it is
        in every year's. The same normal draws whatever the setting."""
        n = post.sizes["sample"]
        z = rng.standard_normal((n, FORECAST_YEARS))
        adjust = np.asarray(post[name].values) if name in post else np.zeros(n)
        if self.forecast_shocks == "passing":
            return z + adjust[:, None]
        z[:, 0] += adjust
        if self.forecast_shocks == "once":
            return np.repeat(z[:, :1], FORECAST_YEARS, axis=1)
        return np.cumsum(z, axis=1)

    def _trend_years(self, offset: float = 0.0, *, exit: bool = False) -> np.ndarray:
        """How many years of a fitted trend the forecast applies by forecast year k (shape
        (year,)): ``sum(phi ** j, j = 1..k+1)`` with ``phi = trend_damping`` (k + 1 undamped;
        ``exit_trend_damping`` for the exit drift where set), less ``offset`` of the last step
        (0.5: the middle of the year)."""
        own = self.exit_trend_damping if exit else None
        phi = float(self.trend_damping if own is None else own)
        steps = phi ** np.arange(1, FORECAST_YEARS + 1)
        return np.cumsum(steps) - offset * steps

    def _damped_part(self, trend: np.ndarray) -> np.ndarray:
        """The draws of a fitted trend (shape (draw,)) that the damping applies to: each
        draw's own, or with ``trend_uncertainty="kept"`` their posterior mean, so that each
        draw's difference from it carries on undamped."""
        return trend if self.trend_uncertainty == "damped" else np.full_like(trend, trend.mean())

    def _national(self, rng: np.random.Generator) -> dict[str, np.ndarray] | None:
        """With ``national_years="england"``: England's part of the forecast's log entry and
        exit levels by forecast year, shape (draw, year) - a fresh national change each year,
        of England's spread, adding up (England's trend is the council's drift's) - and
        ``"fitted_entry"``, the national part of the fitted entry steps (a scalar), which the
        standardised shocks leave out. ``None`` otherwise."""
        if self.national_years != "england":
            return None
        years = np.arange(self.first_year_, self.last_year_ + 1)
        n = self.idata_.posterior.sizes["chain"] * self.idata_.posterior.sizes["draw"]
        # A stream of its own (spawning does not move ``rng``): the council's own shocks are
        # the same draws with or without England's.
        rng = rng.spawn(1)[0]
        out: dict[str, np.ndarray] = {
            "fitted_entry": np.asarray(national_changes(self.priors, years)["entry"].sum())
        }
        for kind in ("entry", "exit"):
            sd = self.priors.national_spread(kind, self.last_year_)
            out[kind] = sd * np.cumsum(rng.standard_normal((n, FORECAST_YEARS)), axis=1)
        return out

    def _rates(self, rng: np.random.Generator) -> Rates:
        post = self.idata_.posterior.stack(sample=("chain", "draw"))

        def draws(name: str) -> np.ndarray:
            return post[name].transpose("sample", ...).values

        undamped = np.arange(1, FORECAST_YEARS + 1, dtype=float)
        growth = draws("entry_log_growth")
        year_sd = draws("entry_year_sd")
        # Entry intensity one month after 31 March of the last year, growing monthly at the
        # fitted growth; by forecast year, the damping's correction of that growth (at mid-year)
        # and the random walk's fresh shocks (the fitted year-to-year variation is part of the
        # uncertainty). A random walk starts from the last year's level (the shocks so far),
        # a trend from the line, to which each year's shock returns.
        z = self._forecast_z(post, "entry_forecast_adjust_z", rng)
        if self.entry_model == "random_walk":
            start = draws("log_entries_per_year") + year_sd * draws("entry_year_z").sum(axis=1)
        else:
            start = draws("log_entries_per_year")
            z = np.diff(z, axis=1, prepend=0.0) if self.forecast_shocks == "yearly" else z
        national = self._national(rng)
        if national is not None:  # the fitted steps' national part, which z leaves out
            start = start + national["fitted_entry"]
        level = np.exp(start + growth * (self.last_year_ - self.first_year_))
        damped = self._trend_years(0.5) - (undamped - 0.5)  # (year,)
        entry_path = np.exp(
            self._damped_part(growth)[:, None] * damped[None, :] + year_sd[:, None] * z
        )
        if national is not None:
            entry_path = entry_path * np.exp(national["entry"])
        # Exit rates: the last year's level, then a (damped) drift and fresh changes each year
        # (random walk); the same in every year (fixed).
        exit_rate = draws("exit_rate_per_year")
        exit_path = np.ones((growth.size, 1))
        if self.exit_model == "random_walk":
            drift = draws("exit_drift")
            exit_rate = exit_rate * np.exp(draws("log_exit_level")[:, -1])[:, None, None, None]
            exit_z = self._forecast_z(post, "exit_forecast_adjust_z", rng)
            # The damped part of the drift (all of it unless trend_uncertainty="kept") takes
            # the damped steps; the rest (zero unless "kept") a full step a year.
            centre = self._damped_part(drift)
            trend = (
                centre[:, None] * self._trend_years(exit=True)[None, :]
                + (drift - centre)[:, None] * undamped[None, :]
            )
            exit_path = np.exp(trend + draws("exit_year_sd")[:, None] * exit_z)
            if national is not None:
                exit_path = exit_path * np.exp(national["exit"])
        # The pull of residential / semi-independent placements in the first forecast year
        # (the fitted tilts are those of the first year of flows): with a drift, a (damped)
        # year's drift a year; as a random walk, the last year's pull plus fresh shocks.
        mix = draws("entry_placement_share")
        move = draws("move_rate_per_year")
        pull_change = np.zeros((growth.size, mix.shape[-1]))
        pull_path = np.ones((growth.size, 1, mix.shape[-1]))
        if self.placement_model != "fixed":
            in_group = (structure_arrays(self.priors)["group"] == 1).astype(float)  # (P,)
            if self.placement_model == "drift":
                resid_drift = draws("residential_drift")
                pull = resid_drift * (self.last_year_ - self.first_year_)  # (draw,)
                pull_change[:, in_group == 1] = np.expm1(resid_drift)[:, None]
                # Damped: the k + 1 steps of drift by year k shrink to the damped sum.
                log_path = (
                    self._damped_part(resid_drift)[:, None]
                    * (self._trend_years() - undamped)[None, :]
                )
            else:
                fitted_pull = draws("log_residential_pull")  # (draw, flow_year)
                pull = fitted_pull[:, -1]
                log_path = draws("pull_year_sd")[:, None] * self._forecast_z(post, "", rng)
                if self.pull_trend == "fitted" and fitted_pull.shape[1] > 1:
                    # The walk's drift estimated from its own path, carried on as a drift is.
                    drift = (fitted_pull[:, -1] - fitted_pull[:, 0]) / (fitted_pull.shape[1] - 1)
                    pull_change[:, in_group == 1] = np.expm1(drift)[:, None]
                    log_path = log_path + self._damped_part(drift)[:, None] * (
                        self._trend_years() - undamped
                    )
            pull_path = np.exp(log_path[:, :, None] * in_group[None, None, :])
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
            entry_level_by_year=entry_path,
            exit_level_by_year=exit_path,
            pull_level_by_year=pull_path,
            pull_change_per_year=pull_change,
        )

    def count_cv_draws(self, measure: str) -> np.ndarray:
        """Each posterior draw's extra (beyond Poisson) relative noise of a published count.

        Parameters
        ----------
        measure
            ``"children_in_care"`` (also the published placement groups' total), ``"starts"``
            or ``"ceases"``.

        Returns
        -------
        numpy.ndarray
            One coefficient of variation per draw, chains stacked as in
            ``idata_.posterior.stack(sample=("chain", "draw"))``: the measure's own with
            ``count_noise="by_measure"``, the shared ``count_cv`` otherwise.
        """
        own = {"children_in_care": "stock", "starts": "starts", "ceases": "ceases"}
        if measure not in own:
            raise ConfigError(
                f"count_cv_draws: measure must be one of {', '.join(own)}; got {measure!r}"
            )
        post = self.idata_.posterior.stack(sample=("chain", "draw"))
        name = f"{own[measure]}_count_cv"
        return np.asarray(post[name if name in post else "count_cv"].values)

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
        if "expected_ceases_by_age_band" in mean:  # fits before 2026-12-04 did not keep it
            frame["fitted_ceases_age_18_over"] = np.r_[
                np.nan, mean["expected_ceases_by_age_band"][:, -1]
            ]
        for g, name in enumerate(PLACEMENT_GROUPS):
            frame[f"fitted_{name}"] = np.r_[np.nan, mean["expected_stock_by_group"][:, g]]
        return frame

    def initial_stock(self, year: int | None = None) -> InitialStock:
        """The published stock at 31 March ``year`` (default: the last fitted year), for the
        engine.

        For the last fitted year the published margins are joined using the fitted model's
        expected stock by placement and age band as the pattern, and spread within bands like
        the fitted rates' steady state, so the forecast starts from a mix the fitted rates agree
        with; with ``starting_ages="fitted"`` (the default) the age bands are the fitted
        model's own mix of the published total, with ``"published"`` DfE's bands. See
        :func:`published_initial_stock`.
        """
        year = self.last_year_ if year is None else year
        if year != self.last_year_:
            return published_initial_stock(self.counts_, year, self.priors)
        pattern = self.idata_.posterior["expected_stock_at_end"].mean(("chain", "draw"))
        pattern = pattern.transpose("placement", "age_band").values
        ages = pattern.sum(axis=0) if self.starting_ages == "fitted" else None
        return published_initial_stock(
            self.counts_, year, self.priors, pattern=pattern, rates=self.rates_, age_shares=ages
        )
