"""Scoring a backtest: naive forecasts, scaled errors (MASE), interval coverage, paired runs.

Metrics follow Hyndman and Koehler (2006): the mean absolute scaled error (MASE) divides absolute
errors by the mean absolute year-on-year change in the fitted years, so councils of every size
can be pooled. Interval coverage is the share of published values inside the 50% and 90%
forecast intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from placecast.data.dfe import PLACEMENT_GROUPS, PublishedCounts
from placecast.errors import ConfigError, InputError
from placecast.evaluation.settings import BacktestSettings

__all__ = ["COVID_YEARS", "MEASURES", "Backtest", "measure_series", "naive_forecasts"]

#: Published measures the backtest scores.
MEASURES = ("children_in_care", "fostering", "residential_semi_independent", "starts", "ceases")

#: Forecast years (to 31 March) the evidence is also scored without: the years touched by the
#: COVID-19 pandemic, which no council's past could foretell.
COVID_YEARS = (2020, 2021)


def measure_series(counts: PublishedCounts) -> dict[str, np.ndarray]:
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
    for measure, series in measure_series(counts).items():
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

    def variant(self, name: str) -> Backtest:
        """The rows of one forecast variant of a backtest run with ``variants`` (see
        :func:`~placecast.evaluation.backtesting.backtest`), as a backtest of its own.

        Raises
        ------
        ConfigError
            The backtest has no variants, or none called ``name``.
        """
        if "variant" not in self.rows.columns:
            raise ConfigError(f"Backtest.variant({name!r}): this backtest was run without variants")
        known = list(dict.fromkeys(self.rows["variant"].dropna()))
        if name not in known:
            raise ConfigError(f"Backtest.variant: no variant {name!r}; the variants are {known}")
        rows = self.rows[self.rows["variant"] == name].drop(columns="variant")
        return replace(self, rows=rows.reset_index(drop=True))

    def scored(self) -> pd.DataFrame:
        """Rows with a published actual and a usable scale, plus absolute errors and coverage."""
        if "variant" in self.rows.columns and self.rows["variant"].nunique() > 1:
            raise ConfigError(
                "Backtest: the rows hold several forecast variants; score one at a time with "
                "Backtest.variant(name)"
            )
        r = self.rows.dropna(subset=["actual", "mean"]).copy()
        r = r[r["scale"] > 0]
        r["abs_error"] = (r["q50"] - r["actual"]).abs()
        r["abs_error_last_value"] = (r["last_value"] - r["actual"]).abs()
        r["abs_error_linear_trend"] = (r["linear_trend"] - r["actual"]).abs()
        # "_paths": the paths' own intervals, as a report shows them (rows since 2026-12-07);
        # scored only if every row has them, so that rows of older runs pooled in do not count
        # as misses
        paths = "q05_paths" in r and bool(r["q05_paths"].notna().all())
        for suffix in ("", "_paths") if paths else ("",):
            low50, high50, low90, high90 = (f"q{q}{suffix}" for q in ("25", "75", "05", "95"))
            r[f"in_50{suffix}"] = (r["actual"] >= r[low50]) & (r["actual"] <= r[high50])
            r[f"in_90{suffix}"] = (r["actual"] >= r[low90]) & (r["actual"] <= r[high90])
            r[f"below_90{suffix}"] = r["actual"] < r[low90]  # which way the misses fall
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

    def by_horizon(
        self, *, exclude_years: tuple[int, ...] = (), resamples: int = 2000, seed: int = 0
    ) -> pd.DataFrame:
        """Accuracy and coverage by measure and horizon, over councils (rolling origins pooled).

        For each (measure, horizon): the councils scored, each method's median MASE (a council's
        scaled errors averaged over its origins first), placecast's gap to each baseline
        (median minus median) with a 90% bootstrap interval over councils, the pooled 50% /
        90% interval coverage and the shares of outcomes below and above the 90% interval
        (``below_90``, ``above_90``; and ``coverage_50_paths``, ``coverage_90_paths``,
        ``below_90_paths`` and ``above_90_paths``, of the paths' own intervals as a report shows
        them, where the rows hold them). ``exclude_years`` drops forecast years (e.g.
        ``COVID_YEARS``).
        """
        r = self.scored()
        r = r[~r["year"].isin(list(exclude_years))]
        methods = {"placecast": "abs_error", "last_value": "abs_error_last_value"}
        methods["linear_trend"] = "abs_error_linear_trend"
        for col in methods.values():
            r[col] = r[col] / r["scale"]
        rng = np.random.default_rng(seed)
        out = []
        for (measure, horizon), part in r.groupby(["measure", "horizon"], sort=True):
            per = part.groupby("council")[list(methods.values())].mean()
            row: dict[str, object] = {
                "measure": measure,
                "horizon": int(horizon),
                "councils": len(per),
                **{f"median_mase_{m}": float(per[c].median()) for m, c in methods.items()},
                "coverage_50": float(part["in_50"].mean()),
                "coverage_90": float(part["in_90"].mean()),
                "below_90": float(part["below_90"].mean()),
                "above_90": float(1 - part["in_90"].mean() - part["below_90"].mean()),
            }
            if "in_50_paths" in part:  # the report's own intervals, where the rows have them
                row["coverage_50_paths"] = float(part["in_50_paths"].mean())
                row["coverage_90_paths"] = float(part["in_90_paths"].mean())
                row["below_90_paths"] = float(part["below_90_paths"].mean())
                row["above_90_paths"] = float(
                    1 - part["in_90_paths"].mean() - part["below_90_paths"].mean()
                )
            pick = rng.integers(0, len(per), (resamples, len(per)))
            ours = per["abs_error"].to_numpy()
            for m in ("last_value", "linear_trend"):
                theirs = per[methods[m]].to_numpy()
                gaps = np.median(ours[pick], axis=1) - np.median(theirs[pick], axis=1)
                row[f"gap_{m}"] = float(np.median(ours) - np.median(theirs))
                row[f"gap_{m}_q05"], row[f"gap_{m}_q95"] = (
                    float(q) for q in np.quantile(gaps, [0.05, 0.95])
                )
            out.append(row)
        return pd.DataFrame(out).set_index(["measure", "horizon"])

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
