"""Backtest: fit on published years up to T, forecast T+1..T+k, compare with what was published.

For each council the aggregate model (:class:`~placecast.fit.aggregate.AggregateModel`) is fitted
to the years up to ``last_fit_year``; the engine then simulates from the published stock at
31 March of that year with the posterior rates (one draw per path, no in-house capacity limit:
the tables carry no carer supply, and capacity only moves children between in-house fostering and
IFAs, inside the published fostering count). The forecast is compared, measure by measure, with
the published values and with two naive forecasts:

* **last value**: every future year equals the last fitted year;
* **linear trend**: a least-squares line through the fitted years, extended.

Metrics follow Hyndman and Koehler (2006): the mean absolute scaled error (MASE) divides absolute
errors by the mean absolute year-on-year change in the fitted years, so councils of every size
can be pooled. Interval coverage is the share of published values inside the 50% and 90%
forecast intervals.
"""

from __future__ import annotations

import multiprocessing
import warnings
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from placecast.data.dfe import PLACEMENT_GROUPS, PublishedCounts, published_counts
from placecast.engine import simulate
from placecast.errors import ConfigError, InputError
from placecast.evaluation.scoring import Backtest, measure_series, naive_forecasts
from placecast.evaluation.settings import SCORING_SETTINGS, STOCK_NOISES, BacktestSettings
from placecast.fit.aggregate import AggregateModel
from placecast.fit.national import national_priors, with_england_years
from placecast.fit.priors import AggregatePriors
from placecast.fit.settings import FORECAST_SETTINGS, AggregateSettings
from placecast.states import MONTHS_PER_YEAR
from placecast.summary import QUANTILES
from placecast.supply import CarerSupply

__all__ = [
    "Backtest",
    "BacktestSettings",
    "backtest",
    "backtest_council",
    "backtest_priors",
    "check_variant",
    "forecast_published",
    "la_councils",
    "naive_forecasts",
    "paths_published",
    "published_shares",
    "scored_forecast",
    "scored_variant",
    "year_of_flows",
]

#: Columns of :attr:`Backtest.rows` (and of a checkpoint file, plus ``requested``).
_COLUMNS = [
    "council",
    "la_code",
    "measure",
    "year",
    "horizon",
    "actual",
    "mean",
    *[f"q{round(q * 100):02d}" for q in QUANTILES],
    # The paths' own quantiles (no published noise), as a report draws them.
    *[f"q{round(q * 100):02d}_paths" for q in QUANTILES],
    "last_value",
    "linear_trend",
    "scale",
    "max_r_hat",
    "divergences",
    "fit_seconds",
    "error",
    "requested",
]
#: No in-house capacity limit (see the module docstring).
_UNLIMITED = CarerSupply(  # a million places: far more than England's children in care
    households=100_000,
    places_per_household=10.0,
    approvals_per_year=0.0,
    deregistration_rate_per_year=0.0,
)


def forecast_published(
    model: AggregateModel,
    horizon: int,
    *,
    paths: int = 1000,
    seed: int = 0,
    stock_noise: str = "count",
) -> pd.DataFrame:
    """Simulate the published measures for ``horizon`` years after the model's last year.

    Each path runs the engine on one posterior draw of the rates (its entries times the draw's
    ``starts_counted_share`` are the published starts). Published values then stray from the
    path as the fit says they stray from the model, so intervals cover what will be *published*,
    not only the model's own randomness: children in care, starts and ceases are multiplied by a
    gamma factor with mean 1 and the draw's count noise of that measure
    (:meth:`AggregateModel.count_cv_draws`); the placement groups split the published
    total in shares drawn from a Dirichlet around the path's shares with the draw's
    ``share_concentration`` (the fit's Dirichlet-multinomial less its multinomial part, which the
    engine's own randomness stands for). Returns one row per (measure, year) with the forecast
    mean and the :data:`QUANTILES` (``q05`` ...), and the same quantiles of the paths' own
    values (``q05_paths`` ...: no published noise, the paths' shares), which are the intervals
    a forecast's report shows: narrower (``benchmarks/published_noise.py``). With
    ``stock_noise="none"`` children in care is each path's total with no gamma factor (the
    factor is still drawn, so every other draw is the same); see
    :class:`~placecast.evaluation.BacktestSettings`.
    """
    if stock_noise not in STOCK_NOISES:
        raise ConfigError(
            f"forecast_published: stock_noise must be one of {', '.join(STOCK_NOISES)}; "
            f"got {stock_noise!r}"
        )
    own = paths_published(model, horizon, paths=paths, seed=seed)
    post = model.idata_.posterior.stack(sample=("chain", "draw"))
    draw = own["draw"].values
    shape = {
        measure: 1.0 / np.square(model.count_cv_draws(measure)[draw])
        for measure in ("children_in_care", "starts", "ceases")
    }
    concentration = post["share_concentration"].values[draw]
    rng = np.random.default_rng(seed)

    def misfit(measure: str) -> np.ndarray:
        return rng.gamma(shape[measure], 1.0 / shape[measure])

    groups = list(own["group"].values)
    rows = []
    for year in own["year"].values:
        stock = own["stock"].sel(year=year).values  # (path, group)
        total = stock.sum(axis=1)
        starts, ceases = own["starts"].sel(year=year).values, own["ceases"].sel(year=year).values
        paths_own = {
            "children_in_care": total,
            **{g: stock[:, groups.index(g)] for g in ("fostering", "residential_semi_independent")},
            "starts": starts,
            "ceases": ceases,
        }
        # what DfE would publish around the paths (drawn in this order ever since)
        factor = misfit("children_in_care")  # drawn either way: the later draws stay put
        published_total = total * factor if stock_noise == "count" else total
        shares = published_shares(stock, concentration, rng)
        sims = {
            "children_in_care": published_total,
            **{
                g: published_total * shares[:, groups.index(g)]
                for g in ("fostering", "residential_semi_independent")
            },
            "starts": starts * misfit("starts"),
            "ceases": ceases * misfit("ceases"),
        }
        for measure, values in sims.items():
            v = np.asarray(values, dtype=float)
            row: dict[str, Any] = {"measure": measure, "year": int(year), "mean": float(v.mean())}
            for suffix, these in (("", v), ("_paths", np.asarray(paths_own[measure], dtype=float))):
                q = np.quantile(these, QUANTILES)
                for p, x in zip(QUANTILES, q, strict=True):
                    row[f"q{round(p * 100):02d}{suffix}"] = float(x)
            rows.append(row)
    return pd.DataFrame(rows)


def paths_published(
    model: AggregateModel, horizon: int, *, paths: int = 1000, seed: int = 0
) -> xr.Dataset:
    """Each simulated path's own values of the published measures, year by year.

    The engine runs from the published stock at 31 March of the model's last year with one
    posterior draw of the rates per path and no capacity limit, as in
    :func:`forecast_published`, which adds the published counts' noise to these.

    Parameters
    ----------
    model
        A fitted aggregate model.
    horizon
        Forecast years.
    paths, seed
        Simulated paths and the engine's seed.

    Returns
    -------
    xarray.Dataset
        Dimensions ``year`` (the 31 March each forecast year ends at), ``path`` and ``group``
        (:data:`~placecast.data.dfe.PLACEMENT_GROUPS`): ``stock`` (children by placement group
        at the year's end), ``starts`` (the year's entrants times the draw's
        ``starts_counted_share``: published starts), ``ceases``; coordinate ``draw`` (the
        posterior draw of each path).
    """
    last = model.last_year_
    space = model.priors.structure.space
    out = simulate(
        model.initial_stock(last),
        model.rates_,
        _UNLIMITED,
        months=MONTHS_PER_YEAR * horizon,
        paths=paths,
        seed=seed,
        start=f"{last}-03",
    )
    draw = np.asarray(out["draw"])
    post = model.idata_.posterior.stack(sample=("chain", "draw"))
    counted = post["starts_counted_share"].values[draw]  # published starts per joiner
    group_of = {p: g for g, members in PLACEMENT_GROUPS.items() for p in members}
    children = out["children"].sum("age_band")
    by_group = (
        children.groupby(
            children["placement"].copy(data=[group_of[p] for p in space.placement_names])
        )
        .sum()
        .rename(placement="group")
        .transpose("path", "group", "month")
    )
    years = range(1, horizon + 1)
    stock = np.stack([by_group.isel(month=MONTHS_PER_YEAR * h).values.astype(float) for h in years])
    starts = np.stack(
        [year_of_flows(out["entries"], h).sum("placement").values * counted for h in years]
    )
    ceases = np.stack(
        [
            year_of_flows(out["exits"], h).sum(("placement", "exit_reason")).values.astype(float)
            for h in years
        ]
    )
    return xr.Dataset(
        {
            "stock": (("year", "path", "group"), stock),
            "starts": (("year", "path"), starts),
            "ceases": (("year", "path"), ceases),
        },
        coords={
            "year": [last + h for h in years],
            "group": list(by_group["group"].values),
            "draw": ("path", draw),
        },
    )


def year_of_flows(flow: xr.DataArray, year: int) -> xr.DataArray:
    """A monthly flow of the engine summed over forecast year ``year`` (1 = the 12 months
    after the starting stock).

    Month 0 is the starting stock and holds no flow; year ``k`` is months ``12k - 11`` to
    ``12k``, ending at the 31 March whose stock ``children.isel(month=12k)`` is.

    Parameters
    ----------
    flow
        ``entries`` or ``exits`` of :func:`~placecast.engine.simulate`, with dimension ``month``.
    year
        Forecast year, from 1.

    Returns
    -------
    xarray.DataArray
        ``flow`` without its ``month`` dimension.
    """
    end = MONTHS_PER_YEAR * year
    # The stop is end + 1: slicing to ``end`` once left out each year's March (11 months).
    return flow.isel(month=slice(end - MONTHS_PER_YEAR + 1, end + 1)).sum("month")


def published_shares(
    stock: np.ndarray, concentration: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Published shares of the placement groups around each path's own shares.

    Parameters
    ----------
    stock
        Children by path and group, shape (path, group).
    concentration
        Dirichlet concentration of each path's posterior draw, shape (path,).
    rng
        Random generator.

    Returns
    -------
    numpy.ndarray
        Shares, shape (path, group), each row summing to 1 (all 0 on a path with no children):
        Dirichlet with mean the path's shares and concentration ``concentration``, drawn as
        normalised gamma variates so that each path has its own parameters.
    """
    total = stock.sum(axis=1, keepdims=True)
    share = np.divide(stock, total, out=np.zeros_like(stock, dtype=float), where=total > 0)
    gammas = rng.gamma(concentration[:, None] * share + 1e-12)
    sums = gammas.sum(axis=1, keepdims=True)
    # An empty path's gammas are ~0 by underflow only: its zero shares are set, not left to that.
    return np.divide(gammas, sums, out=np.zeros_like(gammas), where=(sums > 0) & (total > 0))


def _cached_fit(
    path: Path, model: AggregateModel, known: PublishedCounts, seed: int
) -> AggregateModel | None:
    """The fit saved at ``path`` if it was made from the same data, priors, seed and fit
    settings (forecast settings may differ: it is then reforecast), else ``None``."""
    if not path.is_file():
        return None
    try:
        saved = AggregateModel.load(path)
    except InputError:
        return None
    # Processes do not change the draws; forecast settings are applied by reforecast.
    fit_only = [
        f.name
        for f in fields(AggregateSettings)
        if f.name not in FORECAST_SETTINGS and f.name != "cores"
    ]
    same = (
        all(getattr(saved, n) == getattr(model, n) for n in fit_only)
        and saved.priors.to_dict() == model.priors.to_dict()
        and saved.counts_.fingerprint() == known.fingerprint()
        and saved.seed_ == seed
    )
    if not same:
        return None
    return saved.reforecast(**{n: getattr(model, n) for n in FORECAST_SETTINGS})


def backtest_council(
    counts: PublishedCounts,
    settings: BacktestSettings = BacktestSettings(),
    priors: AggregatePriors | None = None,
    *,
    fits: str | Path | None = None,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Fit, forecast and score one council; one row per (measure, year).

    Columns: ``council``, ``la_code``, ``measure``, ``year``, ``horizon``, ``actual``, the
    forecast ``mean`` and quantiles ``q05``..``q95``, ``last_value``, ``linear_trend``, ``scale``
    and the fit's ``max_r_hat``, ``divergences`` and ``fit_seconds``.

    ``fits``: a folder where the fit is saved (``<last fit year>/<la_code>.nc``) and reused when
    the data, priors, seed and fit settings are the same, so forecast settings
    (``trend_damping``, ``forecast_shocks``) can be compared on the same posteriors; a reused
    fit keeps the ``fit_seconds`` it took.

    ``variants``: name -> forecast settings (``trend_damping``, ``forecast_shocks``, ...; see
    :meth:`AggregateModel.reforecast`) and scoring settings (``stock_noise``). The one fit is
    then forecast and scored once per variant, and the rows get a ``variant`` column: a paired
    comparison of forecasts that costs simulations, not fits, and needs no saved fits to be
    repeated later.
    """
    import time

    priors = AggregatePriors() if priors is None else priors
    origin = settings.last_fit_year
    at_origin = counts.children_in_care[counts.years == origin]
    if not (at_origin.size and np.isfinite(at_origin).all() and (at_origin > 0).all()):
        # Before any fit: a council formed later, abolished before or suppressed at the origin.
        said = "0" if at_origin.size and (at_origin == 0).all() else "no published count"
        raise InputError(
            f"{counts.council}: children in care at 31 March {origin}: {said} (the council "
            "did not exist then, its count is suppressed, or it had none), so there is no "
            f"stock to fit to {origin} and forecast from; it is left out of this origin"
        )
    known = counts.upto(origin)
    if settings.first_fit_year is not None:
        known = known.since(settings.first_fit_year)
    model = AggregateModel(priors, settings)
    path = (
        None if fits is None else Path(fits) / str(settings.last_fit_year) / f"{counts.la_code}.nc"
    )
    cached = None if path is None else _cached_fit(path, model, known, settings.seed)
    if cached is not None:
        model, seconds = cached, float(cached.idata_.attrs.get("fit_seconds", np.nan))
    else:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # diagnostics are reported in the table
            model.fit(known, seed=settings.seed)
        seconds = time.perf_counter() - t0
        if path is not None:
            model.idata_.attrs["fit_seconds"] = seconds
            model.save(path)
    if variants is None:
        return scored_forecast(model, counts, settings, seconds)
    _check_variants(variants)
    return pd.concat(
        [
            scored_variant(model, counts, settings, seconds, changes).assign(variant=name)
            for name, changes in variants.items()
        ],
        ignore_index=True,
    )


def _check_variants(variants: Mapping[str, Mapping[str, Any]]) -> None:
    """Refuse variants that would need a refit, before any fit is spent on them."""
    if not variants:
        raise ConfigError("backtest variants: give at least one (name -> forecast settings)")
    for name, changes in variants.items():
        check_variant(changes, f"backtest variant {name!r}")


def check_variant(changes: Mapping[str, Any], what: str) -> None:
    """Refuse forecast changes that would need a refit.

    Parameters
    ----------
    changes
        Settings to change without refitting: forecast settings
        (:data:`~placecast.fit.settings.FORECAST_SETTINGS`) and scoring settings
        (:data:`~placecast.evaluation.settings.SCORING_SETTINGS`).
    what
        Where the changes come from, for the error (e.g. ``"--set"``).

    Raises
    ------
    ConfigError
        Naming the settings that change the fit, and the ones that may be set.
    """
    allowed = (*FORECAST_SETTINGS, *SCORING_SETTINGS)
    other = sorted(set(changes) - set(allowed))
    if other:
        raise ConfigError(
            f"{what}: {other} change the fit; a variant may set only "
            f"{', '.join(allowed)} (run a separate backtest for fit settings)"
        )


def scored_variant(
    model: AggregateModel,
    counts: PublishedCounts,
    settings: BacktestSettings,
    seconds: float,
    changes: Mapping[str, Any],
) -> pd.DataFrame:
    """:func:`scored_forecast` of a fitted model with some settings changed, without refitting.

    Parameters
    ----------
    model, counts, settings, seconds
        As for :func:`scored_forecast`.
    changes
        Forecast settings (:data:`~placecast.fit.settings.FORECAST_SETTINGS`: applied with
        :meth:`AggregateModel.reforecast`) and scoring settings
        (:data:`~placecast.evaluation.settings.SCORING_SETTINGS`); ``settings`` takes both.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`scored_forecast` for the changed forecast.

    Raises
    ------
    ConfigError
        When ``changes`` names a setting that would need a refit.
    """
    check_variant(changes, "scored_variant")
    forecast = {k: v for k, v in changes.items() if k in FORECAST_SETTINGS}
    # The settings then describe the forecast scored, forecast settings included.
    return scored_forecast(
        model.reforecast(**forecast), counts, replace(settings, **changes), seconds
    )


def scored_forecast(
    model: AggregateModel, counts: PublishedCounts, settings: BacktestSettings, seconds: float
) -> pd.DataFrame:
    """A fitted model's forecast of the published measures, scored against ``counts`` (the
    council's whole published series) with the baselines: the rows of :func:`backtest_council`.

    ``settings`` gives the horizon, paths and seed (its ``last_fit_year`` must be the model's
    last year); ``seconds`` is the fit time reported in the rows.
    """
    if model.last_year_ != settings.last_fit_year:
        raise ConfigError(
            f"scored_forecast: the model was fitted to {model.last_year_}, the settings say "
            f"last_fit_year={settings.last_fit_year}"
        )
    forecast = forecast_published(
        model,
        settings.horizon,
        paths=settings.paths,
        seed=settings.seed,
        stock_noise=settings.stock_noise,
    )
    naive = naive_forecasts(counts, settings.last_fit_year, settings.horizon)
    rows = forecast.merge(naive, on=["measure", "year"], how="left")
    actual = pd.DataFrame(
        [
            {"measure": m, "year": int(y), "actual": float(v)}
            for m, series in measure_series(counts).items()
            for y, v in zip(counts.years, series, strict=True)
        ]
    )
    rows = rows.merge(actual, on=["measure", "year"], how="left")
    rows.insert(0, "la_code", counts.la_code)
    rows.insert(0, "council", counts.council)
    rows["horizon"] = rows["year"] - settings.last_fit_year
    diag = model.diagnostics_.iloc[0]
    rows["max_r_hat"] = float(diag["max_r_hat"])
    rows["divergences"] = int(diag["divergences"])
    rows["fit_seconds"] = seconds
    return rows


_Job = tuple[
    pd.DataFrame,
    str,
    BacktestSettings,
    AggregatePriors,
    "Path | None",
    "Mapping[str, Mapping[str, Any]] | None",
]


def _one(args: _Job) -> pd.DataFrame:
    tidy, council, settings, priors, fits, variants = args
    try:
        return backtest_council(
            published_counts(tidy, council), settings, priors, fits=fits, variants=variants
        )
    except InputError as err:  # reported, not dropped: the council appears with its reason
        return pd.DataFrame([{"council": council, "error": str(err)}])
    except Exception as err:  # one council's failure must not lose the others' results
        return pd.DataFrame([{"council": council, "error": f"{type(err).__name__}: {err}"}])


def backtest_priors(tidy: pd.DataFrame, settings: BacktestSettings) -> AggregatePriors:
    """National priors for a backtest: England's series over the fitted years only."""
    priors = national_priors(
        tidy,
        settings.last_fit_year,
        first_year=settings.first_fit_year,
        seed=settings.seed,
        placement_model=settings.placement_model,
    )
    return with_england_years(
        priors, tidy, settings.last_fit_year, settings, first_year=settings.first_fit_year
    )


def la_councils(tidy: pd.DataFrame) -> list[str]:
    """Codes of the local authorities in a tidy DfE frame (not England or the regions)."""
    return sorted(tidy.loc[tidy["geographic_level"] == "la", "la_code"].unique())


def backtest(
    tidy: pd.DataFrame,
    councils: Iterable[str] | None = None,
    settings: BacktestSettings = BacktestSettings(),
    priors: AggregatePriors | None = None,
    *,
    workers: int = 1,
    progress: bool = False,
    checkpoint: str | Path | None = None,
    fits: str | Path | None = None,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
) -> Backtest:
    """Backtest the aggregate fit for many councils (default: every local authority).

    Parameters
    ----------
    tidy
        Published tables, as returned by :func:`placecast.data.dfe.read_dfe` (any years, any of
        the layouts it reads).
    councils
        Names or codes; default every local authority in ``tidy``.
    settings
        Fit and forecast years, sampler settings, seed.
    priors
        Default: ``national_priors`` fitted to England's series up to the last fit
        year.
    workers
        Councils run in this many processes at once; with ``workers > 1`` each council samples
        its chains in turn (``cores=1``).
    progress
        Show a progress bar.
    checkpoint
        A CSV file each council's rows are appended to as it finishes; councils already in it
        are not run again (resume a long run). A council that fails is kept with its ``error``.
    fits
        A folder of saved fits, reused when nothing but the forecast settings changed (see
        :func:`backtest_council`).
    variants
        Name -> forecast settings, each scored on the same fits (see
        :func:`backtest_council`); the rows then have a ``variant`` column, and
        :meth:`Backtest.variant` picks one out.
    """
    from tqdm.auto import tqdm

    if variants is not None:
        _check_variants(variants)
        for changes in variants.values():
            replace(settings, **changes)  # a bad value is refused now, not after every fit
    if priors is None:
        priors = backtest_priors(tidy, settings)
    names: Sequence[str] = list(councils) if councils is not None else la_councils(tidy)
    parts: list[pd.DataFrame] = []
    if checkpoint is not None and Path(checkpoint).exists():
        done = pd.read_csv(checkpoint)
        parts.append(done)
        names = [c for c in names if c not in set(done["requested"])]
    run = replace(settings, cores=1) if workers > 1 else settings
    folder = None if fits is None else Path(fits)
    jobs: list[_Job] = [(tidy, c, run, priors, folder, variants) for c in names]
    columns = _COLUMNS if variants is None else [*_COLUMNS, "variant"]

    def keep(job: _Job, part: pd.DataFrame) -> None:
        part = part.assign(requested=job[1]).reindex(columns=columns)
        parts.append(part)
        if checkpoint is not None:  # append as councils finish, so a long run can resume
            header = not Path(checkpoint).exists()
            part.to_csv(checkpoint, mode="a", header=header, index=False)

    if workers > 1:
        # Fresh interpreters, not forks: JAX (used by the sampler) is multithreaded.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(_one, j): j for j in jobs}
            for future in tqdm(as_completed(futures), total=len(jobs), disable=not progress):
                keep(futures[future], future.result())
    else:
        for job in tqdm(jobs, disable=not progress):
            keep(job, _one(job))
    rows = pd.concat(parts, ignore_index=True).drop(columns="requested")
    failed = rows["error"].notna()
    skipped, rows = rows[failed], rows[~failed].drop(columns="error")
    return Backtest(
        rows=rows,
        settings=settings,
        priors_source=priors.source,
        skipped=skipped[["council", "error"]] if not skipped.empty else skipped,
    )
