"""What England's placement-mix trend would have changed in a stored rolling run, post hoc.

``python benchmarks/mix_trend_check.py RUN [--variant NAME ...] [--partial]``

England's share of children in care in fostering fell, and in residential + semi-independent
rose, from 2016 to 2022 (0.736 to 0.696; 0.151 to 0.184), while the forecast holds each
council's mix nearly still. This check scales each stored forecast of the two groups (every
quantile) by England's mean yearly change of the group's share, from 2016 (the first year whose
residential group counts independent living) to the last published mix up to the origin,
compounded over the horizon, and scores the result like the run. It is not a model: no fit
sees the trend and the groups no longer add up to the total. It says whether a national mix
trend is worth a run of its own.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from compare_variants import paired_gap

from placecast.data.dfe import published_counts
from placecast.data.published import published_tables
from placecast.evaluation import Backtest, BacktestSettings

RUNS = Path(__file__).parent / "runs"
GROUPS = ("fostering", "residential_semi_independent")
FIRST_YEAR = 2016
QUANTILES = ("mean", "q05", "q25", "q50", "q75", "q95")


def england_shares() -> pd.DataFrame:
    """England's published share of children in care by placement group, by 31 March."""
    england = published_counts(published_tables(), "England")
    counts = pd.DataFrame(
        england.stock_by_group, index=list(england.years), columns=[*GROUPS, "other"]
    )
    return counts.div(counts.sum(axis=1), axis=0).dropna()


def with_mix_trend(rows: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the two groups' forecasts scaled by England's share trend to each origin."""
    out = rows.copy()
    origin = out["year"] - out["horizon"]
    logs = np.log(shares)

    def slope(o: int, group: str) -> float:
        # The last published mix up to the origin (2020 has none: 2019's).
        last = max(y for y in logs.index if y <= o)
        return float((logs.at[last, group] - logs.at[FIRST_YEAR, group]) / (last - FIRST_YEAR))

    for group in GROUPS:
        here = out["measure"] == group
        per_year = origin[here].map(lambda o, g=group: slope(int(o), g))
        factor = np.exp(out.loc[here, "horizon"] * per_year)
        for column in QUANTILES:
            out.loc[here, column] = out.loc[here, column] * factor
    return out


def council_means(bt: Backtest, measures: tuple[str, ...]) -> pd.Series:
    """Each council's scaled error over the cells of ``measures`` (as the rules average)."""
    r = bt.scored()
    r = r[r["measure"].isin(measures)].assign(scaled=lambda d: d["abs_error"] / d["scale"])
    return r.groupby(["council", "measure", "horizon"])["scaled"].mean().groupby("council").mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--variant", action="append", default=None)
    parser.add_argument("--partial", action="store_true", help="rows of a run in progress")
    args = parser.parse_args()
    folder = RUNS / "partial" / args.run if args.partial else RUNS / args.run
    files = sorted(folder.glob("origin_*.csv")) if args.partial else [folder / "rows.csv"]
    rows = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    rows = rows[rows["error"].isna()] if "error" in rows else rows
    shares = england_shares()
    print("England's share by 31 March:\n" + shares.round(4).to_string())
    origins = sorted((rows["year"] - rows["horizon"]).unique())
    print(f"\n{args.run}: origins {[int(o) for o in origins]}")
    variants = args.variant or (
        list(dict.fromkeys(rows["variant"].dropna())) if "variant" in rows else [None]
    )
    for name in variants:
        mine = rows if name is None else rows[rows["variant"] == name].drop(columns="variant")
        model = Backtest(mine.reset_index(drop=True), BacktestSettings())
        trend = Backtest(with_mix_trend(model.rows, shares), BacktestSettings())
        table = pd.concat(
            {
                "model": model.by_horizon(resamples=10)[["median_mase_placecast", "coverage_90"]],
                "with England's mix trend": trend.by_horizon(resamples=10)[
                    ["median_mase_placecast", "coverage_90"]
                ],
            },
            axis=1,
        )
        baseline = model.by_horizon(resamples=10)[["median_mase_last_value"]]
        print(f"\n### {name or 'the run'}")
        table[("last value", "median_mase")] = baseline["median_mase_last_value"]
        print(table.loc[list(GROUPS)].round(3).to_string())
        for measures in ((GROUPS[0],), (GROUPS[1],), GROUPS):
            gap, low, high = paired_gap(
                council_means(trend, measures), council_means(model, measures)
            )
            print(f"paired gap, {' + '.join(measures)}: {gap:+.3f} ({low:+.3f} to {high:+.3f})")


if __name__ == "__main__":
    main()
