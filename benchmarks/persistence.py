"""How much of a council's change in one year carries into the next? (DfE tables, 2015-2019.)

Run: ``python benchmarks/persistence.py [--data folder]``. For every local authority, relative
year-on-year changes of children in care, fostering, residential / semi-independent, starts and
ceases; then, across councils, the least-squares slope and correlation of next year's change on
this year's. A slope near 0 means a council's own last change says little about its next (the
last value is hard to beat); a negative slope means changes partly reverse (a smoothed level
beats the last value). Also the gap between the change of the stock and starts minus ceases.
Printed as tables; recorded in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.backtest import la_councils
from placecast.data.dfe import PLACEMENT_GROUPS, published_counts, read_dfe
from placecast.errors import InputError

HERE = Path(__file__).parent
DATA = HERE.parent.parent / "shared" / "data" / "dfe_cla_la_2015_2019"


def council_series(tidy: pd.DataFrame) -> pd.DataFrame:
    """One row per (council, year): the five published measures."""
    groups = list(PLACEMENT_GROUPS)
    frames = []
    for code in la_councils(tidy):
        try:
            c = published_counts(tidy, code)
        except InputError:
            continue  # councils without a usable series (listed by the backtest)
        frames.append(
            pd.DataFrame(
                {
                    "council": c.council,
                    "year": c.years,
                    "children_in_care": c.children_in_care,
                    "fostering": c.stock_by_group[:, groups.index("fostering")],
                    "residential_semi_independent": c.stock_by_group[
                        :, groups.index("residential_semi_independent")
                    ],
                    "starts": c.starts,
                    "ceases": c.ceases,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).set_index(["council", "year"]).sort_index()


def persistence(series: pd.DataFrame) -> pd.DataFrame:
    """Slope and correlation across councils of the relative change in year t+1 on year t's."""
    change = series.groupby(level="council").pct_change(fill_method=None)
    rows = []
    years = sorted(series.index.get_level_values("year").unique())
    for measure in series.columns:
        wide = change[measure].unstack("year")
        for t in years[1:-1]:
            pair = wide[[t, t + 1]].replace([np.inf, -np.inf], np.nan).dropna()
            if len(pair) < 10:
                continue
            slope = np.polyfit(pair[t], pair[t + 1], 1)[0]
            rows.append(
                {
                    "measure": measure,
                    "change in": f"{t - 1}/{str(t)[2:]} -> {t}/{str(t + 1)[2:]}",
                    "councils": len(pair),
                    "slope": slope,
                    "correlation": pair[t].corr(pair[t + 1]),
                    "median change next year": pair[t + 1].median(),
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
    print(stock_flow_gap(series).to_string(float_format="{:.3f}".format))


if __name__ == "__main__":
    main()
