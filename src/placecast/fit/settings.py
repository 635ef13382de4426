"""Settings of the published-statistics fit, typed once.

:class:`AggregateSettings` is shared by :class:`~placecast.fit.aggregate.AggregateModel`, the
backtest (:class:`~placecast.evaluation.settings.BacktestSettings` extends it), the command line
(whose options are generated from its fields) and the benchmarks. It is saved with a fit and
checked when the fit is loaded. This module imports neither PyMC nor JAX, so the command line can
read it at start-up.
"""

from __future__ import annotations

import json
from dataclasses import Field, asdict, dataclass, field, fields
from typing import Any

from placecast.errors import ConfigError

__all__ = [
    "CENTERED_FROM_STARTS",
    "COUNT_NOISES",
    "ENTRY_MODELS",
    "ENTRY_TIMINGS",
    "EXIT_MODELS",
    "FORECAST_SETTINGS",
    "FORECAST_SHOCKS",
    "MASS_MATRICES",
    "NATIONAL_YEARS",
    "PLACEMENT_MODELS",
    "RANDOM_WALKS",
    "RETRIES",
    "SAMPLERS",
    "AggregateSettings",
    "setting",
]

#: How entries move from year to year.
ENTRY_MODELS = ("random_walk", "trend")
#: How the level of exit rates moves from year to year.
EXIT_MODELS = ("random_walk", "fixed")
#: How the pull of residential / semi-independent placements moves from year to year.
PLACEMENT_MODELS = ("random_walk", "fixed", "drift")
#: Extra (beyond Poisson) noise of published counts: one of its own for children in care,
#: starts and ceases each, or one shared by the three.
COUNT_NOISES = ("by_measure", "shared")
#: Whether a council's entry and exit levels move, year by year, with England's published
#: changes (``"england"``) or only by their own drift and shocks (``"none"``).
NATIONAL_YEARS = ("none", "england")
#: How NUTS adapts its mass matrix.
MASS_MATRICES = ("low_rank", "diagonal")
#: How the forecast draws the year-to-year changes of the random walks (entries, exit level,
#: residential / semi-independent pull): a fresh shock in every forecast year, adding up; one
#: shock held for all of them; or a fresh one each year that does not carry into the next.
FORECAST_SHOCKS = ("yearly", "once", "passing")
#: What the damping of a fitted trend damps: every posterior draw of it (the trend and its
#: uncertainty), or its posterior mean only, the draws' spread around it carried on undamped.
TREND_UNCERTAINTIES = ("damped", "kept")
#: Settings that change only how a fitted posterior is forecast, not the fit itself.
FORECAST_SETTINGS = (
    "trend_damping",
    "exit_trend_damping",
    "forecast_shocks",
    "starting_ages",
    "pull_trend",
    "trend_uncertainty",
)
#: Whether a fit that fails the fit check's convergence limits is sampled again once.
RETRIES = ("auto", "none")
#: How the year-to-year shocks of the entry and exit random walks are parameterised.
RANDOM_WALKS = ("auto", "centered", "non_centered")
#: With ``random_walks="auto"``, the shocks are centred when a council's mean published starts
#: reach this: its counts then pin each year's level far more tightly (Poisson noise about
#: 1 / sqrt(100) = 10%) than the prior of the shocks' size, the regime where standardised
#: shocks make a funnel (Kent to 2022: 13 divergences, R-hat 1.04; measured in
#: ``docs/published-statistics.md``).
CENTERED_FROM_STARTS = 100.0
#: Samplers: PyMC's own NUTS (C backend, compiled code cached on disk) and nutpie's NUTS on a
#: JAX-compiled model (compiles in seconds, samples several times faster).
SAMPLERS = ("pymc", "nutpie")
#: When a time step's entrants arrive (``AggregateSettings.entry_timing``).
ENTRY_TIMINGS = ("monthly", "end_of_step")
#: Whether the published ceases by age on ceasing are in the likelihood
#: (``AggregateSettings.ceases_by_age``).
CEASES_BY_AGE = ("observed", "ignored")
#: Whose age mix the forecast's starting stock takes (``AggregateSettings.starting_ages``).
STARTING_AGES = ("published", "fitted")
#: Whether the forecast carries on the random-walk pull's fitted trend
#: (``AggregateSettings.pull_trend``).
PULL_TRENDS = ("none", "fitted")


def setting(
    default: Any,
    help: str,
    *,
    choices: tuple[str, ...] | None = None,
    minimum: int = 1,
    one_allowed: bool = False,
) -> Any:
    """A settings field: its command-line help and, for a named choice, the choices; a whole
    number is at least ``minimum``; a fraction is in (0, 1), or (0, 1] with ``one_allowed``."""
    metadata = {"help": help, "choices": choices, "minimum": minimum, "one_allowed": one_allowed}
    return field(default=default, metadata=metadata)


def _is_fraction(f: Field[Any]) -> bool:
    """Whether a settings field is a fraction (a float, or a float that may be None)."""
    return isinstance(f.default, float) or "float" in str(f.type)


def _is_optional(f: Field[Any]) -> bool:
    """Whether a settings field may be None (it then follows another setting)."""
    return f.default is None or "None" in str(f.type)


@dataclass(frozen=True)
class AggregateSettings:
    """How the published-statistics model is built and sampled (documented defaults).

    Parameters
    ----------
    draws, tune, chains, cores, target_accept
        NUTS settings: draws and tuning steps per chain, chains, processes, and the step-size
        adaptation target.
    retry
        ``"auto"`` (default): a fit that fails the fit check's convergence limits is sampled
        again on the same compiled model, by what the last chains show - at
        ``target_accept`` 0.99 after divergent transitions; with chains of twice the draws
        after too few effective draws; with as many chains again, all judged together,
        after R-hat above 1.01; each step at most once for a set of chains
        (:func:`~placecast.fit.sampling.sample_posterior`).
        Of the first 520 fits of the 2026-12-06 all-council backtest, 15% read R-hat 1.02-1.03
        on two chains and 7% had divergences. ``"none"``: one attempt (the backtests' default,
        which measure the first attempt).
    trend_damping
        Damping of the fitted trends (entry growth, the pull's drift, and the exit drift
        unless ``exit_trend_damping`` is set) in the forecast, per year: the trend's step k
        years ahead is ``trend_damping ** k`` of its fitted size (Gardner & McKenzie's damped
        trend); 1 extrapolates the trends undamped. Default 0.01: entries held at their last
        level (the first year keeps 1% of a year's growth). Chosen by the rule written before
        the all-council rolling-origin run on the corrected model (every council, origins
        2017-2021): against undamped trends its paired gap in MASE over every measure and
        horizon was -0.112 (90% interval over councils -0.176 to -0.046), with no measure's
        90% coverage more than 2 points lower (``benchmarks/README.md``, "Every council,
        every origin").
    exit_trend_damping
        The same for the exit rates' drift alone; ``None`` damps it as ``trend_damping``.
        Default 0.5: the exit drift halved each year (with ``trend_damping`` 0.01 and
        ``trend_uncertainty="kept"`` the variant ``exithalfkept`` of that run, which the rule
        written before it chose over carrying the drift on undamped: paired gap -0.069, 90%
        interval -0.099 to -0.008, origins 2018-2021; dropping the drift altogether lowered
        ceases' 90% coverage by 6 points at three years in the run before).
    trend_uncertainty
        ``"damped"``: the damping shrinks every posterior draw of a trend, so a damped
        forecast loses the trend's uncertainty with its direction. ``"kept"`` (default): it
        shrinks the trend's posterior mean only and each draw's difference from that mean is
        carried on undamped, so the intervals keep the spread of the undamped forecast around
        the damped median (a council's future growth is at least as uncertain as its past
        growth was). Nothing changes without damping.
    forecast_shocks
        ``"yearly"``: each forecast year adds a fresh shock of the fitted year-to-year size to
        the random walks, so intervals widen with the horizon as the fitted variation implies;
        ``"once"`` (default): one shock for all forecast years; in the same run ``"yearly"``
        made the intervals too wide from two years out (90% intervals holding 93-100%).
        ``"passing"``: a fresh shock of the fitted size each year, not carried into the next,
        so each year's flows are as uncertain as with ``"once"`` but the years' surprises do not
        add up in the stock (published starts' forecast errors correlate 0.38-0.58 between
        forecast years, ``"once"``'s paths 0.76-0.90 on four councils). An option, to be judged
        by a rule written before its scoring (benchmarks/README.md, "Surprises that pass").
    starting_ages
        The age mix of the forecast's starting stock: ``"fitted"`` (default since 2026-12-04),
        the fitted model's own age mix at the last 31 March; ``"published"``, DfE's age bands
        (the published total and placement groups either way). Where the fit misses the
        published age bands its rates were fitted to its own ages, and applied to the
        published ones they give other flows than the fit saw (Newcastle upon Tyne to 2019:
        under-1s 23 fitted against 45 published, and first-year ceases 25% above the fit's
        last year). Out of sample (20 councils, origins 2017-2020, the same fits) the
        forecast's ceases at one year ran +4.6% above what was published instead of +12.7%
        (benchmarks/README.md).
    pull_trend
        With ``placement_model="random_walk"``: ``"none"`` (default) holds the pull of
        residential / semi-independent placements at its last fitted value (plus the forecast's
        shocks); ``"fitted"`` carries it on by its fitted years' mean change a year (the random
        walk's drift estimated from its own path, per draw; damped like the other trends), as
        the shift from fostering to residential and semi-independent placements went on after
        2019.
    mass_matrix
        ``"low_rank"`` (nutpie only), ``"diagonal"``, or ``None``: low rank with nutpie,
        diagonal with PyMC's sampler.
    step_months
        Time step and age resolution of the fitted model (a divisor of 12; 1 = the engine's).
    entry_timing
        ``"monthly"`` (default): a step's entrants arrive at the end of each of its months and
        may move or leave from the next, as in the engine, so that the engine run on the
        fitted rates gives the flows the fit saw. ``"end_of_step"``: all arrive at the step's
        end (fits made before 2026-12-04), which with 3-month steps fitted exit rates that
        gave about 2% more ceases a year in the engine than in the fit.
    ceases_by_age
        ``"observed"`` (default): the published ceases by age on ceasing (under 1, 1-4, 5-9,
        10-15, 16-17, 18 and over) are observed as a mix, like the stock's and starts' age
        bands, so the fit learns how many of a council's children leave care at 18 rather
        than before. ``"ignored"``: the mix is left out (fits made before 2026-12-04).
    sampler
        ``"nutpie"`` or ``"pymc"``.
    entry_model, exit_model, placement_model
        How entries, the exit level and the residential / semi-independent pull move from year
        to year (see :class:`~placecast.fit.aggregate.AggregateModel`).
    random_walks
        How the sampler sees the yearly shocks of the entry and exit random walks: as shocks
        (``"centered"``; best when the counts pin each year down, a large council) or as
        standardised shocks times their fitted size (``"non_centered"``; best when counts are
        few). ``"auto"`` (default): centred when the council's mean published starts are at
        least :data:`CENTERED_FROM_STARTS`. The model is the same; only its geometry differs.
    count_noise
        ``"shared"`` (default): one extra (beyond Poisson) relative noise for children in
        care, starts and ceases; ``"by_measure"``: each strays from the model by a noise of
        its own, with priors from the DfE tables
        (:class:`~placecast.fit.priors.AggregatePriors`). The DfE tables suggest their own
        noises (none beyond counting in children in care, a reversing one in starts), but
        out of sample (20 councils, origins 2017-2021) ``"by_measure"`` moved interval
        coverage by 0.3 points on average and children in care's median MASE by +0.12, so
        the rule written before that run kept ``"shared"`` (benchmarks/README.md).
    national_years
        ``"none"`` (default): each council's entry and exit levels move by their own drift and
        yearly shocks. ``"england"``: in every fitted year they also move by England's
        published change that year beyond England's mean change over the fitted years (in
        ceases per child in care, over the mean of the two 31 March stocks, and in starts;
        from the priors'
        :meth:`~placecast.fit.priors.AggregatePriors.with_national_years`), so a change every
        council shared is not smoothed away as one council's noise; England's trend stays in
        the drifts' prior centres. The forecast adds a fresh national change each year, drawn
        with the spread of England's changes over the fitted years, so the intervals carry the
        national movement. The rule that decides whether it becomes the default was written
        before its code (benchmarks/README.md, 2026-12-07).

    Examples
    --------
    >>> AggregateSettings(draws=200).tune
    300
    >>> AggregateSettings(entry_model="straight line")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    placecast.errors.ConfigError: AggregateSettings.entry_model must be one of random_walk, ...
    """

    draws: int = setting(500, "posterior draws per chain")
    tune: int = setting(300, "tuning steps per chain")
    chains: int = setting(2, "chains")
    cores: int = setting(2, "processes sampling the chains")
    target_accept: float = setting(0.95, "NUTS step-size adaptation target")
    retry: str = setting(
        "auto",
        "sample again when the fit fails the check's convergence limits (default) or not",
        choices=RETRIES,
    )
    mass_matrix: str | None = setting(
        None, "mass matrix (default: low rank with nutpie)", choices=MASS_MATRICES
    )
    step_months: int = setting(3, "time step of the fitted model, months (divides 12)")
    sampler: str = setting("nutpie", "NUTS implementation", choices=SAMPLERS)
    entry_model: str = setting(
        "random_walk",
        "entries as a random walk with drift (default) or shocks around a trend",
        choices=ENTRY_MODELS,
    )
    exit_model: str = setting(
        "random_walk",
        "the level of exit rates as a random walk (default) or the same every year",
        choices=EXIT_MODELS,
    )
    trend_damping: float = setting(
        0.01,
        "damping of the fitted trends per forecast year (1 = undamped; default 0.01: entries "
        "held at their last level)",
        one_allowed=True,
    )
    exit_trend_damping: float | None = setting(
        0.5,
        "damping of the exit rates' fitted drift per forecast year (1 = undamped; default 0.5: "
        "halved each year)",
        one_allowed=True,
    )
    trend_uncertainty: str = setting(
        "kept",
        "what damping damps: every draw of a trend or its posterior mean only (default)",
        choices=TREND_UNCERTAINTIES,
    )
    forecast_shocks: str = setting(
        "once",
        "one shock of the random walks for all forecast years (default), a fresh one each "
        "year adding up (yearly) or a fresh one each year not carried on (passing)",
        choices=FORECAST_SHOCKS,
    )
    pull_trend: str = setting(
        "none",
        "the random-walk pull of residential / semi-independent placements held at its last "
        "fitted value (default) or carried on at its fitted years' mean change a year",
        choices=PULL_TRENDS,
    )
    starting_ages: str = setting(
        "fitted",
        "age mix of the forecast's starting stock: the fitted model's own (default) or DfE's "
        "published bands",
        choices=STARTING_AGES,
    )
    random_walks: str = setting(
        "auto",
        "random-walk shocks centred (large councils) or standardised (small); auto: by the "
        "council's starts",
        choices=RANDOM_WALKS,
    )
    placement_model: str = setting(
        "random_walk",
        "the pull of residential / semi-independent placements a random walk (default: yearly "
        "shocks that last), fixed, or drifting by a fitted amount each year",
        choices=PLACEMENT_MODELS,
    )
    entry_timing: str = setting(
        "monthly",
        "entrants of a time step arrive month by month, as in the engine (default), or all at "
        "the step's end (fits before 2026-12-04)",
        choices=ENTRY_TIMINGS,
    )
    ceases_by_age: str = setting(
        "observed",
        "the published ceases by age on ceasing observed (default) or left out of the fit",
        choices=CEASES_BY_AGE,
    )
    count_noise: str = setting(
        "shared",
        "one extra count noise shared by children in care, starts and ceases (default), or "
        "one of each's own",
        choices=COUNT_NOISES,
    )
    national_years: str = setting(
        "none",
        "entry and exit levels moving by their own drift and shocks only (default), or also "
        "by England's published change each year",
        choices=NATIONAL_YEARS,
    )

    def __post_init__(self) -> None:
        name = type(self).__name__
        for f in fields(self):  # a subclass's settings too
            value, choices = getattr(self, f.name), f.metadata.get("choices")
            if choices is not None and value not in choices and value is not None:
                raise ConfigError(
                    f"{name}.{f.name} must be one of {', '.join(choices)}; got {value!r}"
                )
            whole = choices is None and not _is_fraction(f)
            if whole and not (value is None and _is_optional(f)):
                low = f.metadata.get("minimum", 1)
                if isinstance(value, bool) or not isinstance(value, int) or value < low:
                    raise ConfigError(
                        f"{name}.{f.name} must be a whole number >= {low}; got {value!r}"
                    )
        if self.sampler is None:
            raise ConfigError(f"{name}.sampler must be one of {', '.join(SAMPLERS)}; got None")
        for model in (
            "entry_model",
            "exit_model",
            "placement_model",
            "random_walks",
            "count_noise",
            "entry_timing",
            "ceases_by_age",
            "starting_ages",
            "pull_trend",
            "national_years",
        ):
            if getattr(self, model) is None:
                raise ConfigError(f"{name}.{model} must be given; got None")
        for f in fields(self):  # fractions (optional ones may be None: they follow another)
            value, upper = getattr(self, f.name), f.metadata.get("one_allowed", False)
            if not _is_fraction(f) or (value is None and _is_optional(f)):
                continue
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not ok or not (0 < value < 1 or (upper and value == 1)):
                raise ConfigError(
                    f"{name}.{f.name} must be in (0, 1{']' if upper else ')'}; got {value!r}"
                )
        if self.mass_matrix == "low_rank" and self.sampler != "nutpie":
            raise ConfigError(
                f"{name}.mass_matrix='low_rank' needs sampler='nutpie' (PyMC's sampler "
                "adapts a diagonal mass matrix only)"
            )
        if self.step_months not in (1, 2, 3, 4, 6, 12):
            raise ConfigError(f"{name}.step_months must divide 12 (1, 2, 3, 4, 6 or 12)")
        walks = (self.entry_model, self.exit_model)
        if self.national_years == "england" and walks != ("random_walk", "random_walk"):
            raise ConfigError(
                f"{name}.national_years='england' moves the random walks of entries and the "
                "exit level; it needs entry_model and exit_model 'random_walk' (got "
                f"{self.entry_model!r}, {self.exit_model!r})"
            )

    @property
    def low_rank_mass_matrix(self) -> bool:
        """Whether NUTS adapts a low-rank mass matrix (nutpie unless a diagonal one is asked)."""
        return self.sampler == "nutpie" and self.mass_matrix != "diagonal"

    def fit_settings(self) -> AggregateSettings:
        """Just the fit's settings (of a subclass that adds its own, e.g. a backtest's)."""
        return AggregateSettings(
            **{f.name: getattr(self, f.name) for f in fields(AggregateSettings)}
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain values, for saving with a fit or a benchmark run."""
        return asdict(self)

    def to_json(self) -> str:
        """The settings as JSON (with their class), e.g. beside a run's rows."""
        return json.dumps({"class": type(self).__name__, **self.to_dict()}, indent=2)
