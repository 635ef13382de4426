"""Compare forecast variants scored on the same fits (``bench_rolling.py --fits --variant``).

Run: ``python benchmarks/compare_variants.py REFERENCE RUN [RUN ...]`` with stored rolling runs.
For each run: the mean over the (measure, horizon) cells of the median-council MASE, the mean
absolute gap between pooled coverage and nominal (50% and 90%), and - against REFERENCE - the
paired gap in each council's MASE averaged over its cells (median over councils, this run minus
REFERENCE) with a 90% bootstrap interval that resamples councils. These are the quantities the
rule written before the forecast-paths run uses (benchmarks/README.md).

``--by council_origin`` pairs each council's fit at each origin instead (few councils: the small
councils' rule); ``--common`` scores every run, the reference too, on the councils all of them
hold (a run of a few councils against the all-council run).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.evaluation import COVID_YEARS, Backtest, BacktestSettings

RUNS = Path(__file__).parent / "runs"


def load(name: str, councils: set[str] | None = None) -> Backtest:
    rows = pd.read_csv(RUNS / name / "rows.csv")
    if "error" in rows:
        rows = rows[rows["error"].isna()]
    if councils is not None:
        rows = rows[rows["la_code"].isin(councils)]
    return Backtest(rows, BacktestSettings())


#: What makes a forecast row the same forecast in two runs scored on the same fits (the year
#: and horizon give the origin, which runs made by ``reforecast_fits.py`` do not store).
ROW_KEY = ["la_code", "measure", "year", "horizon"]


def paired(run: Backtest, reference: Backtest) -> tuple[Backtest, Backtest]:
    """Both runs cut to the forecasts each holds (a variant added to a run in progress was not
    scored on its earlier fits: comparing its councils' averages with the reference's over
    other origins would not be a paired comparison)."""
    keys = run.rows[ROW_KEY].merge(reference.rows[ROW_KEY].drop_duplicates()).drop_duplicates()

    def cut(bt: Backtest) -> Backtest:
        return Backtest(bt.rows.merge(keys, on=ROW_KEY), bt.settings)

    return cut(run), cut(reference)


def paired_council_gap(
    run: Backtest,
    reference: Backtest,
    exclude_years: tuple[int, ...] = (),
    by: str = "council",
) -> tuple[float, float, float, int]:
    """:func:`paired_gap` of :func:`council_cells` on the forecasts both runs hold, and how
    many councils (or councils and origins) it pairs."""
    mine, theirs = paired(run, reference)
    a, b = council_cells(mine, exclude_years, by), council_cells(theirs, exclude_years, by)
    return (*paired_gap(a, b), len(a.index.intersection(b.index)))


def coverage_90(bt: Backtest, exclude_years: tuple[int, ...] = ()) -> pd.Series:
    """Pooled 90% coverage by (measure, horizon)."""
    return bt.by_horizon(exclude_years=exclude_years, resamples=10)["coverage_90"]


def further_from_90(
    run: Backtest, reference: Backtest, exclude_years: tuple[int, ...] = ()
) -> pd.Series:
    """How much further from 90% each (measure, horizon) cell's pooled 90% coverage is in
    ``run`` than in ``reference`` (negative: closer)."""
    mine, theirs = coverage_90(run, exclude_years), coverage_90(reference, exclude_years)
    return (mine - 0.9).abs() - (theirs - 0.9).abs()


def council_cells(
    bt: Backtest, exclude_years: tuple[int, ...] = (), by: str = "council"
) -> pd.Series:
    """Each council's (or council and origin's, ``by="council_origin"``) scaled error averaged
    over origins within a cell, then over its cells."""
    r = bt.scored()
    r = r[~r["year"].isin(list(exclude_years))]
    r = r.assign(scaled=r["abs_error"] / r["scale"])
    unit = ["council"] if by == "council" else ["council", "origin"]
    cells = r.groupby([*unit, "measure", "horizon"])["scaled"].mean()
    return cells.groupby(unit).mean()


def summary(bt: Backtest, exclude_years: tuple[int, ...] = ()) -> dict[str, float]:
    t = bt.by_horizon(exclude_years=exclude_years, resamples=10)
    r = bt.scored()
    r = r[~r["year"].isin(list(exclude_years))]
    coverage_gap = (
        (t["coverage_50"] - 0.5).abs().mean() + (t["coverage_90"] - 0.9).abs().mean()
    ) / 2
    return {
        "cells": len(t),
        "mean_median_mase": float(t["median_mase_placecast"].mean()),
        "mean_median_mase_last_value": float(t["median_mase_last_value"].mean()),
        "mean_median_mase_linear_trend": float(t["median_mase_linear_trend"].mean()),
        "cells_below_both": int(
            (
                (t["median_mase_placecast"] < t["median_mase_last_value"])
                & (t["median_mase_placecast"] < t["median_mase_linear_trend"])
            ).sum()
        ),
        "mean_coverage_gap": float(coverage_gap),
        "coverage_90_pooled": float(r["actual"].between(r["q05"], r["q95"]).mean()),
    }


def paired_gap(
    run: pd.Series, reference: pd.Series, resamples: int = 4000, seed: int = 0
) -> tuple[float, float, float]:
    common = run.index.intersection(reference.index)
    a, b = run[common].to_numpy(), reference[common].to_numpy()
    pick = np.random.default_rng(seed).integers(0, len(common), (resamples, len(common)))
    gaps = np.median(a[pick], axis=1) - np.median(b[pick], axis=1)
    low, high = np.quantile(gaps, [0.05, 0.95])
    return float(np.median(a) - np.median(b)), float(low), float(high)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference")
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--by", choices=["council", "council_origin"], default="council")
    parser.add_argument("--common", action="store_true", help="only councils every run holds")
    args = parser.parse_args()
    councils = None
    if args.common:
        held = [
            set(pd.read_csv(RUNS / n / "rows.csv")["la_code"]) for n in [args.reference, *args.runs]
        ]
        councils = set.intersection(*held)
    for label, excluded in (("all forecast years", ()), ("without 2020-21", COVID_YEARS)):
        reference = load(args.reference, councils)
        rows = []
        for name in [args.reference, *args.runs]:
            bt = reference if name == args.reference else load(name, councils)
            gap = paired_council_gap(bt, reference, excluded, args.by)
            rows.append(
                {
                    "run": name,
                    **summary(bt, excluded),
                    "gap_to_reference": gap[0],
                    "gap_q05": gap[1],
                    "gap_q95": gap[2],
                }
            )
        print(f"\n{label} (gap = run - {args.reference}, councils' MASE averaged over cells)")
        print(pd.DataFrame(rows).set_index("run").round(3).to_string())


if __name__ == "__main__":
    main()
