"""How much of a council's change in one year carries into the next? (DfE tables, 2015-2019.)

Run: ``python benchmarks/persistence.py [--data folder]``. For every local authority, relative
year-on-year changes of children in care, fostering, residential / semi-independent, starts and
ceases; then, across councils, the least-squares slope and correlation of next year's change on
this year's. A slope near 0 means a council's own last change says little about its next (the
last value is hard to beat); a negative slope means changes partly reverse (a smoothed level
beats the last value). Then how much of the residential / semi-independent share's yearly
change lasts (a random walk under counting noise). Then, for every last known year, how the
last value does against the last value grown at England's own growth to that year. Also the
gap between the change of the stock and starts minus ceases.
Printed as tables; recorded in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.data.dfe import published_counts, read_dfe
from placecast.errors import InputError
from placecast.evaluation import la_councils, measure_series

HERE = Path(__file__).parent
DATA = HERE.parent.parent / "shared" / "data" / "dfe_cla_la_2015_2019"


def council_series(tidy: pd.DataFrame) -> pd.DataFrame:
    """One row per (council, year): the five published measures."""
    frames = []
    for code in la_councils(tidy):
        try:
            c = published_counts(tidy, code)
        except InputError:
            continue  # councils without a usable series (listed by the backtest)
        frames.append(pd.DataFrame({"council": c.council, "year": c.years, **measure_series(c)}))
    return pd.concat(frames, ignore_index=True).set_index(["council", "year"]).sort_index()


def persistence(series: pd.DataFrame) -> pd.DataFrame:
    """Slope and correlation across councils of the relative change in year t+1 on year t's.

    Also the sd of a *lasting* council-specific change: the square root of the covariance across
    councils of consecutive yearly log changes (each year's mean over councils taken out), the
    part of one year's change that is still there the next (the prior sd of
    ``national_priors``'s stock-growth prior comes from the years up to 2017), and the
    sd of single years' log changes.

    And the sd of a *random walk* under counting noise: if a log series is a random walk (sd
    ``w`` a year) observed with independent noise (sd ``e``), consecutive yearly log changes
    have variance ``w**2 + 2 e**2`` and covariance ``-e**2`` (the noise reverses), so ``w**2``
    is the variance of the later change plus twice the covariance. For the residential /
    semi-independent share (:func:`residential_share`) this is the source of
    ``AggregatePriors.pull_year_sd`` (the pair to 2016/17 only, so a backtest from 2017 does
    not peek).
    """
    change = series.groupby(level="council").pct_change(fill_method=None)
    log_change = np.log(series.where(series > 0)).groupby(level="council").diff()
    rows = []
    years = sorted(series.index.get_level_values("year").unique())
    for measure in series.columns:
        wide = change[measure].unstack("year")
        for t in years[1:-1]:
            pair = wide[[t, t + 1]].replace([np.inf, -np.inf], np.nan).dropna()
            if len(pair) < 10:
                continue
            slope = np.polyfit(pair[t], pair[t + 1], 1)[0]
            logs = log_change[measure].unstack("year")[[t, t + 1]].dropna()
            cov = np.cov(logs[t], logs[t + 1])
            lasting = cov[0, 1]
            rows.append(
                {
                    "measure": measure,
                    "change in": f"{t - 1}/{str(t)[2:]} -> {t}/{str(t + 1)[2:]}",
                    "councils": len(pair),
                    "slope": slope,
                    "correlation": pair[t].corr(pair[t + 1]),
                    "lasting sd": np.sqrt(max(lasting, 0.0)),
                    "random-walk sd": np.sqrt(max(cov[1, 1] + 2 * lasting, 0.0)),
                    "single-year sd": logs[t + 1].std(),
                    "median change next year": pair[t + 1].median(),
                }
            )
    return pd.DataFrame(rows)


def residential_share(series: pd.DataFrame) -> pd.DataFrame:
    """The share of children in care in residential / semi-independent placements, as a series
    :func:`persistence` takes."""
    share = series["residential_semi_independent"] / series["children_in_care"]
    return share.to_frame("residential / semi-independent share")


def national_growth_rule(series: pd.DataFrame, first_year: int = 2015) -> pd.DataFrame:
    """Median MASE over councils of two naive forecasts, for every last known year T.

    *Last value*: every later year equals T's. *Last value x England's growth*: T's value grown
    by the yearly growth of the sum over councils from ``first_year`` to T (geometric mean),
    which uses nothing after T. Errors are scaled as in the backtest (the council's mean absolute
    year-on-year change up to T) and averaged over the years after T up to the last published.
    """
    years = sorted(series.index.get_level_values("year").unique())
    rows = []
    for measure in series.columns:
        wide = series[measure].unstack("year")
        total = wide.sum()
        for t in years:
            if t - first_year < 1 or t == years[-1]:
                continue
            known = wide[[y for y in years if y <= t]]
            scale = known.diff(axis=1).abs().mean(axis=1)
            growth = (total[t] / total[first_year]) ** (1 / (t - first_year))
            ahead = [y for y in years if y > t]
            last, grown = [], []
            for y in ahead:
                last.append((wide[t] - wide[y]).abs() / scale)
                grown.append((wide[t] * growth ** (y - t) - wide[y]).abs() / scale)
            ok = scale > 0
            rows.append(
                {
                    "measure": measure,
                    "last known year": t,
                    "years ahead": len(ahead),
                    "England's growth": growth - 1,
                    "last value": pd.concat(last, axis=1)[ok].mean(axis=1).median(),
                    "last value x England's growth": pd.concat(grown, axis=1)[ok]
                    .mean(axis=1)
                    .median(),
                }
            )
    return pd.DataFrame(rows)


def stock_flow_gap(series: pd.DataFrame) -> pd.DataFrame:
    """Change of the stock minus (starts - ceases), by year: in England and per council."""
    s = series
    stock_change = s["children_in_care"].groupby(level="council").diff()
    gap = (stock_change - (s["starts"] - s["ceases"])).dropna()
    relative = gap / s["children_in_care"].reindex(gap.index)
    by_year = gap.groupby(level="year")
    return pd.DataFrame(
        {
            "sum over councils": by_year.sum(),
            "starts (sum)": s["starts"].reindex(gap.index).groupby(level="year").sum(),
            "median share of the stock": relative.groupby(level="year").median(),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of DfE tables")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    series = council_series(read_dfe(args.data))
    print(persistence(series).to_string(index=False, float_format="{:.3f}".format))
    print()
    share = persistence(residential_share(series))[["change in", "councils", "random-walk sd"]]
    print(share.to_string(index=False, float_format="{:.4f}".format))
    print()
    print(national_growth_rule(series).to_string(index=False, float_format="{:.3f}".format))
    print()
    print(stock_flow_gap(series).to_string(float_format="{:.3f}".format))


if __name__ == "__main__":
    main()
