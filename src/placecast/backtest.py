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
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.data.dfe import PLACEMENT_GROUPS, PublishedCounts, published_counts
from placecast.errors import InputError
from placecast.fit.aggregate import AggregateModel
from placecast.fit.priors import AggregatePriors
from placecast.simulate import simulate
from placecast.states import MONTHS_PER_YEAR
from placecast.supply import CarerSupply

#: Published measures the backtest scores.
MEASURES = ("children_in_care", "fostering", "residential_semi_independent", "starts", "ceases")
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
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
_UNLIMITED = CarerSupply(
    households=1e6,
    places_per_household=1.0,
    approvals_per_year=0.0,
    deregistration_rate_per_year=0.0,
)


@dataclass(frozen=True)
class BacktestSettings:
    """What to fit and forecast.

    Parameters
    ----------
    last_fit_year
        Last year (ending 31 March) the model sees.
    horizon
        Years forecast after it.
    first_fit_year
        First year used (the starting stock); default: the first with a published breakdown.
    paths
        Simulated paths per council.
    draws, tune, chains, cores
        NUTS settings per council (``cores`` processes sample the chains; 1 runs them in turn,
        as needed when councils run in parallel).
    seed
        Seed for the fit and the simulation.
    entry_model
        How entries move from year to year (``AggregateModel.entry_model``).
    exit_model
        How the level of exit rates moves from year to year (``AggregateModel.exit_model``).
    placement_model
        How the pull of residential / semi-independent placements moves from year to year
        (``AggregateModel.placement_model``).
    """

    last_fit_year: int = 2017
    horizon: int = 2
    first_fit_year: int | None = None
    paths: int = 1000
    draws: int = 500
    tune: int = 300
    chains: int = 2
    cores: int = 2
    seed: int = 0
    entry_model: str = "random_walk"
    exit_model: str = "random_walk"
    placement_model: str = "random_walk"


def _measure_series(counts: PublishedCounts) -> dict[str, np.ndarray]:
    groups = list(PLACEMENT_GROUPS)
    return {
        "children_in_care": counts.children_in_care,
        "fostering": counts.stock_by_group[:, groups.index("fostering")],
        "residential_semi_independent": counts.stock_by_group[
            :, groups.index("residential_semi_independent")
        ],
        "starts": counts.starts,
        "ceases": counts.ceases,
    }


def naive_forecasts(counts: PublishedCounts, last_fit_year: int, horizon: int) -> pd.DataFrame:
    """Last-value and linear-trend forecasts, and the in-sample MASE scale, per measure.

    Returns one row per (measure, year) with ``last_value``, ``linear_trend`` and ``scale`` (mean
    absolute year-on-year change over the fitted years; NaN with fewer than two years).
    """
    rows = []
    known = counts.years <= last_fit_year
    for measure, series in _measure_series(counts).items():
        ok = known & ~np.isnan(series)
        years, values = counts.years[ok], series[ok]
        if values.size == 0:
            continue
        steps = np.abs(np.diff(values))[np.diff(years) == 1]
        scale = float(steps.mean()) if steps.size else np.nan
        if values.size >= 2:
            slope, intercept = np.polyfit(years, values, 1)
        else:
            slope, intercept = 0.0, float(values[-1])
        for h in range(1, horizon + 1):
            year = last_fit_year + h
            rows.append(
                {
                    "measure": measure,
                    "year": year,
                    "last_value": float(values[-1]),
                    "linear_trend": float(max(intercept + slope * year, 0.0)),
                    "scale": scale,
                }
            )
    return pd.DataFrame(rows)


def forecast_published(
    model: AggregateModel, horizon: int, *, paths: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """Simulate the published measures for ``horizon`` years after the model's last year.

    Each path runs the engine on one posterior draw of the rates (its entries times the draw's
    ``starts_counted_share`` are the published starts). Published values then stray from the
    path as the fit says they stray from the model, so intervals cover what will be *published*,
    not only the model's own randomness: children in care, starts and ceases are multiplied by a
    gamma factor with mean 1 and the draw's ``count_cv``; the placement groups split the published
    total in shares drawn from a Dirichlet around the path's shares with the draw's
    ``share_concentration`` (the fit's Dirichlet-multinomial less its multinomial part, which the
    engine's own randomness stands for). Returns one row per (measure, year) with the forecast
    mean and the :data:`QUANTILES`.
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
    post = model.idata_.posterior.stack(sample=("chain", "draw"))
    draw = np.asarray(out["draw"])
    shape = 1.0 / np.square(post["count_cv"].values[draw])
    concentration = post["share_concentration"].values[draw]
    counted = post["starts_counted_share"].values[draw]  # published starts per joiner
    rng = np.random.default_rng(seed)

    def misfit() -> np.ndarray:
        return rng.gamma(shape, 1.0 / shape)

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
    groups = list(by_group["group"].values)
    rows = []
    for h in range(1, horizon + 1):
        end = MONTHS_PER_YEAR * h
        months = slice(end - MONTHS_PER_YEAR + 1, end)
        stock = by_group.isel(month=end).values.astype(float)  # (path, group)
        total = stock.sum(axis=1)
        published_total = total * misfit()
        shares = published_shares(stock, concentration, rng)
        sims = {
            "children_in_care": published_total,
            **{
                g: published_total * shares[:, groups.index(g)]
                for g in ("fostering", "residential_semi_independent")
            },
            "starts": out["entries"].isel(month=months).sum(("month", "placement")).values
            * counted
            * misfit(),
            "ceases": out["exits"]
            .isel(month=months)
            .sum(("month", "placement", "exit_reason"))
            .values
            * misfit(),
        }
        for measure, values in sims.items():
            v = np.asarray(values, dtype=float)
            q = np.quantile(v, QUANTILES)
            rows.append(
                {
                    "measure": measure,
                    "year": last + h,
                    "mean": float(v.mean()),
                    **{
                        f"q{round(p * 100):02d}": float(x)
                        for p, x in zip(QUANTILES, q, strict=True)
                    },
                }
            )
    return pd.DataFrame(rows)


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


def backtest_council(
    counts: PublishedCounts,
    settings: BacktestSettings = BacktestSettings(),
    priors: AggregatePriors | None = None,
) -> pd.DataFrame:
    """Fit, forecast and score one council; one row per (measure, year).

    Columns: ``council``, ``la_code``, ``measure``, ``year``, ``horizon``, ``actual``, the
    forecast ``mean`` and quantiles ``q05``..``q95``, ``last_value``, ``linear_trend``, ``scale``
    and the fit's ``max_r_hat``, ``divergences`` and ``fit_seconds``.
    """
    import time

    priors = AggregatePriors() if priors is None else priors
    known = counts.upto(settings.last_fit_year)
    if settings.first_fit_year is not None:
        known = known.since(settings.first_fit_year)
    model = AggregateModel(
        priors=priors,
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        cores=settings.cores,
        entry_model=settings.entry_model,
        exit_model=settings.exit_model,
        placement_model=settings.placement_model,
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # diagnostics are reported in the table
        model.fit(known, seed=settings.seed)
    seconds = time.perf_counter() - t0
    forecast = forecast_published(model, settings.horizon, paths=settings.paths, seed=settings.seed)
    naive = naive_forecasts(counts, settings.last_fit_year, settings.horizon)
    rows = forecast.merge(naive, on=["measure", "year"], how="left")
    actual = pd.DataFrame(
        [
            {"measure": m, "year": int(y), "actual": float(v)}
            for m, series in _measure_series(counts).items()
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


def _one(args: tuple[pd.DataFrame, str, BacktestSettings, AggregatePriors]) -> pd.DataFrame:
    tidy, council, settings, priors = args
    try:
        return backtest_council(published_counts(tidy, council), settings, priors)
    except InputError as err:  # reported, not dropped: the council appears with its reason
        return pd.DataFrame([{"council": council, "error": str(err)}])
    except Exception as err:  # one council's failure must not lose the others' results
        return pd.DataFrame([{"council": council, "error": f"{type(err).__name__}: {err}"}])


@dataclass
class Backtest:
    """Backtest results for many councils.

    Attributes
    ----------
    rows
        One row per (council, measure, year): forecasts, naive forecasts and actuals (see
        :func:`backtest_council`); councils that could not be run have an ``error``.
    settings
        What was fitted and forecast.
    priors_source
        Where the priors came from.
    """

    rows: pd.DataFrame
    settings: BacktestSettings
    priors_source: str = ""
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame)

    def scored(self) -> pd.DataFrame:
        """Rows with a published actual and a usable scale, plus absolute errors and coverage."""
        r = self.rows.dropna(subset=["actual", "mean"]).copy()
        r = r[r["scale"] > 0]
        r["abs_error"] = (r["q50"] - r["actual"]).abs()
        r["abs_error_last_value"] = (r["last_value"] - r["actual"]).abs()
        r["abs_error_linear_trend"] = (r["linear_trend"] - r["actual"]).abs()
        r["in_50"] = (r["actual"] >= r["q25"]) & (r["actual"] <= r["q75"])
        r["in_90"] = (r["actual"] >= r["q05"]) & (r["actual"] <= r["q95"])
        return r

    def council_mase(self) -> pd.DataFrame:
        """MASE per (council, measure) over the forecast years, for placecast and both baselines."""
        r = self.scored()
        for col in ("abs_error", "abs_error_last_value", "abs_error_linear_trend"):
            r[col] = r[col] / r["scale"]
        return (
            r.groupby(["council", "measure"])[
                ["abs_error", "abs_error_last_value", "abs_error_linear_trend"]
            ]
            .mean()
            .rename(
                columns={
                    "abs_error": "placecast",
                    "abs_error_last_value": "last_value",
                    "abs_error_linear_trend": "linear_trend",
                }
            )
        )

    def summary(self) -> pd.DataFrame:
        """One row per measure (and all measures): median MASE of placecast and the baselines,
        share of councils where placecast beats each, and 50% / 90% interval coverage."""
        mase = self.council_mase().reset_index()
        scored = self.scored()
        out = []
        for measure in [*MEASURES, "all"]:
            m = mase if measure == "all" else mase[mase["measure"] == measure]
            s = scored if measure == "all" else scored[scored["measure"] == measure]
            if m.empty:
                continue
            out.append(
                {
                    "measure": measure,
                    "councils": m["council"].nunique(),
                    "median_mase_placecast": m["placecast"].median(),
                    "median_mase_last_value": m["last_value"].median(),
                    "median_mase_linear_trend": m["linear_trend"].median(),
                    "beats_last_value": (m["placecast"] < m["last_value"]).mean(),
                    "beats_linear_trend": (m["placecast"] < m["linear_trend"]).mean(),
                    "coverage_50": s["in_50"].mean(),
                    "coverage_90": s["in_90"].mean(),
                }
            )
        return pd.DataFrame(out).set_index("measure")

    def markdown(self) -> str:
        """The summary as a Markdown table (for benchmarks/README.md and the docs)."""
        t = self.summary()
        lines = [
            "| measure | councils | median MASE placecast | last value | linear trend "
            "| beats last value | beats trend | 50% coverage | 90% coverage |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for measure, r in t.iterrows():
            lines.append(
                f"| {str(measure).replace('_', ' ')} | {int(r['councils'])} "
                f"| {r['median_mase_placecast']:.2f} | {r['median_mase_last_value']:.2f} "
                f"| {r['median_mase_linear_trend']:.2f} | {r['beats_last_value']:.0%} "
                f"| {r['beats_linear_trend']:.0%} | {r['coverage_50']:.0%} "
                f"| {r['coverage_90']:.0%} |"
            )
        return "\n".join(lines)

    def compare(self, baseline: Backtest, *, resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
        """Paired comparison with another run (other settings or priors) on the same councils.

        A median MASE over some 150 councils moves by several hundredths from noise alone
        (which councils sit near the median, the sampler's draws), so two models are compared
        council by council. Per measure (and all together): the number of councils both runs
        scored, each run's median MASE on them, the difference (this run minus ``baseline``)
        with a 90% bootstrap interval that resamples councils (all of a council's measures
        together), and the share of councils (for all measures: of council-measure pairs, as
        in :meth:`summary`) where this run's MASE is the lower.

        Parameters
        ----------
        baseline
            The run to compare against.
        resamples
            Bootstrap resamples (:func:`scipy.stats.bootstrap`, percentile interval).
        seed
            Seed of the resampling.

        Raises
        ------
        InputError
            If the two runs have no scored council in common.
        """
        from scipy.stats import bootstrap

        ours = self.council_mase()["placecast"].unstack("measure")
        theirs = baseline.council_mase()["placecast"].unstack("measure")
        councils = ours.index.intersection(theirs.index)
        if councils.empty:
            raise InputError("Backtest.compare: the two runs have no scored council in common")
        measures = [m for m in MEASURES if m in ours.columns and m in theirs.columns]
        a = ours.loc[councils, measures].to_numpy()
        b = theirs.loc[councils, measures].to_numpy()
        rng = np.random.default_rng(seed)
        out = []
        for name, cols in [*((m, [k]) for k, m in enumerate(measures)), ("all", None)]:
            a_m = a if cols is None else a[:, cols]
            b_m = b if cols is None else b[:, cols]

            def difference(
                index: np.ndarray, a_m: np.ndarray = a_m, b_m: np.ndarray = b_m
            ) -> float:
                rows = index.astype(int)  # resampled councils, each with all its measures
                return float(np.nanmedian(a_m[rows]) - np.nanmedian(b_m[rows]))

            ci = bootstrap(
                (np.arange(len(councils), dtype=float),),
                difference,
                n_resamples=resamples,
                confidence_level=0.9,
                method="percentile",
                vectorized=False,
                random_state=rng,
            ).confidence_interval
            both = ~(np.isnan(a_m) | np.isnan(b_m))
            out.append(
                {
                    "measure": name,
                    "councils": int(both.any(axis=1).sum()),
                    "median_mase": float(np.nanmedian(a_m)),
                    "median_mase_baseline": float(np.nanmedian(b_m)),
                    "difference": float(np.nanmedian(a_m) - np.nanmedian(b_m)),
                    "difference_q05": float(ci.low),
                    "difference_q95": float(ci.high),
                    "lower_share": float((a_m[both] < b_m[both]).mean()),
                }
            )
        return pd.DataFrame(out).set_index("measure")


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
        Default: :meth:`AggregatePriors.national` fitted to England's series up to the last fit
        year.
    workers
        Councils run in this many processes at once; with ``workers > 1`` each council samples
        its chains in turn (``cores=1``).
    progress
        Show a progress bar.
    checkpoint
        A CSV file each council's rows are appended to as it finishes; councils already in it
        are not run again (resume a long run). A council that fails is kept with its ``error``.
    """
    from tqdm.auto import tqdm

    if priors is None:
        priors = AggregatePriors.national(
            tidy,
            settings.last_fit_year,
            first_year=settings.first_fit_year,
            seed=settings.seed,
            placement_model=settings.placement_model,
        )
    names: Sequence[str] = list(councils) if councils is not None else la_councils(tidy)
    parts: list[pd.DataFrame] = []
    if checkpoint is not None and Path(checkpoint).exists():
        done = pd.read_csv(checkpoint)
        parts.append(done)
        names = [c for c in names if c not in set(done["requested"])]
    run = replace(settings, cores=1) if workers > 1 else settings
    jobs = [(tidy, c, run, priors) for c in names]

    def keep(
        job: tuple[pd.DataFrame, str, BacktestSettings, AggregatePriors], part: pd.DataFrame
    ) -> None:
        part = part.assign(requested=job[1]).reindex(columns=_COLUMNS)
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
