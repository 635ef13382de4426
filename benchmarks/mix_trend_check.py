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

import numpy as np
import pandas as pd
from compare_variants import council_cells, paired_gap
from tables import partial_run, variant_run

from placecast.data.dfe import PLACEMENT_GROUPS, published_counts
from placecast.data.published import published_tables
from placecast.evaluation import Backtest

GROUPS = ("fostering", "residential_semi_independent")
FIRST_YEAR = 2016
QUANTILES = ("mean", "q05", "q25", "q50", "q75", "q95")


def england_shares() -> pd.DataFrame:
    """England's published share of children in care by placement group, by 31 March."""
    england = published_counts(published_tables(), "England")
    counts = pd.DataFrame(
        england.stock_by_group, index=list(england.years), columns=list(PLACEMENT_GROUPS)
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


def only(bt: Backtest, measures: tuple[str, ...]) -> Backtest:
    """``bt`` cut to the rows of ``measures``."""
    return Backtest(bt.rows[bt.rows["measure"].isin(measures)], bt.settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument(
        "--variant",
        action="append",
        default=None,
        help="forecast variant, repeatable (default: every variant of a partial run, else base)",
    )
    parser.add_argument("--partial", action="store_true", help="rows of a run in progress")
    args = parser.parse_args()
    variants = args.variant or (sorted(partial_run(args.run)[0]) if args.partial else ["base"])
    shares = england_shares()
    print("England's share by 31 March:\n" + shares.round(4).to_string())
    columns = ["median_mase_placecast", "coverage_90"]
    for name in variants:
        model = variant_run(args.run, name, args.partial)
        trend = Backtest(with_mix_trend(model.rows, shares), model.settings)
        origins = sorted((model.rows["year"] - model.rows["horizon"]).unique())
        print(f"\n### {args.run}, {name}: origins {[int(o) for o in origins]}")
        scored = model.by_horizon(resamples=10)
        table = pd.concat(
            {
                "model": scored[columns],
                "with England's mix trend": trend.by_horizon(resamples=10)[columns],
                "last value": scored[["median_mase_last_value"]],
            },
            axis=1,
        )
        print(table.loc[list(GROUPS)].round(3).to_string())
        for measures in ((GROUPS[0],), (GROUPS[1],), GROUPS):
            gap, low, high = paired_gap(
                council_cells(only(trend, measures)), council_cells(only(model, measures))
            )
            print(f"paired gap, {' + '.join(measures)}: {gap:+.3f} ({low:+.3f} to {high:+.3f})")


if __name__ == "__main__":
    main()
